// The MLS delivery service with real ts-mls clients on real stores: three players publish
// KeyPackages, one creates a room and adds the others through claimed KeyPackages, they join from
// the Welcome and exchange application messages through the service's queues; a conflicting
// commit for a stale epoch, a KeyPackage of another identity, a second claim of a consumed
// KeyPackage and a tampered room row are refused.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type CiphersuiteImpl,
  type ClientState,
  createApplicationMessage,
  createCommit,
  createGroup,
  decodeMlsMessage,
  emptyPskIndex,
  encodeMlsMessage,
  joinGroup,
  type KeyPackage,
  type PrivateKeyPackage,
  processPrivateMessage,
} from 'ts-mls';
import { BACKENDS, makeCore, type TestCore } from '../../test/helpers/core.ts';
import { basicKeyPackage, keyPackageMessage } from '../../test/helpers/mls.ts';
import { decodeAuditEntry } from '../audit/index.ts';
import { toBase64Url } from '../encoding/index.ts';
import { isVerityError } from '../errors/index.ts';
import { verifyCheckpoint } from '../note/index.ts';
import {
  stateDigest,
  stateKey,
  stateProofFromBase64,
  stateRootFromExtensions,
  verifyStateProof,
} from '../smt/index.ts';
import { MlsDelivery, ROOM_KIND } from './index.ts';
import { suiteImpl } from './wire.ts';

const SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' as const;
const text = new TextEncoder();
const code = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;

interface Client {
  readonly id: string;
  readonly publicPackage: KeyPackage;
  readonly privatePackage: PrivateKeyPackage;
}

async function newClient(impl: CiphersuiteImpl, id: string, identity = id): Promise<Client> {
  return { id, ...(await basicKeyPackage(identity, impl)) };
}

const kpBytes = keyPackageMessage;

function decodeKeyPackage(bytes: Uint8Array): KeyPackage {
  const m = decodeMlsMessage(bytes, 0)?.[0];
  assert.ok(m !== undefined && m.wireformat === 'mls_key_package');
  return m.keyPackage;
}

async function read(impl: CiphersuiteImpl, state: ClientState, bytes: Uint8Array) {
  const m = decodeMlsMessage(bytes, 0)?.[0];
  assert.ok(m !== undefined && m.wireformat === 'mls_private_message');
  return processPrivateMessage(state, m.privateMessage, emptyPskIndex, impl);
}

/** An application message from `state`: the sender's next state and the encoded message. */
async function post(impl: CiphersuiteImpl, state: ClientState, body: string) {
  const sent = await createApplicationMessage(state, text.encode(body), impl);
  const bytes = encodeMlsMessage({
    version: 'mls10',
    wireformat: 'mls_private_message',
    privateMessage: sent.privateMessage,
  });
  return { state: sent.newState, bytes };
}

