// D423: a data directory keeps the policies it was made with, so a policy a later release adds to
// the defaults (player-own-rights, D417) is not in force there: its players' own rights requests
// were refused, and nothing told the operator why or how to add it. A start says which default
// policies the set in force lacks; `verity policy defaults` shows how each stands and `--write`
// adds the missing ones beside the operator's files, in force only after `verity policy install`.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TEST_SECRET, tempDir } from './helpers/env.ts';
import { runVerity, type VerityRun } from './helpers/node.ts';
import { spawnServe } from './helpers/server.ts';

async function ok(r: Promise<VerityRun>): Promise<VerityRun> {
  const x = await r;
  assert.equal(x.code, 0, x.stderr);
  return x;
}

interface Report {
  policies: { id: string; inForce: string; inFiles: string }[];
  wrote?: { file: string; ids: string[] };
  next?: string;
}

describe("this release's default policies on a data directory made by an earlier one (D423)", () => {
  let dir: string;
  let data: string;
  let cleanup: () => Promise<void>;
  const env = { ...process.env, VERITY_PASSPHRASE: TEST_SECRET.passphrase };
  const defaults = async (...more: string[]) =>
    JSON.parse((await ok(runVerity(['policy', 'defaults', '--data', data, ...more]))).stdout) as Report;
  const standing = (r: Report, id: string) => r.policies.find((p) => p.id === id);

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    data = join(dir, 'vault');
    await ok(runVerity(['init', '--data', data]));
    // The defaults as an earlier release wrote them: without player-own-rights, installed.
    const file = join(data, 'policies', 'verity.cedar');
    const text = readFileSync(file, 'utf8');
    const at = text.indexOf('@id("player-own-rights")');
    assert.ok(at > 0);
    writeFileSync(file, text.slice(0, at) + text.slice(text.indexOf(';', at) + 1));
    const installed = JSON.parse((await ok(runVerity(['policy', 'install', '--data', data]))).stdout) as {
      cedar: { removed: string[] };
    };
    assert.deepEqual(installed.cedar.removed, ['player-own-rights']);
  });
  after(async () => {
    await cleanup();
  });

  it('a start names the default policy the set in force lacks and the command that adds it', async () => {
    const server = await spawnServe(['--data', data, '--port', '0'], env);
    try {
      assert.match(server.output(), /lack a default policy of this release \(player-own-rights\)/);
      assert.match(server.output(), /verity policy defaults --data /);
    } finally {
      await server.stop();
    }
  });

  it('`policy defaults` shows it missing in force and in the files; every other default as shipped', async () => {
    const r = await defaults();
    assert.deepEqual(standing(r, 'player-own-rights'), {
      id: 'player-own-rights',
      inForce: 'missing',
      inFiles: 'missing',
    });
    assert.deepEqual(
      r.policies.filter((p) => p.id !== 'player-own-rights' && (p.inForce !== 'same' || p.inFiles !== 'same')),
      [],
    );
    assert.equal(r.wrote, undefined, 'nothing written without --write');
  });

  it('`--write` adds it beside the files, in force only after `policy install`', async () => {
    const w = await defaults('--write');
    assert.deepEqual(w.wrote?.ids, ['player-own-rights']);
    assert.equal(w.wrote?.file, join(data, 'policies', 'verity-defaults.cedar'));
    assert.match(readFileSync(join(data, 'policies', 'verity-defaults.cedar'), 'utf8'), /@id\("player-own-rights"\)/);
    const after = await defaults();
    assert.deepEqual(standing(after, 'player-own-rights'), {
      id: 'player-own-rights',
      inForce: 'missing',
      inFiles: 'same',
    });
    assert.match(after.next ?? '', /verity policy install --data/);
    // A second --write adds nothing twice.
    assert.equal((await defaults('--write')).wrote, undefined);
    const installed = JSON.parse((await ok(runVerity(['policy', 'install', '--data', data]))).stdout) as {
      cedar: { added: string[] };
    };
    assert.deepEqual(installed.cedar.added, ['player-own-rights']);
    const done = await defaults();
    assert.deepEqual(
      done.policies.filter((p) => p.inForce !== 'same' || p.inFiles !== 'same'),
      [],
    );
    assert.equal(done.next, undefined);
  });
});
