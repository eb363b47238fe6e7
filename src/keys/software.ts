import {
  createHmac,
  createPrivateKey,
  createSecretKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { getPublicKey, utils as secp256k1, signAsync } from '@noble/secp256k1';
import { fromBase64, fromHex, toBase64, toHex } from '../encoding/index.ts';
import { open, seal } from '../envelope/index.ts';
import { ConfigError, isVerityError, KeyError, quote } from '../errors/index.ts';
import {
  DEFAULT_KDF,
  deriveFileKey,
  type KdfParams,
  type KekRecord,
  type KeyFileHeader,
  type KeySecret,
  keyFileTime,
  type Material,
  newHeader,
  readKeyFile,
  unsealMaterial,
  withKeyFileLock,
  writeKeyFile,
} from './key-file.ts';
import type { KekInfo, KeyStore, NamedKeys, WrappedKey } from './types.ts';
import { freshDataKey, kekWrapAad } from './wrap.ts';

export type { KdfParams, KeySecret } from './key-file.ts';
export { DEFAULT_KDF } from './key-file.ts';

export interface SoftwareKeyStoreOptions {
  readonly kdf?: KdfParams;
  readonly now?: () => number;
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name))
    throw new RangeError(`key name ${quote(name)} must match ${NAME_RE}`);
}

/** For a promise whose outcome does not matter, only that it settled. */
const NOTHING = (): void => {};

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
  readonly #header: KeyFileHeader;
  readonly #now: () => number;
  #material: Material;
  #mtime = 0;
  #checking: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #keks = new Map<number, Uint8Array>();
  #signers = new Map<string, { key: KeyObject; publicKey: Uint8Array }>();
  #macs = new Map<string, KeyObject>();
  #closed = false;

  private constructor(path: string, fileKey: Uint8Array, header: KeyFileHeader, material: Material, now: () => number) {
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
    const header = newHeader(secret, options.kdf ?? DEFAULT_KDF);
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
    // The time before the content, as in #reload (D355); a missing file is reported by readKeyFile
    // (0 reads as changed at the first check).
    const time = await keyFileTime(path).catch(() => 0);
    const { sealed: _, ...header } = await readKeyFile(path);
    const fileKey = deriveFileKey(secret, header.kdf);
    const material = unsealMaterial(fileKey, { ...header, sealed: _ }, true);
    const ks = new SoftwareKeyStore(path, fileKey, header, material, options.now ?? Date.now);
    ks.#mtime = time;
    return ks;
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

  /** Writes the file, after a #reload under the lock (whose time it must end after, D355). */
  async #write(): Promise<void> {
    this.#mtime = await writeKeyFile(
      this.#path,
      this.#fileKey,
      this.#header,
      this.#material,
      this.#mtime === 0 ? undefined : this.#mtime,
    );
  }

  async #reload(): Promise<void> {
    // The time before the content: a change landing between the two is read again at the next
    // check, never missed (D355).
    const time = await keyFileTime(this.#path);
    this.#material = unsealMaterial(this.#fileKey, await readKeyFile(this.#path), false);
    this.#index();
    this.#mtime = time;
  }

  /**
   * Reloads when another process changed the file since we last read or wrote it. Calls made while a
   * check runs share the next one: only a check started after a call surely sees a change before it (D343).
   */
  #refresh(): Promise<void> {
    const running = this.#checking;
    if (running === undefined) return this.#check();
    this.#queued ??= running.then(NOTHING, NOTHING).then(() => {
      this.#queued = undefined;
      return this.#check();
    });
    return this.#queued;
  }

  #check(): Promise<void> {
    const p = keyFileTime(this.#path).then((t) => (t === this.#mtime ? undefined : this.#reload()));
    const done = () => {
      if (this.#checking === p) this.#checking = undefined;
    };
    p.then(done, done);
    this.#checking = p;
    return p;
  }

  /** Runs a change under an exclusive lock file, on the latest file content, and writes it. */
  async #mutate<T>(fn: (m: Material) => T): Promise<T> {
    this.#checkOpen();
    return withKeyFileLock(this.#path, async () => {
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
    });
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
   * The named signing, MAC and EVM keys in plaintext, for `verity keys migrate` into an HSM only;
   * the caller wipes them once imported (`wipeNamedKeys`).
   */
  async exportNamedKeys(): Promise<NamedKeys> {
    this.#checkOpen();
    await this.#refresh();
    const signing = Object.entries(this.#material.signing).map(([name, s]) => {
      const der = fromBase64(s.privateKey);
      // PKCS#8 of an Ed25519 key (RFC 8410): 16 bytes of header, then the 32-byte seed.
      if (der.byteLength !== 48)
        throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', `signing key ${quote(name)} is not Ed25519`);
      return { name, seed: der.subarray(16), publicKey: fromBase64(s.publicKey) };
    });
    const mac = Object.entries(this.#material.mac).map(([name, k]) => ({ name, key: fromBase64(k) }));
    const evm = Object.entries(this.#material.evm ?? {}).map(([name, hex]) => {
      const secretKey = fromHex(hex);
      if (secretKey.byteLength !== 32 || !secp256k1.isValidSecretKey(secretKey))
        throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', `EVM key ${quote(name)} is not a secp256k1 key`);
      return { name, secretKey, publicKey: getPublicKey(secretKey, false) };
    });
    return { signing, mac, evm };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const k of this.#keks.values()) k.fill(0);
    this.#keks.clear();
    this.#fileKey.fill(0);
  }
}
