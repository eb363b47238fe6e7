// The consent commands as outside checkers run them: `verity consent grant|withdraw --data DIR
// --subject S --purpose P` and `verity consent show --data DIR --subject S` (JSON) on a data
// directory made by `verity init`, and `verity privacy-policy validate` on good and bad files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from './helpers/env.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'verity');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('consent from the command line', () => {
  let dir: string;
  let data: string;
  let cleanup: () => Promise<void>;
  let env: NodeJS.ProcessEnv;
  const verity = (args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      const c = spawn(BIN, args, { env, cwd: dir });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (b: Buffer) => {
        stdout += b.toString();
      });
      c.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
      });
      c.once('exit', (code) => resolve({ code, stdout, stderr }));
      c.stdin.end();
    });
  const ok = async (args: string[]) => {
    const r = await verity(args);
    assert.equal(r.code, 0, `verity ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, any>;
  };

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    data = join(dir, 'vault');
    // A raw key file: no key derivation to wait for in each command.
    writeFileSync(join(dir, 'key'), randomBytes(32));
    env = { ...process.env, VERITY_KEY_FILE: join(dir, 'key') };
    for (const k of ['VERITY_PASSPHRASE', 'VERITY_PASSPHRASE_FILE', 'VERITY_DATA']) delete env[k];
    await ok(['init', '--data', data]);
  });
  after(() => cleanup());

  it('grant, withdraw and show as JSON, per purpose, with times and the policy version', async () => {
    const base = ['--data', data, '--subject', 'player-1'];
    const g = await ok(['consent', 'grant', ...base, '--purpose', 'personalisation']);
    assert.equal(g['given'], true);
    const [shown, unknown, validated] = await Promise.all([
      ok(['consent', 'show', ...base]),
      verity(['consent', 'grant', ...base, '--purpose', 'mind-reading']),
      ok(['privacy-policy', 'validate', join(data, 'policies', 'privacy-policy.json')]),
    ]);
    const p = shown['purposes']['personalisation'];
    assert.equal(p.given, true);
    assert.equal(p.status, 'given');
    assert.match(p.givenAt, /^\d{4}-\d\d-\d\dT/);
    assert.equal(p.withdrawnAt, null);
    assert.equal(p.policyVersion, '1.0.0');
    assert.equal(shown['policyVersion'], '1.0.0');
    assert.equal(shown['regime'], 'gdpr');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /VERITY_E_POLICY_UNKNOWN_PURPOSE/);
    assert.match(unknown.stderr, /personalisation/);
    assert.equal(validated['valid'], true);

    await ok(['consent', 'withdraw', ...base, '--purpose', 'personalisation', '--method', 'web-form']);
    const after = await ok(['consent', 'show', ...base]);
    const w = after['purposes']['personalisation'];
    assert.equal(w.given, false);
    assert.equal(w.status, 'withdrawn');
    assert.equal(w.givenAt, p.givenAt);
    assert.match(w.withdrawnAt, /^\d{4}-/);
    assert.deepEqual(
      after['history'].map((h: { status: string }) => h.status),
      ['given', 'withdrawn'],
    );
    assert.ok(after['history'][1].logIndex > after['history'][0].logIndex);
  });

  it('privacy-policy validate names the JSON pointer of a fault; serve refuses to start with it', async () => {
    const bad = join(dir, 'bad.json');
    const doc = JSON.parse(readFileSync(join(data, 'policies', 'privacy-policy.json'), 'utf8'));
    doc['purposes']['marketing']['legalBasis']['gdpr'] = 'vibes';
    writeFileSync(bad, JSON.stringify(doc));
    writeFileSync(join(data, 'policies', 'privacy-policy.json'), JSON.stringify(doc));
    const [r, served] = await Promise.all([
      verity(['privacy-policy', 'validate', bad]),
      verity(['serve', '--data', data, '--port', '0']),
    ]);
    for (const x of [r, served]) {
      assert.equal(x.code, 1, x.stdout);
      assert.match(x.stderr, /VERITY_E_POLICY_DOCUMENT_INVALID/);
      assert.match(x.stderr, /\/purposes\/marketing\/legalBasis\/gdpr/);
    }
    assert.doesNotMatch(served.stdout, /serving/);
  });
});
