// End-to-end encrypted rooms over HTTP (FGMV-46 7.2.1): three players with the SDK's MlsClient
// (real ts-mls, keys only in the clients) create a room, add, send, receive, update, remove and
// leave through a real server on loopback; a client restores its groups from saved state; a
// service acts for a player only with `mls.deliver`; a recipient reports a message with its
// franking opening and moderators see it PII-redacted, while forged reports (altered plaintext,
// another sender, another room, another recipient) are refused; and the known plaintexts are
// nowhere in the database, the transparency log or the server's log output. On both databases.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultCapabilities, defaultLifetime, encodeMlsMessage, generateKeyPackage } from 'ts-mls';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { Tokens } from '../src/principals/index.ts';
import { MemoryMlsStorage, MlsClient, type ReceivedMessage } from '../src/sdk/mls.ts';
import { BACKENDS, makeCore, type TestCore } from './helpers/core.ts';
import { mlsServer } from './helpers/mls-server.ts';

type App = ReturnType<typeof mlsServer>;
const code = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;
const errorCode = (r: { json(): unknown }) => (r.json() as { error?: { code?: string } }).error?.code;
// Known plaintexts searched for at rest and in logs at the end (unique per run).
const RUN = Math.random().toString(36).slice(2, 10);
const KNOWN = [`the eagle lands at dawn ${RUN}`, `carol's secret plan ${RUN}`, `bob updates ${RUN}`];
const PII_EMAIL = `mallory.${RUN}@example.com`;

