import { createHash, createHmac, createPublicKey, randomBytes, timingSafeEqual, verify } from 'node:crypto';
import { createRequire } from 'node:module';
import { toBase64, toBase64Url } from '../encoding/index.ts';
import { bindAad } from '../envelope/index.ts';
import { KeyError, quote, type VerityError } from '../errors/index.ts';
import type { KekInfo, KeyStore, NamedKeys, WrappedKey } from './types.ts';
import { freshDataKey, kekWrapAad } from './wrap.ts';

type P11 = typeof import('pkcs11js');
type Module = InstanceType<P11['PKCS11']>;
type Handle = Buffer;

/** How to reach the token. The PIN comes from the caller (the CLI reads it from the environment or a file). */
export interface Pkcs11KeyStoreOptions {
  /** Path of the PKCS#11 library (e.g. `/usr/lib/softhsm/libsofthsm2.so`). */
  readonly module: string;
  /** The token's label (at most 32 characters). */
  readonly tokenLabel: string;
  /** The user PIN of the token. Never logged. */
  readonly pin: string;
  /** Prefix of the labels of this store's objects, so that several stores can share a token. */
  readonly namespace?: string;
  readonly now?: () => number;
}

// PKCS#11 3.0 values that pkcs11js 2.1 does not name.
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;
/** DER of the OID 1.3.101.112 (Ed25519), the CKA_EC_PARAMS of an Ed25519 key. */
const ED25519_PARAMS = Buffer.from('06032b6570', 'hex');

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const NAMESPACE_RE = /^[a-z0-9][a-z0-9._-]{0,31}$/;
const WRAP_V1 = 1;
const IV = 12;
const TAG = 16;
const WRAPPED_LEN = 1 + IV + 32 + TAG;
const MAX_OBJECTS = 10_000;

const PIN_CODES = new Set([
  'CKR_PIN_INCORRECT',
  'CKR_PIN_INVALID',
  'CKR_PIN_LEN_RANGE',
  'CKR_PIN_LOCKED',
  'CKR_PIN_EXPIRED',
  'CKR_USER_PIN_NOT_INITIALIZED',
]);
const TOKEN_CODES = new Set([
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_TOKEN_NOT_RECOGNIZED',
  'CKR_DEVICE_REMOVED',
  'CKR_SLOT_ID_INVALID',
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
]);

/** The CKR_ name of a PKCS#11 error, or undefined for anything else. */
function ckr(e: unknown): string | undefined {
  const m = e instanceof Error ? /^(CKR_[A-Z0-9_]+)/.exec(e.message) : null;
  return m?.[1];
}

/** A typed error for a failed PKCS#11 call `what`; the message names the function and the CKR code only. */
function hsmError(e: unknown, what: string): VerityError {
  const code = ckr(e);
  if (code !== undefined && PIN_CODES.has(code))
    return new KeyError(
      'VERITY_E_HSM_PIN',
      `the token refused the PIN (${code}); check VERITY_HSM_PIN or VERITY_HSM_PIN_FILE`,
      { cause: e },
    );
  if (code !== undefined && TOKEN_CODES.has(code))
    return new KeyError('VERITY_E_HSM_TOKEN_NOT_FOUND', `the token went away during ${what} (${code}); reconnect it`, {
      cause: e,
    });
  return new KeyError(
    'VERITY_E_HSM_FAILED',
    `the PKCS#11 module failed in ${what} (${code ?? 'not a PKCS#11 error'}); check the token and its logs`,
    { cause: e },
  );
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name))
    throw new RangeError(`key name ${quote(name)} must match ${NAME_RE}`);
}

