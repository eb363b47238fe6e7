// End-to-end encrypted rooms across Verity nodes (FGMV-46 7.2.1, D201): two `verity serve`
// processes on one PostgreSQL database. Members connected to different nodes build a room, message
// each other both ways, and commit at the same epoch at the same time through different nodes: the
// database orders them, one commit wins, the other is refused as stale, and the room never forks.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initDataDir, openDataDir } from '../src/embedded/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { Tokens } from '../src/principals/index.ts';
import { MemoryMlsStorage, MlsClient, type Received } from '../src/sdk/mls.ts';
import { PG_URL, pgSchema, TEST_KDF, TEST_SECRET, tempDir } from './helpers/env.ts';
import { startNode, stopNode } from './helpers/node.ts';

const texts = (got: readonly Received[]) => got.flatMap((r) => (r.type === 'message' ? [r.message.text] : []));

describe('mls rooms across two nodes on one PostgreSQL database', () => {
  let cleanup: () => Promise<void>;
  let pgs: ReturnType<typeof pgSchema>;
  const nodes: { url: string; child: ChildProcess }[] = [];
  /** Each player's client on their own node: alice on the first, bob and carol on the second. */
  const c: Record<'alice' | 'bob' | 'carol', MlsClient> = {} as never;
  let room: string;

  before(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    pgs = pgSchema();
    const data = join(t.dir, 'data');
    await initDataDir(data, {
      secret: TEST_SECRET,
      kdf: TEST_KDF,
      postgres: { connectionString: PG_URL, schema: pgs.schema },
    });
    const admin = await openDataDir(data, { secret: TEST_SECRET });
    const platform = (
      await new Tokens(admin.store, admin.log).create({
        principal: 'platform',
        role: 'service',
        recordTypes: [],
        capabilities: ['session.open'],
        actor: 'operator:test',
      })
    ).token;
    const verifierKey = admin.log.verifierKey;
    await admin.close();
    for (let i = 0; i < 2; i++) nodes.push(await startNode(data));
    const on = { alice: 0, bob: 1, carol: 1 } as const;
    for (const player of ['alice', 'bob', 'carol'] as const) {
      const url = (nodes[on[player]] as { url: string }).url;
      const res = await fetch(`${url}/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${platform}`, 'content-type': 'application/json' },
        body: JSON.stringify({ player, purpose: 'authentication' }),
      });
      assert.equal(res.status, 201, await res.clone().text());
      const { token } = (await res.json()) as { token: string };
      c[player] = await MlsClient.open({ url, token, storage: new MemoryMlsStorage(), verifierKey });
    }
  });
  after(async () => {
    for (const n of nodes) await stopNode(n.child);
    await pgs?.drop();
    await cleanup?.();
  });

  it('a member on one node adds members on the other; messages reach each way', async () => {
    await c.bob.publishKeyPackages(2);
    await c.carol.publishKeyPackages(2);
    room = await c.alice.createRoom();
    await c.alice.add(room, [{ player: 'bob' }, { player: 'carol' }]);
    for (const p of [c.bob, c.carol])
      assert.deepEqual(await p.receive(), [{ type: 'joined', groupId: room, epoch: 1 }]);
    await c.alice.send(room, 'hello from the first node');
    for (const p of [c.bob, c.carol]) assert.deepEqual(texts(await p.receive()), ['hello from the first node']);
    await c.bob.send(room, 'and back from the second');
    assert.deepEqual(texts(await c.alice.receive()), ['and back from the second']);
    assert.deepEqual(texts(await c.carol.receive()), ['and back from the second']);
  });

  it('two commits at one epoch through different nodes: one wins, the other is refused, the room stays one', async () => {
    const outcomes = await Promise.allSettled([c.alice.update(room), c.bob.update(room)]);
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o) => o.status === 'rejected');
    assert.equal(won.length, 1, 'exactly one commit wins');
    assert.equal(lost.length, 1);
    assert.ok(isVerityError((lost[0] as PromiseRejectedResult).reason, 'VERITY_E_MLS_STALE_EPOCH'));
    const loser = outcomes[0]?.status === 'rejected' ? c.alice : c.bob;
    // Everyone, the loser included, applies the winning commit; the loser commits again after it.
    for (const p of [c.alice, c.bob, c.carol]) await p.receive();
    assert.equal(await loser.update(room), 3);
    for (const p of [c.alice, c.bob, c.carol]) await p.receive();
    // One room: a message from either node is read by every other member.
    await c.carol.send(room, 'still one room');
    assert.deepEqual(texts(await c.alice.receive()), ['still one room']);
    assert.deepEqual(texts(await c.bob.receive()), ['still one room']);
    const members = [c.alice.members(room), c.bob.members(room), c.carol.members(room)];
    assert.deepEqual(members[0], members[1]);
    assert.deepEqual(members[1], members[2]);
  });
});
