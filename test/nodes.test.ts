// Three Verity nodes (verity serve processes) on one PostgreSQL database, written to through all
// of them at once: the log has no gap or fork, and the checkpoints of every node are consistent.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { initDataDir, openDataDir } from '../src/embedded/index.ts';
import { fromBase64 } from '../src/encoding/index.ts';
import { checkCheckpointAdvance, decodeStateEntry, verifyLogStorage } from '../src/log/index.ts';
import { parseCheckpoint } from '../src/note/index.ts';
import { Tokens } from '../src/principals/index.ts';
import { VerityClient } from '../src/sdk/index.ts';
import { PG_URL, pgSchema, TEST_KDF, TEST_SECRET, tempDir } from './helpers/env.ts';
import { startNode, stopNode } from './helpers/node.ts';

describe('three nodes on one PostgreSQL database', () => {
  it('write through all nodes at once; one gap-free, fork-free log; consistent checkpoints', async () => {
    const { dir, cleanup } = await tempDir();
    const pgs = pgSchema();
    const nodes: { url: string; child: ChildProcess }[] = [];
    try {
      const data = join(dir, 'data');
      await initDataDir(data, {
        secret: TEST_SECRET,
        kdf: TEST_KDF,
        postgres: { connectionString: PG_URL, schema: pgs.schema },
      });
      const admin = await openDataDir(data, { secret: TEST_SECRET });
      const token = (
        await new Tokens(admin.store, admin.log).create({
          principal: 'world',
          role: 'service',
          recordTypes: ['position'],
          actor: 'operator:test',
        })
      ).token;
      const key = admin.log.verifierKey;
      const origin = admin.config.origin;
      await admin.close();
      for (let i = 0; i < 3; i++) nodes.push(await startNode(data));
      const clients = nodes.map((n) => new VerityClient({ url: n.url, token, verifierKey: key, origin }));
      const written = await Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          (clients[i % 3] as VerityClient).putRecord({
            subject: `p${i % 10}`,
            type: 'position',
            purpose: 'service-provision',
            data: { i },
          }),
        ),
      );
      assert.equal(new Set(written.map((w) => w.logIndex)).size, 150, 'two writes share a log index');
      // Every node reads what any node wrote, verified client-side.
      for (let i = 0; i < 15; i++) {
        const w = written[i * 10] as { id: string };
        const r = await (clients[(i + 1) % 3] as VerityClient).getRecord(w.id, { purpose: 'service-provision' });
        assert.equal((r.data as { i: number }).i, i * 10);
      }
      // Checkpoints of all nodes are consistent with each other.
      const notes = await Promise.all(nodes.map(async (n) => (await fetch(`${n.url}/v1/log/checkpoint`)).text()));
      const sized = notes
        .map((note) => ({ note, size: parseCheckpoint(note.slice(0, note.indexOf('\n\n') + 1)).size }))
        .sort((a, b) => a.size - b.size);
      const check = await openDataDir(data, { secret: TEST_SECRET });
      try {
        for (let i = 1; i < sized.length; i++) {
          const a = sized[i - 1] as { note: string; size: number };
          const b = sized[i] as { note: string; size: number };
          const proof = (await check.log.consistencyProof(a.size, b.size)).proof.map((p) => fromBase64(p));
          checkCheckpointAdvance(a.note, b.note, proof, check.log.verifier, origin);
        }
        const report = await verifyLogStorage(check.store, check.log.verifier, origin);
        // init + the privacy policy's installation + the Cedar policies' (D416) + the pinned type rule (D427) + token + one entry per write (its record.create
        // carries the decision) + one key.create per subject + one record.read per read, beside the
        // transactions' state entries.
        const audit = (await check.log.entries(0, report.size)).filter((e) => decodeStateEntry(e) === undefined);
        assert.equal(audit.length, 1 + 1 + 1 + 1 + 1 + 150 + 10 + 15);
      } finally {
        await check.close();
      }
    } finally {
      await Promise.all(nodes.map((n) => stopNode(n.child)));
      await pgs.drop();
      await cleanup();
    }
  });
});
