// The privacy policy document: its JSON Schema and reference checks on good and bad documents
// (each refusal names the JSON pointer of the fault), regime selection by region, legal bases and
// consent modes, and a property test that no mutation of a valid document gets past the checks
// into a policy that names something it does not declare.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { DEFAULT_POLICIES } from '../access/index.ts';
import { isVerityError } from '../errors/index.ts';
import { DEFAULT_PRIVACY_POLICY, POLICY_SCHEMA, PrivacyPolicy } from './index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
// A JSON copy: the default shares its legal-basis objects between purposes.
const doc = () => JSON.parse(JSON.stringify(DEFAULT_PRIVACY_POLICY)) as Record<string, any>;

function refusedAt(input: unknown, pointer: string, message?: RegExp): void {
  assert.throws(
    () => PrivacyPolicy.parse(input),
    (e: unknown) =>
      isVerityError(e, 'VERITY_E_POLICY_DOCUMENT_INVALID') &&
      e.details?.['pointer'] === pointer &&
      (message === undefined || message.test(e.message)),
  );
}

describe('privacy policy documents', () => {
  const policy = PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY);

  it('the default policy is valid and declares every purpose Verity itself uses', () => {
    for (const p of [
      'service-provision',
      'user-request',
      'support',
      'legal-obligation',
      'authentication',
      'guardianship',
      'analytics',
      'research',
      'fraud-prevention',
      'audit',
      'accountability',
      'security',
      'retention',
      'administration',
      'key-management',
      'erasure-request',
      'sign-in',
      'marketing',
    ])
      assert.equal(policy.checkPurpose(p), p);
    assert.match(policy.hash, /^sha256:[A-Za-z0-9_-]{43}$/);
    // Every term is a DPV IRI under a declared prefix.
    assert.equal(policy.iri('dpv:ServiceProvision'), 'https://w3id.org/dpv#ServiceProvision');
  });

  it('its schema is a valid JSON Schema in strict mode (checked here, not at every start)', () => {
    const ajv = new Ajv({ strict: true });
    assert.equal(ajv.validateSchema(POLICY_SCHEMA), true, JSON.stringify(ajv.errors));
    assert.doesNotThrow(() => ajv.compile(POLICY_SCHEMA));
    // The shipped default is not run through the validator at start: it is checked here.
    assert.equal(ajv.validate(POLICY_SCHEMA, DEFAULT_PRIVACY_POLICY), true, JSON.stringify(ajv.errors));
    // The check can fail: a schema with an unknown type is refused.
    assert.equal(ajv.validateSchema({ type: 'text' }), false);
  });

  it('docs/examples hold the default policy and its schema as shipped', () => {
    const example = JSON.parse(readFileSync(join(ROOT, 'docs', 'examples', 'privacy-policy.json'), 'utf8'));
    assert.deepEqual(example, JSON.parse(JSON.stringify(DEFAULT_PRIVACY_POLICY)));
    const schema = JSON.parse(readFileSync(join(ROOT, 'docs', 'examples', 'privacy-policy.schema.json'), 'utf8'));
    assert.deepEqual(schema, JSON.parse(JSON.stringify(POLICY_SCHEMA)));
  });

  it('refuses a bad document naming the JSON pointer of the fault', () => {
    refusedAt('{"format":', '/', /not valid JSON/);
    refusedAt('{"format":"a","format":"b"}', '/', /twice/);
    refusedAt({ ...doc(), format: 'other/1' }, '/format');
    refusedAt({ ...doc(), extra: 1 }, '/', /extra/);
    refusedAt({ ...doc(), version: '' }, '/version');
    refusedAt({ ...doc(), defaultRegime: 'nope' }, '/defaultRegime');
    const d1 = doc();
    d1.regions['FR'] = 'nope';
    refusedAt(d1, '/regions/FR');
    const d2 = doc();
    delete d2.purposes['marketing'].legalBasis.lgpd;
    refusedAt(d2, '/purposes/marketing/legalBasis', /lgpd/);
    const d3 = doc();
    d3.purposes['marketing'].legalBasis.gdpr = 'vibes';
    refusedAt(d3, '/purposes/marketing/legalBasis/gdpr');
    const d4 = doc();
    d4.purposes['personalisation'].categories = ['profile', 'dreams'];
    refusedAt(d4, '/purposes/personalisation/categories/1');
    const d5 = doc();
    d5.categories['health'].dpv = 'xyz:Health';
    refusedAt(d5, '/categories/health/dpv', /prefix/);
    const d6 = doc();
    d6.categories['health'].retention = '2 years';
    refusedAt(d6, '/categories/health/retention');
    const d7 = doc();
    d7.transfers[0].recipient = 'nobody';
    refusedAt(d7, '/transfers/0/recipient');
    const d8 = doc();
    d8.regimes['lgpd'].consentAge.parentalBelow = 30;
    refusedAt(d8, '/regimes/lgpd/consentAge/parentalBelow');
    const d9 = doc();
    d9.regimes['lgpd'].consentAge.parentalBelow = 18;
    d9.regimes['lgpd'].consentAge.digital = 12;
    refusedAt(d9, '/regimes/lgpd/consentAge');
    refusedAt({ ...doc(), purposes: {} }, '/purposes');
    refusedAt('x'.repeat(2 * 1024 * 1024), '/', /limit/);
  });

  it('selects the regime from the declared region: subdivision, then country, then the default', () => {
    assert.equal(policy.regimeFor('US-CA'), 'ccpa');
    assert.equal(policy.regimeFor('US-NY'), 'gdpr', 'no regime for New York in the default policy: the default');
    assert.equal(policy.regimeFor('BR'), 'lgpd');
    assert.equal(policy.regimeFor('BR-SP'), 'lgpd');
    assert.equal(policy.regimeFor('DE'), 'gdpr');
    assert.equal(policy.regimeFor('NO'), 'gdpr');
    assert.equal(policy.regimeFor(undefined), 'gdpr');
    // Ages of digital consent: the regime's, varied by member state.
    assert.equal(policy.consentAge('DE'), 16);
    assert.equal(policy.consentAge('FR'), 15);
    assert.equal(policy.consentAge('BE'), 13);
    assert.equal(policy.consentAge('BR'), 18);
    assert.equal(policy.regime('lgpd').consentAge.parentalBelow, 12);
    assert.equal(policy.regime('ccpa').consentAge.saleOptInBelow, 16);
    // Deadlines: GDPR one month (+2), CCPA 45 days (+45), LGPD 15 days.
    assert.deepEqual(policy.regime('gdpr').deadline, { respondWithin: 'P1M', extendableBy: 'P2M' });
    assert.deepEqual(policy.regime('ccpa').deadline, { respondWithin: 'P45D', extendableBy: 'P45D' });
    assert.deepEqual(policy.regime('lgpd').deadline, { respondWithin: 'P15D', extendableBy: null });
  });

  it('the default Cedar policies name only purposes the default privacy policy declares', async () => {
    assert.deepEqual(policy.undeclaredPurposesIn(DEFAULT_POLICIES), []);
    assert.deepEqual(
      policy.undeclaredPurposesIn(
        'when { ["support", "telepathy"].contains(context.purpose) || context.purpose == "x" }',
      ),
      ['telepathy', 'x'],
    );
  });

  it('answers legal bases and consent modes per regime; special categories need explicit consent', () => {
    assert.equal(policy.legalBasis('service-provision', 'gdpr').dpv, 'eu-gdpr:A6-1-b');
    assert.equal(policy.legalBasis('personalisation', 'gdpr').dpv, 'eu-gdpr:A6-1-a');
    assert.equal(policy.consentMode('personalisation', 'lgpd'), 'opt-in');
    assert.equal(policy.consentMode('data-sale', 'ccpa'), 'opt-out');
    assert.equal(policy.consentMode('data-sale', 'gdpr'), 'opt-in');
    assert.equal(policy.consentMode('service-provision', 'gdpr'), undefined);
    assert.equal(policy.consentMode('service-provision', 'gdpr', 'health'), 'opt-in');
    assert.equal(policy.consentFree('service-provision'), true);
    assert.equal(policy.consentFree('data-sale'), false);
    assert.deepEqual(policy.salePurposes, ['data-sale', 'targeted-advertising']);
    // With an Art. 9 condition declared, that condition is the basis.
    const d = doc();
    d.purposes['legal-obligation'].specialCategoryCondition = { gdpr: 'legal-claims' };
    const p = PrivacyPolicy.parse(d);
    assert.equal(p.legalBasis('legal-obligation', 'gdpr', 'health').dpv, 'eu-gdpr:A9-2-f');
    assert.equal(p.consentMode('legal-obligation', 'gdpr', 'health'), undefined);
    assert.throws(
      () => policy.checkPurpose('mind-reading'),
      (e: unknown) => isVerityError(e, 'VERITY_E_POLICY_UNKNOWN_PURPOSE') && /service-provision/.test(e.message),
    );
  });

  it('never accepts a document that names what it does not declare (property)', () => {
    const names = ['gdpr', 'ccpa', 'lgpd', 'nope', 'health', 'profile', 'consent', 'contract', 'marketing', 'x'];
    const paths: ((d: Record<string, any>, v: string) => void)[] = [
      (d, v) => {
        d.defaultRegime = v;
      },
      (d, v) => {
        d.regions['IT'] = v;
      },
      (d, v) => {
        d.purposes['research'].legalBasis.gdpr = v;
      },
      (d, v) => {
        d.purposes['research'].categories = [v];
      },
      (d, v) => {
        d.recipients['hosting'].purposes = [v];
      },
      (d, v) => {
        d.transfers[0].from = [v];
      },
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths.keys()), fc.constantFrom(...names), (i, v) => {
        const d = doc();
        (paths[i] as (d: Record<string, any>, v: string) => void)(d, v);
        let p: PrivacyPolicy | undefined;
        try {
          p = PrivacyPolicy.parse(d);
        } catch (e) {
          assert.ok(isVerityError(e, 'VERITY_E_POLICY_DOCUMENT_INVALID'), String(e));
          return;
        }
        // Accepted: then every reference resolves.
        const x = p.document;
        assert.ok(Object.hasOwn(x.regimes, x.defaultRegime));
        for (const r of Object.values(x.regions)) assert.ok(Object.hasOwn(x.regimes, r));
        for (const [id, pp] of Object.entries(x.purposes)) {
          for (const r of p.regimes) assert.ok(p.legalBasis(id, r).dpv.length > 0);
          for (const c of pp.categories ?? []) assert.ok(Object.hasOwn(x.categories, c));
        }
      }),
      { numRuns: 200 },
    );
    // Arbitrary JSON is refused with the document error, never another.
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        assert.throws(
          () => PrivacyPolicy.parse(v),
          (e: unknown) => isVerityError(e, 'VERITY_E_POLICY_DOCUMENT_INVALID'),
        );
      }),
      { numRuns: 200 },
    );
  });
});
