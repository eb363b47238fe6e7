// The conformance suite every Store backend passes: one suite, every backend, real databases
// (kysely's habit). sqlite.test.ts and postgres.test.ts run it; it is not part of the package index.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isVerityError } from '../errors/index.ts';
import type { ChildSpec } from './store-counter.ts';
import { objectConformance } from './store-suite-objects.ts';
import { sessionConformance } from './store-suite-sessions.ts';
import type {
  LogHead,
  RecordRow,
  RowStore as Store,
  StoredTile,
  RowWriter as StoreWriter,
  SubjectFactsRow,
  SubjectKeyRow,
} from './types.ts';

/** A fresh, empty, not yet migrated database for one test. */
export interface SuiteTarget {
  readonly store: Store;
  /** Removes the database (the suite closes `store` first). */
  readonly cleanup: () => Promise<void>;
  /** How a child process opens the same database (cross-process tests). */
  readonly child: ChildSpec;
  /**
   * Runs SQL on the same database through a connection of its own, around the store (tests that
   * simulate an older layout or rows a store would refuse to write). Unqualified table names are
   * the store's own tables.
   */
  readonly exec: (sql: string) => Promise<void>;
}

const COUNTER = join(import.meta.dirname, 'store-counter.ts');

const code = (c: Parameters<typeof isVerityError>[1]) => (e: unknown) => isVerityError(e, c);

/** 32 bytes of `n`. */
const h = (n: number): Uint8Array => new Uint8Array(32).fill(n);

/** `width` distinct hashes: a tile's content. */
function tileHashes(width: number, seed = 0): Uint8Array {
  const out = new Uint8Array(width * 32);
  for (let i = 0; i < out.length; i++) out[i] = (i * 7 + seed) & 0xff;
  return out;
}

function tile(level: number, index: number, width: number, seed = 0): StoredTile {
  return { level, index, width, hashes: tileHashes(width, seed) };
}

function head(size: number, over: Partial<LogHead> = {}): LogHead {
  return {
    size,
    rootHash: h(size & 0xff),
    frontier: new Uint8Array([...h(1), ...h(2)]),
    checkpoint: `example.com/log\n${size}\nroot\n\n— sig\n`,
    updatedAt: 1_700_000_000_000 + size,
    ...over,
  };
}

function record(id: string, version: number, over: Partial<RecordRow> = {}): RecordRow {
  return {
    id,
    version,
    subjectRef: 'ref-a',
    type: 'note',
    state: 'stored',
    meta: '{"classification":"internal"}',
    envelope: new Uint8Array([1, 2, 3, version]),
    createdAt: 1_700_000_000_000 + version,
    retainUntil: null,
    logIndex: version,
    ...over,
  };
}

function key(subjectRef: string, kekVersion: number, over: Partial<SubjectKeyRow> = {}): SubjectKeyRow {
  return { subjectRef, kekVersion, wrappedKey: h(kekVersion + 40), createdAt: 1000 + kekVersion, ...over };
}

function facts(subjectRef: string, over: Partial<SubjectFactsRow> = {}): SubjectFactsRow {
  return { subjectRef, minor: true, guardians: ['g1', 'g2'], updatedAt: 1_700_000_000_000, ...over };
}

const entry = (i: number): Uint8Array => new TextEncoder().encode(`entry ${i}`);
const entries = (from: number, n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => entry(from + i));
const ids = (rows: readonly RecordRow[]): string[] => rows.map((r) => `${r.id}@${r.version}`);

/** Runs store-counter.ts; resolves with its stdout once it exits with status 0. */
function runChild(spec: ChildSpec, count: number, onLine?: (line: string, kill: () => void) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', COUNTER, JSON.stringify(spec), String(count)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    let buffered = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      buffered += d;
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        onLine?.(buffered.slice(0, nl), () => c.kill('SIGKILL'));
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
      }
    });
    c.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    c.once('error', reject);
    c.once('exit', (status, signal) => {
      if (status === 0 || (signal === 'SIGKILL' && onLine !== undefined)) resolve(out);
      else reject(new Error(`store-counter exited with ${status ?? signal}: ${err.slice(0, 2000)}`));
    });
  });
}

/**
 * Registers the conformance tests of a Store backend. `open` returns a fresh, empty database for
 * each test; the suite migrates it, closes the store, then calls `cleanup`.
 */
