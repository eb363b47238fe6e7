// What a query about a subject, and a shredded subject, give away. A query is decided before
// anything about the subject is logged: denied, it is a 403 logged like every other denial (no
// pseudonym, no count). After a shred nothing in the store or the API links the subject's id to
// its records any more, and the shred's own entries do not carry the subject's reference.
// Over HTTP (service tokens and player sessions) and through the CLI.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { type AuditEntry, decodeAuditEntry } from '../src/audit/index.ts';
import { decodeStateEntry } from '../src/log/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { buildServer } from '../src/server/index.ts';
import { verityCli } from './helpers/cli.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { tempDir } from './helpers/env.ts';

describe('subject queries and shredding over HTTP', () => {
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  let world: string;
  let chat: string;
  let ops: string;
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });

  before(async () => {
    core = await makeCore('sqlite');
    const tokens = new Tokens(core.store, core.log);
    const engine = PolicyEngine.load(DEFAULT_POLICIES);
    app = buildServer({
      log: core.log,
      records: {
        vault: core.vault,
        tokens,
        sessions: new Sessions({ keys: core.keys, store: core.store, log: core.log }),
        policies: () => engine,
      },
    });
    await app.ready();
    const make = async (principal: string, role: string, recordTypes: string[] = [], capabilities: string[] = []) =>
      (await tokens.create({ principal, role, recordTypes, capabilities, actor: 'operator:test' })).token;
    world = await make('world-eu', 'service', ['profile'], ['session.open']);
    chat = await make('chat', 'service', ['chat.message']);
    ops = await make('ops', 'operator', [], ['records.erase']);
  });
  after(async () => {
    await app.close();
    await core.dispose();
  });

  const put = async (token: string, subject: string, type: string) => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/records',
      headers: auth(token),
      payload: { subject, type, purpose: 'service-provision', data: { n: 1 } },
    });
    assert.equal(r.statusCode, 201, r.body);
    return r.json() as { id: string; logIndex: number };
  };
  const session = async (player: string) => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: auth(world),
      payload: { player, purpose: 'authentication', ttlSeconds: 600 },
    });
    assert.equal(r.statusCode, 201, r.body);
    return r.json().token as string;
  };
  const query = (token: string, subject: string, purpose: string, more: object = {}) =>
    app.inject({
      method: 'POST',
      url: '/v1/records/query',
      headers: auth(token),
      payload: { subject, purpose, ...more },
    });
  /** Records `subject` as a minor whose guardian is player-a, citing the form `reference`. */
  const guard = (subject: string, reference: string) =>
    core.vault.setGuardianship(
      subject,
      { minor: true, guardians: ['player-a'] },
      { kind: 'parental-consent', reference },
      { actor: 'service:platform', purpose: 'guardianship' },
    );
  /** Shreds `subject` over HTTP, as the operator. */
  const shred = async (subject: string) => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/subjects/shred',
      headers: auth(ops),
      payload: { subject, purpose: 'erasure-request' },
    });
    assert.equal(r.statusCode, 200, r.body);
    return r;
  };
  /** The entries appended while `f` ran, decoded. */
  const appended = async (f: () => Promise<unknown>): Promise<{ raw: string; entry: AuditEntry }[]> => {
    const from = (await core.log.head()).size;
    await f();
    const to = (await core.log.head()).size;
    const all = await core.log.entries(from, to);
    // State entries carry only map keys and digests (hashes): no reference, id or pseudonym in clear.
    for (const e of all.filter((x) => decodeStateEntry(x) !== undefined))
      assert.doesNotMatch(Buffer.from(e).toString(), /player-|sp_/);
    return all
      .filter((e) => decodeStateEntry(e) === undefined)
      .map((e) => ({ raw: Buffer.from(e).toString(), entry: decodeAuditEntry(e) }));
  };

  it("a player's query for another player's records is a 403, logged as a denial without pseudonym or count", async () => {
    const b1 = await put(world, 'player-b', 'profile');
    await put(world, 'player-b', 'profile');
    const pseudonymOfB = decodeAuditEntry(
      (await core.log.entries(b1.logIndex, b1.logIndex + 1))[0] as Uint8Array,
    ).subject;
    assert.match(pseudonymOfB ?? '', /^sp_/);
    await put(world, 'player-a', 'profile');
    const a = await session('player-a');
    for (const [subject, purpose] of [
      ['player-b', 'user-request'],
      ['player-b', 'service-provision'],
      ['player-nobody', 'user-request'], // no records at all: refused the same way
    ]) {
      let status = 0;
      const entries = await appended(async () => {
        const r = await query(a, subject as string, purpose as string);
        status = r.statusCode;
        assert.equal(r.json().error.code, 'VERITY_E_ACCESS_DENIED', r.body);
      });
      assert.equal(status, 403);
      assert.equal(entries.length, 1, JSON.stringify(entries.map((e) => e.entry)));
      const { entry, raw } = entries[0] as { raw: string; entry: AuditEntry };
      assert.equal(entry.action, 'policy.decision');
      assert.equal(entry.outcome, 'denied');
      assert.equal(entry.resource, 'subject:records');
      assert.equal(entry.subject, undefined);
      for (const k of Object.keys(entry.details ?? {})) assert.ok(['action', 'decision', 'reasons'].includes(k), k);
      assert.ok(!raw.includes(pseudonymOfB as string), 'no pseudonym of B');
      assert.ok(!/count|candidates|permitted/.test(raw), raw);
    }
  });

  it('an allowed query is decided first and logged once, counting only what it returns', async () => {
    const b = await session('player-b');
    let body: { id: string }[] = [];
    const entries = await appended(async () => {
      const r = await query(b, 'player-b', 'user-request');
      assert.equal(r.statusCode, 200, r.body);
      body = r.json();
    });
    assert.equal(body.length, 2);
    assert.deepEqual(
      entries.map((e) => [e.entry.action, e.entry.outcome, e.entry.details?.['count']]),
      [['subject.list', 'success', 2]],
    );
    assert.match(entries[0]?.entry.policy ?? '', /^sha256:/);
    // Paging past the last record one may read answers nothing rather than a refusal.
    const last = [...body].sort((x, y) => (x.id < y.id ? -1 : 1)).at(-1)?.id as string;
    const end = await query(b, 'player-b', 'user-request', { after: last });
    assert.equal(end.statusCode, 200, end.body);
    assert.deepEqual(end.json(), []);
    // A cursor that is not one of the subject's records does not open the query.
    const other = await put(world, 'player-a', 'profile');
    assert.equal((await query(b, 'player-a', 'user-request', { after: other.id })).statusCode, 403);
  });

  it('a service sees only its record types, found past records it may not read; none at all is a 403', async () => {
    for (let i = 0; i < 5; i++) await put(chat, 'player-m', 'chat.message');
    const profile = await put(world, 'player-m', 'profile');
    const r = await query(world, 'player-m', 'service-provision', { limit: 1 });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(
      (r.json() as { id: string }[]).map((m) => m.id),
      [profile.id],
    );
    assert.equal((await query(chat, 'player-b', 'service-provision')).statusCode, 403, 'chat has no record of B');
    assert.equal((await query(world, 'player-b', 'marketing')).statusCode, 403);
  });

  it('after a shred, nothing links the subject to its records: store, API and the shred entries', async () => {
    const ids = [(await put(world, 'player-s', 'profile')).id, (await put(world, 'player-s', 'profile')).id];
    await put(chat, 'player-s', 'chat.message');
    await guard('player-s', 'form-9');
    const s = await session('player-s');
    const ref = await core.vault.subjectRef('player-s');
    assert.equal((await core.store.reader.listRecordsBySubject(ref, { limit: 10 })).length, 3);
    const entries = await appended(async () => {
      assert.equal((await shred('player-s')).json().versions, 3);
    });
    assert.ok(entries.some((e) => e.entry.action === 'subject.shred'));
    for (const e of entries) {
      assert.ok(!e.raw.includes(ref), `${e.entry.action} carries the subject reference`);
      assert.ok(!e.raw.includes('player-s'), `${e.entry.action} carries the subject id`);
    }
    // The store: no row of any table carries the reference any more.
    assert.deepEqual(await core.store.reader.listRecordsBySubject(ref, { limit: 10 }), []);
    assert.equal(await core.store.reader.getSubjectFacts(ref), undefined);
    assert.equal(await core.store.reader.getSubjectKey(ref), undefined);
    for (const id of ids) {
      const row = await core.store.reader.getRecord(id);
      assert.equal(row?.state, 'erased');
      assert.notEqual(row?.subjectRef, ref);
    }
    // The API: the player's own query finds nothing it may read, so it is refused like any such query
    // (a session reaches only its opener's record types; an empty listing is decided as an absent
    // record), and names none of the records; a service is refused as for anyone without records.
    const mine = await query(s, 'player-s', 'user-request');
    assert.equal(mine.statusCode, 403, mine.body);
    for (const id of ids) assert.doesNotMatch(mine.body, new RegExp(id));
    assert.equal((await query(world, 'player-s', 'service-provision')).statusCode, 403);
  });

  it("after a shred, the id's next writes share no state key with its erased ones: the public log links no generation to another (D428)", async () => {
    /** The state keys the entries appended while `f` ran change, as hex. */
    const stateKeys = async (f: () => Promise<unknown>): Promise<Set<string>> => {
      const from = (await core.log.head()).size;
      await f();
      const all = await core.log.entries(from, (await core.log.head()).size);
      const keys = new Set<string>();
      for (const e of all)
        for (const c of decodeStateEntry(e)?.changes ?? []) keys.add(Buffer.from(c.key).toString('hex'));
      return keys;
    };
    // The subject's facts (guardianship) are keyed by its reference, as consent and limits are.
    const consent = () => guard('player-g', 'form-10');
    const before = await stateKeys(async () => {
      await put(world, 'player-g', 'profile');
      await consent();
    });
    // What any write changes whoever it is for (the log's and the store's own state).
    const common = await stateKeys(() => put(world, 'player-other', 'profile'));
    const first = await core.vault.subjectRef('player-g');
    await shred('player-g');
    const second = await core.vault.subjectRef('player-g');
    assert.notEqual(second, first, 'a shred ends the reference');
    const afterKeys = await stateKeys(async () => {
      await put(world, 'player-g', 'profile');
      await consent();
    });
    const shared = [...afterKeys].filter((k) => before.has(k) && !common.has(k));
    assert.deepEqual(shared, [], 'a state key of the erased generation changed again');
    assert.equal(await core.vault.subjectRef('player-g'), second, 'stable until the next shred');
    assert.ok(await core.vault.pseudonymOf(second));
    assert.equal(await core.vault.pseudonymOf(first), undefined);
  });

  it('a session opened before a shred writes nothing after it; the next write for the id goes to its new reference (D428)', async () => {
    const s = await session('player-h');
    assert.equal((await put(world, 'player-h', 'profile')).logIndex > 0, true);
    await shred('player-h');
    const ended = await app.inject({
      method: 'POST',
      url: '/v1/records',
      headers: auth(s),
      payload: { type: 'profile', purpose: 'service-provision', data: { n: 2 } },
    });
    assert.notEqual(ended.statusCode, 201, ended.body);
    const ref = await core.vault.subjectRef('player-h');
    assert.ok((await core.vault.pseudonymOf(ref)) === undefined, 'no key under the new reference yet');
    // The service's own write for the id goes to the new reference.
    await put(world, 'player-h', 'profile');
    assert.ok(await core.vault.pseudonymOf(ref));
  });
});

