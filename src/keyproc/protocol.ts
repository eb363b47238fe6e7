/**
 * The key process's message interface (FGMV-46 7.3.4): everything that touches a key-encryption
 * key or the log's signing key runs in a separate process, and the HTTP process talks to it with
 * these messages only. Messages travel over Node's IPC channel with the structured-clone
 * serializer (bytes stay bytes). Calls made in one turn of the event loop go in one message and
 * their results come back in one, so a group commit's wraps and its checkpoint signature cross
 * the boundary together.
 */

/** The operations, one per method of the KeyStore contract (src/keys/types.ts). */
export const KEY_OPS = [
  'currentKekVersion',
  'listKeks',
  'rotateKek',
  'destroyKek',
  'generateDataKey',
  'wrapKey',
  'unwrapKey',
  'ensureSigningKey',
  'sign',
  'ensureMacKey',
  'mac',
  'ensureEvmKey',
  'signEvmDigest',
] as const;
export type KeyOp = (typeof KEY_OPS)[number];

/**
 * How the key process opens its key store: the key file, or a PKCS#11 token; the secret (the
 * passphrase, or the token's PIN) it reads from its own environment.
 */
export type KeyProcessStoreSpec =
  | {
      readonly kind: 'software';
      /** The key file (absolute path). */
      readonly file: string;
      /** The data directory, to name the development passphrase file in an error. */
      readonly dataDir?: string;
    }
  | {
      readonly kind: 'pkcs11';
      /** The PKCS#11 module's path. */
      readonly module: string;
      /** The token's label. */
      readonly token: string;
      /** The label prefix of this store's objects. */
      readonly namespace: string;
    };

export interface OpenMessage {
  readonly t: 'open';
  readonly store: KeyProcessStoreSpec;
}
export interface CallsMessage {
  readonly t: 'calls';
  readonly calls: readonly Call[];
}
export interface CloseMessage {
  readonly t: 'close';
}
export type ToKeyProcess = OpenMessage | CallsMessage | CloseMessage;

export interface Call {
  readonly id: number;
  readonly op: KeyOp;
  readonly args: readonly unknown[];
}

export interface Failure {
  readonly code: string;
  readonly message: string;
}

export type Result =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: Failure };

export type FromKeyProcess =
  | { readonly t: 'ready'; readonly kind: string }
  | { readonly t: 'failed'; readonly error: Failure }
  | { readonly t: 'results'; readonly results: readonly Result[] };

/** Limits the key process enforces on what it is sent (the HTTP process is not trusted with more). */
export const KEY_PROCESS_LIMITS = Object.freeze({
  /** Calls in one message. */
  maxCalls: 4096,
  /** Bytes of one byte argument (a message to sign, data to MAC, a context, a wrapped key). */
  maxBytes: 64 * 1024,
  /** Characters of a key name. */
  maxName: 64,
});
