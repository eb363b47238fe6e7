// Verity's patch to ts-mls 1.6.4 (patches/ts-mls+1.6.4.patch, D225-D227), on the library itself
// with the noble provider the SDK uses. Without the patch, the refusal case fails with "non-blank
// intermediate node must list leaf node in its unmerged_leaves" and the growth case counts about
// four times the hashes per doubling of the group (the quadratic parent-hash check). Counting the
// provider's hash calls is exact and load-independent: no timing is asserted. Then the patch
// applier that scripts/ensure-deps.mjs runs after `npm ci` (scripts/patches.mjs), on a package of
// its own in a temporary directory, and the checked-in patch found applied in this checkout.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type CiphersuiteImpl,
  type ClientState,
  createApplicationMessage,
  createCommit,
  createGroup,
  emptyPskIndex,
  joinGroup,
  type Proposal,
  processPrivateMessage,
  type Welcome,
} from 'ts-mls';
import { verifyParentHashes } from 'ts-mls/parentHash.js';
import type { RatchetTree } from 'ts-mls/ratchetTree.js';
import { applyPatch, applyPatches, parsePatch } from '../scripts/patches.mjs';
import { tempDir } from './helpers/env.ts';
import { addProposals, basicKeyPackage, type MlsKeys, mlsImpl } from './helpers/mls.ts';

const ROOT = join(import.meta.dirname, '..');
const text = new TextEncoder();

type Keys = MlsKeys;

let impl: CiphersuiteImpl;
let hashes = 0;
/** The same suite, counting every hash the library computes. */
let counting: CiphersuiteImpl;
/** Key packages made once: 0..255 the first members, 256.. the members added later. */
const keys: Keys[] = [];
const LATER = 256;

before(async () => {
  impl = await mlsImpl();
  counting = {
    ...impl,
    hash: {
      ...impl.hash,
      digest: (data: Uint8Array) => {
        hashes++;
        return impl.hash.digest(data);
      },
    },
  };
  for (let i = 0; i < LATER + 128; i++) keys.push(await basicKeyPackage(`member ${i}`, impl));
});

const k = (i: number): Keys => keys[i] as Keys;
const adds = addProposals;
const removes = (leaves: number[]): Proposal[] =>
  leaves.map((removed) => ({ proposalType: 'remove', remove: { removed } }));

/** A commit by `state` of `proposals`; its new state and its Welcome (with the ratchet tree) when it adds. */
async function commit(state: ClientState, proposals: Proposal[]): Promise<{ state: ClientState; welcome?: Welcome }> {
  const r = await createCommit({ state, cipherSuite: impl }, { extraProposals: proposals, ratchetTreeExtension: true });
  return r.welcome === undefined ? { state: r.newState } : { state: r.newState, welcome: r.welcome };
}

/** `x` joins from `welcome` (the library's checks of the tree included). */
function joinFrom(welcome: Welcome | undefined, x: Keys, cs = impl): Promise<ClientState> {
  assert.ok(welcome !== undefined, 'the commit has a Welcome');
  return joinGroup(welcome, x.publicPackage, x.privatePackage, emptyPskIndex, cs);
}

function parentAt(tree: RatchetTree, nodeIndex: number): number[] {
  const n = tree[nodeIndex];
  assert.equal(n?.nodeType, 'parent', `node ${nodeIndex} is a non-blank parent`);
  return n.nodeType === 'parent' ? [...n.parent.unmergedLeaves] : [];
}

