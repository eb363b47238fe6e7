import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../../test/helpers/env.ts';
import { writeFileAtomic } from './index.ts';

describe('writeFileAtomic', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  after(() => cleanup());

  it('writes a new file owner-only, replaces it whole, and leaves no temporary file', async () => {
    const file = join(dir, 'a.json');
    await writeFileAtomic(file, '{"v":1}\n');
    assert.equal(await readFile(file, 'utf8'), '{"v":1}\n');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    await writeFileAtomic(file, new Uint8Array([1, 2, 3]), { mode: 0o644 });
    assert.deepEqual(new Uint8Array(await readFile(file)), new Uint8Array([1, 2, 3]));
    assert.deepEqual(await readdir(dir), ['a.json']);
  });

  it('makes the folder when asked, with its mode', async () => {
    const file = join(dir, 'made', 'deeper', 'b.txt');
    await writeFileAtomic(file, 'x', { mkdirMode: 0o700 });
    assert.equal((await stat(join(dir, 'made', 'deeper'))).mode & 0o777, 0o700);
    assert.equal(await readFile(file, 'utf8'), 'x');
  });

  it('keeps the old file and removes the temporary one when the rename fails', async () => {
    const target = join(dir, 'c');
    // A folder where the file should go: the rename over it fails.
    await mkdir(target);
    await assert.rejects(writeFileAtomic(target, 'new'));
    assert.ok((await stat(target)).isDirectory());
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.startsWith('c.')),
      [],
    );
  });
});
