// Data-subject rights end to end through the HTTP API, on SQLite and PostgreSQL: each right filed,
// carried out and completed with its evidence; the erasure's tombstones proven to the SDK while the
// whole log still verifies; a portability bundle imported by a second Verity (a tampered one
// refused); processors notified by signed webhooks and acknowledging; restrictions lifted and
// objections withdrawn (by the subject or rights.manage only); deadlines extended and
// overdue requests listed; a retention run (the dry run changes nothing).
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { fixedClock } from '../src/clock/index.ts';
import { verifyLogStorage } from '../src/log/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { Retention, tableRules } from '../src/retention/index.ts';
import { reasonCommitment, signWebhook, verifyWebhook } from '../src/rights/index.ts';
import { VerityClient } from '../src/sdk/index.ts';
import { buildServer } from '../src/server/index.ts';
import { BACKENDS, makeCore, type TestCore } from './helpers/core.ts';

type App = ReturnType<typeof buildServer>;

function serve(core: TestCore, clock: ReturnType<typeof fixedClock>): App {
  const engine = PolicyEngine.load(DEFAULT_POLICIES);
  return buildServer({
    log: core.log,
    records: {
      vault: core.vault,
      tokens: new Tokens(core.store, core.log, clock),
      sessions: new Sessions({ keys: core.keys, store: core.store, log: core.log, clock }),
      policies: () => engine,
      clock,
    },
    rights: { rights: core.rights, retention: core.retention },
  });
}

/** `fetch` over `app.inject`, for the SDK. */
function injectFetch(app: App): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const u = new URL(String(input));
    const r = await app.inject({
      method: (init?.method ?? 'GET') as 'GET',
      url: u.pathname + u.search,
      headers: (init?.headers ?? {}) as Record<string, string>,
      ...(init?.body === undefined ? {} : { payload: init.body as string }),
    });
    return new Response(r.statusCode === 204 ? null : r.rawPayload, {
      status: r.statusCode,
      headers: { 'content-type': String(r.headers['content-type'] ?? 'application/json') },
    });
  }) as typeof fetch;
}

