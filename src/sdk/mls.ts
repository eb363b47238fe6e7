// The SDK's client of end-to-end encrypted rooms (MLS, RFC 9420, on ts-mls with the noble crypto
// provider, so the same code runs in Node.js and browsers). Private keys and group secrets stay in
// the client: the server sees KeyPackages, commits, Welcomes and ciphertexts only. Every
// application message is franked (the server's src/mls/franking.ts describes the scheme): the
// plaintext travels as [1] || franking key || body, the commitment HMAC-SHA-256(key, domain ||
// body) in the message's authenticated data, so a recipient can prove an abusive message to the
// service. The client's state (KeyPackages' private parts, each group's state) is kept in a
// storage the caller gives, so a client restarts where it stopped. A separate entry point
// (`@verity/sdk/mls`): the main SDK bundle does not carry ts-mls.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  type CiphersuiteImpl,
  type CiphersuiteName,
  type ClientState,
  createApplicationMessage,
  createCommit,
  createGroup,
  createProposal,
  decodeGroupState,
  decodeMlsMessage,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeGroupState,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  type KeyPackage,
  type MLSMessage,
  nobleCryptoProvider,
  type PrivateKeyPackage,
  type Proposal,
  processPrivateMessage,
  processPublicMessage,
} from 'ts-mls';
import { defaultClientConfig } from 'ts-mls/clientConfig.js';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { isVerityError, VerityError } from '../errors/index.ts';
import { type Endpoint, requestJson } from './http.ts';
import { KeyTransparency, type KeyTransparencyOptions, type ShownKey } from './mls-keys.ts';

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

export interface MlsClientOptions extends KeyTransparencyOptions {
  /** The Verity server, e.g. `https://verity.example`. */
  readonly url: string;
  /** The player's session token. */
  readonly token: string;
  readonly storage: MlsStorage;
  readonly fetch?: typeof fetch;
  /** Default: the mandatory MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519. */
  readonly ciphersuite?: CiphersuiteName;
  /**
   * Send commits and proposals as PublicMessages (signed, not encrypted) rather than
   * PrivateMessages: what members on OpenMLS through Wire's core-crypto take (its default wire
   * policy accepts handshake messages in the clear only). Application messages are always
   * encrypted. Default false.
   */
  readonly publicHandshake?: boolean;
  /**
   * Name this client in its credentials by a device-qualified client id,
   * `<uuid>:<device, hex>@<identity>` (drawn once and kept in the storage), rather than by the
   * identity alone: Wire's core-crypto refuses messages from members whose credential is not of
   * that form. The service reads either as the player. Default false.
   */
  readonly clientId?: boolean;
}

/** A message the client received and decrypted. */
export interface ReceivedMessage {
  readonly groupId: string;
  readonly seq: number;
  readonly at: number;
  /** The sender's identity. */
  readonly sender: string;
  readonly text: string;
  /**
   * What `report` reveals to the service; keep it while the message may be reported. Absent for a
   * message sent without franking, which only a room opened with `franking: false` relays: such a
   * message cannot be reported.
   */
  readonly franking?: { readonly stamp: string; readonly frankingKey: string; readonly body: string };
}

/** What `receive` did with each queued message. */
export type Received =
  | { readonly type: 'message'; readonly message: ReceivedMessage }
  | { readonly type: 'joined'; readonly groupId: string; readonly epoch: number }
  | { readonly type: 'commit'; readonly groupId: string; readonly epoch: number; readonly removed: boolean }
  | { readonly type: 'proposal'; readonly groupId: string }
  | {
      readonly type: 'refused';
      readonly groupId: string;
      readonly seq: number;
      readonly reason: string;
      /** The error code, e.g. a key transparency alarm (VERITY_E_MLS_KEY_UNPROVEN, VERITY_E_MLS_SPLIT_VIEW). */
      readonly code?: string;
    };

