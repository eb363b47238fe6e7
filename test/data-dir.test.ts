// Setting up a data directory: `verity init` is all or nothing (a failure at any step leaves
// nothing behind, and a retry works), everything it makes is owner-only whatever the umask, and
// the key file lives apart from the data directory, so a copy of the data directory alone (a
// backup, a stolen disk image) decrypts nothing. Identifiers on the command line are checked too.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type { Clock } from '../src/clock/index.ts';
import { initDataDir, openDataDir } from '../src/embedded/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { type CliRun, ok, verityCli } from './helpers/cli.ts';
import { NODE, NODE_FLAGS, PG_URL, pgSchema, TEST_KDF, TEST_SECRET, tempDir } from './helpers/env.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'verity');
const PASS = 'data dir test passphrase';

type Run = CliRun;

function verity(args: string[], env: Record<string, string> = {}, input = ''): Run {
  return verityCli(args, { input, env: { VERITY_PASSPHRASE: PASS, ...env }, clean: true });
}

/** Whether a PostgreSQL schema exists (asked directly, not through Verity). */
async function schemaExists(schema: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return ((await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount ?? 0) > 0;
  } finally {
    await c.end();
  }
}

const errorOf = (r: Run) =>
  JSON.parse(r.stderr.trim().split('\n').pop() as string).error as { code: string; message: string };

/** Every path under `dir` (relative), with its permission bits. */
function modes(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const r = rel === '' ? n : `${rel}/${n}`;
      out[r] = statSync(p).mode & 0o777;
      if (statSync(p).isDirectory()) walk(p, r);
    }
  };
  walk(dir, '');
  return out;
}