describe('ts-mls 1.6.4 as patched', () => {
  it('lets a newcomer join after two add commits filled leaves that removals blanked', async () => {
    // Eight members (leaves 0-7); the creator's commit fills its direct path (nodes 1, 3, 7).
    let a = await createGroup(text.encode('refusal'), k(0).publicPackage, k(0).privatePackage, [], impl);
    a = (await commit(a, adds([1, 2, 3, 4, 5, 6, 7].map(k)))).state;
    a = (await commit(a, [])).state;
    // Removing leaves 2 and 6 blanks their direct paths; the creator's path is filled again.
    a = (await commit(a, removes([2, 6]))).state;
    // Two add commits without a path: X lands on leaf 2 (listed by nodes 3 and 7), Y on leaf 6
    // (listed by node 7 only, its other ancestors being blank).
    const x = k(LATER);
    const y = k(LATER + 1);
    const addX = await commit(a, adds([x]));
    a = addX.state;
    let xs = await joinFrom(addX.welcome, x);
    const addY = await createCommit(
      { state: a, cipherSuite: impl },
      { extraProposals: adds([y]), ratchetTreeExtension: true },
    );
    a = addY.newState;
    assert.deepEqual(parentAt(a.ratchetTree, 3), [2]);
    assert.deepEqual(parentAt(a.ratchetTree, 7), [2, 6]);
    if (addY.commit.wireformat !== 'mls_private_message') throw new Error('a commit is a PrivateMessage here');
    xs = (await processPrivateMessage(xs, addY.commit.privateMessage, emptyPskIndex, impl)).newState;
    // Refused before the patch: node 3's list [2] differs from node 7's [2, 6].
    const ys = await joinFrom(addY.welcome, y);
    assert.equal(ys.groupContext.epoch, a.groupContext.epoch);
    for (const s of [xs, ys]) assert.deepEqual(s.keySchedule.epochAuthenticator, a.keySchedule.epochAuthenticator);
    const m = await createApplicationMessage(a, text.encode('welcome, Y'), impl);
    for (const s of [xs, ys]) {
      const got = await processPrivateMessage(s, m.privateMessage, emptyPskIndex, impl);
      assert.equal(got.kind, 'applicationMessage');
      if (got.kind === 'applicationMessage') assert.equal(new TextDecoder().decode(got.message), 'welcome, Y');
    }
  });

  /**
   * A group of n members and a newcomer's Welcome into it. 'committed': n - 1 members added in one
   * commit, then the creator's commit fills its path to the root (every other leaf's nearest
   * non-blank ancestor is on that path, with the largest siblings). 'refilled': as 'committed'
   * with n members, then the right half but its last leaf removed and filled again by one add
   * commit, so that the root lists those n/2 - 1 leaves as unmerged.
   */
  async function group(n: number, shape: 'committed' | 'refilled'): Promise<{ welcome?: Welcome; newcomer: Keys }> {
    let a = await createGroup(text.encode(`${shape} ${n}`), k(0).publicPackage, k(0).privatePackage, [], impl);
    const first = shape === 'committed' ? n - 1 : n;
    a = (await commit(a, adds(keys.slice(1, first)))).state;
    a = (await commit(a, [])).state;
    if (shape === 'committed') return { ...(await commit(a, adds([k(n - 1)]))), newcomer: k(n - 1) };
    const half = Array.from({ length: n / 2 - 1 }, (_, i) => n / 2 + i);
    a = (await commit(a, removes(half))).state;
    const back = keys.slice(LATER, LATER + half.length);
    const r = await commit(a, adds(back));
    assert.equal(parentAt(r.state.ratchetTree, n - 1).length, half.length, 'the root lists the refilled leaves');
    return { ...r, newcomer: back.at(-1) as Keys };
  }

  for (const shape of ['committed', 'refilled'] as const)
    it(`joins a '${shape}' group with hashes growing linearly in its size`, async () => {
      const counts: number[] = [];
      for (const n of [64, 128, 256]) {
        const g = await group(n, shape);
        hashes = 0;
        const s = await joinFrom(g.welcome, g.newcomer, counting);
        counts.push(hashes);
        assert.equal(s.ratchetTree.length, 2 * n - 1);
      }
      // Linear (n log n at most): about 2x per doubling; the quadratic check made it about 4x.
      for (let i = 1; i < counts.length; i++) {
        const ratio = (counts[i] as number) / (counts[i - 1] as number);
        assert.ok(ratio < 2.5, `hashes at 64, 128, 256 members: ${counts.join(', ')} (x${ratio.toFixed(2)})`);
      }
      assert.ok((counts[2] as number) < 5 * 256, `hashes at 256 members: ${counts[2]}`);
    });

  it('still refuses a tree whose parent hashes do not chain', async () => {
    const g = await group(64, 'refilled');
    const s = await joinFrom(g.welcome, g.newcomer);
    assert.equal(await verifyParentHashes(s.ratchetTree, impl.hash), true);
    let parents = 0;
    for (const [i, n] of s.ratchetTree.entries()) {
      if (n?.nodeType !== 'parent') continue;
      parents++;
      const key = n.parent.hpkePublicKey.slice();
      key[0] = (key[0] as number) ^ 1;
      const tree = s.ratchetTree.slice();
      tree[i] = { ...n, parent: { ...n.parent, hpkePublicKey: key } };
      assert.equal(await verifyParentHashes(tree, impl.hash), false, `node ${i} altered`);
    }
    assert.ok(parents >= 5, 'the creator path and the root');
  });
});

