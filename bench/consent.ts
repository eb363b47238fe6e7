// Consent at decision time (issue 12): what reading a player's consent from the authenticated
// store adds to an authorization decision, measured beside the same decisions without it, in one
// run. Target: at most 10 µs added at p99.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICIES, PolicyEngine, type PrincipalRef, recordResource } from '../src/access/index.ts';
import { DEFAULT_PRIVACY_POLICY, Privacy, PrivacyPolicy } from '../src/privacy/index.ts';
import { benchVerity, type Figure } from './core.ts';

const pct = (times: Float64Array, q: number) =>
  (times[Math.min(times.length - 1, Math.floor(q * times.length))] as number) * 1000;

export async function benchConsent(quick: boolean): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'verity-bench-consent-'));
  const v = await benchVerity(dir, 'consent', { unknownTypes: 'generic' });
  try {
    const privacy = await Privacy.open({
      store: v.store,
      log: v.log,
      policy: PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY),
    });
    const engine = PolicyEngine.load(DEFAULT_POLICIES);
    const players = quick ? 500 : 2000;
    const refs: string[] = [];
    for (let i = 0; i < players; i++) refs.push(await v.vault.subjectRef(`player-${i}`));
    // Half the players gave consent to personalisation, a tenth of those withdrew it since.
    await Promise.all(
      refs.map(async (ref, i) => {
        if (i % 2 !== 0) return;
        await privacy.recordConsent(
          ref,
          { purpose: 'personalisation', status: 'given', method: 'web-form' },
          { actor: 'service:bench' },
        );
        if (i % 20 === 0)
          await privacy.recordConsent(
            ref,
            { purpose: 'personalisation', status: 'withdrawn', method: 'web-form' },
            { actor: 'service:bench' },
          );
      }),
    );
    const world: PrincipalRef = { kind: 'service', id: 'world', recordTypes: ['avatar.profile'] };
    const n = quick ? 20_000 : 100_000;
    const plain = new Float64Array(n);
    const withConsent = new Float64Array(n);
    const consentFree = new Float64Array(n);
    const facts = { type: 'avatar.profile', category: 'profile', sensitivity: 'confidential' };
    // Warm both paths.
    for (let i = 0; i < 2000; i++) await privacy.consentFor(refs[i % players] as string, 'personalisation');
    for (let i = 0; i < n; i++) {
      const ref = refs[(i * 7919) % players] as string;
      const resource = recordResource(`rec-${i}`, { id: ref }, facts);
      // The decision alone, as before consent was read.
      let t = performance.now();
      engine.authorize(world, 'read', resource, { purpose: 'personalisation', time: Date.now() });
      plain[i] = performance.now() - t;
      // The same decision with the player's consent read from the store at decision time.
      t = performance.now();
      const c = await privacy.consentFor(ref, 'personalisation', { category: 'profile', action: 'read' });
      engine.authorize(world, 'read', resource, { purpose: 'personalisation', consent: c.consent, time: Date.now() });
      withConsent[i] = performance.now() - t;
      // A purpose consent never bears on (service provision): no read.
      t = performance.now();
      const f = await privacy.consentFor(ref, 'service-provision', { category: 'profile', action: 'read' });
      engine.authorize(world, 'read', resource, { purpose: 'service-provision', consent: f.consent, time: Date.now() });
      consentFree[i] = performance.now() - t;
    }
    for (const a of [plain, withConsent, consentFree]) a.sort();
    return [
      { name: 'consentDecisionP99Micros', value: pct(withConsent, 0.99), unit: 'µs' },
      { name: 'consentFreeDecisionP99Micros', value: pct(consentFree, 0.99), unit: 'µs' },
      { name: 'decisionWithoutConsentP99Micros', value: pct(plain, 0.99), unit: 'µs' },
      { name: 'consentAddedP99Micros', value: pct(withConsent, 0.99) - pct(plain, 0.99), unit: 'µs' },
      { name: 'consentAddedP50Micros', value: pct(withConsent, 0.5) - pct(plain, 0.5), unit: 'µs' },
    ];
  } finally {
    await v.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main)
  for (const f of await benchConsent(process.argv.includes('--quick'))) console.log(f.name, f.value.toFixed(2), f.unit);
