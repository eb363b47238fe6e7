import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { it } from 'node:test';
import { tempDir } from '../../test/helpers/env.ts';
import { openSqliteStore } from './index.ts';
import { storeConformanceSuite } from './store-suite.ts';

storeConformanceSuite('sqlite', async () => {
  const { dir, cleanup } = await tempDir();
  const path = join(dir, 'verity.db');
  return { store: await openSqliteStore(path), childArgs: ['sqlite', path], cleanup };
});

it('sqlite runs in WAL mode in an owner-only file', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = join(dir, 'v.db');
    const store = await openSqliteStore(path);
    await store.migrate();
    await store.close();
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const db = new DatabaseSync(path);
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    db.close();
  } finally {
    await cleanup();
  }
});
