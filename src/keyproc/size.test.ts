import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../../test/helpers/env.ts';
import { keyProcessBudget, measureImports, measureKeyProcess } from './size.ts';

describe('key process size', () => {
  it('stays within the budget written in the repository, and loads none of the HTTP side', () => {
    const size = measureKeyProcess();
    const budget = keyProcessBudget();
    assert.ok(
      size.ownLines <= budget.ownLines,
      `the key process loads ${size.ownLines} lines of Verity's code; the budget is ${budget.ownLines}`,
    );
    assert.ok(
      size.dependencyLines <= budget.dependencyLines,
      `the key process loads ${size.dependencyLines} lines of dependencies; the budget is ${budget.dependencyLines}`,
    );
    assert.ok(size.own.has(join('src', 'keys', 'software.ts')));
    for (const file of size.own.keys())
      assert.ok(
        !/^src\/(server|vault|store|log|access|sdk|web|embedded|verity)\//.test(file),
        `the key process loads ${file}`,
      );
  });

  describe('the import walk', () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ dir, cleanup } = await tempDir());
      writeFileSync(
        join(dir, 'a.ts'),
        "import { b } from './b.ts';\nimport type { T } from './t.ts';\nimport 'node:fs';\n\nexport const a = b;\n",
      );
      writeFileSync(
        join(dir, 'b.ts'),
        "export { c } from './c.ts';\nexport const b = createRequire(import.meta.url)('./d.cjs');\n/**\n * import { e } from './e.ts';\n */\n",
      );
      writeFileSync(join(dir, 'c.ts'), 'export const c = 2;\n// a comment line counts\n');
      // A module loaded on demand through createRequire counts too (the PKCS#11 addon's wrapper is).
      writeFileSync(join(dir, 'd.cjs'), 'module.exports = 1;\n\nexports.x = 2;\n');
      writeFileSync(join(dir, 't.ts'), 'export type T = number;\n'.repeat(50));
      // Named only in a comment's usage example: never loaded.
      writeFileSync(join(dir, 'e.ts'), 'export const e = 1;\n');
    });
    after(() => cleanup());

    it('counts the files an entry imports, re-exports included, type-only imports, built-ins and imports in comments left out', () => {
      const s = measureImports(join(dir, 'a.ts'), dir);
      assert.deepEqual([...s.own].sort(), [
        ['a.ts', 4],
        ['b.ts', 5],
        ['c.ts', 2],
        ['d.cjs', 2],
      ]);
      assert.equal(s.ownLines, 13);
      assert.equal(s.dependencyLines, 0);
    });
  });
});
