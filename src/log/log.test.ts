import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, makeCore, type TestCore } from '../../test/helpers/core.ts';
import { fromBase64, toBase64, utf8 } from '../encoding/index.ts';
import { isVerityError } from '../errors/index.ts';
import { hashLeaf, rootFromLeaves, tilePath, verifyConsistency, verifyInclusion } from '../merkle/index.ts';
import { formatCheckpoint, parseCheckpoint, signNote, verifyCheckpoint } from '../note/index.ts';
import { checkCheckpointAdvance, checkProofCase, parseProofCase, TransparencyLog, verifyLogStorage } from './index.ts';

function entry(i: number): Uint8Array {
  return utf8(`entry-${i}`);
}

for (const backend of BACKENDS) {
  describe(`transparency log on ${backend}`, () => {
    let core: TestCore;
    let leaves: Uint8Array[];
    before(async () => {
      core = await makeCore(backend);
      // openVerity wrote the log.init entry first.
      leaves = [hashLeaf((await core.log.entries(0, 1))[0] as Uint8Array)];
      // 600 entries in uneven batches, crossing two level-0 tile boundaries.
      let i = 0;
      for (const n of [1, 2, 5, 100, 147, 1, 255, 89]) {
        const batch = Array.from({ length: n }, () => entry(i++));
        const { start } = await core.log.append(batch);
        assert.equal(start, leaves.length);
        leaves.push(...batch.map(hashLeaf));
      }
    });
    after(() => core.dispose());

    it('keeps the RFC 9162 root of all entries and signs it in a C2SP checkpoint', async () => {
      const head = await core.log.head();
      assert.equal(head.size, leaves.length);
      assert.deepEqual(head.rootHash, rootFromLeaves(leaves));
      const { checkpoint } = verifyCheckpoint(head.checkpoint, core.log.verifier, 'verity.test/log');
      assert.equal(checkpoint.size, head.size);
      assert.deepEqual(checkpoint.rootHash, head.rootHash);
    });

    it('proves inclusion of every entry at several tree sizes', async () => {
      const size = leaves.length;
      for (const n of [1, 2, 3, 255, 256, 257, 512, size]) {
        const root = rootFromLeaves(leaves.slice(0, n));
        for (let i = 0; i < n; i += n > 300 ? 7 : 1) {
          const p = await core.log.inclusionProof(i, n);
          assert.equal(p.rootHash, toBase64(root));
          assert.equal(p.leafHash, toBase64(leaves[i] as Uint8Array));
          verifyInclusion(
            leaves[i] as Uint8Array,
            i,
            n,
            p.proof.map((h) => fromBase64(h)),
            root,
          );
          assert.deepEqual(checkProofCase(parseProofCase(JSON.parse(JSON.stringify(p)))), { valid: true });
        }
      }
    });

    it('proves consistency between tree sizes', async () => {
      const size = leaves.length;
      for (const [m, n] of [
        [1, 2],
        [3, 7],
        [255, 256],
        [256, 257],
        [100, 513],
        [1, size],
        [size - 1, size],
        [size, size],
        [0, size],
      ] as const) {
        const p = await core.log.consistencyProof(m, n);
        assert.equal(p.root1, toBase64(rootFromLeaves(leaves.slice(0, m))));
        assert.equal(p.root2, toBase64(rootFromLeaves(leaves.slice(0, n))));
        if (m > 0)
          verifyConsistency(
            m,
            n,
            p.proof.map((h) => fromBase64(h)),
            fromBase64(p.root1),
            fromBase64(p.root2),
          );
      }
    });

    it('serves C2SP tiles and entry bundles that match the entries', async () => {
      const full = await core.log.readTile(tilePath(0, 0));
      assert.equal(full.byteLength, 256 * 32);
      for (let i = 0; i < 256; i++) assert.deepEqual(full.subarray(i * 32, i * 32 + 32), leaves[i]);
      const width = leaves.length % 256;
      const partial = await core.log.readTile(tilePath(0, 2, width));
      assert.equal(partial.byteLength, width * 32);
      assert.deepEqual(partial.subarray(0, 32), leaves[512]);
      const narrower = await core.log.readTile(tilePath(0, 2, 1));
      assert.deepEqual(narrower, partial.subarray(0, 32));
      // Level 1 holds the roots of full level-0 tiles.
      const l1 = await core.log.readTile(tilePath(1, 0, 2));
      assert.deepEqual(l1.subarray(0, 32), rootFromLeaves(leaves.slice(0, 256)));
      assert.deepEqual(l1.subarray(32, 64), rootFromLeaves(leaves.slice(256, 512)));
      const bundle = await core.log.readTile('tile/entries/001');
      assert.equal((bundle[0] as number) * 256 + (bundle[1] as number), entry(255).byteLength);
      await assert.rejects(core.log.readTile(tilePath(0, 3)), (e) => isVerityError(e, 'VERITY_E_LOG_RANGE'));
      await assert.rejects(core.log.readTile(tilePath(0, 2)), (e) => isVerityError(e, 'VERITY_E_LOG_RANGE'));
    });

    it('gives concurrent submitters distinct consecutive indices in few transactions', async () => {
      const before = (await core.log.head()).size;
      const results = await Promise.all(Array.from({ length: 500 }, (_, i) => core.log.append([utf8(`c-${i}`)])));
      const starts = results.map((r) => r.start).sort((a, b) => a - b);
      assert.deepEqual(
        starts,
        Array.from({ length: 500 }, (_, i) => before + i),
      );
      const heads = new Set(results.map((r) => r.head.size));
      assert.ok(heads.size < 50, `500 appends took ${heads.size} transactions`);
      for (let i = 0; i < 500; i++)
        leaves.push(hashLeaf((await core.log.entries(before + i, before + i + 1))[0] as Uint8Array));
      assert.deepEqual((await core.log.head()).rootHash, rootFromLeaves(leaves));
    });

    it('keeps proofs at the head right as the head moves (kept root and node texts never go stale)', async () => {
      // Proofs at the head reuse the root's text and the text of high perfect nodes: each append
      // must give proofs against the new root, and nodes kept from earlier sizes must still verify.
      for (let step = 0; step < 3; step++) {
        const { head } = await core.log.append([utf8(`moving-${step}`)]);
        leaves.push(hashLeaf(utf8(`moving-${step}`)));
        const root = rootFromLeaves(leaves);
        for (const i of [0, 255, 256, 511, leaves.length - 1]) {
          const p = await core.log.inclusionProof(i);
          assert.equal(p.treeSize, head.size);
          assert.equal(p.rootHash, toBase64(root));
          verifyInclusion(
            leaves[i] as Uint8Array,
            i,
            p.treeSize,
            p.proof.map((h) => fromBase64(h)),
            root,
          );
        }
      }
    });

    it('fails only the operation that throws, not its batch neighbours', async () => {
      const before = (await core.log.head()).size;
      const ok1 = core.log.append([utf8('ok-1')]);
      const bad = core.log.submit((_tx, batch) => {
        batch.add(utf8('never'));
        throw new Error('boom');
      });
      const ok2 = core.log.append([utf8('ok-2')]);
      const [a, b, c] = await Promise.allSettled([ok1, bad, ok2]);
      assert.equal(a.status, 'fulfilled');
      assert.equal(b.status, 'rejected');
      assert.equal(c.status, 'fulfilled');
      assert.equal((await core.log.head()).size, before + 2);
      const texts = (await core.log.entries(before, before + 2)).map((e) => Buffer.from(e).toString());
      assert.deepEqual(texts.sort(), ['ok-1', 'ok-2']);
      leaves.push(...(await core.log.entries(before, before + 2)).map(hashLeaf));
    });

    it('verifies its whole storage', async () => {
      const r = await verifyLogStorage(core.store, core.log.verifier, 'verity.test/log');
      assert.equal(r.size, leaves.length);
      assert.ok(r.tilesChecked >= 5);
    });

    it('refuses entries that are empty or too large for a C2SP entry bundle', async () => {
      await assert.rejects(core.log.append([new Uint8Array(0)]), (e) => isVerityError(e, 'VERITY_E_INPUT_EMPTY'));
      await assert.rejects(core.log.append([new Uint8Array(70_000)]), (e) =>
        isVerityError(e, 'VERITY_E_INPUT_TOO_LARGE'),
      );
    });

    it('detects a rolled-back or forked checkpoint and a forged signature', async () => {
      const old = await core.log.checkpoint();
      await core.log.append([utf8('after-old')]);
      leaves.push(hashLeaf(utf8('after-old')));
      const cur = await core.log.checkpoint();
      const oldSize = parseCheckpoint(old.slice(0, old.indexOf('\n\n') + 1)).size;
      const proof = (await core.log.consistencyProof(oldSize)).proof.map((h) => fromBase64(h));
      checkCheckpointAdvance(old, cur, proof, core.log.verifier);
      // Rollback: the client trusted `cur`, the log now shows `old`.
      assert.throws(
        () => checkCheckpointAdvance(cur, old, [], core.log.verifier),
        (e) => isVerityError(e, 'VERITY_E_LOG_ROLLBACK'),
      );
      // Fork: the same key signs a different root for a larger size (a split view).
      const size = parseCheckpoint(cur.slice(0, cur.indexOf('\n\n') + 1)).size;
      const forkRoot = createHash('sha256').update('fork').digest();
      const forked = await signNote(
        formatCheckpoint({ origin: 'verity.test/log', size: size + 1, rootHash: forkRoot }),
        [
          {
            name: 'verity.test/log',
            publicKey: core.log.verifier.publicKey,
            sign: (m) => core.keys.sign('log-checkpoint', m),
          },
        ],
      );
      assert.throws(
        () => checkCheckpointAdvance(cur, forked, [forkRoot], core.log.verifier),
        (e) => isVerityError(e, 'VERITY_E_LOG_FORK'),
      );
      const sameSizeFork = await signNote(formatCheckpoint({ origin: 'verity.test/log', size, rootHash: forkRoot }), [
        {
          name: 'verity.test/log',
          publicKey: core.log.verifier.publicKey,
          sign: (m) => core.keys.sign('log-checkpoint', m),
        },
      ]);
      assert.throws(
        () => checkCheckpointAdvance(cur, sameSizeFork, [], core.log.verifier),
        (e) => isVerityError(e, 'VERITY_E_LOG_FORK'),
      );
      // Forgery: one changed byte in the signed body.
      const forged = cur.replace(/\n(\d+)\n/, (_m, n: string) => `\n${Number(n) + 1}\n`);
      assert.throws(
        () => checkCheckpointAdvance(cur, forged, [], core.log.verifier),
        (e) => isVerityError(e, 'VERITY_E_LOG_SIGNATURE_INVALID'),
      );
    });

    it('opens read-only without keys and refuses to append', async () => {
      const store = await core.openStore();
      try {
        const ro = TransparencyLog.openReadOnly(store, {
          origin: 'verity.test/log',
          verifierKey: core.log.verifierKey,
        });
        assert.equal(await ro.checkpoint(), await core.log.checkpoint());
        await assert.rejects(ro.append([utf8('x')]), (e) => isVerityError(e, 'VERITY_E_CLOSED'));
      } finally {
        await store.close();
      }
    });

    it('detects a tampered stored tile, entry or head', async () => {
      const size = (await core.log.head()).size;
      // A changed hash in a full tile: storage verification and proofs through it fail.
      const tile = (await core.store.reader.getTile(0, 0))!;
      const bad = new Uint8Array(tile.hashes);
      bad[5 * 32] = (bad[5 * 32] as number) ^ 1;
      await core.store.write((tx) => tx.putTiles([{ ...tile, hashes: bad }]));
      await assert.rejects(verifyLogStorage(core.store, core.log.verifier, 'verity.test/log'), (e) =>
        isVerityError(e, 'VERITY_E_LOG_TAMPERED'),
      );
      const fresh = await core.openStore();
      try {
        const ro = TransparencyLog.openReadOnly(fresh, {
          origin: 'verity.test/log',
          verifierKey: core.log.verifierKey,
        });
        const p = await ro.inclusionProof(5, size);
        const { checkpoint } = verifyCheckpoint(await ro.checkpoint(), core.log.verifier);
        assert.throws(() =>
          verifyInclusion(
            fromBase64(p.leafHash),
            5,
            size,
            p.proof.map((h) => fromBase64(h)),
            checkpoint.rootHash,
          ),
        );
        const p6 = await ro.inclusionProof(6, size);
        assert.throws(() =>
          verifyInclusion(
            leaves[6] as Uint8Array,
            6,
            size,
            p6.proof.map((h) => fromBase64(h)),
            checkpoint.rootHash,
          ),
        );
      } finally {
        await fresh.close();
      }
      await core.store.write((tx) => tx.putTiles([tile]));
      await verifyLogStorage(core.store, core.log.verifier, 'verity.test/log');
      // A changed head root (signed checkpoint no longer matches).
      const head = (await core.store.reader.getLogHead())!;
      const root = new Uint8Array(head.rootHash);
      root[0] = (root[0] as number) ^ 1;
      await core.store.write((tx) => tx.putLogHead({ ...head, rootHash: root }));
      await assert.rejects(verifyLogStorage(core.store, core.log.verifier, 'verity.test/log'), (e) =>
        isVerityError(e, 'VERITY_E_LOG_TAMPERED'),
      );
      await core.store.write((tx) => tx.putLogHead(head));
      await verifyLogStorage(core.store, core.log.verifier, 'verity.test/log');
    });
  });
}
