// Joins each package of src/deps's JOINED (hundreds of published ES modules each) into one module,
// dist/deps/NAME-VERSION.mjs, which Verity loads in place of the package: Node.js then resolves and
// links one module instead of hundreds at every start of a process (D338). The same code, bundled
// by esbuild without minifying (a package's own dependencies go in with it); esbuild's output is
// deterministic, so the same installed version gives the same file. `npm start` and `npm test` run
// this first where a joined module is missing (scripts/ensure-deps.mjs); a release signed
// afterwards covers the files with the rest of dist/.
//
//   sh scripts/node.sh scripts/build-deps.ts
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { installedVersion, JOINED, joinedStem } from '../src/deps/index.ts';

const ROOT = join(import.meta.dirname, '..');

/** Builds the joined module of each package into `outdir` (those of other versions removed); returns their paths. */
export async function buildDeps(outdir = join(ROOT, 'dist', 'deps')): Promise<string[]> {
  await mkdir(outdir, { recursive: true });
  const built: string[] = [];
  for (const [name, entries] of Object.entries(JOINED)) {
    const version = installedVersion(ROOT, name);
    if (version === undefined) throw new Error(`build-deps: ${name} is not installed; run npm ci`);
    const stem = joinedStem(name);
    const file = `${stem}-${version}.mjs`;
    for (const f of await readdir(outdir))
      if (f !== file && f.startsWith(`${stem}-`) && /^\d/.test(f.slice(stem.length + 1))) await rm(join(outdir, f));
    const r = await build({
      // One module re-exporting every entry point the package's users import (viem, viem/accounts, viem/siwe).
      stdin: { contents: entries.map((e) => `export * from ${JSON.stringify(e)};`).join('\n'), resolveDir: ROOT },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      outfile: join(outdir, file),
      write: false,
      logLevel: 'silent',
    });
    const out = r.outputFiles[0];
    if (r.outputFiles.length !== 1 || out === undefined)
      throw new Error(`build-deps: ${name} gave ${r.outputFiles.length} files`);
    // Written beside it and renamed into place: a process starting meanwhile (another `npm start`)
    // sees the whole file or none.
    const tmp = join(outdir, `.${file}.${process.pid}.tmp`);
    await writeFile(tmp, out.contents);
    await rename(tmp, join(outdir, file));
    built.push(join(outdir, file));
  }
  return built;
}

if (import.meta.main)
  console.error(`verity: joined ${(await buildDeps()).map((f) => `dist/deps/${basename(f)}`).join(', ')}`);
