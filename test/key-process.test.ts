// `verity serve` and its key process (FGMV-46 7.3.4): the HTTP process runs beside a key process that
// holds every key; if the key process dies, writes are refused (503, VERITY_E_KEY_PROCESS_DOWN)
// rather than acknowledged, and they succeed again once it is back.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from './helpers/env.ts';
import { type ServeProcess, spawnServe } from './helpers/server.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'verity');
const PASSPHRASE = 'key process test passphrase';
const ENV = { ...process.env, VERITY_PASSPHRASE: PASSPHRASE };

function verity(args: string[]): string {
  const r = spawnSync(BIN, args, { env: ENV, encoding: 'utf8' });
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
  let data: string;
  let server: ServeProcess;
  let token: string;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    data = join(dir, 'data');
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
    // The server's environment has the secret only because the key process inherits it; the
    // server process itself does not read it (openDataDir's keyProcess).
    server = await spawnServe(['--data', data, '--port', '0'], ENV);
  });
  after(async () => {
    await server?.stop();
    await cleanup();
  });

  const put = (url: string, subject: string) =>
    fetch(`${url}/v1/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject, type: 'profile', purpose: 'service-provision', data: { name: subject } }),
    });

  it('writes through the key process, refuses writes while it is down, and recovers', async () => {
    const first = await put(server.url, 'player-1');
    assert.equal(first.status, 201, await first.text());
    const pid = server.child.pid as number;
    const pids = keyProcessPids(pid);
    assert.equal(pids.length, 1, 'one key process runs below the server');
    process.kill(pids[0] as number, 'SIGKILL');
    // Until it is back, no write is acknowledged: each needs the log's signing key.
    for (let i = 0; i < 100 && !server.output().includes('the key process stopped'); i++)
      await new Promise((r) => setTimeout(r, 20));
    const refused = await put(server.url, 'player-down');
    assert.equal(refused.status, 503);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'VERITY_E_KEY_PROCESS_DOWN');
    assert.match(body.error.message, /not acknowledged/);
    let back: Response | undefined;
    for (let i = 0; i < 100; i++) {
      back = await put(server.url, 'player-2');
      if (back.status === 201) break;
      await back.arrayBuffer();
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(back?.status, 201);
    const now = keyProcessPids(pid);
    assert.equal(now.length, 1);
    assert.notEqual(now[0], pids[0]);
    assert.match(server.output(), /the key process stopped .*restarting it/);
    assert.match(server.output(), /the key process is back/);
  });

  it('opens the key store in its own process with --in-process-keys', async () => {
    const own = await spawnServe(['--data', data, '--port', '0', '--in-process-keys'], ENV);
    try {
      // A second server on the data directory: the first runs its embedded chain (D321).
      const said = /no chain: process [0-9]+ serves this data directory's embedded chain/;
      for (let i = 0; i < 50 && !said.test(own.output()); i++) await new Promise((r) => setTimeout(r, 20));
      assert.match(own.output(), said);
      assert.deepEqual(keyProcessPids(own.child.pid as number), []);
      const r = await put(own.url, 'player-3');
      assert.equal(r.status, 201, await r.text());
    } finally {
      await own.stop();
    }
  });
});
