// D416: what decides is the policies the authenticated state holds in force. Someone who can write
// the data directory but holds no key store secret edits DIR/policies: a running server and the
// next start keep deciding by the installed set, and say the files differ; `verity policy install`
// (with the secret) puts them in force, logged, and a running server takes them up.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TEST_SECRET, tempDir } from './helpers/env.ts';
import { runVerity, type VerityRun } from './helpers/node.ts';
import { type ServeProcess, spawnServe } from './helpers/server.ts';

async function ok(r: Promise<VerityRun>): Promise<VerityRun> {
  const x = await r;
  assert.equal(x.code, 0, x.stderr);
  return x;
}

/** Waits until `pattern` shows in what the server printed (at most 20 s). */
async function printed(server: ServeProcess, pattern: RegExp): Promise<void> {
  for (let i = 0; i < 200 && !pattern.test(server.output()); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(server.output(), pattern);
}

describe('policies pinned in the state (D416)', () => {
  let dir: string;
  let data: string;
  let cleanup: () => Promise<void>;
  let server: ServeProcess | undefined;
  const env = { ...process.env, VERITY_PASSPHRASE: TEST_SECRET.passphrase };
  const entries = async (action: string) =>
    (
      JSON.parse((await ok(runVerity(['log', 'entries', '--data', data, '--from', '0']))).stdout) as {
        index: number;
        entry?: { action: string; actor: string; contentHash?: string; details?: Record<string, unknown> };
      }[]
    ).filter((x) => x.entry?.action === action);

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    data = join(dir, 'vault');
    await ok(runVerity(['init', '--data', data]));
  });
  after(async () => {
    await server?.stop();
    await cleanup();
  });

  it('an edit of the Cedar files while the server runs decides nothing until it is installed', async () => {
    const service = (
      await ok(
        runVerity([
          'tokens',
          'create',
          '--data',
          data,
          '--principal',
          'world-eu',
          '--role',
          'service',
          '--record-types',
          'avatar.profile',
        ]),
      )
    ).stdout.trim();
    const operator = (
      await ok(runVerity(['tokens', 'create', '--data', data, '--principal', 'ops', '--role', 'operator']))
    ).stdout.trim();
    assert.deepEqual(
      (await entries('policy.install')).map((e) => e.entry?.actor),
      ['system:verity'],
      '`init` pins the default set',
    );
    server = await spawnServe(['--data', data, '--port', '0'], env);
    const url = server.url;
    const call = (token: string, path: string, body?: unknown) =>
      fetch(`${url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const put = await call(service, '/v1/records', {
      subject: 'player-7',
      type: 'avatar.profile',
      purpose: 'service-provision',
      data: { name: 'Ada' },
    });
    assert.equal(put.status, 201);
    const { id } = (await put.json()) as { id: string };
    const read = () => call(operator, `/v1/records/${id}?purpose=service-provision`);
    assert.equal((await read()).status, 403, 'the default policies keep operators from content');

    // The attacker's edit: a policy that permits everything, written into the files.
    const file = join(data, 'policies', 'verity.cedar');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n@id("backdoor")\npermit (principal, action, resource);\n`);
    await printed(server, /changed; they decide nothing until `verity policy install --data/);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal((await read()).status, 403, 'the edit decides nothing');
    assert.doesNotMatch(server.output(), /policies reloaded/);

    // The operator puts it in force, from another process, while the server runs.
    // A policy file `ls` does not show is refused, not installed unseen (D420).
    const hidden = join(data, 'policies', '.h.cedar');
    writeFileSync(hidden, '@id("hidden")\npermit (principal, action, resource);\n');
    const refused = await runVerity(['policy', 'install', '--data', data]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the policy file `\.h\.cedar`.*rename or remove it/);
    rmSync(hidden);
    const installed = JSON.parse((await ok(runVerity(['policy', 'install', '--data', data]))).stdout);
    assert.equal(installed.cedar.installed, true);
    // What changed is said: the files and the policy ids added and removed.
    assert.deepEqual(
      [installed.cedar.files, installed.cedar.added, installed.cedar.removed],
      [['verity.cedar'], ['backdoor'], []],
    );
    await printed(
      server,
      new RegExp(`policies reloaded \\(${installed.cedar.hash}, installed at log entry ${installed.cedar.logIndex}\\)`),
    );
    assert.equal((await read()).status, 200);
    const [, pin] = await entries('policy.install');
    assert.deepEqual(
      [pin?.index, pin?.entry?.actor, pin?.entry?.contentHash],
      [installed.cedar.logIndex, 'operator:cli', installed.cedar.hash],
    );
    await server.stop();
    server = undefined;
  });

  it('a new privacy policy version in the file is not put in force by a start, only by install', async () => {
    const file = join(data, 'policies', 'privacy-policy.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
    const before = await entries('privacy.policy');
    writeFileSync(file, JSON.stringify({ ...doc, version: '9.0.0' }));
    server = await spawnServe(['--data', data, '--port', '0'], env);
    assert.match(
      server.output(),
      /privacy policy file \(version `9\.0\.0`\) is not the version in force \(`1\.0\.0`\)/,
    );
    const shown = (await (await fetch(`${server.url}/v1/governance/policy`)).json()) as { version?: string };
    assert.equal(shown.version, '1.0.0');
    await server.stop();
    server = undefined;
    assert.equal((await entries('privacy.policy')).length, before.length, 'a start installs nothing');
    const show = JSON.parse((await ok(runVerity(['privacy-policy', 'show', '--data', data]))).stdout);
    assert.deepEqual([show.version, show.file.version, show.file.inForce], ['1.0.0', '9.0.0', false]);
    const installed = JSON.parse((await ok(runVerity(['policy', 'install', '--data', data]))).stdout);
    assert.deepEqual(installed.privacyPolicy.version, '9.0.0');
    assert.equal(installed.privacyPolicy.inForce, true);
    assert.equal(installed.cedar.installed, false, 'the Cedar set was in force already');
    const after = await entries('privacy.policy');
    assert.equal(after.length, before.length + 1);
    assert.deepEqual(
      [after.at(-1)?.entry?.actor, after.at(-1)?.entry?.details?.['version']],
      ['operator:cli', '9.0.0'],
    );
  });
});
