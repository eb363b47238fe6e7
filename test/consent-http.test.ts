// Consent over HTTP (FGMV-46 7.4.1): a withdrawal blocks the very next request that relied on it,
// unknown purposes are refused at the boundary with the known ones, `Sec-GPC: 1` opts a CCPA
// player out of sale and sharing, and a player's consent answer carries the evidence the SDK
// checks. On both databases.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { verifyConsentProofs } from '../src/consent/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { DEFAULT_PRIVACY_POLICY, Privacy, PrivacyPolicy } from '../src/privacy/index.ts';
import { ConsentClient, VerityClient } from '../src/sdk/index.ts';
import { buildServer } from '../src/server/index.ts';
import { BACKENDS, makeCore, type TestCore } from './helpers/core.ts';

type App = ReturnType<typeof buildServer>;

for (const backend of BACKENDS) {
  describe(`consent over HTTP (${backend})`, () => {
    let core: TestCore;
    let app: App;
    let url: string;
    const t: Record<string, string> = {};
    const auth = (token: string, extra: Record<string, string> = {}) => ({
      authorization: `Bearer ${token}`,
      ...extra,
    });
    const post = (token: string, path: string, payload: unknown, headers: Record<string, string> = {}) =>
      app.inject({ method: 'POST', url: path, headers: auth(token, headers), payload: payload as object });
    const code = (r: { json(): unknown }) => (r.json() as { error?: { code?: string } }).error?.code;

    before(async () => {
      core = await makeCore(backend);
      const privacy = await Privacy.open({
        store: core.store,
        log: core.log,
        policy: PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY),
      });
      // The defaults, and an advertising network that may read profiles for sale (CCPA: until the
      // player opts out).
      const engine = PolicyEngine.load(`${DEFAULT_POLICIES}
@id("adnet-reads-for-sale")
permit (principal == Verity::Service::"adnet", action == Verity::Action::"read", resource is Verity::Record)
when { principal.recordTypes.contains(resource.type) && context.purpose == "data-sale" };
`);
      app = buildServer({
        log: core.log,
        records: {
          vault: core.vault,
          tokens: new Tokens(core.store, core.log),
          sessions: new Sessions(core),
          policies: () => engine,
          privacy,
        },
      });
      url = await app.listen({ host: '127.0.0.1', port: 0 });
      const tokens = new Tokens(core.store, core.log);
      const make = async (name: string, recordTypes: string[], capabilities: string[] = []) => {
        t[name] = (
          await tokens.create({ principal: name, role: 'service', recordTypes, capabilities, actor: 'operator:test' })
        ).token;
      };
      await make('world', ['avatar.profile']);
      await make('consents', [], ['consent.record']);
      await make('platform', ['avatar.profile'], ['session.open']);
      await make('adnet', ['avatar.profile']);
    });
    after(async () => {
      await app.close();
      await core.dispose();
    });

    const session = async (player: string) => {
      const r = await post(t['platform'] as string, '/v1/sessions', { player, purpose: 'authentication' });
      assert.equal(r.statusCode, 201, r.body);
      return (r.json() as { token: string }).token;
    };

    it('a withdrawal blocks the very next request that relied on it', async () => {
      const w = t['world'] as string;
      const put = await post(w, '/v1/records', {
        subject: 'ada',
        type: 'avatar.profile',
        purpose: 'service-provision',
        data: { name: 'Ada' },
        classification: { category: 'profile' },
      });
      assert.equal(put.statusCode, 201, put.body);
      const id = (put.json() as { id: string }).id;
      const read = () => app.inject({ url: `/v1/records/${id}?purpose=personalisation`, headers: auth(w) });
      // Personalisation rests on consent (GDPR, the default regime): none yet.
      const before = await read();
      assert.equal(before.statusCode, 403);
      assert.equal(code(before), 'VERITY_E_CONSENT_REQUIRED');
      // Service provision (a contract) does not.
      assert.equal(
        (await app.inject({ url: `/v1/records/${id}?purpose=service-provision`, headers: auth(w) })).statusCode,
        200,
      );
      // The player gives consent in their own session.
      const ada = await session('ada');
      const g = await post(ada, '/v1/consent', {
        purpose: 'personalisation',
        status: 'given',
        method: 'in-world-dialog',
      });
      assert.equal(g.statusCode, 201, g.body);
      assert.equal((await read()).statusCode, 200);
      // Withdrawn: the very next read is refused.
      const wd = await post(ada, '/v1/consent', { purpose: 'personalisation', status: 'withdrawn' });
      assert.equal(wd.statusCode, 201, wd.body);
      const after = await read();
      assert.equal(after.statusCode, 403);
      assert.equal(code(after), 'VERITY_E_CONSENT_REQUIRED');
      assert.match((after.json() as { error: { message: string } }).error.message, /POST \/v1\/consent/);
      // Listing for personalisation is refused too (no record may be read without consent).
      const listed = await post(w, '/v1/records/query', { subject: 'ada', purpose: 'personalisation' });
      assert.equal(listed.statusCode, 403);
    });

    it('an unknown purpose is refused at the boundary with the known ones', async () => {
      const r = await post(t['world'] as string, '/v1/records/query', { subject: 'ada', purpose: 'mind-reading' });
      assert.equal(r.statusCode, 400);
      assert.equal(code(r), 'VERITY_E_POLICY_UNKNOWN_PURPOSE');
      assert.match(r.body, /service-provision/);
      const c = await post(t['world'] as string, '/v1/records', {
        subject: 'ada',
        type: 'avatar.profile',
        purpose: 'service-provision',
        data: {},
        classification: { category: 'dreams' },
      });
      assert.equal(code(c), 'VERITY_E_POLICY_UNKNOWN_CATEGORY');
      const k = await post(await session('ada'), '/v1/consent', { purpose: 'mind-reading', status: 'given' });
      assert.equal(code(k), 'VERITY_E_POLICY_UNKNOWN_PURPOSE');
    });

    it('a service records consent only with `consent.record`; a player only their own', async () => {
      const denied = await post(t['world'] as string, '/v1/consent', {
        subject: 'bo',
        purpose: 'marketing',
        status: 'given',
      });
      assert.equal(denied.statusCode, 403);
      assert.match(denied.body, /consent\.record/);
      const ok = await post(t['consents'] as string, '/v1/consent', {
        subject: 'bo',
        purpose: 'marketing',
        status: 'given',
        method: 'web-form',
        region: 'BR',
      });
      assert.equal(ok.statusCode, 201, ok.body);
      assert.equal((ok.json() as { record: { regime: string } }).record.regime, 'lgpd');
      // D434: the service does not move the player's regime afterwards, names no code of no
      // country, and claims neither of Verity's own collection methods.
      const moved = await post(t['consents'] as string, '/v1/consent', {
        subject: 'bo',
        purpose: 'marketing',
        status: 'given',
        method: 'web-form',
        region: 'US-CA',
      });
      assert.equal(moved.statusCode, 403, moved.body);
      assert.match(moved.body, /declared region is recorded already/);
      const nowhere = await post(t['consents'] as string, '/v1/consent', {
        subject: 'cy',
        purpose: 'marketing',
        status: 'given',
        region: 'XX',
      });
      assert.equal(nowhere.statusCode, 400, nowhere.body);
      for (const method of ['operator-recorded', 'gpc-signal']) {
        const claimed = await post(t['consents'] as string, '/v1/consent', {
          subject: 'bo',
          purpose: 'marketing',
          status: 'given',
          method,
        });
        assert.equal(claimed.statusCode, 403, claimed.body);
      }
      const bo = await session('bo');
      // Nor through a session it opened (D434): the player changes it signed in themselves.
      const vouched = await post(bo, '/v1/consent', { purpose: 'marketing', status: 'given', region: 'US-CA' });
      assert.equal(vouched.statusCode, 403, vouched.body);
      const other = await post(bo, '/v1/consent', { subject: 'ada', purpose: 'marketing', status: 'given' });
      assert.equal(other.statusCode, 400);
      const q = await post(t['consents'] as string, '/v1/consent/query', { subject: 'bo' });
      assert.equal(q.statusCode, 200);
      const ref = await core.vault.subjectRef('bo');
      const v = verifyConsentProofs(q.json() as never, ref, core.log.verifier, core.log.origin);
      assert.deepEqual(
        v.consents.map((c) => [c.record.purpose, c.record.status]),
        [['marketing', 'given']],
      );
    });

    it('Sec-GPC: 1 from a CCPA player opts them out of sale and sharing, recorded once', async () => {
      const cy = await session('cy');
      await post(cy, '/v1/consent', { purpose: 'service-provision', status: 'given', region: 'US-CA' });
      const r = await app.inject({ url: '/v1/consent', headers: auth(cy, { 'sec-gpc': '1' }) });
      assert.equal(r.statusCode, 200, r.body);
      const ref = await core.vault.subjectRef('cy');
      const v = verifyConsentProofs(r.json() as never, ref, core.log.verifier, core.log.origin);
      const sale = v.consents.find((c) => c.record.purpose === 'data-sale');
      assert.equal(sale?.record.method, 'gpc-signal');
      assert.equal(sale?.record.status, 'refused');
      assert.ok(v.consents.some((c) => c.record.purpose === 'targeted-advertising'));
      // A service's request carrying the header (relayed from the player's browser) cannot sell,
      // where the same request without it may (CCPA: sale stands until the player opts out).
      const put = await post(t['world'] as string, '/v1/records', {
        subject: 'dee',
        type: 'avatar.profile',
        purpose: 'service-provision',
        data: {},
      });
      await post(t['consents'] as string, '/v1/consent', {
        subject: 'dee',
        purpose: 'service-provision',
        status: 'given',
        region: 'US-CA',
      });
      const id = (put.json() as { id: string }).id;
      const adnet = t['adnet'] as string;
      const sell = (headers: Record<string, string>) =>
        app.inject({ url: `/v1/records/${id}?purpose=data-sale`, headers: auth(adnet, headers) });
      assert.equal((await sell({})).statusCode, 200);
      const sold = await sell({ 'sec-gpc': '1' });
      assert.equal(sold.statusCode, 403);
      assert.equal(code(sold), 'VERITY_E_CONSENT_OPTED_OUT');
      // A player not under CCPA (GDPR by default) never gave consent to sale: refused as such.
      const put2 = await post(t['world'] as string, '/v1/records', {
        subject: 'eu-player',
        type: 'avatar.profile',
        purpose: 'service-provision',
        data: {},
      });
      const eu = await app.inject({
        url: `/v1/records/${(put2.json() as { id: string }).id}?purpose=data-sale`,
        headers: auth(adnet),
      });
      assert.equal(code(eu), 'VERITY_E_CONSENT_REQUIRED');
      // An operator of the world (no permit for sale at all) is refused by the policies, not consent.
      const world = await app.inject({
        url: `/v1/records/${id}?purpose=data-sale`,
        headers: auth(t['world'] as string),
      });
      assert.equal(code(world), 'VERITY_E_ACCESS_DENIED');
    });

    it('the SDK records consent and checks the evidence of every consent and change', async () => {
      const token = await session('eve');
      const sdk = new ConsentClient(new VerityClient({ url, token, verifierKey: core.log.verifierKey }), {
        sessionToken: token,
      });
      const r = await sdk.record({ purpose: 'personalisation', status: 'given', method: 'web-form' });
      assert.equal(r.record.status, 'given');
      await sdk.record({ purpose: 'personalisation', status: 'withdrawn' });
      const mine = await sdk.list();
      const p = mine.consents.find((c) => c.record.purpose === 'personalisation');
      assert.equal(p?.record.status, 'withdrawn');
      assert.equal(p?.history.length, 2);
      assert.equal(mine.subjectRef, r.record.subjectRef);
    });
  });
}
