// The MLS client's private state (FGMV-46 7.2.1): where it is kept (a storage the caller gives:
// memory, a file, a database, IndexedDB through mls-idb.ts) and the groups' states it holds, so a
// client restarts where it stopped, saved in parts so that a message does not re-encode the room.
import { sha256 } from '@noble/hashes/sha2.js';
import { type ClientState, decodeGroupState } from 'ts-mls';
import { defaultClientConfig } from 'ts-mls/clientConfig.js';
import { decodeGroupStateWithoutTree, encodeGroupStateWithoutTree } from 'ts-mls/clientState.js';
import { encode } from 'ts-mls/codec/tlsEncoder.js';
import { decodeEpochReceiverData, type EpochReceiverData, epochReceiverDataEncoder } from 'ts-mls/epochReceiverData.js';
import { decodeRatchetTree, encodeRatchetTree } from 'ts-mls/ratchetTree.js';
import { toBase64Url } from '../encoding/index.ts';
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

/**
 * How a group's state is stored (D294). Encoding a whole state costs in proportion to the room: at
 * 500 members, with every member's path filled, about 1 MB and 130 ms, of which the ratchet tree
 * and the last epochs' receiver data (each holding a tree) are nearly all; yet only the secret tree
 * and the key schedule change with each message sent or received. So the tree and each past
 * epoch's receiver data are stored as parts of their own, content-addressed by SHA-256 under the
 * group, written only when they change (a commit), and the state entry holds the rest and the
 * names of its parts. A save writes the new parts first, then the state entry, then deletes the
 * parts no longer named: each storage write is atomic, so a state entry never names a part that is
 * missing, and a crash between two writes leaves the last complete state (and at most an unnamed
 * part). A state saved whole by an earlier version is read, and replaced at the next save.
 */
const STATE_FORMAT = 1;
const stateKey = (groupId: string) => `mls/state/${groupId}`;
const partKey = (groupId: string, digest: string) => `mls/state/${groupId}/${digest}`;
const encodeEpochReceiverData = encode(epochReceiverDataEncoder);

interface StateHeader {
  readonly v: number;
  readonly tree: string;
  readonly history: readonly (readonly [string, string])[];
}

/** Parts already stored, by the object they encode (ratchet trees and receiver data are never mutated). */
type PartNames = WeakMap<object, string>;

async function readPart<T>(
  storage: MlsStorage,
  groupId: string,
  digest: string,
  decode: (b: Uint8Array, offset: number) => [T, number] | undefined,
  names: PartNames,
): Promise<T> {
  const bytes = await storage.get(partKey(groupId, digest));
  const decoded = bytes === undefined ? undefined : decode(bytes, 0);
  if (bytes === undefined || decoded === undefined || toBase64Url(sha256(bytes)) !== digest)
    throw new MlsError('VERITY_E_MLS_MESSAGE_INVALID', 'a saved group state is corrupt or incomplete');
  names.set(decoded[0] as object, digest);
  return decoded[0];
}

/**
 * A group's state from its stored entry (or `undefined` when none is stored in either format);
 * `whole` when it was stored whole by an earlier version.
 */
async function loadState(
  storage: MlsStorage,
  groupId: string,
  names: PartNames,
): Promise<{ state: ClientState; whole: boolean } | undefined> {
  const stored = await storage.get(stateKey(groupId));
  if (stored === undefined) {
    const whole = await storage.get(groupKey(groupId));
    if (whole === undefined) return undefined;
    const decoded = decodeGroupState(whole, 0);
    if (decoded === undefined) throw new MlsError('VERITY_E_MLS_MESSAGE_INVALID', 'a saved group state is corrupt');
    // decodeGroupState leaves the client configuration out: the defaults, as the state was made with.
    return { state: { ...decoded[0], clientConfig: defaultClientConfig }, whole: true };
  }
  const corrupt = () => new MlsError('VERITY_E_MLS_MESSAGE_INVALID', 'a saved group state is corrupt');
  if (stored.length < 4) throw corrupt();
  const headerLength = new DataView(stored.buffer, stored.byteOffset).getUint32(0);
  if (headerLength > stored.length - 4) throw corrupt();
  let header: StateHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(stored.subarray(4, 4 + headerLength))) as StateHeader;
  } catch {
    throw corrupt();
  }
  if (header?.v !== STATE_FORMAT || typeof header.tree !== 'string' || !Array.isArray(header.history)) throw corrupt();
  const tree = await readPart(storage, groupId, header.tree, decodeRatchetTree, names);
  const decoded = decodeGroupStateWithoutTree(tree)(stored.subarray(4 + headerLength), 0);
  if (decoded === undefined) throw corrupt();
  const history = new Map<bigint, EpochReceiverData>();
  for (const [epoch, digest] of header.history)
    history.set(BigInt(epoch), await readPart(storage, groupId, digest, decodeEpochReceiverData, names));
  return {
    state: { ...decoded[0], historicalReceiverData: history, clientConfig: defaultClientConfig },
    whole: false,
  };
}

