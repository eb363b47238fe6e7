// Runs on whatever Node.js npm itself runs on (plain JavaScript, no dependencies), before `npm start`
// and `npm test`, so that both work on a fresh clone without a separate install step:
//  1. Verity needs Node.js 24 or newer. When npm's own Node.js is older, the pinned runtime package
//     for this platform is installed from runtime/package-lock.json (integrity-checked by npm ci;
//     scripts/runtime.sh then finds it). macOS on Apple silicon has no such package: there it takes
//     Node.js 24 on PATH, or the x64 package under Rosetta 2.
//  2. The locked dependencies are installed when missing or stale, by npm running on Node.js 24, so
//     that packages which need Node.js 22+ resolve and install without engine warnings.
//  3. Verity's patches to published dependencies (patches/, scripts/patches.mjs) are applied: after
//     every install, and checked on every run, so a reinstalled package is patched again.
//  4. The Trust Center is built (dist/web).
//  5. Packages of hundreds of modules (Kysely, TypeBox, viem, ...) are joined into one module each
//     (dist/deps) where the installed version has none yet.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyPatches } from './patches.mjs';

const NEEDED_MAJOR = 24;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The directory of a Node.js >= 24 binary to put first on PATH, or '' when npm's own will do. */
function runtimeBinDir() {
  if (Number(process.versions.node.split('.')[0]) >= NEEDED_MAJOR) return '';
  const dir = join(root, 'runtime');
  // macOS on Apple silicon: the registry has no Node.js 24 package for arm64, so the x64 one is
  // installed (npm's --cpu override) and runs under Rosetta 2.
  const rosetta = process.platform === 'darwin' && process.arch === 'arm64';
  const cpu = rosetta ? 'x64' : process.arch;
  const pkg = `node-${process.platform}-${cpu}`;
  const want = readJson(join(dir, 'package-lock.json')).packages?.[`node_modules/${pkg}`];
  if (!want) {
    console.error(
      `verity: Node.js ${process.versions.node} is too old and no pinned Node.js ${NEEDED_MAJOR} package exists for ${process.platform}-${process.arch}; install Node.js ${NEEDED_MAJOR} or newer and put it first on PATH`,
    );
    process.exit(2);
  }
  const installed = join(dir, 'node_modules', pkg, 'package.json');
  if (!existsSync(installed) || readJson(installed).version !== want.version) {
    console.error(`verity: installing the pinned Node.js runtime (${pkg} ${want.version})...`);
    if (rosetta) console.error('verity: (the x64 build, which runs under Rosetta 2; or put Node.js 24 on PATH)');
    const args = ['ci', '--no-audit', '--no-fund', '--loglevel=error', ...(rosetta ? ['--cpu=x64'] : [])];
    execFileSync(npm, args, { cwd: dir, stdio: 'inherit' });
  }
  return join(dir, 'node_modules', pkg, 'bin');
}

function stale() {
  const installed = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(installed)) return true;
  const want = readJson(join(root, 'package-lock.json')).packages ?? {};
  const have = readJson(installed).packages ?? {};
  for (const [path, meta] of Object.entries(want)) {
    if (path === '' || meta.optional || meta.peer || meta.link) continue;
    if (have[path]?.version !== meta.version) return true;
  }
  return false;
}

const bin = runtimeBinDir();
if (stale()) {
  console.error('verity: installing locked dependencies (npm ci)...');
  const env = { ...process.env };
  if (bin) env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;
  // pkcs11js (the PKCS#11 key store) is a native N-API addon that node-gyp builds at install:
  // give it the headers of the Node.js that runs Verity, so that it never tries to download them.
  const nodeDir = bin ? dirname(bin) : dirname(dirname(process.execPath));
  if (!env.npm_config_nodedir && existsSync(join(nodeDir, 'include', 'node', 'node_api.h')))
    env.npm_config_nodedir = nodeDir;
  execFileSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', env });
}

// 3. Patches: a version mismatch or a file that matches neither side stops here, before anything runs.
try {
  for (const p of applyPatches(root))
    if (p.state === 'unapplied') console.error(`verity: patched ${p.name} ${p.version} (patches/${p.file})`);
} catch (e) {
  console.error(`verity: ${e instanceof Error ? e.message : e}`);
  process.exit(2);
}

// 4. The Trust Center (src/web) is built into dist/web, which `verity serve` serves at /trust/
//    (D105): fast (esbuild, well under a second) and deterministic, so it is never stale.
if (!process.env.VERITY_SKIP_WEB_BUILD) {
  const env = { ...process.env };
  if (bin) env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;
  execFileSync('sh', [join(root, 'scripts', 'node.sh'), join(root, 'scripts', 'build-web.ts')], {
    cwd: root,
    stdio: 'inherit',
    env,
  });
}

// 5. Packages of hundreds of modules joined into one module each (scripts/build-deps.ts, read by
//    src/deps): a process then links one file instead of hundreds per package (D338). Built where
//    one is missing for the installed version (esbuild's output is deterministic); without them
//    the packages load as published.
{
  const joined = ['kysely', 'typebox', 'viem', '@simplewebauthn/server', 'libphonenumber-js'];
  const missing = joined.some((name) => {
    const version = readJson(join(root, 'node_modules', name, 'package.json')).version;
    const stem = name.replace(/^@/, '').replace('/', '+');
    return !existsSync(join(root, 'dist', 'deps', `${stem}-${version}.mjs`));
  });
  // esbuild is a development dependency: an install without them (`npm ci --omit=dev`) runs on
  // the packages as published.
  if (missing && existsSync(join(root, 'node_modules', 'esbuild', 'package.json'))) {
    const env = { ...process.env };
    if (bin) env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;
    try {
      execFileSync('sh', [join(root, 'scripts', 'node.sh'), join(root, 'scripts', 'build-deps.ts')], {
        cwd: root,
        stdio: 'inherit',
        env,
      });
    } catch {
      console.error('verity: joining packages failed (see above); they load as published, which is slower to start');
    }
  }
}
