// Compliance evidence as OSCAL (FGMV-46 7.4.4), validated against NIST's published JSON schemas
// (usnistgov/OSCAL, tag v1.0.6, json/schema/; checked in under test/fixtures/oscal with their
// licence). The catalog and the assessment results of a live store validate; a broken document
// does not; and each finding's status follows what the checks measure: an overdue breach, an
// overdue data-subject request, an old key-encryption key and a tampered log each turn their
// controls to not-satisfied, and putting them right turns them back.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { fixedClock } from '../src/clock/index.ts';
import { Governance } from '../src/governance/index.ts';
import { IncidentRegister } from '../src/incidents/index.ts';
import { assess, CHECKS, checkpointOf, controls, oscalCatalog } from '../src/oscal/index.ts';
import { DEFAULT_PRIVACY_POLICY, Privacy, PrivacyPolicy } from '../src/privacy/index.ts';
import { AccessReports } from '../src/reports/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'oscal');
// ajv-formats' default export is the plugin function; its CommonJS typing reaches ESM as a namespace.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function validator(file: string) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as object);
}
const validateResults = validator('oscal_assessment-results_schema.json');
const validateCatalog = validator('oscal_catalog_schema.json');

function findingStates(doc: Record<string, unknown>): Map<string, string> {
  const ar = doc['assessment-results'] as {
    results: { findings: { target: { 'target-id': string; status: { state: string } } }[] }[];
  };
  return new Map(
    (ar.results[0]?.findings ?? []).map((f) => [f.target['target-id'].replace(/_smt$/, ''), f.target.status.state]),
  );
}

