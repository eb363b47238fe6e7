// The MLS client's private state (FGMV-46 7.2.1): where it is kept (a storage the caller gives:
// memory, a file, a database, IndexedDB through mls-idb.ts) and the groups' states it holds, so a
// client restarts where it stopped.
import { type ClientState, decodeGroupState, encodeGroupState } from 'ts-mls';
import { defaultClientConfig } from 'ts-mls/clientConfig.js';
import { MlsError } from '../errors/index.ts';

/** Where the client keeps its private state: bytes by key (a file, a database, IndexedDB). */
export interface MlsStorage {
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
}

/** An in-memory `MlsStorage` (for tests, or a client that keeps nothing across restarts). */
export class MemoryMlsStorage implements MlsStorage {
  readonly #m = new Map<string, Uint8Array>();
  async get(key: string): Promise<Uint8Array | undefined> {
    const v = this.#m.get(key);
    return v === undefined ? undefined : v.slice();
  }
  async set(key: string, value: Uint8Array): Promise<void> {
    this.#m.set(key, value.slice());
  }
  async delete(key: string): Promise<void> {
    this.#m.delete(key);
  }
  /** Every key held (to look for what must not be there). */
  keys(): string[] {
    return [...this.#m.keys()];
  }
}

/** The storage's entry names. */
export const CLIENT_ID_KEY = 'mls/client-id';
export const SIGNATURE_KEY = 'mls/signature';
const INDEX_KEY = 'mls/groups';
const groupKey = (groupId: string) => `mls/group/${groupId}`;
export const keyPackageKey = (ref: string) => `mls/keypackage/${ref}`;

/** The client's signature key pair as stored (base64url), and whether its key entry was published. */
export interface StoredSignatureKey {
  readonly publicKey: string;
  readonly signKey: string;
  readonly registered: boolean;
}

/** A published KeyPackage's private parts as stored (base64url), kept until a Welcome uses it. */
export interface StoredKeyPackage {
  readonly publicPackage: string;
  readonly init: string;
  readonly hpke: string;
  readonly signature: string;
  readonly lastResort: boolean;
}

const utf8 = new TextEncoder();

/** Reads a JSON value the client stored itself. */
export async function loadJson<T>(storage: MlsStorage, key: string): Promise<T | undefined> {
  const raw = await storage.get(key);
  return raw === undefined ? undefined : (JSON.parse(new TextDecoder().decode(raw)) as T);
}

export function saveJson(storage: MlsStorage, key: string, value: unknown): Promise<void> {
  return storage.set(key, utf8.encode(JSON.stringify(value)));
}

/** The states of the groups the client is in, in memory and in the storage, with their index. */
export class GroupStates {
  readonly #storage: MlsStorage;
  readonly #states = new Map<string, ClientState>();

  private constructor(storage: MlsStorage) {
    this.#storage = storage;
  }

  /** Restores every group state the storage holds. */
  static async load(storage: MlsStorage): Promise<GroupStates> {
    const g = new GroupStates(storage);
    for (const id of await g.#index()) {
      const bytes = await storage.get(groupKey(id));
      if (bytes === undefined) continue;
      const decoded = decodeGroupState(bytes, 0);
      if (decoded === undefined) throw new MlsError('VERITY_E_MLS_MESSAGE_INVALID', 'a saved group state is corrupt');
      // decodeGroupState leaves the client configuration out: the defaults, as the state was made with.
      g.#states.set(id, { ...decoded[0], clientConfig: defaultClientConfig });
    }
    return g;
  }

  async #index(): Promise<string[]> {
    return (await loadJson<string[]>(this.#storage, INDEX_KEY)) ?? [];
  }

  /** A group's state; VERITY_E_MLS_NOT_MEMBER when the client is not in it. */
  get(groupId: string): ClientState {
    const s = this.#states.get(groupId);
    if (s === undefined)
      throw new MlsError('VERITY_E_MLS_NOT_MEMBER', 'this client is not in the room; join it from a Welcome first');
    return s;
  }

  /** Keeps a group's new state (or forgets the group, for `undefined`), in memory and in the storage. */
  async save(groupId: string, state: ClientState | undefined): Promise<void> {
    const index = new Set(await this.#index());
    if (state === undefined) {
      this.#states.delete(groupId);
      index.delete(groupId);
      await this.#storage.delete(groupKey(groupId));
    } else {
      this.#states.set(groupId, state);
      index.add(groupId);
      await this.#storage.set(groupKey(groupId), encodeGroupState(state));
    }
    await saveJson(this.#storage, INDEX_KEY, [...index]);
  }
}