/** The states of the groups the client is in, in memory and in the storage, with their index. */
export class GroupStates {
  readonly #storage: MlsStorage;
  readonly #states = new Map<string, ClientState>();
  readonly #names: PartNames = new WeakMap();
  /** The parts each group's stored state names. */
  readonly #parts = new Map<string, Set<string>>();
  /** Groups whose state an earlier version stored whole, replaced at their next save. */
  readonly #whole = new Set<string>();

  private constructor(storage: MlsStorage) {
    this.#storage = storage;
  }

  /** Restores every group state the storage holds. */
  static async load(storage: MlsStorage): Promise<GroupStates> {
    const g = new GroupStates(storage);
    for (const id of await g.#index()) {
      const loaded = await loadState(storage, id, g.#names);
      if (loaded === undefined) continue;
      g.#states.set(id, loaded.state);
      g.#parts.set(id, g.#partsOf(loaded.state));
      if (loaded.whole) g.#whole.add(id);
    }
    return g;
  }

  async #index(): Promise<string[]> {
    return (await loadJson<string[]>(this.#storage, INDEX_KEY)) ?? [];
  }

  /** The digests of a state's parts that are stored (a state read whole names none). */
  #partsOf(state: ClientState): Set<string> {
    const out = new Set<string>();
    for (const o of [state.ratchetTree, ...state.historicalReceiverData.values()]) {
      const d = this.#names.get(o);
      if (d !== undefined) out.add(d);
    }
    return out;
  }

  /** A group's state; VERITY_E_MLS_NOT_MEMBER when the client is not in it. */
  get(groupId: string): ClientState {
    const s = this.#states.get(groupId);
    if (s === undefined)
      throw new MlsError('VERITY_E_MLS_NOT_MEMBER', 'this client is not in the room; join it from a Welcome first');
    return s;
  }

  /** Stores a part unless the same object is stored already; its digest. */
  async #part(groupId: string, o: object, bytes: () => Uint8Array): Promise<string> {
    const known = this.#names.get(o);
    if (known !== undefined) return known;
    const b = bytes();
    const digest = toBase64Url(sha256(b));
    await this.#storage.set(partKey(groupId, digest), b);
    this.#names.set(o, digest);
    return digest;
  }

  /**
   * Keeps a group's new state (or forgets the group, for `undefined`), in memory and in the
   * storage. The index of groups is written only when a group comes or goes: it is the set of
   * groups held in memory.
   */
  async save(groupId: string, state: ClientState | undefined): Promise<void> {
    const known = this.#states.has(groupId);
    const before = this.#parts.get(groupId) ?? new Set<string>();
    let now = new Set<string>();
    if (state === undefined) {
      this.#states.delete(groupId);
      this.#parts.delete(groupId);
      await this.#storage.delete(stateKey(groupId));
    } else {
      const tree = await this.#part(groupId, state.ratchetTree, () => encodeRatchetTree(state.ratchetTree));
      const history: [string, string][] = [];
      for (const [epoch, data] of state.historicalReceiverData)
        history.push([epoch.toString(), await this.#part(groupId, data, () => encodeEpochReceiverData(data))]);
      const header = utf8.encode(JSON.stringify({ v: STATE_FORMAT, tree, history } satisfies StateHeader));
      const rest = encodeGroupStateWithoutTree({ ...state, historicalReceiverData: new Map() });
      const entry = new Uint8Array(4 + header.length + rest.length);
      new DataView(entry.buffer).setUint32(0, header.length);
      entry.set(header, 4);
      entry.set(rest, 4 + header.length);
      await this.#storage.set(stateKey(groupId), entry);
      now = new Set([tree, ...history.map(([, d]) => d)]);
      this.#states.set(groupId, state);
      this.#parts.set(groupId, now);
    }
    // A state saved whole by an earlier version, then the parts no state names any more.
    if (this.#whole.delete(groupId)) await this.#storage.delete(groupKey(groupId));
    for (const d of before) if (!now.has(d)) await this.#storage.delete(partKey(groupId, d));
    if (known !== (state !== undefined)) await saveJson(this.#storage, INDEX_KEY, [...this.#states.keys()]);
  }
}