describe('OSCAL compliance evidence', () => {
  const clock = fixedClock(Date.parse('2026-06-01T00:00:00Z'));
  let core: TestCore;
  let sources: Parameters<typeof assess>[0];
  let incidents: IncidentRegister;

  before(async () => {
    core = await makeCore('sqlite', { clock });
    const privacy = await Privacy.open({
      store: core.store,
      log: core.log,
      policy: PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY),
      clock,
    });
    incidents = new IncidentRegister(core.store, core.log, new AccessReports(core.store, core.log, core.vault).index, {
      clock,
    });
    sources = {
      store: core.store,
      log: core.log,
      keys: core.keys,
      clock,
      privacy,
      rights: core.rights,
      retention: core.retention,
      incidents,
      governance: new Governance({ store: core.store, log: core.log, keys: core.keys, privacy, clock }),
      witnesses: { quorum: 1, list: () => [{ name: 'w1', cosignedSize: 10 }] },
    };
    await core.vault.put({
      subject: 'alice',
      type: 'profile',
      data: { nick: 'al' },
      purpose: 'service-provision',
      actor: 'service:world',
    });
  });
  after(() => core?.dispose());

  it('the catalog validates against NIST’s catalog schema; every control is assessed by known checks', () => {
    const cat = oscalCatalog('2026-06-01T00:00:00Z');
    assert.ok(validateCatalog(cat), JSON.stringify(validateCatalog.errors?.slice(0, 3)));
    const ids = new Set(CHECKS.map((c) => c.id));
    for (const c of controls()) for (const k of c.checks) assert.ok(ids.has(k), `${c.id} names unknown check ${k}`);
    for (const k of ids)
      assert.ok(
        controls().some((c) => c.checks.includes(k)),
        `check ${k} assesses nothing`,
      );
    for (const clause of ['fgmv46-7.4.3', 'fgmv46-7.4.4', 'fgmv46-7.4.5', 'gdpr-art33', 'ccpa-1798.130'])
      assert.ok(controls().some((c) => c.id === clause));
  });

  it('assessment results of a live store validate, and all is satisfied when all is well', async () => {
    const a = await assess(sources, { actor: 'auditor:test' });
    assert.ok(validateResults(a.document), JSON.stringify(validateResults.errors?.slice(0, 3)));
    assert.equal(a.notSatisfied, 0, JSON.stringify(a.checks.filter((c) => !c.satisfied)));
    // The evidence is proven against the checkpoint the document carries.
    assert.match(checkpointOf(a.document) ?? '', /^verity\.test\/log\n\d+\n/);
    const [entry] = await core.log.entries(a.logIndex, a.logIndex + 1);
    assert.match(new TextDecoder().decode(entry), /"action":"compliance\.assess"/);
    const full = await assess(sources, { actor: 'auditor:test', full: true });
    assert.ok(validateResults(full.document));
    assert.equal(full.notSatisfied, 0);
  });

  it('a broken document fails NIST’s schema', async () => {
    const a = await assess(sources, { actor: 'auditor:test' });
    const broken = structuredClone(a.document) as {
      'assessment-results': { uuid: string; results: { findings: { target: { status: { state: string } } }[] }[] };
    };
    const first = broken['assessment-results'].results[0]?.findings[0];
    assert.ok(first);
    first.target.status.state = 'mostly';
    assert.equal(validateResults(broken), false);
    const noUuid = structuredClone(a.document) as { 'assessment-results': Record<string, unknown> };
    delete noUuid['assessment-results']['uuid'];
    assert.equal(validateResults(noUuid), false);
    const badCatalog = oscalCatalog('2026-06-01T00:00:00Z') as { catalog: { groups: { id: string }[] } };
    (badCatalog.catalog.groups[0] as { id: string }).id = '7 not a token';
    assert.equal(validateCatalog(badCatalog), false);
  });

  it('findings follow what the checks measure', async () => {
    // A breach the controller became aware of 73 hours ago, the authority not notified.
    const inc = await incidents.open(
      {
        description: 'a leaked export',
        categories: ['dpv-pd:Contact'],
        awareAt: clock.now() - 73 * 3_600_000,
        detectedAt: clock.now() - 73 * 3_600_000,
      },
      { actor: 'operator:test' },
    );
    // An access request received and left unanswered past its deadline.
    await core.rights.requests.file({
      type: 'access',
      subjectRef: await core.vault.subjectRef('alice'),
      regime: 'gdpr',
      identity: { method: 'session' },
      actor: 'player:test',
    });
    clock.advance(400 * 24 * 3_600_000);
    let a = await assess(sources, { actor: 'auditor:test' });
    assert.ok(validateResults(a.document));
    let s = findingStates(a.document);
    assert.equal(s.get('gdpr-art33'), 'not-satisfied');
    assert.equal(s.get('gdpr-art12-3'), 'not-satisfied');
    assert.equal(s.get('fgmv46-7.1.1'), 'not-satisfied');
    assert.equal(s.get('fgmv46-7.4.5'), 'satisfied');
    // Put right: the breach notified (late, with reasons), the request refused with a reason, the KEK rotated.
    await incidents.notify(
      inc.id,
      { to: 'authority', reference: 'case-1', delayReason: 'found late' },
      { actor: 'operator:test' },
    );
    const [req] = await core.rights.requests.overdue();
    await core.rights.requests.refuse(req?.id as string, { reason: 'manifestly-unfounded' }, 'operator:test');
    await core.keys.rotateKek();
    a = await assess(sources, { actor: 'auditor:test' });
    s = findingStates(a.document);
    assert.equal(s.get('gdpr-art33'), 'satisfied');
    assert.equal(s.get('fgmv46-7.1.1'), 'satisfied');
  });

  it('a tampered log makes its controls not satisfied', async () => {
    const size = (await core.log.head()).size;
    await core.corruptEntry(size - 1, new TextEncoder().encode('{"v":1,"changed":true}'));
    const a = await assess(sources, { actor: 'auditor:test' });
    const c = a.checks.find((x) => x.id === 'log-integrity');
    assert.equal(c?.satisfied, false);
    assert.match(c?.measured ?? '', /VERITY_E_LOG_TAMPERED/);
    const s = findingStates(a.document);
    assert.equal(s.get('fgmv46-7.1.2'), 'not-satisfied');
    assert.equal(s.get('gdpr-art32'), 'not-satisfied');
  });
});
