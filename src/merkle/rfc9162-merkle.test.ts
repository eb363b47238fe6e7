// RFC 9162 Merkle tree: hashing, proofs and compact ranges, checked against the RFC 6962
// reference vectors (the 8-leaf tree of the Certificate Transparency test suite, copied into
// test/vectors/rfc9162/) and against properties over random trees.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../encoding/index.ts';
import { isVerityError } from '../errors/index.ts';
import {
  consistencyProof,
  consistencyProofNodes,
  EMPTY_ROOT,
  frontierAppend,
  frontierRoot,
  hashChildren,
  hashLeaf,
  inclusionProof,
  inclusionProofNodes,
  type NodeId,
  rootFromLeaves,
  subtreeRoot,
  tileCoordsForNode,
  verifyConsistency,
  verifyInclusion,
} from './index.ts';

const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'test', 'vectors', 'rfc9162', 'rfc6962-merkle.json'), 'utf8'),
) as {
  leafInputs: string[];
  roots: Record<string, string>;
  inclusion: { leafIndex: number; treeSize: number; proof: string[] }[];
  consistency: { size1: number; size2: number; proof: string[] }[];
};

/** An in-memory tree: node (h, i) computed from the leaves (test oracle). */
function oracle(leaves: readonly Uint8Array[]): (id: NodeId) => Uint8Array {
  return (id) => {
    const w = 2 ** id.height;
    const start = id.index * w;
    assert.ok(start + w <= leaves.length, `node ${id.height}/${id.index} is not complete`);
    return rootFromLeaves(leaves.slice(start, start + w));
  };
}

function leavesOf(n: number, salt = 0): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => hashLeaf(new TextEncoder().encode(`leaf ${salt} ${i}`)));
}

const flip = (b: Uint8Array, i = 0) => {
  const c = new Uint8Array(b);
  c[i % c.length] = (c[i % c.length] as number) ^ 1;
  return c;
};

describe('RFC 9162 hashes written into reused buffers (D345)', () => {
  const sha = (...parts: Uint8Array[]) => {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  };
  it('equal SHA-256 of the prefixed input, around the size of the leaf buffer, and stay apart from later hashes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 4090, max: 4100 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (small, bigLength, left, right) => {
          const big = new Uint8Array(bigLength).fill(bigLength & 0xff);
          const a = hashLeaf(small);
          const b = hashLeaf(big);
          const c = hashChildren(left, right);
          const d = hashChildren(right, left);
          assert.deepEqual(a, sha(Uint8Array.of(0), small));
          assert.deepEqual(b, sha(Uint8Array.of(0), big));
          assert.deepEqual(c, sha(Uint8Array.of(1), left, right));
          assert.deepEqual(d, sha(Uint8Array.of(1), right, left));
          // A node's children may be the results of earlier calls.
          assert.deepEqual(hashChildren(c, d), sha(Uint8Array.of(1), c, d));
        },
      ),
    );
  });
});

describe('RFC 9162 reference vectors', () => {
  const leaves = vectors.leafInputs.map((h) => hashLeaf(fromHex(h)));

  it('computes the reference roots for every prefix', () => {
    assert.equal(toHex(EMPTY_ROOT), vectors.roots['0']);
    for (let n = 1; n <= leaves.length; n++) {
      assert.equal(toHex(rootFromLeaves(leaves.slice(0, n))), vectors.roots[String(n)]);
      const f = frontierAppend([], 0, leaves.slice(0, n));
      assert.equal(toHex(frontierRoot(f.frontier)), vectors.roots[String(n)]);
    }
  });

  it('generates and verifies the reference inclusion proofs', () => {
    for (const c of vectors.inclusion) {
      const sub = leaves.slice(0, c.treeSize);
      const proof = inclusionProof(c.leafIndex, c.treeSize, oracle(sub));
      assert.deepEqual(proof.map(toHex), c.proof, `inclusion ${c.leafIndex}/${c.treeSize}`);
      verifyInclusion(
        leaves[c.leafIndex] as Uint8Array,
        c.leafIndex,
        c.treeSize,
        c.proof.map((h) => fromHex(h)),
        fromHex(vectors.roots[String(c.treeSize)] as string),
      );
    }
  });

  it('generates and verifies the reference consistency proofs', () => {
    for (const c of vectors.consistency) {
      const proof = consistencyProof(c.size1, c.size2, oracle(leaves.slice(0, c.size2)));
      assert.deepEqual(proof.map(toHex), c.proof, `consistency ${c.size1}/${c.size2}`);
      verifyConsistency(
        c.size1,
        c.size2,
        c.proof.map((h) => fromHex(h)),
        fromHex(vectors.roots[String(c.size1)] as string),
        fromHex(vectors.roots[String(c.size2)] as string),
      );
    }
  });
});