describe('data directory setup', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  after(() => cleanup());

  it('init keeps the key file outside the data directory, and a copy of the data directory alone decrypts nothing', () => {
    const data = join(dir, 'layout', 'data');
    const made = JSON.parse(ok(verity(['init', '--data', data])).stdout);
    assert.equal(made.keystore, join(dir, 'layout', 'data.keys', 'keys.json'));
    assert.deepEqual(readdirSync(join(dir, 'layout')).sort(), ['data', 'data.keys']);
    assert.deepEqual(readdirSync(join(dir, 'layout', 'data.keys')), ['keys.json']);
    assert.deepEqual(readdirSync(data).sort(), ['policies', 'verity.db', 'verity.json']);
    assert.equal(JSON.parse(readFileSync(join(data, 'verity.json'), 'utf8')).keystore.file, '../data.keys/keys.json');
    const put = ['records', 'put', '--subject', 'p1', '--type', 'profile', '--purpose', 'service-provision'];
    const id = JSON.parse(ok(verity([...put, '--data', data], {}, '{"secret":"s3"}')).stdout).id as string;
    const get = ['records', 'get', '--purpose', 'service-provision', id];
    assert.deepEqual(JSON.parse(ok(verity([...get, '--data', data])).stdout).data, { secret: 's3' });
    // A backup of the data directory (alone, elsewhere): the passphrase does not help, the key file is not in it.
    const backup = join(dir, 'backups', 'data');
    cpSync(data, backup, { recursive: true });
    for (const f of Object.keys(modes(backup)))
      if (statSync(join(backup, f)).isFile())
        assert.doesNotMatch(readFileSync(join(backup, f), 'latin1'), /verity-keystore/, `${f} holds key material`);
    const r = verity([...get, '--data', backup]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(errorOf(r).code, 'VERITY_E_KEY_NOT_FOUND');
    assert.match(errorOf(r).message, /key file .* is missing.*restore it/);
    // Moved together, the pair still works (the path is relative to the data directory).
    cpSync(join(dir, 'layout'), join(dir, 'moved'), { recursive: true });
    assert.deepEqual(JSON.parse(ok(verity([...get, '--data', join(dir, 'moved', 'data')])).stdout).data, {
      secret: 's3',
    });
  });

  it('init --keystore puts the key file where it is told, never inside the data directory', () => {
    const data = join(dir, 'custom', 'data');
    const keys = join(dir, 'vault-keys', 'prod', 'keys.json');
    ok(verity(['init', '--data', data, '--keystore', keys]));
    assert.ok(existsSync(keys));
    assert.equal(JSON.parse(readFileSync(join(data, 'verity.json'), 'utf8')).keystore.file, keys);
    assert.equal(statSync(keys).mode & 0o777, 0o600);
    assert.equal(statSync(dirname(keys)).mode & 0o777, 0o700);
    ok(verity(['records', 'put', '--data', data, '--subject', 'p', '--type', 't', '--purpose', 'support'], {}, '{}'));
    const again = verity(['init', '--data', join(dir, 'custom', 'other'), '--keystore', keys]);
    assert.equal(again.code, 1);
    assert.match(errorOf(again).message, /exists already/);
    const inside = verity(['init', '--data', join(dir, 'inside'), '--keystore', join(dir, 'inside', 'k.json')]);
    assert.equal(inside.code, 1);
    assert.match(errorOf(inside).message, /must be outside the data directory/);
    assert.equal(existsSync(join(dir, 'inside')), false);
  });

  it('a data directory of the old layout, key file inside, still opens where its key file is', () => {
    const old = join(dir, 'old', 'data');
    cpSync(join(ROOT, 'test', 'fixtures', 'store-layout-2', 'sqlite'), old, { recursive: true });
    const env = { VERITY_PASSPHRASE: 'layout 2 fixture passphrase' };
    const keks = JSON.parse(ok(verity(['keys', 'list', '--data', old], env)).stdout) as { subjectKeys: number }[];
    assert.ok(
      keks.some((k) => k.subjectKeys > 0),
      JSON.stringify(keks),
    );
    // Its subject keys unwrap with the key file inside it: rotation rewraps every one.
    const rotated = JSON.parse(ok(verity(['keys', 'rotate', '--data', old], env)).stdout) as { rewrapped: number };
    assert.equal(
      rotated.rewrapped,
      keks.reduce((n, k) => n + k.subjectKeys, 0),
    );
    assert.ok(existsSync(join(old, 'keys.json')));
    assert.equal(existsSync(`${old}.keys`), false);
  });

  it('the rule for types with no schema is pinned: verity.json edited to accept them is refused (D427)', () => {
    const data = join(dir, 'strict', 'data');
    ok(verity(['init', '--data', data, '--strict-types']));
    const put = [
      'records',
      'put',
      '--data',
      data,
      '--subject',
      'p',
      '--type',
      'unregistered.type',
      '--purpose',
      'support',
    ];
    const strict = verity(put, {}, '{"a":1}');
    assert.equal(strict.code, 1, strict.stderr);
    assert.equal(errorOf(strict).code, 'VERITY_E_RECORD_TYPE_UNKNOWN');
    const file = join(data, 'verity.json');
    const config = readFileSync(file, 'utf8');
    writeFileSync(file, config.replace('"unknownTypes": "reject"', '"unknownTypes": "generic"'));
    const edited = verity(put, {}, '{"a":1}');
    assert.equal(edited.code, 1, edited.stderr);
    assert.equal(errorOf(edited).code, 'VERITY_E_CONFIG_INVALID');
    assert.match(errorOf(edited).message, /"unknownTypes": "generic", but this data directory accepts "reject"/);
    writeFileSync(file, config);
    const pins = (
      JSON.parse(ok(verity(['log', 'entries', '--data', data, '--from', '0'])).stdout) as {
        entry?: { action: string; details?: Record<string, unknown> };
      }[]
    ).filter((e) => e.entry?.action === 'config.pin');
    assert.deepEqual(
      pins.map((e) => e.entry?.details),
      [{ unknownTypes: 'reject' }],
      'init pins it, once',
    );
  });

  it('a data directory made before the rule was pinned gets it pinned at its first open, logged (D427)', () => {
    const old = join(dir, 'old-pin', 'data');
    cpSync(join(ROOT, 'test', 'fixtures', 'store-layout-2', 'sqlite'), old, { recursive: true });
    const env = { VERITY_PASSPHRASE: 'layout 2 fixture passphrase' };
    const accepts = JSON.parse(readFileSync(join(old, 'verity.json'), 'utf8')).unknownTypes as string;
    ok(verity(['keys', 'list', '--data', old], env));
    const file = join(old, 'verity.json');
    const config = readFileSync(file, 'utf8');
    const other = accepts === 'generic' ? 'reject' : 'generic';
    writeFileSync(file, config.replace(`"unknownTypes": "${accepts}"`, `"unknownTypes": "${other}"`));
    const r = verity(['keys', 'list', '--data', old], env);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(errorOf(r).code, 'VERITY_E_CONFIG_INVALID');
  });

  it('a process that cached the reference of a subject another process shredded makes no key under it (D428)', async () => {
    const data = join(dir, 'two-openers', 'data');
    await initDataDir(data, { secret: TEST_SECRET, kdf: TEST_KDF });
    const a = await openDataDir(data, { secret: TEST_SECRET });
    const b = await openDataDir(data, { secret: TEST_SECRET });
    try {
      const put = (v: typeof a) =>
        v.vault.put({ actor: 'operator:test', purpose: 'support', subject: 'player-p', type: 't', data: { n: 1 } });
      await put(b);
      const ended = await b.vault.subjectRef('player-p');
      await a.vault.shredSubject('player-p', { actor: 'operator:test', purpose: 'erasure-request', rotate: false });
      // b still holds the ended reference: its next write makes no key under it, and goes to the
      // id's next reference, the one the shredding process derives too.
      await put(b);
      assert.equal(await b.store.reader.getSubjectKey(ended), undefined);
      const next = await b.vault.subjectRef('player-p');
      assert.notEqual(next, ended);
      assert.equal(await a.vault.subjectRef('player-p'), next);
      assert.ok(await b.store.reader.getSubjectKey(next));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a failed init (PostgreSQL unreachable, a bad passphrase file) leaves nothing, and a retry works', () => {
    const data = join(dir, 'retry', 'data');
    const down = verity(['init', '--data', data, '--postgres', 'postgres://postgres@127.0.0.1:1/test']);
    assert.equal(down.code, 1, down.stderr);
    assert.equal(errorOf(down).code, 'VERITY_E_STORE_UNAVAILABLE');
    assert.deepEqual(readdirSync(dirname(dirname(data))).includes('retry'), false, 'nothing left behind');
    const empty = join(dir, 'empty-passphrase');
    writeFileSync(empty, '');
    const bad = verity(['init', '--data', data], { VERITY_PASSPHRASE: '', VERITY_PASSPHRASE_FILE: empty });
    assert.equal(bad.code, 1, bad.stderr);
    assert.equal(existsSync(dirname(data)), false);
    ok(verity(['init', '--data', data]));
    assert.deepEqual(readdirSync(dirname(data)).sort(), ['data', 'data.keys']);
  });

  for (const backend of ['sqlite', 'postgres'] as const) {
    it(`${backend}: init failing at any step leaves nothing behind, and the next attempt works`, async () => {
      const data = join(dir, `steps-${backend}`, 'data');
      const pgs = backend === 'postgres' ? pgSchema() : undefined;
      const postgres = pgs === undefined ? {} : { postgres: { connectionString: PG_URL, schema: pgs.schema } };
      try {
        let succeeded = false;
        for (let step = 1; !succeeded; step++) {
          assert.ok(step < 200, 'init never succeeded');
          let calls = 0;
          // A clock that fails at its step-th reading: init fails there, in the middle of its work.
          const clock: Clock = {
            now: () => {
              if (++calls === step) throw new Error(`clock failure at step ${step}`);
              return Date.now();
            },
          };
          try {
            await initDataDir(data, { secret: TEST_SECRET, kdf: TEST_KDF, clock, ...postgres });
            succeeded = true;
          } catch (e) {
            assert.match(String(e), new RegExp(`clock failure at step ${step}`));
            assert.equal(existsSync(dirname(data)), false, `step ${step} left ${dirname(data)}`);
            if (pgs !== undefined) assert.equal(await schemaExists(pgs.schema), false, `step ${step} left the schema`);
          }
        }
        const v = await openDataDir(data, { secret: TEST_SECRET });
        try {
          await v.vault.put({ actor: 'operator:test', purpose: 'support', subject: 'p', type: 't', data: {} });
        } finally {
          await v.close();
        }
        await assert.rejects(initDataDir(data, { secret: TEST_SECRET, kdf: TEST_KDF, ...postgres }), (e: unknown) =>
          isVerityError(e, 'VERITY_E_DATA_DIR'),
        );
      } finally {
        await pgs?.drop();
      }
    });
  }

  it('under umask 0, init and writes make every directory 0700 and every file 0600', async () => {
    const data = join(dir, 'umask', 'nested', 'data');
    const script = `
      process.umask(0);
      const { initDataDir, openDataDir } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src', 'embedded', 'index.ts')).href)});
      const { readdirSync, statSync } = await import('node:fs');
      const secret = { passphrase: 'umask' };
      await initDataDir(${JSON.stringify(data)}, { secret, kdf: { N: 1024, r: 8, p: 1 } });
      const v = await openDataDir(${JSON.stringify(data)}, { secret });
      await v.vault.put({ actor: 'operator:test', purpose: 'support', subject: 'p', type: 't', data: { a: 1 } });
      await v.keys.rotateKek();
      // While open: the write-ahead log and shared memory files exist too.
      const wal = readdirSync(${JSON.stringify(data)}).filter((n) => n.startsWith('verity.db-'));
      console.log(JSON.stringify(wal.map((n) => [n, statSync(${JSON.stringify(data)} + '/' + n).mode & 0o777])));
      await v.close();`;
    const r = spawnSync(NODE, [...NODE_FLAGS, '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const open = JSON.parse(r.stdout) as [string, number][];
    assert.ok(open.length > 0, 'no write-ahead log seen');
    for (const [n, m] of open) assert.equal(m, 0o600, n);
    const all = modes(join(dir, 'umask'));
    assert.ok(Object.keys(all).length >= 7, JSON.stringify(all));
    for (const [p, m] of Object.entries(all))
      assert.equal(m, statSync(join(dir, 'umask', p)).isDirectory() ? 0o700 : 0o600, `${p}: ${m.toString(8)}`);
  });

  it('npm start under umask 0 makes .verity/, its passphrase, data and key file owner-only', async () => {
    // A copy of the start script in a scratch root, so that its .verity/ is made there.
    const root = join(dir, 'start-root');
    mkdirSync(join(root, 'scripts'), { recursive: true });
    mkdirSync(join(root, 'bin'));
    cpSync(join(ROOT, 'scripts', 'start.sh'), join(root, 'scripts', 'start.sh'));
    symlinkSync(BIN, join(root, 'bin', 'verity'));
    const e: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(e)) if (k.startsWith('VERITY_')) delete e[k];
    const child: ChildProcess = spawn('sh', ['-c', `umask 000 && exec sh ${root}/scripts/start.sh --port 0`], {
      env: e,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        let text = '';
        child.stdout?.on('data', (b: Buffer) => {
          text += b.toString();
          if (/serving:?\s+http/.test(text)) resolve();
        });
        child.stderr?.on('data', (b: Buffer) => {
          text += b.toString();
        });
        child.once('exit', (code) => reject(new Error(`start exited ${code}: ${text}`)));
      });
      const all = modes(join(root, '.verity'));
      assert.equal(statSync(join(root, '.verity')).mode & 0o777, 0o700);
      for (const p of ['dev-passphrase', 'data', 'data.keys', 'data.keys/keys.json', 'data/verity.db'])
        assert.ok(p in all, `${p} missing: ${JSON.stringify(all)}`);
      for (const [p, m] of Object.entries(all))
        assert.equal(m, statSync(join(root, '.verity', p)).isDirectory() ? 0o700 : 0o600, `${p}: ${m.toString(8)}`);
    } finally {
      const exited = new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('identifiers on the command line: invisible, unnormalized ones are usage errors', () => {
    const data = join(dir, 'layout', 'data');
    for (const [subject, why] of [
      ['ad\u200ba', /U\+200B/],
      ['jose\u0301', /normalize to NFC/],
      [' ada', /white space/],
    ] as const) {
      const r = verity(
        ['records', 'put', '--data', data, '--subject', subject, '--type', 'profile', '--purpose', 'support'],
        {},
        '{}',
      );
      assert.equal(r.code, 2, r.stderr);
      assert.match(errorOf(r).message, why);
    }
    const r = verity(['subjects', 'shred', '--data', data, '--subject', 'p\u200d1', '--purpose', 'erasure-request']);
    assert.equal(r.code, 2, r.stderr);
  });
});
