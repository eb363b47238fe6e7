// Builds the @verity/sdk package (packages/sdk) from src/sdk: an ESM build for browsers (the
// `browser` condition of `#platform`: @noble and WebCrypto) and one for Node.js (node:crypto), both
// with the package's dependencies left external for the client's own bundler, and TypeScript
// declarations. End-to-end encrypted rooms (`@verity/sdk/mls`, on ts-mls) are a second entry point
// built the same way but with the patched ts-mls bundled in, so the main entry does not grow by the
// MLS library; Verity's view of the chain (`@verity/sdk/chain`) and self-custody wallets
// (`@verity/sdk/wallet`, on viem) are entries of their own. `sdkBrowserSize()` measures what a browser client ships: the browser build bundled
// with its dependencies, minified and gzipped.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build } from 'esbuild';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..');
export const SDK_PACKAGE = join(ROOT, 'packages', 'sdk');
const ENTRY = join(ROOT, 'src', 'sdk', 'index.ts');
const MLS_ENTRY = join(ROOT, 'src', 'sdk', 'mls.ts');
const CHAIN_ENTRY = join(ROOT, 'src', 'sdk', 'chain.ts');
const WALLET_ENTRY = join(ROOT, 'src', 'sdk', 'wallet.ts');
const EXTERNAL = ['@noble/curves', '@noble/hashes', 'canonicalize', 'ts-mls', 'viem'];
// The MLS entries carry ts-mls itself, as installed here with Verity's patch
// (patches/ts-mls+1.6.4.patch): an application installing the SDK would otherwise get the published
// 1.6.4, without the patch's fixes. Its own dependencies stay external.
const MLS_EXTERNAL = ['@noble/curves', '@noble/hashes', '@noble/ciphers', '@hpke/', 'canonicalize'];

/** Writes packages/sdk/dist: browser.js, node.js, mls-, chain- and wallet-browser.js and -node.js, and types/. */
export async function buildSdk(): Promise<void> {
  const dist = join(SDK_PACKAGE, 'dist');
  await rm(dist, { recursive: true, force: true });
  for (const [entry, prefix, external] of [
    [ENTRY, '', EXTERNAL],
    [MLS_ENTRY, 'mls-', MLS_EXTERNAL],
    [CHAIN_ENTRY, 'chain-', EXTERNAL],
    [WALLET_ENTRY, 'wallet-', EXTERNAL],
  ] as const) {
    const common: BuildOptions = {
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      target: 'es2022',
      logLevel: 'silent',
    };
    await build({
      ...common,
      platform: 'browser',
      outfile: join(dist, `${prefix}browser.js`),
      external: external.map((e) => `${e}*`),
    });
    await build({
      ...common,
      platform: 'node',
      outfile: join(dist, `${prefix}node.js`),
      external: [...external.map((e) => `${e}*`), 'node:*'],
    });
  }
  const program = ts.createProgram([ENTRY, MLS_ENTRY, CHAIN_ENTRY, WALLET_ENTRY], {
    target: ts.ScriptTarget.ES2024,
    lib: ['lib.es2024.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    allowImportingTsExtensions: true,
    rewriteRelativeImportExtensions: true,
    skipLibCheck: true,
    declaration: true,
    emitDeclarationOnly: true,
    rootDir: join(ROOT, 'src'),
    outDir: join(dist, 'types'),
  });
  const emitted = program.emit();
  const errors = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].filter(
    (d) => d.category === ts.DiagnosticCategory.Error,
  );
  if (errors.length > 0 || emitted.emitSkipped) {
    throw new Error(ts.formatDiagnostics(errors, ts.createCompilerHost({})));
  }
}

/** Bytes a browser client ships for the SDK (built package, its dependencies bundled, minified, gzip -9). */
export async function sdkBrowserSize(): Promise<{ minified: number; gzipped: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'verity-sdk-size-'));
  try {
    const entry = join(dir, 'entry.js');
    await writeFile(
      entry,
      `export { VerityClient, webStorageCheckpoints } from ${JSON.stringify(join(SDK_PACKAGE, 'dist', 'browser.js'))};\n`,
    );
    const out = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      target: 'es2022',
      write: false,
      logLevel: 'silent',
      nodePaths: [join(ROOT, 'node_modules')],
    });
    const code = (out.outputFiles[0] as { contents: Uint8Array }).contents;
    return { minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  await buildSdk();
  const size = await sdkBrowserSize();
  console.log(`built ${SDK_PACKAGE}/dist; browser build ${size.minified} bytes minified, ${size.gzipped} gzipped`);
}
