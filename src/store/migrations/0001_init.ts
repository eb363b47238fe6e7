// The initial layout (layout version 1 of Verity 0.1). CHECKs restate the invariants of types.ts
// so that a row written around the store cannot break them either.
import { sql } from '../kysely.ts';
import type { Migration } from './context.ts';

export const init: Migration = {
  name: '0001_init',
  async up({ db, run, types: t, dialect, table }) {
    const pg = dialect === 'postgres';
    // Small named values: the layout version, counters such as subjects.epoch.
    await run(
      db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => t.key(c).primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .$call(t.table),
    );
    // The head of the transparency log: one row, replaced in the transaction of every append.
    await run(
      db.schema
        .createTable('log_head')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('size', t.int64, (c) => c.notNull().check(sql`size >= 0`))
        .addColumn('root_hash', t.bytes, (c) => c.notNull().check(sql`length(root_hash) = 32`))
        .addColumn('frontier', t.bytes, (c) => c.notNull().check(sql`length(frontier) % 32 = 0`))
        .addColumn('checkpoint', 'text', (c) => c.notNull())
        .addColumn('updated_at', t.int64, (c) => c.notNull())
        .$call(t.table),
    );
    // Log entries by index. In SQLite an INTEGER PRIMARY KEY is the rowid: appends land on the
    // b-tree's right edge.
    await run(
      db.schema
        .createTable('log_entries')
        .addColumn('idx', t.int64, (c) => c.primaryKey().check(sql`idx >= 0`))
        .addColumn('data', t.bytes, (c) => c.notNull())
        .$call(t.table),
    );
    // C2SP tlog tiles: hashes of nodes [256*idx, 256*idx + width) at tree height 8*level.
    await run(
      db.schema
        .createTable('log_tiles')
        .addColumn('level', 'integer', (c) => c.notNull().check(sql`level >= 0`))
        .addColumn('idx', t.int64, (c) => c.notNull().check(sql`idx >= 0`))
        .addColumn('width', 'integer', (c) => c.notNull().check(sql`width between 1 and 256`))
        .addColumn('hashes', t.bytes, (c) => c.notNull().check(sql`length(hashes) = width * 32`))
        .addPrimaryKeyConstraint('log_tiles_pkey', ['level', 'idx'])
        .$call(t.table),
    );
    // Versions of sealed records. The envelope is ciphertext (NULL once erased); subject_ref a keyed
    // pseudonym; retain_until NULL means no retention deadline.
    await run(
      db.schema
        .createTable('records')
        .addColumn('id', 'text', (c) => t.key(c).notNull())
        .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
        .addColumn('subject_ref', 'text', (c) => t.key(c).notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) =>
          c.notNull().check(sql`state in ('created', 'captured', 'stored', 'shared', 'used', 'archived', 'erased')`),
        )
        .addColumn('meta', 'text', (c) => c.notNull())
        .addColumn('envelope', t.bytes)
        .addColumn('created_at', t.int64, (c) => c.notNull())
        .addColumn('retain_until', t.int64)
        .addColumn('log_index', t.int64, (c) => c.notNull().check(sql`log_index >= 0`))
        // SQLite: 48 bits of subject_ref (an HMAC, so uniform) as the key of the subject index:
        // every write inserts into that index at a random place, and a small integer key keeps it a
        // fraction of the size of an index on the text (measured: 15-20% of sealed-write throughput).
        .$call((q) => (pg ? q : q.addColumn('subject_tag', 'integer', (c) => c.notNull())))
        .addPrimaryKeyConstraint('records_pkey', ['id', 'version'])
        .$call(t.table),
    );
    // A subject's records (listRecordsBySubject, eraseSubjectRecords): by tag in SQLite, by
    // subject and id in PostgreSQL.
    await run(
      db.schema
        .createIndex('records_subject')
        .on('records')
        .columns(pg ? ['subject_ref', 'id'] : ['subject_tag']),
    );
    // Retention sweeps only look at rows that can still expire.
    await run(
      db.schema
        .createIndex('records_retention')
        .on('records')
        .columns(['retain_until', 'id'])
        .where(sql.ref('retain_until'), 'is not', null)
        .where(sql.ref('state'), '<>', sql.lit('erased')),
    );
    // One wrapped data key per subject; deleting the row shreds the subject's records.
    await run(
      db.schema
        .createTable('subject_keys')
        .addColumn('subject_ref', 'text', (c) => t.key(c).primaryKey())
        .addColumn('kek_version', 'integer', (c) => c.notNull().check(sql`kek_version >= 0`))
        .addColumn('wrapped_key', t.bytes, (c) => c.notNull())
        .addColumn('created_at', t.int64, (c) => c.notNull())
        .$call(t.table),
    );
    // KEK rotation walks the keys below a version in this order.
    await run(db.schema.createIndex('subject_keys_kek').on('subject_keys').columns(['kek_version', 'subject_ref']));
    // API tokens: the secret is never stored, only its SHA-256.
    await run(
      db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => t.key(c).primaryKey())
        .addColumn('secret_hash', t.bytes, (c) => c.notNull().check(sql`length(secret_hash) = 32`))
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', t.int64, (c) => c.notNull())
        .addColumn('expires_at', t.int64, (c) => c.notNull())
        .addColumn('revoked_at', t.int64)
        .$call(t.table),
    );
    // Registered JSON Schemas by record type.
    await run(
      db.schema
        .createTable('schemas')
        .addColumn('type', 'text', (c) => t.key(c).primaryKey())
        .addColumn('schema', 'text', (c) => c.notNull())
        .addColumn('created_at', t.int64, (c) => c.notNull())
        .$call(t.table),
    );
    if (pg) {
      // Hashes and ciphertext do not compress: store large values out of line without trying.
      await run(sql`alter table ${table('log_tiles')} alter column hashes set storage external`);
      await run(sql`alter table ${table('records')} alter column envelope set storage external`);
    }
  },
};