describe('subject queries and shredding through the CLI', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  after(() => cleanup());

  const verity = (args: string[], input = '') =>
    verityCli(args, { input, env: { VERITY_PASSPHRASE: 'subject privacy passphrase' } });
  const ok = (r: { code: number | null; stdout: string; stderr: string }) => {
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };

  it('records list --subject: a refused purpose logs a denial only; after a shred it lists nothing', () => {
    const data = join(dir, 'data');
    ok(verity(['init', '--data', data]));
    const put = ['records', 'put', '--data', data, '--subject', 'p-b', '--type', 'profile', '--purpose', 'support'];
    const id = ok(verity(put, '{"a":1}')).id as string;
    ok(verity(put, '{"a":2}'));
    const size = () => (ok(verity(['log', 'entries', '--data', data, '--from', '0'])) as unknown[]).length;
    const before = size();
    const list = ['records', 'list', '--data', data, '--subject', 'p-b'];
    const denied = verity([...list, '--purpose', 'marketing']);
    assert.equal(denied.code, 1);
    assert.equal(JSON.parse(denied.stderr).error.code, 'VERITY_E_ACCESS_DENIED');
    const logged = ok(verity(['log', 'entries', '--data', data, '--from', String(before)])) as {
      entry: AuditEntry;
    }[];
    assert.deepEqual(
      logged.map((e) => [e.entry.action, e.entry.outcome, e.entry.subject, e.entry.details?.['count']]),
      [['policy.decision', 'denied', undefined, undefined]],
    );
    assert.equal(ok(verity([...list, '--purpose', 'support'])).length, 2);
    ok(verity(['subjects', 'shred', '--data', data, '--subject', 'p-b', '--purpose', 'erasure-request']));
    assert.deepEqual(ok(verity([...list, '--purpose', 'support'])), []);
    // The erased record is still there by its id, erased, and no longer under its subject.
    assert.equal(verity(['records', 'get', '--data', data, '--purpose', 'support', id]).code, 1);
    const history = ok(verity(['records', 'history', '--data', data, '--purpose', 'support', id])) as {
      state: string;
      subject?: string;
    }[];
    assert.ok(history.every((m) => m.state === 'erased' && m.subject === undefined));
  });
});