/** A fresh message to check an imported key with. */
function utf8Probe(): Buffer {
  return Buffer.concat([Buffer.from('verity/key-import-check/v1\n'), randomBytes(16)]);
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/**
 * One loaded and initialized PKCS#11 library per path and process: C_Initialize is once per
 * process (a second call fails with CKR_CRYPTOKI_ALREADY_INITIALIZED) and login state is per
 * token and process, so stores opened on the same module share it. It is finalized when the
 * last store using it closes.
 */
interface Loaded {
  readonly p11: P11;
  readonly mod: Module;
  users: number;
  /** SHA-256 of the PIN each token (by slot) was logged in with, to check later opens (see open). */
  readonly logins: Map<string, Buffer>;
}
const loaded = new Map<string, Loaded>();

function load(path: string): Loaded {
  const have = loaded.get(path);
  if (have !== undefined) {
    have.users++;
    return have;
  }
  let p11: P11;
  try {
    // Loaded on first use only: the native addon is needed by this key store alone.
    p11 = createRequire(import.meta.url)('pkcs11js') as P11;
  } catch (cause) {
    throw new KeyError(
      'VERITY_E_HSM_MODULE',
      'the pkcs11js addon is not built; run `npm ci` with a C++ compiler available',
      { cause },
    );
  }
  const mod = new p11.PKCS11();
  try {
    mod.load(path);
  } catch (cause) {
    throw new KeyError(
      'VERITY_E_HSM_MODULE',
      `cannot load the PKCS#11 module ${quote(path)}; check VERITY_HSM_MODULE (e.g. /usr/lib/softhsm/libsofthsm2.so)`,
      { cause },
    );
  }
  try {
    mod.C_Initialize();
  } catch (cause) {
    if (ckr(cause) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      mod.close();
      throw new KeyError(
        'VERITY_E_HSM_MODULE',
        `the PKCS#11 module ${quote(path)} did not initialize (${ckr(cause) ?? 'unknown error'}); check its configuration`,
        { cause },
      );
    }
  }
  const l: Loaded = { p11, mod, users: 1, logins: new Map() };
  loaded.set(path, l);
  return l;
}

function unload(path: string, l: Loaded): void {
  if (--l.users > 0) return;
  loaded.delete(path);
  try {
    l.mod.C_Finalize();
  } finally {
    l.mod.close();
  }
}

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
  readonly #path: string;
  readonly #l: Loaded;
  readonly #session: Handle;
  readonly #ns: string;
  readonly #now: () => number;
  #keks: KekObject[] = [];
  #destroyed = new Map<number, number>();
  #signers = new Map<string, { key: Handle; publicKey: Uint8Array }>();
  #macs = new Map<string, Handle>();
  #closed = false;

  private constructor(path: string, l: Loaded, session: Handle, ns: string, now: () => number) {
    this.#path = path;
    this.#l = l;
    this.#session = session;
    this.#ns = ns;
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
    const ks = Pkcs11KeyStore.#connect(options);
    try {
      ks.#scan();
      if (ks.#keks.length > 0 || ks.#destroyed.size > 0)
        throw new KeyError(
          'VERITY_E_KEY_IN_USE',
          `the token holds a key store ${quote(ks.#ns)} already; open it, or choose another namespace`,
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
    const ks = Pkcs11KeyStore.#connect(options);
    try {
      ks.#scan();
      if (ks.#keks.length === 0)
        throw new KeyError(
          'VERITY_E_KEY_NOT_FOUND',
          `the token holds no key store ${quote(ks.#ns)}; create it first (verity init with an HSM)`,
        );
      return ks;
    } catch (e) {
      await ks.close();
      throw e;
    }
  }

  static #connect(options: Pkcs11KeyStoreOptions): Pkcs11KeyStore {
    const ns = options.namespace ?? 'verity';
    if (!NAMESPACE_RE.test(ns)) throw new RangeError(`namespace ${quote(ns)} must match ${NAMESPACE_RE}`);
    if (typeof options.tokenLabel !== 'string' || options.tokenLabel.length === 0 || options.tokenLabel.length > 32)
      throw new RangeError('a token label has 1 to 32 characters');
    if (typeof options.pin !== 'string' || options.pin.length === 0 || options.pin.length > 256)
      throw new KeyError('VERITY_E_HSM_PIN', 'no PIN for the token; set VERITY_HSM_PIN or VERITY_HSM_PIN_FILE');
    const l = load(options.module);
    const { p11, mod } = l;
    let session: Handle | undefined;
    try {
      let slot: Handle | undefined;
      try {
        for (const s of mod.C_GetSlotList(true)) {
          if (mod.C_GetTokenInfo(s).label.trimEnd() === options.tokenLabel) {
            slot = s;
            break;
          }
        }
      } catch (e) {
        throw hsmError(e, 'C_GetSlotList');
      }
      if (slot === undefined)
        throw new KeyError(
          'VERITY_E_HSM_TOKEN_NOT_FOUND',
          `no token labelled ${quote(options.tokenLabel)} in the PKCS#11 module; check VERITY_HSM_TOKEN and that the token is present`,
        );
      try {
        session = mod.C_OpenSession(slot, p11.CKF_SERIAL_SESSION | p11.CKF_RW_SESSION);
      } catch (e) {
        throw hsmError(e, 'C_OpenSession');
      }
      const slotKey = slot.toString('hex');
      const pinHash = sha256(options.pin);
      try {
        mod.C_Login(session, p11.CKU_USER, options.pin);
        l.logins.set(slotKey, pinHash);
      } catch (e) {
        if (ckr(e) !== 'CKR_USER_ALREADY_LOGGED_IN') throw hsmError(e, 'C_Login');
        // Login is per token and process: another store here logged in already, and the token
        // does not check the PIN again. Check it against the one that logged in, so that a wrong
        // PIN is refused here as it is in a fresh process.
        const first = l.logins.get(slotKey);
        if (first === undefined || !timingSafeEqual(first, pinHash))
          throw new KeyError(
            'VERITY_E_HSM_PIN',
            'the PIN differs from the one this process logged in to the token with; check VERITY_HSM_PIN or VERITY_HSM_PIN_FILE',
          );
      }
      return new Pkcs11KeyStore(options.module, l, session, ns, options.now ?? Date.now);
    } catch (e) {
      if (session !== undefined) {
        try {
          mod.C_CloseSession(session);
        } catch {
          // The original error is the one to report.
        }
      }
      unload(options.module, l);
      throw e;
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new KeyError('VERITY_E_CLOSED', 'the key store is closed');
  }

  /** Runs one PKCS#11 step, mapping its failure to a typed error. */
  #call<T>(what: string, fn: (mod: Module, p11: P11) => T): T {
    this.#checkOpen();
    try {
      return fn(this.#l.mod, this.#l.p11);
    } catch (e) {
      throw hsmError(e, what);
    }
  }

  /** Handles of the objects matching `template` (at most MAX_OBJECTS). */
  #find(template: { type: number; value: number | boolean | string | Buffer }[]): Handle[] {
    return this.#call('C_FindObjects', (mod) => {
      mod.C_FindObjectsInit(this.#session, template);
      try {
        return mod.C_FindObjects(this.#session, MAX_OBJECTS);
      } finally {
        mod.C_FindObjectsFinal(this.#session);
      }
    });
  }

  #label(h: Handle): string {
    return this.#call('C_GetAttributeValue', (mod, p11) =>
      String(mod.C_GetAttributeValue(this.#session, h, [{ type: p11.CKA_LABEL }])[0]?.value ?? ''),
    );
  }

  #id(h: Handle): Buffer {
    return this.#call('C_GetAttributeValue', (mod, p11) => {
      const v = mod.C_GetAttributeValue(this.#session, h, [{ type: p11.CKA_ID }])[0]?.value;
      return Buffer.isBuffer(v) ? v : Buffer.alloc(0);
    });
  }

  /** Parses `NS/kek/VERSION`; undefined for any other label. */
  #parseKekLabel(label: string): number | undefined {
    const m = /^([^/]+)\/kek\/([1-9][0-9]{0,8})$/.exec(label);
    return m === null || m[1] !== this.#ns ? undefined : Number(m[2]);
  }

  #kekLabel(version: number): string {
    return `${this.#ns}/kek/${version}`;
  }

  /** Reads the KEKs and tombstones of this namespace from the token. */
  #scan(): void {
    const p11 = this.#l.p11;
    const keks: KekObject[] = [];
    for (const h of this.#find([
      { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
      { type: p11.CKA_KEY_TYPE, value: p11.CKK_AES },
      { type: p11.CKA_TOKEN, value: true },
    ])) {
      const version = this.#parseKekLabel(this.#label(h));
      if (version === undefined) continue;
      // CKA_ID: the creation time (8 bytes, big-endian milliseconds), then 16 random bytes.
      const id = this.#id(h);
      const createdAt = id.length === 24 ? Number(id.readBigUInt64BE(0)) : 0;
      keks.push({ version, createdAt, handle: h, id });
    }
    const destroyed = new Map<number, number>();
    for (const h of this.#find([
      { type: p11.CKA_CLASS, value: p11.CKO_DATA },
      { type: p11.CKA_APPLICATION, value: 'verity' },
      { type: p11.CKA_TOKEN, value: true },
    ])) {
      const version = this.#parseKekLabel(this.#label(h));
      if (version === undefined) continue;
      const value = this.#call(
        'C_GetAttributeValue',
        (mod) => mod.C_GetAttributeValue(this.#session, h, [{ type: p11.CKA_VALUE }])[0]?.value,
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
      this.#call('C_GenerateKey', (mod, p11) =>
        mod.C_GenerateKey(this.#session, { mechanism: p11.CKM_AES_KEY_GEN }, [
          { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
          { type: p11.CKA_KEY_TYPE, value: p11.CKK_AES },
          { type: p11.CKA_VALUE_LEN, value: 32 },
          ...this.#kept(),
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
        this.#call('C_DestroyObject', (mod) => mod.C_DestroyObject(this.#session, h));
      this.#scan();
    }
  }

  /** The attributes of every secret this store keeps: a token object, behind the PIN, never readable or exportable. */
  #kept(): { type: number; value: boolean }[] {
    const p11 = this.#l.p11;
    return [
      { type: p11.CKA_TOKEN, value: true },
      { type: p11.CKA_PRIVATE, value: true },
      { type: p11.CKA_SENSITIVE, value: true },
      { type: p11.CKA_EXTRACTABLE, value: false },
    ];
  }

  #kekTemplate(version: number) {
    const p11 = this.#l.p11;
    return [
      { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
      { type: p11.CKA_TOKEN, value: true },
      { type: p11.CKA_LABEL, value: this.#kekLabel(version) },
    ];
  }

  #findKekById(id: Buffer): Handle[] {
    const p11 = this.#l.p11;
    return this.#find([
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
        for (const h of this.#find(this.#kekTemplate(version)))
          this.#call('C_DestroyObject', (mod) => mod.C_DestroyObject(this.#session, h));
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
    this.#call('C_CreateObject', (mod, p11) =>
      mod.C_CreateObject(this.#session, [
        { type: p11.CKA_CLASS, value: p11.CKO_DATA },
        { type: p11.CKA_TOKEN, value: true },
        { type: p11.CKA_PRIVATE, value: true },
        { type: p11.CKA_APPLICATION, value: 'verity' },
        { type: p11.CKA_LABEL, value: this.#kekLabel(k.version) },
        { type: p11.CKA_VALUE, value: Buffer.from(`destroyed:${k.createdAt}`) },
      ]),
    );
    for (const h of this.#findKekById(k.id))
      this.#call('C_DestroyObject', (mod) => mod.C_DestroyObject(this.#session, h));
    this.#scan();
  }

  #gcm(iv: Buffer, aad: Uint8Array) {
    const p11 = this.#l.p11;
    return {
      mechanism: p11.CKM_AES_GCM,
      parameter: { type: p11.CK_PARAMS_AES_GCM, iv, aad: Buffer.from(aad), ivBits: IV * 8, tagBits: TAG * 8 },
    };
  }

  #aad(version: number, context: Uint8Array): Uint8Array {
    return kekWrapAad(version, context);
  }

  generateDataKey(context: Uint8Array): Promise<{ key: Uint8Array; wrapped: WrappedKey }> {
    return freshDataKey((key) => this.wrapKey(key, context));
  }

  async wrapKey(key: Uint8Array, context: Uint8Array): Promise<WrappedKey> {
    this.#checkOpen();
    if (key.byteLength !== 32) throw new RangeError('a data key has 32 bytes');
    // Still current unless a next version exists (another instance rotated): one exact-label
    // lookup instead of a scan of every object.
    const cached = this.#keks.at(-1);
    if (cached === undefined || this.#find(this.#kekTemplate(cached.version + 1)).length > 0) this.#scan();
    const kek = this.#current();
    // A random 96-bit IV per wrap, as in the software store: rotate the KEK well before 2^32 wraps.
    const iv = randomBytes(IV);
    const ct = this.#call('C_Encrypt', (mod) => {
      mod.C_EncryptInit(this.#session, this.#gcm(iv, this.#aad(kek.version, context)), kek.handle);
      return mod.C_Encrypt(this.#session, Buffer.from(key), Buffer.alloc(32 + TAG));
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
    this.#checkOpen();
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
      const { mod } = this.#l;
      mod.C_DecryptInit(this.#session, this.#gcm(iv, this.#aad(k.version, context)), k.handle);
      return new Uint8Array(mod.C_Decrypt(this.#session, Buffer.from(b.subarray(1 + IV)), Buffer.alloc(32 + TAG)));
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

  /** The single object of `cls` labelled `label`, the lowest CKA_ID of several (two processes creating it at once). */
  #named(cls: number, label: string): Handle | undefined {
    const p11 = this.#l.p11;
    const hs = this.#find([
      { type: p11.CKA_CLASS, value: cls },
      { type: p11.CKA_TOKEN, value: true },
      { type: p11.CKA_LABEL, value: label },
    ]);
    if (hs.length <= 1) return hs[0];
    return hs.map((h) => ({ h, id: this.#id(h) })).sort((a, b) => Buffer.compare(a.id, b.id))[0]?.h;
  }

  #loadSigner(name: string): { key: Handle; publicKey: Uint8Array } | undefined {
    const p11 = this.#l.p11;
    const label = `${this.#ns}/sign/${name}`;
    const key = this.#named(p11.CKO_PRIVATE_KEY, label);
    if (key === undefined) return undefined;
    const id = this.#id(key);
    const pub = this.#find([
      { type: p11.CKA_CLASS, value: p11.CKO_PUBLIC_KEY },
      { type: p11.CKA_LABEL, value: label },
      { type: p11.CKA_ID, value: id },
    ])[0];
    if (pub === undefined)
      throw new KeyError(
        'VERITY_E_KEYSTORE_CORRUPT',
        `the public half of signing key ${quote(name)} is missing from the token`,
      );
    const point = this.#call(
      'C_GetAttributeValue',
      (mod) => mod.C_GetAttributeValue(this.#session, pub, [{ type: p11.CKA_EC_POINT }])[0]?.value,
    );
    // CKA_EC_POINT of an Edwards key: the DER OCTET STRING (04 20) of the 32-byte key; some
    // tokens give the raw 32 bytes.
    let raw: Buffer | undefined;
    if (Buffer.isBuffer(point) && point.length === 34 && point[0] === 0x04 && point[1] === 0x20)
      raw = point.subarray(2);
    else if (Buffer.isBuffer(point) && point.length === 32) raw = point;
    if (raw === undefined)
      throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', `signing key ${quote(name)} in the token is not an Ed25519 key`);
    const s = { key, publicKey: new Uint8Array(raw) };
    this.#signers.set(name, s);
    return s;
  }

  async ensureSigningKey(name: string): Promise<Uint8Array> {
    checkName(name);
    this.#checkOpen();
    const have = this.#signers.get(name) ?? this.#loadSigner(name);
    if (have !== undefined) return new Uint8Array(have.publicKey);
    const label = `${this.#ns}/sign/${name}`;
    const id = randomBytes(16);
    this.#call('C_GenerateKeyPair', (mod, p11) =>
      mod.C_GenerateKeyPair(
        this.#session,
        { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN },
        [
          { type: p11.CKA_TOKEN, value: true },
          { type: p11.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
          { type: p11.CKA_EC_PARAMS, value: ED25519_PARAMS },
          { type: p11.CKA_VERIFY, value: true },
          { type: p11.CKA_LABEL, value: label },
          { type: p11.CKA_ID, value: id },
        ],
        [
          ...this.#kept(),
          { type: p11.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
          { type: p11.CKA_SIGN, value: true },
          { type: p11.CKA_LABEL, value: label },
          { type: p11.CKA_ID, value: id },
        ],
      ),
    );
    return new Uint8Array((this.#loadSigner(name) as { publicKey: Uint8Array }).publicKey);
  }

  async sign(name: string, message: Uint8Array): Promise<Uint8Array> {
    this.#checkOpen();
    const s = this.#signers.get(name) ?? this.#loadSigner(name);
    if (s === undefined) throw new KeyError('VERITY_E_KEY_NOT_FOUND', `there is no signing key ${quote(name)}`);
    return this.#call('C_Sign', (mod) => {
      mod.C_SignInit(this.#session, { mechanism: CKM_EDDSA }, s.key);
      return new Uint8Array(mod.C_Sign(this.#session, Buffer.from(message), Buffer.alloc(64)));
    });
  }

  #loadMac(name: string): Handle | undefined {
    const h = this.#named(this.#l.p11.CKO_SECRET_KEY, `${this.#ns}/mac/${name}`);
    if (h !== undefined) this.#macs.set(name, h);
    return h;
  }

  async ensureMacKey(name: string): Promise<void> {
    checkName(name);
    this.#checkOpen();
    if ((this.#macs.get(name) ?? this.#loadMac(name)) !== undefined) return;
    this.#call('C_GenerateKey', (mod, p11) =>
      mod.C_GenerateKey(this.#session, { mechanism: p11.CKM_GENERIC_SECRET_KEY_GEN }, [
        { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
        { type: p11.CKA_KEY_TYPE, value: p11.CKK_GENERIC_SECRET },
        { type: p11.CKA_VALUE_LEN, value: 32 },
        ...this.#kept(),
        { type: p11.CKA_SIGN, value: true },
        { type: p11.CKA_VERIFY, value: true },
        { type: p11.CKA_LABEL, value: `${this.#ns}/mac/${name}` },
        { type: p11.CKA_ID, value: randomBytes(16) },
      ]),
    );
    this.#loadMac(name);
  }

  async mac(name: string, data: Uint8Array): Promise<Uint8Array> {
    this.#checkOpen();
    const h = this.#macs.get(name) ?? this.#loadMac(name);
    if (h === undefined) throw new KeyError('VERITY_E_KEY_NOT_FOUND', `there is no MAC key ${quote(name)}`);
    return this.#call('C_Sign', (mod, p11) => {
      mod.C_SignInit(this.#session, { mechanism: p11.CKM_SHA256_HMAC }, h);
      return new Uint8Array(mod.C_Sign(this.#session, Buffer.from(data), Buffer.alloc(32)));
    });
  }

  /** The names of the signing keys (with their public keys) and MAC keys of this store in the token. */
  async namedKeys(): Promise<{ signing: { name: string; publicKey: Uint8Array }[]; mac: string[] }> {
    const p11 = this.#l.p11;
    const names = (cls: number, kind: string) => {
      const prefix = `${this.#ns}/${kind}/`;
      const out = new Set<string>();
      for (const h of this.#find([
        { type: p11.CKA_CLASS, value: cls },
        { type: p11.CKA_TOKEN, value: true },
      ])) {
        const l = this.#label(h);
        if (l.startsWith(prefix) && NAME_RE.test(l.slice(prefix.length))) out.add(l.slice(prefix.length));
      }
      return [...out].sort();
    };
    const signing = names(p11.CKO_PRIVATE_KEY, 'sign').map((name) => ({
      name,
      publicKey: (this.#loadSigner(name) as { publicKey: Uint8Array }).publicKey,
    }));
    return { signing, mac: names(p11.CKO_SECRET_KEY, 'mac') };
  }

  /**
   * Imports named signing and MAC keys from a software key store (`verity keys migrate`), as
   * sensitive, non-extractable token objects; keys of the same name already here must be the same
   * keys. Each is checked after import: a signature verifies under the given public key, a MAC
   * equals the one computed with the given key.
   */
  async importNamedKeys(keys: NamedKeys): Promise<void> {
    this.#checkOpen();
    const p11 = this.#l.p11;
    const probe = utf8Probe();
    for (const k of keys.signing) {
      checkName(k.name);
      if (k.seed.byteLength !== 32 || k.publicKey.byteLength !== 32)
        throw new RangeError('an Ed25519 key has 32 bytes');
      const label = `${this.#ns}/sign/${k.name}`;
      if ((this.#signers.get(k.name) ?? this.#loadSigner(k.name)) === undefined) {
        const id = randomBytes(16);
        this.#call('C_CreateObject', (mod) => {
          mod.C_CreateObject(this.#session, [
            { type: p11.CKA_CLASS, value: p11.CKO_PUBLIC_KEY },
            { type: p11.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
            { type: p11.CKA_TOKEN, value: true },
            { type: p11.CKA_EC_PARAMS, value: ED25519_PARAMS },
            { type: p11.CKA_EC_POINT, value: Buffer.concat([Buffer.from([0x04, 0x20]), k.publicKey]) },
            { type: p11.CKA_VERIFY, value: true },
            { type: p11.CKA_LABEL, value: label },
            { type: p11.CKA_ID, value: id },
          ]);
          mod.C_CreateObject(this.#session, [
            { type: p11.CKA_CLASS, value: p11.CKO_PRIVATE_KEY },
            { type: p11.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
            ...this.#kept(),
            { type: p11.CKA_SIGN, value: true },
            { type: p11.CKA_EC_PARAMS, value: ED25519_PARAMS },
            { type: p11.CKA_VALUE, value: Buffer.from(k.seed) },
            { type: p11.CKA_LABEL, value: label },
            { type: p11.CKA_ID, value: id },
          ]);
        });
      }
      const s = this.#loadSigner(k.name) as { publicKey: Uint8Array };
      const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(k.publicKey) }, format: 'jwk' });
      if (!timingSafeEqual(s.publicKey, k.publicKey) || !verify(null, probe, pub, await this.sign(k.name, probe)))
        throw new KeyError('VERITY_E_KEY_IN_USE', `the token holds another signing key named ${quote(k.name)}`);
    }
    for (const k of keys.mac) {
      checkName(k.name);
      if (k.key.byteLength !== 32) throw new RangeError('a MAC key has 32 bytes');
      if ((this.#macs.get(k.name) ?? this.#loadMac(k.name)) === undefined) {
        this.#call('C_CreateObject', (mod) =>
          mod.C_CreateObject(this.#session, [
            { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
            { type: p11.CKA_KEY_TYPE, value: p11.CKK_GENERIC_SECRET },
            ...this.#kept(),
            { type: p11.CKA_SIGN, value: true },
            { type: p11.CKA_VERIFY, value: true },
            { type: p11.CKA_VALUE, value: Buffer.from(k.key) },
            { type: p11.CKA_LABEL, value: `${this.#ns}/mac/${k.name}` },
            { type: p11.CKA_ID, value: randomBytes(16) },
          ]),
        );
      }
      const want = createHmac('sha256', k.key).update(probe).digest();
      if (!timingSafeEqual(await this.mac(k.name, probe), want))
        throw new KeyError('VERITY_E_KEY_IN_USE', `the token holds another MAC key named ${quote(k.name)}`);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#l.mod.C_CloseSession(this.#session);
    } catch {
      // Closing a session on a token that went away: nothing left to release.
    } finally {
      unload(this.#path, this.#l);
    }
  }
}
