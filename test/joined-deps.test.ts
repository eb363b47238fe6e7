// Packages joined into one module each (scripts/build-deps.ts, src/deps, D338): the same exports
// and the same behaviour as the published package, the same bytes when built again, loaded where
// they were built for the installed version and the package otherwise.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type * as K from 'kysely';
import { buildDeps } from '../scripts/build-deps.ts';
import { BaseError, hexToBytes } from '../src/chain/viem.ts';
import { installedVersion, JOINED, joinedModule, joinedStem, loadJoined } from '../src/deps/index.ts';
import { KYSELY_FROM } from '../src/store/kysely.ts';
import { tempDir } from './helpers/env.ts';

const ROOT = join(import.meta.dirname, '..');

/** A few statements of the store's kinds, compiled for both dialects. */
function compiled(k: typeof K): string[] {
  const out: string[] = [];
  for (const sqlite of [true, false]) {
    const db = new k.Kysely<{ records: { id: string; version: number; data: Uint8Array | null } }>({
      dialect: {
        createAdapter: () => (sqlite ? new k.SqliteAdapter() : new k.PostgresAdapter()),
        createDriver: () => new k.DummyDriver(),
        createIntrospector: (d) => (sqlite ? new k.SqliteIntrospector(d) : new k.PostgresIntrospector(d)),
        createQueryCompiler: () => (sqlite ? new k.SqliteQueryCompiler() : new k.PostgresQueryCompiler()),
      },
    });
    const queries = [
      db.selectFrom('records').select(['id', 'version']).where('id', '=', 'r1').orderBy('version', 'desc').limit(1),
      db
        .insertInto('records')
        .values({ id: 'r1', version: 2, data: null })
        .onConflict((c) => c.columns(['id', 'version']).doNothing()),
      db.updateTable('records').set({ data: null }).where('id', 'in', ['a', 'b']),
      db.deleteFrom('records').where('version', '<', 3).returning('id'),
    ];
    for (const q of queries) {
      const c = q.compile();
      out.push(`${c.sql} ${JSON.stringify(c.parameters)}`);
    }
    out.push(k.sql`select ${1} as one`.compile(db).sql);
  }
  return out;
}

describe('packages joined into one module', () => {
  it('each has every named export of its entry points, and is the same bytes when built again', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const files = await buildDeps(join(dir, 'deps'));
      assert.equal(files.length, Object.keys(JOINED).length);
      for (const [name, entries] of Object.entries(JOINED)) {
        const file = join(dir, 'deps', `${joinedStem(name)}-${installedVersion(ROOT, name)}.mjs`);
        assert.ok(files.includes(file), `${name} built as ${file}`);
        const joined = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
        const published = await Promise.all(entries.map((e) => import(e) as Promise<Record<string, unknown>>));
        const names = new Set(published.flatMap((p) => Object.keys(p)).filter((n) => n !== 'default'));
        assert.deepEqual(Object.keys(joined).sort(), [...names].sort(), name);
        for (const n of names) {
          const from = published.find((p) => n in p) as Record<string, unknown>;
          assert.equal(typeof joined[n], typeof from[n], `${name}: ${n}`);
        }
      }
      const k = (await import(
        pathToFileURL(join(dir, 'deps', `kysely-${installedVersion(ROOT, 'kysely')}.mjs`)).href
      )) as typeof K;
      assert.deepEqual(compiled(k), compiled((await import('kysely')) as typeof K));
      const first = files.map((f) => readFileSync(f));
      await buildDeps(join(dir, 'deps'));
      assert.deepEqual(
        files.map((f) => readFileSync(f)),
        first,
      );
    } finally {
      await cleanup();
    }
  });

  it('is used only where it was built for the installed version', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      assert.equal(joinedModule(dir, 'kysely'), undefined, 'not installed');
      mkdirSync(join(dir, 'node_modules', 'kysely'), { recursive: true });
      mkdirSync(join(dir, 'dist', 'deps'), { recursive: true });
      const pkg = (version: unknown) =>
        writeFileSync(join(dir, 'node_modules', 'kysely', 'package.json'), JSON.stringify({ version }));
      pkg('1.2.3');
      assert.equal(joinedModule(dir, 'kysely'), undefined, 'not built');
      writeFileSync(join(dir, 'dist', 'deps', 'kysely-1.2.2.mjs'), 'export {};');
      assert.equal(joinedModule(dir, 'kysely'), undefined, 'built for another version');
      writeFileSync(join(dir, 'dist', 'deps', 'kysely-1.2.3.mjs'), 'export {};');
      assert.equal(joinedModule(dir, 'kysely'), join(dir, 'dist', 'deps', 'kysely-1.2.3.mjs'));
      pkg('../../../x');
      assert.equal(joinedModule(dir, 'kysely'), undefined, 'a version that is no file name');
      pkg(7);
      assert.equal(joinedModule(dir, 'kysely'), undefined);
    } finally {
      await cleanup();
    }
  });

  it('where none was built, loads the entry points as published, their exports in one object', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const viem = await loadJoined<Record<string, unknown>>('viem', dir);
      assert.equal(viem.from, 'package');
      for (const n of ['hexToBytes', 'mnemonicToAccount', 'parseSiweMessage', 'BaseError'])
        assert.equal(typeof viem.module[n], 'function', n);
      const joined = await loadJoined<Record<string, unknown>>('viem', ROOT);
      if (joined.from === 'joined') assert.notEqual(joined.module['BaseError'], viem.module['BaseError']);
      await assert.rejects(loadJoined('left-pad'), /left-pad is not a joined package/);
    } finally {
      await cleanup();
    }
  });

  it('are the ones `npm test` and `npm start` build first', () => {
    const ensure = readFileSync(join(ROOT, 'scripts', 'ensure-deps.mjs'), 'utf8');
    const m = /const joined = \[([^\]]*)\];/.exec(ensure);
    assert.ok(m !== null, 'scripts/ensure-deps.mjs lists the joined packages');
    assert.deepEqual(
      (m[1] as string).split(',').map((s) => s.trim().replace(/^'|'$/g, '')),
      Object.keys(JOINED),
    );
  });

  it('is what Verity loads in a checkout where `npm test` built them', () => {
    assert.equal(KYSELY_FROM, joinedModule(ROOT, 'kysely') === undefined ? 'package' : 'joined');
    // `npm test` builds them first (scripts/ensure-deps.mjs); CI runs `npm test`.
    if (process.env['npm_lifecycle_event'] === 'test') {
      assert.equal(KYSELY_FROM, 'joined');
      for (const name of Object.keys(JOINED)) assert.notEqual(joinedModule(ROOT, name), undefined, name);
    }
  });

  it("viem's errors are of the class the chain checks for", () => {
    assert.throws(
      () => hexToBytes('0x123456', { size: 1 }),
      (e) => e instanceof BaseError && e.name === 'SizeOverflowError',
    );
  });
});
