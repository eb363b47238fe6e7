import {
  createHmac,
  createPrivateKey,
  createSecretKey,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
  scryptSync,
  sign,
} from 'node:crypto';
import { open as fsOpen, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { getPublicKey, utils as secp256k1, signAsync } from '@noble/secp256k1';
import { fromBase64, fromHex, parseJson, toBase64, toHex, utf8 } from '../encoding/index.ts';
import { bindAad, open, seal } from '../envelope/index.ts';
import { ConfigError, isVerityError, KeyError, quote } from '../errors/index.ts';
import type { KekInfo, KekState, KeyStore, NamedKeys, WrappedKey } from './types.ts';
import { freshDataKey, kekWrapAad } from './wrap.ts';

/** Where the key store's secret comes from (the CLI reads it from the environment). */
export type KeySecret = { readonly passphrase: string } | { readonly masterKey: Uint8Array };

/** scrypt parameters; stored in the key file so that it opens with the cost it was made with. */
export interface KdfParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** Default scrypt cost: 2^15 * 8 * 128 bytes = 32 MiB of memory, about 0.1 s on a server core. */
export const DEFAULT_KDF: KdfParams = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });

export interface SoftwareKeyStoreOptions {
  readonly kdf?: KdfParams;
  readonly now?: () => number;
}

const FORMAT = 'verity-keystore/1';
const MAX_FILE = 1024 * 1024;
const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const LOCK_STALE_MS = 30_000;

interface KekRecord {
  version: number;
  state: KekState;
  createdAt: number;
  key: string | null;
}

interface Material {
  keks: KekRecord[];
  signing: Record<string, { privateKey: string; publicKey: string }>;
  mac: Record<string, string>;
  /** secp256k1 private keys (hex) of EVM accounts, by name; absent in key files made before them. */
  evm?: Record<string, string>;
}

interface FileHeader {
  format: typeof FORMAT;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string } | { name: 'hkdf'; salt: string };
  sealed: string;
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name))
    throw new RangeError(`key name ${quote(name)} must match ${NAME_RE}`);
}

function headerAad(h: Omit<FileHeader, 'sealed'>): Uint8Array {
  return bindAad('verity/keystore/v1', [h.format, JSON.stringify(h.kdf)]);
}

function deriveFileKey(secret: KeySecret, kdf: FileHeader['kdf']): Uint8Array {
  const salt = fromBase64(kdf.salt, 'key file salt');
  if ('passphrase' in secret) {
    if (kdf.name !== 'scrypt')
      throw new KeyError(
        'VERITY_E_KEY_PASSPHRASE',
        'this key store is opened with a key file, not a passphrase; set VERITY_KEY_FILE',
      );
    if (typeof secret.passphrase !== 'string' || secret.passphrase.length === 0)
      throw new KeyError('VERITY_E_KEY_PASSPHRASE', 'the passphrase is empty');
    const { N, r, p } = kdf;
    if (
      ![N, r, p].every(Number.isSafeInteger) ||
      N < 2 ||
      N > 2 ** 22 ||
      (N & (N - 1)) !== 0 ||
      r < 1 ||
      r > 32 ||
      p < 1 ||
      p > 16
    ) {
      throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', 'the key file has unusable scrypt parameters');
    }
    return new Uint8Array(
      scryptSync(secret.passphrase.normalize('NFC'), salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }),
    );
  }
  if (kdf.name !== 'hkdf')
    throw new KeyError(
      'VERITY_E_KEY_PASSPHRASE',
      'this key store is opened with a passphrase, not a key file; set VERITY_PASSPHRASE',
    );
  if (!(secret.masterKey instanceof Uint8Array) || secret.masterKey.byteLength !== 32)
    throw new RangeError('a master key has 32 bytes');
  return new Uint8Array(hkdfSync('sha256', secret.masterKey, salt, 'verity/keystore-file/v1', 32));
}

