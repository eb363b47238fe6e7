export { Pkcs11KeyStore } from './pkcs11.ts';
export type { Pkcs11KeyStoreOptions } from './pkcs11-token.ts';
export type { KdfParams, KeySecret, SoftwareKeyStoreOptions } from './software.ts';
export { DEFAULT_KDF, SoftwareKeyStore } from './software.ts';
export type { KekInfo, KekState, KeyStore, NamedKeys, WrappedKey } from './types.ts';
export { wipeNamedKeys } from './types.ts';
