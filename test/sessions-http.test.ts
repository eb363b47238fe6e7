// Player sessions and guardianship as explicit capabilities: who may open a session, what a session
// may reach, the state behind every session (a revocation takes effect on the next request, on
// every node), and who may record guardianship, citing what evidence.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { type AuditEntry, decodeAuditEntry } from '../src/audit/index.ts';
import { fixedClock } from '../src/clock/index.ts';
import { Deid } from '../src/deid/index.ts';
import { canonicalJsonBytes, fromBase64Url } from '../src/encoding/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { SoftwareKeyStore } from '../src/keys/index.ts';
import { decodeStateEntry } from '../src/log/index.ts';
import { CAPABILITIES, Sessions, Tokens } from '../src/principals/index.ts';
import { buildServer } from '../src/server/index.ts';
import { evidenceCommitment } from '../src/vault/index.ts';
import { openVerity, type Verity } from '../src/verity/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { TEST_SECRET } from './helpers/env.ts';

type App = ReturnType<typeof buildServer>;

describe('player sessions and guardianship over HTTP', () => {
  const clock = fixedClock(Date.parse('2026-06-01T00:00:00Z'));
  let core: TestCore;
  let node2: Verity;
  let app: App;
  /** A second node on the same database: nothing it knows comes from the first one's memory. */
  let app2: App;
  let tokens: Tokens;
  let engine: PolicyEngine;
  const t: Record<string, { token: string; id: string }> = {};
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  const serve = (v: Verity) =>
    buildServer({
      log: v.log,
      records: {
        vault: v.vault,
        tokens: new Tokens(v.store, v.log, clock),
        sessions: new Sessions({ keys: v.keys, store: v.store, log: v.log, clock }),
        policies: () => engine,
        clock,
      },
    });

  const token = async (name: string, input: Parameters<Tokens['create']>[0]) => {
    const r = await tokens.create(input);
    t[name] = { token: r.token, id: r.info.id };
  };

  before(async () => {
    core = await makeCore('sqlite', { clock });
    tokens = new Tokens(core.store, core.log, clock);
    engine = PolicyEngine.load(DEFAULT_POLICIES);
    app = serve(core);
    await app.ready();
    const actor = 'operator:test';
    await token('platform', {
      principal: 'platform',
      role: 'service',
      recordTypes: ['profile'],
      capabilities: ['session.open'],
      actor,
    });
    await token('bare', { principal: 'bare', role: 'service', actor });
    await token('profiles', { principal: 'profiles', role: 'service', recordTypes: ['profile'], actor });
    await token('chat', { principal: 'chat', role: 'service', recordTypes: ['chat.message'], actor });
    await token('ops', { principal: 'ops', role: 'operator', actor });
    await token('registry', { principal: 'registry', role: 'service', capabilities: ['guardianship.set'], actor });
    await token('security', { principal: 'security', role: 'operator', capabilities: ['session.revoke'], actor });
    // The session signing key exists before the second node opens the key file.
    await core.keys.ensureSigningKey('session-signing');
    node2 = await openVerity({
      store: await core.openStore(),
      keys: await SoftwareKeyStore.open(join(core.dir, 'keys.json'), TEST_SECRET, { now: () => clock.now() }),
      origin: 'verity.test/log',
      clock,
      unknownTypes: 'generic',
    });
    app2 = serve(node2);
    await app2.ready();
  });
  after(async () => {
    await app2.close();
    await node2.close();
    await app.close();
    await core.dispose();
  });

  const open = (by: string, player: string, purpose = 'authentication', ttlSeconds = 600) =>
    app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: auth(by),
      payload: { player, purpose, ttlSeconds },
    });
  const session = async (player: string, by = t['platform']?.token as string) => {
    const r = await open(by, player);
    assert.equal(r.statusCode, 201, r.body);
    return r.json() as { id: string; token: string; expiresAt: number };
  };
  const put = (by: string, body: Record<string, unknown>, on: App = app) =>
    on.inject({ method: 'POST', url: '/v1/records', headers: auth(by), payload: body });
  const read = async (by: string, id: string, on: App = app) =>
    (await on.inject({ url: `/v1/records/${id}?purpose=user-request`, headers: auth(by) })).statusCode;
  const entriesSince = async (from: number): Promise<{ entries: AuditEntry[]; text: string }> => {
    // The audit entries (each transaction's state entry set aside).
    const raw = (await core.log.entries(from, (await core.log.head()).size)).filter(
      (b) => decodeStateEntry(b) === undefined,
    );
    return {
      entries: raw.map((b) => decodeAuditEntry(b)),
      text: raw.map((b) => new TextDecoder().decode(b)).join('\n'),
    };
  };

  it('opens a session only for a token granted `session.open`, never for an operator, for authentication only', async () => {
    for (const [who, purpose] of [
      ['bare', 'authentication'],
      ['profiles', 'authentication'],
      ['ops', 'authentication'],
      ['ops', 'support'],
      ['ops', 'service-provision'],
      ['security', 'authentication'],
      ['platform', 'marketing'],
      ['platform', 'support'],
    ] as const) {
      const r = await open(t[who]?.token as string, 'player-1', purpose);
      assert.equal(r.statusCode, 403, `${who} for ${purpose}: ${r.body}`);
      assert.equal(r.json().error.code, 'VERITY_E_ACCESS_DENIED');
    }
    const denied = await open(t['profiles']?.token as string, 'player-1');
    assert.match(
      denied.json().error.message,
      /was not granted `session\.open`, so the policies do not permit it to openSession; create one with `verity tokens create \.\.\. --role service --capability session\.open`/,
      'the refusal names the capability and the command that grants it',
    );
    const s = await session('player-1');
    assert.match(s.id, /^[A-Za-z0-9_-]{16}$/);
    assert.equal(s.token.split('.').length, 3);
    // Capabilities are checked when a token is made: unknown ones, and ones a role may not hold.
    for (const [role, capabilities] of [
      ['service', ['root']],
      ['operator', ['session.open']],
      ['operator', ['guardianship.set']],
      ['auditor', ['session.revoke']],
    ] as const)
      await assert.rejects(
        tokens.create({ principal: 'x', role, capabilities: [...capabilities], actor: 'operator:test' }),
        (e) => isVerityError(e, 'VERITY_E_INPUT_INVALID'),
        `${role} ${capabilities.join(',')}`,
      );
  });

  it("a session reaches only its opener's record types, and never vault tokens", async () => {
    const profile = (
      await put(t['profiles']?.token as string, {
        subject: 'player-2',
        type: 'profile',
        purpose: 'service-provision',
        data: { name: 'Ada' },
      })
    ).json().id as string;
    const message = (
      await put(t['chat']?.token as string, {
        subject: 'player-2',
        type: 'chat.message',
        purpose: 'service-provision',
        data: { text: 'hi' },
      })
    ).json().id as string;
    const deid = new Deid({ keys: core.keys, store: core.store, log: core.log, vault: core.vault });
    const vaultToken = (
      await deid.tokenize('player-2', 'ada@example.com', 'email', {
        actor: 'service:test',
        purpose: 'service-provision',
      })
    ).token;
    const s = (await session('player-2')).token;
    assert.equal(await read(s, profile), 200, 'the opener owns profiles');
    assert.equal(await read(s, message), 403, 'the opener does not own chat messages');
    assert.equal(await read(s, vaultToken), 403, 'a vault token is re-identification');
    for (const url of [
      `/v1/records/${vaultToken}/history?purpose=user-request`,
      `/v1/records/${message}/history?purpose=user-request`,
    ])
      assert.equal((await app.inject({ url, headers: auth(s) })).statusCode, 403, url);
    for (const id of [vaultToken, message])
      assert.equal(
        (await app.inject({ method: 'DELETE', url: `/v1/records/${id}?purpose=user-request`, headers: auth(s) }))
          .statusCode,
        403,
      );
    const listed = await app.inject({
      method: 'POST',
      url: '/v1/records/query',
      headers: auth(s),
      payload: { subject: 'player-2', purpose: 'user-request' },
    });
    assert.deepEqual(
      (listed.json() as { type: string }[]).map((m) => m.type),
      ['profile'],
    );
    const write = (type: string) =>
      put(s, { subject: 'player-2', type, purpose: 'user-request', data: { text: 'x', value: 'x' } });
    assert.equal((await write('chat.message')).statusCode, 403);
    assert.equal((await write('verity.token')).statusCode, 403);
    assert.equal((await write('profile')).statusCode, 201);
    // No service reaches vault tokens through the record endpoints either: no token may own the type.
    await assert.rejects(
      tokens.create({ principal: 'x', role: 'service', recordTypes: ['verity.token'], actor: 'operator:test' }),
      (e) => isVerityError(e, 'VERITY_E_INPUT_INVALID'),
    );
    // A token of as many capabilities as a token may hold (16) is created, its capabilities all in its entry
    // (seven or more failed before: the audit detail was longer than a value may be, D415).
    const all = Object.entries(CAPABILITIES)
      .filter(([, roles]) => (roles as readonly string[]).includes('service'))
      .map(([c]) => c)
      .slice(0, 16);
    const made = await tokens.create({
      principal: 'everything',
      role: 'service',
      capabilities: all as never,
      actor: 'operator:test',
    });
    assert.deepEqual([...made.info.capabilities].sort(), [...all].sort());
    // Nor a private dataset's values, reached only through its noisy queries (D415).
    await assert.rejects(
      tokens.create({ principal: 'x', role: 'service', recordTypes: ['verity.dataset'], actor: 'operator:test' }),
      (e) => isVerityError(e, 'VERITY_E_INPUT_INVALID') && /noisy queries/.test((e as Error).message),
    );
  });

  it('refuses a session token whose base64url is not canonical: one session, one token string (D415)', async () => {
    const s = await session('player-2');
    const mine = (
      await put(t['profiles']?.token as string, {
        subject: 'player-2',
        type: 'profile',
        purpose: 'service-provision',
        data: { name: 'Ada' },
      })
    ).json().id as string;
    assert.equal(await read(s.token, mine), 200);
    // The Ed25519 signature's 64 bytes end in a character with two unused bits: flipping one of them
    // decodes to the same signature.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = s.token.at(-1) as string;
    const other = alphabet[alphabet.indexOf(last) ^ 1] as string;
    assert.equal(await read(`${s.token.slice(0, -1)}${other}`, mine), 401);
  });

  it('answers a revocation it refuses alike whether the player has sessions or not: no one learns who is online (D415)', async () => {
    await session('player-online');
    const other = t['chat']?.token as string;
    const answers: string[] = [];
    const logged: string[] = [];
    for (const subject of ['player-online', 'player-never-seen']) {
      const from = (await core.log.head()).size;
      const r = await app.inject({
        method: 'POST',
        url: '/v1/sessions/revoke',
        headers: auth(other),
        payload: { subject },
      });
      assert.equal(r.statusCode, 403, r.body);
      answers.push(r.json().error.message);
      // Nor from the public log: the refusal's entry is the same but for its time.
      const { entries } = await entriesSince(from);
      logged.push(JSON.stringify(entries.map(({ time: _t, ...e }) => e)));
    }
    assert.equal(answers[0], answers[1]);
    assert.equal(logged[0], logged[1]);
    // A service revoking its own session of a player signed in elsewhere too learns nothing of the
    // others, from the answer or the public log: the same as for a player with no other session.
    await token('platform-2', {
      principal: 'platform-2',
      role: 'service',
      recordTypes: ['profile'],
      capabilities: ['session.open'],
      actor: 'operator:test',
    });
    const second = t['platform-2']?.token as string;
    const seen: string[] = [];
    for (const [player, elsewhere] of [
      ['player-busy', 2],
      ['player-lonely', 0],
    ] as const) {
      for (let i = 0; i < elsewhere; i++) await session(player);
      assert.equal((await open(second, player)).statusCode, 201);
      const from = (await core.log.head()).size;
      const r = await app.inject({
        method: 'POST',
        url: '/v1/sessions/revoke',
        headers: auth(second),
        payload: { subject: player },
      });
      assert.deepEqual(r.json(), { revoked: 1 });
      const { entries } = await entriesSince(from);
      seen.push(JSON.stringify(entries.map((e) => [e.action, e.outcome, e.details?.['decision'] ?? null])));
    }
    assert.equal(seen[0], seen[1]);
  });

  it('logs each opening with the session id and its opener, never the player', async () => {
    const before = (await core.log.head()).size;
    const s = await session('player-3');
    const { entries, text } = await entriesSince(before);
    const opened = entries.filter((e) => e.action === 'session.open');
    assert.equal(opened.length, 1, JSON.stringify(entries));
    const e = opened[0] as AuditEntry;
    assert.equal(e.resource, `session:${s.id}`);
    assert.equal(e.actor, 'service:platform');
    assert.equal(e.details?.['token'], t['platform']?.id);
    assert.equal(e.policy, engine.policyHash);
    assert.ok(!text.includes('player-3'), text);
    // What the session then does is traceable to that entry.
    const mine = (
      await put(t['profiles']?.token as string, {
        subject: 'player-3',
        type: 'profile',
        purpose: 'service-provision',
        data: {},
      })
    ).json().id as string;
    const r = await app.inject({ url: `/v1/records/${mine}?purpose=user-request`, headers: auth(s.token) });
    assert.equal(r.statusCode, 200, r.body);
    const readEntry = decodeAuditEntry(
      (await core.log.entries(r.json().readLogIndex, r.json().readLogIndex + 1))[0] as Uint8Array,
    );
    assert.equal(readEntry.actor, `player:session-${s.id}`);
  });

  it('revokes sessions one by one, per player and per opener: effective on the next request, on every node', async () => {
    const rec = (
      await put(t['profiles']?.token as string, {
        subject: 'player-r',
        type: 'profile',
        purpose: 'service-provision',
        data: {},
      })
    ).json().id as string;
    const s1 = await session('player-r');
    const s2 = await session('player-r');
    const s3 = await session('player-r');
    for (const s of [s1, s2, s3]) {
      assert.equal(await read(s.token, rec), 200);
      assert.equal(await read(s.token, rec, app2), 200);
    }
    const del = (by: string, id: string) =>
      app.inject({ method: 'DELETE', url: `/v1/sessions/${id}`, headers: auth(by) });
    // Neither another service nor an operator without `session.revoke` ends someone's session.
    for (const who of ['profiles', 'ops', 'registry']) {
      const r = await del(t[who]?.token as string, s1.id);
      assert.equal(r.statusCode, 403, `${who}: ${r.body}`);
    }
    assert.equal(await read(s1.token, rec, app2), 200);
    const before = (await core.log.head()).size;
    const own = await del(t['platform']?.token as string, s1.id);
    assert.equal(own.statusCode, 200, own.body);
    assert.equal(await read(s1.token, rec, app2), 401, 'revoked on the other node at once');
    assert.equal(await read(s1.token, rec), 401);
    const { entries } = await entriesSince(before);
    assert.deepEqual(
      entries.filter((e) => e.action === 'session.revoke').map((e) => [e.resource, e.actor]),
      [[`session:${s1.id}`, 'service:platform']],
    );
    // A missing session: 404 for a caller who may revoke, nothing learned by one who may not.
    assert.equal(
      (await del(t['security']?.token as string, 'AAAAAAAAAAAAAAAA')).json().error.code,
      'VERITY_E_SESSION_NOT_FOUND',
    );
    assert.equal((await del(t['profiles']?.token as string, 'AAAAAAAAAAAAAAAA')).statusCode, 403);
    // Per player, by an operator granted `session.revoke`.
    const bySubject = await app.inject({
      method: 'POST',
      url: '/v1/sessions/revoke',
      headers: auth(t['security']?.token as string),
      payload: { subject: 'player-r' },
    });
    assert.equal(bySubject.statusCode, 200, bySubject.body);
    assert.equal(bySubject.json().revoked, 2);
    assert.equal(await read(s2.token, rec, app2), 401);
    assert.equal(await read(s3.token, rec), 401);
    // Per opener: a service ends the sessions one of its tokens opened.
    await token('platform2', {
      principal: 'platform',
      role: 'service',
      recordTypes: ['profile'],
      capabilities: ['session.open'],
      actor: 'operator:test',
    });
    const s4 = await session('player-r', t['platform2']?.token);
    const s5 = await session('player-s', t['platform2']?.token);
    const byOther = await app.inject({
      method: 'POST',
      url: '/v1/sessions/revoke',
      headers: auth(t['profiles']?.token as string),
      payload: { opener: t['platform2']?.id },
    });
    assert.equal(byOther.statusCode, 403, byOther.body);
    const byOpener = await app.inject({
      method: 'POST',
      url: '/v1/sessions/revoke',
      headers: auth(t['platform']?.token as string),
      payload: { opener: t['platform2']?.id },
    });
    assert.equal(byOpener.statusCode, 200, byOpener.body);
    assert.equal(byOpener.json().revoked, 2);
    assert.equal(await read(s4.token, rec, app2), 401);
    assert.equal(await read(s5.token, rec, app2), 401);
    // Revoking the opener's token ends every session it opened, at once.
    const s6 = await session('player-r');
    assert.equal(await read(s6.token, rec, app2), 200);
    assert.equal(await tokens.revoke(t['platform']?.id as string, 'operator:test'), true);
    assert.equal(await read(s6.token, rec, app2), 401);
    assert.equal(await read(s6.token, rec), 401);
    await token('platform', {
      principal: 'platform',
      role: 'service',
      recordTypes: ['profile'],
      capabilities: ['session.open'],
      actor: 'operator:test',
    });
    // An expired session is refused even though its row is still there.
    const short = (await open(t['platform']?.token as string, 'player-r', 'authentication', 60)).json().token as string;
    assert.equal(await read(short, rec), 200);
    clock.advance(61_000);
    assert.equal(await read(short, rec, app2), 401);
  });

  it('records guardianship only for a service granted `guardianship.set`, citing its evidence, never for an operator', async () => {
    const kidRecord = (
      await put(t['profiles']?.token as string, {
        subject: 'kid-1',
        type: 'profile',
        purpose: 'service-provision',
        data: { age: 11 },
      })
    ).json().id as string;
    const parent = (await session('parent-1')).token;
    const evidence = { kind: 'parental-consent' as const, reference: 'consent-form-2291' };
    const declare = (by: string, body: Record<string, unknown> = {}) =>
      app.inject({
        method: 'PUT',
        url: '/v1/subjects/guardianship',
        headers: auth(by),
        payload: { subject: 'kid-1', purpose: 'guardianship', minor: true, guardians: ['parent-1'], evidence, ...body },
      });
    // An operator token granted the capability around `tokens create` (which refuses it) is refused too.
    const secret = 'B'.repeat(43);
    t['ops2'] = { token: `tok_AAAAAAAAAAAA.${secret}`, id: 'tok_AAAAAAAAAAAA' };
    await core.log.submit((tx) =>
      tx.insertToken({
        id: 'tok_AAAAAAAAAAAA',
        secretHash: new Uint8Array(createHash('sha256').update(secret).digest()),
        principal: 'ops2',
        role: 'operator',
        scopes: JSON.stringify({ recordTypes: [], capabilities: ['guardianship.set'] }),
        createdAt: clock.now(),
        expiresAt: clock.now() + 3_600_000,
        revokedAt: null,
      }),
    );
    const before = (await core.log.head()).size;
    for (const [who, body] of [
      ['ops', {}],
      ['ops', { purpose: 'support' }],
      ['ops', { purpose: 'legal-obligation' }],
      ['ops2', {}],
      ['platform', {}],
      ['registry', { purpose: 'support' }],
      ['registry', { purpose: 'service-provision' }],
    ] as const) {
      const r = await declare(t[who]?.token as string, body);
      assert.equal(r.statusCode, 403, `${who} ${JSON.stringify(body)}: ${r.body}`);
    }
    assert.equal((await declare(parent)).statusCode, 403, 'a player cannot make themselves a guardian');
    for (const bad of [
      { evidence: undefined },
      { evidence: { kind: 'hearsay', reference: 'x' } },
      { evidence: { kind: 'court-order', reference: '' } },
      { evidence: { kind: 'court-order', reference: 'x'.repeat(300) } },
      { evidence: { kind: 'court-order', reference: 'x', extra: 1 } },
    ]) {
      const r = await declare(t['registry']?.token as string, bad);
      assert.equal(r.statusCode, 400, `${JSON.stringify(bad)}: ${r.body}`);
    }
    assert.equal(await read(parent, kidRecord), 403, 'nothing was recorded');
    const set = await declare(t['registry']?.token as string);
    assert.equal(set.statusCode, 200, set.body);
    const entry = decodeAuditEntry(
      (await core.log.entries(set.json().logIndex, set.json().logIndex + 1))[0] as Uint8Array,
    );
    assert.equal(entry.action, 'subject.guardianship');
    assert.equal(entry.actor, 'service:registry');
    assert.equal(entry.details?.['evidenceKind'], 'parental-consent');
    assert.match(String(entry.details?.['evidence']), /^sha256:[A-Za-z0-9_-]{43}$/);
    // Salted (D421): the service that cited the evidence shows which one with the salt it got back;
    // a guessed reference alone confirms nothing.
    const salt = fromBase64Url(set.json().evidenceSalt as string);
    assert.equal(entry.details?.['evidence'], evidenceCommitment(salt, evidence));
    assert.notEqual(entry.details?.['evidence'], evidenceCommitment(new Uint8Array(16), evidence));
    assert.notEqual(
      entry.details?.['evidence'],
      `sha256:${createHash('sha256').update(canonicalJsonBytes(evidence)).digest('base64url')}`,
    );
    const { text } = await entriesSince(before);
    for (const secret of ['consent-form-2291', 'kid-1', 'parent-1']) assert.ok(!text.includes(secret), secret);
    assert.equal(await read(parent, kidRecord), 200);
    assert.equal(await read(parent, kidRecord, app2), 200);
  });
});
