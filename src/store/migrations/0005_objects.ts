// Layout version 5: the state documents of capabilities that need no table of their own (passkeys,
// identity issuers, credentials and status lists, DID keys, ...), each bound to the state map.
import { sql } from '../kysely.ts';
import type { Migration } from './context.ts';

export const objects: Migration = {
  name: '0005_objects',
  async up({ db, run, types: t }) {
    // One row per object: kind and id (the key), its owner ('' for none), the JSON document, its
    // version (1, 2, ...: replacements compare and set it) and the time of the last write.
    await run(
      db.schema
        .createTable('objects')
        .addColumn('kind', 'text', (c) => t.key(c).notNull())
        .addColumn('id', 'text', (c) => t.key(c).notNull())
        .addColumn('owner', 'text', (c) => t.key(c).notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('version', t.int64, (c) => c.notNull().check(sql`version >= 1`))
        .addColumn('updated_at', t.int64, (c) => c.notNull())
        .addPrimaryKeyConstraint('objects_pk', ['kind', 'id'])
        .$call(t.table),
    );
    // The objects of one owner (a player's passkeys, a platform's issuers), by id.
    await run(db.schema.createIndex('objects_owner').on('objects').columns(['kind', 'owner', 'id']));
  },
};
