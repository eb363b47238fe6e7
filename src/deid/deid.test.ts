import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { makeCore, type TestCore } from '../../test/helpers/core.ts';
import { decodeAuditEntry } from '../audit/index.ts';
import { isVerityError } from '../errors/index.ts';
import { Deid, Pseudonymizer } from './index.ts';

const access = { actor: 'service:analytics', purpose: 'analytics' };

describe('pseudonymizer', () => {
  it('computes HMAC-SHA-256 exactly as node:crypto does, for any value', () => {
    const key = new Uint8Array(randomBytes(32));
    const p = new Pseudonymizer(key, 3);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (v) => {
        assert.deepEqual(
          new Uint8Array(p.mac(v)),
          new Uint8Array(createHmac('sha256', key).update(v, 'utf8').digest()),
        );
        assert.match(p.pseudonym(v), /^p3_[A-Za-z0-9_-]{22}$/);
      }),
    );
    assert.throws(
      () => p.mac('x'.repeat(5000)),
      (e) => isVerityError(e, 'VERITY_E_INPUT_TOO_LARGE'),
    );
  });
});

describe('de-identification over the vault, keys and log', () => {
  let core: TestCore;
  let deid: Deid;
  before(async () => {
    core = await makeCore('sqlite', { unknownTypes: 'reject' });
    deid = new Deid(core);
  });
  after(async () => core.dispose());

  it('links pseudonyms within a domain and nowhere else; rotation starts a new version', async () => {
    const a = await deid.pseudonyms.pseudonymize('analytics', ['alice', 'bob', 'alice'], access);
    assert.equal(a.pseudonyms[0], a.pseudonyms[2]);
    assert.notEqual(a.pseudonyms[0], a.pseudonyms[1]);
    const b = await deid.pseudonyms.pseudonymize('support', ['alice'], access);
    assert.notEqual(b.pseudonyms[0], a.pseudonyms[0]);
    // Another process with the same keys gives the same pseudonyms: the keys live in the KeyStore.
    const again = await new Deid(core).pseudonyms.pseudonymize('analytics', ['alice'], access);
    assert.equal(again.pseudonyms[0], a.pseudonyms[0]);
    const r = await deid.pseudonyms.rotate('analytics', access);
    assert.equal(r.version, 2);
    const c = await deid.pseudonyms.pseudonymize('analytics', ['alice'], access);
    assert.equal(c.version, 2);
    assert.match(c.pseudonyms[0] as string, /^p2_/);
    assert.notEqual(c.pseudonyms[0], a.pseudonyms[0]);
    const e = decodeAuditEntry((await core.log.entries(a.logIndex, a.logIndex + 1))[0] as Uint8Array);
    assert.deepEqual(
      [e.action, e.resource, e.details],
      ['deid.pseudonymize', 'pseudonym:analytics', { count: 3, version: 1 }],
    );
    await assert.rejects(deid.pseudonyms.pseudonymize('Bad Domain', ['x'], access), (x) =>
      isVerityError(x, 'VERITY_E_INPUT_INVALID'),
    );
  });

  it('tokenizes into the vault and detokenizes with an audited read; shredding ends it', async () => {
    const before = (await core.log.head()).size;
    const t = await deid.tokenize('player-42', 'alice@example.com', 'email', access);
    assert.match(t.token, /^rec_/);
    assert.equal(await deid.tokenDomain(t.token), 'email');
    const d = await deid.detokenize(t.token, { ...access, purpose: 'fraud-prevention' });
    assert.deepEqual([d.value, d.domain], ['alice@example.com', 'email']);
    const read = decodeAuditEntry((await core.log.entries(d.logIndex, d.logIndex + 1))[0] as Uint8Array);
    assert.deepEqual([read.action, read.purpose], ['record.read', 'fraud-prevention']);
    for (const e of await core.log.entries(before, (await core.log.head()).size))
      assert.ok(!new TextDecoder().decode(e).includes('alice'), 'no value or subject in the log');
    await core.vault.shredSubject('player-42', { ...access, purpose: 'erasure-request', rotate: false });
    await assert.rejects(deid.detokenize(t.token, access), (e) => isVerityError(e, 'VERITY_E_RECORD_ERASED'));
    await assert.rejects(deid.detokenize('rec_AAAAAAAAAAAAAAAAAAAAAA', access), (e) =>
      isVerityError(e, 'VERITY_E_RECORD_NOT_FOUND'),
    );
  });

  it('FF1-encrypts under named KeyStore keys, keeping the format; decryption is audited', async () => {
    const cards = ['4111111111111111', '5500005555555559'];
    const enc = await deid.fpeEncrypt('cards', cards, { radix: 10 }, access);
    assert.ok(enc.values.every((v, i) => /^\d{16}$/.test(v) && v !== cards[i]));
    const dec = await deid.fpeDecrypt('cards', enc.values, { radix: 10 }, { ...access, purpose: 'fraud-prevention' });
    assert.deepEqual(dec.values, cards);
    const e = decodeAuditEntry((await core.log.entries(dec.logIndex, dec.logIndex + 1))[0] as Uint8Array);
    assert.deepEqual([e.action, e.resource, e.details], ['deid.fpe.decrypt', 'fpe:cards', { count: 2 }]);
    // Another key name, another cipher; an unknown key cannot decrypt.
    const other = await deid.fpeEncrypt('phones', cards, { radix: 10 }, access);
    assert.notDeepEqual(other.values, enc.values);
    await assert.rejects(deid.fpeDecrypt('nope', enc.values, { radix: 10 }, access), (x) =>
      isVerityError(x, 'VERITY_E_RECORD_NOT_FOUND'),
    );
  });
});

