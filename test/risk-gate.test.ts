// The risk of a sign-in reaches the access decisions: the score of a passkey sign-in is signed into
// the session token; over HTTP a high score demands a step-up (VERITY_E_STEP_UP_REQUIRED, 401) that a
// fresh passkey assertion on the session satisfies, a very high one is denied, a low one passes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { fromBase64Url } from '../src/encoding/index.ts';
import type { Passkeys } from '../src/passkeys/index.ts';
import type { Sessions } from '../src/principals/index.ts';
import { RiskScorer } from '../src/risk/index.ts';
import type { buildServer } from '../src/server/index.ts';
import { SoftAuthenticator } from './helpers/authenticator.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { PASSKEY_ORIGIN, servePasskeys } from './helpers/server.ts';

const ORIGIN = PASSKEY_ORIGIN;

/** A scorer whose next answers the test sets: the plumbing under test, not the model. */
class SetScorer {
  next = 0;
  readonly seen: Record<string, unknown>[] = [];
  score(event: unknown): { score: number } {
    this.seen.push(event as Record<string, unknown>);
    return { score: this.next };
  }
}

describe('sign-in risk in access decisions', () => {
  let core: TestCore;
  let sessions: Sessions;
  let passkeys: Passkeys;
  let app: ReturnType<typeof buildServer>;
  let url: string;
  const scorer = new SetScorer();
  const device = new SoftAuthenticator();
  let credId: string;
  let record: string;

  before(async () => {
    core = await makeCore('sqlite');
    let vouch: (player: string) => Promise<{ id: string }>;
    ({ app, url, sessions, passkeys, vouch } = await servePasskeys(core, { scorer }));
    const alice = await core.vault.subjectRef('alice');
    record = (
      await core.vault.put({
        actor: 'service:game',
        purpose: 'service-provision',
        subject: 'alice',
        type: 'profile',
        data: { name: 'Alice' },
      })
    ).id;
    // Alice's passkey, registered in a session a service opened for her.
    const first = await vouch('alice');
    const r = { via: 'session' as const, subjectRef: alice, sessionId: first.id };
    credId = (await passkeys.register(r, device.create(await passkeys.registrationOptions(r), { origin: ORIGIN }))).id;
  });
  after(async () => {
    await app?.close();
    await passkeys?.close();
    await core?.dispose();
  });

  /** Signs Alice in by passkey over HTTP with the scorer answering `score`. */
  const signIn = async (score: number) => {
    scorer.next = score;
    const options = (await (
      await fetch(`${url}/v1/signin/passkey/options`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      })
    ).json()) as PublicKeyCredentialRequestOptionsJSON;
    const res = await fetch(`${url}/v1/signin/passkey`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'test-browser/1.0' },
      body: JSON.stringify({ credential: device.get(options, { origin: ORIGIN, credentialId: credId }) }),
    });
    assert.equal(res.status, 201);
    return (await res.json()) as { id: string; token: string };
  };
  const read = (token: string) =>
    fetch(`${url}/v1/records/${record}?purpose=service-provision`, { headers: { authorization: `Bearer ${token}` } });

  it('signs the sign-in risk into the session token and scores the device by a digest only', async () => {
    const s = await signIn(0.42);
    const claims = JSON.parse(new TextDecoder().decode(fromBase64Url(s.token.split('.')[1] as string)));
    assert.equal(claims.rsk, 42);
    const event = scorer.seen.at(-1) as Record<string, unknown>;
    assert.equal(event['action'], 'signin');
    assert.equal(event['success'], true);
    assert.equal(typeof event['ip'], 'string');
    assert.notEqual(event['device'], 'test-browser/1.0');
    assert.equal((await read(s.token)).status, 200);
    // A changed risk claim breaks the token's signature.
    const [h, , sig] = s.token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, rsk: 0 })).toString('base64url');
    assert.equal((await read(`${h}.${forged}.${sig}`)).status, 401);
  });

  it('a high score demands a step-up, which a fresh passkey assertion on the session gives', async () => {
    const s = await signIn(0.8);
    const refused = await read(s.token);
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'VERITY_E_STEP_UP_REQUIRED');
    const auth = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
    const options = (await (
      await fetch(`${url}/v1/passkeys/step-up/options`, { method: 'POST', headers: auth, body: '{}' })
    ).json()) as PublicKeyCredentialRequestOptionsJSON;
    const up = await fetch(`${url}/v1/passkeys/step-up`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ credential: device.get(options, { origin: ORIGIN, credentialId: credId }) }),
    });
    assert.equal(up.status, 200, await up.clone().text());
    assert.equal((await read(s.token)).status, 200);
  });

  it('a very high score is denied even after a step-up, and a failed sign-in is scored as a failure', async () => {
    const s = await signIn(0.95);
    const refused = await read(s.token);
    assert.equal(refused.status, 403);
    const before = scorer.seen.length;
    const bad = await fetch(`${url}/v1/signin/passkey`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        credential: device.get({ challenge: 'AAAA', rpId: 'play.example.com' } as never, {
          origin: ORIGIN,
          credentialId: credId,
        }),
      }),
    });
    assert.equal(bad.status, 401);
    assert.equal(scorer.seen.length, before + 1);
    assert.equal((scorer.seen.at(-1) as Record<string, unknown>)['success'], false);
  });

  it('scores a sensitive operation on its own: a low-risk session erasing from a risky request must step up', async () => {
    const s = await signIn(0.1);
    const before = scorer.seen.length;
    // A read is not a sensitive operation: not scored, allowed at the sign-in's risk.
    scorer.next = 0.8;
    assert.equal((await read(s.token)).status, 200);
    assert.equal(scorer.seen.length, before);
    // An erasure is scored with the request's address and a digest of its User-Agent.
    const erase = await fetch(`${url}/v1/records/${record}?purpose=user-request`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${s.token}`, 'user-agent': 'another-browser/2.0' },
    });
    assert.equal(erase.status, 401);
    const body = (await erase.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'VERITY_E_STEP_UP_REQUIRED');
    assert.match(body.error.message, /this erase scored a high risk/);
    const event = scorer.seen.at(-1) as Record<string, unknown>;
    assert.equal(scorer.seen.length, before + 1);
    assert.equal(event['action'], 'data_delete');
    assert.equal(typeof event['ip'], 'string');
    assert.equal(typeof event['device'], 'string');
    assert.notEqual(event['device'], 'another-browser/2.0');
    // The denial is in the log with the operation's score.
    const head = await core.log.head();
    const last = new TextDecoder().decode((await core.store.reader.getLogEntries(head.size - 1, head.size))[0]);
    assert.match(last, /"risk":80/);
    // Scored low, the same erasure goes through.
    scorer.next = 0.05;
    const ok = await fetch(`${url}/v1/records/${record}?purpose=user-request`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${s.token}` },
    });
    assert.equal(ok.status, 200, await ok.text());
  });

  it('a player signed in themselves objects, and withdraws the objection, with their own session (D417)', async () => {
    const s = await signIn(0.02);
    scorer.next = 0.02;
    const auth = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    const filed = await post('/v1/rights/requests', { type: 'objection', scope: { purposes: ['personalisation'] } });
    assert.equal(filed.status, 201, await filed.clone().text());
    const done = await post(`/v1/rights/requests/${((await filed.json()) as { id: string }).id}/execute`, {});
    assert.equal(done.status, 200, await done.clone().text());
    const lifted = await post('/v1/rights/limits/lift', { purposes: ['personalisation'], reason: 'changed my mind' });
    assert.equal(lifted.status, 200, await lifted.clone().text());
    const body = (await lifted.json()) as { lift: { by: string }; limits: { objections: string[] } };
    assert.equal(body.lift.by, 'subject');
    assert.deepEqual(body.limits.objections, []);
  });

  it("a player's own erasure request is decided by the policies: from a risky request it steps up first (D417)", async () => {
    const s = await signIn(0.03);
    const auth = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
    const filed = await fetch(`${url}/v1/rights/requests`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ type: 'erasure' }),
    });
    assert.equal(filed.status, 201, await filed.clone().text());
    const { id } = (await filed.json()) as { id: string };
    // The stolen token replayed from another device: the erasure is scored on this request.
    scorer.next = 0.8;
    const stolen = await fetch(`${url}/v1/rights/requests/${id}/execute`, {
      method: 'POST',
      headers: { ...auth, 'user-agent': 'attacker/9.9' },
      body: JSON.stringify({ mode: 'shred' }),
    });
    assert.equal(stolen.status, 401);
    assert.equal(((await stolen.json()) as { error: { code: string } }).error.code, 'VERITY_E_STEP_UP_REQUIRED');
    assert.equal((scorer.seen.at(-1) as Record<string, unknown>)['action'], 'data_delete');
    assert.ok(await core.vault.pseudonymOf(await core.vault.subjectRef('alice')), 'nothing was shredded');
    // The denial is logged with the policy set and the operation's score.
    const head = await core.log.head();
    const last = new TextDecoder().decode((await core.store.reader.getLogEntries(head.size - 1, head.size))[0]);
    assert.match(last, /"risk":80/);
    assert.match(last, /"action":"erase"/);
    // Another player's request is no one else's to carry out; a player never shreds on the shred route.
    const shred = await fetch(`${url}/v1/subjects/shred`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ subject: 'alice', purpose: 'user-request' }),
    });
    assert.equal(shred.status, 403);
    // Scored low, the player's own erasure goes through.
    scorer.next = 0.02;
    const done = await fetch(`${url}/v1/rights/requests/${id}/execute`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ mode: 'shred' }),
    });
    assert.equal(done.status, 200, await done.clone().text());
  });

  it('the shipped model scores a sign-in without error (its score lands in the token)', async () => {
    const real = new RiskScorer();
    const r = real.score({
      time: Date.now(),
      user: 'u1',
      ip: '203.0.113.9',
      device: 'd1',
      action: 'signin',
      success: true,
    });
    assert.ok(r.score >= 0 && r.score <= 1);
  });
});
