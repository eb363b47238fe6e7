// The tamper suite: an attacker holding the database changes every column of every table, one at a
// time, deletes rows and adds copies. Each change must be caught at use or by the full check
// (`verity log verify`: verifyLogStorage), or be one that docs/architecture.md lists as carrying
// nothing to protect. Both databases.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_POLICIES } from '../src/access/index.ts';
import { encodeAuditEntry } from '../src/audit/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { verifyLogStorage } from '../src/log/index.ts';
import { POLICY_SET_KIND, PolicySets } from '../src/policies/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { newObject } from '../src/store/index.ts';
import { BACKENDS, makeCore, type TestCore } from './helpers/core.ts';

const ORIGIN = 'verity.test/log';
const A = { actor: 'service:world', purpose: 'service-provision' };

/** Columns that carry nothing a read or a decision uses (docs/architecture.md, "What the state map does not hold"). */
const UNPROTECTED = new Set(['log_head.updated_at', 'verity_migrations.applied_at']);

/** `WHERE a = ? AND b = ?` and its values, for a primary key. */
function where(key: Record<string, unknown>): [string, unknown[]] {
  return [
    Object.keys(key)
      .map((c) => `${c} = ?`)
      .join(' AND '),
    Object.values(key),
  ];
}

/** A changed value of the same type (bytes flipped, numbers moved, text extended). */
function changed(table: string, column: string, v: unknown): unknown {
  if (v instanceof Uint8Array) {
    const c = Uint8Array.from(v);
    c[c.length - 1] = (c[c.length - 1] as number) ^ 1;
    return c;
  }
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v))) {
    if (table === 'subject_facts' && column === 'minor') return Number(v) === 1 ? 0 : 1;
    return Number(v) + 7;
  }
  if (v === null) return 4_102_444_800_000;
  if (column === 'state') return v === 'archived' ? 'used' : 'archived';
  // A list gains an element (e.g. an attacker adds themselves as a guardian); an object text an extra space.
  if (typeof v === 'string' && v.startsWith('['))
    return JSON.stringify([...(JSON.parse(v) as string[]), 'z'.repeat(43)]);
  if (typeof v === 'string' && v.startsWith('{')) return `${v} `;
  return `${String(v)}x`;
}

async function caught(core: TestCore, use: () => Promise<unknown>): Promise<string> {
  const codes: string[] = [];
  try {
    await use();
  } catch (e) {
    if (isVerityError(e)) codes.push(`use:${e.code}`);
    else throw e;
  }
  try {
    await verifyLogStorage(core.store, core.log.verifier, ORIGIN);
  } catch (e) {
    if (isVerityError(e)) codes.push(`verify:${e.code}`);
    else throw e;
  }
  return codes.join(' ');
}

