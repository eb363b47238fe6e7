// `verity rights` and `verity retention` on a data directory made by `verity init`, as an outside
// check runs them: a request is printed as JSON with its id, type, status, time of receipt, legal
// deadline (ISO 8601) and regime; carried out; erasure leaves a log that `verity log verify` accepts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initDataDir, openDataDir } from '../src/embedded/index.ts';
import { verityCli } from './helpers/cli.ts';
import { TEST_KDF, TEST_SECRET, tempDir } from './helpers/env.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'verity');
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('verity rights and retention (command line)', () => {
  let data: string;
  let cleanup: () => Promise<void>;
  let recordId = '';
  const verity = (args: string[], input?: string) => {
    const r = verityCli(args, {
      env: { VERITY_PASSPHRASE: TEST_SECRET.passphrase },
      ...(input === undefined ? {} : { input }),
    });
    assert.equal(r.code, 0, `verity ${args.slice(0, 2).join(' ')}: exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };

  before(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    data = join(dir, 'data');
    await initDataDir(data, { secret: TEST_SECRET, kdf: TEST_KDF });
    // A record to ask about, written in this process (each command is a process of its own).
    const v = await openDataDir(data, { secret: TEST_SECRET });
    try {
      recordId = (
        await v.vault.put({
          actor: 'operator:test',
          purpose: 'service-provision',
          subject: 'player-7',
          type: 'avatar.profile',
          data: { name: 'Ada', level: 3 },
        })
      ).id;
    } finally {
      await v.close();
    }
  });
  after(() => cleanup());

  it('lifts a restriction and withdraws an objection (verity rights lift)', async () => {
    const v = await openDataDir(data, { secret: TEST_SECRET });
    let rec: string;
    try {
      rec = (
        await v.vault.put({
          actor: 'operator:test',
          purpose: 'service-provision',
          subject: 'player-9',
          type: 'avatar.profile',
          data: { name: 'Bo' },
        })
      ).id;
    } finally {
      await v.close();
    }
    const base = ['--data', data, '--subject', 'player-9'];
    const restriction = verity(['rights', 'request', ...base, '--type', 'restriction']);
    verity(['rights', 'complete', '--data', data, '--id', restriction.id]);
    const objection = verity(['rights', 'request', ...base, '--type', 'objection', '--purpose', 'marketing']);
    assert.deepEqual(verity(['rights', 'complete', '--data', data, '--id', objection.id]).limits, {
      restricted: 1,
      objections: ['marketing'],
    });
    const lift = (args: string[]) =>
      spawnSync(BIN, ['rights', 'lift', ...base, ...args], {
        env: { ...process.env, VERITY_PASSPHRASE: TEST_SECRET.passphrase },
        encoding: 'utf8',
      });
    // Art. 18(3): the operator says when the subject was informed before a restriction is lifted.
    const uninformed = lift(['--record', rec, '--reason', 'court order ended']);
    assert.notEqual(uninformed.status, 0);
    assert.match(uninformed.stderr, /18\(3\)/);
    const done = verity([
      'rights',
      'lift',
      ...base,
      '--record',
      rec,
      '--purpose',
      'marketing',
      '--reason',
      'court order ended',
      '--informed-at',
      '2020-01-01T00:00:00Z',
    ]);
    assert.match(done.lift.id, /^lf_/);
    assert.deepEqual(done.limits, { restricted: 0, objections: [] });
    assert.deepEqual(done.lift.ends.sort(), [restriction.id, objection.id].sort());
    assert.deepEqual(verity(['rights', 'show', '--data', data, '--id', restriction.id]).lifts, [done.lift.id]);
    const twice = lift(['--purpose', 'marketing', '--reason', 'again']);
    assert.notEqual(twice.status, 0);
    assert.match(twice.stderr, /VERITY_E_RIGHTS_NOT_IN_FORCE/);
    const w = await openDataDir(data, { secret: TEST_SECRET });
    try {
      const r = await w.vault.get(rec, { actor: 'operator:test', purpose: 'marketing' });
      assert.deepEqual(r.data, { name: 'Bo' });
    } finally {
      await w.close();
    }
  });

  it('files, shows, carries out and lists requests; erasure keeps the log verifiable', () => {
    const access = verity(['rights', 'request', '--data', data, '--subject', 'player-7', '--type', 'access']);
    assert.match(access.id, /^rr_/);
    assert.equal(access.type, 'access');
    assert.equal(access.status, 'received');
    assert.equal(access.regime, 'gdpr');
    assert.match(access.receivedAt, ISO);
    assert.match(access.deadline, ISO);
    assert.ok(Date.parse(access.deadline) > Date.parse(access.receivedAt) + 27 * 86_400_000);
    assert.match(access.deadlineBasis, /GDPR Art\. 12\(3\)/);
    const ccpa = verity([
      'rights',
      'request',
      '--data',
      data,
      '--subject',
      'player-7',
      '--type',
      'erasure',
      '--regime',
      'ccpa',
    ]);
    assert.equal(ccpa.regime, 'ccpa');
    const days = (Date.parse(ccpa.deadline) - Date.parse(ccpa.receivedAt)) / 86_400_000;
    assert.ok(days > 43 && days <= 45, String(days));
    const done = verity(['rights', 'complete', '--data', data, '--id', access.id]);
    assert.equal(done.request.status, 'completed');
    assert.deepEqual(done.export.records[0].data, { name: 'Ada', level: 3 });
    assert.deepEqual(verity(['rights', 'list', '--data', data, '--overdue']), []);
    assert.deepEqual(verity(['retention', 'run', '--data', data, '--dry-run']).actions, []);
    const erased = verity(['rights', 'complete', '--data', data, '--id', ccpa.id]);
    assert.deepEqual(
      erased.tombstones.map((t: { id: string }) => t.id),
      [recordId],
    );
    const v = spawnSync(BIN, ['log', 'verify', '--data', data], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    const bad = spawnSync(BIN, ['rights', 'request', '--data', data, '--subject', 'p', '--type', 'deletion'], {
      env: { ...process.env, VERITY_PASSPHRASE: TEST_SECRET.passphrase },
      encoding: 'utf8',
    });
    assert.equal(bad.status, 2);
  });
});
