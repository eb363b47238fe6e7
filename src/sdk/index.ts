export type { CheckpointStore, KeyValueStorage, VerifiedRecord, VerityClientOptions } from './client.ts';
export { VerityClient, webStorageCheckpoints } from './client.ts';
export { ConsentClient } from './consent.ts';
export { CredentialsClient, createPresentation, disclosable } from './credentials.ts';
export type { VerifiedAccessReport, VerifyAccessReportOptions } from './reports.ts';
export { parseAccessReport, verifyAccessReport } from './reports.ts';