for (const backend of BACKENDS) {
  describe(`tamper suite on ${backend}`, () => {
    let core: TestCore;
    let rec: string;
    let old: string;
    let token: string;
    let session: string;
    const pk: Record<string, Record<string, unknown>> = {};

    before(async () => {
      core = await makeCore(backend);
      const w1 = await core.vault.put({ ...A, subject: 'p1', type: 'note', data: { n: 1 } });
      await core.vault.put({ ...A, id: w1.id, subject: 'p1', type: 'note', data: { n: 2 } });
      rec = w1.id;
      old = (await core.vault.put({ ...A, subject: 'p2', type: 'note', data: { n: 3 } })).id;
      await core.vault.put({
        ...A,
        subject: 'gone',
        type: 'note',
        data: { n: 4 },
        retainUntil: '2999-01-01T00:00:00Z',
      });
      await core.vault.shredSubject('gone', A);
      await core.vault.setGuardianship(
        'p2',
        { minor: true, guardians: ['p1'] },
        { kind: 'parental-consent', reference: 'form-17' },
        { ...A, purpose: 'guardianship' },
      );
      await core.vault.registerSchema('note', { type: 'object' }, A);
      const tokens = new Tokens(core.store, core.log);
      const t = await tokens.create({
        principal: 'world',
        role: 'service',
        recordTypes: ['note'],
        actor: 'operator:test',
      });
      token = t.info.id;
      const sessions = new Sessions({ keys: core.keys, store: core.store, log: core.log });
      const opened = await sessions.open(await tokens.authenticate(t.token), await core.vault.subjectRef('p1'), {
        actor: 'service:world',
        purpose: 'session',
      });
      session = opened.id;
      // A capability's state document (passkeys, issuers, credentials use the objects table).
      await core.log.submit(async (tx, batch) => {
        await tx.putObject({
          kind: 'test.doc',
          id: 'o1',
          owner: await core.vault.subjectRef('p1'),
          body: '{"counter":1}',
          version: 1,
          updatedAt: 1_700_000_000_000,
        });
        return batch.add(new TextEncoder().encode('{"test":"object"}'));
      });
      const ref = await core.vault.subjectRef('p1');
      const ref2 = await core.vault.subjectRef('p2');
      pk['records'] = { id: rec, version: 2 };
      pk['records@1'] = { id: rec, version: 1 };
      pk['subject_keys'] = { subject_ref: ref };
      pk['subject_facts'] = { subject_ref: ref2 };
      pk['schemas'] = { type: 'note' };
      pk['tokens'] = { id: token };
      pk['sessions'] = { id: session };
      pk['objects'] = { kind: 'test.doc', id: 'o1' };
      pk['meta'] = { key: 'subjects.epoch' };
      pk['log_head'] = { id: 1 };
      pk['log_entries'] = { idx: (await core.log.head()).size - 1 };
      pk['log_tiles'] = { level: 0, idx: 0 };
      pk['state_nodes'] = { pos: Uint8Array.of(0) };
      pk['verity_migrations'] = { name: '0001_init' };
      await verifyLogStorage(core.store, core.log.verifier, ORIGIN);
    });
    after(() => core.dispose());

    /** What would use each table's row. */
    const uses: Record<string, () => Promise<unknown>> = {
      records: () => core.vault.get(rec, A),
      'records@1': () => core.vault.get(rec, { ...A, version: 1 }),
      subject_keys: () => core.vault.get(rec, A),
      subject_facts: async () => core.vault.subjectFacts(await core.vault.subjectRef('p2')),
      schemas: () => core.vault.put({ ...A, subject: 'p3', type: 'note', data: { n: 5 } }),
      tokens: () => new Tokens(core.store, core.log).list(),
      sessions: () => new Sessions({ keys: core.keys, store: core.store, log: core.log }).get(session),
      objects: () => core.store.reader.getObject('test.doc', 'o1'),
      meta: () => core.store.reader.getMeta('subjects.epoch'),
      log_head: () => core.vault.put({ ...A, subject: 'p4', type: 'note', data: { n: 6 } }),
      log_entries: () => core.log.inclusionProof(0),
      log_tiles: () => core.log.inclusionProof(0),
      state_nodes: () => core.vault.get(old, A),
      verity_migrations: async () => {
        const s = await core.openStore();
        try {
          await s.migrate();
        } finally {
          await s.close();
        }
      },
    };

    it('catches a change of any column of any table, one at a time', async () => {
      const missed: string[] = [];
      for (const [name, key] of Object.entries(pk)) {
        const table = name.split('@')[0] as string;
        const [w, params] = where(key);
        const [row] = await core.sql(`SELECT * FROM t.${table} WHERE ${w}`, params);
        assert.ok(row !== undefined, `no ${name} row`);
        for (const [column, value] of Object.entries(row)) {
          if (UNPROTECTED.has(`${table}.${column}`)) continue;
          const to = changed(table, column, value);
          try {
            await core.sql(`UPDATE t.${table} SET ${column} = ? WHERE ${w}`, [to, ...params]);
          } catch (e) {
            // A CHECK or type constraint refused the change: the database protects that column.
            if (/constraint|check|invalid input|out of range/i.test(String(e))) continue;
            throw e;
          }
          const found = await caught(core, uses[name] as () => Promise<unknown>);
          // Put it back (where the column is part of the key, the row is now found by the new value).
          const [w2, params2] = where(column in key ? { ...key, [column]: to } : key);
          await core.sql(`UPDATE t.${table} SET ${column} = ? WHERE ${w2}`, [value, ...params2]);
          if (found === '') missed.push(`${table}.${column}`);
          await verifyLogStorage(core.store, core.log.verifier, ORIGIN).catch((e) => {
            throw new Error(`after ${table}.${column}: ${e}`);
          });
        }
        await verifyLogStorage(core.store, core.log.verifier, ORIGIN);
      }
      assert.deepEqual(missed, []);
    });

    it('catches a deleted row of any table, and a copy added under another key', async () => {
      const missed: string[] = [];
      for (const [name, key] of Object.entries(pk)) {
        const table = name.split('@')[0] as string;
        if (table === 'verity_migrations' || table === 'log_head') continue;
        const [w, params] = where(key);
        const [row] = await core.sql(`SELECT * FROM t.${table} WHERE ${w}`, params);
        const cols = Object.keys(row as object);
        const insert = (r: Record<string, unknown>) =>
          core.sql(
            `INSERT INTO t.${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
            cols.map((c) => r[c]),
          );
        await core.sql(`DELETE FROM t.${table} WHERE ${w}`, params);
        const deleted = await caught(core, uses[name] as () => Promise<unknown>);
        await insert(row as Record<string, unknown>);
        if (deleted === '') missed.push(`deleted ${name}`);
        // A copy under another primary key (where the table has one that is text).
        const copyKey = {
          sessions: 'id',
          objects: 'id',
          records: 'id',
          subject_keys: 'subject_ref',
          subject_facts: 'subject_ref',
          schemas: 'type',
          tokens: 'id',
          meta: 'key',
        }[table];
        if (copyKey !== undefined && name !== 'records@1') {
          const copy = {
            ...(row as Record<string, unknown>),
            [copyKey]: `${String((row as Record<string, unknown>)[copyKey])}y`,
          };
          await insert(copy);
          const added = await caught(core, async () => undefined);
          await core.sql(`DELETE FROM t.${table} WHERE ${copyKey} = ?`, [copy[copyKey]]);
          if (added === '') missed.push(`copied ${name}`);
        }
        await verifyLogStorage(core.store, core.log.verifier, ORIGIN);
      }
      assert.deepEqual(missed, []);
    });

    it('names a deleted row: a singleton by its name, another by the entry that last wrote it', async () => {
      await new PolicySets({ store: core.store, log: core.log }).install(DEFAULT_POLICIES, { actor: 'operator:test' });
      const { result: written } = await core.log.submit(async (tx, batch) => {
        const index = batch.add(
          encodeAuditEntry({
            actor: 'service:world',
            action: 'deid.domain',
            resource: 'pseudonym:named-by-entry',
            purpose: 'analytics',
            outcome: 'success',
            time: Date.now(),
          }),
        );
        await tx.putObject(
          newObject({ kind: 'deid.domain', id: 'pseudonym:named-by-entry', doc: { maker: 'x' }, updatedAt: 1 }),
        );
        return index;
      });
      const removed = await core.sql('SELECT * FROM t.objects WHERE kind IN (?, ?)', [POLICY_SET_KIND, 'deid.domain']);
      await core.sql('DELETE FROM t.objects WHERE kind IN (?, ?)', [POLICY_SET_KIND, 'deid.domain']);
      try {
        await assert.rejects(verifyLogStorage(core.store, core.log.verifier, ORIGIN), (e: unknown) => {
          const d = (isVerityError(e, 'VERITY_E_STATE_TAMPERED') ? e.details?.['differences'] : []) as {
            table: string;
            row: string;
            lastWritten?: { index: number; action: string };
          }[];
          assert.deepEqual(
            d.find((x) => x.table === 'objects'),
            { table: 'objects', row: 'access.policies/current', found: 'deleted' },
          );
          assert.deepEqual(d.find((x) => x.table === 'unknown')?.lastWritten, {
            index: written,
            action: 'deid.domain',
          });
          assert.match((e as Error).message, /objects `access.policies\/current` deleted/);
          assert.match((e as Error).message, new RegExp(`last written with log entry ${written}, deid.domain`));
          return true;
        });
      } finally {
        for (const r of removed)
          await core.sql(
            `INSERT INTO t.objects (${Object.keys(r).join(', ')}) VALUES (${Object.keys(r)
              .map(() => '?')
              .join(', ')})`,
            Object.values(r),
          );
      }
      await verifyLogStorage(core.store, core.log.verifier, ORIGIN);
    });

    // The indexes a listing, an erasure, a revocation or a retention sweep goes through are in the
    // file too; the map holds rows, not them. SQLite's own check names one rebuilt without a row
    // (D415). (PostgreSQL's indexes are not in a copy of its files an attacker edits this way.)
    if (backend === 'sqlite')
      it('names an index rebuilt without one of its rows', async () => {
        const file = String((await core.sql('PRAGMA database_list'))[0]?.['file']);
        const hideFrom = (index: string, where: string) => {
          let db = new DatabaseSync(file, { defensive: false });
          const sql = String(
            (db.prepare('SELECT sql FROM sqlite_schema WHERE name = ?').get(index) as { sql: string }).sql,
          );
          db.exec('PRAGMA writable_schema = ON');
          db.prepare('UPDATE sqlite_schema SET sql = ? WHERE name = ?').run(
            `${sql}${/ where /i.test(sql) ? ' AND ' : ' WHERE '}${where}`,
            index,
          );
          db.close();
          db = new DatabaseSync(file, { defensive: false });
          db.exec(`REINDEX ${index}`);
          db.exec('PRAGMA writable_schema = ON');
          db.prepare('UPDATE sqlite_schema SET sql = ? WHERE name = ?').run(sql, index);
          db.close();
        };
        const reindex = (index: string) => {
          const db = new DatabaseSync(file, { defensive: false });
          db.exec(`REINDEX ${index}`);
          db.close();
        };
        for (const [index, where] of [
          ['sessions_subject', `id <> '${session}'`],
          ['records_subject', `id <> '${rec}'`],
        ] as const) {
          hideFrom(index, where);
          await assert.rejects(
            verifyLogStorage(core.store, core.log.verifier, ORIGIN),
            (e) =>
              isVerityError(e, 'VERITY_E_STATE_TAMPERED') &&
              new RegExp(`${index}.*inconsistent`).test((e as Error).message),
          );
          reindex(index);
          await verifyLogStorage(core.store, core.log.verifier, ORIGIN);
        }
      });
  });
}
