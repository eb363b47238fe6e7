// Access reports, privacy labels and the incident register over HTTP: a player's session gets its
// own report and the SDK verifies it; a subject's report needs a token granted `report.access`;
// the register needs `incident.manage`, never a role alone; bad input is refused clearly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { DEFAULT_PRIVACY_POLICY, Privacy, PrivacyPolicy } from '../src/privacy/index.ts';
import { IncidentClient, VerityClient, verifyAccessReport } from '../src/sdk/index.ts';
import { buildServer } from '../src/server/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

describe('access reports and incidents over HTTP', () => {
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  let url: string;
  const tokens: Record<string, string> = {};

  before(async () => {
    core = await makeCore('sqlite');
    app = buildServer({
      log: core.log,
      records: {
        vault: core.vault,
        tokens: new Tokens(core.store, core.log),
        sessions: new Sessions(core),
        policies: () => PolicyEngine.load(DEFAULT_POLICIES),
      },
      reports: { store: core.store },
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    const t = new Tokens(core.store, core.log);
    const make = async (
      name: string,
      role: 'service' | 'operator',
      capabilities: string[],
      recordTypes: string[] = [],
    ) => (await t.create({ principal: name, role, recordTypes, capabilities, actor: 'operator:test' })).token;
    tokens['world'] = await make('world', 'service', ['session.open'], ['profile']);
    tokens['dpo'] = await make('dpo', 'operator', ['report.access', 'incident.manage']);
    tokens['ops'] = await make('ops', 'operator', []);
  });
  after(async () => {
    await app.close();
    await core.dispose();
  });

  const client = (token?: string) =>
    new VerityClient({ url, verifierKey: core.log.verifierKey, ...(token === undefined ? {} : { token }) });

  it("gives a player their own report, verified by the SDK, and nobody else's", async () => {
    const world = client(tokens['world']);
    const w = await world.putRecord({ subject: 'ann', type: 'profile', purpose: 'service-provision', data: { a: 1 } });
    await world.getRecord(w.id, { purpose: 'service-provision' });
    await world.putRecord({ subject: 'bob', type: 'profile', purpose: 'service-provision', data: { b: 1 } });
    const session = await world.openSession('ann');
    const ann = client(session.token);
    const r = await ann.accessReport();
    const actions = r.entries.map((e) => e.action);
    assert.ok(actions.includes('record.create') && actions.includes('record.read'));
    assert.ok(r.entries.every((e) => e.subject === r.header.subject));
    // The player's own request is the last line.
    assert.equal(r.lines.at(-1)?.actor, `player:session-${session.id}`);
    // A session may not ask for another player's report.
    await assert.rejects(
      ann.accessReport({ subject: 'bob' }),
      (e) => (e as { code?: string }).code === 'VERITY_E_ACCESS_DENIED',
    );
    // A service without report.access may not either; an operator granted it may, for a user request.
    await assert.rejects(
      world.accessReport({ subject: 'ann' }),
      (e) => (e as { code?: string }).code === 'VERITY_E_ACCESS_DENIED',
    );
    await assert.rejects(
      client(tokens['dpo']).accessReport({ subject: 'ann', purpose: 'marketing' }),
      (e) => (e as { code?: string }).code === 'VERITY_E_ACCESS_DENIED',
    );
    const dpo = await client(tokens['dpo']).accessReport({ subject: 'ann' });
    assert.equal(dpo.header.subject, r.header.subject);
    // What came over the wire verifies as it is, and is refused once altered.
    const raw = (await (
      await fetch(`${url}/v1/reports/access?purpose=user-request&subject=bob`, {
        headers: { authorization: `Bearer ${tokens['dpo']}` },
      })
    ).json()) as { header: unknown; lines: Record<string, unknown>[] };
    verifyAccessReport(raw, { verifierKey: core.log.verifierKey });
    (raw.lines[0] as Record<string, unknown>)['purpose'] = 'analytics';
    assert.throws(() => verifyAccessReport(raw, { verifierKey: core.log.verifierKey }), /fields differ/);
  });

  it('refuses bad report input clearly', async () => {
    const get = (q: string, token = tokens['dpo']) =>
      fetch(`${url}/v1/reports/access?${q}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await get('purpose=user-request&subject=ann&limit=0')).status, 400);
    assert.equal((await get('purpose=user-request&subject=ann&limit=99999999')).status, 400);
    assert.equal((await get('purpose=user-request&after=0x10&subject=ann')).status, 400);
    assert.equal((await get('purpose=user-request')).status, 400);
    assert.equal((await get('purpose=user-request&subject=ann&extra=1')).status, 400);
    assert.equal((await fetch(`${url}/v1/reports/access?purpose=user-request&subject=ann`)).status, 401);
  });

  it('serves privacy labels to any authenticated caller, as JSON or text', async () => {
    const l = await client(tokens['ops']).privacyLabel('profile');
    assert.deepEqual(l['recipients'], ['service:world']);
    const text = await (
      await fetch(`${url}/v1/reports/labels/profile?format=text`, {
        headers: { authorization: `Bearer ${tokens['ops']}` },
      })
    ).text();
    assert.match(text, /^Privacy label: profile/);
    const none = await fetch(`${url}/v1/reports/labels/nothing`, {
      headers: { authorization: `Bearer ${tokens['ops']}` },
    });
    assert.equal(none.status, 404);
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'VERITY_E_REPORT_TYPE_UNKNOWN');
  });

  it('keeps the incident register for tokens granted incident.manage only', async () => {
    const dpo = new IncidentClient(client(tokens['dpo']));
    await assert.rejects(
      new IncidentClient(client(tokens['ops'])).open({ description: 'x', categories: [] }),
      (e) => (e as { code?: string }).code === 'VERITY_E_ACCESS_DENIED',
    );
    const now = Date.now();
    const i = await dpo.open({
      description: 'a world token leaked',
      categories: ['dpv-pd:Contact'],
      awareAt: now - 73 * 3_600_000,
      detectedAt: now - 74 * 3_600_000,
      affected: { from: now - 3_600_000, to: now + 60_000, actors: ['service:world'], actions: ['record.read'] },
    });
    assert.equal((i['affected'] as { count: number }).count, 1);
    assert.equal(i.overdue, true);
    const overdue = (await dpo.list({ overdue: true })) as { id: string }[];
    assert.deepEqual(
      overdue.map((x) => x.id),
      [i.id],
    );
    const n = await dpo.notify(i.id, {
      to: 'authority',
      reference: 'case 1',
      evidenceHash: `sha256:${'A'.repeat(43)}`,
      delayReason: 'found late',
    });
    assert.equal(n['overdue'], false);
    const c = await dpo.close(i.id, { resolution: 'token revoked' });
    assert.equal(c['status'], 'closed');
    assert.equal((await dpo.get(i.id))['status'], 'closed');
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens['dpo']}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal((await post('/v1/incidents', { description: 'x', categories: ['bad category'] })).status, 400);
    assert.equal((await post(`/v1/incidents/${i.id}/notifications`, { to: 'press', reference: 'r' })).status, 400);
    const closed = await post(`/v1/incidents/${i.id}/notifications`, { to: 'subjects', reference: 'r' });
    assert.equal(closed.status, 409);
    assert.equal((await post('/v1/incidents/inc_AAAAAAAAAAAAAAAAAAAAAA/close', { resolution: 'r' })).status, 404);
  });
});

describe('the incident register under the default privacy policy', () => {
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;

  before(async () => {
    core = await makeCore('sqlite');
    // As `verity serve` runs it: every purpose is checked against the privacy policy in force.
    const privacy = await Privacy.open({
      store: core.store,
      log: core.log,
      policy: PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY),
    });
    app = buildServer({
      log: core.log,
      records: {
        vault: core.vault,
        tokens: new Tokens(core.store, core.log),
        sessions: new Sessions(core),
        policies: () => PolicyEngine.load(DEFAULT_POLICIES),
        privacy,
      },
      reports: { store: core.store },
    });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await core.dispose();
  });

  it('lists, opens and reads incidents for breach notification, a legal obligation (GDPR Art. 33, 34)', async () => {
    const { token } = await new Tokens(core.store, core.log).create({
      principal: 'dpo',
      role: 'operator',
      recordTypes: [],
      capabilities: ['incident.manage'],
      actor: 'operator:test',
    });
    const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
      app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    const empty = await call('GET', '/v1/incidents');
    assert.equal(empty.statusCode, 200, empty.body);
    assert.deepEqual(empty.json(), []);
    const opened = await call('POST', '/v1/incidents', { description: 'a token leaked', categories: [] });
    assert.equal(opened.statusCode, 201, opened.body);
    const id = (opened.json() as { id: string }).id;
    assert.equal((await call('GET', `/v1/incidents/${id}`)).statusCode, 200);
    assert.equal(
      PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY).checkPurpose('breach-notification'),
      'breach-notification',
    );
  });
});
