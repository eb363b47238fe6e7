// Builds the Trust Center (src/web) into dist/web: one JavaScript and one CSS bundle named by their
// content hash under assets/, and index.html naming them. esbuild's output is deterministic, so the
// same sources give the same files; `npm start` and `npm test` run this first (scripts/ensure-deps.mjs),
// and the browser tests call `buildWeb` into a directory of their own.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..');

/** The page: no inline script or style, so the Content Security Policy can forbid both. */
function page(js: string, css: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Verity Trust Center</title>
<link rel="stylesheet" href="assets/${css}">
<script type="module" src="assets/${js}"></script>
</head>
<body>
<div id="app"><p class="boot">Loading the Trust Center…</p></div>
<noscript>The Trust Center checks proofs in your browser, which needs JavaScript.</noscript>
</body>
</html>
`;
}

/** Builds into `outdir` (emptied first); returns the asset names. */
export async function buildWeb(outdir = join(ROOT, 'dist', 'web')): Promise<{ js: string; css: string }> {
  const assets = join(outdir, 'assets');
  await rm(outdir, { recursive: true, force: true });
  await mkdir(assets, { recursive: true });
  const r = await build({
    entryPoints: [join(ROOT, 'src', 'web', 'index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    conditions: ['browser'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    entryNames: '[name]-[hash]',
    outdir: assets,
    metafile: true,
    logLevel: 'silent',
    tsconfig: join(ROOT, 'src', 'web', 'tsconfig.json'),
  });
  const out = Object.keys(r.metafile.outputs).map((p) => basename(p));
  const js = out.find((n) => n.endsWith('.js'));
  const css = out.find((n) => n.endsWith('.css'));
  if (js === undefined || css === undefined)
    throw new Error(`build-web: expected a .js and a .css, got ${out.join(', ')}`);
  await writeFile(join(outdir, 'index.html'), page(js, css));
  const listed = await readdir(assets);
  if (listed.length !== 2) throw new Error(`build-web: unexpected assets ${listed.join(', ')}`);
  return { js, css };
}

if (import.meta.main) {
  const t = performance.now();
  const r = await buildWeb();
  console.error(`verity: built the Trust Center (${r.js}, ${r.css}) in ${Math.round(performance.now() - t)} ms`);
}
