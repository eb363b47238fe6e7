// Dependencies loaded from one joined module each. Some published packages are hundreds of small
// ES modules (Kysely some 280, TypeBox some 370, viem with ox and abitype some 500,
// @simplewebauthn/server with its ASN.1 packages some 250, libphonenumber-js some 110), and Node.js
// spends most of a process's start resolving, reading and linking them: 150-450 ms a package here,
// in every `verity` command, every server start and every test file. scripts/build-deps.ts joins
// each into dist/deps/NAME-VERSION.mjs (esbuild, the same code, deterministic; `npm start` and
// `npm test` build them first, scripts/ensure-deps.mjs), which loads in a tenth of the time. Where
// a joined module is missing (a checkout whose dist/ was never built) or was built from another
// version than the installed one, the package is loaded as published. Each user of such a package
// takes its values from a small module of its own folder (`store/kysely.ts`, `server/typebox.ts`,
// `chain/viem.ts`, `wallets/viem.ts`, `passkeys/webauthn.ts`, `pii/libphonenumber.ts`) and its
// types from the package with `import type`, which loads nothing. Packages published as CommonJS
// (Ajv, prom-client) are not joined: a bundle of one has no named exports to load.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The checkout: node_modules/ and dist/ beside src/. */
const ROOT = join(import.meta.dirname, '..', '..');

/** The packages that are joined, and the entry points each joined module re-exports. */
export const JOINED: Readonly<Record<string, readonly string[]>> = {
  kysely: ['kysely'],
  typebox: ['typebox'],
  viem: ['viem', 'viem/accounts', 'viem/siwe'],
  '@simplewebauthn/server': ['@simplewebauthn/server', '@simplewebauthn/server/helpers'],
  'libphonenumber-js': ['libphonenumber-js'],
};

/** The file name stem of a package's joined module: `@scope/name` as `scope+name`. */
export function joinedStem(name: string): string {
  return name.replace(/^@/, '').replace('/', '+');
}

/** The installed version of package `name` under `root`, when it is one a file may be named by. */
export function installedVersion(root: string, name: string): string | undefined {
  let version: unknown;
  try {
    version = (
      JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version?: unknown }
    ).version;
  } catch {
    return undefined;
  }
  return typeof version === 'string' && /^[0-9A-Za-z.+-]{1,64}$/.test(version) ? version : undefined;
}

/** The joined module of package `name` under the checkout `root`, when one was built for its installed version. */
export function joinedModule(root: string, name: string): string | undefined {
  const version = installedVersion(root, name);
  if (version === undefined) return undefined;
  const file = join(root, 'dist', 'deps', `${joinedStem(name)}-${version}.mjs`);
  return existsSync(file) ? file : undefined;
}

/** A package's values, and whether they came from its joined module or from the package itself. */
export interface Loaded<T> {
  readonly module: T;
  readonly from: 'joined' | 'package';
}

/**
 * Package `name` (one of JOINED): its joined module when one was built for the version installed
 * in the checkout `root` (this one by default), else its entry points imported as published,
 * their exports gathered in one object.
 */
export async function loadJoined<T>(name: string, root = ROOT): Promise<Loaded<T>> {
  const entries = JOINED[name];
  if (entries === undefined) throw new TypeError(`${name} is not a joined package`);
  const file = joinedModule(root, name);
  if (file !== undefined) return { module: (await import(pathToFileURL(file).href)) as T, from: 'joined' };
  const modules = await Promise.all(entries.map((e) => import(e) as Promise<object>));
  return { module: Object.assign({}, ...modules) as T, from: 'package' };
}
