// Community governance through the HTTP API (FGMV-46 7.4.3, 7.4.5), on SQLite and PostgreSQL, with
// a fake clock: a partner proposes a new privacy policy version; players signed in with passkeys
// and a member presenting a membership credential vote, once per person whatever the proof; the
// tally is recounted from the log with proofs (and a changed or dropped vote is caught); the
// adopted proposal waits out its timelock, is enacted, and the new version is the policy in force:
// a purpose it adds is refused before and accepted after, and it survives a restart on the old file.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { fixedClock } from '../src/clock/index.ts';
import { DidWebIdentities } from '../src/did/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { Governance, governanceDocument, type TallyEvidence, verifyTally, voteNonce } from '../src/governance/index.ts';
import { decodeStateEntry } from '../src/log/index.ts';
import { Passkeys } from '../src/passkeys/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { DEFAULT_PRIVACY_POLICY, Privacy, PrivacyPolicy } from '../src/privacy/index.ts';
import { buildServer } from '../src/server/index.ts';
import {
  Credentials,
  cryptoKeySigner,
  PresentationVerifier,
  type PrivateCryptoKey,
  presentSdJwt,
  TrustList,
} from '../src/vc/index.ts';
import { SoftAuthenticator } from './helpers/authenticator.ts';
import { BACKENDS, makeCore, type TestCore } from './helpers/core.ts';

const ORIGIN = 'https://play.example.com';
const HOUR = 3_600_000;
const AUDIENCE = 'https://verity.test';

/** The default policy with one purpose more, as version 1.1.0. */
function nextPolicy(): Record<string, unknown> {
  const d = JSON.parse(JSON.stringify(DEFAULT_PRIVACY_POLICY)) as {
    version: string;
    purposes: Record<string, unknown>;
  };
  d.version = '1.1.0';
  d.purposes['community-events'] = {
    ...(d.purposes['marketing'] as object),
    description: 'inviting the player to community events, with their consent',
  };
  return d;
}