/**
 * A key store in one file, sealed with AES-256-GCM under a key derived from a passphrase (scrypt)
 * or a master key file (HKDF). Suits one machine or a few processes sharing a file; the PKCS#11
 * store keeps keys in hardware instead.
 *
 * Destroying a KEK removes it from the file, but copies of the file made earlier (backups) still
 * hold it: do not back the key file up together with the data, or crypto-shredding is undone.
 */
export class SoftwareKeyStore implements KeyStore {
  readonly kind = 'software';
  readonly #path: string;
  readonly #fileKey: Uint8Array;
  readonly #header: Omit<FileHeader, 'sealed'>;
  readonly #now: () => number;
  #material: Material;
  #mtime = 0;
  #keks = new Map<number, Uint8Array>();
  #signers = new Map<string, { key: KeyObject; publicKey: Uint8Array }>();
  #macs = new Map<string, KeyObject>();
  #closed = false;

  private constructor(
    path: string,
    fileKey: Uint8Array,
    header: Omit<FileHeader, 'sealed'>,
    material: Material,
    now: () => number,
  ) {
    this.#path = path;
    this.#fileKey = fileKey;
    this.#header = header;
    this.#material = material;
    this.#now = now;
    this.#index();
  }

  /** Creates a new key file with KEK version 1. Refuses to overwrite an existing file. */
  static async create(
    path: string,
    secret: KeySecret,
    options: SoftwareKeyStoreOptions = {},
  ): Promise<SoftwareKeyStore> {
    const now = options.now ?? Date.now;
    const salt = toBase64(randomBytes(16));
    const kdf = options.kdf ?? DEFAULT_KDF;
    const header: Omit<FileHeader, 'sealed'> = {
      format: FORMAT,
      kdf: 'passphrase' in secret ? { name: 'scrypt', N: kdf.N, r: kdf.r, p: kdf.p, salt } : { name: 'hkdf', salt },
    };
    const fileKey = deriveFileKey(secret, header.kdf);
    const material: Material = {
      keks: [{ version: 1, state: 'active', createdAt: now(), key: toBase64(randomBytes(32)) }],
      signing: {},
      mac: {},
    };
    const ks = new SoftwareKeyStore(path, fileKey, header, material, now);
    try {
      await stat(path);
      throw new ConfigError(
        'VERITY_E_CONFIG_INVALID',
        `key file ${quote(path)} exists already; refusing to overwrite keys`,
      );
    } catch (e) {
      if (isVerityError(e)) throw e;
    }
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await ks.#write();
    return ks;
  }

  /** Opens an existing key file. */
  static async open(
    path: string,
    secret: KeySecret,
    options: Pick<SoftwareKeyStoreOptions, 'now'> = {},
  ): Promise<SoftwareKeyStore> {
    const header = await SoftwareKeyStore.#readHeader(path);
    const { sealed, ...h } = header;
    const fileKey = deriveFileKey(secret, h.kdf);
    const material = SoftwareKeyStore.#unseal(fileKey, header, true);
    const ks = new SoftwareKeyStore(path, fileKey, h, material, options.now ?? Date.now);
    ks.#mtime = (await stat(path)).mtimeMs;
    return ks;
  }

