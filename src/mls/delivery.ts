// The MLS delivery and authentication service (RFC 9420 3, FGMV-46 7.2.1): Verity stores and
// forwards KeyPackages, commits, Welcomes and application messages it cannot read. Everything an
// access decision depends on is authenticated state (objects bound to the signed log's state map):
//   kind `mls.keypackage`  id KEYPACKAGEREF       owner PLAYER  a published, unclaimed KeyPackage
//   kind `mls.claim`       id KEYPACKAGEREF       owner PLAYER  a claimed one, until a Welcome uses it
//   kind `mls.room`        id GROUPID (base64url)               epoch, members, message sequence
//   kind `mls.queue`       id PLAYER/GROUPID/SEQ  owner PLAYER  a message waiting for a member
//   kind `mls.keys`        id PLAYER              owner PLAYER  key transparency: the player's
//                          signature keys and unclaimed KeyPackage references (transparency.ts)
// With a KeyStore, application messages must carry a franking commitment (franking.ts), which the
// service stamps for each recipient as it queues the message, unless the room was opened with
// franking off (a room with a member whose MLS library cannot set authenticated data, such as
// Wire's core-crypto): there a message without a commitment is relayed unstamped, and cannot be
// reported; one with a commitment is still checked and stamped.
// Every change is one transaction with one audit entry that names neither players nor groups (a
// room is named by a hash of its group id) and carries no message.
import { createHash } from 'node:crypto';
import type { CiphersuiteName } from 'ts-mls';
import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { fromBase64Url, parseJson, toBase64Url } from '../encoding/index.ts';
import { InputError, MlsError, quote } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { LogBatch, TransparencyLog } from '../log/index.ts';
import {
  newObject,
  nextObject,
  type ObjectRow,
  type Store,
  type StoreReader,
  type StoreWriter,
} from '../store/index.ts';
import { FRANKING_KEY, readCommitment, stampInput } from './franking.ts';
import { KEYS_KIND, type KeyProofs, proveKeys } from './transparency.ts';
import {
  checkKeyPackage,
  DEFAULT_CIPHERSUITES,
  decodeMessage,
  invalid,
  type MessageHeader,
  messageHeader,
  welcomeRecipients,
} from './wire.ts';

export const KEY_PACKAGE_KIND = 'mls.keypackage';
export const CLAIM_KIND = 'mls.claim';
export const ROOM_KIND = 'mls.room';
export const QUEUE_KIND = 'mls.queue';
/** Signature keys kept per player (the oldest dropped past it). */
export const MAX_SIGNATURE_KEYS = 64;
/** The purpose every MLS entry is logged under. */
export const MLS_PURPOSE = 'communication';
const ACTOR = 'service:mls';
const DAY = 86_400_000;
/** A player id as the caller's authentication gives it: no `/`, so queue ids split unambiguously. */
const PLAYER_RE = /^[A-Za-z0-9._:@-]{1,128}$/;
const MAX_GROUP_ID = 64;
const MAX_MEMBERS = 1000;
const MAX_FETCH = 500;
const SEQ_DIGITS = 12;

/** The room's state (the `mls.room` object's body). */
export interface Room {
  /** Base64url of the MLS group id. */
  readonly groupId: string;
  /** The epoch a commit must be for: advanced by one at every accepted commit. */
  readonly epoch: number;
  /** Player ids of the members, in the order they joined. */
  readonly members: readonly string[];
  /** The sequence number of the latest message queued in the room. */
  readonly seq: number;
  readonly createdAt: number;
  /**
   * `false` when the room was opened with franking off: application messages without a franking
   * commitment are relayed (unstamped, so they cannot be reported). Absent means required.
   */
  readonly franking?: false;
}

