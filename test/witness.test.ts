// Witnesses as real processes, through bin/verity: three `verity witness serve`, one of them down;
// a `verity serve` sending its checkpoints to them; the SDK demanding 2 of 3 cosignatures;
// `log verify-note` and `verify-proof` with witness keys; and a server started on a rolled-back
// store (an older copy of the data directory restored) and on a forked one, refused at start.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isVerityError } from '../src/errors/index.ts';
import {
  parseCheckpoint,
  parseCosignerKey,
  parseVerifierKey,
  splitNote,
  verifyCosignedCheckpoint,
} from '../src/note/index.ts';
import { VerityClient } from '../src/sdk/index.ts';
import { tempDir } from './helpers/env.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'verity');
const ENV = { ...process.env, VERITY_PASSPHRASE: 'witness test passphrase' };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], input = ''): Promise<Run> {
  return new Promise((resolve) => {
    const c = spawn(BIN, args, { env: ENV });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    c.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    c.once('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    c.stdin.end(input);
  });
}

async function ok(args: string[], input = ''): Promise<string> {
  const r = await run(args, input);
  assert.equal(r.code, 0, `verity ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Starts a long-running command; resolves with its URL once it says it is serving. */
function serving(args: string[]): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { env: ENV });
    let out = '';
    let err = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /is serving (https?:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1] as string, child, stderr: () => err });
    });
    child.stderr?.on('data', (b: Buffer) => {
      err += b.toString();
    });
    child.once('exit', (code) => reject(new Error(`verity ${args[0]} exited with ${code}: ${out}${err}`)));
  });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

describe('witnesses as processes: three witnesses, one down, and a server refused on a rolled-back or forked store', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let data: string;
  let logKey: string;
  const keys: string[] = [];
  const urls: string[] = [];
  const witnesses: ChildProcess[] = [];
  const servers: ChildProcess[] = [];

  const witnessArgs = () => urls.flatMap((u, i) => ['--witness', `${u}=${keys[i]}`]);
  const serve = async () => {
    const s = await serving([
      'serve',
      '--data',
      data,
      '--port',
      '0',
      '--log-level',
      'warn',
      ...witnessArgs(),
      '--witness-quorum',
      '2',
    ]);
    servers.push(s.child);
    return s;
  };
  const put = (subject: string, n: number) =>
    ok(
      ['records', 'put', '--data', data, '--subject', subject, '--type', 'profile', '--purpose', 'service-provision'],
      JSON.stringify({ n }),
    );

  before(async () => {
    ({ dir, cleanup } = await tempDir('verity-witnesses-'));
    data = join(dir, 'data');
    logKey = (JSON.parse(await ok(['init', '--data', data])) as { verifierKey: string }).verifierKey;
    await Promise.all(
      [1, 2, 3].map(async (i) => {
        const d = join(dir, `w${i}`);
        keys[i - 1] = (
          JSON.parse(await ok(['witness', 'init', '--dir', d, '--name', `witness.test/w${i}`])) as {
            key: string;
          }
        ).key;
        await ok(['witness', 'add-log', '--dir', d, '--key', logKey]);
        const w = await serving(['witness', 'serve', '--dir', d, '--port', '0', '--log-level', 'warn']);
        urls[i - 1] = w.url;
        witnesses[i - 1] = w.child;
      }),
    );
    assert.equal(await ok(['witness', 'key', '--dir', join(dir, 'w1')]), `${keys[0]}\n`);
    // The third witness goes down before the server starts.
    await stop(witnesses[2]);
  });
  after(async () => {
    for (const c of [...servers, ...witnesses]) await stop(c);
    await cleanup();
  });

  it('the server starts with 2 of 3 cosignatures; the SDK and the CLI demand 2 of 3', async () => {
    const s = await serve();
    // Said on stderr while starting (the pipe may deliver it after stdout's line).
    const down = /witness `witness.test\/w3` at http:\/\/127\.0\.0\.1:\d+ is unreachable/;
    for (let i = 0; i < 100 && !down.test(s.stderr()); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(s.stderr(), down);
    const token = (
      await ok([
        'tokens',
        'create',
        '--data',
        data,
        '--principal',
        'world-eu',
        '--role',
        'service',
        '--record-types',
        'profile',
      ])
    ).trim();
    const client = (quorum: number, waitMs = 10_000) =>
      new VerityClient({ url: s.url, token, verifierKey: logKey, witnesses: { keys, quorum, waitMs } });
    const c = client(2);
    const w = await c.putRecord({ subject: 'p1', type: 'profile', purpose: 'service-provision', data: { n: 1 } });
    const r = await c.getRecord(w.id, { purpose: 'service-provision' });
    assert.deepEqual(r.data, { n: 1 });
    await assert.rejects(client(3, 500).checkpoint(), (e) => isVerityError(e, 'VERITY_E_WITNESS_QUORUM'));

    // The CLI: the cosigned checkpoint and a proof for its tree, checked with the witness keys.
    const note = await (await fetch(`${s.url}/checkpoint`)).text();
    const size = parseCheckpoint(splitNote(note).text).size;
    assert.equal(
      verifyCosignedCheckpoint(note, {
        log: parseVerifierKey(logKey),
        cosigners: keys.map(parseCosignerKey),
        quorum: 2,
      }).cosignatures.length,
      2,
    );
    writeFileSync(join(dir, 'cp.txt'), note);
    const wk = keys.flatMap((k) => ['--witness-key', k]);
    const verdict = JSON.parse(
      await ok(['log', 'verify-note', '--key', logKey, ...wk, '--quorum', '2', join(dir, 'cp.txt')]),
    ) as { valid: boolean; cosigners: { name: string }[] };
    assert.deepEqual(
      verdict.cosigners.map((x) => x.name),
      ['witness.test/w1', 'witness.test/w2'],
    );
    const three = await run(['log', 'verify-note', '--key', logKey, ...wk, join(dir, 'cp.txt')]);
    assert.equal(three.code, 1);
    assert.match(three.stdout, /"valid": false[\s\S]*2 valid cosignature\(s\)[\s\S]*3 are required/);
    const proof = await (await fetch(`${s.url}/v1/log/proofs/inclusion?index=${w.logIndex}&size=${size}`)).text();
    assert.equal(await ok(['log', 'verify-proof', '--key', logKey, ...wk, '--quorum', '2', '-'], proof), 'valid\n');
    const refused = await run(['log', 'verify-proof', '--key', logKey, ...wk, '--quorum', '3', '-'], proof);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /^invalid: .*3 are required/);
    await stop(s.child);
  });

  it('refuses to start on a rolled-back store, naming the witness and the sizes it saw', async () => {
    // Keep a copy, write more, let the witnesses cosign the larger tree, then restore the copy.
    cpSync(data, `${data}.old`, { recursive: true });
    await put('p2', 2);
    await put('p3', 3);
    const s = await serve();
    const head = parseCheckpoint(splitNote(await (await fetch(`${s.url}/v1/log/checkpoint`)).text()).text).size;
    await stop(s.child);
    rmSync(data, { recursive: true });
    cpSync(`${data}.old`, data, { recursive: true });
    const r = await run(['serve', '--data', data, '--port', '0', ...witnessArgs()]);
    assert.equal(r.code, 1, r.stdout);
    const e = JSON.parse(r.stderr.trim().split('\n').at(-1) as string) as {
      error: { code: string; message: string; details: { witnessSize: number; logSize: number } };
    };
    assert.equal(e.error.code, 'VERITY_E_WITNESS_ROLLBACK');
    assert.match(e.error.message, new RegExp(`witness \`witness.test/w[12]\` at .* tree size ${head}.*rolled back`));
    assert.ok(e.error.details.logSize < head);
  });

  it('refuses to start on a forked store: other entries after the copy', async () => {
    // The restored copy takes other writes, past the size the witnesses cosigned.
    for (let i = 0; i < 3; i++) await put(`fork-${i}`, 100 + i);
    const r = await run(['serve', '--data', data, '--port', '0', ...witnessArgs()]);
    assert.equal(r.code, 1, r.stdout);
    const e = JSON.parse(r.stderr.trim().split('\n').at(-1) as string) as { error: { code: string; message: string } };
    assert.equal(e.error.code, 'VERITY_E_WITNESS_FORK');
    assert.match(e.error.message, /witness `witness.test\/w[12]` .*forked or rewritten/);
  });
});
