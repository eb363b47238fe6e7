// The MLS client's stored group states (D294): what a load gives back equals what was saved, after
// commits, messages and a late message of an old epoch; a message does not store the room's tree
// again; a state saved whole by an earlier version is read; a crash between two writes leaves the
// last complete state; a corrupt entry is refused with a code.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ClientState,
  createApplicationMessage,
  createCommit,
  createGroup,
  emptyPskIndex,
  encodeGroupState,
  joinGroup,
  processPrivateMessage,
} from 'ts-mls';
import { addProposals, basicKeyPackage, mlsImpl } from '../../test/helpers/mls.ts';
import { isVerityError } from '../errors/index.ts';
import { GroupStates, MemoryMlsStorage, type MlsStorage } from './mls-state.ts';

/** A storage that counts the bytes written and can fail the n-th write from now. */
class CountingStorage implements MlsStorage {
  readonly inner = new MemoryMlsStorage();
  written = 0;
  failAt = -1;
  get(key: string) {
    return this.inner.get(key);
  }
  async set(key: string, value: Uint8Array) {
    if (this.failAt === 0) {
      this.failAt = -1;
      throw new Error('the storage went away');
    }
    if (this.failAt > 0) this.failAt--;
    this.written += value.length;
    await this.inner.set(key, value);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
}

const same = (a: ClientState, b: ClientState) => assert.deepEqual(encodeGroupState(a), encodeGroupState(b));

async function room(n: number) {
  const impl = await mlsImpl();
  const keys = await Promise.all(Array.from({ length: n }, (_, i) => basicKeyPackage(`p${i}`, impl)));
  const [first, ...rest] = keys as [(typeof keys)[0], ...typeof keys];
  const created = await createGroup(new Uint8Array(32).fill(7), first.publicPackage, first.privatePackage, [], impl);
  const added = await createCommit(
    { state: created, cipherSuite: impl },
    { extraProposals: addProposals(rest), ratchetTreeExtension: true },
  );
  const welcome = added.welcome;
  assert.ok(welcome !== undefined);
  const b = await joinGroup(
    welcome,
    (rest[0] as (typeof keys)[0]).publicPackage,
    (rest[0] as (typeof keys)[0]).privatePackage,
    emptyPskIndex,
    impl,
  );
  return { impl, a: added.newState, b };
}

describe('stored MLS group states', () => {
  it('loads what was saved, after commits, messages and a late message; a message stores no tree', async () => {
    const { impl, a: a0, b: b0 } = await room(24);
    const storage = new CountingStorage();
    const states = await GroupStates.load(storage);
    let a = a0;
    let b = b0;
    await states.save('g', b);
    const check = async () => same((await GroupStates.load(storage)).get('g'), b);
    await check();
    // A message of the first epoch, held back to arrive after two commits.
    const late = await createApplicationMessage(a, new TextEncoder().encode('late'), impl);
    a = late.newState;
    for (let i = 0; i < 2; i++) {
      const c = await createCommit({ state: a, cipherSuite: impl }, { extraProposals: [], ratchetTreeExtension: true });
      assert.equal(c.commit.wireformat, 'mls_private_message');
      if (c.commit.wireformat !== 'mls_private_message') return;
      a = c.newState;
      b = (await processPrivateMessage(b, c.commit.privateMessage, emptyPskIndex, impl)).newState;
      await states.save('g', b);
      await check();
    }
    const whole = encodeGroupState(b).length;
    for (let i = 0; i < 3; i++) {
      const m = await createApplicationMessage(a, new TextEncoder().encode(`m${i}`), impl);
      a = m.newState;
      const r = await processPrivateMessage(b, m.privateMessage, emptyPskIndex, impl);
      assert.equal(r.kind, 'applicationMessage');
      b = r.newState;
      storage.written = 0;
      await states.save('g', b);
      // The tree and the past epochs' data are not written again: a fraction of the whole state.
      assert.ok(storage.written < whole / 2, `${storage.written} bytes written of a ${whole}-byte state`);
      await check();
    }
    const r = await processPrivateMessage(b, late.privateMessage, emptyPskIndex, impl);
    assert.equal(r.kind, 'applicationMessage');
    b = r.newState;
    await states.save('g', b);
    await check();
    // Parts no state names any more are gone: one tree and one part per past epoch remain.
    const parts = storage.inner.keys().filter((k) => k.startsWith('mls/state/g/'));
    assert.equal(parts.length, 1 + b.historicalReceiverData.size);
    await states.save('g', undefined);
    assert.deepEqual(storage.inner.keys(), ['mls/groups']);
  });

  it('reads a state saved whole by an earlier version, and replaces it at the next save', async () => {
    const { b } = await room(3);
    const storage = new MemoryMlsStorage();
    await storage.set('mls/group/g', encodeGroupState(b));
    await storage.set('mls/groups', new TextEncoder().encode('["g"]'));
    const states = await GroupStates.load(storage);
    same(states.get('g'), b);
    await states.save('g', states.get('g'));
    assert.ok(!storage.keys().includes('mls/group/g'));
    same((await GroupStates.load(storage)).get('g'), b);
  });

  it('keeps the last complete state when a save fails between two writes', async () => {
    const { impl, a, b } = await room(5);
    const storage = new CountingStorage();
    const states = await GroupStates.load(storage);
    await states.save('g', b);
    const c = await createCommit({ state: a, cipherSuite: impl }, { extraProposals: [], ratchetTreeExtension: true });
    if (c.commit.wireformat !== 'mls_private_message') throw new Error('a PrivateMessage commit');
    const next = (await processPrivateMessage(b, c.commit.privateMessage, emptyPskIndex, impl)).newState;
    storage.failAt = 1; // the new tree is written, the state entry is not
    await assert.rejects(states.save('g', next));
    same((await GroupStates.load(storage)).get('g'), b);
  });

  it('refuses a corrupt or incomplete entry with a code', async () => {
    const { b } = await room(3);
    const storage = new MemoryMlsStorage();
    await (await GroupStates.load(storage)).save('g', b);
    const entry = (await storage.get('mls/state/g')) as Uint8Array;
    const part = storage.keys().find((k) => k.startsWith('mls/state/g/')) as string;
    const cases: [string, () => Promise<void>][] = [
      ['a header that is not JSON', () => storage.set('mls/state/g', Uint8Array.of(0, 0, 0, 2, 0x7b, 0x7b))],
      ['a header longer than the entry', () => storage.set('mls/state/g', Uint8Array.of(0, 0, 1, 0))],
      [
        'an altered part',
        async () => {
          const p = (await storage.get(part)) as Uint8Array;
          p[p.length - 1] = (p[p.length - 1] as number) ^ 1;
          await storage.set(part, p);
        },
      ],
      ['a missing part', () => storage.delete(part)],
    ];
    for (const [what, spoil] of cases) {
      const keep = new Map(await Promise.all(storage.keys().map(async (k) => [k, await storage.get(k)] as const)));
      await spoil();
      await assert.rejects(GroupStates.load(storage), (e) => isVerityError(e, 'VERITY_E_MLS_MESSAGE_INVALID'), what);
      for (const [k, v] of keep) await storage.set(k, v as Uint8Array);
    }
    assert.ok(entry.length > 0);
  });
});
