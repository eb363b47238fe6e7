// The objects part of the store conformance suite (store-suite.ts registers it for every backend).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { isVerityError } from '../errors/index.ts';
import type { ObjectRow, RowStore as Store } from './types.ts';

function object(id: string, over: Partial<ObjectRow> = {}): ObjectRow {
  return {
    kind: 'passkey',
    id,
    owner: 'ref-a',
    body: '{"alg":-7}',
    version: 1,
    updatedAt: 1_700_000_000_000,
    ...over,
  };
}

const conflict = (e: unknown) => isVerityError(e, 'VERITY_E_STORE_CONFLICT');

/** Registers the object tests. `current` gives the test's migrated store. */
export function objectConformance(current: () => Store): void {
  const ids = (rows: readonly ObjectRow[]) => rows.map((r) => `${r.kind}/${r.id}`);

  it('stores objects by kind and id, reads them back exactly, and refuses a second version 1', async () => {
    const store = current();
    assert.equal(await store.reader.getObject('passkey', 'c1'), undefined);
    const o = object('c1');
    await store.write((tx) => tx.putObject(o));
    assert.deepEqual(await store.reader.getObject('passkey', 'c1'), o);
    // The same id under another kind is another object.
    assert.equal(await store.reader.getObject('passkey-x', 'c1'), undefined);
    await assert.rejects(
      store.write((tx) => tx.putObject({ ...o, owner: 'ref-b' })),
      conflict,
    );
    // Deferred writes report the conflict through write(), with nothing kept.
    await assert.rejects(
      store.write(
        async (tx) => {
          await tx.putObject(object('c2'));
          await tx.putObject(object('c1'));
        },
        { deferred: true },
      ),
      conflict,
    );
    assert.equal(await store.reader.getObject('passkey', 'c2'), undefined);
    assert.deepEqual(await store.reader.getObject('passkey', 'c1'), o);
  });

  it('replaces only the version it was read at (compare and set), and deletes', async () => {
    const store = current();
    await store.write((tx) => tx.putObject(object('c1')));
    const v2 = object('c1', { body: '{"alg":-8}', version: 2, updatedAt: 1_700_000_000_001 });
    await store.write((tx) => tx.putObject(v2));
    assert.deepEqual(await store.reader.getObject('passkey', 'c1'), v2);
    // A writer that read version 1 loses: its replacement names a version that is gone.
    await assert.rejects(
      store.write((tx) => tx.putObject({ ...v2, body: '{}' })),
      conflict,
    );
    await assert.rejects(
      store.write((tx) => tx.putObject({ ...v2, version: 4 })),
      conflict,
    );
    // Replacing an object that does not exist is a conflict too.
    await assert.rejects(
      store.write((tx) => tx.putObject(object('nope', { version: 2 }))),
      conflict,
    );
    assert.deepEqual(await store.reader.getObject('passkey', 'c1'), v2);
    assert.equal(await store.write((tx) => tx.deleteObject('passkey', 'c1')), true);
    assert.equal(await store.write((tx) => tx.deleteObject('passkey', 'c1')), false);
    assert.equal(await store.reader.getObject('passkey', 'c1'), undefined);
  });

  it('lists a kind (all, or of one owner) by id in pages, and scans every object in (kind, id) order', async () => {
    const store = current();
    await store.write(async (tx) => {
      await tx.putObject(object('c3'));
      await tx.putObject(object('c1', { owner: 'ref-b' }));
      await tx.putObject(object('c2'));
      await tx.putObject(object('c1', { kind: 'oidc.issuer', owner: '' }));
      await tx.putObject(object('c0', { kind: 'did.web' }));
    });
    assert.deepEqual(ids(await store.reader.listObjects('passkey', undefined, { limit: 10 })), [
      'passkey/c1',
      'passkey/c2',
      'passkey/c3',
    ]);
    assert.deepEqual(ids(await store.reader.listObjects('passkey', 'ref-a', { limit: 1 })), ['passkey/c2']);
    assert.deepEqual(ids(await store.reader.listObjects('passkey', 'ref-a', { limit: 5, after: 'c2' })), [
      'passkey/c3',
    ]);
    assert.deepEqual(ids(await store.reader.listObjects('passkey', 'ref-c', { limit: 5 })), []);
    assert.deepEqual(await store.reader.listObjects('passkey', undefined, { limit: 0 }), []);
    const scanned: string[] = [];
    for (let after: ObjectRow | undefined; ; ) {
      const page = await store.reader.scanObjects({
        limit: 2,
        ...(after ? { after: after.kind, afterId: after.id } : {}),
      });
      scanned.push(...ids(page));
      after = page[page.length - 1];
      if (page.length < 2) break;
    }
    assert.deepEqual(scanned, ['did.web/c0', 'oidc.issuer/c1', 'passkey/c1', 'passkey/c2', 'passkey/c3']);
  });

  it('refuses malformed objects before they reach the database', async () => {
    const store = current();
    const bad: Partial<ObjectRow>[] = [
      { kind: 'Passkey' },
      { kind: '' },
      { kind: 'a'.repeat(65) },
      { kind: 'pass key' },
      { id: '' },
      { id: 'x'.repeat(513) },
      { id: 'a\u0000b' },
      { id: '\ud800' },
      { owner: 'o\u0000' },
      { body: 'x'.repeat((1 << 20) + 1) },
      { version: 0 },
      { version: 1.5 },
      { updatedAt: Number.NaN },
    ];
    for (const over of bad)
      await assert.rejects(
        store.write((tx) => tx.putObject(object('c1', over))),
        (e) => e instanceof TypeError || e instanceof RangeError,
        JSON.stringify(over).slice(0, 80),
      );
    await assert.rejects(store.reader.getObject('BAD', 'x'), TypeError);
    await assert.rejects(store.reader.listObjects('passkey', 'a\u0000', { limit: 1 }), TypeError);
  });

  it('round-trips any well-formed document and id (property)', async () => {
    const store = current();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.isWellFormed() && !s.includes('\u0000')),
        fc.json({ maxDepth: 3 }),
        async (id, body) => {
          const o = object(id, { kind: `k${n++}`, body });
          await store.write((tx) => tx.putObject(o));
          assert.deepEqual(await store.reader.getObject(o.kind, id), o);
        },
      ),
      { numRuns: 30 },
    );
  });
}
