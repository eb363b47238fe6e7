// The MLS client's storage in browsers (FGMV-46 7.2.1, D176): IndexedDB, every value encrypted
// with AES-256-GCM under a WebCrypto key made non-extractable and kept in IndexedDB itself as a
// CryptoKey (browsers store such a key without ever exposing its bytes to script), and every
// entry's name replaced by an HMAC-SHA-256 of it under a second non-extractable key, so the
// database holds neither key material, group state nor group ids in the clear. The name is also
// the AEAD's associated data: a value moved to another entry does not decrypt.
// Only for browsers (Node.js has no IndexedDB); the types below are the few IndexedDB members used,
// so the SDK builds without the DOM library.
import { VerityError } from '../errors/index.ts';
import type { MlsStorage } from './mls-state.ts';

interface IdbRequest<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
}
interface IdbObjectStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key: string): IdbRequest<unknown>;
  delete(key: string): IdbRequest<unknown>;
}
interface IdbTransaction {
  objectStore(name: string): IdbObjectStore;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  error: unknown;
}
interface IdbDatabase {
  objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(stores: string, mode: 'readonly' | 'readwrite'): IdbTransaction;
  close(): void;
}
interface IdbFactory {
  open(name: string, version?: number): IdbOpenRequest;
}

/** WebCrypto's key type, as the platform's typings name it. */
type CryptoKey = Parameters<typeof crypto.subtle.encrypt>[1];

const STORE_KEYS = 'keys';
const STORE_DATA = 'data';
const IV_BYTES = 12;
const text = new TextEncoder();

function done<T>(r: IdbRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function committed(tx: IdbTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * An `MlsStorage` in the browser's IndexedDB whose contents are encrypted under a non-extractable
 * WebCrypto key kept in the same database.
 *
 * @example
 * ```ts
 * const storage = await IndexedDbMlsStorage.open();
 * const client = await MlsClient.open({ url, token, storage, verifierKey });
 * ```
 */
export class IndexedDbMlsStorage implements MlsStorage {
  readonly #db: IdbDatabase;
  readonly #aead: CryptoKey;
  readonly #names: CryptoKey;

  private constructor(db: IdbDatabase, aead: CryptoKey, names: CryptoKey) {
    this.#db = db;
    this.#aead = aead;
    this.#names = names;
  }

  /**
   * Opens (or creates) the database `name`: its wrapping keys are made on first use, non-extractable,
   * and read back as CryptoKeys afterwards.
   */
  static async open(name = 'verity-mls'): Promise<IndexedDbMlsStorage> {
    const factory = (globalThis as unknown as { indexedDB?: IdbFactory }).indexedDB;
    if (factory === undefined) throw new TypeError('IndexedDB is not available here; use another MlsStorage');
    const req = factory.open(name, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORE_KEYS)) db.createObjectStore(STORE_KEYS);
      if (!db.objectStoreNames.contains(STORE_DATA)) db.createObjectStore(STORE_DATA);
    };
    const db = await done(req);
    const read = db.transaction(STORE_KEYS, 'readonly').objectStore(STORE_KEYS);
    let aead = (await done(read.get('aead'))) as CryptoKey | undefined;
    let names = (await done(db.transaction(STORE_KEYS, 'readonly').objectStore(STORE_KEYS).get('names'))) as
      | CryptoKey
      | undefined;
    if (aead === undefined || names === undefined) {
      // INVARIANT: extractable false: no script, this one included, can read the keys' bytes.
      aead = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      names = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      const tx = db.transaction(STORE_KEYS, 'readwrite');
      tx.objectStore(STORE_KEYS).put(aead, 'aead');
      tx.objectStore(STORE_KEYS).put(names, 'names');
      await committed(tx);
    }
    return new IndexedDbMlsStorage(db, aead, names);
  }

  async #row(key: string): Promise<string> {
    return hex(await crypto.subtle.sign('HMAC', this.#names, text.encode(key)));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const row = await this.#row(key);
    const stored = (await done(this.#db.transaction(STORE_DATA, 'readonly').objectStore(STORE_DATA).get(row))) as
      | Uint8Array
      | undefined;
    if (stored === undefined) return undefined;
    if (!(stored instanceof Uint8Array) || stored.length < IV_BYTES + 16)
      throw new VerityError('VERITY_E_MLS_MESSAGE_INVALID', 'a stored MLS state entry is corrupt');
    try {
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: stored.subarray(0, IV_BYTES), additionalData: text.encode(key) },
        this.#aead,
        stored.subarray(IV_BYTES),
      );
      return new Uint8Array(plain);
    } catch {
      throw new VerityError(
        'VERITY_E_MLS_MESSAGE_INVALID',
        'a stored MLS state entry does not decrypt: it was altered, or moved from another entry',
      );
    }
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const ct = new Uint8Array(
      await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: text.encode(key) }, this.#aead, value.slice()),
    );
    const stored = new Uint8Array(IV_BYTES + ct.length);
    stored.set(iv);
    stored.set(ct, IV_BYTES);
    const row = await this.#row(key);
    const tx = this.#db.transaction(STORE_DATA, 'readwrite');
    tx.objectStore(STORE_DATA).put(stored, row);
    await committed(tx);
  }

  async delete(key: string): Promise<void> {
    const row = await this.#row(key);
    const tx = this.#db.transaction(STORE_DATA, 'readwrite');
    tx.objectStore(STORE_DATA).delete(row);
    await committed(tx);
  }

  /** Closes the database. */
  close(): void {
    this.#db.close();
  }
}
