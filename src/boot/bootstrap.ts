// The entry point of `bin/verity`: secure boot (FGMV-46 7.3.3), then the CLI.
//
// `verity start` and `verity serve` with a pinned release root key (`--release-root FILE` or
// VERITY_RELEASE_ROOT=FILE) check the signed release manifest before any other Verity module or
// dependency is imported: its signature by the root key, the hash of every file it lists, no file
// added in the directories it covers. Any failure stops the process (exit 1) with a boot error
// code (VERITY_E_BOOT_FILE_CHANGED, ...) naming the file. Once the check passed, a module load hook
// keeps checking every file Node.js loads against the manifest, on the very bytes it compiles (a
// file swapped after the check, or one the manifest does not list, is refused). Without a root
// key, Verity starts as it always did (development).
//
// INVARIANT: this module and those it imports statically use Node.js built-ins only.

import { readFileSync, realpathSync } from 'node:fs';
import { getCompileCacheDir, registerHooks } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setBootMeasurement } from './measured.ts';
import {
  BootFailure,
  DEFAULT_MANIFEST,
  fileOnDisk,
  parseRootKey,
  type ReleaseFile,
  sha256Hex,
  verifyRelease,
} from './release.ts';

/** The commands that serve, and so boot securely when a root key is pinned. */
const SERVING = new Set(['start', 'serve']);

/** An option's value from the command line (`--name V` or `--name=V`), before the CLI parses it. */
function argValue(args: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') break;
    if (a === `--${name}`) found = args[i + 1];
    else if (a.startsWith(`--${name}=`)) found = a.slice(name.length + 3);
  }
  return found;
}

function readSmall(file: string, max: number, code: BootFailure['code'], what: string): Buffer {
  try {
    const b = readFileSync(file);
    if (b.byteLength > max) throw new Error('too large');
    return b;
  } catch {
    throw new BootFailure(code, `cannot read the ${what} ${JSON.stringify(file.slice(0, 200))}`, file);
  }
}

/** Refuses a module Node.js loads when its bytes are not those the manifest lists. */
function checkLoads(root: string, byPath: ReadonlyMap<string, ReleaseFile>): void {
  registerHooks({
    load(url, context, nextLoad) {
      const result = nextLoad(url, context);
      if (!url.startsWith('file:')) return result;
      const path = fileURLToPath(url);
      const entry = byPath.get(path);
      const name = relative(root, path);
      if (entry === undefined)
        throw new BootFailure(
          'VERITY_E_BOOT_UNMEASURED',
          `${name} would be loaded but is not in the signed release manifest; add it to the release and sign it again`,
          name,
        );
      const src = result.source;
      const bytes =
        typeof src === 'string' ? Buffer.from(src, 'utf8') : src == null ? undefined : Buffer.from(src as Uint8Array);
      // A source Node.js decoded to text re-encodes to the file's bytes unless the file is not
      // valid UTF-8: then the file itself must still match and decode to the same text.
      const same =
        bytes !== undefined &&
        (sha256Hex(bytes) === entry.digest ||
          (typeof src === 'string' && fileOnDisk(path)?.digest === entry.digest && readFileSync(path, 'utf8') === src));
      if (!same)
        throw new BootFailure(
          'VERITY_E_BOOT_FILE_CHANGED',
          `${entry.path} changed after the secure boot check; restore it and start again`,
          entry.path,
        );
      return result;
    },
  });
}

/** Runs secure boot when a root key is pinned for a serving command; returns whether it did. */
function secureBoot(args: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (!SERVING.has(args[0] ?? '')) return false;
  const rest = args.slice(1);
  const rootFile = argValue(rest, 'release-root') ?? env['VERITY_RELEASE_ROOT'];
  if (rootFile === undefined || rootFile === '') return false;
  // Node's compile cache would run code compiled from earlier files, outside any check.
  if (getCompileCacheDir() !== undefined)
    throw new BootFailure(
      'VERITY_E_BOOT_UNMEASURED',
      'the compile cache (NODE_COMPILE_CACHE) would load code the release manifest does not cover; unset it to boot securely',
    );
  const rootKey = parseRootKey(
    readSmall(rootFile, 4096, 'VERITY_E_BOOT_ROOT_INVALID', 'release root key').toString('utf8'),
  );
  const root = realpathSync(join(import.meta.dirname, '..', '..'));
  const manifestFile = resolve(
    argValue(rest, 'release-manifest') ?? env['VERITY_RELEASE_MANIFEST'] ?? join(root, DEFAULT_MANIFEST),
  );
  const note = readSmall(manifestFile, 32 * 1024 * 1024, 'VERITY_E_BOOT_MANIFEST_INVALID', 'release manifest');
  const dataArg = argValue(rest, 'data') ?? env['VERITY_DATA'];
  let data: string | undefined;
  if (dataArg !== undefined && dataArg !== '') {
    try {
      data = realpathSync(dataArg);
    } catch {
      data = resolve(dataArg);
    }
  }
  const release = verifyRelease({ root, data, note, rootKey });
  setBootMeasurement(release.measurement);
  checkLoads(root, release.byPath);
  return true;
}

try {
  secureBoot(process.argv.slice(2), process.env);
} catch (e) {
  const failure =
    e instanceof BootFailure
      ? e
      : new BootFailure(
          'VERITY_E_BOOT_MANIFEST_INVALID',
          `secure boot failed: ${String((e as Error)?.message).slice(0, 200)}`,
        );
  process.stderr.write(`${JSON.stringify(failure.toJSON())}\n`);
  process.exit(1);
}
try {
  await import('../cli/main.ts');
} catch (e) {
  // A module the load hook refused while the CLI was loading: the same refusal, with its code.
  if (!(e instanceof BootFailure)) throw e;
  process.stderr.write(`${JSON.stringify(e.toJSON())}\n`);
  process.exit(1);
}
