// The MLS delivery and authentication service (RFC 9420 3, FGMV-46 7.2.1): Verity stores and
// forwards KeyPackages (the key directory, directory.ts), commits, Welcomes and application
// messages it cannot read. Everything an access decision depends on is authenticated state
// (objects bound to the signed log's state map):
//   kind `mls.keypackage`, `mls.claim`            KeyPackages published and claimed (directory.ts)
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
import { fromBase64Url, toBase64Url } from '../encoding/index.ts';
import { InputError, MlsError, quote } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { newObject, nextObject, type ObjectRow, type StoreReader } from '../store/index.ts';
import {
  CLAIM_KIND,
  checkPlayer,
  KEY_PACKAGE_KIND,
  type KeyPackageDoc,
  type MlsDirectoryOptions,
  MlsKeyDirectory,
  parse,
  updateKeys,
} from './directory.ts';
import { FRANKING_KEY, readCommitment, stampInput } from './franking.ts';
import { invalid, type MessageHeader, messageHeader, welcomeRecipients } from './wire.ts';

export const ROOM_KIND = 'mls.room';
export const QUEUE_KIND = 'mls.queue';
const DAY = 86_400_000;
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

export interface MlsDeliveryOptions extends MlsDirectoryOptions {
  /** Days a queued message waits for its member before it is dropped (default 30, 1 to 366). */
  readonly retentionDays?: number;
  /**
   * The key store whose MAC key (`mls-franking`) stamps franking commitments: when given, every
   * application message must carry a commitment (franking.ts) and is stamped for each recipient,
   * so that it can be reported (MlsReports).
   */
  readonly keys?: KeyStore;
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

function checkGroupId(groupId: unknown): string {
  if (!(groupId instanceof Uint8Array) || groupId.byteLength === 0 || groupId.byteLength > MAX_GROUP_ID)
    throw new InputError('VERITY_E_INPUT_INVALID', `a group id is 1 to ${MAX_GROUP_ID} bytes`);
  return toBase64Url(groupId);
}

/** The log's name of a room: a hash of its group id, so the public log does not carry the id. */
function roomResource(groupId: string): string {
  return `mls.room:${createHash('sha256').update(groupId).digest('base64url').slice(0, 22)}`;
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
export class MlsDelivery extends MlsKeyDirectory {
  readonly #retentionMs: number;
  readonly #keys: KeyStore | undefined;
  #macReady: Promise<void> | undefined;

  constructor(o: MlsDeliveryOptions) {
    super(o);
    const days = o.retentionDays ?? 30;
    if (!Number.isInteger(days) || days < 1 || days > 366) throw new RangeError('retention is 1 to 366 days');
    this.#retentionMs = days * DAY;
    this.#keys = o.keys;
  }

  /**
   * Opens a room for a group `creator` created (epoch 0, `creator` its one member). With
   * `franking: false` its application messages may come without a franking commitment (recorded in
   * the room and in the log entry; it cannot be changed later).
   */
  async createRoom(creator: string, groupIdBytes: Uint8Array, o: { franking?: boolean } = {}): Promise<Room> {
    checkPlayer(creator);
    const groupId = checkGroupId(groupIdBytes);
    const now = this.clock.now();
    const room: Room = {
      groupId,
      epoch: 0,
      members: [creator],
      seq: 0,
      createdAt: now,
      ...(o.franking === false ? { franking: false as const } : {}),
    };
    await this.log.submit(async (tx, batch) => {
      if ((await tx.getObject(ROOM_KIND, groupId)) !== undefined)
        throw new MlsError('VERITY_E_MLS_ROOM_EXISTS', 'a room with this group id exists already; choose another');
      await tx.putObject(newObject({ kind: ROOM_KIND, id: groupId, doc: room, updatedAt: now }));
      return this.entry(batch, 'mls.room.create', roomResource(groupId), {
        epoch: 0,
        franking: room.franking !== false,
      });
    });
    return room;
  }

  /** The room's state as authenticated (refused with VERITY_E_STATE_TAMPERED when its row was altered). */
  async room(groupIdBytes: Uint8Array): Promise<Room | undefined> {
    const row = await this.store.reader.getObject(ROOM_KIND, checkGroupId(groupIdBytes));
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
    if (welcome !== undefined && !this.suites.includes(welcome.ciphersuite))
      throw new MlsError('VERITY_E_MLS_CIPHERSUITE', `ciphersuite ${quote(welcome.ciphersuite)} is not allowed here`);
    const now = this.clock.now();
    const { result } = await this.log.submit(async (tx, batch) => {
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
      this.entry(batch, 'mls.commit', roomResource(groupId), {
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
    const now = this.clock.now();
    const { result } = await this.log.submit(async (tx, batch) => {
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
      this.entry(batch, type === 'application' ? 'mls.message' : 'mls.proposal', roomResource(groupId), {
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
    const oldest = this.clock.now() - this.#retentionMs;
    const rows = await this.store.reader.listObjects(QUEUE_KIND, player, { limit });
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
    const { result } = await this.log.submit(async (tx, batch) => {
      let n = 0;
      for (const id of new Set(ids)) if (await tx.deleteObject(QUEUE_KIND, id)) n++;
      this.entry(batch, 'mls.ack', 'mls.queue', { acknowledged: n });
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
    const now = this.clock.now();
    const oldest = now - this.#retentionMs;
    const { result } = await this.log.submit(async (tx, batch) => {
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
      this.entry(batch, 'retention.run', 'mls.queue', { dropped: n });
      return n;
    });
    return result;
  }
}
