// Layout version 2: facts about a subject that authorization reads.
import { sql } from '../kysely.ts';
import type { Migration } from './context.ts';

export const subjectFacts: Migration = {
  name: '0002_subject_facts',
  async up({ db, run, types: t, dialect }) {
    // Whether the subject is a minor, and the subject refs of its guardians as a JSON array text,
    // sorted, at most 16 (TEXT like the other JSON columns: read back exactly as written).
    await run(
      db.schema
        .createTable('subject_facts')
        .addColumn('subject_ref', 'text', (c) => t.key(c).primaryKey())
        .addColumn('minor', t.bool, (c) =>
          dialect === 'sqlite' ? c.notNull().check(sql`minor in (0, 1)`) : c.notNull(),
        )
        .addColumn('guardians', 'text', (c) => c.notNull())
        .addColumn('updated_at', t.int64, (c) => c.notNull())
        .$call(t.table),
    );
  },
};
