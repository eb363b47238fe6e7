// A store of layout version 2, written by the Verity of that time (test/fixtures/store-layout-2),
// opened by today's code: upgraded in place to the numbered migrations (sessions added), records read back, log
// verified; a store migrated past what this code knows is refused. Needs PostgreSQL for its half.
import assert from 'node:assert/strict';
import { chmod, cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import pg from 'pg';
import { PG_URL, pgSchema, tempDir } from '../../test/helpers/env.ts';
import { isVerityError } from '../errors/index.ts';
import { verifyLogStorage } from '../log/index.ts';
import { openDataDir } from './index.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'store-layout-2');
const SECRET = { passphrase: 'layout 2 fixture passphrase' };
const ACCESS = { actor: 'operator:test', purpose: 'service-provision' } as const;

interface Expect {
  readonly first: string;
  readonly second: string;
}

/** Copies a fixture data directory (owner-only, as Verity made it). */
async function copyFixture(name: string, dir: string): Promise<string> {
  const data = join(dir, 'data');
  await cp(join(FIXTURES, name), data, { recursive: true });
  await chmod(join(data, 'keys.json'), 0o600);
  return data;
}

async function checkUpgraded(data: string, ids: Expect): Promise<void> {
  const v = await openDataDir(data, { secret: SECRET });
  try {
    assert.equal(await v.store.reader.getMeta('store.schema'), '5');
    const first = await v.vault.get(ids.first, ACCESS);
    assert.deepEqual(first.data, { pos: [7, 8, 9], world: 'eu-1' });
    assert.equal(first.meta.version, 2);
    assert.deepEqual((await v.vault.get(ids.first, { ...ACCESS, version: 1 })).data, { pos: [1, 2, 3], world: 'eu-1' });
    assert.deepEqual((await v.vault.get(ids.second, ACCESS)).data, { pos: [4, 5, 6], world: 'eu-1' });
    // subject_facts (added by layout 2) came through.
    assert.deepEqual(await v.vault.subjectFacts(await v.vault.subjectRef('player-2')), {
      minor: true,
      guardians: [await v.vault.subjectRef('player-1')],
    });
    // The sessions table (added by layout 3) is there.
    const session = {
      id: 'AAAAAAAAAAAAAAAA',
      subjectRef: await v.vault.subjectRef('player-1'),
      openerTokenId: 'tok_AAAAAAAAAAAA',
      opener: 'service:platform',
      createdAt: 1,
      expiresAt: 2,
      revokedAt: null,
    };
    await v.log.submit((tx) => tx.insertSession(session));
    assert.deepEqual(await v.store.reader.getSession(session.id), session);
    const report = await verifyLogStorage(v.store, v.log.verifier, v.config.origin);
    assert.ok(report.size >= 7, `log size ${report.size}`);
    // And it takes new writes.
    const put = await v.vault.put({ ...ACCESS, subject: 'player-3', type: 'avatar.state', data: { pos: [0, 0, 0] } });
    assert.deepEqual((await v.vault.get(put.id, ACCESS)).data, { pos: [0, 0, 0] });
    assert.ok((await verifyLogStorage(v.store, v.log.verifier, v.config.origin)).size > report.size);
  } finally {
    await v.close();
  }
}

const newer = (e: unknown) => isVerityError(e, 'VERITY_E_STORE_LAYOUT_NEWER') && /upgrade verity/.test(String(e));

describe('a store of layout version 2', () => {
  it('sqlite: is upgraded in place, reads back its records and verifies its log', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const data = await copyFixture('sqlite', dir);
      const file = join(data, 'verity.db');
      const peek = (sql: string) => {
        const db = new DatabaseSync(file);
        try {
          return db.prepare(sql).all();
        } finally {
          db.close();
        }
      };
      // It really is of the old layout: a version number, no migrations table.
      assert.deepEqual(peek("SELECT name FROM sqlite_schema WHERE name = 'verity_migrations'"), []);
      await checkUpgraded(data, { first: 'rec_-P7Rt6uDM6PREWdqWcCzNA', second: 'rec_-P7Rt7pXqfMk_Jg0-99GjI' });
      assert.deepEqual(
        peek('SELECT name FROM verity_migrations ORDER BY name').map((r) => r['name']),
        ['0001_init', '0002_subject_facts', '0003_sessions', '0004_state_map', '0005_objects'],
      );
      // A migration this code does not know: refused, and the store is left as it is.
      const db = new DatabaseSync(file);
      db.exec("INSERT INTO verity_migrations VALUES ('0005_from_a_newer_verity', 0)");
      db.close();
      await assert.rejects(openDataDir(data, { secret: SECRET }), newer);
    } finally {
      await cleanup();
    }
  });

  it('postgres: is upgraded in place, reads back its records and verifies its log', async () => {
    const { dir, cleanup } = await tempDir();
    const { schema, drop } = pgSchema();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const dump = await readFile(join(FIXTURES, 'postgres', 'dump.sql'), 'utf8');
      await c.query(dump.replaceAll('fx_layout2', schema));
      await c.query('SET search_path TO DEFAULT');
      const data = await copyFixture('postgres', dir);
      const config = JSON.parse(await readFile(join(data, 'verity.json'), 'utf8'));
      config.store = { kind: 'postgres', connectionString: PG_URL, schema };
      await writeFile(join(data, 'verity.json'), JSON.stringify(config));
      assert.equal((await c.query('SELECT to_regclass($1) AS t', [`${schema}.verity_migrations`])).rows[0].t, null);
      await checkUpgraded(data, { first: 'rec_-P7RtH468V_poojcB8cuB8', second: 'rec_-P7RtISVJoO7flSMg_tUs7' });
      assert.deepEqual(
        (await c.query(`SELECT name FROM ${schema}.verity_migrations ORDER BY name`)).rows.map((r) => r.name),
        ['0001_init', '0002_subject_facts', '0003_sessions', '0004_state_map', '0005_objects'],
      );
      await c.query(`INSERT INTO ${schema}.verity_migrations VALUES ('0005_from_a_newer_verity', 0)`);
      await assert.rejects(openDataDir(data, { secret: SECRET }), newer);
    } finally {
      await c.end();
      await drop();
      await cleanup();
    }
  });
});
