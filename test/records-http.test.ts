// Record endpoints: bearer tokens, Cedar decisions (every one logged with the policy hash),
// purpose limitation, and abuse: each refused with the right status, nothing written, server up.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { fixedClock } from '../src/clock/index.ts';
import { checkProofCase, decodeStateEntry, parseProofCase } from '../src/log/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { buildServer } from '../src/server/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

describe('record endpoints over HTTP', () => {
  const clock = fixedClock(Date.parse('2026-06-01T00:00:00Z'));
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  let tokens: Tokens;
  let world: string;
  let chat: string;
  let ops: string;
  let engine: PolicyEngine;
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });

  before(async () => {
    core = await makeCore('sqlite', { clock });
    tokens = new Tokens(core.store, core.log, clock);
    engine = PolicyEngine.load(DEFAULT_POLICIES);
    app = buildServer({
      log: core.log,
      records: {
        vault: core.vault,
        tokens,
        sessions: new Sessions({ keys: core.keys, store: core.store, log: core.log, clock }),
        policies: () => engine,
        clock,
      },
    });
    await app.ready();
    world = (
      await tokens.create({
        principal: 'world-eu',
        role: 'service',
        recordTypes: ['position', 'profile'],
        capabilities: ['session.open', 'guardianship.set'],
        actor: 'operator:test',
      })
    ).token;
    chat = (
      await tokens.create({ principal: 'chat', role: 'service', recordTypes: ['chat.message'], actor: 'operator:test' })
    ).token;
    ops = (
      await tokens.create({
        principal: 'ops',
        role: 'operator',
        capabilities: ['key.rotate', 'records.erase'],
        actor: 'operator:test',
      })
    ).token;
  });
  after(async () => {
    await app.close();
    await core.dispose();
  });

  const put = (token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/v1/records',
      headers: { ...(token === undefined ? {} : auth(token)), 'content-type': 'application/json', ...headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('writes and reads a record, with a proof, for the permitted purpose', async () => {
    const w = await put(world, {
      subject: 'player-1',
      type: 'profile',
      purpose: 'service-provision',
      data: { name: 'Ada' },
    });
    assert.equal(w.statusCode, 201, w.body);
    const { id, version, logIndex } = w.json() as { id: string; version: number; logIndex: number };
    assert.equal(version, 1);
    const r = await app.inject({ url: `/v1/records/${id}?purpose=service-provision`, headers: auth(world) });
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json();
    assert.deepEqual(body.data, { name: 'Ada' });
    assert.equal(body.meta.provenance.creator, 'service:world-eu');
    assert.equal(body.proof.leafIndex, logIndex);
    assert.deepEqual(checkProofCase(parseProofCase(body.proof)), { valid: true });
  });

  it('decides a read of an older version on that version, not on the latest', async () => {
    // Versions may differ in classification: a policy that keeps restricted data from being read
    // must see the restriction of the version actually read.
    const strict = PolicyEngine.load(
      `${DEFAULT_POLICIES}\nforbid (principal, action == Verity::Action::"read", resource is Verity::Record) when { resource.sensitivity == "restricted" };`,
    );
    const before = engine;
    engine = strict;
    try {
      const base = { subject: 'player-versions', type: 'profile', purpose: 'service-provision' };
      const v1 = await put(world, { ...base, data: { n: 1 }, classification: { sensitivity: 'restricted' } });
      assert.equal(v1.statusCode, 201, v1.body);
      const { id } = v1.json() as { id: string };
      const v2 = await put(world, { ...base, id, data: { n: 2 }, classification: { sensitivity: 'internal' } });
      assert.equal(v2.statusCode, 201, v2.body);
      const latest = await app.inject({ url: `/v1/records/${id}?purpose=service-provision`, headers: auth(world) });
      assert.equal(latest.statusCode, 200, latest.body);
      assert.deepEqual(latest.json().data, { n: 2 });
      const old = await app.inject({
        url: `/v1/records/${id}?purpose=service-provision&version=1`,
        headers: auth(world),
      });
      assert.equal(old.statusCode, 403, old.body);
      assert.equal(old.json().error.code, 'VERITY_E_ACCESS_DENIED');
    } finally {
      engine = before;
    }
  });

  it("answers a new version of another's record alike, whether it exists, whose it is and its type (D415)", async () => {
    const theirs = (
      await put(chat, { subject: 'player-77', type: 'chat.message', purpose: 'service-provision', data: { t: 'hi' } })
    ).json().id as string;
    const mine = (
      await put(world, { subject: 'player-77', type: 'profile', purpose: 'service-provision', data: { n: 1 } })
    ).json().id as string;
    const answers = [];
    for (const [id, subject] of [
      [theirs, 'player-77'],
      [theirs, 'player-78'],
      ['rec_AAAAAAAAAAAAAAAAAAAAAA', 'player-77'],
    ] as const) {
      const r = await put(world, { id, subject, type: 'profile', purpose: 'service-provision', data: { n: 2 } });
      assert.equal(r.statusCode, 403, r.body);
      assert.doesNotMatch(r.body, /chat\.message|another subject|does not exist/);
      answers.push(r.json().error.code);
    }
    assert.deepEqual(new Set(answers), new Set(['VERITY_E_ACCESS_DENIED']));
    // Its own record, named with another subject: the store's answer, since it may write that record.
    const own = await put(world, {
      id: mine,
      subject: 'player-78',
      type: 'profile',
      purpose: 'service-provision',
      data: {},
    });
    assert.equal(own.statusCode, 400, own.body);
    assert.equal((await core.vault.describe(theirs))?.version, 1);
  });

  it('authenticates before it validates: an unauthenticated bad request gets 401, not 400', async () => {
    const cases: [string | undefined, unknown, Record<string, string>][] = [
      [undefined, { bogus: true }, {}],
      [undefined, '{"subject": ', {}],
      [undefined, 'plain text', { 'content-type': 'text/plain' }],
      [undefined, { data: 'x'.repeat(2 * 1024 * 1024) }, {}],
      ['vt_not-a-token', { bogus: true }, {}],
    ];
    for (const [token, body, headers] of cases) {
      const r = await put(token, body, headers);
      assert.equal(r.statusCode, 401, r.body);
      assert.equal(r.json().error.code, 'VERITY_E_UNAUTHENTICATED');
    }
    const get = await app.inject({ url: '/v1/records/not-an-id?evil=1' });
    assert.equal(get.statusCode, 401, get.body);
  });

  it('tells a service whose token has no record types how to give it some', async () => {
    const bare = (await tokens.create({ principal: 'bare', role: 'service', actor: 'operator:test' })).token;
    const r = await put(bare, { subject: 'player-1', type: 'profile', purpose: 'service-provision', data: {} });
    assert.equal(r.statusCode, 403, r.body);
    assert.equal(r.json().error.code, 'VERITY_E_ACCESS_DENIED');
    assert.match(r.json().error.message, /has no record types/);
    assert.match(r.json().error.message, /`verity tokens create \.\.\. --role service --record-types /);
    // A service with record types, denied for another reason, is not told about record types.
    const other = await put(chat, { subject: 'player-1', type: 'profile', purpose: 'service-provision', data: {} });
    assert.doesNotMatch(other.json().error.message, /record types/);
  });

  it('logs every decision, allow and deny, with the hash of the policy set', async () => {
    const before = (await core.log.head()).size;
    const denied = await put(chat, { subject: 'player-1', type: 'profile', purpose: 'service-provision', data: {} });
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.json().error.code, 'VERITY_E_ACCESS_DENIED');
    const after = (await core.log.head()).size;
    assert.equal(after, before + 1, 'a denied write adds its decision and nothing else');
    const e = decodeAuditEntry((await core.log.entries(before, after))[0] as Uint8Array);
    assert.equal(e.action, 'policy.decision');
    assert.equal(e.outcome, 'denied');
    assert.equal(e.actor, 'service:chat');
    assert.equal(e.policy, engine.policyHash);
    const ok = await put(world, {
      subject: 'player-2',
      type: 'position',
      purpose: 'service-provision',
      data: { x: 1 },
    });
    assert.equal(ok.statusCode, 201);
    const written = await core.log.entries(after, (await core.log.head()).size);
    // The transaction ends with its state entry (the subject key and the record it changed).
    assert.deepEqual(decodeStateEntry(written.at(-1) as Uint8Array)?.changes.length, 2);
    const entries = written.slice(0, -1).map((b) => decodeAuditEntry(b));
    // The allowed write's own entries record the decision: they carry the policy set's hash.
    assert.deepEqual(
      entries.map((x) => [x.action, x.outcome, x.policy]),
      [
        ['key.create', 'success', engine.policyHash],
        ['record.create', 'success', engine.policyHash],
      ],
    );
    const id = ok.json().id as string;
    const read = await app.inject({ url: `/v1/records/${id}?purpose=service-provision`, headers: auth(world) });
    assert.equal(read.statusCode, 200);
    const readEntry = decodeAuditEntry(
      (await core.log.entries(read.json().readLogIndex, read.json().readLogIndex + 1))[0] as Uint8Array,
    );
    assert.deepEqual([readEntry.action, readEntry.policy], ['record.read', engine.policyHash]);
  });

  it('logs an allowed decision on its own when the operation then fails', async () => {
    const own = (
      await put(world, { subject: 'player-79', type: 'position', purpose: 'service-provision', data: { x: 0 } })
    ).json().id as string;
    const before = (await core.log.head()).size;
    // Allowed (the record and the type are the service's own) but refused by the vault: a new version
    // of it cannot name another subject. (An id of no record is decided as a read of it is: D415.)
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/records',
      headers: auth(world),
      payload: {
        subject: 'player-9',
        type: 'position',
        purpose: 'service-provision',
        data: { x: 1 },
        id: own,
      },
    });
    assert.equal(bad.statusCode, 400, bad.body);
    const entries = (await core.log.entries(before, (await core.log.head()).size)).map((b) => decodeAuditEntry(b));
    // The decision stands (allow); the outcome is the failure and its code, not a success (D433).
    assert.deepEqual(
      entries.map((x) => [x.action, x.outcome, x.details?.['decision'], x.details?.['error'], x.policy]),
      [['policy.decision', 'error', 'allow', bad.json().error.code, engine.policyHash]],
    );
    // An operator may erase any record; erasing an absent one is allowed, then fails: logged alone.
    const operator = (
      await new Tokens(core.store, core.log).create({
        principal: 'ops',
        role: 'operator',
        capabilities: ['records.erase'],
        actor: 'operator:test',
      })
    ).token;
    const before2 = (await core.log.head()).size;
    const absent = await app.inject({
      method: 'DELETE',
      url: '/v1/records/rec_AAAAAAAAAAAAAAAAAAAAAA?purpose=erasure-request',
      headers: auth(operator),
    });
    assert.equal(absent.statusCode, 404, absent.body);
    const logged = (await core.log.entries(before2, (await core.log.head()).size)).map((b) => decodeAuditEntry(b));
    assert.deepEqual(
      logged.map((x) => [x.action, x.details?.['action'], x.details?.['decision']]),
      [['policy.decision', 'erase', 'allow']],
    );
  });

  it('enforces purpose limitation and ownership of record types', async () => {
    const w = await put(world, { subject: 'player-3', type: 'profile', purpose: 'service-provision', data: { a: 1 } });
    const id = w.json().id as string;
    const marketing = await app.inject({ url: `/v1/records/${id}?purpose=marketing`, headers: auth(world) });
    assert.equal(marketing.statusCode, 403);
    const otherService = await app.inject({ url: `/v1/records/${id}?purpose=service-provision`, headers: auth(chat) });
    assert.equal(otherService.statusCode, 403);
    const operator = await app.inject({ url: `/v1/records/${id}?purpose=service-provision`, headers: auth(ops) });
    assert.equal(operator.statusCode, 403, 'operators never read content');
    const absent = await app.inject({
      url: '/v1/records/rec_AAAAAAAAAAAAAAAAAAAAAA?purpose=service-provision',
      headers: auth(world),
    });
    assert.equal(absent.statusCode, 403, 'absent records are decided like any other');
  });

  it('refuses missing, malformed, unknown, revoked and expired tokens', async () => {
    const body = { subject: 'p', type: 'profile', purpose: 'service-provision', data: {} };
    for (const t of [
      undefined,
      'nope',
      'tok_AAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      `${world.slice(0, -2)}xx`,
    ]) {
      const r = await put(t, body);
      assert.equal(r.statusCode, 401, String(t));
      assert.equal(r.json().error.code, 'VERITY_E_UNAUTHENTICATED');
    }
    const short = await tokens.create({
      principal: 'temp',
      role: 'service',
      recordTypes: ['profile'],
      ttlMs: 60_000,
      actor: 'operator:test',
    });
    assert.equal((await put(short.token, body)).statusCode, 201);
    clock.advance(61_000);
    assert.equal((await put(short.token, body)).statusCode, 401);
    const revoked = await tokens.create({
      principal: 'gone',
      role: 'service',
      recordTypes: ['profile'],
      actor: 'operator:test',
    });
    assert.equal((await put(revoked.token, body)).statusCode, 201);
    assert.equal(await tokens.revoke(revoked.info.id, 'operator:test'), true);
    assert.equal((await put(revoked.token, body)).statusCode, 401);
    assert.ok(
      !(await tokens.list()).some((t) => JSON.stringify(t).includes(revoked.token.split('.')[1] as string)),
      'secrets are never listed',
    );
  });

  it('refuses abusive requests without writing anything, and stays up', async () => {
    const before = (await core.log.head()).size;
    let deep = '{"a":1}';
    for (let i = 0; i < 100; i++) deep = `{"d":${deep}}`;
    const cases: [string, unknown, Record<string, string>, number, string][] = [
      ['malformed JSON', '{"subject": ', {}, 400, 'VERITY_E_INPUT_MALFORMED'],
      // A number where the schema wants a string is refused, not converted.
      [
        'wrong type',
        JSON.stringify({ subject: 12345, type: 'profile', purpose: 'service-provision', data: {} }),
        {},
        400,
        'VERITY_E_INPUT_INVALID',
      ],
      [
        'huge body',
        JSON.stringify({
          subject: 'p',
          type: 'profile',
          purpose: 'service-provision',
          data: { x: 'x'.repeat(2 * 1024 * 1024) },
        }),
        {},
        413,
        'VERITY_E_INPUT_TOO_LARGE',
      ],
      [
        'deep nesting',
        `{"subject":"p","type":"profile","purpose":"service-provision","data":${deep}}`,
        {},
        413,
        'VERITY_E_INPUT_TOO_LARGE',
      ],
      [
        'wrong content type',
        'subject=p',
        { 'content-type': 'application/x-www-form-urlencoded' },
        415,
        'VERITY_E_INPUT_MEDIA_TYPE',
      ],
      [
        'unknown field',
        { subject: 'p', type: 'profile', purpose: 'service-provision', data: {}, admin: true },
        {},
        400,
        'VERITY_E_INPUT_INVALID',
      ],
      [
        'wrong type',
        { subject: 'p', type: 'profile', purpose: 'service-provision', data: 'str' },
        {},
        400,
        'VERITY_E_INPUT_INVALID',
      ],
      [
        'prototype pollution',
        '{"subject":"p","type":"profile","purpose":"service-provision","data":{"__proto__":{"admin":true}}}',
        {},
        400,
        'VERITY_E_INPUT_MALFORMED',
      ],
      [
        'bad purpose',
        { subject: 'p', type: 'profile', purpose: "x' OR 1=1 --", data: {} },
        {},
        400,
        'VERITY_E_INPUT_INVALID',
      ],
    ];
    for (const [name, body, headers, status, code] of cases) {
      const r = await put(world, body, headers);
      assert.equal(r.statusCode, status, `${name}: ${r.body.slice(0, 200)}`);
      assert.equal(r.json().error.code, code, name);
    }
    assert.equal((await core.log.head()).size, before, 'nothing was written');
    const sqlish = await put(world, {
      subject: "robert'); DROP TABLE records;--",
      type: 'profile',
      purpose: 'service-provision',
      data: { q: "1' OR '1'='1" },
    });
    assert.equal(sqlish.statusCode, 201, 'SQL-looking strings are just data');
    const id = sqlish.json().id as string;
    const back = await app.inject({ url: `/v1/records/${id}?purpose=service-provision`, headers: auth(world) });
    assert.equal(back.json().meta.subject, "robert'); DROP TABLE records;--");
    for (const url of [
      '/v1/records/../../etc/passwd?purpose=x',
      '/v1/records/rec_x?purpose=service-provision',
      `/v1/records/${id}?purpose=service-provision&extra=1`,
    ]) {
      const r = await app.inject({ url, headers: auth(world) });
      assert.ok([400, 404].includes(r.statusCode), `${url}: ${r.statusCode}`);
    }
    assert.equal((await app.inject('/healthz')).statusCode, 200);
  });

  it('serves history, subject queries filtered per record, erasure, shredding and key rotation', async () => {
    const w1 = (
      await put(world, { subject: 'player-9', type: 'profile', purpose: 'service-provision', data: { v: 1 } })
    ).json() as { id: string };
    await put(world, { id: w1.id, subject: 'player-9', type: 'profile', purpose: 'service-provision', data: { v: 2 } });
    await put(chat, { subject: 'player-9', type: 'chat.message', purpose: 'service-provision', data: { t: 'hi' } });
    const h = await app.inject({ url: `/v1/records/${w1.id}/history?purpose=service-provision`, headers: auth(world) });
    assert.equal(h.statusCode, 200);
    assert.deepEqual(
      (h.json() as { version: number }[]).map((m) => m.version),
      [1, 2],
    );
    const q = await app.inject({
      method: 'POST',
      url: '/v1/records/query',
      headers: auth(world),
      payload: { subject: 'player-9', purpose: 'service-provision' },
    });
    assert.equal(q.statusCode, 200);
    assert.deepEqual(
      (q.json() as { type: string }[]).map((m) => m.type),
      ['profile'],
      'a service sees only its own record types of a subject',
    );
    assert.equal(
      (
        await app.inject({
          method: 'DELETE',
          url: `/v1/records/${w1.id}?purpose=service-provision`,
          headers: auth(world),
        })
      ).statusCode,
      403,
      'services do not erase',
    );
    const erased = await app.inject({
      method: 'DELETE',
      url: `/v1/records/${w1.id}?purpose=erasure-request`,
      headers: auth(ops),
    });
    assert.equal(erased.statusCode, 200, erased.body);
    assert.equal(erased.json().versions, 2);
    assert.equal(
      (await app.inject({ url: `/v1/records/${w1.id}?purpose=service-provision`, headers: auth(world) })).statusCode,
      410,
    );
    const shred = await app.inject({
      method: 'POST',
      url: '/v1/subjects/shred',
      headers: auth(ops),
      payload: { subject: 'player-9', purpose: 'erasure-request' },
    });
    assert.equal(shred.statusCode, 200, shred.body);
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/v1/subjects/shred',
          headers: auth(world),
          payload: { subject: 'player-1', purpose: 'erasure-request' },
        })
      ).statusCode,
      403,
    );
    const rot = await app.inject({
      method: 'POST',
      url: '/v1/keys/rotate',
      headers: auth(ops),
      payload: { purpose: 'security' },
    });
    assert.equal(rot.statusCode, 200, rot.body);
    assert.ok(rot.json().kekVersion >= 2);
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/v1/keys/rotate',
          headers: auth(world),
          payload: { purpose: 'security' },
        })
      ).statusCode,
      403,
    );
    // Nor an auditor (whose reading of the log the policies call administer) or an operator not
    // granted key.rotate: no key changes, none destroyed (D415).
    const tokens = new Tokens(core.store, core.log);
    const auditor = (await tokens.create({ principal: 'aud', role: 'auditor', actor: 'operator:test' })).token;
    const plain = (await tokens.create({ principal: 'ops2', role: 'operator', actor: 'operator:test' })).token;
    const kek = rot.json().kekVersion as number;
    for (const [who, purpose] of [
      [auditor, 'audit'],
      [plain, 'security'],
    ] as const) {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/keys/rotate',
        headers: auth(who),
        payload: { purpose, destroyRetired: true },
      });
      assert.equal(r.statusCode, 403, r.body);
      assert.match(r.json().error.message, /key\.rotate/);
    }
    // Nor does an operator not granted records.erase shred a player (a shred rotates the KEK and
    // destroys retired versions) or erase a record (D415).
    const unshredded = await app.inject({
      method: 'POST',
      url: '/v1/subjects/shred',
      headers: auth(plain),
      payload: { subject: 'player-1', purpose: 'erasure-request' },
    });
    assert.equal(unshredded.statusCode, 403, unshredded.body);
    assert.equal((await core.vault.pseudonymOf(await core.vault.subjectRef('player-1'))) !== undefined, true);
    // A service is told the role that may hold the capability, not its own (D415).
    const asService = await app.inject({
      method: 'POST',
      url: '/v1/keys/rotate',
      headers: auth(world),
      payload: { purpose: 'security' },
    });
    assert.match(asService.json().error.message, /--role operator --capability key\.rotate/);
    const again = await app.inject({
      method: 'POST',
      url: '/v1/keys/rotate',
      headers: auth(ops),
      payload: { purpose: 'security' },
    });
    assert.equal(again.json().kekVersion, kek + 1, 'the refused calls rotated nothing');
  });

  it("lets a guardian recorded by a platform service read a minor's records, until the guardianship ends", async () => {
    const kidRecord = (
      await put(world, { subject: 'kid-1', type: 'profile', purpose: 'service-provision', data: { age: 11 } })
    ).json().id as string;
    const sessionOf = async (player: string) => {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: auth(world),
        payload: { player, purpose: 'authentication', ttlSeconds: 600 },
      });
      assert.equal(r.statusCode, 201, r.body);
      return r.json().token as string;
    };
    const parent = await sessionOf('parent-1');
    const stranger = await sessionOf('stranger-1');
    const read = async (session: string) =>
      (await app.inject({ url: `/v1/records/${kidRecord}?purpose=user-request`, headers: auth(session) })).statusCode;
    const declare = (token: string, minor: boolean, guardians: string[]) =>
      app.inject({
        method: 'PUT',
        url: '/v1/subjects/guardianship',
        headers: auth(token),
        payload: {
          subject: 'kid-1',
          purpose: 'guardianship',
          minor,
          guardians,
          evidence: { kind: minor ? 'parental-consent' : 'age-verification', reference: 'case-17' },
        },
      });
    assert.equal(await read(parent), 403, 'no guardianship recorded yet');
    // A player cannot declare themselves a guardian.
    assert.equal((await declare(parent, true, ['parent-1'])).statusCode, 403);
    const before = (await core.log.head()).size;
    const set = await declare(world, true, ['parent-1']);
    assert.equal(set.statusCode, 200, set.body);
    const entry = decodeAuditEntry(
      (await core.log.entries(set.json().logIndex, set.json().logIndex + 1))[0] as Uint8Array,
    );
    assert.deepEqual(
      [entry.action, entry.details?.['minor'], entry.details?.['guardians'], entry.policy],
      ['subject.guardianship', true, 1, engine.policyHash],
    );
    // No subject id, guardian's or minor's, reaches the log in plain text.
    for (const e of await core.log.entries(before, (await core.log.head()).size)) {
      const text = new TextDecoder().decode(e);
      assert.ok(!text.includes('kid-1') && !text.includes('parent-1'), text);
    }
    assert.equal(await read(parent), 200);
    assert.equal(await read(stranger), 403);
    // The guardian reads; they may not write or erase the minor's records.
    assert.equal(
      (
        await app.inject({
          method: 'DELETE',
          url: `/v1/records/${kidRecord}?purpose=user-request`,
          headers: auth(parent),
        })
      ).statusCode,
      403,
    );
    // Coming of age ends it at once (decisions are cached on the owner facts, which changed).
    assert.equal((await declare(world, false, [])).statusCode, 200);
    assert.equal(await read(parent), 403);
    assert.equal((await declare(world, true, ['kid-1'])).statusCode, 400, 'no one is their own guardian');
  });

  it("lets a signed-in player read their own records, and no one else's", async () => {
    const mine = (
      await put(world, { subject: 'player-s', type: 'profile', purpose: 'service-provision', data: { me: true } })
    ).json().id as string;
    const theirs = (
      await put(world, { subject: 'player-t', type: 'profile', purpose: 'service-provision', data: { me: false } })
    ).json().id as string;
    const opened = await app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: auth(world),
      payload: { player: 'player-s', purpose: 'authentication', ttlSeconds: 60 },
    });
    assert.equal(opened.statusCode, 201, opened.body);
    const session = opened.json().token as string;
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/v1/sessions',
          headers: auth(ops),
          payload: { player: 'player-s', purpose: 'authentication' },
        })
      ).statusCode,
      403,
    );
    const own = await app.inject({ url: `/v1/records/${mine}?purpose=user-request`, headers: auth(session) });
    assert.equal(own.statusCode, 200, own.body);
    assert.deepEqual(own.json().data, { me: true });
    assert.equal(
      (await app.inject({ url: `/v1/records/${theirs}?purpose=user-request`, headers: auth(session) })).statusCode,
      403,
    );
    const [h, pl, sig] = session.split('.') as [string, string, string];
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(pl, 'base64url').toString()), sub: 'x'.repeat(43) })).toString('base64url')}.${sig}`;
    assert.equal(
      (await app.inject({ url: `/v1/records/${mine}?purpose=user-request`, headers: auth(forged) })).statusCode,
      401,
    );
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${pl}.`;
    assert.equal(
      (await app.inject({ url: `/v1/records/${mine}?purpose=user-request`, headers: auth(none) })).statusCode,
      401,
    );
    clock.advance(61_000);
    assert.equal(
      (await app.inject({ url: `/v1/records/${mine}?purpose=user-request`, headers: auth(session) })).statusCode,
      401,
      'an expired session is refused',
    );
  });
});
