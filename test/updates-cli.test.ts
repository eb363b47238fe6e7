// `verity updates` end to end: a repository made and signed with the repo-* commands, served over
// HTTP, trusted by a data directory, applied, its timestamp key rotated, rolled back; and the
// refusal of a repository without its passphrase.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_POLICIES } from '../src/access/index.ts';
import { TEST_SECRET, tempDir } from './helpers/env.ts';
import { runVerity, stopNode, type VerityRun } from './helpers/node.ts';
import { serveDir } from './helpers/static-server.ts';
import { PASS } from './helpers/tuf.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'verity');

function ok(r: VerityRun): VerityRun {
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  return r;
}

describe('verity updates', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let server: Awaited<ReturnType<typeof serveDir>>;
  before(async () => {
    ({ dir, cleanup } = await tempDir('verity-updates-cli-'));
    process.env['VERITY_UPDATES_PASSPHRASE'] = PASS;
  });
  after(async () => {
    delete process.env['VERITY_UPDATES_PASSPHRASE'];
    await server?.close();
    await cleanup();
  });

  it('makes a repository, applies its update to a data directory, rotates a key and rolls back', async () => {
    const repo = join(dir, 'repo');
    const data = join(dir, 'data');
    const made = JSON.parse(
      ok(await runVerity(['updates', 'repo-init', '--repo', repo, '--root-keys', '2', '--root-threshold', '2'])).stdout,
    );
    assert.equal(made.roles.root.keys.length, 2);
    assert.equal(made.roles.root.threshold, 2);
    const policy = join(dir, 'verity.cedar');
    const changed = `${DEFAULT_POLICIES}\n// shipped by the update repository\n`;
    await writeFile(policy, changed);
    const added = JSON.parse(
      ok(await runVerity(['updates', 'repo-add', '--repo', repo, '--path', 'policies/verity.cedar', policy])).stdout,
    );
    assert.deepEqual(added.targets.files, ['policies/verity.cedar']);
    server = await serveDir(repo);
    ok(await runVerity(['init', '--data', data]));
    const before = await readFile(join(data, 'policies', 'verity.cedar'), 'utf8');
    ok(
      await runVerity([
        'updates',
        'trust',
        '--data',
        data,
        '--root',
        join(repo, 'metadata', '1.root.json'),
        '--url',
        server.url,
      ]),
    );
    const applied = JSON.parse(ok(await runVerity(['updates', 'apply', '--data', data])).stdout);
    assert.equal(applied.applied, true);
    assert.equal(await readFile(join(data, 'policies', 'verity.cedar'), 'utf8'), changed);

    const ts = made.roles.timestamp.keys[0] as string;
    ok(
      await runVerity([
        'updates',
        'repo-rotate-key',
        '--repo',
        repo,
        '--role',
        'timestamp',
        '--remove',
        ts,
        '--add',
        '1',
      ]),
    );
    const again = JSON.parse(ok(await runVerity(['updates', 'apply', '--data', data])).stdout);
    assert.equal(again.applied, true);
    const status = JSON.parse(ok(await runVerity(['updates', 'status', '--data', data])).stdout);
    assert.equal(status.current.id, again.set);
    assert.deepEqual(status.previous, ['base', applied.set]);

    const back = JSON.parse(ok(await runVerity(['updates', 'rollback', '--data', data])).stdout);
    assert.equal(back.to, applied.set);
    ok(await runVerity(['updates', 'rollback', '--data', data]));
    assert.equal(await readFile(join(data, 'policies', 'verity.cedar'), 'utf8'), before);
    const none = await runVerity(['updates', 'rollback', '--data', data]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /VERITY_E_UPDATE_NO_PREVIOUS/);
  });

  it('`verity start --update-interval` applies a new version at start, and the server reloads the policies', async () => {
    const repo = join(dir, 'repo');
    const data = join(dir, 'data');
    const newest = `${DEFAULT_POLICIES}\n// the newest version\n`;
    const policy = join(dir, 'newest.cedar');
    await writeFile(policy, newest);
    ok(await runVerity(['updates', 'repo-add', '--repo', repo, '--path', 'policies/verity.cedar', policy]));
    const child = spawn(BIN, ['start', '--data', data, '--port', '0', '--update-interval', '3600'], {
      env: { ...process.env, VERITY_PASSPHRASE: TEST_SECRET.passphrase },
    });
    try {
      let err = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (b: Buffer) => {
          err += b.toString();
          if (/applied update s\d+/.test(err) && /policies reloaded/.test(err)) resolve();
        });
        child.once('exit', (code) => reject(new Error(`start exited with ${code}: ${err}`)));
      });
      assert.equal(await readFile(join(data, 'policies', 'verity.cedar'), 'utf8'), newest);
    } finally {
      await stopNode(child);
    }
  });

  it('refuses to sign without the repository passphrase', async () => {
    delete process.env['VERITY_UPDATES_PASSPHRASE'];
    try {
      const r = await runVerity(['updates', 'repo-sign', '--repo', join(dir, 'repo')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /VERITY_E_UPDATE_REPOSITORY.*VERITY_UPDATES_PASSPHRASE/);
    } finally {
      process.env['VERITY_UPDATES_PASSPHRASE'] = PASS;
    }
  });
});
