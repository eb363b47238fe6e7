import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeCore, type TestCore } from '../../test/helpers/core.ts';
import { counted } from '../../test/helpers/counted.ts';
import { bytesEqual, fromBase64, toBase64, utf8 } from '../encoding/index.ts';
import { hashLeaf, verifyInclusion } from '../merkle/index.ts';
import type { Store } from '../store/index.ts';
import { ProofReader } from './proofs.ts';
import { TileCache } from './tile-cache.ts';

describe('proofs in flight while the log grows', () => {
  let core: TestCore;
  let loads: string[];
  let reader: ProofReader;
  before(async () => {
    core = await makeCore('sqlite');
    await core.log.append(Array.from({ length: 300 }, (_, i) => utf8(`entry-${i}`)));
    loads = [];
    // The store as the proof reader sees it, counting the tiles it loads.
    const counting = counted(core.store.reader, 'getTile', ([level, index]) => loads.push(`${level}/${index}`));
    reader = new ProofReader({ reader: counting } as unknown as Store, new TileCache(64), {
      head: () => core.log.head(),
      proofHead: () => core.log.head(),
    });
  });
  after(() => core.dispose());

  it('loads a widened edge tile once for all the proofs that need it, and every proof verifies', async () => {
    // The edge tiles cached at the first size; then the log grows past them.
    await reader.inclusionProof(0);
    await core.log.append(Array.from({ length: 120 }, (_, i) => utf8(`more-${i}`)));
    const head = await core.log.head();
    loads.length = 0;
    const indices = Array.from({ length: 64 }, (_, k) => head.size - 1 - k);
    const proofs = await Promise.all(indices.map((i) => reader.inclusionProofWithHashes(i)));
    // Level 0 tile 1 (entries 256 to 420) and level 1 tile 0: once each, not once per proof.
    assert.deepEqual([...loads].sort(), ['0/1', '1/0']);
    const entries = await core.log.entries(0, head.size);
    proofs.forEach(({ proof, hashes }, k) => {
      const i = indices[k] as number;
      const leaf = hashLeaf(entries[i] as Uint8Array);
      assert.equal(proof.treeSize, head.size);
      assert.ok(bytesEqual(hashes.leaf, leaf));
      assert.ok(bytesEqual(hashes.root, head.rootHash));
      // The text is the bytes' base64, and both verify against the signed root.
      assert.deepEqual(proof.proof, hashes.path.map(toBase64));
      assert.equal(proof.rootHash, toBase64(head.rootHash));
      verifyInclusion(leaf, i, head.size, hashes.path, head.rootHash);
      verifyInclusion(
        leaf,
        i,
        head.size,
        proof.proof.map((h) => fromBase64(h)),
        head.rootHash,
      );
    });
  });

  it('loads again when a load under way brings a tile narrower than a later proof needs', async () => {
    const before = await core.log.head();
    loads.length = 0;
    // A proof at the current head starts a load; the log grows; a proof at the new head, asking
    // while that load is under way, must not take the narrower tile.
    const first = reader.inclusionProof(before.size - 1);
    await core.log.append([utf8('one more')]);
    const now = await core.log.head();
    const [a, b] = await Promise.all([first, reader.inclusionProof(now.size - 1, now.size)]);
    assert.equal(a.treeSize, before.size);
    assert.equal(b.treeSize, now.size);
    const entries = await core.log.entries(0, now.size);
    verifyInclusion(
      hashLeaf(entries[now.size - 1] as Uint8Array),
      now.size - 1,
      now.size,
      b.proof.map((h) => fromBase64(h)),
      now.rootHash,
    );
  });
});
