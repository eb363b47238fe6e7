// The SDK as the package a world's client installs without the server: built, packed by npm,
// unpacked into a project of its own, then imported by Node.js against a real Verity server,
// bundled for browsers (no Node.js module, within the size budget) and type-checked through its
// exports map.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import ts from 'typescript';
import { buildSdk, SDK_PACKAGE, sdkBrowserSize } from '../scripts/build-sdk.ts';
import type { buildServer } from '../src/server/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { serveCore } from './helpers/server.ts';

const ROOT = join(import.meta.dirname, '..');
// Asynchronous: the server under test runs in this process's event loop.
const run = async (args: string[], cwd: string) =>
  (await promisify(execFile)(process.execPath, args, { cwd, encoding: 'utf8' })).stdout;

describe('@verity/sdk package', () => {
  let dir: string;
  let files: string[];
  before(async () => {
    await buildSdk();
    dir = await mkdtemp(join(tmpdir(), 'verity-sdk-pkg-'));
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: SDK_PACKAGE, encoding: 'utf8' }),
    ) as { filename: string; files: { path: string }[] }[];
    files = packed[0]!.files.map((f) => f.path);
    const modules = join(dir, 'node_modules');
    await mkdir(join(modules, '@verity'), { recursive: true });
    execFileSync('tar', ['-xzf', join(dir, packed[0]!.filename), '-C', join(modules, '@verity')]);
    await rename(join(modules, '@verity', 'package'), join(modules, '@verity', 'sdk'));
    // The package's own dependencies, as npm would install them beside it.
    await symlink(join(ROOT, 'node_modules', '@noble'), join(modules, '@noble'));
    await symlink(join(ROOT, 'node_modules', 'canonicalize'), join(modules, 'canonicalize'));
    await symlink(join(ROOT, 'node_modules', 'ts-mls'), join(modules, 'ts-mls'));
    await symlink(join(ROOT, 'node_modules', '@hpke'), join(modules, '@hpke'));
    await symlink(join(ROOT, 'node_modules', 'viem'), join(modules, 'viem'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'world-client', type: 'module', private: true }));
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('packs only its builds, types, manifest and readme', () => {
    assert.ok(files.includes('dist/browser.js') && files.includes('dist/node.js'));
    assert.ok(files.includes('dist/types/sdk/index.d.ts'));
    for (const f of files) assert.match(f, /^(dist\/|package\.json$|README\.md$)/, f);
    const interfaces = files.filter((f) => /^dist\/types\/(server|cli|vault|embedded|deid|access)\//.test(f));
    assert.deepEqual(interfaces, [], 'no server-side module in the package');
  });

  it('keeps end-to-end encrypted rooms in their own entry point, with the patched ts-mls in it and nothing server-side', async () => {
    assert.ok(files.includes('dist/mls-browser.js') && files.includes('dist/mls-node.js'));
    assert.ok(files.includes('dist/types/sdk/mls.d.ts'));
    for (const build of ['mls-browser.js', 'mls-node.js']) {
      const code = await readFile(join(dir, 'node_modules', '@verity', 'sdk', 'dist', build), 'utf8');
      const imports = [...code.matchAll(/(?:from|import\() *["']([^"']+)["']/g)].map((m) => m[1]);
      // ts-mls is carried, not loaded: the registry's 1.6.4 lacks Verity's patch.
      assert.ok(!imports.some((i) => /^ts-mls(\/|$)/.test(i ?? '')), `${build} loads the published ts-mls`);
      for (const patched of ['unmergedListers', 'treeHashWithoutLeaves', 'sequenceWriters', 'leafHashes'])
        assert.ok(code.includes(`function ${patched}(`), `${build} lacks the patched ts-mls (${patched})`);
      // canonicalize: the SDK's own dependency, for the log checks key transparency uses; @hpke and
      // @noble: ts-mls's.
      for (const i of imports)
        assert.match(i ?? '', /^(@noble\/|@hpke\/|canonicalize$|node:(crypto|buffer)$)/, `${build} imports ${i}`);
    }
    for (const build of ['browser.js', 'node.js']) {
      const code = await readFile(join(dir, 'node_modules', '@verity', 'sdk', 'dist', build), 'utf8');
      assert.ok(!code.includes('ts-mls'), `the main entry ${build} loads ts-mls`);
    }
    const script = join(dir, 'rooms.mjs');
    await writeFile(
      script,
      `import { MemoryMlsStorage, MlsClient, frankingCommitment } from '@verity/sdk/mls';\nconsole.log(typeof MlsClient.open, new MemoryMlsStorage().keys().length, frankingCommitment(new Uint8Array(32), new Uint8Array(0)).length);\n`,
    );
    assert.equal(execFileSync(process.execPath, [script], { cwd: dir, encoding: 'utf8' }).trim(), 'function 0 32');
  });

  it('keeps the chain reader in its own entry point, which loads no chain client and nothing server-side', async () => {
    assert.ok(files.includes('dist/chain-browser.js') && files.includes('dist/chain-node.js'));
    assert.ok(files.includes('dist/types/sdk/chain.d.ts'));
    for (const build of ['chain-browser.js', 'chain-node.js']) {
      const code = await readFile(join(dir, 'node_modules', '@verity', 'sdk', 'dist', build), 'utf8');
      for (const i of [...code.matchAll(/from ["']([^"']+)["']/g)].map((m) => m[1]))
        assert.match(i ?? '', /^(@noble\/|canonicalize$|node:(crypto|buffer)$)/, `${build} imports ${i}`);
    }
    const script = join(dir, 'chain.mjs');
    await writeFile(
      script,
      `import { ChainReader, itemId } from '@verity/sdk/chain';\nconsole.log(typeof ChainReader, itemId('profile').length);\n`,
    );
    assert.equal(execFileSync(process.execPath, [script], { cwd: dir, encoding: 'utf8' }).trim(), 'function 66');
  });

  it('keeps self-custody wallets in their own entry point, which loads viem and nothing server-side', async () => {
    assert.ok(files.includes('dist/wallet-browser.js') && files.includes('dist/wallet-node.js'));
    assert.ok(files.includes('dist/types/sdk/wallet.d.ts'));
    for (const build of ['wallet-browser.js', 'wallet-node.js']) {
      const code = await readFile(join(dir, 'node_modules', '@verity', 'sdk', 'dist', build), 'utf8');
      const imports = [...code.matchAll(/from ["']([^"']+)["']/g)].map((m) => m[1]);
      assert.ok(imports.includes('viem'), `${build} does not load viem`);
      for (const i of imports) assert.match(i ?? '', /^(viem(\/|$)|node:(crypto|buffer)$)/, `${build} imports ${i}`);
    }
    for (const build of ['browser.js', 'node.js', 'mls-browser.js']) {
      const code = await readFile(join(dir, 'node_modules', '@verity', 'sdk', 'dist', build), 'utf8');
      assert.ok(!/from ["']viem/.test(code), `${build} loads viem`);
    }
    const script = join(dir, 'wallet.mjs');
    await writeFile(
      script,
      `import { SelfCustodyWallet } from '@verity/sdk/wallet';\nconsole.log(typeof SelfCustodyWallet.connect);\n`,
    );
    assert.equal(execFileSync(process.execPath, [script], { cwd: dir, encoding: 'utf8' }).trim(), 'function');
  });

  it('loads no server-side dependency', async () => {
    for (const build of ['browser.js', 'node.js']) {
      const code = await readFile(join(dir, 'node_modules', '@verity', 'sdk', 'dist', build), 'utf8');
      const imports = [...code.matchAll(/from ["']([^"']+)["']/g)].map((m) => m[1]);
      for (const i of imports)
        assert.match(i ?? '', /^(@noble\/|canonicalize$|node:(crypto|buffer)$)/, `${build} imports ${i}`);
    }
  });

  describe('in Node.js against a real server', () => {
    let core: TestCore;
    let app: ReturnType<typeof buildServer>;
    let url: string;
    let token: string;
    before(async () => {
      core = await makeCore('sqlite');
      ({ app, url, token } = await serveCore(core, { principal: 'world-eu', recordTypes: ['profile'] }));
    });
    after(async () => {
      await app?.close();
      await core?.dispose();
    });

    it('writes and reads a verified record through the installed package', async () => {
      const script = join(dir, 'client.mjs');
      await writeFile(
        script,
        `import { VerityClient } from '@verity/sdk';
const [url, token, verifierKey] = process.argv.slice(2);
const c = new VerityClient({ url, token, verifierKey, origin: 'verity.test/log' });
const w = await c.putRecord({ subject: 'p1', type: 'profile', purpose: 'service-provision', data: { name: 'Ada' } });
const r = await c.getRecord(w.id, { purpose: 'service-provision' });
console.log(JSON.stringify({ data: r.data, size: (await c.trusted()).size }));
`,
      );
      const out = await run([script, url, token, core.log.verifierKey], dir);
      const answer = JSON.parse(out) as { data: unknown; size: number };
      assert.deepEqual(answer.data, { name: 'Ada' });
      assert.ok(answer.size >= 2);
    });

    it('refuses a server whose log is signed by another key', async () => {
      const script = join(dir, 'foreign.mjs');
      await writeFile(
        script,
        `import { VerityClient } from '@verity/sdk';
const [url, verifierKey] = process.argv.slice(2);
try {
  await new VerityClient({ url, verifierKey, origin: 'verity.test/log' }).checkpoint();
  console.log('accepted');
} catch (e) { console.log(e.code); }
`,
      );
      // A syntactically valid key of another log with the same name.
      const other = await makeCore('sqlite');
      try {
        const out = await run([script, url, other.log.verifierKey], dir);
        assert.match(out.trim(), /^VERITY_E_/);
      } finally {
        await other.dispose();
      }
    });
  });

  it('bundles for browsers from its browser build, without Node.js modules, within its size budget', async () => {
    const entry = join(dir, 'page.js');
    await writeFile(entry, `import { VerityClient } from '@verity/sdk';\nglobalThis.VerityClient = VerityClient;\n`);
    const out = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      metafile: true,
    });
    const inputs = Object.keys(out.metafile.inputs);
    assert.ok(
      inputs.some((i) => i.endsWith('@verity/sdk/dist/browser.js')),
      inputs.join(', '),
    );
    assert.doesNotMatch((out.outputFiles[0] as { text: string }).text, /from "node:|require\("node:/);
    const budget = JSON.parse(await readFile(join(SDK_PACKAGE, 'size-budget.json'), 'utf8')) as {
      browserGzipBytes: number;
    };
    const size = await sdkBrowserSize();
    assert.ok(
      size.gzipped <= budget.browserGzipBytes,
      `the SDK's browser build is ${size.gzipped} bytes gzipped, over its budget of ${budget.browserGzipBytes}`,
    );
  });

  it('type-checks a client through its exports map', async () => {
    const file = join(dir, 'client.ts');
    await writeFile(
      file,
      `import { VerityClient, type VerifiedRecord } from '@verity/sdk';
const c = new VerityClient({ url: 'https://verity.example', verifierKey: 'k' });
export const read: Promise<VerifiedRecord> = c.getRecord('rec_1', { purpose: 'service-provision' });
// @ts-expect-error: the purpose is required
c.getRecord('rec_1', {});
`,
    );
    const program = ts.createProgram([file], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2024,
      lib: ['lib.es2024.d.ts', 'lib.dom.d.ts'],
      types: [],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
    });
    const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    assert.deepEqual(errors, []);
  });
});