describe('RFC 9162 proofs over random trees', () => {
  it('inclusion proofs verify, and any change makes them fail', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.nat(), fc.nat(), (n, a, mutation) => {
        const leaves = leavesOf(n, n);
        const root = rootFromLeaves(leaves);
        const i = a % n;
        const proof = inclusionProof(i, n, oracle(leaves));
        verifyInclusion(leaves[i] as Uint8Array, i, n, proof, root);
        assert.equal(inclusionProofNodes(i, n).length >= proof.length, true);
        const bad = (f: () => void) => assert.throws(f, (e) => isVerityError(e, 'VERITY_E_LOG_PROOF_INVALID'));
        bad(() => verifyInclusion(flip(leaves[i] as Uint8Array, mutation), i, n, proof, root));
        bad(() => verifyInclusion(leaves[i] as Uint8Array, i, n, proof, flip(root, mutation)));
        if (proof.length > 0) {
          const k = mutation % proof.length;
          bad(() =>
            verifyInclusion(
              leaves[i] as Uint8Array,
              i,
              n,
              proof.map((p, j) => (j === k ? flip(p, mutation) : p)),
              root,
            ),
          );
          bad(() => verifyInclusion(leaves[i] as Uint8Array, i, n, proof.slice(1), root));
        }
        bad(() => verifyInclusion(leaves[i] as Uint8Array, i, n, [...proof, root], root));
        if (n > 1) bad(() => verifyInclusion(leaves[i] as Uint8Array, (i + 1) % n, n, proof, root));
        bad(() => verifyInclusion(leaves[i] as Uint8Array, n, n, proof, root));
      }),
      { numRuns: 150 },
    );
  });

  it('consistency proofs verify, and any change makes them fail', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.nat(), fc.nat(), (n, a, mutation) => {
        const leaves = leavesOf(n, n + 7);
        const m = 1 + (a % n);
        const r1 = rootFromLeaves(leaves.slice(0, m));
        const r2 = rootFromLeaves(leaves);
        const proof = consistencyProof(m, n, oracle(leaves));
        verifyConsistency(m, n, proof, r1, r2);
        assert.ok(consistencyProofNodes(m, n).length >= proof.length);
        const bad = (f: () => void) => assert.throws(f, (e) => isVerityError(e, 'VERITY_E_LOG_PROOF_INVALID'));
        bad(() => verifyConsistency(m, n, proof, flip(r1, mutation), r2));
        bad(() => verifyConsistency(m, n, proof, r1, flip(r2, mutation)));
        if (proof.length > 0) {
          const k = mutation % proof.length;
          bad(() =>
            verifyConsistency(
              m,
              n,
              proof.map((p, j) => (j === k ? flip(p, mutation) : p)),
              r1,
              r2,
            ),
          );
          bad(() => verifyConsistency(m, n, proof.slice(0, -1), r1, r2));
        }
        if (m < n) bad(() => verifyConsistency(m, n, [...proof, r2], r1, r2));
      }),
      { numRuns: 150 },
    );
  });

  it('handles the empty and equal-size edge cases', () => {
    const leaves = leavesOf(5);
    const r = rootFromLeaves(leaves);
    assert.deepEqual(consistencyProof(0, 5, oracle(leaves)), []);
    verifyConsistency(0, 5, [], EMPTY_ROOT, r);
    verifyConsistency(5, 5, [], r, r);
    assert.throws(
      () => verifyConsistency(5, 5, [], r, flip(r)),
      (e) => isVerityError(e, 'VERITY_E_LOG_PROOF_INVALID'),
    );
    assert.throws(
      () => verifyConsistency(0, 5, [], r, r),
      (e) => isVerityError(e, 'VERITY_E_LOG_PROOF_INVALID'),
    );
    assert.throws(
      () => verifyConsistency(6, 5, [], r, r),
      (e) => isVerityError(e, 'VERITY_E_LOG_PROOF_INVALID'),
    );
  });

  it('frontierAppend in random batches equals MTH and reports every completed node', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 70 }), { maxLength: 12 }), (batches) => {
        const total = batches.reduce((a, b) => a + b, 0);
        const leaves = leavesOf(total, 3);
        const get = oracle(leaves);
        let f: Uint8Array[] = [];
        let size = 0;
        for (const b of batches) {
          const r = frontierAppend(f, size, leaves.slice(size, size + b));
          for (const c of r.completed) assert.deepEqual(c.hash, get(c));
          f = r.frontier;
          size = r.size;
          assert.deepEqual(frontierRoot(f), rootFromLeaves(leaves.slice(0, size)));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('finds any perfect node inside its tile', () => {
    const leaves = leavesOf(1024);
    const get = oracle(leaves);
    const level0 = new Uint8Array(256 * 32);
    for (let t = 0; t < 4; t++) {
      for (let i = 0; i < 256; i++) level0.set(leaves[t * 256 + i] as Uint8Array, i * 32);
      for (let h = 0; h < 8; h++) {
        for (let i = (t * 256) / 2 ** h; i < ((t + 1) * 256) / 2 ** h; i += 3) {
          const c = tileCoordsForNode({ height: h, index: i });
          assert.equal(c.level, 0);
          assert.equal(c.index, t);
          assert.deepEqual(subtreeRoot(level0, c.first, c.count), get({ height: h, index: i }));
        }
      }
    }
    const c = tileCoordsForNode({ height: 9, index: 3 });
    assert.deepEqual(
      { level: c.level, index: c.index, height: c.height, first: c.first, count: c.count },
      { level: 1, index: 0, height: 1, first: 6, count: 2 },
    );
    assert.deepEqual(
      hashChildren(get({ height: 8, index: 2 }), get({ height: 8, index: 3 })),
      get({ height: 9, index: 1 }),
    );
  });

  it('needs O(log n) nodes for proofs even for huge trees', () => {
    for (const n of [2 ** 20 + 3, 2 ** 33 - 1, 2 ** 40 + 12345, 2 ** 52 + 1]) {
      const bound = 2 * Math.ceil(Math.log2(n)) + 2;
      assert.ok(inclusionProofNodes(n - 2, n).length <= bound);
      assert.ok(inclusionProofNodes(7, n).length <= bound);
      assert.ok(consistencyProofNodes(n - 5, n).length <= bound);
      assert.ok(consistencyProofNodes(3, n).length <= bound);
    }
  });
});
