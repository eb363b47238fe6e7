export type { KeyProcessOptions } from './client.ts';
export { KeyProcess } from './client.ts';
export type { KeyOp, KeyProcessStoreSpec } from './protocol.ts';
export { KEY_OPS, KEY_PROCESS_LIMITS } from './protocol.ts';
export { devPassphraseFor, pinFromEnv, readFileBounded, readStdinBounded, secretFromEnv, shellPath } from './secret.ts';
