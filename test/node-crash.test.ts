// A node killed with SIGKILL in the middle of an HTTP load: afterwards every acknowledged write is
// readable and proof-verified by the SDK, whose trusted checkpoint (from before the crash) the
// restarted node's log must extend.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { initDataDir, openDataDir } from '../src/embedded/index.ts';
import { Tokens } from '../src/principals/index.ts';
import { VerityClient } from '../src/sdk/index.ts';
import { TEST_KDF, TEST_SECRET, tempDir } from './helpers/env.ts';
import { startNode, stopNode } from './helpers/node.ts';

describe('a node killed during load', () => {
  it('loses no acknowledged write', async () => {
    const { dir, cleanup } = await tempDir();
    let node: { url: string; child: ChildProcess } | undefined;
    try {
      const data = join(dir, 'data');
      await initDataDir(data, { secret: TEST_SECRET, kdf: TEST_KDF });
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
      node = await startNode(data);
      const port = Number(new URL(node.url).port);
      const client = new VerityClient({ url: node.url, token, verifierKey: key, origin });
      await client.checkpoint();
      const acks = new Map<string, number>();
      let killed = false;
      const victim = node.child;
      await Promise.all(
        Array.from({ length: 16 }, async (_, w) => {
          for (let i = w; !killed; i += 16) {
            try {
              const r = await client.putRecord({
                subject: `p${i % 20}`,
                type: 'position',
                purpose: 'service-provision',
                data: { i },
              });
              acks.set(r.id, i);
              if (acks.size === 200) {
                await client.checkpoint();
              }
              if (acks.size >= 400 && !killed) {
                killed = true;
                victim.kill('SIGKILL');
              }
            } catch {
              if (!killed) throw new Error('a write failed before the crash');
              return;
            }
          }
        }),
      );
      await new Promise((r) =>
        victim.exitCode !== null || victim.signalCode !== null ? r(null) : victim.once('exit', r),
      );
      node = await startNode(data, port);
      for (const [id, i] of acks) {
        const r = await client.getRecord(id, { purpose: 'service-provision' });
        assert.equal((r.data as { i: number }).i, i);
      }
      assert.ok(acks.size >= 400);
      // The restarted node's newest checkpoint extends the one trusted before the crash.
      await client.checkpoint();
    } finally {
      if (node !== undefined) await stopNode(node.child);
      await cleanup();
    }
  });
});
