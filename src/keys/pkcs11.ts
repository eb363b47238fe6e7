import { randomBytes } from 'node:crypto';
import { KeyError, quote } from '../errors/index.ts';
import { NamedKeyObjects } from './pkcs11-named.ts';
import { ckr, type Handle, hsmError, type Pkcs11KeyStoreOptions, Pkcs11Token } from './pkcs11-token.ts';
import type { KekInfo, KeyStore, NamedKeys, WrappedKey } from './types.ts';
import { freshDataKey, kekWrapAad } from './wrap.ts';

const WRAP_V1 = 1;
const IV = 12;
const TAG = 16;
const WRAPPED_LEN = 1 + IV + 32 + TAG;

interface KekObject {
  readonly version: number;
  readonly createdAt: number;
  readonly handle: Handle;
  readonly id: Buffer;
}

/**
 * A key store in a PKCS#11 token (an HSM, or SoftHSM2 for tests): every key is generated inside
 * the token as a token object with CKA_SENSITIVE=true and CKA_EXTRACTABLE=false, and never leaves
 * it. KEKs are AES-256 keys; a data key is wrapped by AES-256-GCM encryption inside the token,
 * with the KEK version and the subject context as additional authenticated data. Signing keys are
 * Ed25519 (CKM_EDDSA), MAC keys generic secrets used with CKM_SHA256_HMAC.
 *
 * State lives in the token alone, in object labels: `NS/kek/VERSION` for a KEK (the highest
 * version is current, the others retired; its CKA_ID begins with its creation time), a data object
 * with the same label as a tombstone for a destroyed one (C_DestroyObject removes the key itself),
 * `NS/sign/NAME` and `NS/mac/NAME`. So a copy of the data directory, however complete, holds no key at all.
 *
 * PKCS#11 calls are synchronous: with a network HSM, a slow call blocks the event loop.
 */
export class Pkcs11KeyStore implements KeyStore {
  readonly kind = 'pkcs11';
  readonly #t: Pkcs11Token;
  readonly #named: NamedKeyObjects;
  readonly #now: () => number;
  #keks: KekObject[] = [];
  #destroyed = new Map<number, number>();

  private constructor(t: Pkcs11Token, now: () => number) {
    this.#t = t;
    this.#named = new NamedKeyObjects(t);
    this.#now = now;
  }

  /**
   * Creates the store in the token with KEK version 1 (or `firstKekVersion`, above the versions of
   * a store migrated from). Refuses when the namespace holds keys already.
   */
  static async create(options: Pkcs11KeyStoreOptions & { firstKekVersion?: number }): Promise<Pkcs11KeyStore> {
    const first = options.firstKekVersion ?? 1;
    if (!Number.isSafeInteger(first) || first < 1 || first > 999_999_999)
      throw new RangeError('firstKekVersion is an integer from 1 to 999999999');
    const ks = new Pkcs11KeyStore(Pkcs11Token.connect(options), options.now ?? Date.now);
    try {
      ks.#scan();
      if (ks.#keks.length > 0 || ks.#destroyed.size > 0)
        throw new KeyError(
          'VERITY_E_KEY_IN_USE',
          `the token holds a key store ${quote(ks.#t.ns)} already; open it, or choose another namespace`,
        );
      ks.#newKek(first);
      return ks;
    } catch (e) {
      await ks.close();
      throw e;
    }
  }

  /** Opens a store created earlier in the token. */
  static async open(options: Pkcs11KeyStoreOptions): Promise<Pkcs11KeyStore> {
    const ks = new Pkcs11KeyStore(Pkcs11Token.connect(options), options.now ?? Date.now);
    try {
      ks.#scan();
      if (ks.#keks.length === 0)
        throw new KeyError(
          'VERITY_E_KEY_NOT_FOUND',
          `the token holds no key store ${quote(ks.#t.ns)}; create it first (verity init with an HSM)`,
        );
      return ks;
    } catch (e) {
      await ks.close();
      throw e;
    }
  }

  /** Parses `NS/kek/VERSION`; undefined for any other label. */
  #parseKekLabel(label: string): number | undefined {
    const m = /^([^/]+)\/kek\/([1-9][0-9]{0,8})$/.exec(label);
    return m === null || m[1] !== this.#t.ns ? undefined : Number(m[2]);
  }

  #kekLabel(version: number): string {
    return `${this.#t.ns}/kek/${version}`;
  }

