import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** PostgreSQL for integration tests (CI starts it; a test that cannot reach it fails). */
export const PG_URL = process.env['VERITY_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Small scrypt cost for tests only: the key file format is the same, just cheaper to open. */
export const TEST_KDF = Object.freeze({ N: 1024, r: 8, p: 1 });

export const TEST_SECRET = Object.freeze({ passphrase: 'correct horse battery staple' });

/** A fresh temporary directory, removed by the returned cleanup. */
export async function tempDir(prefix = 'verity-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A fresh PostgreSQL schema name and a cleanup that drops it. */
export function pgSchema(): { schema: string; drop: () => Promise<void> } {
  const schema = `vt_${randomBytes(6).toString('hex')}`;
  return {
    schema,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/** The pinned runtime and the flags Verity runs with, for child processes. */
export const NODE = process.execPath;
export const NODE_FLAGS = ['--disable-warning=ExperimentalWarning'];