describe('dependency patches (scripts/patches.mjs)', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    tmp = await tempDir('verity-patches-');
  });
  after(async () => {
    await tmp?.cleanup();
  });

  const PATCH = [
    'A note before the diff is ignored.',
    '',
    '--- a/node_modules/demo/lib/a.js',
    '+++ b/node_modules/demo/lib/a.js',
    '@@ -1,3 +1,3 @@',
    ' one',
    '-two',
    '+TWO',
    ' three',
    '--- a/node_modules/demo/lib/b.js',
    '+++ b/node_modules/demo/lib/b.js',
    '@@ -1,2 +1,3 @@',
    ' first',
    '-last',
    '\\ No newline at end of file',
    '+last',
    '+added',
    '\\ No newline at end of file',
    '',
  ].join('\n');

  /** A checkout holding package `demo` at `version` (its files as published) and the patch. */
  function checkout(name: string, version = '1.0.0'): string {
    const root = join(tmp.dir, name);
    mkdirSync(join(root, 'node_modules', 'demo', 'lib'), { recursive: true });
    mkdirSync(join(root, 'patches'));
    writeFileSync(join(root, 'node_modules', 'demo', 'package.json'), JSON.stringify({ name: 'demo', version }));
    writeFileSync(join(root, 'node_modules', 'demo', 'lib', 'a.js'), 'one\ntwo\nthree\n');
    writeFileSync(join(root, 'node_modules', 'demo', 'lib', 'b.js'), 'first\nlast');
    writeFileSync(join(root, 'patches', 'demo+1.0.0.patch'), PATCH);
    return root;
  }
  const read = (root: string, f: string) => readFileSync(join(root, 'node_modules', 'demo', 'lib', f), 'utf8');

  it('applies once, then finds the patch in place and leaves it', () => {
    const root = checkout('fresh');
    assert.equal(applyPatches(root, { write: false })[0]?.state, 'unapplied');
    assert.equal(read(root, 'a.js'), 'one\ntwo\nthree\n', 'a check writes nothing');
    assert.equal(applyPatches(root)[0]?.state, 'unapplied');
    assert.equal(read(root, 'a.js'), 'one\nTWO\nthree\n');
    assert.equal(read(root, 'b.js'), 'first\nlast\nadded');
    assert.deepEqual(applyPatches(root), [
      { name: 'demo', version: '1.0.0', file: 'demo+1.0.0.patch', state: 'applied' },
    ]);
    assert.equal(read(root, 'b.js'), 'first\nlast\nadded');
  });

  it('fails loudly on another version of the package', () => {
    const root = checkout('upgraded', '1.0.1');
    assert.throws(() => applyPatches(root), /demo\+1\.0\.0\.patch is for demo 1\.0\.0, but demo 1\.0\.1 is installed/);
    assert.equal(read(root, 'a.js'), 'one\ntwo\nthree\n');
  });

  it('fails loudly on files that match neither side, writing none of them', () => {
    const root = checkout('edited');
    writeFileSync(join(root, 'node_modules', 'demo', 'lib', 'b.js'), 'first\nlast\n');
    assert.throws(() => applyPatches(root), /lib\/b\.js matches neither demo 1\.0\.0 as published nor as patched/);
    assert.equal(read(root, 'a.js'), 'one\ntwo\nthree\n', 'a.js, which matched, was not written either');
  });

  it('refuses a patch reaching outside its package, and a malformed one', () => {
    const root = checkout('outside');
    writeFileSync(
      join(root, 'patches', 'demo+1.0.0.patch'),
      PATCH.replaceAll('node_modules/demo/lib/a.js', 'src/a.js'),
    );
    assert.throws(() => applyPatches(root), /src\/a\.js is not a file of node_modules\/demo/);
    assert.throws(() => parsePatch('--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n one\n'), /ends inside a hunk/);
    assert.throws(() => parsePatch('no diff here\n'), /changes nothing/);
  });

  it('finds the checked-in ts-mls patch applied in this checkout', () => {
    const [r] = applyPatches(ROOT, { write: false });
    assert.deepEqual(r, { name: 'ts-mls', version: '1.6.4', file: 'ts-mls+1.6.4.patch', state: 'applied' });
    assert.equal(applyPatch(ROOT, join(ROOT, 'patches', 'ts-mls+1.6.4.patch'), { write: false }).state, 'applied');
  });
});
