// The conformance suite every Store backend passes (kysely's habit: one suite, every dialect).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isVerityError } from '../errors/index.ts';
import type { RecordRow, Store } from './types.ts';

export interface SuiteTarget {
  readonly store: Store;
  /** Arguments for `store-counter.ts` to open the same database in a child process. */
  readonly childArgs: string[];
  readonly cleanup: () => Promise<void>;
}

const h = (n: number) => new Uint8Array(32).fill(n);

function record(id: string, version: number, over: Partial<RecordRow> = {}): RecordRow {
  return {
    id,
    version,
    subjectRef: 'ref-a',
    type: 'note',
    state: 'stored',
    meta: '{}',
    envelope: new Uint8Array([1, 2, 3, version]),
    createdAt: 1000 + version,
    retainUntil: null,
    logIndex: version,
    ...over,
  };
}

function runChild(args: string[], count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(import.meta.dirname, 'store-counter.ts'), String(count), ...args],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child exited with ${code}`))));
  });
}

export function storeConformanceSuite(name: string, open: () => Promise<SuiteTarget>): void {
  describe(`store conformance: ${name}`, () => {
    let t: SuiteTarget;
    let store: Store;
    before(async () => {
      t = await open();
      store = t.store;
      await store.migrate();
      await store.migrate(); // idempotent
    });
    after(async () => {
      await store.close();
      await t.cleanup();
    });

    it('stores meta, the log head, entries and tiles byte-exact', async () => {
      assert.equal(await store.reader.getLogHead(), undefined);
      await store.write(async (tx) => {
        await tx.setMeta('k', 'v1');
        await tx.setMeta('k', 'v2');
        await tx.putLogHead({
          size: 3,
          rootHash: h(1),
          frontier: new Uint8Array([...h(2), ...h(3)]),
          checkpoint: 'cp\n',
          updatedAt: 5,
        });
        await tx.insertLogEntries(0, [
          new Uint8Array([0]),
          new Uint8Array([1, 1]),
          new Uint8Array(0x10000 - 1).fill(7),
        ]);
        await tx.putTiles([{ level: 0, index: 0, width: 2, hashes: new Uint8Array([...h(4), ...h(5)]) }]);
      });
      assert.equal(await store.reader.getMeta('k'), 'v2');
      assert.equal(await store.reader.getMeta('nope'), undefined);
      const head = await store.reader.getLogHead();
      assert.deepEqual(head, {
        size: 3,
        rootHash: h(1),
        frontier: new Uint8Array([...h(2), ...h(3)]),
        checkpoint: 'cp\n',
        updatedAt: 5,
      });
      const e = await store.reader.getLogEntries(0, 3);
      assert.deepEqual(e[1], new Uint8Array([1, 1]));
      assert.equal(e[2]?.byteLength, 0xffff);
      assert.deepEqual(await store.reader.getLogEntries(1, 1), []);
      await assert.rejects(store.reader.getLogEntries(2, 4), (x) => isVerityError(x, 'VERITY_E_LOG_RANGE'));
      assert.deepEqual(await store.reader.getTile(0, 0), {
        level: 0,
        index: 0,
        width: 2,
        hashes: new Uint8Array([...h(4), ...h(5)]),
      });
      assert.equal(await store.reader.getTile(0, 1), undefined);
    });

    it('lets tiles grow but never shrink, and refuses a taken log index', async () => {
      await store.write((tx) =>
        tx.putTiles([{ level: 0, index: 0, width: 3, hashes: new Uint8Array([...h(4), ...h(5), ...h(6)]) }]),
      );
      assert.equal((await store.reader.getTile(0, 0))?.width, 3);
      await assert.rejects(
        store.write((tx) => tx.putTiles([{ level: 0, index: 0, width: 1, hashes: h(4) }])),
        (x) => isVerityError(x, 'VERITY_E_STORE_CORRUPT'),
      );
      await assert.rejects(
        store.write((tx) => tx.insertLogEntries(2, [new Uint8Array([9])])),
        (x) => isVerityError(x, 'VERITY_E_STORE_CORRUPT'),
      );
      assert.deepEqual((await store.reader.getLogEntries(2, 3))[0]?.byteLength, 0xffff);
    });

    it('keeps nothing of a transaction that throws', async () => {
      await assert.rejects(
        store.write(async (tx) => {
          await tx.setMeta('rollback', 'x');
          await tx.insertRecords([record('rec_rollback', 1)]);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await store.reader.getMeta('rollback'), undefined);
      assert.equal(await store.reader.getRecord('rec_rollback'), undefined);
    });

    it('stores record versions, lists them, erases them', async () => {
      const big = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
      await store.write((tx) =>
        tx.insertRecords([
          record('rec_a', 1),
          record('rec_a', 2, { envelope: big }),
          record('rec_b', 1, { retainUntil: 50 }),
          record('rec_c', 1, { subjectRef: 'ref-b', retainUntil: 10 }),
        ]),
      );
      await assert.rejects(
        store.write((tx) => tx.insertRecords([record('rec_a', 2)])),
        (x) => isVerityError(x, 'VERITY_E_STORE_CONFLICT'),
      );
      assert.equal((await store.reader.getRecord('rec_a'))?.version, 2);
      assert.deepEqual((await store.reader.getRecord('rec_a'))?.envelope, big);
      assert.deepEqual(await store.reader.getRecord('rec_a', 1), record('rec_a', 1));
      assert.equal(await store.reader.getRecord('rec_a', 3), undefined);
      assert.deepEqual(
        (await store.reader.listRecordVersions('rec_a')).map((r) => r.version),
        [1, 2],
      );
      const bySubject = await store.reader.listRecordsBySubject('ref-a', { limit: 10 });
      assert.deepEqual(
        bySubject.map((r) => [r.id, r.version]),
        [
          ['rec_a', 2],
          ['rec_b', 1],
        ],
      );
      assert.deepEqual(
        (await store.reader.listRecordsBySubject('ref-a', { limit: 10, after: 'rec_a' })).map((r) => r.id),
        ['rec_b'],
      );
      assert.deepEqual(
        (await store.reader.listRecordsBySubject('ref-a', { limit: 1 })).map((r) => r.id),
        ['rec_a'],
      );
      assert.deepEqual(
        (await store.reader.listExpiredRecords(60, 10)).map((r) => r.id),
        ['rec_c', 'rec_b'],
      );
      assert.deepEqual(
        (await store.reader.listExpiredRecords(20, 10)).map((r) => r.id),
        ['rec_c'],
      );
      await store.write((tx) => tx.setRecordState('rec_b', 1, 'archived'));
      assert.equal((await store.reader.getRecord('rec_b'))?.state, 'archived');
      assert.equal(await store.write((tx) => tx.eraseRecord('rec_a')), 2);
      const erased = await store.reader.listRecordVersions('rec_a');
      assert.ok(erased.every((r) => r.state === 'erased' && r.envelope === null));
      assert.equal(await store.write((tx) => tx.eraseSubjectRecords('ref-b')), 1);
      assert.deepEqual(
        (await store.reader.listExpiredRecords(60, 10)).map((r) => r.id),
        ['rec_b'],
      );
    });

    it('keeps subject keys: insert-if-absent, rewrap, count, delete', async () => {
      const k1 = { subjectRef: 's1', kekVersion: 1, wrappedKey: h(9), createdAt: 1 };
      const stored = await store.write((tx) => tx.insertSubjectKey(k1));
      assert.deepEqual(stored, k1);
      const again = await store.write((tx) => tx.insertSubjectKey({ ...k1, wrappedKey: h(8), createdAt: 2 }));
      assert.deepEqual(again, k1);
      await store.write((tx) =>
        tx.insertSubjectKey({ subjectRef: 's2', kekVersion: 1, wrappedKey: h(7), createdAt: 3 }),
      );
      assert.deepEqual([...(await store.reader.countSubjectKeysByKek())], [[1, 2]]);
      await store.write((tx) => tx.updateSubjectKeys([{ ...k1, kekVersion: 2, wrappedKey: h(6) }]));
      assert.deepEqual(
        (await store.reader.listSubjectKeysBelow(2, 10)).map((k) => k.subjectRef),
        ['s2'],
      );
      assert.deepEqual(await store.reader.getSubjectKey('s1'), { ...k1, kekVersion: 2, wrappedKey: h(6) });
      assert.deepEqual(
        [...(await store.reader.countSubjectKeysByKek())],
        [
          [1, 1],
          [2, 1],
        ],
      );
      assert.equal(await store.write((tx) => tx.deleteSubjectKey('s1')), true);
      assert.equal(await store.write((tx) => tx.deleteSubjectKey('s1')), false);
      assert.equal(await store.reader.getSubjectKey('s1'), undefined);
    });

    it('stores schemas', async () => {
      await store.write((tx) => tx.putSchema({ type: 'b', schema: '{"type":"object"}', createdAt: 1 }));
      await store.write((tx) => tx.putSchema({ type: 'a', schema: '{}', createdAt: 2 }));
      await store.write((tx) => tx.putSchema({ type: 'b', schema: '{"type":"string"}', createdAt: 3 }));
      assert.deepEqual(
        (await store.reader.listSchemas()).map((s) => s.type),
        ['a', 'b'],
      );
      assert.equal((await store.reader.getSchema('b'))?.schema, '{"type":"string"}');
    });

    it('readers do not see an open transaction', async () => {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const w = store.write(async (tx) => {
        await tx.setMeta('pending', 'yes');
        await gate;
      });
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(await store.reader.getMeta('pending'), undefined);
      release();
      await w;
      assert.equal(await store.reader.getMeta('pending'), 'yes');
    });

    it('serializes concurrent transactions of one process', async () => {
      await store.write((tx) => tx.setMeta('counter', '0'));
      await Promise.all(
        Array.from({ length: 50 }, () =>
          store.write(async (tx) => {
            const n = Number(await tx.getMeta('counter'));
            await new Promise((r) => setImmediate(r));
            await tx.setMeta('counter', String(n + 1));
          }),
        ),
      );
      assert.equal(await store.reader.getMeta('counter'), '50');
    });

    it('serializes transactions across processes', async () => {
      await store.write((tx) => tx.setMeta('counter', '0'));
      await Promise.all([1, 2, 3].map(() => runChild(t.childArgs, 30)));
      assert.equal(await store.reader.getMeta('counter'), '90');
    });

    it('inserts 10,000 log entries in one batch', async () => {
      const start = (await store.reader.getLogEntries(0, 3)).length;
      const entries = Array.from({ length: 10_000 }, (_, i) => new TextEncoder().encode(`e${i}`));
      await store.write((tx) => tx.insertLogEntries(start, entries));
      const back = await store.reader.getLogEntries(start, start + 10_000);
      assert.equal(back.length, 10_000);
      assert.deepEqual(back[9999], entries[9999]);
    });
  });
}
