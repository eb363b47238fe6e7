// Secure boot's start-up cost (FGMV-46 7.3.3): the check of this checkout's signed release manifest
// (its code and every production dependency in node_modules: the signature, one SHA-256 per file,
// the walk of every covered directory), beside the machine's raw SHA-256 throughput over the same
// bytes; a command that opens the store, beside the runtime starting with nothing to do; and
// `verity serve` until it listens, with and without a pinned release root key.
// `sh scripts/node.sh bench/boot.ts` runs it alone.
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectRelease, manifestText, parseRootKey, verifyRelease } from '../src/boot/index.ts';
import { initDataDir } from '../src/embedded/index.ts';
import { formatVerifierKey, signNote } from '../src/note/index.ts';
import type { Figure } from './core.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'verity');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** A child's environment: the bench store's passphrase, and Node's compile cache as scripts/node.sh sets it, or none. */
function childEnv(cache: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, VERITY_PASSPHRASE: 'bench' };
  delete env['NODE_COMPILE_CACHE'];
  if (!cache) env['NODE_DISABLE_COMPILE_CACHE'] = '1';
  return env;
}

/** Milliseconds from spawning `verity serve ARGS` to its "serving" line (`cache`: Node's compile cache, as scripts/node.sh sets it). */
function serveMs(args: readonly string[], cache: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(BIN, ['serve', '--port', '0', ...args], { env: childEnv(cache) });
    let text = '';
    child.stdout.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('log size:')) {
        const ms = performance.now() - start;
        child.kill('SIGTERM');
        child.once('exit', () => resolve(ms));
      }
    });
    child.stderr.on('data', (c: Buffer) => {
      text += c.toString();
    });
    child.once('exit', (code) => {
      if (!text.includes('log size:')) reject(new Error(`serve exited with ${code}: ${text.slice(-300)}`));
    });
  });
}

/** Milliseconds of a process that runs `args` to its end (the compile cache on, as scripts/node.sh sets it). */
function runMs(command: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { env: childEnv(true), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.once('exit', (code) =>
      code === 0 ? resolve(performance.now() - start) : reject(new Error(`${args.join(' ')} exited ${code}: ${err}`)),
    );
  });
}

export async function benchBoot(quick: boolean): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'verity-bench-boot-'));
  try {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
    const vkey = formatVerifierKey('verity-release', raw);
    const manifest = collectRelease({ root: ROOT, version: 'bench' });
    const note = Buffer.from(
      await signNote(manifestText(manifest), [
        { name: 'verity-release', publicKey: raw, sign: async (m) => new Uint8Array(sign(null, m, privateKey)) },
      ]),
    );
    const rootKey = parseRootKey(vkey);
    const runs = quick ? 3 : 7;
    const checks: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      verifyRelease({ root: ROOT, note, rootKey });
      checks.push(performance.now() - t);
    }
    // The raw limit: SHA-256 over the same bytes, read the same way, without the walk and the parse.
    let bytes = 0;
    const t = performance.now();
    for (const f of manifest.files) {
      if (f.kind !== 'file') continue;
      const b = readFileSync(join(ROOT, f.path));
      bytes += b.byteLength;
      createHash('sha256').update(b).digest();
    }
    const rawMs = performance.now() - t;

    // `verity serve` until it listens: development start with and without the compile cache, then
    // secure boot (which runs without it).
    const data = join(dir, 'data');
    await initDataDir(data, { secret: { passphrase: 'bench' }, kdf: { N: 1024, r: 8, p: 1 } });
    const noteFile = join(dir, 'release.note');
    const rootFile = join(dir, 'root.pub');
    await writeFile(noteFile, note);
    await writeFile(rootFile, `${vkey}\n`);
    // A command that opens the store and ends (`verity log verify` on the fresh store), beside the
    // runtime starting and ending with nothing to do: what a command's own start costs (D338).
    const command: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < (quick ? 3 : 7); i++) {
      command.push(await runMs(BIN, ['log', 'verify', '--data', data]));
      bare.push(await runMs('sh', [join(ROOT, 'scripts', 'node.sh'), '-e', '0']));
    }
    const plain: number[] = [];
    const uncached: number[] = [];
    const secure: number[] = [];
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      plain.push(await serveMs(['--data', data], true));
      uncached.push(await serveMs(['--data', data], false));
      secure.push(await serveMs(['--data', data, '--release-root', rootFile, '--release-manifest', noteFile], false));
    }
    return [
      { name: 'bootFiles', value: manifest.files.length, unit: 'files' },
      { name: 'bootMBytes', value: bytes / 1e6, unit: 'MB' },
      { name: 'bootCheckMs', value: median(checks), unit: 'ms' },
      { name: 'bootRawReadSha256Ms', value: rawMs, unit: 'ms' },
      { name: 'cliCommandMs', value: median(command), unit: 'ms' },
      { name: 'cliRuntimeBareMs', value: median(bare), unit: 'ms' },
      { name: 'cliCommandVsBare', value: median(command) / median(bare), unit: 'ratio' },
      { name: 'serveStartMs', value: median(plain), unit: 'ms' },
      { name: 'serveUncachedStartMs', value: median(uncached), unit: 'ms' },
      { name: 'serveSecureBootStartMs', value: median(secure), unit: 'ms' },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  for (const f of await benchBoot(process.argv.includes('--quick')))
    process.stdout.write(`${f.name.padEnd(24)} ${f.value.toFixed(1)} ${f.unit}\n`);
}