/** A message waiting in a member's queue. */
export interface QueuedMessage {
  /** What to acknowledge it with. */
  readonly id: string;
  readonly groupId: string;
  readonly seq: number;
  readonly type: 'commit' | 'welcome' | 'application' | 'proposal';
  /** The epoch it was sent in (for a Welcome: the epoch it joins). */
  readonly epoch: number;
  /** The MLS message as sent (opaque to Verity). */
  readonly message: Uint8Array;
  readonly at: number;
  /** Who sent it (the member's identity), for a commit, proposal or application message. */
  readonly sender?: string;
  /**
   * An application message's franking: its commitment (base64url, from the message's
   * authenticated data) and the service's stamp of it for this recipient (base64url). A report
   * hands both back with the plaintext and its franking key.
   */
  readonly franking?: { readonly commitment: string; readonly stamp: string };
}

export interface MlsDeliveryOptions {
  readonly store: Store;
  readonly log: TransparencyLog;
  readonly clock?: Clock;
  /** Ciphersuites accepted (default: the mandatory X25519, AES-128-GCM, SHA-256, Ed25519). */
  readonly ciphersuites?: readonly CiphersuiteName[];
  /** Days a queued message waits for its member before it is dropped (default 30, 1 to 366). */
  readonly retentionDays?: number;
  /** Unclaimed KeyPackages kept per player, last resort aside (default 100). */
  readonly maxKeyPackages?: number;
  /**
   * The key store whose MAC key (`mls-franking`) stamps franking commitments: when given, every
   * application message must carry a commitment (franking.ts) and is stamped for each recipient,
   * so that it can be reported (MlsReports).
   */
  readonly keys?: KeyStore;
}

interface KeyPackageDoc {
  readonly keyPackage: string;
  readonly ciphersuite: CiphersuiteName;
  readonly lastResort: boolean;
  readonly notAfter: number;
  readonly publishedAt: number;
}

interface QueueDoc {
  readonly groupId: string;
  readonly seq: number;
  readonly type: QueuedMessage['type'];
  readonly epoch: number;
  readonly message: string;
  readonly at: number;
  readonly sender?: string;
  readonly franking?: { readonly commitment: string; readonly stamp: string };
}

/** The body of a `mls.keys` object: what key transparency proves about a player. */
export interface KeyEntry {
  /** The identity (player id) the keys are bound to: the object's id. */
  readonly identity: string;
  /** Signature public keys (base64url), oldest first: each one signed a KeyPackage naming the identity. */
  readonly signatureKeys: readonly string[];
  /** References (base64url) of the player's KeyPackages published and not yet claimed. */
  readonly keyPackages: readonly string[];
}

/**
 * The player's key entry changed by `change` in the transaction: a new signature key appended
 * (the oldest dropped past MAX_SIGNATURE_KEYS), KeyPackage references added or removed.
 */
async function updateKeys(
  tx: StoreWriter,
  player: string,
  change: { key?: string; addRef?: string; dropRefs?: readonly string[] },
  now: number,
): Promise<void> {
  const row = await tx.getObject(KEYS_KIND, player);
  const prev: KeyEntry =
    row === undefined ? { identity: player, signatureKeys: [], keyPackages: [] } : parse<KeyEntry>(row);
  let signatureKeys = [...prev.signatureKeys];
  if (change.key !== undefined && !signatureKeys.includes(change.key))
    signatureKeys = [...signatureKeys, change.key].slice(-MAX_SIGNATURE_KEYS);
  const drop = new Set(change.dropRefs ?? []);
  const keyPackages = prev.keyPackages.filter((r) => !drop.has(r));
  if (change.addRef !== undefined && !keyPackages.includes(change.addRef)) keyPackages.push(change.addRef);
  if (
    row !== undefined &&
    signatureKeys.length === prev.signatureKeys.length &&
    signatureKeys.every((k, i) => k === prev.signatureKeys[i]) &&
    keyPackages.length === prev.keyPackages.length &&
    keyPackages.every((r, i) => r === prev.keyPackages[i])
  )
    return;
  const doc: KeyEntry = { identity: player, signatureKeys, keyPackages };
  await tx.putObject(nextObject(row, { kind: KEYS_KIND, id: player, owner: player, doc, updatedAt: now }));
}

