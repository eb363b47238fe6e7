// Layout version 3: player sessions, so that every request made with one can be checked against
// its row (revoked, expired, opener's token revoked) and sessions can be revoked before they expire.
import { sql } from '../kysely.ts';
import type { Migration } from './context.ts';

export const sessions: Migration = {
  name: '0003_sessions',
  async up({ db, run, types: t }) {
    // One row per session: its id (the session token's `jti`), the player by subject ref, the token
    // that opened it and that token's principal (`service:NAME`), when it was opened, when it
    // expires, and when it was revoked (NULL while it was not).
    await run(
      db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => t.key(c).primaryKey())
        .addColumn('subject_ref', 'text', (c) => t.key(c).notNull())
        .addColumn('opener_token', 'text', (c) => t.key(c).notNull())
        .addColumn('opener', 'text', (c) => c.notNull())
        .addColumn('created_at', t.int64, (c) => c.notNull())
        .addColumn('expires_at', t.int64, (c) => c.notNull().check(sql`expires_at > created_at`))
        .addColumn('revoked_at', t.int64)
        .$call(t.table),
    );
    // Revocation per player and per opener, and the lists behind them.
    await run(db.schema.createIndex('sessions_subject').on('sessions').columns(['subject_ref', 'id']));
    await run(db.schema.createIndex('sessions_opener').on('sessions').columns(['opener_token', 'id']));
  },
};
