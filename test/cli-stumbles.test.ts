// A newcomer's first steps with the CLI, each once a stumble: a busy port, a proof "verified"
// against nothing, a local read for a purpose the policies refuse, a hint that failed as printed,
// a secret error that did not name the development passphrase file, a `records put` that waited.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CliRun, ok, verityCli } from './helpers/cli.ts';
import { tempDir } from './helpers/env.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'verity');
const PASS = 'cli stumbles passphrase';

type Run = CliRun;

/** The environment without any Verity secret or setting, plus `env`. */
function cleanEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e = { ...process.env };
  for (const k of Object.keys(e)) if (k.startsWith('VERITY_') && k !== 'VERITY_TEST_PG') delete e[k];
  return { ...e, ...env };
}

function verity(
  args: string[],
  input = '',
  env: Record<string, string> = { VERITY_PASSPHRASE: PASS },
  cwd?: string,
): Run {
  return verityCli(args, { input, env, clean: true, ...(cwd === undefined ? {} : { cwd }) });
}

/** Spawns a long-running command and waits for `pattern` on stdout. */
function started(c: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  let text = '';
  return new Promise((resolve, reject) => {
    c.stdout?.on('data', (b: Buffer) => {
      text += b.toString();
      const m = pattern.exec(text);
      if (m) resolve(m);
    });
    c.once('exit', (code) => reject(new Error(`exited with ${code}: ${text}`)));
  });
}

async function stop(c: ChildProcess): Promise<number | null> {
  if (c.exitCode !== null) return c.exitCode;
  const exited = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
  c.kill('SIGTERM');
  return exited;
}