  static async #readHeader(path: string): Promise<FileHeader> {
    let text: string;
    try {
      const st = await stat(path);
      if (st.size > MAX_FILE) throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', 'the key file is too large');
      text = await readFile(path, 'utf8');
    } catch (cause) {
      if (isVerityError(cause)) throw cause;
      throw new KeyError('VERITY_E_KEY_NOT_FOUND', `cannot read key file ${quote(path)}; run \`verity init\` first`, {
        cause,
      });
    }
    let h: FileHeader;
    try {
      h = parseJson(text, { maxBytes: MAX_FILE, maxDepth: 4 }, 'key file') as unknown as FileHeader;
    } catch (cause) {
      throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', 'the key file is not valid JSON; restore it from a safe copy', {
        cause,
      });
    }
    const kdfOk = h?.kdf?.name === 'scrypt' || h?.kdf?.name === 'hkdf';
    if (h?.format !== FORMAT || !kdfOk || typeof h.kdf.salt !== 'string' || typeof h.sealed !== 'string') {
      throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', `the key file is not a ${FORMAT} file`);
    }
    return h;
  }

  static #unseal(fileKey: Uint8Array, header: FileHeader, firstOpen: boolean): Material {
    const { sealed, ...h } = header;
    let plain: Uint8Array;
    try {
      plain = open(fileKey, fromBase64(sealed, 'sealed keys'), headerAad(h));
    } catch (cause) {
      // With a wrong secret and an intact file the two cases look the same; say both.
      throw new KeyError(
        firstOpen ? 'VERITY_E_KEY_PASSPHRASE' : 'VERITY_E_KEYSTORE_CORRUPT',
        firstOpen
          ? 'the passphrase or key file does not open the key store (or the key file was altered); check the secret'
          : 'the key file was altered; restore it from a safe copy',
        { cause },
      );
    }
    const m = JSON.parse(new TextDecoder().decode(plain)) as Material;
    plain.fill(0);
    if (!Array.isArray(m.keks) || typeof m.signing !== 'object' || typeof m.mac !== 'object')
      throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', 'the key file content is not valid');
    return m;
  }

  #index(): void {
    for (const k of this.#keks.values()) k.fill(0);
    this.#keks = new Map();
    for (const k of this.#material.keks) if (k.key !== null) this.#keks.set(k.version, fromBase64(k.key));
    for (const [name, s] of Object.entries(this.#material.signing)) {
      if (!this.#signers.has(name)) {
        this.#signers.set(name, {
          key: createPrivateKey({ key: Buffer.from(s.privateKey, 'base64'), format: 'der', type: 'pkcs8' }),
          publicKey: fromBase64(s.publicKey),
        });
      }
    }
    for (const [name, k] of Object.entries(this.#material.mac))
      if (!this.#macs.has(name)) this.#macs.set(name, createSecretKey(fromBase64(k)));
  }

  async #write(): Promise<void> {
    const plain = utf8(JSON.stringify(this.#material));
    const sealed = toBase64(seal(this.#fileKey, plain, headerAad(this.#header)));
    plain.fill(0);
    const text = `${JSON.stringify({ ...this.#header, sealed } satisfies FileHeader, null, 2)}\n`;
    const tmp = `${this.#path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
    const fh = await fsOpen(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.#path);
    // Make the rename itself durable.
    const dir = await fsOpen(dirname(this.#path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    this.#mtime = (await stat(this.#path)).mtimeMs;
  }

  async #reload(): Promise<void> {
    const header = await SoftwareKeyStore.#readHeader(this.#path);
    this.#material = SoftwareKeyStore.#unseal(this.#fileKey, header, false);
    this.#index();
    this.#mtime = (await stat(this.#path)).mtimeMs;
  }

  /** Reloads when another process changed the file since we last read or wrote it. */
  async #refresh(): Promise<void> {
    const m = (await stat(this.#path)).mtimeMs;
    if (m !== this.#mtime) await this.#reload();
  }

  /** Runs a change under an exclusive lock file, on the latest file content, and writes it. */
  async #mutate<T>(fn: (m: Material) => T): Promise<T> {
    this.#checkOpen();
    const lock = join(dirname(this.#path), `.${this.#path.split('/').pop()}.lock`);
    const deadline = Date.now() + LOCK_STALE_MS;
    for (;;) {
      try {
        await writeFile(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const st = await stat(lock).catch(() => undefined);
        if (st !== undefined && Date.now() - st.mtimeMs > LOCK_STALE_MS) await rm(lock, { force: true });
        if (Date.now() > deadline)
          throw new KeyError(
            'VERITY_E_KEY_IN_USE',
            `the key file is locked by another process (${quote(lock)}); retry`,
          );
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
      }
    }
    try {
      await this.#reload();
      const before = JSON.stringify(this.#material);
      const result = fn(this.#material);
      // Index at once: callers awaiting other operations meanwhile must see keys and material agree.
      this.#index();
      try {
        await this.#write();
      } catch (e) {
        this.#material = JSON.parse(before) as Material;
        this.#index();
        throw e;
      }
      return result;
    } finally {
      await rm(lock, { force: true });
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new KeyError('VERITY_E_CLOSED', 'the key store is closed');
  }

  #current(): KekRecord {
    const k = this.#material.keks.find((x) => x.state === 'active');
    if (k === undefined)
      throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', 'the key store has no active key-encryption key');
    return k;
  }

  async currentKekVersion(): Promise<number> {
    this.#checkOpen();
    await this.#refresh();
    return this.#current().version;
  }

  async listKeks(): Promise<readonly KekInfo[]> {
    this.#checkOpen();
    await this.#refresh();
    return this.#material.keks.map((k) => ({ version: k.version, state: k.state, createdAt: k.createdAt }));
  }

  async rotateKek(): Promise<number> {
    return this.#mutate((m) => {
      const version = Math.max(...m.keks.map((k) => k.version)) + 1;
      for (const k of m.keks) if (k.state === 'active') k.state = 'retired';
      m.keks.push({ version, state: 'active', createdAt: this.#now(), key: toBase64(randomBytes(32)) });
      return version;
    });
  }

  async destroyKek(version: number): Promise<void> {
    await this.#mutate((m) => {
      const k = m.keks.find((x) => x.version === version);
      if (k === undefined)
        throw new KeyError('VERITY_E_KEY_NOT_FOUND', `there is no key-encryption key version ${quote(version)}`);
      if (k.state === 'active')
        throw new KeyError(
          'VERITY_E_KEY_IN_USE',
          `key-encryption key ${version} is current; rotate before destroying it`,
        );
      k.state = 'destroyed';
      k.key = null;
    });
  }

  #wrapWith(version: number, key: Uint8Array, context: Uint8Array): WrappedKey {
    const kek = this.#keks.get(version) as Uint8Array;
    return {
      kekVersion: version,
      bytes: seal(kek, key, kekWrapAad(version, context)),
    };
  }

  generateDataKey(context: Uint8Array): Promise<{ key: Uint8Array; wrapped: WrappedKey }> {
    return freshDataKey((key) => this.wrapKey(key, context));
  }

  async wrapKey(key: Uint8Array, context: Uint8Array): Promise<WrappedKey> {
    this.#checkOpen();
    if (key.byteLength !== 32) throw new RangeError('a data key has 32 bytes');
    await this.#refresh();
    return this.#wrapWith(this.#current().version, key, context);
  }

  async unwrapKey(wrapped: WrappedKey, context: Uint8Array): Promise<Uint8Array> {
    this.#checkOpen();
    let rec = this.#material.keks.find((k) => k.version === wrapped.kekVersion);
    if (rec === undefined || rec.key === null) {
      // Another process may have rotated or destroyed keys since we read the file.
      await this.#reload();
      rec = this.#material.keks.find((k) => k.version === wrapped.kekVersion);
    }
    if (rec === undefined)
      throw new KeyError(
        'VERITY_E_KEY_NOT_FOUND',
        `there is no key-encryption key version ${quote(wrapped.kekVersion)}`,
      );
    const kek = this.#keks.get(rec.version);
    if (rec.state === 'destroyed' || kek === undefined) {
      throw new KeyError(
        'VERITY_E_KEY_DESTROYED',
        `key-encryption key ${rec.version} was destroyed; data wrapped under it is unrecoverable`,
      );
    }
    return open(kek, wrapped.bytes, kekWrapAad(rec.version, context));
  }

  async ensureSigningKey(name: string): Promise<Uint8Array> {
    checkName(name);
    this.#checkOpen();
    const have = this.#signers.get(name);
    if (have !== undefined) return new Uint8Array(have.publicKey);
    await this.#mutate((m) => {
      if (m.signing[name] !== undefined) return;
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      m.signing[name] = {
        privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
        publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64'),
      };
    });
    return new Uint8Array((this.#signers.get(name) as { publicKey: Uint8Array }).publicKey);
  }

  async sign(name: string, message: Uint8Array): Promise<Uint8Array> {
    const s = await this.#loaded(this.#signers, name, 'signing');
    return new Uint8Array(sign(null, message, s.key));
  }

  /** The key `name` of `keys` (signing or MAC), or VERITY_E_KEY_NOT_FOUND. */
  async #loaded<K>(keys: ReadonlyMap<string, K>, name: string, what: string): Promise<K> {
    this.#checkOpen();
    let k = keys.get(name);
    if (k === undefined) {
      // Another process may have created it since this one read the key file.
      await this.#refresh();
      k = keys.get(name);
    }
    if (k === undefined) throw new KeyError('VERITY_E_KEY_NOT_FOUND', `there is no ${what} key ${quote(name)}`);
    return k;
  }

  async ensureMacKey(name: string): Promise<void> {
    checkName(name);
    this.#checkOpen();
    if (this.#macs.has(name)) return;
    await this.#mutate((m) => {
      if (m.mac[name] === undefined) m.mac[name] = toBase64(randomBytes(32));
    });
  }

  async mac(name: string, data: Uint8Array): Promise<Uint8Array> {
    const k = await this.#loaded(this.#macs, name, 'MAC');
    return new Uint8Array(createHmac('sha256', k).update(data).digest());
  }

  async ensureEvmKey(name: string): Promise<Uint8Array> {
    checkName(name);
    this.#checkOpen();
    if (this.#material.evm?.[name] === undefined)
      await this.#mutate((m) => {
        m.evm ??= {};
        m.evm[name] ??= toHex(secp256k1.randomSecretKey());
      });
    const key = await this.#evmKey(name);
    try {
      return getPublicKey(key, false);
    } finally {
      key.fill(0);
    }
  }

  async #evmKey(name: string): Promise<Uint8Array> {
    this.#checkOpen();
    if (this.#material.evm?.[name] === undefined) await this.#refresh();
    const k = this.#material.evm?.[name];
    if (k === undefined) throw new KeyError('VERITY_E_KEY_NOT_FOUND', `there is no EVM key ${quote(name)}`);
    return fromHex(k);
  }

  async signEvmDigest(name: string, digest: Uint8Array): Promise<Uint8Array> {
    if (!(digest instanceof Uint8Array) || digest.byteLength !== 32) throw new RangeError('a digest has 32 bytes');
    const key = await this.#evmKey(name);
    try {
      // RFC 6979 deterministic ECDSA by @noble/secp256k1, on the digest as given (no second hash).
      return await signAsync(digest, key, { prehash: false });
    } finally {
      key.fill(0);
    }
  }

  /**
   * The named signing and MAC keys in plaintext, for `verity keys migrate` into an HSM only; the
   * caller wipes them once imported.
   */
  async exportNamedKeys(): Promise<NamedKeys> {
    this.#checkOpen();
    await this.#refresh();
    if (Object.keys(this.#material.evm ?? {}).length > 0)
      throw new KeyError(
        'VERITY_E_KEY_IN_USE',
        'the key file holds custodial wallets’ EVM keys, which migration does not carry yet',
      );
    const signing = Object.entries(this.#material.signing).map(([name, s]) => {
      const der = fromBase64(s.privateKey);
      // PKCS#8 of an Ed25519 key (RFC 8410): 16 bytes of header, then the 32-byte seed.
      if (der.byteLength !== 48)
        throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', `signing key ${quote(name)} is not Ed25519`);
      return { name, seed: der.subarray(16), publicKey: fromBase64(s.publicKey) };
    });
    const mac = Object.entries(this.#material.mac).map(([name, k]) => ({ name, key: fromBase64(k) }));
    return { signing, mac };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const k of this.#keks.values()) k.fill(0);
    this.#keks.clear();
    this.#fileKey.fill(0);
  }
}
