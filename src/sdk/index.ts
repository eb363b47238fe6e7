export type { CheckpointStore, VerifiedRecord, VerityClientOptions } from './client.ts';
export { VerityClient } from './client.ts';
