// The de-identification endpoints over HTTP: authorized by Cedar per purpose (re-identification
// only for fraud prevention or a legal obligation), audited, and refusing what they should.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { parseTable } from '../src/anonymize/index.ts';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { Deid } from '../src/deid/index.ts';
import { decodeStateEntry } from '../src/log/index.ts';
import { Tokens } from '../src/principals/index.ts';
import { buildServer } from '../src/server/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

describe('de-identification over HTTP', () => {
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  let service: string;
  let operator: string;
  let fraud: string;
  let rotator: string;
  let world: string;
  let tokens: Tokens;
  before(async () => {
    core = await makeCore('sqlite');
    tokens = new Tokens(core.store, core.log);
    app = buildServer({
      log: core.log,
      records: { vault: core.vault, tokens, policies: () => PolicyEngine.load(DEFAULT_POLICIES) },
      deid: new Deid(core),
    });
    service = (await tokens.create({ principal: 'stats', role: 'service', actor: 'operator:test' })).token;
    fraud = (
      await tokens.create({
        principal: 'trust-safety',
        role: 'service',
        capabilities: ['deid.reidentify'],
        actor: 'operator:test',
      })
    ).token;
    operator = (await tokens.create({ principal: 'ops', role: 'operator', actor: 'operator:test' })).token;
    world = (
      await tokens.create({
        principal: 'world',
        role: 'service',
        recordTypes: ['avatar.profile'],
        actor: 'operator:test',
      })
    ).token;
    rotator = (
      await tokens.create({ principal: 'keys', role: 'operator', capabilities: ['key.rotate'], actor: 'operator:test' })
    ).token;
  });
  after(async () => {
    await app.close();
    await core.dispose();
  });

  const post = (token: string, url: string, payload: unknown) =>
    app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, payload: payload as object });

  it('pseudonymizes per domain for permitted purposes; an operator rotates the key', async () => {
    const r = await post(service, '/v1/deid/pseudonyms', {
      domain: 'analytics',
      purpose: 'analytics',
      values: ['a', 'b', 'a'],
    });
    assert.equal(r.statusCode, 200, r.body);
    const ps = r.json().pseudonyms as string[];
    assert.equal(ps[0], ps[2]);
    assert.equal(
      (await post(service, '/v1/deid/pseudonyms', { domain: 'analytics', purpose: 'marketing', values: ['a'] }))
        .statusCode,
      403,
    );
    assert.equal(
      (await post(service, '/v1/deid/pseudonyms/rotate', { domain: 'analytics', purpose: 'key-management' }))
        .statusCode,
      403,
    );
    // An operator rotates a domain's key only with a token granted key.rotate (D415).
    assert.equal(
      (await post(operator, '/v1/deid/pseudonyms/rotate', { domain: 'analytics', purpose: 'key-management' }))
        .statusCode,
      403,
    );
    const rot = await post(rotator, '/v1/deid/pseudonyms/rotate', { domain: 'analytics', purpose: 'key-management' });
    assert.equal(rot.statusCode, 200, rot.body);
    assert.equal(rot.json().version, 2);
    const after = await post(service, '/v1/deid/pseudonyms', {
      domain: 'analytics',
      purpose: 'analytics',
      values: ['a'],
    });
    assert.notEqual(after.json().pseudonyms[0], ps[0]);
    // Unknown fields and wrong types are refused before anything runs.
    assert.equal(
      (await post(service, '/v1/deid/pseudonyms', { domain: 'analytics', purpose: 'analytics', values: [1] }))
        .statusCode,
      400,
    );
  });

  it('detokenizes only for fraud prevention or a legal obligation, and logs it', async () => {
    // A service that keeps no player's records makes no vault token under a player (D418).
    const none = await post(service, '/v1/deid/tokens', {
      subject: 'player-1',
      domain: 'email',
      purpose: 'service-provision',
      value: 'ada@example.com',
    });
    assert.equal(none.statusCode, 403, none.body);
    assert.match(none.json().error.message, /owns no record types/);
    const t = await post(world, '/v1/deid/tokens', {
      subject: 'player-1',
      domain: 'email',
      purpose: 'service-provision',
      value: 'ada@example.com',
    });
    assert.equal(t.statusCode, 201, t.body);
    const token = t.json().token as string;
    const denied = await post(fraud, '/v1/deid/tokens/detokenize', { token, purpose: 'analytics' });
    assert.equal(denied.statusCode, 403);
    // A service not granted deid.reidentify, even to prevent fraud (D415).
    const ungranted = await post(service, '/v1/deid/tokens/detokenize', { token, purpose: 'fraud-prevention' });
    assert.equal(ungranted.statusCode, 403, ungranted.body);
    const ok = await post(fraud, '/v1/deid/tokens/detokenize', { token, purpose: 'fraud-prevention' });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual([ok.json().value, ok.json().domain], ['ada@example.com', 'email']);
    const e = decodeAuditEntry((await core.log.entries(ok.json().logIndex, ok.json().logIndex + 1))[0] as Uint8Array);
    assert.deepEqual([e.action, e.purpose, e.actor], ['record.read', 'fraud-prevention', 'service:trust-safety']);
    assert.ok(e.policy?.startsWith('sha256:'));
    assert.equal(
      (await post(operator, '/v1/deid/tokens/detokenize', { token, purpose: 'legal-obligation' })).statusCode,
      403,
    );
  });

  it("a pseudonym domain, a token domain and an FF1 key are their maker's: another service is refused (D418)", async () => {
    const mine = await post(service, '/v1/deid/pseudonyms', {
      domain: 'stats-only',
      purpose: 'analytics',
      values: ['a'],
    });
    assert.equal(mine.statusCode, 200, mine.body);
    const upTo = mine.json().logIndex as number;
    const claim = (await core.log.entries(upTo - 4, upTo))
      .filter((e) => decodeStateEntry(e) === undefined)
      .map((e) => decodeAuditEntry(e))
      .find((e) => e.action === 'deid.domain');
    assert.deepEqual(
      [claim?.action, claim?.actor, claim?.resource],
      ['deid.domain', 'service:stats', 'pseudonym:stats-only'],
    );
    for (const [url, body] of [
      ['/v1/deid/pseudonyms', { domain: 'stats-only', purpose: 'analytics', values: ['a'] }],
      [
        '/v1/deid/pii/scan',
        { purpose: 'analytics', texts: ['mail ada@example.com'], operator: 'hash', domain: 'stats-only' },
      ],
      ['/v1/deid/pseudonyms/rotate', { domain: 'stats-only', purpose: 'analytics' }],
    ] as const) {
      const r = await post(world, url, body);
      assert.equal(r.statusCode, 403, `${url}: ${r.body}`);
    }
    const enc = { key: 'stats-phones', purpose: 'analytics', radix: 10, values: ['5551234567'] };
    assert.equal((await post(service, '/v1/deid/fpe/encrypt', enc)).statusCode, 200);
    const theirs = await post(world, '/v1/deid/fpe/encrypt', enc);
    assert.equal(theirs.statusCode, 403, theirs.body);
    assert.match(theirs.json().error.message, /belongs to another principal/);
    // Logged as the denial it is, though the policies allowed the call.
    const head = await core.log.head();
    const last = (await core.log.entries(head.size - 4, head.size))
      .filter((e) => decodeStateEntry(e) === undefined)
      .map((e) => decodeAuditEntry(e))
      .at(-1);
    assert.deepEqual(
      [last?.action, last?.actor, last?.outcome, last?.details?.['decision']],
      ['policy.decision', 'service:world', 'denied', 'deny'],
    );
    const token = { subject: 'player-2', domain: 'world-email', purpose: 'service-provision', value: 'b@example.com' };
    assert.equal((await post(world, '/v1/deid/tokens', token)).statusCode, 201);
    const other = (
      await tokens.create({ principal: 'other', role: 'service', recordTypes: ['chat'], actor: 'operator:test' })
    ).token;
    assert.equal((await post(other, '/v1/deid/tokens', token)).statusCode, 403);
  });

  it("a service's PII-scan digests are its own: another's default differs, and nobody names the scan's domains (D429)", async () => {
    const digest = async (token: string, extra: object = {}) => {
      const r = await post(token, '/v1/deid/pii/scan', {
        purpose: 'analytics',
        texts: ['mail ada@example.com'],
        operator: 'hash',
        ...extra,
      });
      assert.equal(r.statusCode, 200, r.body);
      return r.json().results[0].text as string;
    };
    const stats = await digest(service);
    assert.equal(await digest(service), stats, 'stable for one service');
    assert.notEqual(await digest(fraud), stats, "another service's default is its own");
    // The scan's domains are nobody's to claim or name: `pii` itself and those under `pii.`.
    for (const domain of ['pii', 'pii.x', `pii.${'0'.repeat(32)}`]) {
      const named = await post(fraud, '/v1/deid/pseudonyms', {
        domain,
        purpose: 'analytics',
        values: ['ada@example.com'],
      });
      assert.equal(named.statusCode, 403, `${domain}: ${named.body}`);
      assert.match(named.json().error.message, /is the PII scan's/);
      const scanned = await post(fraud, '/v1/deid/pii/scan', {
        purpose: 'analytics',
        texts: ['mail ada@example.com'],
        operator: 'hash',
        domain,
      });
      assert.equal(scanned.statusCode, 403, `${domain}: ${scanned.body}`);
    }
  });

  it('FF1-encrypts keeping the format; decryption needs a re-identification purpose', async () => {
    const enc = await post(service, '/v1/deid/fpe/encrypt', {
      key: 'phones',
      purpose: 'analytics',
      radix: 10,
      values: ['5551234567'],
    });
    assert.equal(enc.statusCode, 200, enc.body);
    const c = enc.json().values[0] as string;
    assert.match(c, /^\d{10}$/);
    assert.equal(
      (await post(service, '/v1/deid/fpe/decrypt', { key: 'phones', purpose: 'analytics', radix: 10, values: [c] }))
        .statusCode,
      403,
    );
    const dec = await post(fraud, '/v1/deid/fpe/decrypt', {
      key: 'phones',
      purpose: 'legal-obligation',
      radix: 10,
      values: [c],
    });
    assert.equal(dec.statusCode, 200, dec.body);
    assert.deepEqual(dec.json().values, ['5551234567']);
    const bad = await post(service, '/v1/deid/fpe/encrypt', {
      key: 'phones',
      purpose: 'analytics',
      radix: 10,
      values: ['12ab'],
    });
    assert.equal(bad.statusCode, 400);
  });

  it('scans texts for PII and answers private aggregates until the budget is spent', async () => {
    const scan = await post(service, '/v1/deid/pii/scan', {
      purpose: 'service-provision',
      texts: ['call me at +44 20 7946 0958', 'gg'],
      operator: 'mask',
    });
    assert.equal(scan.statusCode, 200, scan.body);
    assert.equal(scan.json().results[0].text, 'call me at *** ** **** 0958');
    assert.equal((await post(service, '/v1/deid/pii/scan', { purpose: 'marketing', texts: ['x'] })).statusCode, 403);
    const pseudo = await post(service, '/v1/deid/pii/scan', {
      purpose: 'analytics',
      texts: ['mail ada@example.com', 'ada@example.com again'],
      operator: 'pseudonymize',
      domain: 'analytics',
    });
    assert.equal(pseudo.statusCode, 200, pseudo.body);
    const [a, b] = pseudo.json().results.map((r: { text: string }) => r.text) as [string, string];
    const tag = /<EMAIL:(p\d+_[A-Za-z0-9_-]{22})>/;
    assert.equal(tag.exec(a)?.[1], tag.exec(b)?.[1], 'the same address, the same pseudonym');
    const hashed = await post(service, '/v1/deid/pii/scan', {
      purpose: 'analytics',
      texts: ['mail ada@example.com'],
      operator: 'hash',
    });
    assert.match(hashed.json().results[0].text, /^mail <EMAIL:[A-Za-z0-9_-]{16}>$/);
    const created = await post(service, '/v1/deid/datasets', {
      name: 'playtime',
      purpose: 'analytics',
      values: Array.from({ length: 500 }, (_, i) => i % 60),
      epsilon: 1,
      delta: 0,
    });
    assert.equal(created.statusCode, 201, created.body);
    // Another service spends none of it: only the dataset's maker queries it (D415).
    const foreign = await post(fraud, '/v1/deid/datasets/query', {
      name: 'playtime',
      purpose: 'analytics',
      query: 'count',
      epsilon: 0.9,
    });
    assert.equal(foreign.statusCode, 403, foreign.body);
    const ok = await post(service, '/v1/deid/datasets/query', {
      name: 'playtime',
      purpose: 'analytics',
      query: 'mean',
      epsilon: 0.6,
      lower: 0,
      upper: 60,
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.ok(Math.abs(ok.json().value - 29.5) < 10);
    const over = await post(service, '/v1/deid/datasets/query', {
      name: 'playtime',
      purpose: 'analytics',
      query: 'count',
      epsilon: 0.6,
    });
    assert.equal(over.statusCode, 403);
    assert.equal(over.json().error.code, 'VERITY_E_PRIVACY_BUDGET');
    // A query missing its bounds is refused before anything is spent.
    const bad = await post(service, '/v1/deid/datasets/query', {
      name: 'playtime',
      purpose: 'analytics',
      query: 'sum',
      epsilon: 0.1,
    });
    assert.equal(bad.statusCode, 400, bad.body);
    // A query of no kind is told the kinds there are.
    const kindless = await post(service, '/v1/deid/datasets/query', {
      name: 'playtime',
      purpose: 'analytics',
      epsilon: 0.1,
    });
    assert.equal(kindless.statusCode, 400, kindless.body);
    assert.match(kindless.json().error.message, /`query` is one of count, sum, mean, histogram, quantile/);
    const left = await post(service, '/v1/deid/datasets/query', {
      name: 'playtime',
      purpose: 'analytics',
      query: 'count',
      epsilon: 0.4,
    });
    assert.equal(left.statusCode, 200, left.body);
    assert.equal(left.json().remainingEpsilon, 0);
  });

  it('anonymizes the whole Adult table over HTTP (a body larger than the default limit)', async () => {
    const dir = join(import.meta.dirname, 'fixtures', 'adult');
    const table = parseTable(readFileSync(join(dir, 'adult.csv'), 'utf8'));
    const qis = ['age', 'sex', 'race', 'marital-status'];
    const hierarchies = Object.fromEntries(
      qis.map((q) => [
        q,
        readFileSync(join(dir, `adult_hierarchy_${q}.csv`), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(';')),
      ]),
    );
    const r = await post(service, '/v1/deid/anonymize', {
      purpose: 'research',
      columns: table.columns,
      rows: table.rows,
      quasiIdentifiers: qis,
      sensitive: 'salary-class',
      hierarchies,
      k: 10,
      l: 2,
    });
    assert.equal(r.statusCode, 200, r.body.slice(0, 300));
    assert.ok(r.json().report.k >= 10 && r.json().report.l >= 2);
    assert.equal(r.json().rows.length, 30162);
  });
});
