export type { DpQuery } from './datasets.ts';
export { DATASET_TYPE, PrivateDatasets } from './datasets.ts';
export type { FpeOptions } from './deid.ts';
export { Deid, TOKEN_TYPE } from './deid.ts';
export type { DomainKind } from './domains.ts';
export { DomainMakers, isPiiScanDomain, piiScanDomain } from './domains.ts';
export { checkDomain, MAX_BATCH, MAX_VALUE_BYTES, Pseudonymizer, Pseudonyms } from './pseudonyms.ts';
