import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isVerityError } from '../errors/index.ts';
import { sha256 } from '../platform/index.ts';
import {
  decodeStateProof,
  EMPTY_STATE_ROOT,
  encodeStateProof,
  keyBit,
  type StateChange,
  StateNode,
  type StateNodeSource,
  StateTree,
  stateDigest,
  stateKey,
  stateLeafHash,
  stateNodeHash,
  stateProofFromBase64,
  stateProofToBase64,
  verifyStateProof,
} from './index.ts';

/** The compact sparse Merkle tree root, straight from its definition. */
function referenceRoot(entries: readonly StateChange[], depth = 0): Uint8Array {
  if (entries.length === 0) return EMPTY_STATE_ROOT;
  if (entries.length === 1) return stateLeafHash(entries[0]!.key, entries[0]!.value);
  const l = entries.filter((e) => keyBit(e.key, depth) === 0);
  const r = entries.filter((e) => keyBit(e.key, depth) === 1);
  return stateNodeHash(referenceRoot(l, depth + 1), referenceRoot(r, depth + 1));
}

/** Nodes in memory, as a store keeps them. */
class MemorySource implements StateNodeSource {
  readonly rows = new Map<string, Uint8Array>();
  reads = 0;
  async getStateNodes(positions: readonly Uint8Array[]) {
    this.reads++;
    return positions.map((p) => this.rows.get(Buffer.from(p).toString('hex')));
  }
  apply(writes: readonly { pos: Uint8Array; node: Uint8Array }[]) {
    for (const w of writes) this.rows.set(Buffer.from(w.pos).toString('hex'), w.node);
  }
}

const key = (i: number) => stateKey('test', String(i));
const val = (i: number, v = 0) => sha256(new TextEncoder().encode(`${i}/${v}`));

async function build(batches: StateChange[][], tree = new StateTree(), src = new MemorySource()) {
  let root = EMPTY_STATE_ROOT;
  for (const b of batches) {
    const u = await tree.update(src, root, b);
    src.apply(u.writes);
    u.commit();
    root = u.root;
  }
  return { root, src, tree };
}

