import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

/** The code one entry point can load: its own files and those of the packages it imports. */
export interface CodeSize {
  /** Verity's own files (relative to the repository) and their lines. */
  readonly own: ReadonlyMap<string, number>;
  /** Dependency files (relative to node_modules) and their lines. */
  readonly dependencies: ReadonlyMap<string, number>;
  readonly ownLines: number;
  readonly dependencyLines: number;
}

const IMPORT_RE =
  /(?:^|[\s;}])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|createRequire\([^)]*\)\(\s*['"]([^'"]+)['"]\s*\)/g;

function lines(text: string): number {
  let n = 0;
  for (const l of text.split('\n')) if (l.trim() !== '') n++;
  return n;
}

/**
 * Walks the static imports from `entry` (a .ts file) and counts non-blank lines, Node's built-ins
 * left out. A static walk counts every module an import names, used or not, so it over-counts
 * what runs: a safe bound for a size budget. Type-only imports are skipped (they are erased), and
 * so are imports named on comment lines (a library's usage examples).
 * Hand-written: bundlers answer "what gets bundled", not "how many lines of whose code".
 */
export function measureImports(entry: string, root: string): CodeSize {
  const own = new Map<string, number>();
  const deps = new Map<string, number>();
  const seen = new Set<string>();
  const stack = [resolve(entry)];
  while (stack.length > 0) {
    const file = stack.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const rel = relative(root, file);
    const inModules = rel.includes('node_modules');
    if (inModules) deps.set(rel.slice(rel.lastIndexOf('node_modules') + 'node_modules/'.length), lines(text));
    else own.set(rel, lines(text));
    const require = createRequire(file);
    // Lines that open with `*` are inside block comments (JSDoc examples name imports they do not make).
    for (const m of text.replace(/^\s*\*.*$/gm, '').matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5];
      if (spec === undefined || spec.startsWith('node:')) continue;
      if (/^\s*(?:import|export)\s+type\s/.test(m[0].trimStart().replace(/^[;}]/, ''))) continue;
      if (spec.startsWith('.')) {
        stack.push(resolve(dirname(file), spec));
        continue;
      }
      let target: string;
      try {
        target = require.resolve(spec);
      } catch {
        continue; // a Node built-in without the prefix, or an optional import that is absent
      }
      if (target.startsWith('/') || target.includes(':')) stack.push(target);
    }
  }
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return { own, dependencies: deps, ownLines: sum(own), dependencyLines: sum(deps) };
}

/** The key process's budget, written in the repository (src/keyproc/size-budget.json). */
export function keyProcessBudget(): { ownLines: number; dependencyLines: number } {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'size-budget.json'), 'utf8')) as {
    ownLines: number;
    dependencyLines: number;
  };
}

/** The key process's code as loaded from its entry (child.ts). */
export function measureKeyProcess(): CodeSize {
  return measureImports(join(import.meta.dirname, 'child.ts'), join(import.meta.dirname, '..', '..'));
}
