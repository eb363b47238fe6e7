/**
 * The key hierarchy contract. Root key-encryption keys (KEKs, versioned) never leave the key
 * store; they wrap per-subject data keys. Named signing keys (Ed25519) sign checkpoints; named
 * MAC keys (HMAC-SHA-256) derive keyed pseudonyms. A PKCS#11 HSM implements the same interface.
 */

/** A data key wrapped (encrypted and authenticated) under one KEK version. */
export interface WrappedKey {
  readonly kekVersion: number;
  readonly bytes: Uint8Array;
}

export type KekState = 'active' | 'retired' | 'destroyed';

export interface KekInfo {
  readonly version: number;
  readonly state: KekState;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

export interface KeyStore {
  /** 'software', 'pkcs11', ... */
  readonly kind: string;
  /** The version new wraps use. */
  currentKekVersion(): Promise<number>;
  /** Every KEK version with its state, oldest first. */
  listKeks(): Promise<readonly KekInfo[]>;
  /** Creates a new KEK version, makes it current and retires the previous one; returns it. */
  rotateKek(): Promise<number>;
  /**
   * Destroys a retired KEK version irrecoverably: everything wrapped under it can never be
   * unwrapped again. The current version cannot be destroyed.
   */
  destroyKek(version: number): Promise<void>;
  /**
   * Generates a fresh 256-bit data key. `context` is bound into the wrapping (authenticated),
   * so a wrapped key moved to another context fails to unwrap.
   */
  generateDataKey(context: Uint8Array): Promise<{ key: Uint8Array; wrapped: WrappedKey }>;
  /** Wraps a data key under the current KEK. */
  wrapKey(key: Uint8Array, context: Uint8Array): Promise<WrappedKey>;
  /** Unwraps; throws VERITY_E_KEY_DESTROYED for a destroyed KEK, VERITY_E_ENVELOPE_INVALID on tampering. */
  unwrapKey(wrapped: WrappedKey, context: Uint8Array): Promise<Uint8Array>;
  /** Creates the named Ed25519 signing key if absent; returns its raw 32-byte public key. */
  ensureSigningKey(name: string): Promise<Uint8Array>;
  /** Ed25519 signature over `message` with the named key. */
  sign(name: string, message: Uint8Array): Promise<Uint8Array>;
  /** Creates the named HMAC-SHA-256 key if absent. */
  ensureMacKey(name: string): Promise<void>;
  /** HMAC-SHA-256 of `data` under the named key (32 bytes). */
  mac(name: string, data: Uint8Array): Promise<Uint8Array>;
  /** Creates the named secp256k1 key (an EVM account) if absent; returns its 65-byte uncompressed public key. */
  ensureEvmKey(name: string): Promise<Uint8Array>;
  /**
   * ECDSA with the named secp256k1 key over a 32-byte digest, not hashed again: `r || s`, 64 bytes,
   * `s` as the signer made it (src/wallets makes it low-s and adds the recovery id, D240).
   */
  signEvmDigest(name: string, digest: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Named signing, MAC and EVM keys in plaintext, as a software key store holds them: what `verity
 * keys migrate` imports into an HSM so that the log's key, pseudonyms, subject references and chain
 * accounts stay the same. Nothing else handles these values.
 */
export interface NamedKeys {
  /** Ed25519: the 32-byte private seed and the 32-byte public key. */
  readonly signing: readonly { readonly name: string; readonly seed: Uint8Array; readonly publicKey: Uint8Array }[];
  /** HMAC-SHA-256 keys of 32 bytes. */
  readonly mac: readonly { readonly name: string; readonly key: Uint8Array }[];
  /**
   * secp256k1 keys of EVM accounts (the embedded chain's platform account, custodial wallets): the
   * 32-byte private scalar and the 65-byte uncompressed public key.
   */
  readonly evm: readonly { readonly name: string; readonly secretKey: Uint8Array; readonly publicKey: Uint8Array }[];
}

/** Wipes the private halves of exported named keys once they are used. */
export function wipeNamedKeys(keys: NamedKeys): void {
  for (const k of keys.signing) k.seed.fill(0);
  for (const k of keys.mac) k.key.fill(0);
  for (const k of keys.evm) k.secretKey.fill(0);
}