describe('state map (compact sparse Merkle tree)', () => {
  it('its root is the compact sparse Merkle tree root of its entries, batch after batch', async () => {
    const all = new Map<string, StateChange>();
    const batches: StateChange[][] = [];
    for (let b = 0; b < 6; b++) {
      const batch: StateChange[] = [];
      for (let i = 0; i < 40 * (b + 1); i++) {
        const k = (i * 7 + b * 13) % 300;
        if (batch.some((c) => c.key === key(k) || Buffer.compare(c.key, key(k)) === 0)) continue;
        const c = { key: key(k), value: val(k, b) };
        batch.push(c);
        all.set(String(k), c);
      }
      batches.push(batch);
    }
    const { root, src } = await build(batches);
    assert.deepEqual(root, referenceRoot([...all.values()]));
    // A fresh tree (cold cache) proves every key and the absence of others.
    const cold = new StateTree();
    for (const [k, c] of all) {
      const p = await cold.prove(src, root, c.key);
      assert.deepEqual(p.value, c.value, `key ${k}`);
      assert.deepEqual(verifyStateProof(root, c.key, p.proof), c.value);
      assert.deepEqual(verifyStateProof(root, c.key, decodeStateProof(encodeStateProof(p.proof))), c.value);
    }
    for (let k = 300; k < 340; k++) {
      const p = await cold.prove(src, root, key(k));
      assert.equal(p.value, undefined);
      assert.equal(verifyStateProof(root, key(k), stateProofFromBase64(stateProofToBase64(p.proof))), undefined);
    }
  });

  it('matches the reference for any set of keys and values (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 })),
          {
            maxLength: 60,
          },
        ),
        fc.integer({ min: 1, max: 5 }),
        async (pairs, parts) => {
          const byKey = new Map<string, StateChange>();
          for (const [k, v] of pairs) byKey.set(Buffer.from(k).toString('hex'), { key: k, value: v });
          const entries = [...byKey.values()];
          const size = Math.ceil(entries.length / parts) || 1;
          const batches: StateChange[][] = [];
          for (let i = 0; i < entries.length; i += size) batches.push(entries.slice(i, i + size));
          const { root, src } = await build(batches);
          assert.deepEqual(root, referenceRoot(entries));
          for (const e of entries) {
            const p = await new StateTree().prove(src, root, e.key);
            assert.deepEqual(verifyStateProof(root, e.key, p.proof), e.value);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('leaves the nodes of earlier roots as they were (cached nodes are copied, never changed)', async () => {
    const tree = new StateTree();
    const src = new MemorySource();
    const first = Array.from({ length: 200 }, (_, i) => ({ key: key(i), value: val(i) }));
    const a = await build([first], tree, src);
    const second = Array.from({ length: 150 }, (_, i) => ({ key: key(i * 2), value: val(i * 2, 1) }));
    const u = await tree.update(src, a.root, second);
    src.apply(u.writes);
    u.commit();
    // The same warm tree still proves the first root's values, and the second's.
    for (let i = 0; i < 200; i++) {
      const old = await tree.prove(src, a.root, key(i));
      assert.deepEqual(verifyStateProof(a.root, key(i), old.proof), val(i));
      const now = await tree.prove(src, u.root, key(i));
      assert.deepEqual(now.value, i % 2 === 0 && i < 300 ? val(i, 1) : val(i));
    }
    // Every stored node decodes to one that encodes to the same bytes.
    for (const w of u.writes) assert.deepEqual(StateNode.decode(w.node).encode(), w.node);
  });

  it('keeps keys that share long prefixes apart', async () => {
    const base = key(1);
    const entries: StateChange[] = [];
    for (let i = 0; i < 8; i++) {
      const k = Uint8Array.from(base);
      k[31] = i; // the same first 31 bytes: paths 248 bits deep
      entries.push({ key: k, value: val(i) });
    }
    const { root, src } = await build([entries.slice(0, 3), entries.slice(3)]);
    assert.deepEqual(root, referenceRoot(entries));
    const p = await new StateTree().prove(src, root, entries[5]!.key);
    assert.ok(p.proof.siblings.length > 240);
    assert.deepEqual(verifyStateProof(root, entries[5]!.key, p.proof), entries[5]!.value);
  });

  it('overwrites a value without changing the other keys', async () => {
    const first = Array.from({ length: 50 }, (_, i) => ({ key: key(i), value: val(i) }));
    const { root: r1, src, tree } = await build([first]);
    const u = await tree.update(src, r1, [{ key: key(7), value: val(7, 1) }]);
    src.apply(u.writes);
    u.commit();
    assert.deepEqual(u.root, referenceRoot(first.map((c, i) => (i === 7 ? { key: c.key, value: val(7, 1) } : c))));
    assert.deepEqual((await tree.prove(src, u.root, key(7))).value, val(7, 1));
    assert.deepEqual((await tree.prove(src, u.root, key(8))).value, val(8));
  });

  it('refuses a proof that does not lead to the root, and malformed encodings with a code', async () => {
    const { root, src } = await build([Array.from({ length: 30 }, (_, i) => ({ key: key(i), value: val(i) }))]);
    const p = await new StateTree().prove(src, root, key(3));
    assert.throws(
      () => verifyStateProof(root, key(3), { ...p.proof, terminal: { kind: 'leaf', key: key(3), value: val(4) } }),
      {
        code: 'VERITY_E_STATE_PROOF_INVALID',
      },
    );
    assert.throws(() => verifyStateProof(root, key(4), p.proof), { code: 'VERITY_E_STATE_PROOF_INVALID' });
    assert.throws(() => verifyStateProof(root, key(3), { ...p.proof, terminal: { kind: 'empty' } }), {
      code: 'VERITY_E_STATE_PROOF_INVALID',
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          const q = decodeStateProof(bytes);
          verifyStateProof(root, key(3), q);
        } catch (e) {
          assert.ok(isVerityError(e, 'VERITY_E_STATE_PROOF_INVALID'), String(e));
        }
      }),
    );
    // Every single-bit flip of a valid encoding is refused or proves nothing different.
    const enc = encodeStateProof(p.proof);
    for (let i = 0; i < enc.length * 8; i += 7) {
      const bad = Uint8Array.from(enc);
      bad[i >> 3] = (bad[i >> 3] as number) ^ (1 << (i & 7));
      assert.throws(() => verifyStateProof(root, key(3), decodeStateProof(bad)), {
        code: 'VERITY_E_STATE_PROOF_INVALID',
      });
    }
  });

  it('catches a changed or deleted node row at use', async () => {
    const { root, src } = await build([Array.from({ length: 500 }, (_, i) => ({ key: key(i), value: val(i) }))]);
    const [pos] = [...src.rows.keys()].filter((p) => p.startsWith('02'));
    assert.ok(pos !== undefined);
    const changed = new MemorySource();
    for (const [p, n] of src.rows)
      changed.rows.set(p, p === pos ? Uint8Array.from(n, (b, i) => (i === 40 ? b ^ 1 : b)) : n);
    const deleted = new MemorySource();
    for (const [p, n] of src.rows) if (p !== pos) deleted.rows.set(p, n);
    let caught = 0;
    for (const s of [changed, deleted]) {
      for (let i = 0; i < 500; i++) {
        try {
          await new StateTree().prove(s, root, key(i));
        } catch (e) {
          assert.ok(isVerityError(e, 'VERITY_E_STATE_TAMPERED'), String(e));
          caught++;
          break;
        }
      }
    }
    assert.equal(caught, 2);
    await assert.rejects(
      new StateTree().update(
        deleted,
        root,
        Array.from({ length: 500 }, (_, i) => ({ key: key(i), value: val(i, 2) })),
      ),
      {
        code: 'VERITY_E_STATE_TAMPERED',
      },
    );
  });

  it('reads a cold path in one query per eight levels, an update in one query per level', async () => {
    const { root, src } = await build([Array.from({ length: 5000 }, (_, i) => ({ key: key(i), value: val(i) }))]);
    src.reads = 0;
    await new StateTree().prove(src, root, key(17));
    assert.ok(src.reads <= 2, `${src.reads} reads`);
    src.reads = 0;
    await new StateTree().update(
      src,
      root,
      Array.from({ length: 100 }, (_, i) => ({ key: key(i * 31), value: val(i, 3) })),
    );
    assert.ok(src.reads <= 6, `${src.reads} reads`);
  });

  it('applies a batch whose levels hold more nodes than a call takes arguments (a large first commit)', async () => {
    // The first commit of a store upgraded to the map binds every row it holds in one update. A
    // level's nodes were once appended with a spread call, which throws past about 125,000
    // arguments on the default stack: at a million rows the fifth level holds about 260,000. A
    // child with a small stack (a spread limit near 7,000) shows it with 60,000 keys.
    const n = 60_000;
    const code = `
      import { sha256 } from ${JSON.stringify(new URL('../platform/index.ts', import.meta.url).href)};
      import { EMPTY_STATE_ROOT, StateTree, stateKey } from ${JSON.stringify(new URL('./index.ts', import.meta.url).href)};
      const enc = new TextEncoder();
      const changes = Array.from({ length: ${n} }, (_, i) => ({
        key: stateKey('test', String(i)),
        value: sha256(enc.encode(i + '/0')),
      }));
      const u = await new StateTree({ cacheSize: 0 }).update({ getStateNodes: async () => [] }, EMPTY_STATE_ROOT, changes);
      process.stdout.write(Buffer.from(u.root).toString('hex'));`;
    const child = spawnSync(
      process.execPath,
      ['--stack-size=60', '--disable-warning=ExperimentalWarning', '--input-type=module', '-e', code],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(child.status, 0, child.stderr);
    const all = Array.from({ length: n }, (_, i) => ({ key: key(i), value: val(i) }));
    const batches = Array.from({ length: n / 5000 }, (_, b) => all.slice(b * 5000, (b + 1) * 5000));
    const { root } = await build(batches);
    assert.equal(child.stdout, Buffer.from(root).toString('hex'));
  });
});

describe('state digests of rows', () => {
  /** The documented encoding, written out plainly. */
  function reference(kind: string, fields: readonly (string | number | boolean | null | Uint8Array)[]): Uint8Array {
    const enc = new TextEncoder();
    const parts: Uint8Array[] = [enc.encode(`verity/state/v1/${kind}\u0000`)];
    for (const f of fields) {
      const body =
        f === null
          ? new Uint8Array(0)
          : typeof f === 'string'
            ? enc.encode(f)
            : typeof f === 'number'
              ? enc.encode(String(f))
              : typeof f === 'boolean'
                ? Uint8Array.of(f ? 1 : 0)
                : f;
      const head = new Uint8Array(5);
      head[0] = f === null ? 0 : typeof f === 'string' ? 1 : typeof f === 'number' ? 2 : typeof f === 'boolean' ? 4 : 3;
      new DataView(head.buffer).setUint32(1, body.byteLength);
      parts.push(head, body);
    }
    return sha256(Uint8Array.from(parts.flatMap((p) => [...p])));
  }

  it('is SHA-256 of the kind and each typed, length-prefixed column (property)', () => {
    const field = fc.oneof(
      fc.constant(null),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.maxSafeInteger(),
      fc.boolean(),
      fc.uint8Array({ maxLength: 70 }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z-]{1,12}$/), fc.array(field, { maxLength: 10 }), (kind, fields) => {
        assert.deepEqual(stateDigest(kind, fields), reference(kind, fields));
      }),
    );
  });
});