for (const backend of BACKENDS) {
  describe(`mls rooms over HTTP (${backend})`, () => {
    let core: TestCore;
    let app: App;
    let url: string;
    const logLines: string[] = [];
    const t: Record<string, string> = {};
    const storage = { alice: new MemoryMlsStorage(), bob: new MemoryMlsStorage(), carol: new MemoryMlsStorage() };
    let alice: MlsClient;
    let bob: MlsClient;
    let carol: MlsClient;
    let room: string;
    let otherRoom: string;
    let fromAlice: ReceivedMessage | undefined;
    let fromCarol: ReceivedMessage | undefined;

    const inject = (token: string, method: 'GET' | 'POST', path: string, payload?: object) =>
      app.inject({
        method,
        url: path,
        headers: { authorization: `Bearer ${token}` },
        ...(payload === undefined ? {} : { payload }),
      });

    before(async () => {
      core = await makeCore(backend);
      app = mlsServer(core, { logging: { level: 'debug', destination: { write: (l: string) => logLines.push(l) } } });
      url = await app.listen({ host: '127.0.0.1', port: 0 });
      const tokens = new Tokens(core.store, core.log);
      const make = async (name: string, role: 'service' | 'operator', capabilities: string[]) => {
        t[name] = (
          await tokens.create({ principal: name, role, recordTypes: [], capabilities, actor: 'operator:test' })
        ).token;
      };
      await make('platform', 'service', ['session.open']);
      await make('relay', 'service', ['mls.deliver']);
      await make('plain', 'service', []);
      await make('moderator', 'operator', ['mls.moderate']);
      for (const player of ['alice', 'bob', 'carol']) {
        const r = await inject(t['platform'] as string, 'POST', '/v1/sessions', { player, purpose: 'authentication' });
        assert.equal(r.statusCode, 201, r.body);
        t[player] = (r.json() as { token: string }).token;
      }
      const open = (who: 'alice' | 'bob' | 'carol') =>
        MlsClient.open({ url, token: t[who] as string, storage: storage[who], verifierKey: core.log.verifierKey });
      [alice, bob, carol] = await Promise.all([open('alice'), open('bob'), open('carol')]);
    });
    after(async () => {
      await app?.close();
      await core?.dispose();
    });

    it('names each player by their subject reference, never their player id; a service acts for one only with `mls.deliver`', async () => {
      assert.match(alice.identity, /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual(alice.identity, bob.identity);
      const relay = await inject(t['relay'] as string, 'POST', '/v1/mls/identity', { subject: 'alice' });
      assert.equal(relay.statusCode, 200, relay.body);
      assert.equal((relay.json() as { identity: string }).identity, alice.identity);
      // A role implies nothing: a service without the capability, an operator, are refused.
      for (const who of ['plain', 'moderator']) {
        const r = await inject(t[who] as string, 'POST', '/v1/mls/identity', { subject: 'alice' });
        assert.equal(r.statusCode, 403);
        assert.equal(errorCode(r), 'VERITY_E_ACCESS_DENIED');
      }
      // The relay reads Alice's queue for her; the service without the capability does not.
      const queue = await inject(t['relay'] as string, 'POST', '/v1/mls/queue', { subject: 'alice' });
      assert.deepEqual(queue.json(), { messages: [] });
      const refused = await inject(t['plain'] as string, 'POST', '/v1/mls/queue', { subject: 'alice' });
      assert.equal(errorCode(refused), 'VERITY_E_ACCESS_DENIED');
      const logged = (await core.store.reader.getLogEntries(0, (await core.log.head()).size)).flatMap((e) => {
        try {
          return [decodeAuditEntry(e)];
        } catch {
          return [];
        }
      });
      assert.ok(
        logged.some((e) => e.action === 'policy.decision' && e.resource === 'mls:fetch' && e.outcome === 'denied'),
        'the refusal is logged',
      );
      const missing = await inject(t['relay'] as string, 'POST', '/v1/mls/queue', {});
      assert.equal(errorCode(missing), 'VERITY_E_INPUT_INVALID');
      // A player acts as themselves only.
      const r = await inject(t['alice'] as string, 'POST', '/v1/mls/identity', { subject: 'bob' });
      assert.equal(errorCode(r), 'VERITY_E_INPUT_INVALID');
      assert.equal((await app.inject({ method: 'POST', url: '/v1/mls/identity', payload: {} })).statusCode, 401);
    });

    it('documents every MLS route in the OpenAPI document, each authenticated', async () => {
      const doc = (await app.inject('/openapi.json')).json() as {
        paths: Record<string, Record<string, { summary?: string; security?: unknown[] }>>;
      };
      const ops = Object.entries(doc.paths)
        .filter(([p]) => p.startsWith('/v1/mls/'))
        .flatMap(([p, o]) => Object.entries(o).map(([m, op]) => ({ at: `${m} ${p}`, op })));
      assert.equal(ops.length, 16, ops.map((o) => o.at).join(', '));
      for (const { at, op } of ops) {
        assert.ok((op.summary ?? '').length > 20, `${at} has no summary`);
        assert.ok((op.security ?? []).length > 0, `${at} is not marked authenticated`);
      }
    });

    it('publishes KeyPackages of the player only: one naming another identity is refused', async () => {
      await bob.publishKeyPackages(2);
      await carol.publishKeyPackages(1, { lastResort: true });
      await carol.publishKeyPackages(1);
      const count = await inject(t['bob'] as string, 'POST', '/v1/mls/keypackages/count', {});
      assert.deepEqual(count.json(), { available: 2, lastResort: false });
      // Alice's session publishing a KeyPackage whose credential names Bob.
      const { impl } = {
        impl: await (await import('../src/mls/wire.ts')).suiteImpl('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519'),
      };
      const kp = await generateKeyPackage(
        { credentialType: 'basic', identity: new TextEncoder().encode(bob.identity) },
        defaultCapabilities(),
        defaultLifetime,
        [],
        impl,
      );
      const bytes = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: kp.publicPackage });
      const r = await inject(t['alice'] as string, 'POST', '/v1/mls/keypackages', {
        keyPackage: Buffer.from(bytes).toString('base64url'),
      });
      assert.equal(r.statusCode, 403);
      assert.equal(errorCode(r), 'VERITY_E_MLS_CREDENTIAL');
      const bad = await inject(t['alice'] as string, 'POST', '/v1/mls/keypackages', { keyPackage: 'bm90IG1scw' });
      assert.equal(errorCode(bad), 'VERITY_E_MLS_MESSAGE_INVALID');
    });

    it('refuses malformed input at the boundary', async () => {
      const a = t['alice'] as string;
      const cases: [string, 'GET' | 'POST', string, object | undefined, string][] = [
        ['non-canonical base64url', 'POST', '/v1/mls/rooms', { groupId: 'AB' }, 'VERITY_E_INPUT_MALFORMED'],
        ['an unknown field', 'POST', '/v1/mls/rooms', { groupId: 'AAAA', extra: 1 }, 'VERITY_E_INPUT_INVALID'],
        ['a group id too long', 'GET', `/v1/mls/rooms/${'A'.repeat(87)}`, undefined, 'VERITY_E_INPUT_INVALID'],
        ['no such room', 'GET', '/v1/mls/rooms/AAAA', undefined, 'VERITY_E_MLS_NOT_MEMBER'],
        [
          'not MLS',
          'POST',
          '/v1/mls/rooms/AAAA/messages',
          { epoch: 0, message: 'AAAA' },
          'VERITY_E_MLS_MESSAGE_INVALID',
        ],
        [
          'a negative epoch',
          'POST',
          '/v1/mls/rooms/AAAA/commits',
          { epoch: -1, commit: 'AAAA' },
          'VERITY_E_INPUT_INVALID',
        ],
        ['claim naming nobody', 'POST', '/v1/mls/keypackages/claim', {}, 'VERITY_E_INPUT_INVALID'],
        ['ack of another queue', 'POST', '/v1/mls/queue/ack', { ids: ['bob/x/1'] }, 'VERITY_E_INPUT_INVALID'],
        ['a report reason unknown', 'POST', '/v1/mls/reports', { reason: 'boring' }, 'VERITY_E_INPUT_INVALID'],
      ];
      for (const [what, method, path, payload, want] of cases) {
        const r = await inject(a, method, path, payload);
        assert.equal(errorCode(r), want, `${what}: ${r.body}`);
      }
    });

    it('builds a room of three: add through claimed KeyPackages, join from the Welcome, send and receive', async () => {
      room = await alice.createRoom();
      assert.equal(await alice.add(room, [{ player: 'bob' }, { identity: carol.identity }]), 1);
      for (const c of [bob, carol]) {
        const got = await c.receive();
        assert.deepEqual(got, [{ type: 'joined', groupId: room, epoch: 1 }]);
        assert.deepEqual(c.members(room), [alice.identity, bob.identity, carol.identity]);
      }
      const state = await inject(t['bob'] as string, 'GET', `/v1/mls/rooms/${room}`);
      assert.deepEqual((state.json() as { members: string[] }).members, [alice.identity, bob.identity, carol.identity]);
      // Someone outside the room does not read it.
      otherRoom = await carol.createRoom();
      const outside = await inject(t['alice'] as string, 'GET', `/v1/mls/rooms/${otherRoom}`);
      assert.equal(errorCode(outside), 'VERITY_E_MLS_NOT_MEMBER');

      assert.deepEqual(await alice.send(room, KNOWN[0] as string), { seq: 3, delivered: 2 });
      assert.deepEqual(await alice.send(room, `write to ${PII_EMAIL} or else`), { seq: 4, delivered: 2 });
      for (const c of [bob, carol]) {
        const got = await c.receive();
        const texts = got.flatMap((r) => (r.type === 'message' ? [r.message.text] : []));
        assert.deepEqual(texts, [KNOWN[0], `write to ${PII_EMAIL} or else`]);
        if (c === bob) fromAlice = (got[1] as { message: ReceivedMessage }).message;
        assert.equal((got[0] as { message: ReceivedMessage }).message.sender, alice.identity);
      }
      assert.deepEqual(await bob.receive(), [], 'acknowledged messages are gone');
    });

    it('restores a client from its saved state and carries on', async () => {
      bob = await MlsClient.open({
        url,
        token: t['bob'] as string,
        storage: storage.bob,
        verifierKey: core.log.verifierKey,
      });
      assert.deepEqual(bob.members(room), [alice.identity, bob.identity, carol.identity]);
      await carol.send(room, KNOWN[1] as string);
      const got = await bob.receive();
      assert.equal(got.length, 1);
      assert.equal(got[0]?.type, 'message');
      fromCarol = (got[0] as { message: ReceivedMessage }).message;
      assert.equal(fromCarol.text, KNOWN[1]);
      await alice.receive();
    });

    it('updates keys; a commit for a stale epoch is refused until the member catches up', async () => {
      assert.equal(await bob.update(room), 2);
      await assert.rejects(alice.update(room), code('VERITY_E_MLS_STALE_EPOCH'));
      for (const c of [alice, carol])
        assert.deepEqual(await c.receive(), [{ type: 'commit', groupId: room, epoch: 2, removed: false }]);
      assert.equal(await alice.update(room), 3);
      for (const c of [bob, carol]) assert.equal((await c.receive())[0]?.type, 'commit');
      await bob.send(room, KNOWN[2] as string);
      for (const c of [alice, carol]) assert.equal((await c.receive())[0]?.type, 'message');
    });

    it('removes a member: they learn it, and may no longer post', async () => {
      assert.equal(await alice.remove(room, [carol.identity]), 4);
      assert.deepEqual(await carol.receive(), [{ type: 'commit', groupId: room, epoch: 4, removed: true }]);
      await assert.rejects(carol.send(room, 'still here?'), code('VERITY_E_MLS_NOT_MEMBER'));
      await bob.receive();
      assert.deepEqual(bob.members(room), [alice.identity, bob.identity]);
      const state = await inject(t['alice'] as string, 'GET', `/v1/mls/rooms/${room}`);
      assert.deepEqual((state.json() as { members: string[] }).members, [alice.identity, bob.identity]);
    });

    it('reports a message with its franking opening; moderators see it PII-redacted, and act', async () => {
      const m = fromAlice as ReceivedMessage;
      const out = await bob.report(m, 'threat');
      assert.equal(out.redacted, 1);
      // The same message reported again is the same report.
      assert.equal((await bob.report(m, 'threat')).id, out.id);
      for (const who of ['bob', 'plain']) {
        const r = await inject(t[who] as string, 'GET', '/v1/mls/reports');
        assert.equal(errorCode(r), 'VERITY_E_ACCESS_DENIED');
      }
      const list = await inject(t['moderator'] as string, 'GET', '/v1/mls/reports');
      assert.equal(list.statusCode, 200, list.body);
      const [rep] = (list.json() as { reports: { id: string; text: string; sender: string; reporter: string }[] })
        .reports;
      assert.equal(rep?.id, out.id);
      assert.equal(rep?.text, 'write to [EMAIL] or else');
      assert.equal(rep?.sender, alice.identity);
      assert.equal(rep?.reporter, bob.identity);
      assert.ok(!list.body.includes(PII_EMAIL));
      const acted = await inject(t['moderator'] as string, 'POST', `/v1/mls/reports/${out.id}/actions`, {
        action: 'warn',
      });
      assert.equal(acted.statusCode, 200, acted.body);
      assert.equal((acted.json() as { status: string }).status, 'closed');
      const none = await inject(
        t['moderator'] as string,
        'POST',
        '/v1/mls/reports/rep_AAAAAAAAAAAAAAAAAAAAAA/actions',
        {
          action: 'warn',
        },
      );
      assert.equal(errorCode(none), 'VERITY_E_MLS_REPORT_NOT_FOUND');
      const entries = await core.store.reader.getLogEntries(0, (await core.log.head()).size);
      const actions = entries.flatMap((e) => {
        try {
          return [decodeAuditEntry(e).action];
        } catch {
          return [];
        }
      });
      assert.ok(actions.includes('mls.report') && actions.includes('mls.moderate'));
    });

    it('refuses forged reports: altered plaintext, another sender, another room, another recipient', async () => {
      const m = fromAlice as ReceivedMessage;
      const c = fromCarol as ReceivedMessage;
      const [mf, cf] = [m.franking, c.franking];
      assert.ok(mf !== undefined && cf !== undefined, 'messages in a franked room carry their opening');
      const altered = { ...m, franking: { ...mf, body: Buffer.from('write to nobody').toString('base64url') } };
      const forgeries: [MlsClient, ReceivedMessage][] = [
        [bob, altered],
        [bob, { ...m, sender: carol.identity }],
        [bob, { ...m, groupId: otherRoom }],
        [bob, { ...m, seq: m.seq + 1 }],
        // Carol's message to Bob, with its valid opening, reported by Alice (not its recipient).
        [alice, c],
        // Carol's opening put on Alice's message.
        [bob, { ...m, franking: { ...mf, frankingKey: cf.frankingKey } }],
      ];
      for (const [who, f] of forgeries)
        await assert.rejects(who.report(f, 'harassment'), code('VERITY_E_MLS_REPORT_FORGED'));
      const list = await inject(t['moderator'] as string, 'GET', '/v1/mls/reports?status=open');
      assert.deepEqual((list.json() as { reports: unknown[] }).reports, []);
    });

    it('a member leaves by proposal; the next commit removes them', async () => {
      await bob.leave(room);
      assert.deepEqual(await alice.receive(), [{ type: 'proposal', groupId: room }]);
      assert.equal(await alice.update(room), 5);
      const state = await inject(t['alice'] as string, 'GET', `/v1/mls/rooms/${room}`);
      assert.deepEqual((state.json() as { members: string[] }).members, [alice.identity]);
    });

    it('keeps no plaintext: not in the database, the transparency log or the server log', async () => {
      const needles = [...KNOWN, PII_EMAIL].flatMap((s) => {
        const b = Buffer.from(s);
        return [s, b.toString('base64url'), b.toString('base64'), b.toString('hex')];
      });
      const haystacks: [string, string][] = [['server log', logLines.join('\n')]];
      const entries = await core.store.reader.getLogEntries(0, (await core.log.head()).size);
      haystacks.push(['transparency log', entries.map((e) => Buffer.from(e).toString('latin1')).join('\n')]);
      if (backend === 'sqlite') {
        for (const f of await readdir(core.dir))
          if (f.startsWith('verity.db'))
            haystacks.push([`database file ${f}`, (await readFile(join(core.dir, f))).toString('latin1')]);
      } else {
        const tables = await core.sql(
          "SELECT tablename FROM pg_tables WHERE schemaname = (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = 't.objects'::regclass)",
        );
        assert.ok(tables.length > 3);
        for (const { tablename } of tables) {
          const rows = await core.sql(`SELECT x::text AS row FROM t.${String(tablename)} x`);
          haystacks.push([`table ${String(tablename)}`, rows.map((r) => String(r['row'])).join('\n')]);
        }
      }
      // The search can fail: the moderation queue holds the reported message, redacted.
      assert.ok(haystacks.some(([, h]) => h.includes('write to [EMAIL] or else') || h.includes('write to [EMAIL]')));
      assert.ok(logLines.length > 10, 'the server logged its requests');
      for (const [where, h] of haystacks)
        for (const n of needles) assert.ok(!h.includes(n), `${where} holds a plaintext (${n.slice(0, 20)}...)`);
    });
  });
}