export function storeConformanceSuite(name: string, open: () => Promise<SuiteTarget>): void {
  describe(`store conformance: ${name}`, () => {
    let t: SuiteTarget;
    let store: Store;
    const extra: SuiteTarget[] = [];

    /** Another fresh database, not migrated, cleaned up after the test. */
    async function another(): Promise<SuiteTarget> {
      const x = await open();
      extra.push(x);
      return x;
    }

    beforeEach(async () => {
      t = await open();
      store = t.store;
      await store.migrate();
    });

    afterEach(async () => {
      for (const x of [t, ...extra.splice(0)]) {
        await x.store.close();
        await x.cleanup();
      }
    });

    describe('migrate', () => {
      it('refuses use before migrate, then is idempotent, concurrent, and records its version', async () => {
        const x = await another();
        await assert.rejects(x.store.reader.getMeta('k'), code('VERITY_E_STORE_UNAVAILABLE'));
        await Promise.all([x.store.migrate(), x.store.migrate(), x.store.migrate()]);
        await x.store.migrate();
        assert.equal(await x.store.reader.getMeta('store.schema'), '5');
        assert.equal(await x.store.reader.getLogHead(), undefined);
      });

      it('upgrades a layout version 1 database in place: adds subject_facts, sessions, the state map and objects, keeps the data', async () => {
        await store.write(async (tx) => {
          await tx.setMeta('k', 'v');
          await tx.insertSubjectKey(key('s1', 1));
          await tx.insertRecords([record('rec_a', 1)]);
        });
        // What a version 1 migrate() left: the same tables but subject_facts, version '1', and no
        // migrations table (the layout-number era had none).
        await t.exec(
          "DROP TABLE subject_facts; DROP TABLE sessions; DROP TABLE state_nodes; DROP TABLE objects; DROP TABLE verity_migrations; UPDATE meta SET value = '1' WHERE key = 'store.schema'",
        );
        assert.equal(await store.reader.getMeta('store.schema'), '1');
        await assert.rejects(
          store.write((tx) => tx.putSubjectFacts(facts('s1'))),
          code('VERITY_E_STORE_UNAVAILABLE'),
        );
        await store.migrate();
        assert.equal(await store.reader.getMeta('store.schema'), '5');
        assert.equal(await store.reader.getMeta('k'), 'v');
        assert.deepEqual(await store.reader.getSubjectKey('s1'), key('s1', 1));
        assert.deepEqual(await store.reader.getRecord('rec_a'), record('rec_a', 1));
        assert.equal(await store.reader.getSubjectFacts('s1'), undefined);
        await store.write((tx) => tx.putSubjectFacts(facts('s1')));
        assert.deepEqual(await store.reader.getSubjectFacts('s1'), facts('s1'));
        assert.deepEqual(await store.reader.listActiveSessions(0, {}, { limit: 10 }), []);
        assert.deepEqual(await store.reader.listObjects('passkey', undefined, { limit: 10 }), []);
        // Upgraded once; running it again changes nothing.
        await store.migrate();
        assert.equal(await store.reader.getMeta('store.schema'), '5');
        assert.deepEqual(await store.reader.getSubjectFacts('s1'), facts('s1'));
      });

      it('refuses a database written by a newer layout', async () => {
        await store.write((tx) => tx.setMeta('store.schema', '99'));
        await assert.rejects(
          store.migrate(),
          (e) => code('VERITY_E_STORE_LAYOUT_NEWER')(e) && /upgrade verity/.test(String(e)),
        );
      });

      it('records its migrations in order and refuses one it does not know', async () => {
        const x = await another();
        await x.store.migrate();
        await x.exec("INSERT INTO verity_migrations (name, applied_at) VALUES ('9999_from_the_future', 0)");
        await assert.rejects(
          x.store.migrate(),
          (e) => code('VERITY_E_STORE_LAYOUT_NEWER')(e) && /9999_from_the_future/.test(String(e)),
        );
        // A gap in the applied migrations is damage, not a newer layout.
        await x.exec("DELETE FROM verity_migrations WHERE name <> '0002_subject_facts'");
        await assert.rejects(x.store.migrate(), code('VERITY_E_STORE_CORRUPT'));
      });
    });

    describe('meta', () => {
      it('stores, replaces and reads text values', async () => {
        assert.equal(await store.reader.getMeta('k'), undefined);
        await store.write(async (tx) => {
          await tx.setMeta('k', 'v1');
          assert.equal(await tx.getMeta('k'), 'v1', 'a transaction sees its own writes');
          await tx.setMeta('k', 'v2');
          await tx.setMeta('empty', '');
          await tx.setMeta('ünï €', '{"x":"𝄞\\n"}');
        });
        assert.equal(await store.reader.getMeta('k'), 'v2');
        assert.equal(await store.reader.getMeta('empty'), '');
        assert.equal(await store.reader.getMeta('ünï €'), '{"x":"𝄞\\n"}');
      });

      it('refuses text the databases cannot store exactly', async () => {
        await assert.rejects(
          store.write((tx) => tx.setMeta('k', 'nul\u0000')),
          TypeError,
        );
        await assert.rejects(
          store.write((tx) => tx.setMeta('k', 'lone \ud800')),
          TypeError,
        );
        await assert.rejects(store.reader.getMeta(42 as unknown as string), TypeError);
      });
    });

    describe('log head', () => {
      it('is created on first put, replaced after, and read back byte-exact', async () => {
        assert.equal(await store.reader.getLogHead(), undefined);
        const empty = head(0, { frontier: new Uint8Array(0) });
        await store.write((tx) => tx.putLogHead(empty));
        assert.deepEqual(await store.reader.getLogHead(), empty);
        const big = head(2 ** 53 - 1, { updatedAt: 2 ** 53 - 1, frontier: tileHashes(53) });
        await store.write((tx) => tx.putLogHead(big));
        const back = await store.reader.getLogHead();
        // deepStrictEqual also compares prototypes: Buffers would not pass for Uint8Arrays.
        assert.deepEqual(back, big);
      });

      it('refuses malformed heads and keeps the stored one', async () => {
        await store.write((tx) => tx.putLogHead(head(5)));
        for (const bad of [
          head(6, { rootHash: new Uint8Array(31) }),
          head(6, { frontier: new Uint8Array(33) }),
          head(-1),
          head(1.5),
          head(2 ** 53),
        ]) {
          await assert.rejects(
            store.write((tx) => tx.putLogHead(bad)),
            RangeError,
          );
        }
        assert.deepEqual(await store.reader.getLogHead(), head(5));
      });
    });

    describe('log entries', () => {
      it('round-trip byte-exact, including empty entries, every byte value and views', async () => {
        const all = new Uint8Array(256).map((_, i) => i);
        const backing = new Uint8Array(100).fill(9);
        backing.set([1, 2, 3], 10);
        const view = backing.subarray(10, 13);
        const large = new Uint8Array(0xffff).map((_, i) => (i * 31) & 0xff);
        await store.write((tx) => tx.insertLogEntries(0, [new Uint8Array(0), all, view, large]));
        const back = await store.reader.getLogEntries(0, 4);
        assert.deepEqual(back, [new Uint8Array(0), all, new Uint8Array([1, 2, 3]), large]);
        for (const b of back) assert.equal(Object.getPrototypeOf(b), Uint8Array.prototype);
      });

      it('returns ranges and refuses missing ones with VERITY_E_LOG_RANGE', async () => {
        await store.write(async (tx) => {
          await tx.insertLogEntries(0, entries(0, 3));
          await tx.insertLogEntries(5, entries(5, 2));
        });
        assert.deepEqual(await store.reader.getLogEntries(1, 3), entries(1, 2));
        assert.deepEqual(await store.reader.getLogEntries(5, 7), entries(5, 2));
        assert.deepEqual(await store.reader.getLogEntries(2, 2), []);
        assert.deepEqual(await store.reader.getLogEntries(100, 100), []);
        for (const [s, e] of [
          [0, 4],
          [2, 6],
          [3, 5],
          [6, 8],
          [7, 8],
          [0, 7],
        ] as const) {
          await assert.rejects(store.reader.getLogEntries(s, e), code('VERITY_E_LOG_RANGE'), `[${s}, ${e})`);
        }
        for (const [s, e] of [
          [2, 1],
          [-1, 2],
          [0.5, 2],
          [0, Number.NaN],
        ] as const) {
          await assert.rejects(store.reader.getLogEntries(s, e), RangeError, `[${s}, ${e})`);
        }
      });

      it('refuses a taken index with VERITY_E_STORE_CORRUPT and keeps nothing of the batch', async () => {
        await store.write((tx) => tx.insertLogEntries(0, entries(0, 3)));
        await assert.rejects(
          store.write(async (tx) => {
            await tx.setMeta('during', 'x');
            await tx.insertLogEntries(3, entries(3, 2));
            await tx.insertLogEntries(4, [new Uint8Array([1])]);
          }),
          code('VERITY_E_STORE_CORRUPT'),
        );
        await assert.rejects(
          store.write((tx) => tx.insertLogEntries(1, [new Uint8Array([1])])),
          code('VERITY_E_STORE_CORRUPT'),
        );
        await assert.rejects(store.reader.getLogEntries(3, 4), code('VERITY_E_LOG_RANGE'));
        assert.equal(await store.reader.getMeta('during'), undefined);
        assert.deepEqual(await store.reader.getLogEntries(0, 3), entries(0, 3));
        await store.write((tx) => tx.insertLogEntries(3, []));
        await assert.rejects(
          store.write((tx) => tx.insertLogEntries(-1, [new Uint8Array(1)])),
          RangeError,
        );
        await assert.rejects(
          store.write((tx) => tx.insertLogEntries(0, ['x' as unknown as Uint8Array])),
          TypeError,
        );
      });

      it('inserts 10,000 entries in one batch', async () => {
        const batch = entries(0, 10_000);
        await store.write((tx) => tx.insertLogEntries(0, batch));
        const back = await store.reader.getLogEntries(0, 10_000);
        assert.equal(back.length, 10_000);
        assert.deepEqual(back, batch);
      });

      it('stores indices up to 2^53 - 1', async () => {
        const top = 2 ** 53 - 1;
        await store.write((tx) => tx.insertLogEntries(top - 2, entries(0, 2)));
        assert.deepEqual(await store.reader.getLogEntries(top - 2, top), entries(0, 2));
        await assert.rejects(
          store.write((tx) => tx.insertLogEntries(top - 1, entries(0, 2))),
          RangeError,
        );
      });
    });

    describe('tiles', () => {
      it('stores tiles of several levels and reads them back byte-exact', async () => {
        await store.write((tx) => tx.putTiles([tile(0, 0, 256), tile(0, 1, 3), tile(1, 0, 1), tile(2, 7, 17)]));
        assert.deepEqual(await store.reader.getTile(0, 0), tile(0, 0, 256));
        assert.deepEqual(await store.reader.getTile(0, 1), tile(0, 1, 3));
        assert.deepEqual(await store.reader.getTile(1, 0), tile(1, 0, 1));
        assert.deepEqual(await store.reader.getTile(2, 7), tile(2, 7, 17));
        assert.equal(await store.reader.getTile(0, 2), undefined);
        assert.equal(await store.reader.getTile(3, 0), undefined);
        await store.write((tx) => tx.putTiles([]));
      });

      it('lets a tile grow or be replaced, never shrink, and keeps nothing of a refused batch', async () => {
        await store.write((tx) => tx.putTiles([tile(0, 0, 2)]));
        await store.write((tx) => tx.putTiles([tile(0, 0, 2)]));
        await store.write((tx) => tx.putTiles([tile(0, 0, 5)]));
        assert.deepEqual(await store.reader.getTile(0, 0), tile(0, 0, 5));
        // Same width, other hashes: replaced (log verification, not the store, judges content).
        await store.write((tx) => tx.putTiles([tile(0, 0, 5, 1)]));
        assert.deepEqual(await store.reader.getTile(0, 0), tile(0, 0, 5, 1));
        await store.write((tx) => tx.putTiles([tile(0, 0, 5)]));
        for (const bad of [tile(0, 0, 4), tile(0, 0, 1, 1)]) {
          await assert.rejects(
            store.write((tx) => tx.putTiles([tile(0, 9, 1), bad])),
            code('VERITY_E_STORE_CORRUPT'),
          );
        }
        assert.deepEqual(await store.reader.getTile(0, 0), tile(0, 0, 5));
        assert.equal(await store.reader.getTile(0, 9), undefined);
        // One batch may name a tile twice if it only grows.
        await store.write((tx) => tx.putTiles([tile(0, 0, 6), tile(0, 0, 8)]));
        assert.deepEqual(await store.reader.getTile(0, 0), tile(0, 0, 8));
        await assert.rejects(
          store.write((tx) => tx.putTiles([tile(0, 0, 10), tile(0, 0, 9)])),
          code('VERITY_E_STORE_CORRUPT'),
        );
        assert.deepEqual(await store.reader.getTile(0, 0), tile(0, 0, 8));
      });

      it('refuses malformed tiles', async () => {
        for (const bad of [
          tile(0, 0, 0),
          tile(0, 0, 257),
          { ...tile(0, 0, 2), hashes: new Uint8Array(63) },
          tile(-1, 0, 1),
          tile(0, -1, 1),
        ]) {
          await assert.rejects(
            store.write((tx) => tx.putTiles([bad])),
            RangeError,
          );
        }
      });
    });

    describe('records', () => {
      it('stores versions and reads the latest, a given one, or all in order', async () => {
        const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 131) % 251);
        await store.write((tx) =>
          tx.insertRecords([
            record('rec_a', 2, { envelope: big, retainUntil: 2 ** 53 - 1, createdAt: -5 }),
            record('rec_a', 1),
            record('rec_b', 1, { envelope: null, state: 'erased' }),
          ]),
        );
        const latest = await store.reader.getRecord('rec_a');
        assert.deepEqual(latest, record('rec_a', 2, { envelope: big, retainUntil: 2 ** 53 - 1, createdAt: -5 }));
        assert.equal(Object.getPrototypeOf(latest?.envelope), Uint8Array.prototype);
        assert.deepEqual(await store.reader.getRecord('rec_a', 1), record('rec_a', 1));
        assert.deepEqual(
          await store.reader.getRecord('rec_b'),
          record('rec_b', 1, { envelope: null, state: 'erased' }),
        );
        assert.equal(await store.reader.getRecord('rec_a', 3), undefined);
        assert.equal(await store.reader.getRecord('rec_none'), undefined);
        assert.deepEqual(ids(await store.reader.listRecordVersions('rec_a')), ['rec_a@1', 'rec_a@2']);
        assert.deepEqual(await store.reader.listRecordVersions('rec_none'), []);
      });

      it('refuses an existing version with VERITY_E_STORE_CONFLICT and keeps nothing of the batch', async () => {
        await store.write((tx) => tx.insertRecords([record('rec_a', 1)]));
        await assert.rejects(
          store.write((tx) => tx.insertRecords([record('rec_new', 1), record('rec_a', 1, { meta: '{}' })])),
          code('VERITY_E_STORE_CONFLICT'),
        );
        await assert.rejects(
          store.write((tx) => tx.insertRecords([record('rec_dup', 1), record('rec_dup', 1)])),
          code('VERITY_E_STORE_CONFLICT'),
        );
        assert.equal(await store.reader.getRecord('rec_new'), undefined);
        assert.equal(await store.reader.getRecord('rec_dup'), undefined);
        assert.deepEqual(await store.reader.getRecord('rec_a'), record('rec_a', 1));
      });

      it('refuses malformed rows', async () => {
        for (const bad of [
          record('', 1),
          record('rec_x', 0),
          record('rec_x', 1.5),
          record('rec_x', 1, { state: 'deleted' as RecordRow['state'] }),
          record('rec_x', 1, { envelope: 'x' as unknown as Uint8Array }),
          record('rec_x', 1, { logIndex: -1 }),
          record('rec_x', 1, { retainUntil: Number.NaN }),
        ]) {
          await assert.rejects(
            store.write((tx) => tx.insertRecords([bad])),
            (e) => e instanceof TypeError || e instanceof RangeError,
          );
        }
        assert.equal(await store.reader.getRecord('rec_x'), undefined);
      });

      it('lists the latest version of each record of a subject, by id, in pages', async () => {
        // Bytewise order: upper case before lower case, whatever the database locale.
        const names = ['rec_B', 'rec_a', 'rec_a0', 'rec_b', 'rec_c', 'rec_d'];
        await store.write(async (tx) => {
          for (const id of names) await tx.insertRecords([record(id, 1)]);
          await tx.insertRecords([record('rec_a', 2), record('rec_c', 2, { envelope: null, state: 'erased' })]);
          await tx.insertRecords([record('rec_other', 1, { subjectRef: 'ref-b' })]);
          // A record whose latest version names another subject lists under that subject only.
          await tx.insertRecords([record('rec_moved', 1), record('rec_moved', 2, { subjectRef: 'ref-b' })]);
        });
        const all = await store.reader.listRecordsBySubject('ref-a', { limit: 100 });
        assert.deepEqual(ids(all), ['rec_B@1', 'rec_a@2', 'rec_a0@1', 'rec_b@1', 'rec_c@2', 'rec_d@1']);
        assert.equal(all[4]?.envelope, null);
        const paged: RecordRow[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store.reader.listRecordsBySubject(
            'ref-a',
            after === undefined ? { limit: 4 } : { limit: 4, after },
          );
          paged.push(...page);
          if (page.length < 4) break;
          after = page[page.length - 1]?.id;
        }
        assert.deepEqual(paged, all);
        assert.deepEqual(ids(await store.reader.listRecordsBySubject('ref-a', { limit: 2, after: 'rec_a' })), [
          'rec_a0@1',
          'rec_b@1',
        ]);
        assert.deepEqual(await store.reader.listRecordsBySubject('ref-a', { limit: 0 }), []);
        assert.deepEqual(await store.reader.listRecordsBySubject('ref-a', { limit: 5, after: 'rec_z' }), []);
        assert.deepEqual(ids(await store.reader.listRecordsBySubject('ref-b', { limit: 10 })), [
          'rec_moved@2',
          'rec_other@1',
        ]);
        assert.deepEqual(await store.reader.listRecordsBySubject('ref-none', { limit: 10 }), []);
        await assert.rejects(store.reader.listRecordsBySubject('ref-a', { limit: -1 }), RangeError);
      });

      it('lists expired latest versions that are not erased, oldest deadline first', async () => {
        await store.write((tx) =>
          tx.insertRecords([
            record('rec_a', 1, { retainUntil: 10 }),
            record('rec_b', 1, { retainUntil: 50 }),
            record('rec_c', 1, { retainUntil: 10 }),
            record('rec_d', 1, { retainUntil: 5, envelope: null, state: 'erased' }),
            record('rec_e', 1),
            // Only the latest version counts: e2's deadline is later, f2's earlier than f1's.
            record('rec_e', 2, { retainUntil: 1 }),
            record('rec_f', 1, { retainUntil: 1 }),
            record('rec_f', 2, { retainUntil: 100 }),
            record('rec_g', 1, { retainUntil: -20 }),
          ]),
        );
        assert.deepEqual(ids(await store.reader.listExpiredRecords(50, 100)), [
          'rec_g@1',
          'rec_e@2',
          'rec_a@1',
          'rec_c@1',
          'rec_b@1',
        ]);
        assert.deepEqual(ids(await store.reader.listExpiredRecords(49, 100)), [
          'rec_g@1',
          'rec_e@2',
          'rec_a@1',
          'rec_c@1',
        ]);
        assert.deepEqual(ids(await store.reader.listExpiredRecords(10, 2)), ['rec_g@1', 'rec_e@2']);
        assert.deepEqual(await store.reader.listExpiredRecords(-21, 10), []);
        assert.deepEqual(await store.reader.listExpiredRecords(1000, 0), []);
        await store.write((tx) => tx.eraseRecord('rec_a'));
        assert.deepEqual(ids(await store.reader.listExpiredRecords(10, 100)), ['rec_g@1', 'rec_e@2', 'rec_c@1']);
      });

      it('sets the state of one version', async () => {
        await store.write((tx) => tx.insertRecords([record('rec_a', 1), record('rec_a', 2)]));
        await store.write((tx) => tx.setRecordState('rec_a', 1, 'archived'));
        assert.equal((await store.reader.getRecord('rec_a', 1))?.state, 'archived');
        assert.equal((await store.reader.getRecord('rec_a', 2))?.state, 'stored');
        await store.write((tx) => tx.setRecordState('rec_a', 9, 'used'));
        assert.equal(await store.reader.getRecord('rec_a', 9), undefined);
        await assert.rejects(
          store.write((tx) => tx.setRecordState('rec_a', 1, 'gone' as RecordRow['state'])),
          RangeError,
        );
      });

      it('erases every version of a record and returns how many', async () => {
        await store.write((tx) =>
          tx.insertRecords([record('rec_a', 1), record('rec_a', 2), record('rec_a', 3), record('rec_b', 1)]),
        );
        assert.equal(await store.write((tx) => tx.eraseRecord('rec_a')), 3);
        for (const r of await store.reader.listRecordVersions('rec_a')) {
          assert.equal(r.state, 'erased');
          assert.equal(r.envelope, null);
          assert.equal(r.meta, record('rec_a', 1).meta, 'metadata survives erasure');
        }
        assert.deepEqual(await store.reader.getRecord('rec_b'), record('rec_b', 1));
        assert.equal(await store.write((tx) => tx.eraseRecord('rec_a')), 3, 'erasing again matches the same versions');
        assert.equal(await store.write((tx) => tx.eraseRecord('rec_none')), 0);
      });

      /** Three versions of subject ref-a (rec_a twice, rec_b) and one of ref-b, then ref-a erased. */
      const eraseRefA = async () => {
        await store.write((tx) =>
          tx.insertRecords([
            record('rec_a', 1),
            record('rec_a', 2),
            record('rec_b', 1),
            record('rec_c', 1, { subjectRef: 'ref-b' }),
          ]),
        );
        assert.equal(await store.write((tx) => tx.eraseSubjectRecords('ref-a')), 3);
      };

      it('erases every record of a subject and returns how many versions', async () => {
        await eraseRefA();
        const listed = await store.reader.listRecordsBySubject('ref-a', { limit: 10 });
        assert.ok(listed.every((r) => r.state === 'erased' && r.envelope === null));
        assert.equal((await store.reader.getRecord('rec_a', 1))?.envelope, null);
        assert.deepEqual(await store.reader.getRecord('rec_c'), record('rec_c', 1, { subjectRef: 'ref-b' }));
        assert.equal(await store.write((tx) => tx.eraseSubjectRecords('ref-none')), 0);
      });

      it("unlinks a subject's erased records from it: no row carries its reference afterwards", async () => {
        await eraseRefA();
        assert.deepEqual(await store.reader.listRecordsBySubject('ref-a', { limit: 10 }), []);
        const rows = [
          ...(await store.reader.listRecordVersions('rec_a')),
          ...(await store.reader.listRecordVersions('rec_b')),
        ];
        assert.equal(rows.length, 3);
        const fresh = rows[0]?.subjectRef as string;
        assert.match(fresh, /^[A-Za-z0-9_-]{43}$/);
        for (const r of rows) {
          assert.equal(r.subjectRef, fresh);
          assert.equal(r.state, 'erased');
          assert.equal(r.envelope, null);
        }
        // The rows are found under the fresh reference only (SQLite: its subject tag was rewritten too).
        assert.deepEqual(
          (await store.reader.listRecordsBySubject(fresh, { limit: 10 })).map((r) => `${r.id}@${r.version}`),
          ['rec_a@2', 'rec_b@1'],
        );
        assert.deepEqual(await store.reader.getRecord('rec_c'), record('rec_c', 1, { subjectRef: 'ref-b' }));
        // Each erasure draws its own reference: two shredded subjects do not share one.
        await store.write((tx) => tx.eraseSubjectRecords('ref-b'));
        const other = (await store.reader.getRecord('rec_c'))?.subjectRef;
        assert.ok(other !== undefined && other !== fresh && other !== 'ref-b');
      });
    });

    describe('subject keys', () => {
      it('inserts a key unless one exists and returns the stored row', async () => {
        const k1 = key('s1', 1);
        assert.deepEqual(await store.write((tx) => tx.insertSubjectKey(k1)), k1);
        const again = await store.write((tx) => tx.insertSubjectKey(key('s1', 2, { createdAt: 9 })));
        assert.deepEqual(again, k1);
        assert.equal(Object.getPrototypeOf(again.wrappedKey), Uint8Array.prototype);
        assert.deepEqual(await store.reader.getSubjectKey('s1'), k1);
        assert.equal(await store.reader.getSubjectKey('s2'), undefined);
      });

      it('lists, counts, rewraps and deletes keys', async () => {
        await store.write(async (tx) => {
          for (const k of [key('s3', 1), key('s1', 1), key('s2', 2), key('s4', 0), key('s5', 3)])
            await tx.insertSubjectKey(k);
        });
        assert.deepEqual(
          [...(await store.reader.countSubjectKeysByKek())],
          [
            [0, 1],
            [1, 2],
            [2, 1],
            [3, 1],
          ],
        );
        assert.deepEqual(
          (await store.reader.listSubjectKeysBelow(3, 10)).map((k) => k.subjectRef),
          ['s4', 's1', 's3', 's2'],
        );
        assert.deepEqual(
          (await store.reader.listSubjectKeysBelow(2, 2)).map((k) => k.subjectRef),
          ['s4', 's1'],
        );
        assert.deepEqual(await store.reader.listSubjectKeysBelow(0, 10), []);
        assert.equal((await store.reader.listSubjectKeysBelow(2 ** 40, 10)).length, 5);
        assert.deepEqual(await store.reader.listSubjectKeysBelow(1, 0), []);
        // Rewrap: kek version and wrapped key change, createdAt stays; unknown subjects are skipped.
        await store.write((tx) =>
          tx.updateSubjectKeys([
            key('s1', 3, { wrappedKey: h(1), createdAt: 0 }),
            key('s4', 3, { wrappedKey: h(4) }),
            key('s9', 3),
          ]),
        );
        assert.deepEqual(await store.reader.getSubjectKey('s1'), key('s1', 3, { wrappedKey: h(1), createdAt: 1001 }));
        assert.equal(await store.reader.getSubjectKey('s9'), undefined);
        assert.deepEqual(
          [...(await store.reader.countSubjectKeysByKek())],
          [
            [1, 1],
            [2, 1],
            [3, 3],
          ],
        );
        await store.write((tx) => tx.updateSubjectKeys([]));
        assert.equal(await store.write((tx) => tx.deleteSubjectKey('s1')), true);
        assert.equal(await store.write((tx) => tx.deleteSubjectKey('s1')), false);
        assert.equal(await store.reader.getSubjectKey('s1'), undefined);
        assert.deepEqual(
          [...(await store.reader.countSubjectKeysByKek())],
          [
            [1, 1],
            [2, 1],
            [3, 2],
          ],
        );
      });
    });

    describe('subject facts', () => {
      it('stores, reads back and replaces the facts of a subject', async () => {
        assert.equal(await store.reader.getSubjectFacts('s1'), undefined);
        await store.write(async (tx) => {
          await tx.putSubjectFacts(facts('s1'));
          assert.deepEqual(await tx.getSubjectFacts('s1'), facts('s1'), 'a transaction sees its own writes');
        });
        assert.deepEqual(await store.reader.getSubjectFacts('s1'), facts('s1'));
        // No guardians; guardians in code unit order (Array.prototype.sort), beyond ASCII.
        const sorted = ['𝄞', 'ä', 'a', 'B', 'ref-ü €'].sort();
        const many = Array.from({ length: 16 }, (_, i) => `g${String(i).padStart(2, '0')}`);
        const rows = [
          facts('s2', { minor: false, guardians: [], updatedAt: 0 }),
          facts('s3', { guardians: sorted, updatedAt: 2 ** 53 - 1 }),
          facts('s4', { guardians: many }),
        ];
        await store.write(async (tx) => {
          for (const r of rows) await tx.putSubjectFacts(r);
        });
        for (const r of rows) assert.deepEqual(await store.reader.getSubjectFacts(r.subjectRef), r);
        // Put again replaces every column, and only that subject's row.
        const next = facts('s1', { minor: false, guardians: ['g3'], updatedAt: 1_700_000_000_001 });
        await store.write((tx) => tx.putSubjectFacts(next));
        assert.deepEqual(await store.reader.getSubjectFacts('s1'), next);
        assert.deepEqual(await store.reader.getSubjectFacts('s2'), rows[0]);
        await store.write((tx) => tx.putSubjectFacts(facts('s1')));
        assert.deepEqual(await store.reader.getSubjectFacts('s1'), facts('s1'));
      });

      it('deletes the facts of a subject and returns whether they existed', async () => {
        await store.write(async (tx) => {
          await tx.putSubjectFacts(facts('s1'));
          await tx.putSubjectFacts(facts('s2'));
        });
        assert.equal(await store.write((tx) => tx.deleteSubjectFacts('s1')), true);
        assert.equal(await store.reader.getSubjectFacts('s1'), undefined);
        assert.equal(await store.write((tx) => tx.deleteSubjectFacts('s1')), false);
        assert.equal(await store.write((tx) => tx.deleteSubjectFacts('s-none')), false);
        assert.deepEqual(await store.reader.getSubjectFacts('s2'), facts('s2'));
        await store.write((tx) => tx.putSubjectFacts(facts('s1')));
        assert.deepEqual(await store.reader.getSubjectFacts('s1'), facts('s1'));
      });

      it('refuses malformed facts with TypeError or RangeError and keeps the stored ones', async () => {
        await store.write((tx) => tx.putSubjectFacts(facts('s1')));
        const cases: [SubjectFactsRow, typeof TypeError | typeof RangeError][] = [
          [facts('s1', { guardians: ['g2', 'g1'] }), RangeError],
          [facts('s1', { guardians: ['g1', 'g1'] }), RangeError],
          [facts('s1', { guardians: ['B', 'a', 'a'] }), RangeError],
          [
            facts('s1', { guardians: Array.from({ length: 17 }, (_, i) => `g${String(i).padStart(2, '0')}`) }),
            RangeError,
          ],
          [facts('s1', { guardians: ['s1'] }), RangeError],
          [facts('s1', { guardians: ['a', 's1', 'z'] }), RangeError],
          [facts('s1', { minor: 1 as unknown as boolean }), TypeError],
          [facts('s1', { minor: 'true' as unknown as boolean }), TypeError],
          [facts('s1', { minor: undefined as unknown as boolean }), TypeError],
          [facts('s1', { guardians: 'g1' as unknown as string[] }), TypeError],
          [facts('s1', { guardians: [''] }), TypeError],
          [facts('s1', { guardians: [42 as unknown as string] }), TypeError],
          [facts('s1', { guardians: ['nul\u0000'] }), TypeError],
          [facts(''), TypeError],
          [facts('s1', { updatedAt: -1 }), RangeError],
          [facts('s1', { updatedAt: 1.5 }), RangeError],
          [facts('s1', { updatedAt: 2 ** 53 }), RangeError],
        ];
        for (const [bad, type] of cases) {
          await assert.rejects(
            store.write((tx) => tx.putSubjectFacts(bad)),
            type,
            JSON.stringify(bad),
          );
        }
        assert.deepEqual(await store.reader.getSubjectFacts('s1'), facts('s1'));
        // A refused put dooms its transaction even when the callback catches the error.
        await assert.rejects(
          store.write(async (tx) => {
            await tx.putSubjectFacts(facts('s2'));
            await tx.putSubjectFacts(facts('s3', { guardians: ['s3'] })).catch(() => undefined);
          }),
          RangeError,
        );
        assert.equal(await store.reader.getSubjectFacts('s2'), undefined);
        await assert.rejects(store.reader.getSubjectFacts(42 as unknown as string), TypeError);
        await assert.rejects(
          store.write((tx) => tx.deleteSubjectFacts(42 as unknown as string)),
          TypeError,
        );
      });

      it('keeps nothing of facts written in a transaction that throws', async () => {
        await store.write(async (tx) => {
          await tx.putSubjectFacts(facts('s1'));
          await tx.putSubjectFacts(facts('s3'));
        });
        const boom = new Error('boom');
        const seen = await store
          .write(async (tx) => {
            await tx.putSubjectFacts(facts('s1', { minor: false, guardians: [], updatedAt: 5 }));
            await tx.putSubjectFacts(facts('s2'));
            assert.equal(await tx.deleteSubjectFacts('s3'), true);
            assert.equal(await tx.getSubjectFacts('s3'), undefined);
            throw boom;
          })
          .catch((e: unknown) => e);
        assert.equal(seen, boom);
        assert.deepEqual(await store.reader.getSubjectFacts('s1'), facts('s1'));
        assert.equal(await store.reader.getSubjectFacts('s2'), undefined);
        assert.deepEqual(await store.reader.getSubjectFacts('s3'), facts('s3'));
      });

      it('reports stored facts written around the store as VERITY_E_STORE_CORRUPT', async () => {
        // Guardians text and updated_at of rows no store would write; SELF is the row's own subject.
        const cases: [string, number][] = [
          ['not json', 0],
          ['{"g1":true}', 0],
          ['"g1"', 0],
          ['["g2","g1"]', 0],
          ['["g1","g1"]', 0],
          ['["SELF"]', 0],
          ['[1]', 0],
          ['[""]', 0],
          [JSON.stringify(Array.from({ length: 17 }, (_, i) => `g${String(i).padStart(2, '0')}`)), 0],
          ['["g1"]', -1],
        ];
        const literal = (v: string): string => `'${v.replaceAll("'", "''")}'`;
        await t.exec(
          cases
            .map(
              ([g, at], i) =>
                `INSERT INTO subject_facts (subject_ref, minor, guardians, updated_at)
                 VALUES ('x${i}', '1', ${literal(g.replace('SELF', `x${i}`))}, ${at});`,
            )
            .join('\n'),
        );
        for (const [i, [g, at]] of cases.entries())
          await assert.rejects(store.reader.getSubjectFacts(`x${i}`), code('VERITY_E_STORE_CORRUPT'), `${g} ${at}`);
        // The same rows, well-formed, read back.
        await t.exec(
          `INSERT INTO subject_facts (subject_ref, minor, guardians, updated_at) VALUES ('ok', '0', '["g1"]', 7)`,
        );
        assert.deepEqual(
          await store.reader.getSubjectFacts('ok'),
          facts('ok', { minor: false, guardians: ['g1'], updatedAt: 7 }),
        );
      });
    });

    describe('schemas', () => {
      it('stores, replaces and lists schemas by type', async () => {
        assert.equal(await store.reader.getSchema('b'), undefined);
        assert.deepEqual(await store.reader.listSchemas(), []);
        await store.write((tx) => tx.putSchema({ type: 'b', schema: '{"type":"object"}', createdAt: 1 }));
        await store.write((tx) => tx.putSchema({ type: 'a', schema: '{}', createdAt: 2 }));
        await store.write((tx) => tx.putSchema({ type: 'B', schema: '{}', createdAt: 3 }));
        await store.write((tx) => tx.putSchema({ type: 'b', schema: '{"type":"string"}', createdAt: 4 }));
        assert.deepEqual(
          (await store.reader.listSchemas()).map((s) => s.type),
          ['B', 'a', 'b'],
        );
        assert.deepEqual(await store.reader.getSchema('b'), { type: 'b', schema: '{"type":"string"}', createdAt: 4 });
      });
    });

    describe('tokens', () => {
      it('stores tokens by id, refuses a duplicate, revokes once', async () => {
        const t = {
          id: 'tok_a',
          secretHash: new Uint8Array(32).fill(5),
          principal: 'world-eu',
          role: 'service',
          scopes: '{"recordTypes":["position"]}',
          createdAt: 10,
          expiresAt: 1000,
          revokedAt: null,
        };
        assert.equal(await store.reader.getToken('tok_a'), undefined);
        await store.write((tx) => tx.insertToken(t));
        await store.write((tx) => tx.insertToken({ ...t, id: 'tok_b', createdAt: 20 }));
        assert.deepEqual(await store.reader.getToken('tok_a'), t);
        await assert.rejects(
          store.write((tx) => tx.insertToken(t)),
          (e) => isVerityError(e, 'VERITY_E_STORE_CONFLICT'),
        );
        assert.deepEqual(
          (await store.reader.listTokens()).map((x) => x.id),
          ['tok_b', 'tok_a'],
        );
        assert.equal(await store.write((tx) => tx.revokeToken('tok_a', 50)), true);
        assert.equal(await store.write((tx) => tx.revokeToken('tok_a', 60)), true);
        assert.equal((await store.reader.getToken('tok_a'))?.revokedAt, 50);
        assert.equal(await store.write((tx) => tx.revokeToken('tok_nope', 60)), false);
      });
    });

    describe('sessions', () =>
      sessionConformance(
        () => store,
        () => t.exec,
      ));

    describe('objects', () => objectConformance(() => store));

    describe('transactions', () => {
      it('resolve with the callback value once committed; readers see only committed data', async () => {
        let release: () => void = () => undefined;
        const gate = new Promise<void>((r) => {
          release = r;
        });
        let inside: (() => void) | undefined;
        const reached = new Promise<void>((r) => {
          inside = r;
        });
        const w = store.write(async (tx) => {
          await tx.setMeta('pending', 'yes');
          await tx.insertLogEntries(0, entries(0, 1));
          inside?.();
          await gate;
          return 42;
        });
        await reached;
        assert.equal(await store.reader.getMeta('pending'), undefined);
        await assert.rejects(store.reader.getLogEntries(0, 1), code('VERITY_E_LOG_RANGE'));
        release();
        assert.equal(await w, 42);
        assert.equal(await store.reader.getMeta('pending'), 'yes');
        assert.deepEqual(await store.reader.getLogEntries(0, 1), entries(0, 1));
      });

      it('keep nothing of a callback that throws, and rethrow its error as is', async () => {
        await store.write(async (tx) => {
          await tx.insertSubjectKey(key('s1', 1));
          await tx.putLogHead(head(1));
          await tx.putTiles([tile(0, 0, 1)]);
        });
        const boom = new Error('boom');
        const seen = await store
          .write(async (tx) => {
            await tx.setMeta('rollback', 'x');
            await tx.putLogHead(head(2));
            await tx.insertLogEntries(0, entries(0, 2));
            await tx.putTiles([tile(0, 0, 2), tile(1, 0, 1)]);
            await tx.insertRecords([record('rec_rollback', 1)]);
            await tx.insertSubjectKey(key('s2', 1));
            await tx.updateSubjectKeys([key('s1', 5)]);
            assert.equal(await tx.deleteSubjectKey('s1'), true);
            await tx.putSchema({ type: 't', schema: '{}', createdAt: 1 });
            throw boom;
          })
          .catch((e: unknown) => e);
        assert.equal(seen, boom);
        assert.equal(await store.reader.getMeta('rollback'), undefined);
        assert.deepEqual(await store.reader.getLogHead(), head(1));
        await assert.rejects(store.reader.getLogEntries(0, 1), code('VERITY_E_LOG_RANGE'));
        assert.deepEqual(await store.reader.getTile(0, 0), tile(0, 0, 1));
        assert.equal(await store.reader.getTile(1, 0), undefined);
        assert.equal(await store.reader.getRecord('rec_rollback'), undefined);
        assert.deepEqual(await store.reader.getSubjectKey('s1'), key('s1', 1));
        assert.equal(await store.reader.getSubjectKey('s2'), undefined);
        assert.equal(await store.reader.getSchema('t'), undefined);
      });

      it('roll back when a statement failed, even if the callback caught the error', async () => {
        await store.write((tx) => tx.insertRecords([record('rec_a', 1)]));
        let caught: unknown;
        const seen = await store
          .write(async (tx) => {
            await tx.setMeta('before', 'x');
            try {
              await tx.insertRecords([record('rec_a', 1)]);
            } catch (e) {
              caught = e;
            }
            // The transaction is doomed: further calls report the same failure.
            await assert.rejects(tx.setMeta('after', 'y'), (e) => e === caught);
            return 'ignored';
          })
          .catch((e: unknown) => e);
        assert.ok(isVerityError(caught, 'VERITY_E_STORE_CONFLICT'));
        assert.equal(seen, caught);
        assert.equal(await store.reader.getMeta('before'), undefined);
        assert.equal(await store.reader.getMeta('after'), undefined);
      });

      it('deferred: see their own writes, and report a failed write through write() with nothing kept', async () => {
        const deferred = { deferred: true } as const;
        await store.write((tx) => tx.insertRecords([record('rec_a', 1)]));
        await store.write(async (tx) => {
          await tx.setMeta('k', 'v');
          await tx.insertRecords([record('rec_b', 1)]);
          await tx.insertRecords([record('rec_c', 1), record('rec_c', 2)]);
          assert.equal(await tx.getMeta('k'), 'v');
          assert.deepEqual(ids(await tx.listRecordVersions('rec_c')), ['rec_c@1', 'rec_c@2']);
          await tx.insertRecords([record('rec_d', 1)]);
        }, deferred);
        assert.deepEqual(await store.reader.getRecord('rec_d'), record('rec_d', 1));
        assert.deepEqual(await store.reader.getRecord('rec_b'), record('rec_b', 1));
        await store.write((tx) => tx.putTiles([tile(0, 0, 5)]), deferred);
        const failing: [string, (tx: StoreWriter) => Promise<void>, (e: unknown) => boolean][] = [
          [
            'record conflict',
            (tx) => tx.insertRecords([record('rec_e', 1), record('rec_a', 1)]),
            code('VERITY_E_STORE_CONFLICT'),
          ],
          ['one-row conflict', (tx) => tx.insertRecords([record('rec_a', 1)]), code('VERITY_E_STORE_CONFLICT')],
          ['taken log index', (tx) => tx.insertLogEntries(0, entries(0, 1)), code('VERITY_E_STORE_CORRUPT')],
          ['shrinking tile', (tx) => tx.putTiles([tile(0, 0, 4)]), code('VERITY_E_STORE_CORRUPT')],
          ['shrinking tiles', (tx) => tx.putTiles([tile(0, 9, 1), tile(0, 0, 3)]), code('VERITY_E_STORE_CORRUPT')],
        ];
        await store.write((tx) => tx.insertLogEntries(0, entries(0, 1)));
        for (const [what, bad, expected] of failing) {
          await assert.rejects(
            store.write(async (tx) => {
              await tx.setMeta('before', what);
              await tx.insertRecords([record('rec_f', 1)]);
              await bad(tx);
              await tx.putLogHead(head(1));
            }, deferred),
            expected,
            what,
          );
          assert.equal(await store.reader.getMeta('before'), undefined, what);
          assert.equal(await store.reader.getRecord('rec_f'), undefined, what);
          assert.equal(await store.reader.getLogHead(), undefined, what);
        }
        assert.deepEqual(await store.reader.getTile(0, 0), tile(0, 0, 5));
        assert.equal(await store.reader.getTile(0, 9), undefined);
      });

      it('refuse a StoreWriter used after its transaction ended', async () => {
        let leaked: StoreWriter | undefined;
        await store.write(async (tx) => {
          leaked = tx;
        });
        await store.write(async () => {
          await assert.rejects((leaked as StoreWriter).setMeta('k', 'v'), TypeError);
          await assert.rejects((leaked as StoreWriter).getMeta('k'), TypeError);
        });
        assert.equal(await store.reader.getMeta('k'), undefined);
      });

      it('serialize concurrent writes of one process in call order (no lost update)', async () => {
        const started: number[] = [];
        await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.write(async (tx) => {
              started.push(i);
              const n = Number((await tx.getMeta('counter')) ?? '0');
              await new Promise((r) => setTimeout(r, 1));
              await tx.setMeta('counter', String(n + 1));
            }),
          ),
        );
        assert.equal(await store.reader.getMeta('counter'), '50');
        assert.deepEqual(
          started,
          Array.from({ length: 50 }, (_, i) => i),
        );
      });

      it('let a write callback read through store.reader while other writes queue', async () => {
        await store.write((tx) => tx.setMeta('k', 'v'));
        const results = await Promise.all(
          Array.from({ length: 20 }, () =>
            store.write(async (tx) => {
              await tx.setMeta('k', 'w');
              return store.reader.getMeta('k');
            }),
          ),
        );
        assert.equal(results[0], 'v');
        assert.equal(results[19], 'w');
      });

      it('serialize writes across processes: 3 processes x 30 increments on a fresh database', async () => {
        const x = await another();
        await Promise.all([1, 2, 3].map(() => runChild(x.child, 30)));
        assert.equal(await x.store.reader.getMeta('counter'), '90');
      });

      it('keep every acknowledged write of a killed process, and its lock dies with it', async () => {
        let acked = 0;
        await runChild(t.child, 1000, (line, kill) => {
          const m = /^ack (\d+)$/.exec(line);
          if (m !== null) acked = Number(m[1]);
          if (acked >= 10) kill();
        });
        const n = Number(await store.reader.getMeta('counter'));
        // Durable when acknowledged: every acked increment is there (one more may have committed
        // between its COMMIT and the kill).
        assert.ok(acked >= 10 && n >= acked, `counter ${n} after ${acked} acknowledged writes`);
        await store.write(async (tx) => tx.setMeta('counter', String(n + 1)));
        assert.equal(await store.reader.getMeta('counter'), String(n + 1));
      });

      it('wait for running writes on close, then refuse further use', async () => {
        let release: () => void = () => undefined;
        const gate = new Promise<void>((r) => {
          release = r;
        });
        const w = store.write(async (tx) => {
          await gate;
          await tx.setMeta('last', 'yes');
        });
        const closing = store.close();
        await assert.rejects(
          store.write(async () => undefined),
          code('VERITY_E_CLOSED'),
        );
        release();
        await w;
        await closing;
        await store.close();
        await assert.rejects(store.reader.getMeta('last'), code('VERITY_E_CLOSED'));
        await assert.rejects(store.migrate(), code('VERITY_E_CLOSED'));
      });
    });
  });
}
