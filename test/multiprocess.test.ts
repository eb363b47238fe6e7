// Several Verity processes write to one database at once: the log sequencer stays gap-free and
// fork-free, and every checkpoint any process handed out is consistent with every other.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { initDataDir, openDataDir } from '../src/embedded/index.ts';
import { fromBase64 } from '../src/encoding/index.ts';
import { checkCheckpointAdvance, decodeStateEntry, verifyLogStorage } from '../src/log/index.ts';
import { parseCheckpoint } from '../src/note/index.ts';
import { BACKENDS } from './helpers/core.ts';
import { NODE, NODE_FLAGS, PG_URL, pgSchema, TEST_KDF, TEST_SECRET, tempDir } from './helpers/env.ts';

const WRITER = join(import.meta.dirname, 'helpers', 'writer.ts');
const PER_PROCESS = 150;

function runWriter(data: string, tag: string): Promise<{ acks: Map<string, number>; checkpoints: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [...NODE_FLAGS, WRITER, data, String(PER_PROCESS), '8', tag], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout.on('data', (c: Buffer) => {
      text += c.toString();
    });
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`writer ${tag} exited with ${code}`));
      const acks = new Map<string, number>();
      const checkpoints: string[] = [];
      for (const line of text.split('\n')) {
        if (line === '' || line === 'done') continue;
        const m = JSON.parse(line) as { ack?: string; logIndex?: number; checkpoint?: string };
        if (m.ack !== undefined) acks.set(m.ack, m.logIndex as number);
        if (m.checkpoint !== undefined) checkpoints.push(m.checkpoint);
      }
      resolve({ acks, checkpoints });
    });
  });
}

for (const backend of BACKENDS) {
  describe(`three writer processes on one ${backend} database`, () => {
    it('keeps the log gap-free, fork-free and consistent across processes', async () => {
      const { dir, cleanup } = await tempDir();
      const pgs = backend === 'postgres' ? pgSchema() : undefined;
      try {
        const data = join(dir, 'data');
        await initDataDir(data, {
          secret: TEST_SECRET,
          kdf: TEST_KDF,
          ...(pgs === undefined ? {} : { postgres: { connectionString: PG_URL, schema: pgs.schema } }),
        });
        const results = await Promise.all(['a', 'b', 'c'].map((t) => runWriter(data, t)));
        const v = await openDataDir(data, { secret: TEST_SECRET });
        try {
          const report = await verifyLogStorage(v.store, v.log.verifier, v.config.origin);
          const entries = (await v.log.entries(0, report.size)).filter((e) => decodeStateEntry(e) === undefined);
          // log.init + the privacy policy's installation + the Cedar policies' (D416) + the pinned type rule (D427) + one entry per write + one key.create per
          // subject (50 per process), beside the state entries of the transactions.
          assert.equal(entries.length, 1 + 1 + 1 + 1 + 3 * PER_PROCESS + 3 * 50);
          const indices = new Set<number>();
          for (const r of results) for (const i of r.acks.values()) indices.add(i);
          assert.equal(indices.size, 3 * PER_PROCESS, 'two writes share a log index');
          const creates = entries.map((e) => decodeAuditEntry(e)).filter((e) => e.action === 'record.create');
          assert.equal(creates.length, 3 * PER_PROCESS);
          // Every checkpoint handed out by any process is consistent with every later one.
          const cps = results
            .flatMap((r) => r.checkpoints)
            .map((note) => ({ note, size: parseCheckpoint(note.slice(0, note.indexOf('\n\n') + 1)).size }))
            .sort((x, y) => x.size - y.size);
          assert.ok(cps.length >= 6);
          for (let i = 1; i < cps.length; i++) {
            const a = cps[i - 1] as { note: string; size: number };
            const b = cps[i] as { note: string; size: number };
            const proof = (await v.log.consistencyProof(a.size, b.size)).proof.map((p) => fromBase64(p));
            checkCheckpointAdvance(a.note, b.note, proof, v.log.verifier, v.config.origin);
          }
          for (const r of results)
            for (const id of [...r.acks.keys()].slice(0, 20))
              await v.vault.get(id, { actor: 'auditor:test', purpose: 'audit' });
        } finally {
          await v.close();
        }
      } finally {
        await pgs?.drop();
        await cleanup();
      }
    });
  });
}
