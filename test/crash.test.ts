// A writer killed with SIGKILL mid-stream loses nothing it acknowledged: afterwards every
// acknowledged write is readable and the log verifies and is consistent with the last checkpoint
// the writer handed out. Runs against both backends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { initDataDir, openDataDir } from '../src/embedded/index.ts';
import { fromBase64 } from '../src/encoding/index.ts';
import { checkCheckpointAdvance, verifyLogStorage } from '../src/log/index.ts';
import { parseCheckpoint } from '../src/note/index.ts';
import { BACKENDS } from './helpers/core.ts';
import { NODE, NODE_FLAGS, PG_URL, pgSchema, TEST_KDF, TEST_SECRET, tempDir } from './helpers/env.ts';

const WRITER = join(import.meta.dirname, 'helpers', 'writer.ts');

for (const backend of BACKENDS) {
  describe(`SIGKILL during writes on ${backend}`, () => {
    it('keeps every acknowledged write and a consistent log', async () => {
      const { dir, cleanup } = await tempDir();
      const pgs = backend === 'postgres' ? pgSchema() : undefined;
      try {
        const data = join(dir, 'data');
        await initDataDir(data, {
          secret: TEST_SECRET,
          kdf: TEST_KDF,
          ...(pgs === undefined ? {} : { postgres: { connectionString: PG_URL, schema: pgs.schema } }),
        });
        const child = spawn(NODE, [...NODE_FLAGS, WRITER, data, '1000000', '16', 'k'], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        const acks = new Map<string, number>();
        let lastCheckpoint: string | undefined;
        let buffer = '';
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        await new Promise<void>((resolve) => {
          child.stdout.on('data', (chunk: Buffer) => {
            buffer += chunk.toString();
            const parts = buffer.split('\n');
            buffer = parts.pop() ?? '';
            for (const line of parts) {
              const m = JSON.parse(line) as { ack?: string; i?: number; checkpoint?: string };
              if (m.ack !== undefined) acks.set(m.ack, m.i as number);
              if (m.checkpoint !== undefined) lastCheckpoint = m.checkpoint;
            }
            if (acks.size >= 400) resolve();
          });
          child.once('exit', () => resolve());
        });
        child.kill('SIGKILL');
        await exited;
        assert.ok(acks.size >= 400, `the writer acknowledged only ${acks.size} writes before it stopped`);
        assert.ok(lastCheckpoint !== undefined);

        const v = await openDataDir(data, { secret: TEST_SECRET });
        try {
          const report = await verifyLogStorage(v.store, v.log.verifier, v.config.origin);
          const trustedSize = parseCheckpoint(lastCheckpoint.slice(0, lastCheckpoint.indexOf('\n\n') + 1)).size;
          assert.ok(report.size >= trustedSize);
          const proof = (await v.log.consistencyProof(trustedSize)).proof.map((p) => fromBase64(p));
          checkCheckpointAdvance(lastCheckpoint, await v.log.checkpoint(), proof, v.log.verifier, v.config.origin);
          for (const [id, i] of acks) {
            const r = await v.vault.get(id, { actor: 'auditor:test', purpose: 'audit' });
            assert.equal((r.data as { i: number }).i, i);
          }
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
