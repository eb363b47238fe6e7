// Consent per subject and purpose (FGMV-46 7.4.1; ISO/IEC TS 27560 records) on both databases:
// grant, withdraw, refuse and their history, the state proof of the current state and the
// inclusion proof of every change, checked as a client would; policy versions installed and
// logged; regimes from declared regions; Global Privacy Control.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { verifyConsentProofs } from '../src/consent/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { DEFAULT_PRIVACY_POLICY, Privacy, PrivacyPolicy, proveConsents } from '../src/privacy/index.ts';
import { BACKENDS, makeCore, type TestCore } from './helpers/core.ts';

const policy = PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY);
const access = { actor: 'service:world' };

for (const backend of BACKENDS) {
  describe(`consent (${backend})`, () => {
    let core: TestCore;
    let privacy: Privacy;
    let alice: string;
    let carl: string;
    before(async () => {
      core = await makeCore(backend);
      privacy = await Privacy.open({ store: core.store, log: core.log, policy });
      alice = await core.vault.subjectRef('alice');
      carl = await core.vault.subjectRef('carl');
    });
    after(() => core.dispose());

    it('installs the policy once, logged with its hash; a changed document needs a new version', async () => {
      const versions = await privacy.installedVersions();
      assert.deepEqual(
        versions.map((v) => [v.version, v.hash]),
        [['1.0.0', policy.hash]],
      );
      const [entry] = await core.log.entries(versions[0]?.logIndex ?? -1, (versions[0]?.logIndex ?? -1) + 1);
      const e = decodeAuditEntry(entry as Uint8Array);
      assert.equal(e.action, 'privacy.policy');
      assert.equal(e.contentHash, policy.hash);
      // Opening again with the same document writes nothing.
      const size = (await core.log.head()).size;
      await Privacy.open({ store: core.store, log: core.log, policy });
      assert.equal((await core.log.head()).size, size);
      // The same version with other content is refused.
      const changed = PrivacyPolicy.parse({ ...DEFAULT_PRIVACY_POLICY, title: 'changed' });
      await assert.rejects(Privacy.open({ store: core.store, log: core.log, policy: changed }), (e: unknown) =>
        isVerityError(e, 'VERITY_E_POLICY_VERSION_CONFLICT'),
      );
      // A new version installs; the old one stays readable.
      const v2 = PrivacyPolicy.parse({ ...DEFAULT_PRIVACY_POLICY, version: '1.1.0', title: 'changed' });
      await Privacy.open({ store: core.store, log: core.log, policy: v2 });
      assert.deepEqual(
        (await privacy.installedVersions()).map((v) => v.version),
        ['1.0.0', '1.1.0'],
      );
      assert.equal(await privacy.installedDocument('1.0.0'), policy.canonical);
      // Back to 1.0.0 for the rest (allowed: it is installed with this content).
      await Privacy.open({ store: core.store, log: core.log, policy });
    });

    it('decisions read consent: needed and absent, given, withdrawn', async () => {
      assert.deepEqual(await privacy.consentFor(alice, 'personalisation'), { consent: 'denied', because: 'required' });
      // Consent does not bear on service provision: no read, `unknown`.
      assert.deepEqual(await privacy.consentFor(alice, 'service-provision'), { consent: 'unknown' });
      const g = await privacy.recordConsent(
        alice,
        { purpose: 'personalisation', status: 'given', method: 'web-form' },
        access,
      );
      assert.equal(g.record.status, 'given');
      assert.equal(g.record.givenAt, g.record.updatedAt);
      assert.equal(g.record.withdrawnAt, null);
      assert.equal(g.record.regime, 'gdpr');
      assert.deepEqual(await privacy.consentFor(alice, 'personalisation'), { consent: 'granted' });
      const w = await privacy.recordConsent(
        alice,
        { purpose: 'personalisation', status: 'withdrawn', method: 'api' },
        access,
      );
      assert.equal(w.record.consentId, g.record.consentId);
      assert.equal(w.record.changes, 2);
      assert.equal(w.record.givenAt, g.record.givenAt);
      assert.ok(w.record.withdrawnAt !== null);
      assert.deepEqual(await privacy.consentFor(alice, 'personalisation'), { consent: 'denied', because: 'required' });
      // The log entry names the consent id, never the player.
      const [entry] = await core.log.entries(w.logIndex, w.logIndex + 1);
      const text = new TextDecoder().decode(entry);
      assert.ok(!text.includes(alice));
      assert.match(text, /"action":"consent.record"/);
    });

    it('refuses unknown purposes and categories with the known ones, and bad input', async () => {
      await assert.rejects(
        privacy.recordConsent(alice, { purpose: 'mind-reading', status: 'given', method: 'api' }, access),
        (e: unknown) => isVerityError(e, 'VERITY_E_POLICY_UNKNOWN_PURPOSE') && /personalisation/.test(e.message),
      );
      await assert.rejects(
        privacy.recordConsent(
          alice,
          { purpose: 'marketing', category: 'dreams', status: 'given', method: 'api' },
          access,
        ),
        (e: unknown) => isVerityError(e, 'VERITY_E_POLICY_UNKNOWN_CATEGORY'),
      );
      await assert.rejects(
        privacy.recordConsent(alice, { purpose: 'marketing', status: 'maybe' as never, method: 'api' }, access),
        (e: unknown) => isVerityError(e, 'VERITY_E_INPUT_INVALID'),
      );
      await assert.rejects(
        privacy.recordConsent(alice, { purpose: 'marketing', status: 'given', method: 'Web Form' }, access),
        (e: unknown) => isVerityError(e, 'VERITY_E_INPUT_INVALID'),
      );
      await assert.rejects(
        privacy.recordConsent(
          alice,
          { purpose: 'marketing', status: 'given', method: 'api', policyVersion: '9.9' },
          access,
        ),
        (e: unknown) => isVerityError(e, 'VERITY_E_INPUT_INVALID') && /never installed/.test(e.message),
      );
    });

    it('special categories need explicit consent per category', async () => {
      assert.deepEqual(await privacy.consentFor(alice, 'service-provision', { category: 'health' }), {
        consent: 'denied',
        because: 'required',
      });
      await privacy.recordConsent(
        alice,
        { purpose: 'service-provision', category: 'health', status: 'given', method: 'web-form' },
        access,
      );
      assert.equal((await privacy.consentFor(alice, 'service-provision', { category: 'health' })).consent, 'granted');
    });

    it('regimes come from the declared region; GPC opts a CCPA player out of sale and sharing', async () => {
      assert.equal(await privacy.regimeOf(carl), 'gdpr');
      await privacy.declareRegion(carl, 'US-CA', access);
      assert.equal(await privacy.regimeOf(carl), 'ccpa');
      // CCPA: sale stands until the player opts out.
      assert.deepEqual(await privacy.consentFor(carl, 'data-sale'), { consent: 'unknown' });
      assert.deepEqual(await privacy.consentFor(carl, 'data-sale', { gpc: true }), {
        consent: 'denied',
        because: 'opted-out',
      });
      assert.deepEqual(await privacy.consentFor(carl, 'service-provision', { action: 'share', gpc: true }), {
        consent: 'denied',
        because: 'opted-out',
      });
      assert.equal(await privacy.honourGpc(carl, access), 2);
      assert.equal(await privacy.honourGpc(carl, access), 0, 'recorded once');
      const sale = await privacy.consent(carl, 'data-sale');
      assert.equal(sale?.method, 'gpc-signal');
      assert.equal(sale?.status, 'refused');
      assert.equal(sale?.regime, 'ccpa');
      // Without the header now, the recorded opt-out still holds.
      assert.deepEqual(await privacy.consentFor(carl, 'data-sale'), { consent: 'denied', because: 'opted-out' });
      // Under GDPR a GPC signal records nothing (sale needs consent there anyway).
      assert.equal(await privacy.honourGpc(alice, access), 0);
      assert.deepEqual(await privacy.consentFor(alice, 'data-sale'), { consent: 'denied', because: 'required' });
      await assert.rejects(privacy.declareRegion(carl, 'California', access), (e: unknown) =>
        isVerityError(e, 'VERITY_E_INPUT_INVALID'),
      );
    });

    it('the consent history is provable: state proofs of the current states, inclusion proofs of every change', async () => {
      const answer = await proveConsents(core.store, core.log, alice, policy.version);
      const checked = verifyConsentProofs(answer, alice, core.log.verifier, core.log.origin);
      const p = checked.consents.find((c) => c.record.purpose === 'personalisation');
      assert.equal(p?.record.status, 'withdrawn');
      assert.deepEqual(
        p?.history.map((h) => h.change.status),
        ['given', 'withdrawn'],
      );
      assert.equal(checked.consents.length, 2);
      // Another player's answer does not pass for Alice's.
      assert.throws(() => verifyConsentProofs(answer, carl, core.log.verifier), /another player/);
      // A changed state, a dropped change, a changed change: each refused.
      const first = answer.consents[0] as (typeof answer.consents)[0];
      const forged = { ...answer, consents: [{ ...first, body: first.body.replace('withdrawn', 'given') }] };
      assert.throws(
        () => verifyConsentProofs(forged, alice, core.log.verifier),
        (e: unknown) => isVerityError(e, 'VERITY_E_STATE_PROOF_INVALID'),
      );
      const dropped = { ...answer, history: answer.history.slice(1) };
      assert.throws(() => verifyConsentProofs(dropped, alice, core.log.verifier), /whole history|not its current/);
      const h0 = answer.history[0] as (typeof answer.history)[0];
      const changed = {
        ...answer,
        history: [
          { ...h0, item: { ...h0.item, change: { ...h0.item.change, method: 'forged' } } },
          ...answer.history.slice(1),
        ],
      };
      assert.throws(() => verifyConsentProofs(changed, alice, core.log.verifier), /does not commit/);
    });

    it('a withdrawal is seen by the next decision on another store of the same database', async () => {
      const other = await core.openStore();
      try {
        await other.migrate();
        const { TransparencyLog } = await import('../src/log/index.ts');
        const log2 = TransparencyLog.openReadOnly(other, {
          origin: core.log.origin,
          verifierKey: core.log.verifierKey,
        });
        const elsewhere = await Privacy.open({ store: other, log: log2, policy }).catch(() => undefined);
        // Read-only: the policy is installed already, so opening writes nothing.
        assert.ok(elsewhere !== undefined);
        await privacy.recordConsent(alice, { purpose: 'marketing', status: 'given', method: 'api' }, access);
        assert.equal((await elsewhere.consentFor(alice, 'marketing')).consent, 'granted');
        await privacy.recordConsent(alice, { purpose: 'marketing', status: 'withdrawn', method: 'api' }, access);
        assert.equal((await elsewhere.consentFor(alice, 'marketing')).consent, 'denied');
      } finally {
        await other.close();
      }
    });
  });
}