function checkPlayer(player: unknown): string {
  if (typeof player !== 'string' || !PLAYER_RE.test(player))
    throw new InputError(
      'VERITY_E_INPUT_INVALID',
      `player id ${quote(player)} is not 1 to 128 letters, digits or ._:@-`,
    );
  return player;
}

function checkGroupId(groupId: unknown): string {
  if (!(groupId instanceof Uint8Array) || groupId.byteLength === 0 || groupId.byteLength > MAX_GROUP_ID)
    throw new InputError('VERITY_E_INPUT_INVALID', `a group id is 1 to ${MAX_GROUP_ID} bytes`);
  return toBase64Url(groupId);
}

/** The log's name of a room: a hash of its group id, so the public log does not carry the id. */
function roomResource(groupId: string): string {
  return `mls.room:${createHash('sha256').update(groupId).digest('base64url').slice(0, 22)}`;
}

function parse<T>(row: ObjectRow): T {
  return parseJson(row.body, { maxBytes: 1024 * 1024, maxDepth: 4 }, row.kind) as T;
}

function roomNotFound(): MlsError {
  return new MlsError('VERITY_E_MLS_ROOM_NOT_FOUND', 'no room has this group id; create it first');
}

function notMember(what: string): MlsError {
  return new MlsError('VERITY_E_MLS_NOT_MEMBER', `${what} is not a member of the room; join from a Welcome first`);
}

/** The header of a commit or application message for the room `groupId`, checked. */
function groupMessage(
  bytes: Uint8Array,
  type: 'commit' | 'application' | 'proposal',
  groupId: string,
  epoch: number | undefined,
): MessageHeader {
  const h = messageHeader(bytes, `${type} message`);
  if (h.contentType !== type) throw invalid(`the ${type} message is a ${h.contentType} message`);
  if (toBase64Url(h.groupId) !== groupId) throw invalid(`the ${type} message is for another group`);
  // The epoch the sender states beside the message must be the one it was made in.
  if (epoch !== undefined && epoch !== h.epoch)
    throw invalid(`the ${type} message is for epoch ${h.epoch}, not the epoch ${epoch} stated beside it`);
  return h;
}

function queueId(player: string, groupId: string, seq: number): string {
  return `${player}/${groupId}/${String(seq).padStart(SEQ_DIGITS, '0')}`;
}

/**
 * The delivery service of end-to-end encrypted rooms. Callers pass the player id the caller is
 * authenticated as (a session's player); the service never sees a plaintext.
 */
export class MlsDelivery {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly #suites: readonly CiphersuiteName[];
  readonly #retentionMs: number;
  readonly #maxKeyPackages: number;
  readonly #keys: KeyStore | undefined;
  #macReady: Promise<void> | undefined;