describe('CLI stumbles', () => {
  let dir: string;
  let data: string;
  let cleanup: () => Promise<void>;
  let key: string;
  let id: string;

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    data = join(dir, 'data');
    key = (JSON.parse(ok(verity(['init', '--data', data])).stdout) as { verifierKey: string }).verifierKey;
    id = (
      JSON.parse(
        ok(
          verity(
            [
              'records',
              'put',
              '--data',
              data,
              '--subject',
              'p1',
              '--type',
              'profile',
              '--purpose',
              'service-provision',
            ],
            '{"name":"Ada"}',
          ),
        ).stdout,
      ) as { id: string }
    ).id;
  });
  after(() => cleanup());

  it('serve and start on a busy port exit 1 with an error naming the port and --port', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      for (const cmd of ['serve', 'start']) {
        const r = verity([cmd, '--data', data, '--port', String(port)]);
        assert.equal(r.code, 1, `${cmd}: ${r.code} ${r.stderr}`);
        const e = JSON.parse(r.stderr.trim().split('\n').pop() as string).error;
        assert.equal(e.code, 'VERITY_E_CONFIG_INVALID');
        assert.match(e.message, new RegExp(`port ${port}.*in use.*--port`));
      }
    } finally {
      busy.close();
    }
  });

  it('verify-proof checks the checkpoint signature with the log key, and says nothing is valid without one', () => {
    const proof = ok(verity(['log', 'prove-inclusion', '--data', data, '--index', '1'])).stdout;
    assert.equal(ok(verity(['log', 'verify-proof', '--key', key, '-'], proof)).stdout.trim(), 'valid');
    const keyFile = join(dir, 'log.key');
    writeFileSync(keyFile, `${key}\n`);
    assert.equal(ok(verity(['log', 'verify-proof', '--key-file', keyFile, '-'], proof)).stdout.trim(), 'valid');
    // The checkpoint's signature, corrupted: one bit of the Ed25519 signature flipped.
    const p = JSON.parse(proof) as { checkpoint: string };
    const lines = p.checkpoint.trimEnd().split('\n');
    const last = lines.pop() as string;
    const [dash, name, sig] = last.split(' ') as [string, string, string];
    const raw = Buffer.from(sig, 'base64');
    raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 1;
    const forged = { ...p, checkpoint: `${[...lines, `${dash} ${name} ${raw.toString('base64')}`].join('\n')}\n` };
    const bad = verity(['log', 'verify-proof', '--key', key, '-'], JSON.stringify(forged));
    assert.equal(bad.code, 1, bad.stdout);
    assert.match(bad.stdout, /^invalid: the checkpoint does not verify/);
    // A proof without its checkpoint proves nothing about this log.
    const { checkpoint: _, ...bare } = p;
    assert.match(
      verity(['log', 'verify-proof', '--key', key, '-'], JSON.stringify(bare)).stdout,
      /^invalid: no signed/,
    );
    // Without a key: a usage error that says how to get it, never `valid`.
    const none = verity(['log', 'verify-proof', '-'], JSON.stringify(forged));
    assert.equal(none.code, 2);
    assert.doesNotMatch(none.stdout, /valid/);
    assert.match(JSON.parse(none.stderr).error.message, /--key "\$\(verity log key --data DIR\)".*\/v1\/log\/key/);
    // A consistency proof carries the checkpoint of its larger tree.
    const con = ok(verity(['log', 'prove-consistency', '--data', data, '--from', '1'])).stdout;
    assert.equal(ok(verity(['log', 'verify-proof', '--key', key, '-'], con)).stdout.trim(), 'valid');
  });

  it('a local read is decided by the policies like an HTTP one: marketing is refused, and logged', () => {
    const denied = verity(['records', 'get', '--data', data, '--purpose', 'marketing', id]);
    assert.equal(denied.code, 1, denied.stdout);
    assert.equal(denied.stdout, '');
    const e = JSON.parse(denied.stderr).error;
    assert.equal(e.code, 'VERITY_E_ACCESS_DENIED');
    assert.match(e.message, /local operator.*purpose `marketing`/);
    assert.equal(verity(['records', 'history', '--data', data, '--purpose', 'marketing', id]).code, 1);
    const listed = verity(['records', 'list', '--data', data, '--purpose', 'marketing', '--subject', 'p1']);
    assert.equal(listed.code, 1, listed.stdout);
    assert.equal(JSON.parse(listed.stderr).error.code, 'VERITY_E_ACCESS_DENIED');
    const put = verity(
      ['records', 'put', '--data', data, '--subject', 'p1', '--type', 'profile', '--purpose', 'marketing'],
      '{"name":"Ada"}',
    );
    assert.equal(put.code, 1);
    // The denial is in the log, with the policy set's hash, as the server logs it.
    const entries = JSON.parse(ok(verity(['log', 'entries', '--data', data, '--from', '0'])).stdout) as {
      entry?: { action: string; actor: string; outcome: string; purpose: string; policy?: string; resource: string };
    }[];
    const denial = entries.find((x) => x.entry?.action === 'policy.decision' && x.entry?.resource === `record:${id}`);
    assert.equal(denial?.entry?.outcome, 'denied');
    assert.equal(denial?.entry?.actor, 'operator:cli');
    assert.equal(denial?.entry?.purpose, 'marketing');
    assert.match(denial?.entry?.policy ?? '', /^sha256:/);
    // An allowed read's own audit entry carries the policy hash.
    ok(verity(['records', 'get', '--data', data, '--purpose', 'service-provision', id]));
    const all = JSON.parse(ok(verity(['log', 'entries', '--data', data, '--from', '0'])).stdout) as {
      entry?: { action: string; policy?: string };
    }[];
    assert.match(all.findLast((x) => x.entry?.action === 'record.read')?.entry?.policy ?? '', /^sha256:/);
  });

  it('without a secret, the error names the variables and the development passphrase file', async () => {
    const { dir: home, cleanup: done } = await tempDir();
    try {
      const dev = join(home, '.verity');
      mkdirSync(dev);
      writeFileSync(join(dev, 'dev-passphrase'), 'dev pass\n', { mode: 0o600 });
      ok(verity(['init', '--data', '.verity/data'], '', { VERITY_PASSPHRASE: 'dev pass' }, home));
      const r = verity(
        ['records', 'list', '--data', '.verity/data', '--purpose', 'support', '--subject', 'x'],
        '',
        {},
        home,
      );
      assert.equal(r.code, 1);
      const e = JSON.parse(r.stderr).error;
      assert.equal(e.code, 'VERITY_E_KEY_PASSPHRASE');
      assert.match(e.message, /VERITY_PASSPHRASE, VERITY_PASSPHRASE_FILE or VERITY_KEY_FILE/);
      assert.match(e.message, /VERITY_PASSPHRASE_FILE=\.verity\/dev-passphrase/);
    } finally {
      await done();
    }
  });

  it('ends quietly when the reader of its output goes away (| head), with no stack trace (D415)', async () => {
    const child = spawn('sh', [BIN, 'help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  it('refuses two secrets at once, naming both, rather than trying one of them (D415)', () => {
    const r = verity(['records', 'list', '--data', data, '--purpose', 'support', '--subject', 'x'], '', {
      VERITY_PASSPHRASE: 'an exported passphrase',
      VERITY_PASSPHRASE_FILE: '/nonexistent/dev-passphrase',
    });
    assert.equal(r.code, 1);
    const e = JSON.parse(r.stderr).error;
    assert.equal(e.code, 'VERITY_E_KEY_PASSPHRASE');
    assert.match(e.message, /VERITY_PASSPHRASE and VERITY_PASSPHRASE_FILE are both set/);
  });

  it("start's try: hint runs as printed from where it was started", async () => {
    const { dir: home, cleanup: done } = await tempDir();
    const dev = join(home, '.verity');
    mkdirSync(dev);
    writeFileSync(join(dev, 'dev-passphrase'), 'dev pass\n', { mode: 0o600 });
    const env = cleanEnv({ VERITY_PASSPHRASE_FILE: join(dev, 'dev-passphrase') });
    const c = spawn(BIN, ['start', '--data', join(dev, 'data'), '--port', '0'], { env, cwd: home });
    try {
      const m = await started(c, /^try: (.*)$/m);
      const hint = m[1] as string;
      assert.match(
        hint,
        /VERITY_PASSPHRASE_FILE=\.verity\/dev-passphrase .*bin\/verity records put --data \.verity\/data /,
      );
      // Run exactly as printed, in a shell with no Verity variable set.
      const r = spawnSync('sh', ['-c', hint], { cwd: home, env: cleanEnv(), encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(JSON.parse(r.stdout).id, /^rec_/);
    } finally {
      assert.equal(await stop(c), 0);
      await done();
    }
  });

  it('records put on a terminal with nothing piped fails at once saying how to pass data', (t) => {
    if (!existsSync('/usr/bin/script')) return t.skip('needs util-linux script(1) for a terminal');
    const cmd = `${BIN} records put --data ${data} --subject p1 --type profile --purpose service-provision`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
      env: cleanEnv({ VERITY_PASSPHRASE: PASS }),
      encoding: 'utf8',
      timeout: 30_000,
      input: '',
    });
    assert.equal(r.signal, null, 'records put waited on the terminal');
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stdout, /standard input.*--file FILE/);
    const f = join(dir, 'rec.json');
    writeFileSync(f, '{"name":"Grace"}');
    const viaFile = verity([
      'records',
      'put',
      '--data',
      data,
      '--subject',
      'p1',
      '--type',
      'profile',
      '--purpose',
      'service-provision',
      '--file',
      f,
    ]);
    assert.equal(JSON.parse(ok(viaFile).stdout).version, 1);
  });
});
