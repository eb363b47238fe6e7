// The sessions part of the store conformance suite (store-suite.ts registers it for every backend).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isVerityError } from '../errors/index.ts';
import type { SessionRow, RowStore as Store } from './types.ts';

function session(id: string, over: Partial<SessionRow> = {}): SessionRow {
  return {
    id,
    subjectRef: 'ref-a',
    openerTokenId: 'tok_a',
    opener: 'service:platform',
    createdAt: 1_700_000_000_000,
    expiresAt: 1_700_000_900_000,
    revokedAt: null,
    ...over,
  };
}

const NOW = 1_700_000_000_500;

/**
 * Registers the session tests. `current` gives the test's migrated store; `exec` runs SQL on the
 * same database around the store.
 */
export function sessionConformance(current: () => Store, exec: () => (sql: string) => Promise<void>): void {
  const ids = (rows: readonly SessionRow[]) => rows.map((r) => r.id);

  it('stores sessions by id, reads them back exactly, and refuses a duplicate', async () => {
    const store = current();
    assert.equal(await store.reader.getSession('s1'), undefined);
    const s = session('s1');
    await store.write((tx) => tx.insertSession(s));
    assert.deepEqual(await store.reader.getSession('s1'), s);
    await assert.rejects(
      store.write((tx) => tx.insertSession({ ...s, subjectRef: 'ref-b' })),
      (e) => isVerityError(e, 'VERITY_E_STORE_CONFLICT'),
    );
    assert.deepEqual(await store.reader.getSession('s1'), s);
    // Deferred writes report the conflict through write(), with nothing kept.
    await assert.rejects(
      store.write(
        async (tx) => {
          await tx.insertSession(session('s2'));
          await tx.insertSession(session('s1'));
        },
        { deferred: true },
      ),
      (e) => isVerityError(e, 'VERITY_E_STORE_CONFLICT'),
    );
    assert.equal(await store.reader.getSession('s2'), undefined);
  });

  it('lists active sessions (all, of a subject, or of an opener) by id in pages, without revoked or expired ones', async () => {
    const store = current();
    await store.write(async (tx) => {
      await tx.insertSession(session('s5', { subjectRef: 'ref-b' }));
      await tx.insertSession(session('s1'));
      await tx.insertSession(session('s3', { openerTokenId: 'tok_b' }));
      await tx.insertSession(session('s2', { expiresAt: NOW }));
      await tx.insertSession(session('s4', { revokedAt: NOW - 1 }));
      await tx.insertSession(session('S0', { subjectRef: 'ref-b', openerTokenId: 'tok_b' }));
    });
    const r = store.reader;
    assert.deepEqual(ids(await r.listActiveSessions(NOW, {}, { limit: 10 })), ['S0', 's1', 's3', 's5']);
    assert.deepEqual(ids(await r.listActiveSessions(NOW, {}, { limit: 2, after: 'S0' })), ['s1', 's3']);
    assert.deepEqual(ids(await r.listActiveSessions(NOW, { subjectRef: 'ref-a' }, { limit: 10 })), ['s1', 's3']);
    assert.deepEqual(ids(await r.listActiveSessions(NOW, { subjectRef: 'ref-b' }, { limit: 1, after: 'S0' })), ['s5']);
    assert.deepEqual(ids(await r.listActiveSessions(NOW, { openerTokenId: 'tok_b' }, { limit: 10 })), ['S0', 's3']);
    assert.deepEqual(ids(await r.listActiveSessions(NOW - 1, { subjectRef: 'ref-a' }, { limit: 10 })), [
      's1',
      's2',
      's3',
    ]);
    assert.deepEqual(await r.listActiveSessions(NOW, {}, { limit: 0 }), []);
    assert.deepEqual(await r.listActiveSessions(NOW, { subjectRef: 'ref-none' }, { limit: 10 }), []);
  });

  it('revokes one session (the first revocation wins), every session of a subject, or every session a token opened', async () => {
    const store = current();
    await store.write(async (tx) => {
      for (const [id, subjectRef, openerTokenId] of [
        ['s1', 'ref-a', 'tok_a'],
        ['s2', 'ref-a', 'tok_b'],
        ['s3', 'ref-b', 'tok_a'],
        ['s4', 'ref-b', 'tok_b'],
        ['s5', 'ref-c', 'tok_c'],
      ] as const)
        await tx.insertSession(session(id, { subjectRef, openerTokenId }));
    });
    assert.equal(await store.write((tx) => tx.revokeSession('s1', 10)), true);
    assert.equal(await store.write((tx) => tx.revokeSession('s1', 20)), true);
    assert.equal((await store.reader.getSession('s1'))?.revokedAt, 10);
    assert.equal(await store.write((tx) => tx.revokeSession('s-none', 20)), false);
    // Per subject: only the sessions not revoked yet count, and keep their first revocation time.
    assert.equal(await store.write((tx) => tx.revokeSubjectSessions('ref-a', 30)), 1);
    assert.equal((await store.reader.getSession('s2'))?.revokedAt, 30);
    assert.equal((await store.reader.getSession('s1'))?.revokedAt, 10);
    assert.equal(await store.write((tx) => tx.revokeSubjectSessions('ref-a', 40)), 0);
    // Per opener.
    assert.equal(await store.write((tx) => tx.revokeOpenerSessions('tok_b', 50)), 1);
    assert.equal((await store.reader.getSession('s4'))?.revokedAt, 50);
    assert.equal(await store.write((tx) => tx.revokeOpenerSessions('tok_a', 60)), 1);
    assert.equal((await store.reader.getSession('s3'))?.revokedAt, 60);
    assert.equal(await store.write((tx) => tx.revokeOpenerSessions('tok_none', 60)), 0);
    assert.deepEqual(ids(await store.reader.listActiveSessions(NOW, {}, { limit: 10 })), ['s5']);
    // A revocation in a transaction that throws is not kept.
    await assert.rejects(
      store.write(async (tx) => {
        await tx.revokeSession('s5', 70);
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.equal((await store.reader.getSession('s5'))?.revokedAt, null);
  });

  it('refuses malformed sessions and filters with TypeError or RangeError, and rows written around it by CHECK', async () => {
    const store = current();
    for (const bad of [
      session(''),
      session('s1', { subjectRef: '' }),
      session('s1', { openerTokenId: 'x\u0000' }),
      session('s1', { opener: '' }),
      session('s1', { createdAt: 1.5 }),
      session('s1', { expiresAt: 1_700_000_000_000 }),
      session('s1', { revokedAt: Number.NaN }),
    ])
      await assert.rejects(
        store.write((tx) => tx.insertSession(bad)),
        (e) => e instanceof TypeError || e instanceof RangeError,
        JSON.stringify(bad),
      );
    assert.equal(await store.reader.getSession('s1'), undefined);
    await assert.rejects(
      store.reader.listActiveSessions(NOW, { subjectRef: 'a', openerTokenId: 'b' }, { limit: 1 }),
      TypeError,
    );
    await assert.rejects(store.reader.listActiveSessions(Number.NaN, {}, { limit: 1 }), RangeError);
    await assert.rejects(
      store.write((tx) => tx.revokeSession('s1', 1.5)),
      RangeError,
    );
    await assert.rejects(
      exec()(
        "INSERT INTO sessions (id, subject_ref, opener_token, opener, created_at, expires_at) VALUES ('s9', 'r', 't', 'o', 5, 5)",
      ),
    );
  });
}