  constructor(o: MlsDeliveryOptions) {
    this.#store = o.store;
    this.#log = o.log;
    this.#clock = o.clock ?? systemClock;
    this.#suites = o.ciphersuites ?? DEFAULT_CIPHERSUITES;
    const days = o.retentionDays ?? 30;
    if (!Number.isInteger(days) || days < 1 || days > 366) throw new RangeError('retention is 1 to 366 days');
    this.#retentionMs = days * DAY;
    this.#maxKeyPackages = o.maxKeyPackages ?? 100;
    this.#keys = o.keys;
    if (!Number.isInteger(this.#maxKeyPackages) || this.#maxKeyPackages < 1 || this.#maxKeyPackages > 10_000)
      throw new RangeError('a player keeps 1 to 10000 KeyPackages');
  }

  #entry(
    batch: LogBatch,
    action: Parameters<typeof encodeAuditEntry>[0]['action'],
    resource: string,
    details: Record<string, number | boolean | string>,
  ): number {
    return batch.add(
      encodeAuditEntry({
        actor: ACTOR,
        action,
        resource,
        purpose: MLS_PURPOSE,
        outcome: 'success',
        time: this.#clock.now(),
        details,
      }),
    );
  }

  /**
   * Publishes a KeyPackage (an encoded MLSMessage of wire format `mls_key_package`) of `player`.
   * A last-resort package replaces the player's previous one and is handed out without being
   * consumed when no other is left. Throws VERITY_E_MLS_CREDENTIAL when its credential is not
   * `player`'s or its signatures do not verify.
   */
  async publishKeyPackage(
    player: string,
    bytes: Uint8Array,
    o: { lastResort?: boolean } = {},
  ): Promise<{ ref: string }> {
    checkPlayer(player);
    const lastResort = o.lastResort === true;
    const { keyPackage } = decodeMessage(bytes, 'mls_key_package', 'KeyPackage');
    const now = this.#clock.now();
    const kp = await checkKeyPackage(keyPackage, player, this.#suites, now);
    const doc: KeyPackageDoc = {
      keyPackage: toBase64Url(bytes),
      ciphersuite: kp.ciphersuite,
      lastResort,
      notAfter: kp.notAfter,
      publishedAt: now,
    };
    await this.#log.submit(async (tx, batch) => {
      // A KeyPackage is used once: one published again (the same ref) while it is stored or claimed
      // is refused.
      if (
        (await tx.getObject(KEY_PACKAGE_KIND, kp.ref)) !== undefined ||
        (await tx.getObject(CLAIM_KIND, kp.ref)) !== undefined
      )
        throw invalid('the KeyPackage was published already; generate a new one');
      const mine = await tx.listObjects(KEY_PACKAGE_KIND, player, { limit: this.#maxKeyPackages + 2 });
      let replaced = 0;
      if (lastResort) {
        for (const r of mine)
          if (parse<KeyPackageDoc>(r).lastResort) {
            await tx.deleteObject(KEY_PACKAGE_KIND, r.id);
            replaced++;
          }
      } else if (mine.filter((r) => !parse<KeyPackageDoc>(r).lastResort).length >= this.#maxKeyPackages)
        throw new MlsError(
          'VERITY_E_MLS_KEY_PACKAGE_LIMIT',
          `the player has ${this.#maxKeyPackages} unclaimed KeyPackages already; publish more once some are claimed`,
        );
      await tx.putObject(newObject({ kind: KEY_PACKAGE_KIND, id: kp.ref, owner: player, doc, updatedAt: now }));
      const dropped = lastResort ? mine.filter((r) => parse<KeyPackageDoc>(r).lastResort).map((r) => r.id) : [];
      await updateKeys(tx, player, { key: kp.signatureKey, addRef: kp.ref, dropRefs: dropped }, now);
      return this.#entry(batch, 'mls.keypackage.publish', `mls.keypackage:${kp.ref}`, { lastResort, replaced });
    });
    return { ref: kp.ref };
  }

  /**
   * Binds a signature key to `player` in their key entry without publishing a KeyPackage to claim:
   * `bytes` is a KeyPackage (checked as `publishKeyPackage` checks one, so signed by the key) whose
   * signature key the player uses elsewhere, for instance in a group they create. Idempotent.
   */
  async registerKey(player: string, bytes: Uint8Array): Promise<{ signatureKey: string }> {
    checkPlayer(player);
    const { keyPackage } = decodeMessage(bytes, 'mls_key_package', 'KeyPackage');
    const now = this.#clock.now();
    const kp = await checkKeyPackage(keyPackage, player, this.#suites, now);
    await this.#log.submit(async (tx, batch) => {
      await updateKeys(tx, player, { key: kp.signatureKey }, now);
      return this.#entry(batch, 'mls.keys.register', 'mls.keys', {});
    });
    return { signatureKey: kp.signatureKey };
  }

  /**
   * The key entries of `identities` (signature keys and unclaimed KeyPackage references), each
   * with its state proof under the latest signed checkpoint: what a client checks the keys members
   * show in a room against (key transparency, transparency.ts).
   */
  keyProofs(identities: readonly string[]): Promise<KeyProofs> {
    for (const i of identities) checkPlayer(i);
    return proveKeys(this.#store, this.#log, identities);
  }

  /** How many unclaimed KeyPackages `player` has, and whether a last-resort one. */
  async keyPackageCount(player: string): Promise<{ available: number; lastResort: boolean }> {
    checkPlayer(player);
    const now = this.#clock.now();
    const rows = await this.#store.reader.listObjects(KEY_PACKAGE_KIND, player, { limit: this.#maxKeyPackages + 2 });
    const docs = rows.map((r) => parse<KeyPackageDoc>(r)).filter((d) => d.notAfter * 1000 >= now);
    return { available: docs.filter((d) => !d.lastResort).length, lastResort: docs.some((d) => d.lastResort) };
  }

  /**
   * Claims one KeyPackage of `player` for adding them to a room: an ordinary one is consumed in
   * the same transaction (handed out once), the last-resort one only when none is left, and kept.
   */
  async claimKeyPackage(
    claimer: string,
    player: string,
  ): Promise<{ ref: string; keyPackage: Uint8Array; lastResort: boolean }> {
    checkPlayer(claimer);
    checkPlayer(player);
    const now = this.#clock.now();
    const { result } = await this.#log.submit(async (tx, batch) => {
      const rows = await tx.listObjects(KEY_PACKAGE_KIND, player, { limit: this.#maxKeyPackages + 2 });
      let lastResort: { row: ObjectRow; doc: KeyPackageDoc } | undefined;
      let pick: { row: ObjectRow; doc: KeyPackageDoc } | undefined;
      for (const row of rows) {
        const doc = parse<KeyPackageDoc>(row);
        if (doc.notAfter * 1000 < now) continue;
        if (doc.lastResort) lastResort = { row, doc };
        else if (pick === undefined) pick = { row, doc };
      }
      const chosen = pick ?? lastResort;
      if (chosen === undefined)
        throw new MlsError(
          'VERITY_E_MLS_NO_KEY_PACKAGE',
          'the player has no KeyPackage left; ask them to publish more',
        );
      if (!chosen.doc.lastResort) {
        await tx.deleteObject(KEY_PACKAGE_KIND, chosen.row.id);
        await updateKeys(tx, player, { dropRefs: [chosen.row.id] }, now);
        await tx.putObject(
          newObject({ kind: CLAIM_KIND, id: chosen.row.id, owner: player, doc: { at: now, claimer }, updatedAt: now }),
        );
      }
      this.#entry(batch, 'mls.keypackage.claim', `mls.keypackage:${chosen.row.id}`, {
        lastResort: chosen.doc.lastResort,
      });
      return {
        ref: chosen.row.id,
        keyPackage: fromBase64Url(chosen.doc.keyPackage),
        lastResort: chosen.doc.lastResort,
      };
    });
    return result;
  }

  /**
   * Opens a room for a group `creator` created (epoch 0, `creator` its one member). With
   * `franking: false` its application messages may come without a franking commitment (recorded in
   * the room and in the log entry; it cannot be changed later).
   */
  async createRoom(creator: string, groupIdBytes: Uint8Array, o: { franking?: boolean } = {}): Promise<Room> {
    checkPlayer(creator);
    const groupId = checkGroupId(groupIdBytes);
    const now = this.#clock.now();
    const room: Room = {
      groupId,
      epoch: 0,
      members: [creator],
      seq: 0,
      createdAt: now,
      ...(o.franking === false ? { franking: false as const } : {}),
    };
    await this.#log.submit(async (tx, batch) => {
      if ((await tx.getObject(ROOM_KIND, groupId)) !== undefined)
        throw new MlsError('VERITY_E_MLS_ROOM_EXISTS', 'a room with this group id exists already; choose another');
      await tx.putObject(newObject({ kind: ROOM_KIND, id: groupId, doc: room, updatedAt: now }));
      return this.#entry(batch, 'mls.room.create', roomResource(groupId), {
        epoch: 0,
        franking: room.franking !== false,
      });
    });
    return room;
  }

  /** The room's state as authenticated (refused with VERITY_E_STATE_TAMPERED when its row was altered). */
  async room(groupIdBytes: Uint8Array): Promise<Room | undefined> {
    const row = await this.#store.reader.getObject(ROOM_KIND, checkGroupId(groupIdBytes));
    return row === undefined ? undefined : parse<Room>(row);
  }

  /**
   * The room, read in the transaction, when `player` is a member and the message `h` is for its
   * current epoch: the one place the access decision of commits and messages is taken.
   */
  async #current(
    reader: StoreReader,
    groupId: string,
    player: string,
    h: MessageHeader,
  ): Promise<{ row: ObjectRow; room: Room }> {
    const row = await reader.getObject(ROOM_KIND, groupId);
    if (row === undefined) throw roomNotFound();
    const room = parse<Room>(row);
    if (!room.members.includes(player)) throw notMember(`the ${h.contentType === 'commit' ? 'committer' : 'sender'}`);
    if (h.epoch !== room.epoch)
      throw new MlsError(
        'VERITY_E_MLS_STALE_EPOCH',
        `the ${h.contentType} is for epoch ${h.epoch} but the room is at epoch ${room.epoch}; process the queued commit first`,
      );
    return { row, room };
  }

  /**
   * Accepts a commit of `player` for the room's current epoch and advances it, in one
   * compare-and-set of the room: of two commits for the same epoch the first wins and the second
   * is refused with VERITY_E_MLS_STALE_EPOCH, so a room never forks. The commit is queued for every
   * other member (the removed ones too, so they learn it); the Welcome, if any, for each new member,
   * found by the KeyPackage references it is encrypted to, which must be KeyPackages this service
   * handed out to the committer (or last-resort ones). `removes` names the players the commit removes: the service cannot read a commit's
   * proposals (it is encrypted), so the committer states them.
   */
  async commit(
    player: string,
    groupIdBytes: Uint8Array,
    input: { commit: Uint8Array; welcome?: Uint8Array; removes?: readonly string[]; epoch?: number },
  ): Promise<{ epoch: number; added: number; removed: number }> {
    checkPlayer(player);
    const groupId = checkGroupId(groupIdBytes);
    const h = groupMessage(input.commit, 'commit', groupId, input.epoch);
    const removes = [...new Set((input.removes ?? []).map(checkPlayer))];
    const welcome = input.welcome === undefined ? undefined : welcomeRecipients(input.welcome);
    if (welcome !== undefined && !this.#suites.includes(welcome.ciphersuite))
      throw new MlsError('VERITY_E_MLS_CIPHERSUITE', `ciphersuite ${quote(welcome.ciphersuite)} is not allowed here`);
    const now = this.#clock.now();
    const { result } = await this.#log.submit(async (tx, batch) => {
      const { row, room } = await this.#current(tx, groupId, player, h);
      for (const r of removes)
        if (r === player || !room.members.includes(r)) throw notMember(`a removed player (${quote(r)})`);
      const added: { player: string; ref: string }[] = [];
      for (const ref of welcome?.refs ?? []) {
        const claim = await tx.getObject(CLAIM_KIND, ref);
        if (claim !== undefined) {
          if (parse<{ claimer: string }>(claim).claimer !== player)
            throw invalid('the Welcome is encrypted to a KeyPackage another player claimed');
          await tx.deleteObject(CLAIM_KIND, ref);
          added.push({ player: claim.owner, ref });
          continue;
        }
        const kp = await tx.getObject(KEY_PACKAGE_KIND, ref);
        if (kp === undefined || !parse<KeyPackageDoc>(kp).lastResort)
          throw invalid('the Welcome is encrypted to a KeyPackage this service did not hand out');
        added.push({ player: kp.owner, ref });
      }
      const members = room.members.filter((m) => !removes.includes(m));
      for (const a of added) {
        if (members.includes(a.player)) throw invalid('the Welcome adds a player who is a member already');
        members.push(a.player);
      }
      if (members.length > MAX_MEMBERS) throw invalid(`a room has at most ${MAX_MEMBERS} members`);
      let seq = room.seq;
      const commitSeq = ++seq;
      for (const m of room.members)
        if (m !== player)
          await this.#enqueue(tx, m, {
            groupId,
            seq: commitSeq,
            type: 'commit',
            epoch: h.epoch,
            message: input.commit,
            at: now,
            sender: player,
          });
      if (input.welcome !== undefined) {
        const welcomeSeq = ++seq;
        for (const a of added)
          await this.#enqueue(tx, a.player, {
            groupId,
            seq: welcomeSeq,
            type: 'welcome',
            epoch: h.epoch + 1,
            message: input.welcome,
            at: now,
          });
      }
      const next: Room = { ...room, epoch: h.epoch + 1, members, seq };
      await tx.putObject(nextObject(row, { kind: ROOM_KIND, id: groupId, doc: next, updatedAt: now }));
      this.#entry(batch, 'mls.commit', roomResource(groupId), {
        epoch: next.epoch,
        added: added.length,
        removed: removes.length,
        members: members.length,
      });
      return { epoch: next.epoch, added: added.length, removed: removes.length };
    });
    return result;
  }

  /**
   * Fans an application message of `player` out to every other member of the room. It must be for
   * the room's current epoch (VERITY_E_MLS_STALE_EPOCH otherwise: its members have moved on). With
   * a key store it must carry a franking commitment, which is stamped for each recipient, unless
   * the room was opened with franking off; there a commitment, when carried, is stamped all the same.
   */
  send(
    player: string,
    groupIdBytes: Uint8Array,
    message: Uint8Array,
    o: { epoch?: number } = {},
  ): Promise<{ seq: number; delivered: number }> {
    return this.#fanOut(player, groupIdBytes, message, 'application', o.epoch);
  }

  /**
   * Fans a proposal of `player` (a handshake message that is not a commit, e.g. a member's proposal
   * to remove themselves) out to every other member, for the room's current epoch; a later commit
   * includes it. It changes neither the epoch nor the membership.
   */
  propose(
    player: string,
    groupIdBytes: Uint8Array,
    message: Uint8Array,
    o: { epoch?: number } = {},
  ): Promise<{ seq: number; delivered: number }> {
    return this.#fanOut(player, groupIdBytes, message, 'proposal', o.epoch);
  }

  async #fanOut(
    player: string,
    groupIdBytes: Uint8Array,
    message: Uint8Array,
    type: 'application' | 'proposal',
    epoch: number | undefined,
  ): Promise<{ seq: number; delivered: number }> {
    checkPlayer(player);
    const groupId = checkGroupId(groupIdBytes);
    const h = groupMessage(message, type, groupId, epoch);
    const franked = type === 'application' && this.#keys !== undefined;
    // Authenticated data that is there must be a commitment; none at all is decided by the room.
    const commitment =
      franked && h.authenticatedData.byteLength > 0 ? toBase64Url(readCommitment(h.authenticatedData)) : undefined;
    if (commitment !== undefined) await this.#macKey();
    const now = this.#clock.now();
    const { result } = await this.#log.submit(async (tx, batch) => {
      const { row, room } = await this.#current(tx, groupId, player, h);
      if (franked && commitment === undefined && room.franking !== false) readCommitment(h.authenticatedData);
      const seq = room.seq + 1;
      let delivered = 0;
      for (const m of room.members)
        if (m !== player) {
          const franking =
            commitment === undefined
              ? undefined
              : {
                  commitment,
                  stamp: await this.#stamp({ commitment, sender: player, groupId, recipient: m, seq, at: now }),
                };
          await this.#enqueue(tx, m, {
            groupId,
            seq,
            type,
            epoch: h.epoch,
            message,
            at: now,
            sender: player,
            ...(franking === undefined ? {} : { franking }),
          });
          delivered++;
        }
      await tx.putObject(nextObject(row, { kind: ROOM_KIND, id: groupId, doc: { ...room, seq }, updatedAt: now }));
      this.#entry(batch, type === 'application' ? 'mls.message' : 'mls.proposal', roomResource(groupId), {
        epoch: h.epoch,
        delivered,
        ...(franked ? { franked: commitment !== undefined } : {}),
      });
      return { seq, delivered };
    });
    return result;
  }

  /** The stamp key, created once per instance (concurrent first messages would each create it). */
  #macKey(): Promise<void> {
    const keys = this.#keys;
    if (keys === undefined) return Promise.resolve();
    this.#macReady ??= keys.ensureMacKey(FRANKING_KEY).catch((e: unknown) => {
      this.#macReady = undefined;
      throw e;
    });
    return this.#macReady;
  }

  async #stamp(s: Parameters<typeof stampInput>[0]): Promise<string> {
    const keys = this.#keys as KeyStore;
    return toBase64Url(await keys.mac(FRANKING_KEY, stampInput(s)));
  }

  async #enqueue(
    tx: Parameters<Parameters<TransparencyLog['submit']>[0]>[0],
    member: string,
    m: Omit<QueueDoc, 'message'> & { message: Uint8Array },
  ): Promise<void> {
    const doc: QueueDoc = { ...m, message: toBase64Url(m.message) };
    await tx.putObject(
      newObject({ kind: QUEUE_KIND, id: queueId(member, m.groupId, m.seq), owner: member, doc, updatedAt: m.at }),
    );
  }

  /** The messages waiting for `player`, by room and order sent; those past retention are left out. */
  async fetch(player: string, o: { limit?: number } = {}): Promise<QueuedMessage[]> {
    checkPlayer(player);
    const limit = o.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_FETCH)
      throw new InputError('VERITY_E_INPUT_INVALID', `a fetch returns 1 to ${MAX_FETCH} messages`);
    const oldest = this.#clock.now() - this.#retentionMs;
    const rows = await this.#store.reader.listObjects(QUEUE_KIND, player, { limit });
    return rows
      .map((r) => ({ id: r.id, doc: parse<QueueDoc>(r) }))
      .filter(({ doc }) => doc.at > oldest)
      .map(({ id, doc }) => ({ ...doc, id, message: fromBase64Url(doc.message) }));
  }

  /**
   * Acknowledges messages `player` fetched: they are deleted. Returns how many were there (an id
   * of another player's queue is refused; one acknowledged already is not counted).
   */
  async ack(player: string, ids: readonly string[]): Promise<number> {
    checkPlayer(player);
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_FETCH)
      throw new InputError('VERITY_E_INPUT_INVALID', `acknowledge 1 to ${MAX_FETCH} messages at a time`);
    for (const id of ids)
      if (typeof id !== 'string' || !id.startsWith(`${player}/`) || id.length > 300)
        throw new InputError('VERITY_E_INPUT_INVALID', 'a message id acknowledged is one from your own queue');
    const { result } = await this.#log.submit(async (tx, batch) => {
      let n = 0;
      for (const id of new Set(ids)) if (await tx.deleteObject(QUEUE_KIND, id)) n++;
      this.#entry(batch, 'mls.ack', 'mls.queue', { acknowledged: n });
      return n;
    });
    return result;
  }

  /**
   * Drops queued messages past retention, claims no Welcome used within it and KeyPackages past
   * their lifetime, at most `limit` of each kind scanned per call (run it from the retention job).
   * Returns how many were dropped.
   */
  async sweep(limit = 1000): Promise<number> {
    const now = this.#clock.now();
    const oldest = now - this.#retentionMs;
    const { result } = await this.#log.submit(async (tx, batch) => {
      let n = 0;
      for (const kind of [QUEUE_KIND, CLAIM_KIND, KEY_PACKAGE_KIND])
        for (const r of await tx.listObjects(kind, undefined, { limit })) {
          const gone =
            kind === KEY_PACKAGE_KIND ? parse<KeyPackageDoc>(r).notAfter * 1000 < now : r.updatedAt <= oldest;
          if (gone && (await tx.deleteObject(kind, r.id))) {
            n++;
            if (kind === KEY_PACKAGE_KIND) await updateKeys(tx, r.owner, { dropRefs: [r.id] }, now);
          }
        }
      this.#entry(batch, 'retention.run', 'mls.queue', { dropped: n });
      return n;
    });
    return result;
  }
}
