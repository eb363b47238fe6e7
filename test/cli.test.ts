// The CLI contract outside tools rely on, run end to end through bin/verity (the pinned runtime).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatVerifierKey } from '../src/note/index.ts';
import { type CliRun, ok, verityCli } from './helpers/cli.ts';
import { tempDir } from './helpers/env.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'verity');
const VECTORS = join(ROOT, 'test', 'vectors');
const SUMDB_KEY = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';

type Run = CliRun;

function verity(args: string[], input?: string, env: Record<string, string> = {}): Run {
  return verityCli(args, { input: input ?? '', env: { VERITY_PASSPHRASE: 'cli test passphrase', ...env } });
}

/** Like verity() but without blocking the event loop (the server under test runs in this process's children). */
function runAsync(args: string[], input = '', env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const c = spawn(BIN, args, { env: { ...process.env, VERITY_PASSPHRASE: 'cli test passphrase', ...env } });
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

function hexToB64(h: string): string {
  return Buffer.from(h, 'hex').toString('base64');
}

describe('verity CLI', () => {
  let dir: string;
  let data: string;
  let cleanup: () => Promise<void>;
  let rec: { id: string; version: number; logIndex: number };

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    data = join(dir, 'data');
    const init = JSON.parse(ok(verity(['init', '--data', data])).stdout) as { verifierKey: string };
    assert.match(init.verifierKey, /^[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/);
    rec = JSON.parse(
      ok(
        verity(
          [
            'records',
            'put',
            '--data',
            data,
            '--subject',
            'player-7',
            '--type',
            'profile',
            '--purpose',
            'service-provision',
          ],
          '{"name":"Ada","level":3}',
        ),
      ).stdout,
    );
  });
  after(() => cleanup());

  it('init refuses a non-empty directory', () => {
    const r = verity(['init', '--data', data]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /VERITY_E_DATA_DIR/);
  });

  it('records put prints id, version and logIndex; get prints data, meta and proof', () => {
    assert.match(rec.id, /^rec_/);
    assert.equal(rec.version, 1);
    assert.ok(rec.logIndex >= 1);
    const got = JSON.parse(
      ok(verity(['records', 'get', '--data', data, '--purpose', 'service-provision', rec.id])).stdout,
    );
    assert.deepEqual(got.data, { name: 'Ada', level: 3 });
    assert.equal(got.meta.id, rec.id);
    assert.equal(got.proof.leafIndex, rec.logIndex);
    // The proof in a read is itself a verify-proof case, checked against the log key.
    const key = ok(verity(['log', 'key', '--data', data])).stdout.trim();
    const v = verity(['log', 'verify-proof', '--key', key, '-'], JSON.stringify(got.proof));
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.stdout.trim(), 'valid');
  });

  it('fpe encrypt and decrypt reproduce the NIST FF1 samples', () => {
    const v = JSON.parse(readFileSync(join(import.meta.dirname, 'vectors', 'nist-ff1', 'nist-ff1.json'), 'utf8'))
      .samples as { key: string; tweak: string; radix: number; plaintext: string; ciphertext: string }[];
    for (const s of v) {
      const args = ['--key', s.key, '--tweak', s.tweak, '--radix', String(s.radix)];
      assert.equal(ok(verity(['fpe', 'encrypt', ...args, s.plaintext])).stdout.trim(), s.ciphertext);
      assert.equal(ok(verity(['fpe', 'decrypt', ...args, s.ciphertext])).stdout.trim(), s.plaintext);
    }
    const bad = verity(['fpe', 'encrypt', '--key', 'zz', '--radix', '10', '0123456789']);
    assert.equal(bad.code, 2, bad.stderr);
  });

  it('deid pseudonymizes lines, rotates the domain key, tokenizes and detokenizes', () => {
    const ps = ok(verity(['deid', 'pseudonymize', '--data', data, '--domain', 'analytics'], 'ada\nbob\nada\n'))
      .stdout.trim()
      .split('\n');
    assert.equal(ps.length, 3);
    assert.equal(ps[0], ps[2]);
    assert.match(ps[0] as string, /^p1_[A-Za-z0-9_-]{22}$/);
    assert.equal(JSON.parse(ok(verity(['deid', 'rotate', '--data', data, '--domain', 'analytics'])).stdout).version, 2);
    const again = ok(verity(['deid', 'pseudonymize', '--data', data, '--domain', 'analytics'], 'ada\n')).stdout.trim();
    assert.match(again, /^p2_/);
    const t = JSON.parse(
      ok(verity(['deid', 'tokenize', '--data', data, '--subject', 'player-3', '--domain', 'email', 'ada@example.com']))
        .stdout,
    );
    const d = JSON.parse(
      ok(verity(['deid', 'detokenize', '--data', data, '--purpose', 'legal-obligation', t.token])).stdout,
    );
    assert.deepEqual([d.value, d.domain], ['ada@example.com', 'email']);
    // Re-identification is decided by the policies, as over HTTP: not for marketing (D415).
    for (const args of [
      ['deid', 'detokenize', '--data', data, '--purpose', 'marketing', t.token],
      ['deid', 'fpe-decrypt', '--data', data, '--purpose', 'marketing', '--key', 'cards', '--radix', '10', '1234'],
    ]) {
      const refused = verity(args);
      assert.equal(refused.code, 1, refused.stdout);
      assert.match(refused.stderr, /VERITY_E_ACCESS_DENIED/);
      assert.doesNotMatch(refused.stdout, /ada@example\.com/);
    }
    const c = ok(
      verity(['deid', 'fpe-encrypt', '--data', data, '--key', 'cards', '--radix', '10', '4111111111111111']),
    ).stdout.trim();
    assert.match(c, /^\d{16}$/);
    assert.notEqual(c, '4111111111111111');
    assert.equal(
      ok(verity(['deid', 'fpe-decrypt', '--data', data, '--key', 'cards', '--radix', '10', c])).stdout.trim(),
      '4111111111111111',
    );
    // The domains and keys the operator used are claimed, so no service takes them over (D418).
    const claims = (
      JSON.parse(ok(verity(['log', 'entries', '--data', data, '--from', '0'])).stdout) as {
        entry?: { action: string; actor: string; resource: string };
      }[]
    )
      .filter((e) => e.entry?.action === 'deid.domain')
      .map((e) => [e.entry?.actor, e.entry?.resource]);
    assert.deepEqual(claims, [
      ['operator:cli', 'pseudonym:analytics'],
      ['operator:cli', 'token:email'],
      ['operator:cli', 'fpe:cards'],
    ]);
  });

  it('pii scan writes one line of entities per input line; pii redact the redacted text', () => {
    const input = [
      { text: 'dm Ada.Lovelace@example.com or text (415) 555-0132' },
      { text: 'gg wp everyone' },
      { text: 'wire it to DE89 3704 0044 0532 0130 00, thanks Grace Hopper' },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n');
    const out = ok(verity(['pii', 'scan'], `${input}\n`))
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(out.length, 3);
    assert.deepEqual(
      out[0].entities.map((e: { type: string; start: number; end: number }) => [e.type, e.start, e.end]),
      [
        ['EMAIL', 3, 27],
        ['PHONE', 36, 50],
      ],
    );
    assert.ok(out[0].entities.every((e: { score: number }) => e.score > 0 && e.score <= 1));
    assert.deepEqual(out[1], { entities: [] });
    assert.deepEqual(
      out[2].entities.map((e: { type: string }) => e.type),
      ['IBAN', 'PERSON'],
    );
    const red = JSON.parse(
      ok(verity(['pii', 'redact'], `${JSON.stringify({ text: 'mail ada@example.com now' })}\n`)).stdout,
    );
    assert.equal(red.text, 'mail [EMAIL] now');
    const bad = verity(['pii', 'scan'], '{"text": 1}\nnot json\n');
    // Malformed input exits 2, as for every command (README; it exited 1 before D415).
    assert.equal(bad.code, 2);
    const lines = bad.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => [l.entities.length, l.error.code]),
      [
        [0, 'VERITY_E_INPUT_INVALID'],
        [0, 'VERITY_E_INPUT_MALFORMED'],
      ],
    );
  });

  it('anonymize releases the Adult data 5-anonymous and 2-diverse; dp answers within its budget', () => {
    const dir = join(import.meta.dirname, 'fixtures', 'adult');
    const qis = ['age', 'sex', 'race', 'marital-status', 'education', 'native-country', 'workclass', 'occupation'];
    const r = verity([
      'anonymize',
      '--input',
      join(dir, 'adult.csv'),
      '--qi',
      qis.join(','),
      '--sensitive',
      'salary-class',
      '--k',
      '5',
      '--l',
      '2',
      ...qis.flatMap((q) => ['--hierarchy', `${q}=${join(dir, `adult_hierarchy_${q}.csv`)}`]),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stderr);
    assert.ok(report.k >= 5 && report.l >= 2);
    assert.equal(r.stdout.trim().split('\n').length, 30163);
    const numbers = `${Array.from({ length: 300 }, (_, i) => i % 50).join('\n')}\n`;
    ok(verity(['dp', 'create', '--data', data, '--name', 'kills', '--epsilon', '1'], numbers));
    const q = JSON.parse(
      ok(
        verity([
          'dp',
          'query',
          '--data',
          data,
          '--name',
          'kills',
          '--query',
          'mean',
          '--epsilon',
          '0.7',
          '--lower',
          '0',
          '--upper',
          '50',
        ]),
      ).stdout,
    );
    assert.ok(Math.abs(q.value - 24.5) < 10, String(q.value));
    const over = verity(['dp', 'query', '--data', data, '--name', 'kills', '--query', 'count', '--epsilon', '0.5']);
    assert.equal(over.code, 1);
    assert.match(over.stderr, /VERITY_E_PRIVACY_BUDGET/);
  });

  it('records put with an id writes a new version', () => {
    const r = JSON.parse(
      ok(
        verity(
          [
            'records',
            'put',
            '--data',
            data,
            '--subject',
            'player-7',
            '--type',
            'profile',
            '--purpose',
            'service-provision',
            '--id',
            rec.id,
          ],
          '{"name":"Ada","level":4}',
        ),
      ).stdout,
    );
    assert.equal(r.version, 2);
    const h = JSON.parse(ok(verity(['records', 'history', '--data', data, '--purpose', 'support', rec.id])).stdout);
    assert.equal(h.length, 2);
  });

  it('refuses bad input with exit 2 and a typed error', () => {
    let r = verity(
      ['records', 'put', '--data', data, '--subject', 's', '--type', 'profile', '--purpose', 'service-provision'],
      '{not json',
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /VERITY_E_INPUT_MALFORMED/);
    r = verity(['records', 'put', '--data', data, '--subject', 's', '--type', 'profile'], '{}');
    assert.equal(r.code, 2);
    r = verity(['records', 'get', '--data', data, '--purpose', 'x', '--bogus', rec.id]);
    assert.equal(r.code, 2);
    r = verity(['records', 'get', '--data', data, '--purpose', 'service-provision', rec.id], '', {
      VERITY_PASSPHRASE: 'wrong passphrase',
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /VERITY_E_KEY_PASSPHRASE/);
    assert.ok(!r.stderr.includes('wrong passphrase'));
    // A CORS origin must be exactly scheme://host[:port]; nothing is served otherwise.
    r = verity(['serve', '--data', data, '--port', '0', '--cors-origin', 'https://play.example.com/app']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /VERITY_E_INPUT_INVALID.*scheme:\/\/host/);
  });

  it('log key and log checkpoint agree, and verify-note checks them', async () => {
    const key = ok(verity(['log', 'key', '--data', data], undefined, { VERITY_PASSPHRASE: '' })).stdout.trim();
    const note = ok(verity(['log', 'checkpoint', '--data', data], undefined, { VERITY_PASSPHRASE: '' })).stdout;
    const good = verity(['log', 'verify-note', '--key', key, '-'], note);
    assert.equal(good.code, 0, good.stderr);
    const info = JSON.parse(good.stdout);
    assert.equal(info.valid, true);
    assert.ok(info.size >= 3);
    assert.match(info.rootHash, /^[A-Za-z0-9+/]{43}=$/);
    assert.match(info.origin, /^verity\.local\//);
    const tampered = note.replace(/\n(\d+)\n/, (_m, n: string) => `\n${Number(n) + 1}\n`);
    assert.equal(verity(['log', 'verify-note', '--key', key, '-'], tampered).code, 1);
    assert.equal(verity(['log', 'verify-note', '--key', key, '-'], 'garbage').code, 2);
    assert.equal(verity(['log', 'verify-note', '--key', 'not a key', '-'], note).code, 2);
    // Another log's key does not verify this note.
    assert.equal(verity(['log', 'verify-note', '--key', SUMDB_KEY, '-'], note).code, 1);
  });

  it('verify-note accepts real Go checksum database checkpoints and refuses altered ones', () => {
    for (const f of ['checkpoint-3935567.txt', 'checkpoint-6476701.txt']) {
      const note = readFileSync(join(VECTORS, 'c2sp-signed-note', f), 'utf8');
      const r = verity(['log', 'verify-note', '--key', SUMDB_KEY, '-'], note);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).origin, 'go.sum database tree');
      const altered = note.replace('go.sum', 'go.sun');
      assert.equal(verity(['log', 'verify-note', '--key', SUMDB_KEY, '-'], altered).code, 1);
    }
  });

  it('prove-inclusion and prove-consistency print cases that verify-proof accepts', () => {
    const inc = JSON.parse(
      ok(
        verity(['log', 'prove-inclusion', '--data', data, '--index', String(rec.logIndex)], undefined, {
          VERITY_PASSPHRASE: '',
        }),
      ).stdout,
    );
    assert.equal(inc.type, 'inclusion');
    assert.equal(inc.leafIndex, rec.logIndex);
    const con = JSON.parse(ok(verity(['log', 'prove-consistency', '--data', data, '--from', '1'])).stdout);
    assert.equal(con.type, 'consistency');
    assert.equal(con.size1, 1);
    const key = ok(verity(['log', 'key', '--data', data])).stdout.trim();
    const both = verity(['log', 'verify-proof', '--key', key, '-'], JSON.stringify([inc, con]));
    assert.equal(both.code, 0, both.stdout);
    assert.deepEqual(both.stdout.trim().split('\n'), ['valid', 'valid']);
    const bad = structuredClone(inc);
    bad.leafIndex = inc.leafIndex === 0 ? 1 : 0;
    const mixed = verity(['log', 'verify-proof', '--key', key, '-'], JSON.stringify([inc, bad, con]));
    assert.equal(mixed.code, 1);
    const lines = mixed.stdout.trim().split('\n');
    assert.equal(lines[0], 'valid');
    assert.match(lines[1] as string, /^invalid: /);
    assert.equal(lines[2], 'valid');
    const sized = JSON.parse(
      ok(verity(['log', 'prove-inclusion', '--data', data, '--index', '0', '--size', '2'])).stdout,
    );
    assert.equal(sized.treeSize, 2);
    // No checkpoint signs an older tree: its Merkle path is checked alone, on request.
    assert.equal(verity(['log', 'verify-proof', '--unsigned', '-'], JSON.stringify(sized)).code, 0);
    assert.equal(verity(['log', 'prove-inclusion', '--data', data, '--index', '999999']).code, 1);
  });

  it('verify-proof reads the RFC 6962 reference vectors and exits 2 on malformed input', () => {
    const vec = JSON.parse(readFileSync(join(VECTORS, 'rfc9162', 'rfc6962-merkle.json'), 'utf8')) as {
      leafInputs: string[];
      roots: Record<string, string>;
      inclusion: { leafIndex: number; treeSize: number; proof: string[] }[];
      consistency: { size1: number; size2: number; proof: string[] }[];
    };
    const leafHash = (i: number) =>
      createHash('sha256')
        .update(Buffer.concat([Buffer.from([0]), Buffer.from(vec.leafInputs[i] as string, 'hex')]))
        .digest('base64');
    const cases = [
      ...vec.inclusion.map((c) => ({
        type: 'inclusion',
        treeSize: c.treeSize,
        leafIndex: c.leafIndex,
        leafHash: leafHash(c.leafIndex),
        rootHash: hexToB64(vec.roots[String(c.treeSize)] as string),
        proof: c.proof.map(hexToB64),
      })),
      ...vec.consistency.map((c) => ({
        type: 'consistency',
        size1: c.size1,
        size2: c.size2,
        root1: hexToB64(vec.roots[String(c.size1)] as string),
        root2: hexToB64(vec.roots[String(c.size2)] as string),
        proof: c.proof.map(hexToB64),
        note: 'extra fields are ignored',
      })),
    ];
    // The reference vectors carry root hashes but no signed checkpoint: checked as Merkle paths only.
    const r = verity(['log', 'verify-proof', '--unsigned', '-'], JSON.stringify(cases));
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.stdout.trim().split('\n').length, cases.length);
    assert.equal(verity(['log', 'verify-proof', '--unsigned', '-'], '{"type":"inclusion"}').code, 2);
    assert.equal(verity(['log', 'verify-proof', '--unsigned', '-'], 'nope').code, 2);
    assert.equal(
      verity(['log', 'verify-proof', '--unsigned', '-'], JSON.stringify([{ ...cases[0], proof: ['!!'] }])).code,
      2,
    );
  });

  it('serve answers over HTTP on loopback and stops on SIGTERM; other hosts need TLS', async () => {
    const child = spawn(BIN, ['serve', '--data', data, '--port', '0'], {
      env: { ...process.env, VERITY_PASSPHRASE: 'cli test passphrase' },
    });
    let text = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        text += c.toString();
        const m = /serving (http:\/\/\S+)/.exec(text);
        if (m) resolve(m[1] as string);
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${text}`)));
    });
    try {
      const key = (await (await fetch(`${url}/v1/log/key`)).text()).trim();
      assert.equal(key, ok(verity(['log', 'key', '--data', data])).stdout.trim());
      // The CLI through the server (SDK), with a token; reads verified client-side.
      const token = ok(
        verity([
          'tokens',
          'create',
          '--data',
          data,
          '--principal',
          'cli-test',
          '--role',
          'service',
          '--record-types',
          'profile',
        ]),
      ).stdout.trim();
      // The token never on the command line (the process list shows it): from a file, or VERITY_TOKEN.
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
      const remote = ['--url', url, '--token-file', tokenFile, '--key', key];
      for (const given of [['--token', token], [`--token=${token}`]]) {
        const refused = await runAsync([
          'records',
          'get',
          '--url',
          url,
          ...given,
          '--key',
          key,
          '--purpose',
          'p',
          'rec_x',
        ]);
        assert.equal(refused.code, 2, refused.stderr);
        assert.match(refused.stderr, /set VERITY_TOKEN or pass --token-file FILE/);
        assert.ok(!refused.stderr.includes(token), 'the token is not echoed');
      }
      const put = await runAsync(
        ['records', 'put', ...remote, '--subject', 'player-r', '--type', 'profile', '--purpose', 'service-provision'],
        '{"via":"http"}',
      );
      assert.equal(put.code, 0, put.stderr);
      const id = (JSON.parse(put.stdout) as { id: string }).id;
      const got = await runAsync(
        ['records', 'get', '--url', url, '--key', key, '--purpose', 'service-provision', id],
        '',
        { VERITY_TOKEN: token },
      );
      assert.equal(got.code, 0, got.stderr);
      assert.deepEqual(JSON.parse(got.stdout).data, { via: 'http' });
      const denied = await runAsync(['records', 'get', ...remote, '--purpose', 'marketing', id]);
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /VERITY_E_ACCESS_DENIED/);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    const r = verity(['serve', '--data', data, '--host', '0.0.0.0', '--port', '0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /VERITY_E_CONFIG_INVALID/);
  });

  it('policy test runs a table of expected decisions against the data directory policies', () => {
    const table = join(ROOT, 'test', 'fixtures', 'policies', 'default-table.json');
    const r = ok(verity(['policy', 'test', '--data', data, table]));
    assert.match(r.stdout, /72 passed, 0 failed/);
    const wrong = JSON.parse(readFileSync(table, 'utf8')) as { expect: string }[];
    (wrong[0] as { expect: string }).expect = 'deny';
    const f = join(dir, 'wrong.json');
    writeFileSync(f, JSON.stringify(wrong));
    const bad = verity(['policy', 'test', '--data', data, f]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^FAIL a player reads their own profile: expected deny, got allow$/m);
    const p = join(dir, 'broken.cedar');
    writeFileSync(p, 'permit(principal, action, resource is Verity::Record) when { resource.nope };');
    const broken = verity(['policy', 'test', '--policies', p, table]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /VERITY_E_POLICY_INVALID/);
  });

  it('tokens create prints a token once; list never shows secrets; revoke ends it', () => {
    const token = ok(
      verity([
        'tokens',
        'create',
        '--data',
        data,
        '--principal',
        'world-eu',
        '--role',
        'service',
        '--record-types',
        'profile,position',
      ]),
    ).stdout.trim();
    assert.match(token, /^tok_[A-Za-z0-9_-]{12}\.[A-Za-z0-9_-]{43}$/);
    const list = ok(verity(['tokens', 'list', '--data', data])).stdout;
    assert.ok(!list.includes(token.split('.')[1] as string));
    const info = (JSON.parse(list) as { id: string; recordTypes: string[] }[]).find((t) => token.startsWith(t.id));
    assert.deepEqual(info?.recordTypes, ['profile', 'position']);
    assert.equal(JSON.parse(ok(verity(['tokens', 'revoke', '--data', data, info?.id as string])).stdout).revoked, true);
    assert.equal(verity(['tokens', 'create', '--data', data, '--principal', 'x', '--role', 'god']).code, 1);
  });

  it('log verify checks storage and consistency with a trusted checkpoint', async () => {
    const note = ok(verity(['log', 'checkpoint', '--data', data])).stdout;
    const trusted = join(dir, 'trusted.txt');
    writeFileSync(trusted, note);
    ok(
      verity(
        ['records', 'put', '--data', data, '--subject', 'p2', '--type', 'profile', '--purpose', 'service-provision'],
        '{"a":1}',
      ),
    );
    const r = JSON.parse(ok(verity(['log', 'verify', '--data', data, '--trusted', trusted])).stdout);
    assert.equal(r.valid, true);
  });

  it('log verify checks the data directory names the log key you kept (D415)', () => {
    const key = ok(verity(['log', 'key', '--data', data])).stdout.trim();
    assert.equal(JSON.parse(ok(verity(['log', 'verify', '--data', data, '--key', key])).stdout).valid, true);
    // Another log's key, as a copy of the store with its configuration replaced would name.
    const other = formatVerifierKey(key.split('+')[0] as string, new Uint8Array(32).fill(7));
    const bad = verity(['log', 'verify', '--data', data, '--key', other]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /VERITY_E_LOG_SIGNATURE_INVALID/);
    assert.match(bad.stderr, /not the key you kept/);
  });
});