for (const backend of BACKENDS)
  describe(`data-subject rights over HTTP (${backend})`, () => {
    const clock = fixedClock(Date.parse('2026-06-01T00:00:00Z'));
    let core: TestCore;
    let core2: TestCore;
    let app: App;
    let app2: App;
    let world: string;
    let manager: string;
    let manager2: string;
    let hook: Server;
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    let hookUrl = '';
    const ids: Record<string, string> = {};

    const call = (a: App, method: string, url: string, token: string | undefined, payload?: unknown) =>
      a.inject({
        method: method as 'GET',
        url,
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    const put = async (subject: string, data: object, extra: object = {}) => {
      const r = await call(app, 'POST', '/v1/records', world, {
        subject,
        type: 'profile',
        purpose: 'service-provision',
        data,
        ...extra,
      });
      assert.equal(r.statusCode, 201, r.body);
      return r.json().id as string;
    };
    const identity = { evidenceKind: 'document-check', evidenceRef: 'case-42' };
    const file = async (subject: string, type: string, extra: object = {}) => {
      const r = await call(app, 'POST', '/v1/rights/requests', manager, { type, subject, identity, ...extra });
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };
    const execute = async (id: string, body: object = {}, token = manager) => {
      const r = await call(app, 'POST', `/v1/rights/requests/${id}/execute`, token, body);
      assert.equal(r.statusCode, 200, r.body);
      return r.json();
    };

    before(async () => {
      core = await makeCore(backend, { clock });
      core2 = await makeCore(backend, { clock });
      app = serve(core, clock);
      app2 = serve(core2, clock);
      await app.ready();
      await app2.ready();
      const tokens = new Tokens(core.store, core.log, clock);
      world = (
        await tokens.create({
          principal: 'world',
          role: 'service',
          recordTypes: ['profile'],
          capabilities: ['session.open'],
          actor: 'operator:test',
        })
      ).token;
      const caps = ['rights.manage', 'processor.manage', 'retention.run'];
      manager = (
        await tokens.create({
          principal: 'dpo',
          role: 'operator',
          capabilities: caps,
          actor: 'operator:test',
          ttlMs: 300 * 24 * 3600 * 1000,
        })
      ).token;
      manager2 = (
        await new Tokens(core2.store, core2.log, clock).create({
          principal: 'dpo',
          role: 'operator',
          capabilities: caps,
          actor: 'operator:test',
        })
      ).token;
      hook = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => {
          body += c.toString();
        });
        req.on('end', () => {
          received.push({ headers: req.headers, body });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((ok) => hook.listen(0, '127.0.0.1', ok));
      hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
      ids['a1'] = await put('player-a', { name: 'Ada' });
      ids['a2'] = await put('player-a', { name: 'Ada', level: 3 });
    });
    after(async () => {
      hook.close();
      await app.close();
      await app2.close();
      await core.dispose();
      await core2.dispose();
    });

    it('access: a player files with their session and gets the export, with proofs, and a summary', async () => {
      const s = await call(app, 'POST', '/v1/sessions', world, { player: 'player-a', purpose: 'authentication' });
      assert.equal(s.statusCode, 201, s.body);
      const session = s.json().token as string;
      const f = await call(app, 'POST', '/v1/rights/requests', session, { type: 'access' });
      assert.equal(f.statusCode, 201, f.body);
      const req = f.json();
      assert.equal(req.status, 'received');
      assert.equal(req.regime, 'gdpr');
      assert.equal(req.receivedAt, '2026-06-01T00:00:00.000Z');
      assert.equal(req.deadline, '2026-07-01T23:59:59.999Z');
      assert.equal(req.identity.method, 'session');
      // Another subject is not the player's to file about.
      const other = await call(app, 'POST', '/v1/rights/requests', session, { type: 'access', subject: 'player-b' });
      assert.equal(other.statusCode, 403);
      const done = await execute(req.id, {}, session);
      assert.equal(done.request.status, 'completed');
      assert.equal(done.export.records.length, 2);
      const names = done.export.records.map((r: { data: { name: string } }) => r.data.name);
      assert.deepEqual(names, ['Ada', 'Ada']);
      assert.ok(done.export.records[0].proof.checkpoint.includes('verity-state/v1'));
      assert.match(done.summary, /2 record\(s\)/);
      assert.ok(done.request.evidence.length >= 3);
      const last = (await core.log.entries(done.request.evidence.at(-1), done.request.evidence.at(-1) + 1))[0];
      assert.equal(decodeAuditEntry(last as Uint8Array).action, 'rights.complete');
    });

    it("a session's export and rectification reach no more than its opener; Verity's own records are never rectified", async () => {
      // Another service's record and a vault token of the same player (written past the API, as the
      // de-identification capability writes its own), beside the opener's own record.
      const chat = (
        await new Tokens(core.store, core.log, clock).create({
          principal: 'chat-world',
          role: 'service',
          recordTypes: ['chat'],
          actor: 'operator:test',
        })
      ).token;
      const own = await call(app, 'POST', '/v1/records', world, {
        subject: 'player-c',
        type: 'profile',
        purpose: 'service-provision',
        data: { name: 'Cleo' },
      });
      const theirs = await call(app, 'POST', '/v1/records', chat, {
        subject: 'player-c',
        type: 'chat',
        purpose: 'service-provision',
        data: { text: 'hello from chat' },
      });
      assert.equal(theirs.statusCode, 201, theirs.body);
      const token = await core.vault.put({
        actor: 'service:deid',
        purpose: 'service-provision',
        subject: 'player-c',
        type: 'verity.token',
        data: { value: 'cleo@example.com' },
      });
      const s = await call(app, 'POST', '/v1/sessions', world, { player: 'player-c', purpose: 'authentication' });
      const session = s.json().token as string;
      const filed: string[] = [];
      const fileOwn = async (type: string) => {
        const id = (await call(app, 'POST', '/v1/rights/requests', session, { type })).json().id as string;
        filed.push(id);
        return id;
      };
      for (const type of ['access', 'portability']) {
        const done = await execute(await fileOwn(type), {}, session);
        const records = (done.export?.records ??
          JSON.parse(Buffer.from((done.bundle as string).split('.')[1] as string, 'base64url').toString()).records) as {
          id: string;
          type: string;
        }[];
        assert.deepEqual(
          records.map((r) => r.id),
          [own.json().id],
          `${type}: only the opener's record type`,
        );
      }
      // Rectifying the other service's record or the vault token with the session: refused, unchanged.
      for (const id of [theirs.json().id as string, token.id]) {
        const r = await call(app, 'POST', `/v1/rights/requests/${await fileOwn('rectification')}/execute`, session, {
          corrections: [{ id, data: { text: 'rewritten' } }],
        });
        assert.ok(r.statusCode === 403 || r.statusCode === 400, r.body);
        assert.equal((await core.vault.describe(id))?.version, 1);
      }
      // A rectification with a refused correction applies none of them, not those before it.
      const mixed = await call(app, 'POST', `/v1/rights/requests/${await fileOwn('rectification')}/execute`, session, {
        corrections: [
          { id: own.json().id, data: { name: 'Cleo II' } },
          { id: theirs.json().id, data: { text: 'rewritten' } },
        ],
      });
      assert.equal(mixed.statusCode, 403, mixed.body);
      assert.equal((await core.vault.describe(own.json().id))?.version, 1);
      // rights.manage exports every record of the subject, but rectifies no vault token either.
      const all = await execute((await file('player-c', 'access')).id);
      assert.equal(all.export.records.length, 3);
      const managed = (await file('player-c', 'rectification')).id as string;
      filed.push(managed);
      const fix = await call(app, 'POST', `/v1/rights/requests/${managed}/execute`, manager, {
        corrections: [{ id: token.id, data: { value: 'attacker@example.com' } }],
      });
      assert.equal(fix.statusCode, 400, fix.body);
      assert.match(fix.json().error.message, /Verity's own/);
      const v = await core.vault.get(token.id, { actor: 'operator:test', purpose: 'fraud-prevention' });
      assert.equal((v.data as { value: string }).value, 'cleo@example.com');
      // A correction the restriction refuses is found before any is written: the first stays as it was.
      const restrict = (await file('player-c', 'restriction', { scope: { records: [theirs.json().id] } })).id as string;
      await execute(restrict);
      const version = (await core.vault.describe(own.json().id))?.version;
      const blocked = (await file('player-c', 'rectification')).id as string;
      filed.push(blocked);
      const refused = await call(app, 'POST', `/v1/rights/requests/${blocked}/execute`, manager, {
        corrections: [
          { id: own.json().id, data: { name: 'Cleo III' } },
          { id: theirs.json().id, data: { text: 'rewritten' } },
        ],
      });
      assert.equal(refused.statusCode, 403, refused.body);
      assert.equal(refused.json().error.code, 'VERITY_E_RIGHTS_RESTRICTED');
      assert.equal((await core.vault.describe(own.json().id))?.version, version);
      // The requests that could not be carried out are refused, so none stays open.
      for (const id of filed.slice(2)) {
        const r = await call(app, 'POST', `/v1/rights/requests/${id}/refuse`, manager, {
          reason: 'manifestly-unfounded',
        });
        assert.equal(r.statusCode, 200, r.body);
      }
    });

    it("lets no API caller name a subject of Verity's own, such as a private dataset's (D415)", async () => {
      const before = (await core.log.head()).size;
      const subject = 'verity-dataset:minutes';
      const asked = [
        await call(app, 'POST', '/v1/rights/requests', manager, { type: 'access', subject, identity }),
        await call(app, 'POST', '/v1/sessions', world, { player: subject, purpose: 'authentication' }),
        await call(app, 'POST', '/v1/records', world, {
          subject,
          type: 'profile',
          purpose: 'service-provision',
          data: {},
        }),
      ];
      for (const r of asked) {
        assert.equal(r.statusCode, 400, r.body);
        assert.match(r.json().error.message, /must not begin with `verity-`/);
      }
      assert.equal((await core.log.head()).size, before, 'nothing written');
    });

    it('refuses a token without rights.manage, and logs the refusal', async () => {
      const from = (await core.log.head()).size;
      const r = await call(app, 'POST', '/v1/rights/requests', world, {
        type: 'access',
        subject: 'player-a',
        identity,
      });
      assert.equal(r.statusCode, 403);
      assert.match(r.json().error.message, /rights\.manage/);
      // The refusal names the policy set in force, as every decision does (D415).
      const logged = (await core.log.entries(from, (await core.log.head()).size))
        .map((b) => new TextDecoder().decode(b))
        .filter((t) => t.includes('policy.decision'))
        .map((t) => decodeAuditEntry(new TextEncoder().encode(t)));
      assert.equal(logged.length, 1);
      assert.match(logged[0]?.policy ?? '', /^sha256:/);
      const p = await call(app, 'POST', '/v1/rights/processors', world, { name: 'crm', url: hookUrl });
      assert.equal(p.statusCode, 403);
    });

    it('portability: a signed bundle that a second Verity verifies and imports; a tampered one is refused', async () => {
      const req = await file('player-a', 'portability');
      const done = await execute(req.id);
      const bundle = done.bundle as string;
      const key = (await call(app, 'GET', '/v1/rights/export-key', undefined)).json();
      const imp = await call(app2, 'POST', '/v1/rights/import', manager2, {
        bundle,
        exporterKey: key,
        subject: 'player-a',
        purpose: 'service-provision',
      });
      assert.equal(imp.statusCode, 200, imp.body);
      const imported = imp.json().imported as { id: string }[];
      assert.equal(imported.length, 2);
      const got = await core2.vault.get(imported[0]?.id as string, { actor: 'operator:test', purpose: 'support' });
      assert.equal((got.data as { name: string }).name, 'Ada');
      assert.equal(got.meta.provenance.source, 'portability-import');
      const [h, p, s] = bundle.split('.') as [string, string, string];
      const payload = Buffer.from(p, 'base64url').toString().replace('"Ada"', '"Eve"');
      const tampered = `${h}.${Buffer.from(payload).toString('base64url')}.${s}`;
      const before = (await core2.log.head()).size;
      for (const [b, k] of [
        [tampered, key],
        [bundle, { ...key, x: (await call(app2, 'GET', '/v1/rights/export-key', undefined)).json().x }],
      ]) {
        const bad = await call(app2, 'POST', '/v1/rights/import', manager2, {
          bundle: b,
          exporterKey: k,
          subject: 'player-z',
          purpose: 'service-provision',
        });
        assert.equal(bad.statusCode, 422, bad.body);
        assert.equal(bad.json().error.code, 'VERITY_E_RIGHTS_BUNDLE_INVALID');
      }
      assert.equal((await core2.log.head()).size, before, 'nothing written from a bad bundle');
    });

    it('rectification: a new version with its provenance; processors are told, by a signed webhook, and acknowledge', async () => {
      const reg = await call(app, 'POST', '/v1/rights/processors', manager, { name: 'crm', url: hookUrl });
      assert.equal(reg.statusCode, 201, reg.body);
      const { processor, secret } = reg.json();
      const req = await file('player-a', 'rectification');
      const done = await execute(req.id, { corrections: [{ id: ids['a1'], data: { name: 'Ada L.' } }] });
      assert.equal(done.rectified[0].version, 2);
      assert.equal(done.notifications.length, 1);
      const r = await call(app, 'GET', `/v1/records/${ids['a1']}?purpose=service-provision`, world);
      assert.equal(r.json().data.name, 'Ada L.');
      assert.equal(r.json().meta.provenance.source, 'data-subject-rectification');
      assert.deepEqual(await core.rights.processors.deliver(), { delivered: 1, retrying: 0, failed: 0 });
      const got = received.at(-1);
      assert.ok(got !== undefined);
      assert.equal(
        verifyWebhook(secret, got.headers as Record<string, string>, got.body, clock.now()),
        done.notifications[0],
      );
      assert.equal(JSON.parse(got.body).data.request, req.id);
      const ack = JSON.stringify({ notification: done.notifications[0] });
      const ackUrl = `/v1/rights/processors/${processor.id}/ack`;
      const forged = signWebhook(`whsec_${Buffer.alloc(32, 9).toString('base64')}`, 'ack_1', clock.now(), ack);
      const no = await app.inject({
        method: 'POST',
        url: ackUrl,
        headers: { ...forged, 'content-type': 'application/json' },
        payload: ack,
      });
      assert.equal(no.statusCode, 401, no.body);
      const yes = await app.inject({
        method: 'POST',
        url: ackUrl,
        headers: { ...signWebhook(secret, 'ack_1', clock.now(), ack), 'content-type': 'application/json' },
        payload: ack,
      });
      assert.equal(yes.statusCode, 200, yes.body);
      assert.equal(yes.json().status, 'acknowledged');
      const shown = (await call(app, 'GET', `/v1/rights/requests/${req.id}`, manager)).json();
      assert.equal(shown.notifications[0].status, 'acknowledged');
      assert.equal(shown.notifications[0].logIndices.length, 2);
    });

    it('restriction and objection: refused afterwards on every path, the refusal logged', async () => {
      const rec = await put('player-r', { name: 'Rae' });
      await execute((await file('player-r', 'restriction')).id);
      const r = await call(app, 'GET', `/v1/records/${rec}?purpose=service-provision`, world);
      assert.equal(r.statusCode, 403, r.body);
      assert.equal(r.json().error.code, 'VERITY_E_RIGHTS_RESTRICTED');
      // Legal claims may still use it.
      const ok = await core.vault.get(rec, { actor: 'operator:test', purpose: 'legal-claims' });
      assert.equal((ok.data as { name: string }).name, 'Rae');
      const rec2 = await put('player-o', { name: 'Oz' });
      const o = await file('player-o', 'objection', { scope: { purposes: ['service-provision'] } });
      const done = await execute(o.id);
      assert.deepEqual(done.limits.objections, ['service-provision']);
      const read = await call(app, 'GET', `/v1/records/${rec2}?purpose=service-provision`, world);
      assert.equal(read.json().error.code, 'VERITY_E_RIGHTS_OBJECTED');
      const write = await call(app, 'POST', '/v1/records', world, {
        subject: 'player-o',
        type: 'profile',
        purpose: 'service-provision',
        data: { name: 'Oz 2' },
      });
      assert.equal(write.statusCode, 403);
      const size = (await core.log.head()).size;
      // Audit entries only (state entries sit between them).
      const entries = (await core.log.entries(size - 20, size)).flatMap((e) => {
        try {
          return [decodeAuditEntry(e)];
        } catch {
          return [];
        }
      });
      assert.ok(entries.some((e) => e.action === 'rights.enforce' && e.outcome === 'denied'));
    });

    it('lift: a restriction lifted by rights.manage for a reason (the subject informed first), the read allowed again, logged by pseudonym and commitment, processors told', async () => {
      const rec = await put('player-l', { name: 'Lou' });
      const restriction = await file('player-l', 'restriction');
      await execute(restriction.id);
      const read = () => call(app, 'GET', `/v1/records/${rec}?purpose=service-provision`, world);
      assert.equal((await read()).json().error.code, 'VERITY_E_RIGHTS_RESTRICTED');
      const reg = await call(app, 'POST', '/v1/rights/processors', manager, { name: 'lift-crm', url: hookUrl });
      assert.equal(reg.statusCode, 201, reg.body);
      const { processor, secret } = reg.json();
      const reason = 'Lou asked by mail on 30 May, ticket 991';
      const ask = { subject: 'player-l', records: [rec], reason, informedAt: '2026-05-31T10:00:00Z' };
      // Default deny: a token without rights.manage lifts nothing.
      const denied = await call(app, 'POST', '/v1/rights/limits/lift', world, ask);
      assert.equal(denied.statusCode, 403, denied.body);
      // The refusal names what the token lacks and the command that makes one with it.
      assert.match(
        denied.json().error.message,
        /was not granted `rights\.manage`; create one with `verity tokens create \.\.\. --capability rights\.manage`/,
      );
      assert.equal((await read()).statusCode, 403);
      // Art. 18(3): the controller says when the subject was informed.
      const { informedAt: _i, ...uninformed } = ask;
      const no = await call(app, 'POST', '/v1/rights/limits/lift', manager, uninformed);
      assert.equal(no.statusCode, 400, no.body);
      assert.match(no.json().error.message, /18\(3\)/);
      const size = (await core.log.head()).size;
      const res = await call(app, 'POST', '/v1/rights/limits/lift', manager, ask);
      assert.equal(res.statusCode, 200, res.body);
      const { lift, limits, notifications } = res.json();
      assert.equal(limits.restricted, 0);
      assert.deepEqual(lift.ends, [restriction.id]);
      assert.equal(lift.by, 'controller');
      assert.equal(lift.informedAt, '2026-05-31T10:00:00.000Z');
      assert.ok(notifications.length >= 1);
      const again = await read();
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(again.json().data.name, 'Lou');
      // Lifting what is no longer in force is refused, saying what is.
      const twice = await call(app, 'POST', '/v1/rights/limits/lift', manager, ask);
      assert.equal(twice.statusCode, 409, twice.body);
      assert.equal(twice.json().error.code, 'VERITY_E_RIGHTS_NOT_IN_FORCE');
      assert.match(twice.json().error.message, /0 restricted record/);
      // One rights.lift entry: the subject by pseudonym, the reason only as a salted commitment.
      const raw = (await core.log.entries(size, (await core.log.head()).size)).filter((e) => {
        try {
          return decodeAuditEntry(e).action === 'rights.lift';
        } catch {
          return false;
        }
      });
      assert.equal(raw.length, 1);
      const entry = decodeAuditEntry(raw[0] as Uint8Array);
      const ref = await core.vault.subjectRef('player-l');
      assert.equal(entry.subject, await core.vault.pseudonymOf(ref));
      assert.equal(entry.details?.['reason'], lift.reasonCommitment);
      assert.equal(entry.details?.['reasonLength'], reason.length);
      assert.equal(
        lift.reasonCommitment,
        reasonCommitment(Buffer.from(lift.reasonSalt, 'base64url'), reason),
        'the subject can check the commitment',
      );
      const text = Buffer.from(raw[0] as Uint8Array).toString('latin1');
      assert.ok(!text.includes('ticket 991') && !text.includes('player-l'), 'no plaintext reason or subject id');
      // The restriction request names the lift that ended it.
      const shown = (await call(app, 'GET', `/v1/rights/requests/${restriction.id}`, manager)).json();
      assert.deepEqual(shown.lifts, [lift.id]);
      // The processor gets a signed rights.lift webhook.
      const mine = (await core.rights.processors.notificationsOf(lift.id)).find((n) => n.processor === processor.id);
      assert.ok(mine !== undefined);
      await core.rights.processors.deliver();
      const got = received.find((r) => r.headers['webhook-id'] === mine.id);
      assert.ok(got !== undefined, 'the processor received the lift');
      assert.equal(verifyWebhook(secret, got.headers as Record<string, string>, got.body, clock.now()), mine.id);
      const event = JSON.parse(got.body);
      assert.equal(event.type, 'rights.lift');
      assert.deepEqual(event.data.records, [rec]);
      assert.ok(!got.body.includes('ticket 991'));
      await call(app, 'DELETE', `/v1/rights/processors/${processor.id}`, manager);
    });

    it('lift: an objection the controller carried out is lifted by rights.manage, not by a session a service opened (D417)', async () => {
      const rec = await put('player-w', { name: 'Wren' });
      const s = await call(app, 'POST', '/v1/sessions', world, { player: 'player-w', purpose: 'authentication' });
      assert.equal(s.statusCode, 201, s.body);
      const session = s.json().token as string;
      // The platform's session neither objects for the player nor withdraws their objection.
      const own = await call(app, 'POST', '/v1/rights/requests', session, {
        type: 'objection',
        scope: { purposes: ['service-provision'] },
      });
      assert.equal(own.statusCode, 201, own.body);
      const refused = await call(app, 'POST', `/v1/rights/requests/${own.json().id}/execute`, session, {});
      assert.equal(refused.statusCode, 403, refused.body);
      assert.match(refused.json().error.message, /signs in themselves/);
      const head = await core.log.head();
      const denial = decodeAuditEntry((await core.log.entries(head.size - 1, head.size))[0] as Uint8Array);
      assert.deepEqual(
        [denial.action, denial.outcome, denial.details?.['decision']],
        ['policy.decision', 'denied', 'deny'],
      );
      const closed = await call(app, 'POST', `/v1/rights/requests/${own.json().id}/refuse`, manager, {
        reason: 'identity-not-verified',
      });
      assert.equal(closed.statusCode, 200, closed.body);
      const f = await file('player-w', 'objection', { scope: { purposes: ['service-provision'] } });
      await execute(f.id);
      const read = () => call(app, 'GET', `/v1/records/${rec}?purpose=service-provision`, world);
      assert.equal((await read()).json().error.code, 'VERITY_E_RIGHTS_OBJECTED');
      const limits = (await call(app, 'GET', '/v1/rights/limits', session)).json();
      assert.deepEqual(limits.objections, ['service-provision']);
      // A player lifts nobody else's limits; a session a service opened lifts no objection.
      const other = await call(app, 'POST', '/v1/rights/limits/lift', session, {
        subject: 'player-l',
        purposes: ['service-provision'],
        reason: 'not mine',
      });
      assert.equal(other.statusCode, 403, other.body);
      const vouched = await call(app, 'POST', '/v1/rights/limits/lift', session, {
        purposes: ['service-provision'],
        reason: 'the platform changed its mind',
      });
      assert.equal(vouched.statusCode, 403, vouched.body);
      const res = await call(app, 'POST', '/v1/rights/limits/lift', manager, {
        subject: 'player-w',
        purposes: ['service-provision'],
        reason: 'the subject withdrew it by letter',
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().lift.by, 'controller');
      assert.deepEqual(res.json().limits.objections, []);
      const ok = await read();
      assert.equal(ok.statusCode, 200, ok.body);
      const after = (await call(app, 'GET', '/v1/rights/limits', session)).json();
      assert.deepEqual(after.objections, []);
      // A lift of an objection (its reason the controller's) is not this session's to read (D417).
      assert.deepEqual(after.lifts, []);
      // The manager reads any subject's limits; a token without rights.manage does not.
      const seen = await call(app, 'GET', '/v1/rights/limits?subject=player-w', manager);
      assert.equal(seen.json().lifts.length, 1);
      assert.equal((await call(app, 'GET', '/v1/rights/limits?subject=player-w', world)).statusCode, 403);
    });

    it("a session a service opened erases and restricts only its opener's types, and shreds nothing (D417)", async () => {
      const chat = (
        await new Tokens(core.store, core.log, clock).create({
          principal: 'chat-v',
          role: 'service',
          recordTypes: ['chat'],
          actor: 'operator:test',
        })
      ).token;
      const mine = await put('player-v', { name: 'Vic' });
      const theirs = await call(app, 'POST', '/v1/records', chat, {
        subject: 'player-v',
        type: 'chat',
        purpose: 'service-provision',
        data: { text: 'gg' },
      });
      assert.equal(theirs.statusCode, 201, theirs.body);
      const session = (
        await call(app, 'POST', '/v1/sessions', world, { player: 'player-v', purpose: 'authentication' })
      ).json().token as string;
      const fileOwn = async (type: string, extra: object = {}) =>
        (await call(app, 'POST', '/v1/rights/requests', session, { type, ...extra })).json().id as string;
      const restriction = await fileOwn('restriction');
      const restrict = await call(app, 'POST', `/v1/rights/requests/${restriction}/execute`, session, {
        records: [theirs.json().id],
      });
      assert.equal(restrict.statusCode, 403, restrict.body);
      // Refused, the request is still open, untouched: the controller closes it.
      assert.equal((await call(app, 'GET', `/v1/rights/requests/${restriction}`, manager)).json().status, 'received');
      await call(app, 'POST', `/v1/rights/requests/${restriction}/refuse`, manager, {
        reason: 'identity-not-verified',
      });
      const erasure = await fileOwn('erasure');
      const shred = await call(app, 'POST', `/v1/rights/requests/${erasure}/execute`, session, { mode: 'shred' });
      assert.equal(shred.statusCode, 403, shred.body);
      // Nor does it erase the other service's record by naming it (D424).
      const named = await call(app, 'POST', `/v1/rights/requests/${erasure}/execute`, session, {
        records: [theirs.json().id],
      });
      assert.equal(named.statusCode, 403, named.body);
      const done = await execute(erasure, {}, session);
      assert.deepEqual(
        done.tombstones.map((t: { id: string }) => t.id),
        [mine],
      );
      // The other service's record and the player's key are untouched.
      const still = await call(app, 'GET', `/v1/records/${theirs.json().id}?purpose=service-provision`, chat);
      assert.equal(still.statusCode, 200, still.body);
      assert.ok(await core.vault.pseudonymOf(await core.vault.subjectRef('player-v')));
      // The controller restricts the other service's record: the session does not see it.
      const r = await file('player-v', 'restriction', { scope: { records: [theirs.json().id] } });
      await execute(r.id);
      assert.deepEqual((await call(app, 'GET', '/v1/rights/limits?subject=player-v', manager)).json().restricted, [
        theirs.json().id,
      ]);
      assert.deepEqual((await call(app, 'GET', '/v1/rights/limits', session)).json().restricted, []);
      // Nor does it see the controller's request, which names the other service's record (D426):
      // its own requests only.
      const listed = (await call(app, 'GET', '/v1/rights/requests', session)).json().map((x: { id: string }) => x.id);
      assert.deepEqual(listed.sort(), [erasure, restriction].sort());
      const shown = await call(app, 'GET', `/v1/rights/requests/${r.id}`, session);
      assert.equal(shown.statusCode, 404, shown.body);
      assert.equal((await call(app, 'GET', `/v1/rights/requests/${erasure}`, session)).statusCode, 200);
      assert.ok(
        (await call(app, 'GET', '/v1/rights/requests', manager)).json().some((x: { id: string }) => x.id === r.id),
      );
    });

    it('erasure: no version can be read, the SDK checks each tombstone, and the log still verifies', async () => {
      const e1 = await put('player-e', { name: 'Eve' });
      await put('player-e', { name: 'Eve 2' }, { id: e1 });
      const e2 = await put('player-e', { name: 'Eve' });
      const done = await execute((await file('player-e', 'erasure')).id);
      assert.equal(done.request.status, 'completed');
      assert.deepEqual(done.tombstones.map((t: { id: string }) => t.id).sort(), [e1, e2].sort());
      const sdk = new VerityClient({
        url: 'http://verity.test',
        verifierKey: core.log.verifierKey,
        token: world,
        fetch: injectFetch(app),
      });
      for (const t of done.tombstones) await sdk.verifyErasure(t.id, t.state);
      // A tombstone shown for another record is refused.
      await assert.rejects(sdk.verifyErasure(e1, done.tombstones.find((t: { id: string }) => t.id === e2).state), {
        code: 'VERITY_E_STATE_PROOF_INVALID',
      });
      for (const version of [undefined, 1, 2])
        await assert.rejects(
          sdk.getRecord(e1, { purpose: 'service-provision', ...(version === undefined ? {} : { version }) }),
          (e: { code?: string; message?: string }) =>
            e.code === 'VERITY_E_RECORD_ERASED' && /proven/.test(e.message ?? ''),
        );
      await verifyLogStorage(core.store, core.log.verifier, core.log.origin);
    });

    it("erasure of the records a request names: only those, the key kept; another's record or a shred refused (D424)", async () => {
      const keep = await put('player-s', { name: 'Sol' });
      const drop = await put('player-s', { name: 'Sol', level: 9 });
      const other = await put('player-t', { name: 'Tam' });
      // Another subject's record named: refused, nothing erased.
      const wrong = await file('player-s', 'erasure', { scope: { records: [drop, other] } });
      const refused = await call(app, 'POST', `/v1/rights/requests/${wrong.id}/execute`, manager, {});
      assert.equal(refused.statusCode, 400, refused.body);
      assert.match(refused.json().error.message, /only records of the subject/);
      // Refused before it moved: not left in progress with nothing done (D430).
      assert.equal((await call(app, 'GET', `/v1/rights/requests/${wrong.id}`, manager)).json().status, 'received');
      assert.equal((await core.vault.describe(drop))?.state, 'stored');
      assert.equal((await core.vault.describe(other))?.state, 'stored');
      // A scoped erasure asked to shred: refused, nothing erased.
      const scoped = await file('player-s', 'erasure', { scope: { records: [drop] } });
      const shred = await call(app, 'POST', `/v1/rights/requests/${scoped.id}/execute`, manager, { mode: 'shred' });
      assert.equal(shred.statusCode, 400, shred.body);
      assert.equal((await core.vault.describe(drop))?.state, 'stored');
      const done = await execute(scoped.id);
      assert.deepEqual(
        done.tombstones.map((t: { id: string }) => t.id),
        [drop],
      );
      assert.equal((await core.vault.describe(drop))?.state, 'erased');
      const kept = await call(app, 'GET', `/v1/records/${keep}?purpose=service-provision`, world);
      assert.equal(kept.statusCode, 200, kept.body);
      assert.ok(await core.vault.pseudonymOf(await core.vault.subjectRef('player-s')), 'the key is kept');
      // `records` at execution names them too.
      const named = await file('player-s', 'erasure');
      const again = await execute(named.id, { records: [keep] });
      assert.deepEqual(
        again.tombstones.map((t: { id: string }) => t.id),
        [keep],
      );
      assert.ok(await core.vault.pseudonymOf(await core.vault.subjectRef('player-s')), 'still no shred');
      // The refused request is the controller's to close.
      const closed = await call(app, 'POST', `/v1/rights/requests/${wrong.id}/refuse`, manager, {
        reason: 'manifestly-unfounded',
      });
      assert.equal(closed.statusCode, 200, closed.body);
    });

    it('deadlines: extended once for a logged reason; overdue requests are listed', async () => {
      const req = await file('player-x', 'access');
      const ext = await call(app, 'POST', `/v1/rights/requests/${req.id}/extend`, manager, {
        reason: 'complexity',
        note: 'many records',
      });
      assert.equal(ext.statusCode, 200, ext.body);
      assert.equal(ext.json().deadline, '2026-09-01T23:59:59.999Z');
      const again = await call(app, 'POST', `/v1/rights/requests/${req.id}/extend`, manager, { reason: 'complexity' });
      assert.equal(again.json().error.code, 'VERITY_E_RIGHTS_EXTENSION_REFUSED');
      const ccpa = await file('player-y', 'erasure', { regime: 'ccpa' });
      assert.equal(ccpa.deadline, '2026-07-15T23:59:59.999Z');
      const none = (await call(app, 'GET', '/v1/rights/requests?overdue=true', manager)).json();
      assert.deepEqual(none, []);
      const now = clock.now();
      clock.set(Date.parse('2026-10-01T00:00:00Z'));
      try {
        const res = await call(app, 'GET', '/v1/rights/requests?overdue=true', manager);
        assert.equal(res.statusCode, 200, res.body);
        const late = res.json() as { id: string }[];
        assert.deepEqual(late.map((r) => r.id).sort(), [req.id, ccpa.id].sort());
      } finally {
        clock.set(now);
      }
    });

    it('retention: a dry run changes nothing; a run erases what ran out; a rule anonymizes', async () => {
      const t = await put('player-t', { name: 'Tom', channel: 'general' }, { retainUntil: '2026-06-02T00:00:00Z' });
      const now = clock.now();
      clock.set(Date.parse('2026-06-03T00:00:00Z'));
      try {
        const size = (await core.log.head()).size;
        const dry = await call(app, 'POST', '/v1/retention/run', manager, { dryRun: true });
        assert.equal(dry.statusCode, 200, dry.body);
        assert.deepEqual(
          dry.json().actions.map((a: { record: string; action: string }) => [a.record, a.action]),
          [[t, 'erase']],
        );
        assert.equal((await core.log.head()).size, size, 'a dry run writes nothing');
        const run = (await call(app, 'POST', '/v1/retention/run', manager, {})).json();
        assert.equal(run.erased, 1);
        assert.equal((await call(app, 'GET', `/v1/records/${t}?purpose=service-provision`, world)).statusCode, 410);
        // A rule per type: anonymize profiles after 30 days, keeping only the channel.
        const u = await put('player-u', { name: 'Uma', channel: 'general' });
        clock.set(Date.parse('2026-07-10T00:00:00Z'));
        const rules = tableRules({ types: { profile: { afterDays: 30, action: 'anonymize', keep: ['channel'] } } });
        const retention = new Retention({ store: core.store, vault: core.vault, log: core.log, clock, rules });
        const rep = await retention.run();
        const a = rep.actions.find((x) => x.record === u);
        assert.equal(a?.action, 'anonymize');
        const copy = await core.vault.get(a?.anonymizedAs as string, { actor: 'operator:test', purpose: 'retention' });
        assert.deepEqual(copy.data, { type: 'profile', fields: { channel: 'general' } });
        assert.equal(copy.meta.lineage.length, 0);
        await assert.rejects(core.vault.get(u, { actor: 'operator:test', purpose: 'support' }), {
          code: 'VERITY_E_RECORD_ERASED',
        });
        // The restricted record is held back, and said so.
        assert.ok(rep.actions.some((x) => x.action === 'skip'));
      } finally {
        clock.set(now);
      }
    });
  });