describe('private datasets', () => {
  let core: TestCore;
  before(async () => {
    core = await makeCore('sqlite');
  });
  after(async () => core.dispose());

  it('answers noisy aggregates within a budget that persists, refusing past it with nothing spent', async () => {
    const deid = new Deid(core);
    const values = Array.from({ length: 2000 }, (_, i) => (i % 100) + 1);
    await deid.datasets.create('session-minutes', values, { epsilon: 1, delta: 1e-6 }, access);
    const c = await deid.datasets.query('session-minutes', { query: 'count', epsilon: 0.25 }, access);
    assert.ok(Math.abs((c.value as number) - 2000) < 200, `noisy count ${c.value}`);
    assert.equal(c.remainingEpsilon, 0.75);
    const m = await deid.datasets.query(
      'session-minutes',
      { query: 'mean', epsilon: 0.25, lower: 0, upper: 100 },
      access,
    );
    assert.ok(Math.abs((m.value as number) - 50.5) < 10, `noisy mean ${m.value}`);
    assert.ok(Number.isInteger((m.value as number) / (m.granularity as number)), 'the answer lies on its grid');
    // A fresh instance (another process) sees the same budget: it lives in the store.
    const again = new Deid(core);
    assert.equal((await again.datasets.remaining('session-minutes')).remainingEpsilon, 0.5);
    await assert.rejects(
      again.datasets.query('session-minutes', { query: 'histogram', epsilon: 0.75, edges: [0, 50, 101] }, access),
      (e) => isVerityError(e, 'VERITY_E_PRIVACY_BUDGET'),
    );
    assert.equal((await again.datasets.remaining('session-minutes')).remainingEpsilon, 0.5, 'nothing was spent');
    const q = await again.datasets.query(
      'session-minutes',
      { query: 'quantile', epsilon: 0.5, lower: 0, upper: 100, q: 0.5 },
      access,
    );
    assert.ok(Math.abs((q.value as number) - 50) < 15, `noisy median ${q.value}`);
    // The last audit entry (the transaction's state entry, which records the spent budget, follows it).
    const size = (await core.log.head()).size;
    const tail = await core.log.entries(size - 2, size);
    assert.match(new TextDecoder().decode(tail[1]), /"kind":"verity.state"/);
    const e = decodeAuditEntry(tail[0] as Uint8Array);
    assert.deepEqual(
      [e.action, e.resource, e.details?.['query'], e.details?.['epsilon']],
      ['dp.query', 'dataset:session-minutes', 'quantile', 0.5],
    );
    await assert.rejects(deid.datasets.create('session-minutes', [1], { epsilon: 9, delta: 0 }, access), (x) =>
      isVerityError(x, 'VERITY_E_INPUT_INVALID'),
    );
  });
});
