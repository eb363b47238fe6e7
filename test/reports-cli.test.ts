// The CLI contract for outside checks, end to end through bin/verity on a data directory made by
// `verity init`: `report access` prints JSON lines each with its proof, which `report verify` and
// `log verify-proof` check against the log key; a tampered line is refused; `report label` and the
// incident commands work; bad input is refused with exit 2.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CliRun, verityCli } from './helpers/cli.ts';
import { tempDir } from './helpers/env.ts';

let keyFile = '';

function verity(args: string[], input = ''): CliRun {
  // A raw key file: no passphrase KDF per command (each would cost seconds).
  return verityCli(args, { input, env: { VERITY_KEY_FILE: keyFile } });
}

function ok(args: string[], input = ''): string {
  const r = verity(args, input);
  assert.equal(r.code, 0, `verity ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

describe('verity report and incidents (CLI)', () => {
  let dir: string;
  let data: string;
  let key: string;
  let cleanup: () => Promise<void>;
  let id: string;

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    data = join(dir, 'data');
    keyFile = join(dir, 'master.key');
    writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    ok(['init', '--data', data]);
    key = ok(['log', 'key', '--data', data]).trim();
    const put = (subject: string, body: string) =>
      JSON.parse(
        ok(
          [
            'records',
            'put',
            '--data',
            data,
            '--subject',
            subject,
            '--type',
            'profile',
            '--purpose',
            'service-provision',
          ],
          body,
        ),
      ) as { id: string };
    id = put('player-7', '{"name":"Ada"}').id;
    ok(['records', 'get', '--data', data, '--purpose', 'service-provision', id]);
  });
  after(() => cleanup());

  it('report access prints JSON lines with proofs that report verify and log verify-proof accept', () => {
    const text = ok(['report', 'access', '--data', data, '--subject', 'player-7']);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const [header, ...rest] = lines;
    assert.equal(header?.['report'], 'verity.access-report/v1');
    assert.match(String(header?.['checkpoint']), /^[^\n]+\n\d+\n/);
    assert.deepEqual(
      rest.map((l) => l['action']),
      ['key.create', 'record.create', 'record.read', 'report.access'],
    );
    for (const l of rest) {
      assert.equal(l['type'], 'inclusion');
      assert.equal(l['index'], l['leafIndex']);
      assert.ok(Array.isArray(l['proof']) && typeof l['entry'] === 'string');
    }
    assert.equal(rest[1]?.['resource'], `record:${id}@1`);
    assert.equal(rest[1]?.['legalBasis'], 'contract');
    const file = join(dir, 'report.jsonl');
    writeFileSync(file, text);
    const v = JSON.parse(ok(['report', 'verify', '--key', key, file])) as { valid: boolean; lines: number };
    assert.deepEqual([v.valid, v.lines], [true, 4]);
    // Line by line with the general proof checker: the header's checkpoint, then each line.
    const p = verity(['log', 'verify-proof', '--key', key, file]);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.deepEqual(p.stdout.trim().split('\n'), ['valid', 'valid', 'valid', 'valid', 'valid']);
    // One line alone, with the checkpoint added, is an ordinary proof case.
    const single = { ...rest[1], checkpoint: header?.['checkpoint'] };
    assert.equal(verity(['log', 'verify-proof', '--key', key, '-'], JSON.stringify(single)).stdout.trim(), 'valid');
  });

  it('refuses a tampered report', () => {
    const text = ok(['report', 'access', '--data', data, '--subject', 'player-7']);
    const lines = text.trim().split('\n');
    const second = JSON.parse(lines[2] as string) as Record<string, unknown>;
    second['purpose'] = 'analytics';
    lines[2] = JSON.stringify(second);
    const r = verity(['report', 'verify', '--key', key, '-'], lines.join('\n'));
    assert.equal(r.code, 1);
    assert.equal((JSON.parse(r.stdout) as { code: string }).code, 'VERITY_E_REPORT_INVALID');
    // A changed entry no longer hashes to its proven leaf.
    const third = JSON.parse(lines[3] as string) as Record<string, unknown>;
    third['entry'] = Buffer.from('{"forged":true}').toString('base64');
    lines[3] = JSON.stringify(third);
    const p = verity(
      ['log', 'verify-proof', '--key', key, '-'],
      lines
        .slice(0, 1)
        .concat(lines[3] as string)
        .join('\n'),
    );
    assert.equal(p.code, 1);
    assert.match(p.stdout, /invalid: the entry does not hash to the proven leaf/);
    const m = verity(['report', 'verify', '--key', key, '-'], 'not a report');
    assert.equal(m.code, 2);
    assert.match(m.stderr, /VERITY_E_REPORT_MALFORMED/);
  });

  it('refuses bad input with usage errors', () => {
    assert.equal(verity(['report', 'access', '--data', data]).code, 2);
    assert.equal(verity(['report', 'access', '--data', data, '--subject', 'p', '--limit', '999999']).code, 2);
    assert.equal(
      verity(['incidents', 'open', '--data', data, '--description', 'x', '--detected-at', 'yesterday']).code,
      2,
    );
    assert.equal(
      verity(['incidents', 'notify', '--data', data, '--id', 'inc_x', '--to', 'press', '--reference', 'r']).code,
      2,
    );
  });

  it('prints a privacy label', () => {
    const l = JSON.parse(ok(['report', 'label', '--data', data, '--type', 'profile'])) as { purposes: unknown[] };
    assert.deepEqual(l.purposes, [{ purpose: 'service-provision', basis: 'contract', term: 'eu-gdpr:A6-1-b' }]);
  });

  it('keeps the incident register: open with affected subjects, list overdue, notify with evidence, close', () => {
    const evidence = join(dir, 'notice.txt');
    writeFileSync(evidence, 'we notified you');
    const opened = JSON.parse(
      ok([
        'incidents',
        'open',
        '--data',
        data,
        '--description',
        'laptop lost',
        '--category',
        'dpv-pd:Contact',
        '--detected-at',
        '2020-01-01T00:00:00Z',
        '--from',
        '2020-01-01T00:00:00Z',
        '--record-type',
        'profile',
      ]),
    ) as { id: string; overdue: boolean; affected: { count: number } };
    assert.equal(opened.affected.count, 1);
    assert.equal(opened.overdue, true);
    const overdue = JSON.parse(ok(['incidents', 'list', '--data', data, '--overdue'])) as { id: string }[];
    assert.deepEqual(
      overdue.map((i) => i.id),
      [opened.id],
    );
    const n = JSON.parse(
      ok([
        'incidents',
        'notify',
        '--data',
        data,
        '--id',
        opened.id,
        '--to',
        'authority',
        '--reference',
        'DPA-1',
        '--evidence',
        evidence,
        '--delay-reason',
        'found late',
      ]),
    ) as { notifications: { evidenceHash: string; late: boolean }[] };
    assert.match(n.notifications[0]?.evidenceHash ?? '', /^sha256:/);
    assert.equal(n.notifications[0]?.late, true);
    const closed = JSON.parse(
      ok(['incidents', 'close', '--data', data, '--id', opened.id, '--resolution', 'wiped']),
    ) as {
      status: string;
      logIndices: number[];
    };
    assert.equal(closed.status, 'closed');
    assert.equal(closed.logIndices.length, 3);
  });
});
