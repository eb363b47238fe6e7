// `verity serve` and its key process (FGMV-46 7.3.4): the HTTP process runs beside a key process that
// holds every key; if the key process dies, writes are refused (503, VERITY_E_KEY_PROCESS_DOWN)
// rather than acknowledged, and they succeed again once it is back.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from './helpers/env.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'verity');
const PASSPHRASE = 'key process test passphrase';

function verity(args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(BIN, args, { env: { ...process.env, VERITY_PASSPHRASE: PASSPHRASE, ...env }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Every process below `pid` whose command line names the key process's entry. */
function keyProcessPids(pid: number): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const rows = out
    .trim()
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] as string }));
  const below = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows)
      if (below.has(r.ppid) && !below.has(r.pid)) {
        below.add(r.pid);
        grew = true;
      }
  }
  return rows.filter((r) => below.has(r.pid) && r.args.includes('keyproc/child.ts')).map((r) => r.pid);
}

describe('verity serve with its key process', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let server: ChildProcess;
  let url: string;
  let token: string;
  let stderr = '';
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    const data = join(dir, 'data');
    verity(['init', '--data', data]);
    token = verity([
      'tokens',
      'create',
      '--data',
      data,
      '--principal',
      'world',
      '--role',
      'service',
      '--record-types',
      'profile',
    ]).trim();
    // The server's own environment has the secret only because the key process inherits it; the
    // server process itself does not read it (see openDataDir's keyProcess).
    server = spawn(BIN, ['serve', '--data', data, '--port', '0'], {
      env: { ...process.env, VERITY_PASSPHRASE: PASSPHRASE },
    });
    server.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    let text = '';
    url = await new Promise<string>((resolve, reject) => {
      server.stdout?.on('data', (c: Buffer) => {
        text += c.toString();
        const m = /serving (http:\/\/\S+)/.exec(text);
        if (m) resolve(m[1] as string);
      });
      server.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${text} ${stderr}`)));
    });
  });
  after(async () => {
    if (server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    await cleanup();
  });

  const put = (subject: string) =>
    fetch(`${url}/v1/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject, type: 'profile', purpose: 'service-provision', data: { name: subject } }),
    });

  it('writes through the key process, refuses writes while it is down, and recovers', async () => {
    const first = await put('player-1');
    assert.equal(first.status, 201, await first.text());
    const pids = keyProcessPids(server.pid as number);
    assert.equal(pids.length, 1, 'one key process runs below the server');
    process.kill(pids[0] as number, 'SIGKILL');
    // Until it is back, no write is acknowledged: each needs the log's signing key.
    for (let i = 0; i < 100 && !stderr.includes('the key process stopped'); i++)
      await new Promise((r) => setTimeout(r, 20));
    const refused = await put('player-down');
    assert.equal(refused.status, 503);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'VERITY_E_KEY_PROCESS_DOWN');
    assert.match(body.error.message, /not acknowledged/);
    let back: Response | undefined;
    for (let i = 0; i < 100; i++) {
      back = await put('player-2');
      if (back.status === 201) break;
      await back.arrayBuffer();
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(back?.status, 201);
    const now = keyProcessPids(server.pid as number);
    assert.equal(now.length, 1);
    assert.notEqual(now[0], pids[0]);
    assert.match(stderr, /the key process stopped .*restarting it/);
    assert.match(stderr, /the key process is back/);
  });

  it('opens the key store in its own process with --in-process-keys', async () => {
    const data = join(dir, 'data');
    const own = spawn(BIN, ['serve', '--data', data, '--port', '0', '--in-process-keys'], {
      env: { ...process.env, VERITY_PASSPHRASE: PASSPHRASE },
    });
    try {
      let text = '';
      const at = await new Promise<string>((resolve, reject) => {
        own.stdout?.on('data', (c: Buffer) => {
          text += c.toString();
          const m = /serving (http:\/\/\S+)/.exec(text);
          if (m) resolve(m[1] as string);
        });
        own.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${text}`)));
      });
      assert.deepEqual(keyProcessPids(own.pid as number), []);
      const r = await fetch(`${at}/v1/records`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ subject: 'player-3', type: 'profile', purpose: 'service-provision', data: {} }),
      });
      assert.equal(r.status, 201, await r.text());
    } finally {
      const exited = new Promise((r) => own.once('exit', r));
      own.kill('SIGTERM');
      await exited;
    }
  });
});