for (const backend of BACKENDS) {
  describe(`mls delivery service (${backend})`, () => {
    let core: TestCore;
    let ds: MlsDelivery;
    let impl: CiphersuiteImpl;
    let alice: Client;
    let bob: Client;
    let carol: Client;
    let aliceState: ClientState;
    let bobState: ClientState;
    let carolState: ClientState;
    const groupId = text.encode(`room-${backend}`);

    before(async () => {
      core = await makeCore(backend);
      ds = new MlsDelivery({ store: core.store, log: core.log, retentionDays: 7 });
      impl = await suiteImpl(SUITE);
      [alice, bob, carol] = (await Promise.all(['alice', 'bob', 'carol'].map((p) => newClient(impl, p)))) as [
        Client,
        Client,
        Client,
      ];
    });
    after(() => core?.dispose());

    it('publishes KeyPackages whose credential is the publishing player, and counts them', async () => {
      for (const c of [alice, bob, carol]) await ds.publishKeyPackage(c.id, kpBytes(c.publicPackage));
      assert.deepEqual(await ds.keyPackageCount('bob'), { available: 1, lastResort: false });
    });

    it('refuses a KeyPackage whose credential names another player, or is tampered with', async () => {
      const mallory = await newClient(impl, 'mallory', 'bob');
      await assert.rejects(
        ds.publishKeyPackage('mallory', kpBytes(mallory.publicPackage)),
        code('VERITY_E_MLS_CREDENTIAL'),
      );
      const forged = {
        ...mallory.publicPackage,
        initKey: (await newClient(impl, 'x', 'mallory')).publicPackage.initKey,
      };
      const renamed = {
        ...forged,
        leafNode: {
          ...forged.leafNode,
          credential: { credentialType: 'basic' as const, identity: text.encode('mallory') },
        },
      };
      await assert.rejects(ds.publishKeyPackage('mallory', kpBytes(renamed)), code('VERITY_E_MLS_CREDENTIAL'));
      await assert.rejects(
        ds.publishKeyPackage('mallory', text.encode('not mls')),
        code('VERITY_E_MLS_MESSAGE_INVALID'),
      );
      assert.deepEqual(await ds.keyPackageCount('mallory'), { available: 0, lastResort: false });
    });

    it("takes a device-qualified client id (`<uuid>:<device>@<identity>`, core-crypto's form) as the player's, never another's", async () => {
      const device = '6d9f1b2a-1111-4222-8333-444455556666:1f';
      const own = await newClient(impl, 'gwen', `${device}@gwen`);
      await ds.publishKeyPackage('gwen', kpBytes(own.publicPackage));
      assert.deepEqual(await ds.keyPackageCount('gwen'), { available: 1, lastResort: false });
      for (const identity of [
        `${device}@bob`,
        `${device}@gwen@bob`,
        `${device.toUpperCase()}@gwen`,
        `not-a-uuid:1f@gwen`,
        `${device}:@gwen`,
        `${device}@`,
      ]) {
        const other = await newClient(impl, 'gwen', identity);
        await assert.rejects(
          ds.publishKeyPackage('gwen', kpBytes(other.publicPackage)),
          code('VERITY_E_MLS_CREDENTIAL'),
          identity,
        );
      }
    });

    it('builds a room: claims, commit and Welcome through the service, members in the room state', async () => {
      aliceState = await createGroup(groupId, alice.publicPackage, alice.privatePackage, [], impl);
      await ds.createRoom('alice', groupId);
      const bobKp = await ds.claimKeyPackage('alice', 'bob');
      const carolKp = await ds.claimKeyPackage('alice', 'carol');
      assert.equal(bobKp.lastResort, false);
      const res = await createCommit(
        { state: aliceState, cipherSuite: impl },
        {
          extraProposals: [bobKp, carolKp].map((k) => ({
            proposalType: 'add' as const,
            add: { keyPackage: decodeKeyPackage(k.keyPackage) },
          })),
          ratchetTreeExtension: true,
        },
      );
      aliceState = res.newState;
      assert.ok(res.welcome !== undefined);
      const welcome = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: res.welcome });
      const out = await ds.commit('alice', groupId, { commit: encodeMlsMessage(res.commit), welcome });
      assert.deepEqual(out, { epoch: 1, added: 2, removed: 0 });
      const room = await ds.room(groupId);
      assert.deepEqual(room?.members, ['alice', 'bob', 'carol']);
      assert.equal(room?.epoch, 1);

      for (const c of [bob, carol]) {
        const [w] = await ds.fetch(c.id);
        assert.equal(w?.type, 'welcome');
        const m = decodeMlsMessage((w as { message: Uint8Array }).message, 0)?.[0];
        assert.ok(m !== undefined && m.wireformat === 'mls_welcome');
        const state = await joinGroup(m.welcome, c.publicPackage, c.privatePackage, emptyPskIndex, impl);
        assert.equal(state.groupContext.epoch, 1n);
        if (c === bob) bobState = state;
        else carolState = state;
        assert.equal(await ds.ack(c.id, [(w as { id: string }).id]), 1);
        assert.deepEqual(await ds.fetch(c.id), []);
      }
    });

    it('fans application messages out to every other member, who decrypt them', async () => {
      const sent = await post(impl, bobState, 'hello room');
      bobState = sent.state;
      const bytes = sent.bytes;
      // The epoch stated beside a message must be its header's; an application message is no proposal.
      await assert.rejects(ds.send('bob', groupId, bytes, { epoch: 0 }), code('VERITY_E_MLS_MESSAGE_INVALID'));
      await assert.rejects(ds.propose('bob', groupId, bytes), code('VERITY_E_MLS_MESSAGE_INVALID'));
      assert.equal((await ds.send('bob', groupId, bytes, { epoch: 1 })).delivered, 2);
      assert.deepEqual(await ds.fetch('bob'), []);
      for (const [who, state] of [
        ['alice', aliceState],
        ['carol', carolState],
      ] as const) {
        const [m] = await ds.fetch(who);
        assert.equal(m?.type, 'application');
        const r = await read(impl, state, (m as { message: Uint8Array }).message);
        assert.equal(r.kind, 'applicationMessage');
        assert.equal(new TextDecoder().decode((r as { message: Uint8Array }).message), 'hello room');
        if (who === 'alice') aliceState = r.newState;
        else carolState = r.newState;
        await ds.ack(who, [(m as { id: string }).id]);
      }
      // Someone outside the room cannot post to it, nor acknowledge another's queue.
      await assert.rejects(ds.send('mallory', groupId, bytes), code('VERITY_E_MLS_NOT_MEMBER'));
      await assert.rejects(ds.ack('mallory', ['alice/x/1']), code('VERITY_E_INPUT_INVALID'));
    });

    it('with a key store: refuses an application message without a franking commitment, stamps one with it', async () => {
      const franked = new MlsDelivery({ store: core.store, log: core.log, keys: core.keys });
      const plain = await post(impl, bobState, 'not franked');
      await assert.rejects(franked.send('bob', groupId, plain.bytes), code('VERITY_E_MLS_MESSAGE_INVALID'));
      const aad = new Uint8Array(33).fill(7);
      aad[0] = 1;
      const sent = await createApplicationMessage(bobState, text.encode('franked'), impl, aad);
      bobState = sent.newState;
      const bytes = encodeMlsMessage({
        version: 'mls10',
        wireformat: 'mls_private_message',
        privateMessage: sent.privateMessage,
      });
      assert.equal((await franked.send('bob', groupId, bytes)).delivered, 2);
      const stamps = new Set<string>();
      for (const who of ['alice', 'carol']) {
        const [m] = await franked.fetch(who);
        assert.equal(m?.franking?.commitment, Buffer.from(aad.slice(1)).toString('base64url'));
        assert.match(m?.franking?.stamp ?? '', /^[A-Za-z0-9_-]{43}$/);
        stamps.add(m?.franking?.stamp as string);
        assert.equal(m?.sender, 'bob');
        await franked.ack(who, [(m as { id: string }).id]);
      }
      assert.equal(stamps.size, 2, 'each recipient has a stamp of their own');
    });

    it('in a room opened with franking off: relays a message without authenticated data unstamped, never a malformed one', async () => {
      const franked = new MlsDelivery({ store: core.store, log: core.log, keys: core.keys });
      const solo = text.encode(`solo-${backend}`);
      const soloKp = await newClient(impl, 'alice');
      let state = await createGroup(solo, soloKp.publicPackage, soloKp.privatePackage, [], impl);
      const room = await franked.createRoom('alice', solo, { franking: false });
      assert.equal(room.franking, false);
      const plain = await post(impl, state, 'from a library that cannot frank');
      state = plain.state;
      assert.deepEqual(await franked.send('alice', solo, plain.bytes), { seq: 1, delivered: 0 });
      // Authenticated data that is there must still be a commitment.
      const bad = await createApplicationMessage(state, text.encode('x'), impl, text.encode('not a commitment'));
      const badBytes = encodeMlsMessage({
        version: 'mls10',
        wireformat: 'mls_private_message',
        privateMessage: bad.privateMessage,
      });
      await assert.rejects(franked.send('alice', solo, badBytes), code('VERITY_E_MLS_MESSAGE_INVALID'));
      // The room's default stays franking required, recorded in the log.
      const other = text.encode(`franked-${backend}`);
      assert.equal((await franked.createRoom('alice', other)).franking, undefined);
      const entries = (await core.store.reader.getLogEntries(0, (await core.log.head()).size)).flatMap((e) => {
        try {
          return [decodeAuditEntry(e)];
        } catch {
          return [];
        }
      });
      const creates = entries.filter((e) => e.action === 'mls.room.create').slice(-2);
      assert.deepEqual(
        creates.map((e) => e.details?.['franking']),
        [false, true],
      );
      assert.equal(entries.filter((e) => e.action === 'mls.message').at(-1)?.details?.['franked'], false);
    });

    it('accepts one of two conflicting commits and refuses the other as stale: the room does not fork', async () => {
      const fromBob = await createCommit({ state: bobState, cipherSuite: impl });
      const fromCarol = await createCommit({ state: carolState, cipherSuite: impl });
      // Sent at the same time: the first submitted is accepted, the other refused.
      const [b, c] = await Promise.allSettled([
        ds.commit('bob', groupId, { commit: encodeMlsMessage(fromBob.commit) }),
        ds.commit('carol', groupId, { commit: encodeMlsMessage(fromCarol.commit) }),
      ]);
      assert.equal(b.status, 'fulfilled');
      assert.equal((b as PromiseFulfilledResult<{ epoch: number }>).value.epoch, 2);
      assert.ok(c.status === 'rejected' && code('VERITY_E_MLS_STALE_EPOCH')(c.reason));
      await assert.rejects(
        ds.commit('carol', groupId, { commit: encodeMlsMessage(fromCarol.commit) }),
        code('VERITY_E_MLS_STALE_EPOCH'),
      );
      assert.equal((await ds.room(groupId))?.epoch, 2);
      bobState = fromBob.newState;
      const carolAtOne = carolState;
      // Carol and Alice process Bob's commit from their queues and are at epoch 2 with him.
      for (const who of ['alice', 'carol'] as const) {
        const [m] = await ds.fetch(who);
        assert.equal(m?.type, 'commit');
        const r = await read(impl, who === 'alice' ? aliceState : carolState, (m as { message: Uint8Array }).message);
        assert.equal(r.newState.groupContext.epoch, 2n);
        if (who === 'alice') aliceState = r.newState;
        else carolState = r.newState;
        await ds.ack(who, [(m as { id: string }).id]);
      }
      // A message still for epoch 1 is refused too.
      const late = await post(impl, carolAtOne, 'late');
      await assert.rejects(ds.send('carol', groupId, late.bytes), code('VERITY_E_MLS_STALE_EPOCH'));
    });

    it('hands a claimed KeyPackage out once; the last-resort one every time, without consuming it', async () => {
      const dave = await newClient(impl, 'dave');
      const daveLast = await newClient(impl, 'dave');
      const { ref } = await ds.publishKeyPackage('dave', kpBytes(dave.publicPackage));
      const last = await ds.publishKeyPackage('dave', kpBytes(daveLast.publicPackage), { lastResort: true });
      assert.deepEqual(await ds.keyPackageCount('dave'), { available: 1, lastResort: true });
      const first = await ds.claimKeyPackage('alice', 'dave');
      assert.equal(first.ref, ref);
      assert.equal(first.lastResort, false);
      for (let i = 0; i < 2; i++) {
        const again = await ds.claimKeyPackage('bob', 'dave');
        assert.equal(again.ref, last.ref);
        assert.equal(again.lastResort, true);
      }
      assert.deepEqual(await ds.keyPackageCount('dave'), { available: 0, lastResort: true });
      // A Welcome may use only KeyPackages handed out to its committer: Bob cannot add Dave with
      // the one Alice claimed, nor with one never published here.
      const erin = await newClient(impl, 'erin');
      for (const kp of [decodeKeyPackage(first.keyPackage), erin.publicPackage]) {
        const res = await createCommit(
          { state: bobState, cipherSuite: impl },
          { extraProposals: [{ proposalType: 'add', add: { keyPackage: kp } }] },
        );
        const welcome = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: res.welcome! });
        await assert.rejects(
          ds.commit('bob', groupId, { commit: encodeMlsMessage(res.commit), welcome }),
          code('VERITY_E_MLS_MESSAGE_INVALID'),
        );
      }
      assert.equal((await ds.room(groupId))?.epoch, 2);
      // The same KeyPackage cannot be published again; a player with none has nothing to claim.
      await assert.rejects(
        ds.publishKeyPackage('dave', kpBytes(dave.publicPackage)),
        code('VERITY_E_MLS_MESSAGE_INVALID'),
      );
      await assert.rejects(
        ds.publishKeyPackage('dave', kpBytes(daveLast.publicPackage), { lastResort: true }),
        code('VERITY_E_MLS_MESSAGE_INVALID'),
      );
      await assert.rejects(ds.claimKeyPackage('alice', 'erin'), code('VERITY_E_MLS_NO_KEY_PACKAGE'));
    });

    it("keeps each player's signature keys and unclaimed KeyPackage references in a proven key entry", async () => {
      const entry = async (player: string) => {
        const proofs = await ds.keyProofs([player]);
        const [e] = proofs.entries;
        assert.ok(e?.object !== undefined);
        const root = stateRootFromExtensions(
          verifyCheckpoint(proofs.checkpoint, core.log.verifier).checkpoint.extensions,
        );
        const value = verifyStateProof(
          root as Uint8Array,
          stateKey('object.mls.keys', player),
          stateProofFromBase64(e.proof),
        );
        const o = e.object;
        assert.deepEqual(value, stateDigest('object', ['mls.keys', o.id, o.owner, o.body, o.version, o.updatedAt]));
        return JSON.parse(o.body) as { identity: string; signatureKeys: string[]; keyPackages: string[] };
      };
      const key = (c: Client) => toBase64Url(c.publicPackage.leafNode.signaturePublicKey);
      const frank = await newClient(impl, 'frank');
      const frankLast = await newClient(impl, 'frank');
      const a = await ds.publishKeyPackage('frank', kpBytes(frank.publicPackage));
      const b = await ds.publishKeyPackage('frank', kpBytes(frankLast.publicPackage), { lastResort: true });
      assert.deepEqual(await entry('frank'), {
        identity: 'frank',
        signatureKeys: [key(frank), key(frankLast)],
        keyPackages: [a.ref, b.ref],
      });
      // A claim drops its reference; the last-resort one stays until replaced.
      await ds.claimKeyPackage('alice', 'frank');
      await ds.claimKeyPackage('alice', 'frank');
      assert.deepEqual((await entry('frank')).keyPackages, [b.ref]);
      const frankNext = await newClient(impl, 'frank');
      const c = await ds.publishKeyPackage('frank', kpBytes(frankNext.publicPackage), { lastResort: true });
      assert.deepEqual((await entry('frank')).keyPackages, [c.ref]);
      // A key bound without a KeyPackage to claim; once only. Another player's is refused.
      const own = await newClient(impl, 'frank');
      await ds.registerKey('frank', kpBytes(own.publicPackage));
      await ds.registerKey('frank', kpBytes(own.publicPackage));
      assert.deepEqual((await entry('frank')).signatureKeys, [key(frank), key(frankLast), key(frankNext), key(own)]);
      await assert.rejects(ds.registerKey('frank', kpBytes(alice.publicPackage)), code('VERITY_E_MLS_CREDENTIAL'));
      // A player with no entry: the proof shows the map holds none.
      const none = (await ds.keyProofs(['nobody'])).entries[0];
      assert.equal(none?.object, undefined);
    });

    it('logs every change without player ids, group ids or messages', async () => {
      const head = await core.log.head();
      const entries = await core.store.reader.getLogEntries(0, head.size);
      const mls = entries.flatMap((e) => {
        try {
          const a = decodeAuditEntry(e);
          return a.action.startsWith('mls.') ? [a] : [];
        } catch {
          return [];
        }
      });
      assert.ok(mls.some((a) => a.action === 'mls.commit'));
      const all = JSON.stringify(mls);
      for (const secret of ['alice', 'bob', 'carol', 'hello room', Buffer.from(groupId).toString('base64url')])
        assert.ok(!all.includes(secret), `the log names ${secret}`);
    });

    it('drops queued messages past retention', async () => {
      const sent = await post(impl, aliceState, 'later');
      aliceState = sent.state;
      const bytes = sent.bytes;
      await ds.send('alice', groupId, bytes);
      assert.equal((await ds.fetch('bob')).length, 1);
      const later = new MlsDelivery({
        store: core.store,
        log: core.log,
        retentionDays: 7,
        clock: { now: () => Date.now() + 8 * 86_400_000 },
      });
      assert.deepEqual(await later.fetch('bob'), []);
      assert.ok((await later.sweep()) >= 2);
      assert.deepEqual(await ds.fetch('bob'), []);
    });

    it('removes a member the committer names: they get the commit, then may no longer post', async () => {
      const carolLeaf = 2;
      const res = await createCommit(
        { state: aliceState, cipherSuite: impl },
        { extraProposals: [{ proposalType: 'remove', remove: { removed: carolLeaf } }] },
      );
      await assert.rejects(
        ds.commit('alice', groupId, { commit: encodeMlsMessage(res.commit), removes: ['alice'] }),
        code('VERITY_E_MLS_NOT_MEMBER'),
      );
      const out = await ds.commit('alice', groupId, { commit: encodeMlsMessage(res.commit), removes: ['carol'] });
      assert.deepEqual(out, { epoch: 3, added: 0, removed: 1 });
      aliceState = res.newState;
      assert.deepEqual((await ds.room(groupId))?.members, ['alice', 'bob']);
      const [m] = await ds.fetch('carol');
      assert.equal(m?.type, 'commit');
      const r = await read(impl, carolState, (m as { message: Uint8Array }).message);
      assert.equal(r.newState.groupActiveState.kind, 'removedFromGroup');
      const after = await post(impl, aliceState, 'without carol');
      assert.equal((await ds.send('alice', groupId, after.bytes)).delivered, 1);
      aliceState = after.state;
      await assert.rejects(ds.send('carol', groupId, after.bytes), code('VERITY_E_MLS_NOT_MEMBER'));
    });

    it('catches a room row altered in the database', async () => {
      const id = Buffer.from(groupId).toString('base64url');
      const [row] = await core.sql('SELECT body FROM t.objects WHERE kind = ? AND id = ?', [ROOM_KIND, id]);
      const body = JSON.parse(String(row?.['body'])) as { members: string[] };
      body.members.push('mallory');
      await core.sql('UPDATE t.objects SET body = ? WHERE kind = ? AND id = ?', [JSON.stringify(body), ROOM_KIND, id]);
      await assert.rejects(ds.room(groupId), code('VERITY_E_STATE_TAMPERED'));
      // The decision who may post reads the room in the transaction: it is refused too.
      const m = await post(impl, aliceState, 'after tampering');
      await assert.rejects(ds.send('alice', groupId, m.bytes), code('VERITY_E_STATE_TAMPERED'));
    });
  });
}
