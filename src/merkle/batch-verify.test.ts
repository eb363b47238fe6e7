// The batch inclusion verifier answers exactly what RFC 9162 verification answers, line by line,
// whatever mix of valid, altered, reordered and repeated proofs it is given, and hashes each node once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../encoding/index.ts';
import { isVerityError } from '../errors/index.ts';
import {
  hashChildren,
  hashLeaf,
  InclusionBatchVerifier,
  inclusionProof,
  type NodeId,
  rootFromLeaves,
  verifyInclusion,
} from './index.ts';

function leavesOf(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => hashLeaf(new TextEncoder().encode(`leaf ${i}`)));
}

function oracle(leaves: readonly Uint8Array[]): (id: NodeId) => Uint8Array {
  return (id) => rootFromLeaves(leaves.slice(id.index * 2 ** id.height, (id.index + 1) * 2 ** id.height));
}

const flip = (b: Uint8Array, i: number) => {
  const c = new Uint8Array(b);
  c[i % c.length] = (c[i % c.length] as number) ^ 1;
  return c;
};

/** What plain RFC 9162 verification says: the error code, or 'ok'. */
function plain(leaf: Uint8Array, i: number, n: number, proof: readonly string[], root: Uint8Array): string {
  try {
    verifyInclusion(
      leaf,
      i,
      n,
      proof.map((p) => fromHex(p)),
      root,
    );
    return 'ok';
  } catch (e) {
    return isVerityError(e) ? e.code : 'other';
  }
}

describe('InclusionBatchVerifier', () => {
  it('gives every proof the answer plain verification gives, in any order and mix, however many steps it may keep', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 }), fc.nat()), { minLength: 1, maxLength: 60 }),
        fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
        (n, ops, maxSteps) => {
          const leaves = leavesOf(n);
          const root = rootFromLeaves(leaves);
          const get = oracle(leaves);
          const batch = new InclusionBatchVerifier<string>(n, root, (p) => fromHex(p), maxSteps);
          for (const [a, kind, m] of ops) {
            let i = a % n;
            let leaf = leaves[i] as Uint8Array;
            let proof = inclusionProof(i, n, get).map((p) => toHex(p));
            if (kind === 1) leaf = flip(leaf, m);
            else if (kind === 2 && proof.length > 0) {
              const k = m % proof.length;
              proof = proof.map((p, j) => (j === k ? toHex(flip(fromHex(p), m)) : p));
            } else if (kind === 3) proof = proof.slice(1);
            else if (kind === 4) proof = [...proof, toHex(root)];
            else if (kind === 5 && n > 1) i = (i + 1) % n;
            else if (kind === 6 && proof.length > 0) {
              // Another spelling of the same hash: a different text, the same bytes.
              const k = m % proof.length;
              proof = proof.map((p, j) => (j === k ? p.toUpperCase() : p));
            }
            const want = plain(leaf, i, n, proof, root);
            let got = 'ok';
            try {
              batch.verify(leaf, i, proof);
            } catch (e) {
              got = isVerityError(e) ? e.code : 'other';
            }
            assert.equal(got, want, `leaf ${i} of ${n}, change ${kind}`);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('hashes each interior node of the proven paths once for all leaves', () => {
    const n = 256;
    const leaves = leavesOf(n);
    const root = rootFromLeaves(leaves);
    const get = oracle(leaves);
    const batch = new InclusionBatchVerifier<Uint8Array>(n, root, (p) => p);
    let perLine = 0;
    for (let i = 0; i < n; i++) {
      const proof = inclusionProof(i, n, get);
      perLine += proof.length;
      batch.verify(leaves[i] as Uint8Array, i, proof);
    }
    // A tree of n leaves has n - 1 interior nodes; each line alone would hash its whole path.
    assert.ok(batch.hashed <= 2 * n, `${batch.hashed} hashes`);
    assert.ok(perLine >= 7 * n);
  });

  it('keeps no more steps than it is given: with none, every path is hashed in full', () => {
    const n = 64;
    const leaves = leavesOf(n);
    const root = rootFromLeaves(leaves);
    const get = oracle(leaves);
    const none = new InclusionBatchVerifier<Uint8Array>(n, root, (p) => p, 0);
    let full = 0;
    for (let i = 0; i < n; i++) {
      const proof = inclusionProof(i, n, get);
      full += proof.length;
      none.verify(leaves[i] as Uint8Array, i, proof);
    }
    assert.equal(none.hashed, full);
  });

  it('refuses a proof of a changed leaf after the true one was proven', () => {
    const leaves = leavesOf(8);
    const root = rootFromLeaves(leaves);
    const batch = new InclusionBatchVerifier<Uint8Array>(8, root, (p) => p);
    const proof = inclusionProof(3, 8, oracle(leaves));
    batch.verify(leaves[3] as Uint8Array, 3, proof);
    const forged = hashChildren(leaves[2] as Uint8Array, leaves[3] as Uint8Array);
    assert.throws(
      () => batch.verify(forged, 3, proof),
      (e) => isVerityError(e, 'VERITY_E_LOG_PROOF_INVALID'),
    );
  });
});
