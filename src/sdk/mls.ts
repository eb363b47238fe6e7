// The SDK's client of end-to-end encrypted rooms (MLS, RFC 9420, on ts-mls with the noble crypto
// provider, so the same code runs in Node.js and browsers). Private keys and group secrets stay in
// the client: the server sees KeyPackages, commits, Welcomes and ciphertexts only. Every
// application message is franked (mls-wire.ts), so a recipient can prove an abusive message to the
// service. The client's state (KeyPackages' private parts, each group's state) is kept in a
// storage the caller gives (mls-state.ts), so a client restarts where it stopped. A separate entry
// point (`@verity/sdk/mls`): the main SDK bundle does not carry ts-mls.
import {
  type CiphersuiteImpl,
  type CiphersuiteName,
  type ClientState,
  createApplicationMessage,
  createCommit,
  createGroup,
  createProposal,
  emptyPskIndex,
  encodeMlsMessage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  nobleCryptoProvider,
  type Proposal,
  processPrivateMessage,
  processPublicMessage,
} from 'ts-mls';
import { fromBase64Url, toBase64Url } from '../encoding/index.ts';
import { isVerityError, MlsError } from '../errors/index.ts';
import { type Endpoint, requestJson } from './http.ts';
import { ClientKeys } from './mls-credentials.ts';
import { KeyTransparency, type KeyTransparencyOptions } from './mls-keys.ts';
import { GroupStates, type MlsStorage } from './mls-state.ts';
import {
  decodeMessage,
  frank,
  identityOf,
  newKeys,
  openFranking,
  playerIdentity,
  type Queued,
  type Received,
  type ReceivedMessage,
  shownKeys,
} from './mls-wire.ts';

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
  readonly #impl: CiphersuiteImpl;
  readonly #groups: GroupStates;
  readonly #publicHandshake: boolean;
  /** Rooms whose authenticated state says franking is off (read once, when a message needs it). */
  readonly #unfranked = new Map<string, Promise<boolean>>();
  readonly #kt: KeyTransparency;
  readonly #keys: ClientKeys;
  /** The identity this client's credentials name (the player's subject reference). */
  readonly identity: string;

  private constructor(
    at: Endpoint,
    impl: CiphersuiteImpl,
    identity: string,
    publicHandshake: boolean,
    keys: ClientKeys,
    kt: KeyTransparency,
    groups: GroupStates,
  ) {
    this.#at = at;
    this.#impl = impl;
    this.identity = identity;
    this.#publicHandshake = publicHandshake;
    this.#keys = keys;
    this.#kt = kt;
    this.#groups = groups;
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
    return new MlsClient(
      at,
      impl,
      identity,
      o.publicHandshake === true,
      await ClientKeys.open(at, o.storage, impl, identity, o.clientId === true),
      new KeyTransparency(at, o),
      await GroupStates.load(o.storage),
    );
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
    return this.#kt.check(shownKeys(this.#groups.get(groupId)), { groupId });
  }

  /**
   * Generates `count` KeyPackages, keeps their private keys in the storage and publishes them, so
   * that others can add this player to rooms; `lastResort` publishes one that is handed out when
   * no other is left.
   */
  publishKeyPackages(count = 1, o: { lastResort?: boolean } = {}): Promise<string[]> {
    return this.#keys.publish(count, o.lastResort === true);
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
    const kp = await this.#keys.newKeyPackage();
    const state = await createGroup(groupId, kp.publicPackage, kp.privatePackage, [], this.#impl);
    const id = toBase64Url(groupId);
    await requestJson(this.#at, 'POST', '/v1/mls/rooms', {
      groupId: id,
      ...(o.franking === false ? { franking: false } : {}),
    });
    await this.#groups.save(id, state);
    return id;
  }

  /** The members of a room as this client's group state knows them (identities). */
  members(groupId: string): string[] {
    return this.#groups
      .get(groupId)
      .ratchetTree.flatMap((n) => (n?.nodeType === 'leaf' ? [identityOf(n.leaf)] : []))
      .filter((x): x is string => x !== undefined);
  }

  /** The leaf index of a member, by credential identity or by the player identity it names. */
  #leafOf(state: ClientState, identity: string): number {
    const i = state.ratchetTree.findIndex((n) => {
      const id = n?.nodeType === 'leaf' ? identityOf(n.leaf) : undefined;
      return id !== undefined && (id === identity || playerIdentity(id) === identity);
    });
    if (i < 0) throw new MlsError('VERITY_E_MLS_NOT_MEMBER', 'no member of the room has this identity');
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
    const state = this.#groups.get(groupId);
    const res = await createCommit(
      { state, cipherSuite: this.#impl },
      { extraProposals: proposals, ratchetTreeExtension: true, wireAsPublicMessage: this.#publicHandshake },
    );
    const allRemoved = [...new Set([...removes, ...this.#pendingRemovals(state)])];
    const out = await requestJson<{ epoch: number }>(this.#at, 'POST', `/v1/mls/rooms/${groupId}/commits`, {
      epoch: Number(state.groupContext.epoch),
      commit: toBase64Url(encodeMlsMessage(res.commit)),
      ...(res.welcome === undefined
        ? {}
        : {
            welcome: toBase64Url(
              encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: res.welcome }),
            ),
          }),
      ...(allRemoved.length === 0 ? {} : { removes: allRemoved }),
    });
    await this.#groups.save(groupId, res.newState);
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
      const m = decodeMessage(fromBase64Url(c.keyPackage));
      if (m.wireformat !== 'mls_key_package')
        throw new MlsError('VERITY_E_MLS_MESSAGE_INVALID', 'the server handed out something else than a KeyPackage');
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
    const state = this.#groups.get(groupId);
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
    const state = this.#groups.get(groupId);
    const p = await createProposal(
      state,
      this.#publicHandshake,
      { proposalType: 'remove', remove: { removed: this.#leafOf(state, this.identity) } },
      this.#impl,
    );
    await requestJson(this.#at, 'POST', `/v1/mls/rooms/${groupId}/proposals`, {
      epoch: Number(state.groupContext.epoch),
      proposal: toBase64Url(encodeMlsMessage(p.message)),
    });
    await this.#groups.save(groupId, undefined);
  }

  /** Sends a text message to the room, franked so that a recipient can report it. */
  async send(groupId: string, message: string): Promise<{ seq: number; delivered: number }> {
    const state = this.#groups.get(groupId);
    // The franking, then this client's view of the log (D179): recipients compare it with theirs,
    // so a service showing members different logs (and so possibly different keys) is found.
    const { content, aad } = frank(new TextEncoder().encode(message), await this.#kt.view());
    const sent = await createApplicationMessage(state, content, this.#impl, aad);
    const bytes = encodeMlsMessage({
      version: 'mls10',
      wireformat: 'mls_private_message',
      privateMessage: sent.privateMessage,
    });
    // The sender's ratchet moved: saved before sending, so a restart never reuses a key.
    await this.#groups.save(groupId, sent.newState);
    return requestJson(this.#at, 'POST', `/v1/mls/rooms/${groupId}/messages`, {
      epoch: Number(state.groupContext.epoch),
      message: toBase64Url(bytes),
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
    const m = decodeMessage(fromBase64Url(q.message));
    if (q.type === 'welcome') {
      if (m.wireformat !== 'mls_welcome') throw new Error('not a Welcome');
      for (const s of m.welcome.secrets) {
        const k = await this.#keys.keyPackage(s.newMember);
        if (k === undefined) continue;
        const state = await joinGroup(m.welcome, k.publicPackage, k.privatePackage, emptyPskIndex, this.#impl);
        // Key transparency: every member's key is checked before the room is joined.
        await this.#kt.check(shownKeys(state), { groupId: q.groupId });
        // A KeyPackage is used once; the last-resort one stays for the next Welcome.
        await this.#keys.used(k);
        await this.#groups.save(q.groupId, state);
        return { type: 'joined', groupId: q.groupId, epoch: Number(state.groupContext.epoch) };
      }
      throw new Error('the Welcome is for none of this client’s KeyPackages');
    }
    const state = this.#groups.get(q.groupId);
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
      await this.#groups.save(q.groupId, removed ? undefined : r.newState);
      // A removed member's state stays at the old epoch: the room's new one is the commit's next.
      return { type: 'commit', groupId: q.groupId, epoch: q.epoch + 1, removed };
    }
    await this.#groups.save(q.groupId, r.newState);
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
    // The franking: a message that does not open it could not be reported, and is dropped.
    const f = openFranking(content, aad, q.franking);
    // The sender's view of the log, signed with the message: it must be one log with this client's.
    if (f.view !== undefined) await this.#kt.compareView(f.view, { groupId: q.groupId, sender: q.sender ?? '' });
    return received(f.body, {
      stamp: (q.franking as { stamp: string }).stamp,
      frankingKey: toBase64Url(f.key),
      body: toBase64Url(f.body),
    });
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
      throw new MlsError(
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
export { MemoryMlsStorage, type MlsStorage } from './mls-state.ts';
export { frankingCommitment, playerIdentity, type Received, type ReceivedMessage } from './mls-wire.ts';