interface Queued {
  id: string;
  groupId: string;
  seq: number;
  type: 'commit' | 'welcome' | 'application' | 'proposal';
  epoch: number;
  message: string;
  at: number;
  sender?: string;
  franking?: { commitment: string; stamp: string };
}

const FRANKING_VERSION = 1;
const FRANKING_BYTES = 32;
const DOMAIN = new TextEncoder().encode('verity/mls/franking/v1\n');
const INDEX_KEY = 'mls/groups';
const CLIENT_ID_KEY = 'mls/client-id';

/** A device id as core-crypto prints one: lowercase hex without leading zeros. */
function deviceHex(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n.toString(16);
}
const SIGNATURE_KEY = 'mls/signature';
const text = new TextEncoder();

/** The franking commitment: HMAC-SHA-256(key, domain || body), as the service recomputes it. */
export function frankingCommitment(key: Uint8Array, body: Uint8Array): Uint8Array {
  const d = new Uint8Array(DOMAIN.length + body.length);
  d.set(DOMAIN);
  d.set(body, DOMAIN.length);
  return hmac(sha256, key, d);
}

function b64u(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function unb64u(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

function decode(bytes: Uint8Array): MLSMessage {
  const m = decodeMlsMessage(bytes, 0);
  if (m === undefined || m[1] !== bytes.length)
    throw new VerityError('VERITY_E_MLS_MESSAGE_INVALID', 'a queued message is not one MLS message');
  return m[0];
}

/**
 * The player identity a credential identity names: the identity itself, or the identity of a
 * device-qualified client id `<uuid>:<device, hex>@<identity>` (the form Wire's core-crypto gives
 * every credential), as the service reads it (src/mls/wire.ts).
 */
export function playerIdentity(credentialIdentity: string): string {
  return (
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[0-9a-f]{1,16}@([A-Za-z0-9._:@-]{1,128})$/.exec(
      credentialIdentity,
    )?.[1] ?? credentialIdentity
  );
}

/** The identity in a leaf's basic credential (what Verity checks KeyPackages against). */
function identityOf(leaf: { credential: { credentialType: string } }): string | undefined {
  const c = leaf.credential as { credentialType: string; identity?: Uint8Array };
  return c.credentialType === 'basic' && c.identity !== undefined ? new TextDecoder().decode(c.identity) : undefined;
}

/** Every member's key as a group state shows it: the identity in each leaf's credential and its signature key. */
function shownKeys(state: ClientState): ShownKey[] {
  const out: ShownKey[] = [];
  for (const n of state.ratchetTree)
    if (n?.nodeType === 'leaf') {
      const identity = identityOf(n.leaf);
      if (identity === undefined)
        throw new VerityError('VERITY_E_MLS_KEY_UNPROVEN', 'a member of the room has no basic credential');
      // A device-qualified client id (core-crypto's form, D195) is its player's key entry.
      out.push({ identity: playerIdentity(identity), signatureKey: n.leaf.signaturePublicKey });
    }
  return out;
}

/** The keys `after` shows that `before` did not (members added, or leaves whose signature key changed). */
function newKeys(before: ClientState, after: ClientState): ShownKey[] {
  const seen = new Set(shownKeys(before).map((k) => `${k.identity} ${b64u(k.signatureKey)}`));
  return shownKeys(after).filter((k) => !seen.has(`${k.identity} ${b64u(k.signatureKey)}`));
}

interface StoredSignatureKey {
  readonly publicKey: string;
  readonly signKey: string;
  readonly registered: boolean;
}

interface StoredKeyPackage {
  readonly publicPackage: string;
  readonly init: string;
  readonly hpke: string;
  readonly signature: string;
  readonly lastResort: boolean;
}

/**
 * A player's end-to-end encrypted rooms, through a Verity server.
 *
 * @example
 * ```ts
 * const alice = await MlsClient.open({ url, token: aliceSession, storage });
 * const room = await alice.createRoom();
 * await alice.add(room, [{ player: 'bob' }]);
 * await alice.send(room, 'hello');
 * for (const r of await bob.receive()) if (r.type === 'message') console.log(r.message.text);
 * ```
 */
export class MlsClient {
  readonly #at: Endpoint;
  readonly #storage: MlsStorage;
  readonly #impl: CiphersuiteImpl;
  readonly #states = new Map<string, ClientState>();
  readonly #publicHandshake: boolean;
  /** What this client's credentials name: the identity, or a client id of it. */
  readonly #credentialIdentity: string;
  /** Rooms whose authenticated state says franking is off (read once, when a message needs it). */
  readonly #unfranked = new Map<string, Promise<boolean>>();
  readonly #kt: KeyTransparency;
  #signature: { publicKey: Uint8Array; signKey: Uint8Array } | undefined;
  /** The identity this client's credentials name (the player's subject reference). */
  readonly identity: string;

  private constructor(
    at: Endpoint,
    storage: MlsStorage,
    impl: CiphersuiteImpl,
    identity: string,
    publicHandshake: boolean,
    credentialIdentity: string,
    kt: KeyTransparency,
  ) {
    this.#at = at;
    this.#storage = storage;
    this.#impl = impl;
    this.identity = identity;
    this.#publicHandshake = publicHandshake;
    this.#credentialIdentity = credentialIdentity;
    this.#kt = kt;
  }

  /** Opens the client: asks the server for the player's MLS identity, restores saved groups. */
  static async open(o: MlsClientOptions): Promise<MlsClient> {
    // Bound: browsers refuse `fetch` called as a method of another object ("Illegal invocation").
    const at: Endpoint = {
      url: o.url.replace(/\/+$/, ''),
      token: o.token,
      fetch: o.fetch ?? ((input, init) => fetch(input, init)),
    };
    const suite = o.ciphersuite ?? 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';
    const impl = await getCiphersuiteImpl(getCiphersuiteFromName(suite), nobleCryptoProvider);
    const { identity } = await requestJson<{ identity: string }>(at, 'POST', '/v1/mls/identity', {});
    let credentialIdentity = identity;
    if (o.clientId === true) {
      const saved = await o.storage.get(CLIENT_ID_KEY);
      const prefix =
        saved === undefined
          ? `${crypto.randomUUID()}:${deviceHex(crypto.getRandomValues(new Uint8Array(8)))}`
          : new TextDecoder().decode(saved);
      if (saved === undefined) await o.storage.set(CLIENT_ID_KEY, text.encode(prefix));
      credentialIdentity = `${prefix}@${identity}`;
    }
    const c = new MlsClient(
      at,
      o.storage,
      impl,
      identity,
      o.publicHandshake === true,
      credentialIdentity,
      new KeyTransparency(at, o),
    );
    await c.#signatureKey();
    for (const g of await c.#index()) {
      const bytes = await o.storage.get(`mls/group/${g}`);
      if (bytes === undefined) continue;
      const decoded = decodeGroupState(bytes, 0);
      if (decoded === undefined)
        throw new VerityError('VERITY_E_MLS_MESSAGE_INVALID', 'a saved group state is corrupt');
      // decodeGroupState leaves the client configuration out: the defaults, as the state was made with.
      c.#states.set(g, { ...decoded[0], clientConfig: defaultClientConfig });
    }
    return c;
  }

  /**
   * The client's signature key pair (one per client, in every KeyPackage and group it makes), made
   * on first use and bound to the identity in the key transparency entry before anything uses it.
   */
  async #signatureKey(): Promise<{ publicKey: Uint8Array; signKey: Uint8Array }> {
    if (this.#signature !== undefined) return this.#signature;
    const raw = await this.#storage.get(SIGNATURE_KEY);
    let stored: StoredSignatureKey;
    if (raw === undefined) {
      const k = await this.#impl.signature.keygen();
      stored = { publicKey: b64u(k.publicKey), signKey: b64u(k.signKey), registered: false };
      await this.#storage.set(SIGNATURE_KEY, text.encode(JSON.stringify(stored)));
    } else stored = JSON.parse(new TextDecoder().decode(raw)) as StoredSignatureKey;
    this.#signature = { publicKey: unb64u(stored.publicKey), signKey: unb64u(stored.signKey) };
    if (!stored.registered) {
      const kp = await this.#newKeyPackage();
      await requestJson(this.#at, 'POST', '/v1/mls/keys', {
        keyPackage: b64u(
          encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: kp.publicPackage }),
        ),
      });
      await this.#storage.set(SIGNATURE_KEY, text.encode(JSON.stringify({ ...stored, registered: true })));
    }
    return this.#signature;
  }

  /** The signed checkpoint this client trusts (its view of the log), to compare with other members'. */
  async checkpoint(): Promise<string | undefined> {
    return this.#kt.trusted();
  }

  /**
   * Compares this client's view of the log with another member's (the checkpoint text their
   * `checkpoint()` gave, passed over any channel, e.g. the room itself): both must be signed by the
   * log key and one must extend the other. VERITY_E_MLS_SPLIT_VIEW when the service showed the two
   * members different logs, so possibly different keys.
   */
  async crossCheck(other: string): Promise<void> {
    const mine = await this.#kt.trusted();
    if (mine !== undefined) await this.#kt.consistent(mine, other);
  }

  /** Checks the keys of every member of a room against the key entries the log proves (D175). */
  verifyMembers(groupId: string): Promise<void> {
    return this.#kt.check(shownKeys(this.#state(groupId)), { groupId });
  }

  async #index(): Promise<string[]> {
    const raw = await this.#storage.get(INDEX_KEY);
    return raw === undefined ? [] : (JSON.parse(new TextDecoder().decode(raw)) as string[]);
  }

  async #save(groupId: string, state: ClientState | undefined): Promise<void> {
    const index = new Set(await this.#index());
    if (state === undefined) {
      this.#states.delete(groupId);
      index.delete(groupId);
      await this.#storage.delete(`mls/group/${groupId}`);
    } else {
      this.#states.set(groupId, state);
      index.add(groupId);
      await this.#storage.set(`mls/group/${groupId}`, encodeGroupState(state));
    }
    await this.#storage.set(INDEX_KEY, text.encode(JSON.stringify([...index])));
  }

  #state(groupId: string): ClientState {
    const s = this.#states.get(groupId);
    if (s === undefined)
      throw new VerityError('VERITY_E_MLS_NOT_MEMBER', 'this client is not in the room; join it from a Welcome first');
    return s;
  }

  async #newKeyPackage(): Promise<{ publicPackage: KeyPackage; privatePackage: PrivateKeyPackage }> {
    const cred = { credentialType: 'basic' as const, identity: text.encode(this.#credentialIdentity) };
    const key = this.#signature ?? (await this.#signatureKey());
    return generateKeyPackageWithKey(cred, defaultCapabilities(), defaultLifetime, [], key, this.#impl);
  }

  /**
   * Generates `count` KeyPackages, keeps their private keys in the storage and publishes them, so
   * that others can add this player to rooms; `lastResort` publishes one that is handed out when
   * no other is left.
   */
  async publishKeyPackages(count = 1, o: { lastResort?: boolean } = {}): Promise<string[]> {
    const refs: string[] = [];
    for (let i = 0; i < count; i++) {
      const kp = await this.#newKeyPackage();
      const ref = b64u(await makeKeyPackageRef(kp.publicPackage, this.#impl.hash));
      const encoded = encodeMlsMessage({
        version: 'mls10',
        wireformat: 'mls_key_package',
        keyPackage: kp.publicPackage,
      });
      const stored: StoredKeyPackage = {
        publicPackage: b64u(encoded),
        init: b64u(kp.privatePackage.initPrivateKey),
        hpke: b64u(kp.privatePackage.hpkePrivateKey),
        signature: b64u(kp.privatePackage.signaturePrivateKey),
        lastResort: o.lastResort === true,
      };
      // Kept before publishing: a Welcome may arrive for it at once.
      await this.#storage.set(`mls/keypackage/${ref}`, text.encode(JSON.stringify(stored)));
      await requestJson(this.#at, 'POST', '/v1/mls/keypackages', {
        keyPackage: b64u(encoded),
        ...(o.lastResort === true ? { lastResort: true } : {}),
      });
      refs.push(ref);
    }
    return refs;
  }

  /**
   * Creates a group and its room on the server, with this client its one member; returns its id
   * (base64url). `franking: false` opens a room whose messages may come unfranked (from members
   * whose MLS library cannot frank); such messages cannot be reported. This client franks its own
   * messages either way.
   */
  async createRoom(
    groupId: Uint8Array = crypto.getRandomValues(new Uint8Array(32)),
    o: { franking?: boolean } = {},
  ): Promise<string> {
    const kp = await this.#newKeyPackage();
    const state = await createGroup(groupId, kp.publicPackage, kp.privatePackage, [], this.#impl);
    const id = b64u(groupId);
    await requestJson(this.#at, 'POST', '/v1/mls/rooms', {
      groupId: id,
      ...(o.franking === false ? { franking: false } : {}),
    });
    await this.#save(id, state);
    return id;
  }

  /** The members of a room as this client's group state knows them (identities). */
  members(groupId: string): string[] {
    return this.#state(groupId)
      .ratchetTree.flatMap((n) => (n?.nodeType === 'leaf' ? [identityOf(n.leaf)] : []))
      .filter((x): x is string => x !== undefined);
  }

  /** The leaf index of a member, by credential identity or by the player identity it names. */
  #leafOf(state: ClientState, identity: string): number {
    const i = state.ratchetTree.findIndex((n) => {
      const id = n?.nodeType === 'leaf' ? identityOf(n.leaf) : undefined;
      return id !== undefined && (id === identity || playerIdentity(id) === identity);
    });
    if (i < 0) throw new VerityError('VERITY_E_MLS_NOT_MEMBER', 'no member of the room has this identity');
    return i / 2;
  }

  /** Identities removed by proposals received and not yet committed (a commit includes them). */
  #pendingRemovals(state: ClientState): string[] {
    const out: string[] = [];
    for (const p of Object.values(state.unappliedProposals))
      if (p.proposal.proposalType === 'remove') {
        const node = state.ratchetTree[p.proposal.remove.removed * 2];
        const id = node?.nodeType === 'leaf' ? identityOf(node.leaf) : undefined;
        if (id !== undefined) out.push(playerIdentity(id));
      }
    return out;
  }

  /**
   * Commits `proposals` (and any received ones) for the room's current epoch, posts the commit
   * and the Welcome for new members, and moves to the next epoch once the server accepted it.
   * VERITY_E_MLS_STALE_EPOCH: another member's commit came first; `receive()`, then try again.
   */
  async #commit(groupId: string, proposals: Proposal[], removes: string[]): Promise<number> {
    const state = this.#state(groupId);
    const res = await createCommit(
      { state, cipherSuite: this.#impl },
      { extraProposals: proposals, ratchetTreeExtension: true, wireAsPublicMessage: this.#publicHandshake },
    );
    const allRemoved = [...new Set([...removes, ...this.#pendingRemovals(state)])];
    const out = await requestJson<{ epoch: number }>(this.#at, 'POST', `/v1/mls/rooms/${groupId}/commits`, {
      epoch: Number(state.groupContext.epoch),
      commit: b64u(encodeMlsMessage(res.commit)),
      ...(res.welcome === undefined
        ? {}
        : { welcome: b64u(encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: res.welcome })) }),
      ...(allRemoved.length === 0 ? {} : { removes: allRemoved }),
    });
    await this.#save(groupId, res.newState);
    return out.epoch;
  }

  /** Adds players (by player id or by identity): claims a KeyPackage of each, commits, sends the Welcome. */
  async add(groupId: string, players: readonly ({ player: string } | { identity: string })[]): Promise<number> {
    const proposals: Proposal[] = [];
    for (const p of players) {
      const c = await requestJson<{ keyPackage: string; identity: string }>(
        this.#at,
        'POST',
        '/v1/mls/keypackages/claim',
        p,
      );
      const m = decode(unb64u(c.keyPackage));
      if (m.wireformat !== 'mls_key_package')
        throw new VerityError('VERITY_E_MLS_MESSAGE_INVALID', 'the server handed out something else than a KeyPackage');
      const identity = identityOf(m.keyPackage.leafNode);
      // A device-qualified client id (D195) names its player's key entry.
      const player = identity === undefined ? undefined : playerIdentity(identity);
      if (
        player === undefined ||
        player !== c.identity ||
        ('identity' in p && p.identity !== identity && p.identity !== player)
      )
        this.#kt.alarm('VERITY_E_MLS_KEY_UNPROVEN', 'the server handed out a KeyPackage of another identity', {
          groupId,
        });
      // Key transparency: the newcomer's signature key must be in their proven key entry.
      await this.#kt.check([{ identity: c.identity, signatureKey: m.keyPackage.leafNode.signaturePublicKey }], {
        groupId,
      });
      proposals.push({ proposalType: 'add', add: { keyPackage: m.keyPackage } });
    }
    return this.#commit(groupId, proposals, []);
  }

  /** Removes members by identity (a player identity, or a credential identity as `members` lists it). */
  async remove(groupId: string, identities: readonly string[]): Promise<number> {
    const state = this.#state(groupId);
    const proposals: Proposal[] = identities.map((id) => ({
      proposalType: 'remove',
      remove: { removed: this.#leafOf(state, id) },
    }));
    return this.#commit(groupId, proposals, identities.map(playerIdentity));
  }

  /** Updates this member's keys (a commit with a fresh path: post-compromise security). */
  update(groupId: string): Promise<number> {
    return this.#commit(groupId, [], []);
  }

  /**
   * Leaves a room: proposes this member's removal (a member cannot commit their own), which the
   * next commit of another member carries out, and forgets the group.
   */
  async leave(groupId: string): Promise<void> {
    const state = this.#state(groupId);
    const p = await createProposal(
      state,
      this.#publicHandshake,
      { proposalType: 'remove', remove: { removed: this.#leafOf(state, this.identity) } },
      this.#impl,
    );
    await requestJson(this.#at, 'POST', `/v1/mls/rooms/${groupId}/proposals`, {
      epoch: Number(state.groupContext.epoch),
      proposal: b64u(encodeMlsMessage(p.message)),
    });
    await this.#save(groupId, undefined);
  }

  /** Sends a text message to the room, franked so that a recipient can report it. */
  async send(groupId: string, message: string): Promise<{ seq: number; delivered: number }> {
    const state = this.#state(groupId);
    const body = text.encode(message);
    const key = crypto.getRandomValues(new Uint8Array(FRANKING_BYTES));
    const content = new Uint8Array(1 + FRANKING_BYTES + body.length);
    content[0] = FRANKING_VERSION;
    content.set(key, 1);
    content.set(body, 1 + FRANKING_BYTES);
    // The commitment, then this client's view of the log (D179): recipients compare it with theirs,
    // so a service showing members different logs (and so possibly different keys) is found.
    const view = await this.#kt.view();
    const aad = new Uint8Array(1 + FRANKING_BYTES + (view?.length ?? 0));
    aad[0] = FRANKING_VERSION;
    aad.set(frankingCommitment(key, body), 1);
    if (view !== undefined) aad.set(view, 1 + FRANKING_BYTES);
    const sent = await createApplicationMessage(state, content, this.#impl, aad);
    const bytes = encodeMlsMessage({
      version: 'mls10',
      wireformat: 'mls_private_message',
      privateMessage: sent.privateMessage,
    });
    // The sender's ratchet moved: saved before sending, so a restart never reuses a key.
    await this.#save(groupId, sent.newState);
    return requestJson(this.#at, 'POST', `/v1/mls/rooms/${groupId}/messages`, {
      epoch: Number(state.groupContext.epoch),
      message: b64u(bytes),
    });
  }

  /**
   * Fetches the queue, processes each message in order (joins from Welcomes, applies commits and
   * proposals, decrypts messages and checks their franking), saves the new states and
   * acknowledges what it processed.
   */
  async receive(o: { limit?: number } = {}): Promise<Received[]> {
    const { messages } = await requestJson<{ messages: Queued[] }>(this.#at, 'POST', '/v1/mls/queue', {
      ...(o.limit === undefined ? {} : { limit: o.limit }),
    });
    const out: Received[] = [];
    const done: string[] = [];
    for (const q of messages) {
      try {
        out.push(await this.#process(q));
      } catch (e) {
        out.push({
          type: 'refused',
          groupId: q.groupId,
          seq: q.seq,
          reason: (e as Error).message.slice(0, 200),
          ...(isVerityError(e) ? { code: e.code } : {}),
        });
      }
      done.push(q.id);
    }
    if (done.length > 0) await requestJson(this.#at, 'POST', '/v1/mls/queue/ack', { ids: done });
    return out;
  }

  async #process(q: Queued): Promise<Received> {
    const m = decode(unb64u(q.message));
    if (q.type === 'welcome') {
      if (m.wireformat !== 'mls_welcome') throw new Error('not a Welcome');
      for (const s of m.welcome.secrets) {
        const ref = b64u(s.newMember);
        const raw = await this.#storage.get(`mls/keypackage/${ref}`);
        if (raw === undefined) continue;
        const k = JSON.parse(new TextDecoder().decode(raw)) as StoredKeyPackage;
        const pub = decode(unb64u(k.publicPackage));
        if (pub.wireformat !== 'mls_key_package') throw new Error('a saved KeyPackage is corrupt');
        const state = await joinGroup(
          m.welcome,
          pub.keyPackage,
          { initPrivateKey: unb64u(k.init), hpkePrivateKey: unb64u(k.hpke), signaturePrivateKey: unb64u(k.signature) },
          emptyPskIndex,
          this.#impl,
        );
        // Key transparency: every member's key is checked before the room is joined.
        await this.#kt.check(shownKeys(state), { groupId: q.groupId });
        // A KeyPackage is used once; the last-resort one stays for the next Welcome.
        if (!k.lastResort) await this.#storage.delete(`mls/keypackage/${ref}`);
        await this.#save(q.groupId, state);
        return { type: 'joined', groupId: q.groupId, epoch: Number(state.groupContext.epoch) };
      }
      throw new Error('the Welcome is for none of this client’s KeyPackages');
    }
    const state = this.#state(q.groupId);
    let r: Awaited<ReturnType<typeof processPrivateMessage>>;
    if (m.wireformat === 'mls_public_message') {
      // A commit or proposal sent in the clear (signed and membership-tagged; RFC 9420 6.2), as
      // OpenMLS members send them. Application messages are only ever PrivateMessages.
      if (q.type === 'application') throw new Error('an application message in the clear');
      r = { kind: 'newState', ...(await processPublicMessage(state, m.publicMessage, emptyPskIndex, this.#impl)) };
    } else if (m.wireformat === 'mls_private_message')
      r = await processPrivateMessage(state, m.privateMessage, emptyPskIndex, this.#impl);
    else throw new Error('not a PrivateMessage or PublicMessage');
    if (q.type === 'commit') {
      const removed = r.newState.groupActiveState.kind === 'removedFromGroup';
      // Key transparency: members added and leaves whose signature key changed, before the new epoch is kept.
      if (!removed) await this.#kt.check(newKeys(state, r.newState), { groupId: q.groupId });
      await this.#save(q.groupId, removed ? undefined : r.newState);
      // A removed member's state stays at the old epoch: the room's new one is the commit's next.
      return { type: 'commit', groupId: q.groupId, epoch: q.epoch + 1, removed };
    }
    await this.#save(q.groupId, r.newState);
    if (q.type === 'proposal') return { type: 'proposal', groupId: q.groupId };
    if (r.kind !== 'applicationMessage') throw new Error('not an application message');
    if (m.wireformat !== 'mls_private_message') throw new Error('not a PrivateMessage');
    const content = r.message;
    const aad = m.privateMessage.authenticatedData;
    // A message without franking (no authenticated data, no stamp) is taken only in a room whose
    // authenticated state says franking is off; it cannot be reported.
    const received = (text: Uint8Array, franking?: ReceivedMessage['franking']): Received => ({
      type: 'message',
      message: {
        groupId: q.groupId,
        seq: q.seq,
        at: q.at,
        sender: q.sender ?? '',
        text: new TextDecoder().decode(text),
        ...(franking === undefined ? {} : { franking }),
      },
    });
    if (aad.length === 0 && q.franking === undefined && (await this.#frankingOff(q.groupId))) return received(content);
    // The franking: the plaintext must open the commitment the service stamped, else the message
    // could not be reported, and is dropped.
    if (content.length < 1 + FRANKING_BYTES || content[0] !== FRANKING_VERSION || q.franking === undefined)
      throw new Error('the message is not franked');
    const key = content.slice(1, 1 + FRANKING_BYTES);
    const body = content.slice(1 + FRANKING_BYTES);
    const c = frankingCommitment(key, body);
    if (
      (aad.length !== 1 + FRANKING_BYTES && aad.length !== 1 + FRANKING_BYTES + 40) ||
      !equal(aad.slice(1, 1 + FRANKING_BYTES), c) ||
      !equal(unb64u(q.franking.commitment), c)
    )
      throw new Error('the message does not open its franking commitment');
    // The sender's view of the log, signed with the message: it must be one log with this client's.
    if (aad.length > 1 + FRANKING_BYTES)
      await this.#kt.compareView(aad.slice(1 + FRANKING_BYTES), { groupId: q.groupId, sender: q.sender ?? '' });
    return received(body, { stamp: q.franking.stamp, frankingKey: b64u(key), body: b64u(body) });
  }

  /** Whether the room's authenticated state says franking is off (asked once per room). */
  #frankingOff(groupId: string): Promise<boolean> {
    let p = this.#unfranked.get(groupId);
    if (p === undefined) {
      p = requestJson<{ franking?: boolean }>(this.#at, 'GET', `/v1/mls/rooms/${groupId}`).then(
        (room) => room.franking === false,
      );
      p.catch(() => this.#unfranked.delete(groupId));
      this.#unfranked.set(groupId, p);
    }
    return p;
  }

  /** Reports an abusive message to the service's moderators, revealing its plaintext and franking key. */
  async report(m: ReceivedMessage, reason: string): Promise<{ id: string; redacted: number }> {
    if (m.franking === undefined)
      throw new VerityError(
        'VERITY_E_MLS_MESSAGE_INVALID',
        'the message was sent without franking (its room has franking off), so it cannot be reported',
      );
    return requestJson(this.#at, 'POST', '/v1/mls/reports', {
      groupId: m.groupId,
      seq: m.seq,
      at: m.at,
      sender: m.sender,
      stamp: m.franking.stamp,
      body: m.franking.body,
      frankingKey: m.franking.frankingKey,
      reason,
    });
  }
}

export { IndexedDbMlsStorage } from './mls-idb.ts';
export type { KeyTransparencyOptions, ShownKey } from './mls-keys.ts';
export { KeyTransparency } from './mls-keys.ts';