for (const backend of BACKENDS)
  describe(`governance over HTTP (${backend})`, () => {
    const clock = fixedClock(Date.now());
    let core: TestCore;
    let app: ReturnType<typeof buildServer>;
    let privacy: Privacy;
    let governance: Governance;
    let passkeys: Passkeys;
    let sessions: Sessions;
    let credentials: Credentials;
    let svc: Awaited<ReturnType<Tokens['authenticate']>>;
    const device = new SoftAuthenticator();
    const tok: Record<string, string> = {};
    let proposal = '';
    let evidence: TallyEvidence;

    const call = (method: string, url: string, token: string | undefined, payload?: unknown) =>
      app.inject({
        method: method as 'GET',
        url,
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    const codeOf = (r: { json(): unknown }) => {
      const e = (r.json() as { error?: { code?: string; message?: string } }).error;
      if (process.env['DEBUG_GOV']) console.log(e);
      return e?.code;
    };

    /** A player signed in with a passkey (registered in a session a service opened first). */
    const passkeyPlayer = async (name: string): Promise<string> => {
      const ref = await core.vault.subjectRef(name);
      const s = await sessions.open(svc, ref, { actor: svc.actor, purpose: 'authentication' });
      const r = { via: 'session' as const, subjectRef: ref, sessionId: s.id };
      const reg = await passkeys.register(r, device.create(await passkeys.registrationOptions(r), { origin: ORIGIN }));
      const signed = await passkeys.signIn(
        device.get(await passkeys.signInOptions(), { origin: ORIGIN, credentialId: reg.id }),
      );
      return signed.token;
    };

    let holder: { jwk: JWK; sign: (b: Uint8Array) => Promise<Uint8Array> };
    const membership = async (name: string) =>
      (
        await credentials.issue(
          {
            type: 'membership',
            subjectRef: await core.vault.subjectRef(name),
            holderJwk: holder.jwk,
            claims: { platform: 'world-1' },
          },
          { actor: 'service:world' },
        )
      ).sdJwt;
    const present = (sdJwt: string, choice: string) =>
      presentSdJwt(sdJwt, () => false, {
        alg: 'ES256',
        sign: holder.sign,
        audience: AUDIENCE,
        nonce: voteNonce(proposal, choice),
      });

    before(async () => {
      core = await makeCore(backend, { clock });
      const tokens = new Tokens(core.store, core.log, clock);
      sessions = new Sessions({ keys: core.keys, store: core.store, log: core.log, clock });
      passkeys = new Passkeys({
        store: core.store,
        log: core.log,
        keys: core.keys,
        sessions,
        // Its players enrol passkeys in sessions their platform opened, trusted to (D432: `full`).
        config: { rpId: 'play.example.com', rpName: 'Verity test', origins: [ORIGIN], vouchedEnrollment: 'full' },
        clock,
      });
      privacy = await Privacy.open({
        store: core.store,
        log: core.log,
        policy: PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY),
        clock,
      });
      const ids = new DidWebIdentities({ keys: core.keys, store: core.store, log: core.log, host: 'verity.test' });
      const issuer = ids.didFor();
      await ids.ensure(issuer, { actor: 'operator:test' });
      credentials = new Credentials({
        store: core.store,
        log: core.log,
        identities: ids,
        issuer,
        statusBase: 'https://verity.test/v1/status-lists',
        clock,
      });
      const verifier = new PresentationVerifier({
        identities: ids,
        issuer,
        trust: new TrustList({ store: core.store, log: core.log }),
        credentials,
        clock,
      });
      governance = new Governance({
        store: core.store,
        log: core.log,
        keys: core.keys,
        privacy,
        clock,
        document: governanceDocument({ votingPeriodMs: HOUR, timelockMs: 2 * HOUR, quorum: 3 }),
        credentials: { verifier, issued: credentials, audience: AUDIENCE },
      });
      const engine = PolicyEngine.load(DEFAULT_POLICIES);
      app = buildServer({
        log: core.log,
        records: { vault: core.vault, tokens, sessions, policies: () => engine, privacy, clock },
        passkeys,
        governance,
        reports: { store: core.store },
        compliance: {
          store: core.store,
          keys: core.keys,
          clock,
          privacy,
          rights: core.rights,
          retention: core.retention,
          governance,
        },
      });
      const make = async (principal: string, role: 'service' | 'operator' | 'auditor', capabilities: string[]) =>
        (await tokens.create({ principal, role, capabilities, actor: 'operator:test' })).token;
      tok['world'] = await make('world', 'service', ['session.open', 'consent.record']);
      tok['partner'] = await make('partner', 'service', ['governance.partner']);
      tok['plainService'] = await make('plain', 'service', []);
      tok['operator'] = await make('ops', 'operator', ['governance.operate']);
      tok['auditor'] = await make('audit', 'auditor', ['compliance.read']);
      svc = await tokens.authenticate(tok['world'] as string);
      const kp = await generateKeyPair('ES256', { extractable: true });
      holder = {
        jwk: (await exportJWK(kp.publicKey)) as JWK,
        sign: cryptoKeySigner(kp.privateKey as PrivateCryptoKey, 'ES256'),
      };
      for (const name of ['alice', 'bob', 'carol']) tok[name] = await passkeyPlayer(name);
      // Erin's session was opened by a service: she is not a verified person for voting.
      tok['erin'] = (
        await sessions.open(svc, await core.vault.subjectRef('erin'), { actor: svc.actor, purpose: 'authentication' })
      ).token;
    });
    after(async () => {
      await passkeys?.close();
      await core?.dispose();
    });

    it('publishes the governance document; feedback is given by role and logged without its text', async () => {
      const d = await call('GET', '/v1/governance', undefined);
      assert.equal(d.statusCode, 200);
      assert.deepEqual(d.json().roles.player.rights, ['feedback', 'vote']);
      assert.match(d.json().hash, /^sha256:/);
      const f = await call('POST', '/v1/governance/feedback', tok['alice'], {
        topic: 'marketing',
        text: 'please ask less often about marketing',
      });
      assert.equal(f.statusCode, 201, f.body);
      assert.equal(f.json().role, 'player');
      const none = await call('POST', '/v1/governance/feedback', tok['plainService'], { topic: 'general', text: 'hi' });
      assert.equal(none.statusCode, 403);
      assert.equal(codeOf(none), 'VERITY_E_GOVERNANCE_ROLE');
      const list = await call('GET', '/v1/governance/feedback', tok['partner']);
      assert.equal(list.json().length, 1);
    });

    it('a partner proposes a new policy version; a player may not propose', async () => {
      const denied = await call('POST', '/v1/governance/proposals', tok['alice'], {
        title: 'x',
        rationale: 'y',
        policy: nextPolicy(),
      });
      assert.equal(codeOf(denied), 'VERITY_E_GOVERNANCE_ROLE');
      const bad = await call('POST', '/v1/governance/proposals', tok['partner'], {
        title: 'x',
        rationale: 'y',
        policy: { version: '2' },
      });
      assert.equal(codeOf(bad), 'VERITY_E_POLICY_DOCUMENT_INVALID');
      const r = await call('POST', '/v1/governance/proposals', tok['partner'], {
        title: 'Community events',
        rationale: 'Invite players to events, only with their consent',
        policy: nextPolicy(),
      });
      assert.equal(r.statusCode, 201, r.body);
      proposal = r.json().id;
      assert.equal(r.json().status, 'open');
      assert.equal(r.json().change.version, '1.1.0');
      const shown = (await call('GET', `/v1/governance/proposals/${proposal}`, undefined)).json();
      assert.equal(shown.id, proposal);
      assert.equal(shown.change.document.version, '1.1.0');
      assert.ok(shown.change.document.purposes['community-events']);
    });

    it('only verified persons vote, once each, whichever proof they bring', async () => {
      const vote = (token: string | undefined, body: object) =>
        call('POST', `/v1/governance/proposals/${proposal}/votes`, token, body);
      assert.equal((await vote(tok['alice'], { choice: 'yes' })).statusCode, 201);
      assert.equal(codeOf(await vote(tok['alice'], { choice: 'no' })), 'VERITY_E_GOVERNANCE_ALREADY_VOTED');
      // Alice's membership credential is the same person: refused too.
      const aliceVc = await membership('alice');
      assert.equal(
        codeOf(await vote(undefined, { choice: 'no', presentation: await present(aliceVc, 'no') })),
        'VERITY_E_GOVERNANCE_ALREADY_VOTED',
      );
      assert.equal(codeOf(await vote(tok['erin'], { choice: 'yes' })), 'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED');
      assert.equal(codeOf(await vote(tok['partner'], { choice: 'yes' })), 'VERITY_E_GOVERNANCE_ROLE');
      assert.equal(codeOf(await vote(undefined, { choice: 'yes' })), 'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED');
      // Dave has no passkey: his membership credential makes him a verified person. The key binding's
      // nonce binds the choice: a presentation made for `no` does not cast `yes`.
      const daveVc = await membership('dave');
      assert.equal(
        codeOf(await vote(undefined, { choice: 'yes', presentation: await present(daveVc, 'no') })),
        'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED',
      );
      const d = await vote(undefined, { choice: 'yes', presentation: await present(daveVc, 'yes') });
      assert.equal(d.statusCode, 201, d.body);
      // A second credential of Dave's is still Dave.
      const dave2 = await membership('dave');
      assert.equal(
        codeOf(await vote(undefined, { choice: 'no', presentation: await present(dave2, 'no') })),
        'VERITY_E_GOVERNANCE_ALREADY_VOTED',
      );
      // An issuer's credentials for other ids bound to the same key are the same voter (D435).
      const ghost = await membership('ghost-1');
      assert.equal(
        codeOf(await vote(undefined, { choice: 'yes', presentation: await present(ghost, 'yes') })),
        'VERITY_E_GOVERNANCE_ALREADY_VOTED',
      );
      assert.equal((await vote(tok['bob'], { choice: 'yes' })).statusCode, 201);
      assert.equal((await vote(tok['carol'], { choice: 'no' })).statusCode, 201);
      // Every refusal above is in the log as a denial, with its code and no voter (D433).
      const denied = (await core.log.entries(0, (await core.log.head()).size))
        .filter((e) => decodeStateEntry(e) === undefined)
        .map((e) => decodeAuditEntry(e))
        .filter((e) => e.action === 'governance.vote' && e.outcome === 'denied');
      assert.deepEqual(
        denied.map((e) => e.details?.['reason']),
        [
          'VERITY_E_GOVERNANCE_ALREADY_VOTED',
          'VERITY_E_GOVERNANCE_ALREADY_VOTED',
          'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED',
          'VERITY_E_GOVERNANCE_ROLE',
          'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED',
          'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED',
          'VERITY_E_GOVERNANCE_ALREADY_VOTED',
          'VERITY_E_GOVERNANCE_ALREADY_VOTED',
        ],
      );
      for (const e of denied) assert.equal(e.details?.['voter'], undefined);
      // Voter pseudonyms differ per person and say nothing about who.
      const text = await logText(core);
      for (const name of ['alice', 'bob', 'carol', 'dave']) {
        // The name as a word, not inside base64 (a random root once held `bob`: a flaky run).
        assert.doesNotMatch(text, new RegExp(`(?<![A-Za-z0-9+/_-])${name}(?![A-Za-z0-9+/_-])`));
        assert.doesNotMatch(text, new RegExp(await core.vault.subjectRef(name)));
      }
      assert.doesNotMatch(text, /ask less often/);
    });

    it('closes after the voting period: adopted, with a tally anyone recounts from the log', async () => {
      assert.equal(
        codeOf(await call('POST', `/v1/governance/proposals/${proposal}/close`, tok['operator'])),
        'VERITY_E_GOVERNANCE_STATE',
      );
      clock.advance(HOUR);
      const late = {
        kind: 'session' as const,
        subjectRef: await core.vault.subjectRef('frank'),
        method: 'passkey',
        actor: 'player:late',
      };
      await assert.rejects(governance.vote(proposal, 'yes', late, 'player:late'), (e: unknown) =>
        isVerityError(e, 'VERITY_E_GOVERNANCE_STATE'),
      );
      assert.equal(
        codeOf(await call('POST', `/v1/governance/proposals/${proposal}/close`, tok['partner'])),
        'VERITY_E_GOVERNANCE_ROLE',
      );
      const c = await call('POST', `/v1/governance/proposals/${proposal}/close`, tok['operator']);
      assert.equal(c.statusCode, 200, c.body);
      assert.equal(c.json().status, 'adopted');
      assert.deepEqual([c.json().tally.yes, c.json().tally.no, c.json().tally.abstain], [3, 1, 0]);
      const t = await call('GET', `/v1/governance/proposals/${proposal}/tally`, undefined);
      assert.equal(t.statusCode, 200);
      evidence = t.json();
      const v = verifyTally(evidence, core.log.verifierKey);
      assert.deepEqual([v.yes, v.no, v.outcome], [3, 1, 'adopted']);
    });

    it('refuses a tally whose evidence was changed', () => {
      const refused = (ev: TallyEvidence) =>
        assert.throws(
          () => verifyTally(ev, core.log.verifierKey),
          (e: unknown) => isVerityError(e, 'VERITY_E_GOVERNANCE_TALLY_INVALID'),
        );
      refused({ ...evidence, votes: evidence.votes.slice(1) });
      refused({ ...evidence, votes: [...evidence.votes, evidence.votes[0] as TallyEvidence['votes'][number]] });
      const v0 = evidence.votes[0] as TallyEvidence['votes'][number];
      const changed = Buffer.from(v0.entry, 'base64').toString().replace('"yes"', '"no"');
      refused({
        ...evidence,
        votes: [{ ...v0, entry: Buffer.from(changed).toString('base64') }, ...evidence.votes.slice(1)],
      });
      refused({ ...evidence, checkpoint: evidence.checkpoint.replace(/\n\n.*/s, '\n\n— verity.test/log AAAA\n') });
      refused({ ...evidence, proposal: 'gp_AAAAAAAAAAAAAAAAAAAAAA' });
    });

    it('waits out the timelock, then enacts: the new version is the policy in force', async () => {
      const fresh = async () =>
        (
          await sessions.open(svc, await core.vault.subjectRef('alice'), {
            actor: svc.actor,
            purpose: 'authentication',
          })
        ).token;
      let consentTok = await fresh();
      const consent = () =>
        call('POST', '/v1/consent', consentTok, { purpose: 'community-events', status: 'given', method: 'web-form' });
      assert.equal(codeOf(await consent()), 'VERITY_E_POLICY_UNKNOWN_PURPOSE');
      assert.equal(
        codeOf(await call('POST', `/v1/governance/proposals/${proposal}/enact`, tok['operator'])),
        'VERITY_E_GOVERNANCE_TIMELOCK',
      );
      clock.advance(2 * HOUR);
      consentTok = await fresh();
      const e = await call('POST', `/v1/governance/proposals/${proposal}/enact`, tok['operator']);
      assert.equal(e.statusCode, 200, e.body);
      assert.equal(e.json().status, 'enacted');
      assert.equal(privacy.policy.version, '1.1.0');
      assert.deepEqual(await privacy.inForce().then((x) => [x?.version, x?.enactedBy]), ['1.1.0', proposal]);
      const ok = await consent();
      assert.equal(ok.statusCode, 201, ok.body);
      // Too late to cancel once enacted.
      assert.equal(
        codeOf(await call('POST', `/v1/governance/proposals/${proposal}/cancel`, tok['operator'], { reason: 'late' })),
        'VERITY_E_GOVERNANCE_STATE',
      );
      // A restart on the old policy file keeps the enacted version in force.
      const again = await Privacy.open({
        store: core.store,
        log: core.log,
        policy: PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY),
        clock,
      });
      assert.equal(again.policy.version, '1.1.0');
      // Every step is in the log, in order (the refused votes beside them are denials: D433).
      const text = (await logText(core))
        .split('\n')
        .filter((l) => !l.includes('"outcome":"denied"'))
        .join('\n');
      const steps = [...text.matchAll(/"action":"(governance\.[a-z]+|privacy\.policy)"/g)].map((m) => m[1]);
      assert.deepEqual(steps.slice(-8), [
        'governance.propose',
        'governance.vote',
        'governance.vote',
        'governance.vote',
        'governance.vote',
        'governance.tally',
        'privacy.policy',
        'governance.enact',
      ]);
    });

    it('an adopted proposal can be cancelled in its timelock, by the operator only', async () => {
      const p = nextPolicy();
      (p as { version: string }).version = '1.2.0';
      const r = await call('POST', '/v1/governance/proposals', tok['operator'], {
        title: 't',
        rationale: 'r',
        policy: p,
      });
      const id = r.json().id as string;
      for (const name of ['alice', 'bob', 'carol']) tok[name] = await passkeyPlayer(name);
      for (const name of ['alice', 'bob', 'carol'])
        assert.equal(
          (await call('POST', `/v1/governance/proposals/${id}/votes`, tok[name], { choice: 'yes' })).statusCode,
          201,
        );
      clock.advance(HOUR);
      assert.equal(
        (await call('POST', `/v1/governance/proposals/${id}/close`, tok['operator'])).json().status,
        'adopted',
      );
      assert.equal(
        codeOf(await call('POST', `/v1/governance/proposals/${id}/cancel`, tok['partner'], { reason: 'no' })),
        'VERITY_E_GOVERNANCE_ROLE',
      );
      const c = await call('POST', `/v1/governance/proposals/${id}/cancel`, tok['operator'], {
        reason: 'conflicts with a legal obligation',
      });
      assert.equal(c.json().status, 'cancelled');
      clock.advance(2 * HOUR);
      assert.equal(
        codeOf(await call('POST', `/v1/governance/proposals/${id}/enact`, tok['operator'])),
        'VERITY_E_GOVERNANCE_STATE',
      );
      assert.equal(privacy.policy.version, '1.1.0');
    });

    it('serves compliance evidence to a token granted compliance.read only', async () => {
      assert.equal((await call('GET', '/v1/compliance/oscal', tok['operator'])).statusCode, 403);
      const player = (
        await sessions.open(svc, await core.vault.subjectRef('alice'), { actor: svc.actor, purpose: 'authentication' })
      ).token;
      assert.equal((await call('GET', '/v1/compliance/oscal', player)).statusCode, 403);
      const r = await call('GET', '/v1/compliance/oscal', tok['auditor']);
      assert.equal(r.statusCode, 200, r.body);
      const findings = r.json()['assessment-results'].results[0].findings as {
        target: { 'target-id': string; status: { state: string } };
      }[];
      const f = findings.find((x) => x.target['target-id'] === 'fgmv46-7.4.5_smt');
      assert.equal(f?.target.status.state, 'satisfied');
      assert.match(String(r.headers['verity-log-index']), /^\d+$/);
      assert.equal((await call('GET', '/v1/compliance/catalog', tok['auditor'])).json().catalog.groups.length, 3);
    });
  });

async function logText(core: TestCore): Promise<string> {
  const size = (await core.log.head()).size;
  return (await core.log.entries(0, size)).map((e) => new TextDecoder().decode(e)).join('\n');
}