  /** Reads the KEKs and tombstones of this namespace from the token. */
  #scan(): void {
    const p11 = this.#t.p11;
    const keks: KekObject[] = [];
    for (const h of this.#t.find([
      { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
      { type: p11.CKA_KEY_TYPE, value: p11.CKK_AES },
      { type: p11.CKA_TOKEN, value: true },
    ])) {
      const version = this.#parseKekLabel(this.#t.label(h));
      if (version === undefined) continue;
      // CKA_ID: the creation time (8 bytes, big-endian milliseconds), then 16 random bytes.
      const id = this.#t.id(h);
      const createdAt = id.length === 24 ? Number(id.readBigUInt64BE(0)) : 0;
      keks.push({ version, createdAt, handle: h, id });
    }
    const destroyed = new Map<number, number>();
    for (const h of this.#t.find([
      { type: p11.CKA_CLASS, value: p11.CKO_DATA },
      { type: p11.CKA_APPLICATION, value: 'verity' },
      { type: p11.CKA_TOKEN, value: true },
    ])) {
      const version = this.#parseKekLabel(this.#t.label(h));
      if (version === undefined) continue;
      const value = this.#t.call(
        'C_GetAttributeValue',
        (mod) => mod.C_GetAttributeValue(this.#t.session, h, [{ type: p11.CKA_VALUE }])[0]?.value,
      );
      const createdAt = Number(String(value ?? '').replace(/^destroyed:/, ''));
      destroyed.set(version, Number.isSafeInteger(createdAt) ? createdAt : 0);
    }
    // Of two objects for one version (two processes rotating at once), the lower CKA_ID wins;
    // see #newKek. A version with a tombstone is destroyed even if its key object survived a crash.
    keks.sort((a, b) => a.version - b.version || Buffer.compare(a.id, b.id));
    this.#keks = keks.filter((k, i) => !destroyed.has(k.version) && keks[i - 1]?.version !== k.version);
    this.#destroyed = destroyed;
  }

  #current(): KekObject {
    const k = this.#keks.at(-1);
    if (k === undefined)
      throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', 'the token holds no active key-encryption key of this store');
    return k;
  }

  /** Generates KEK `version` in the token; if another process made the same version meanwhile, retries with the next. */
  #newKek(version: number): number {
    for (let v = version; ; v++) {
      const id = Buffer.alloc(24);
      id.writeBigUInt64BE(BigInt(this.#now()), 0);
      randomBytes(16).copy(id, 8);
      this.#t.call('C_GenerateKey', (mod, p11) =>
        mod.C_GenerateKey(this.#t.session, { mechanism: p11.CKM_AES_KEY_GEN }, [
          { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
          { type: p11.CKA_KEY_TYPE, value: p11.CKK_AES },
          { type: p11.CKA_VALUE_LEN, value: 32 },
          ...this.#t.kept(),
          { type: p11.CKA_ENCRYPT, value: true },
          { type: p11.CKA_DECRYPT, value: true },
          { type: p11.CKA_WRAP, value: false },
          { type: p11.CKA_UNWRAP, value: false },
          { type: p11.CKA_LABEL, value: this.#kekLabel(v) },
          { type: p11.CKA_ID, value: id },
        ]),
      );
      this.#scan();
      const winner = this.#keks.find((k) => k.version === v);
      if (winner?.id.equals(id)) return v;
      // Lost a race for this version: remove ours and take the next one.
      for (const h of this.#findKekById(id))
        this.#t.call('C_DestroyObject', (mod) => mod.C_DestroyObject(this.#t.session, h));
      this.#scan();
    }
  }

  #kekTemplate(version: number) {
    const p11 = this.#t.p11;
    return [
      { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
      { type: p11.CKA_TOKEN, value: true },
      { type: p11.CKA_LABEL, value: this.#kekLabel(version) },
    ];
  }

  #findKekById(id: Buffer): Handle[] {
    const p11 = this.#t.p11;
    return this.#t.find([
      { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
      { type: p11.CKA_ID, value: id },
    ]);
  }

  async currentKekVersion(): Promise<number> {
    this.#scan();
    return this.#current().version;
  }

  async listKeks(): Promise<readonly KekInfo[]> {
    this.#scan();
    const current = this.#current().version;
    const out: KekInfo[] = this.#keks.map((k) => ({
      version: k.version,
      state: k.version === current ? 'active' : 'retired',
      createdAt: k.createdAt,
    }));
    for (const [version, createdAt] of this.#destroyed) out.push({ version, state: 'destroyed', createdAt });
    return out.sort((a, b) => a.version - b.version);
  }

  async rotateKek(): Promise<number> {
    this.#scan();
    const top = Math.max(0, ...this.#keks.map((k) => k.version), ...this.#destroyed.keys());
    return this.#newKek(top + 1);
  }

  async destroyKek(version: number): Promise<void> {
    this.#scan();
    const k = this.#keks.find((x) => x.version === version);
    if (k === undefined) {
      if (this.#destroyed.has(version)) {
        // A crash after the tombstone may have left the key itself: finish the job.
        for (const h of this.#t.find(this.#kekTemplate(version)))
          this.#t.call('C_DestroyObject', (mod) => mod.C_DestroyObject(this.#t.session, h));
        return;
      }
      throw new KeyError('VERITY_E_KEY_NOT_FOUND', `there is no key-encryption key version ${quote(version)}`);
    }
    if (k === this.#current())
      throw new KeyError(
        'VERITY_E_KEY_IN_USE',
        `key-encryption key ${version} is current; rotate before destroying it`,
      );
    // The tombstone first: a crash between the two steps leaves the version marked destroyed.
    this.#t.call('C_CreateObject', (mod, p11) =>
      mod.C_CreateObject(this.#t.session, [
        { type: p11.CKA_CLASS, value: p11.CKO_DATA },
        { type: p11.CKA_TOKEN, value: true },
        { type: p11.CKA_PRIVATE, value: true },
        { type: p11.CKA_APPLICATION, value: 'verity' },
        { type: p11.CKA_LABEL, value: this.#kekLabel(k.version) },
        { type: p11.CKA_VALUE, value: Buffer.from(`destroyed:${k.createdAt}`) },
      ]),
    );
    for (const h of this.#findKekById(k.id))
      this.#t.call('C_DestroyObject', (mod) => mod.C_DestroyObject(this.#t.session, h));
    this.#scan();
  }

  #gcm(iv: Buffer, aad: Uint8Array) {
    const p11 = this.#t.p11;
    return {
      mechanism: p11.CKM_AES_GCM,
      parameter: { type: p11.CK_PARAMS_AES_GCM, iv, aad: Buffer.from(aad), ivBits: IV * 8, tagBits: TAG * 8 },
    };
  }

  generateDataKey(context: Uint8Array): Promise<{ key: Uint8Array; wrapped: WrappedKey }> {
    return freshDataKey((key) => this.wrapKey(key, context));
  }

  async wrapKey(key: Uint8Array, context: Uint8Array): Promise<WrappedKey> {
    this.#t.checkOpen();
    if (key.byteLength !== 32) throw new RangeError('a data key has 32 bytes');
    // Still current unless a next version exists (another instance rotated): one exact-label
    // lookup instead of a scan of every object.
    const cached = this.#keks.at(-1);
    if (cached === undefined || this.#t.find(this.#kekTemplate(cached.version + 1)).length > 0) this.#scan();
    const kek = this.#current();
    // A random 96-bit IV per wrap, as in the software store: rotate the KEK well before 2^32 wraps.
    const iv = randomBytes(IV);
    const ct = this.#t.call('C_Encrypt', (mod) => {
      mod.C_EncryptInit(this.#t.session, this.#gcm(iv, kekWrapAad(kek.version, context)), kek.handle);
      return mod.C_Encrypt(this.#t.session, Buffer.from(key), Buffer.alloc(32 + TAG));
    });
    const bytes = new Uint8Array(WRAPPED_LEN);
    bytes[0] = WRAP_V1;
    bytes.set(iv, 1);
    bytes.set(ct, 1 + IV);
    return { kekVersion: kek.version, bytes };
  }

  async unwrapKey(wrapped: WrappedKey, context: Uint8Array): Promise<Uint8Array> {
    return this.#unwrap(wrapped, context, false);
  }

  #unwrap(wrapped: WrappedKey, context: Uint8Array, rescanned: boolean): Uint8Array {
    this.#t.checkOpen();
    let kek = this.#keks.find((k) => k.version === wrapped.kekVersion);
    if (kek === undefined && !rescanned) {
      this.#scan();
      kek = this.#keks.find((k) => k.version === wrapped.kekVersion);
    }
    if (kek === undefined) {
      if (this.#destroyed.has(wrapped.kekVersion))
        throw new KeyError(
          'VERITY_E_KEY_DESTROYED',
          `key-encryption key ${wrapped.kekVersion} was destroyed; data wrapped under it is unrecoverable`,
        );
      throw new KeyError(
        'VERITY_E_KEY_NOT_FOUND',
        `there is no key-encryption key version ${quote(wrapped.kekVersion)}`,
      );
    }
    const invalid = (cause?: unknown) =>
      new KeyError(
        'VERITY_E_ENVELOPE_INVALID',
        'the wrapped key failed authentication: it was altered, or the key or bound context is wrong',
        cause === undefined ? undefined : { cause },
      );
    const b = wrapped.bytes;
    if (!(b instanceof Uint8Array) || b.byteLength !== WRAPPED_LEN || b[0] !== WRAP_V1) throw invalid();
    const iv = Buffer.from(b.subarray(1, 1 + IV));
    const k = kek;
    try {
      const { mod } = this.#t;
      mod.C_DecryptInit(this.#t.session, this.#gcm(iv, kekWrapAad(k.version, context)), k.handle);
      return new Uint8Array(mod.C_Decrypt(this.#t.session, Buffer.from(b.subarray(1 + IV)), Buffer.alloc(32 + TAG)));
    } catch (e) {
      const code = ckr(e);
      // SoftHSM2 2.6.1 answers a GCM tag mismatch with CKR_GENERAL_ERROR; the standard says
      // CKR_ENCRYPTED_DATA_INVALID. Both mean the wrapped key does not authenticate.
      if (code === 'CKR_ENCRYPTED_DATA_INVALID' || code === 'CKR_GENERAL_ERROR') throw invalid(e);
      if (!rescanned && (code === 'CKR_KEY_HANDLE_INVALID' || code === 'CKR_OBJECT_HANDLE_INVALID')) {
        // Destroyed by another process since we scanned.
        this.#scan();
        return this.#unwrap(wrapped, context, true);
      }
      throw hsmError(e, 'C_Decrypt');
    }
  }

  ensureSigningKey(name: string): Promise<Uint8Array> {
    return this.#named.ensureSigningKey(name);
  }

  sign(name: string, message: Uint8Array): Promise<Uint8Array> {
    return this.#named.sign(name, message);
  }

  ensureMacKey(name: string): Promise<void> {
    return this.#named.ensureMacKey(name);
  }

  mac(name: string, data: Uint8Array): Promise<Uint8Array> {
    return this.#named.mac(name, data);
  }

  /** The names of the signing keys (with their public keys) and MAC keys of this store in the token. */
  ensureEvmKey(name: string): Promise<Uint8Array> {
    return this.#named.ensureEvmKey(name);
  }

  signEvmDigest(name: string, digest: Uint8Array): Promise<Uint8Array> {
    return this.#named.signEvmDigest(name, digest);
  }

  namedKeys(): ReturnType<NamedKeyObjects['namedKeys']> {
    return this.#named.namedKeys();
  }

  /** Imports named signing, MAC and EVM keys from a software key store (`verity keys migrate`); see `NamedKeyObjects`. */
  importNamedKeys(keys: NamedKeys): Promise<void> {
    return this.#named.importNamedKeys(keys);
  }

  async close(): Promise<void> {
    this.#t.close();
  }
}
