// `verity governance` and `verity compliance` through bin/verity on a data directory made by
// `verity init`: a proposal made on the command line, voted on and tallied (by the library, with a
// clock past the voting period), its tally printed with proofs and recounted by `verify-tally`
// (a changed one refused); OSCAL evidence printed and valid against NIST's schema, `--strict`
// failing while no witness cosigns; bad input refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { fixedClock } from '../src/clock/index.ts';
import { openDataDir, openPrivacy } from '../src/embedded/index.ts';
import { Governance } from '../src/governance/index.ts';
import { DEFAULT_PRIVACY_POLICY } from '../src/privacy/index.ts';
import { type CliRun, verityCli } from './helpers/cli.ts';
import { tempDir } from './helpers/env.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
let keyFile = '';

function verity(args: string[]): CliRun {
  return verityCli(args, { env: { VERITY_KEY_FILE: keyFile } });
}

function ok(args: string[]): string {
  const r = verity(args);
  assert.equal(r.code, 0, `verity ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

describe('verity governance and compliance (CLI)', () => {
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
  });
  after(() => cleanup?.());

  it('prints the governance document and refuses a proposal that is not a new valid version', () => {
    const d = JSON.parse(ok(['governance', 'document'])) as { roles: { operator: { rights: string[] } } };
    assert.ok(d.roles.operator.rights.includes('enact'));
    const same = join(dir, 'same.json');
    writeFileSync(same, JSON.stringify(DEFAULT_PRIVACY_POLICY));
    const r = verity(['governance', 'propose', '--data', data, '--title', 't', '--rationale', 'r', '--policy', same]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /VERITY_E_GOVERNANCE_STATE/);
  });

  it('proposes; after votes and the tally, prints evidence that verify-tally recounts', async () => {
    const next = { ...DEFAULT_PRIVACY_POLICY, version: '1.0.1' };
    const file = join(dir, 'next.json');
    writeFileSync(file, JSON.stringify(next));
    id = JSON.parse(
      ok([
        'governance',
        'propose',
        '--data',
        data,
        '--title',
        'Shorter retention',
        '--rationale',
        'less is more',
        '--policy',
        file,
      ]),
    ).id;
    assert.equal(JSON.parse(ok(['governance', 'list', '--data', data, '--status', 'open']))[0].id, id);
    const early = verity(['governance', 'close', '--data', data, '--id', id]);
    assert.equal(early.code, 1);
    assert.match(early.stderr, /VERITY_E_GOVERNANCE_STATE/);
    // Three players vote (their passkey sessions stand in as proofs), then voting is over.
    const clock = fixedClock(Date.now());
    const v = await openDataDir(data, {
      secret: { masterKey: Buffer.from(readFileSync(keyFile, 'utf8'), 'hex') },
      clock,
    });
    try {
      const g = new Governance({
        store: v.store,
        log: v.log,
        keys: v.keys,
        privacy: await openPrivacy(v, data),
        clock,
      });
      for (const name of ['p1', 'p2', 'p3']) {
        const ref = await v.vault.subjectRef(name);
        await g.vote(
          id,
          name === 'p3' ? 'no' : 'yes',
          { kind: 'session', subjectRef: ref, method: 'passkey', actor: 'player:x' },
          'player:x',
        );
      }
      clock.advance(8 * 24 * 3_600_000);
      assert.equal((await g.close(id, { actor: 'operator:test', role: 'operator' })).status, 'adopted');
    } finally {
      await v.close();
    }
    const evidence = ok(['governance', 'tally', '--data', data, '--id', id]);
    const ev = join(dir, 'tally.json');
    writeFileSync(ev, evidence);
    const r = JSON.parse(ok(['governance', 'verify-tally', ev, '--key', key]));
    assert.deepEqual([r.valid, r.yes, r.no, r.outcome], [true, 2, 1, 'adopted']);
    const bad = JSON.parse(evidence) as { votes: unknown[] };
    bad.votes.pop();
    writeFileSync(ev, JSON.stringify(bad));
    const refused = verity(['governance', 'verify-tally', ev, '--key', key]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /VERITY_E_GOVERNANCE_TALLY_INVALID/);
    // Adopted, but its timelock runs two days from the tally.
    assert.match(verity(['governance', 'enact', '--data', data, '--id', id]).stderr, /VERITY_E_GOVERNANCE_TIMELOCK/);
  });

  it('prints OSCAL assessment results valid against NIST’s schema; --strict fails without witnesses', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const schema = JSON.parse(
      readFileSync(join(import.meta.dirname, 'fixtures', 'oscal', 'oscal_assessment-results_schema.json'), 'utf8'),
    ) as object;
    const validate = ajv.compile(schema);
    const doc = JSON.parse(ok(['compliance', 'oscal', '--data', data])) as Record<string, unknown>;
    assert.ok(validate(doc), JSON.stringify(validate.errors?.slice(0, 3)));
    const strict = verity(['compliance', 'oscal', '--data', data, '--strict']);
    assert.equal(strict.code, 1);
    assert.match(strict.stderr, /witness-cosignatures/);
    const cat = JSON.parse(ok(['compliance', 'catalog'])) as { catalog: { groups: unknown[] } };
    assert.equal(cat.catalog.groups.length, 3);
    assert.equal(verity(['governance', 'list', '--data', data, '--status', 'maybe']).code, 2);
    assert.match(verity(['governance', 'show', '--data', data, '--id', 'nope']).stderr, /VERITY_E_INPUT_INVALID/);
  });
});
