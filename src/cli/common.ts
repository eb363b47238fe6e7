/**
 * What the commands share: reading option values, the data directory and the key store's secret
 * from the environment (the CLI is, with the server's entry point, the only place that reads the
 * environment), and opening a data directory for the length of one command.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDataDir, openDataDirReadOnly, readDataConfig, type StoreSecret } from '../embedded/index.ts';
import { fromUtf8 } from '../encoding/index.ts';
import { pinFromEnv, secretFromEnv } from '../keyproc/index.ts';
import type { VerityClient } from '../sdk/index.ts';
import { type OptionSpec, usage, type Values } from './command.ts';
import { outJson, readInput } from './io.ts';

export { devPassphraseFor, pinFromEnv, secretFromEnv, shellPath } from '../keyproc/index.ts';

/** How local commands appear in the audit trail. */
export const ACTOR = 'operator:cli';

/** `--data DIR`, shared by every command on a data directory. */
export const DATA: Readonly<Record<string, OptionSpec>> = {
  data: { type: 'string', value: 'DIR', required: 'env', help: 'the data directory (or VERITY_DATA)' },
};

/** A string option's value, or undefined. */
export function opt(v: Values, name: string): string | undefined {
  const x = v[name];
  return typeof x === 'string' ? x : undefined;
}

/** A string option that must be there. */
export function str(v: Values, name: string): string {
  const x = v[name];
  if (typeof x !== 'string' || x.length === 0) usage(`--${name} is required`);
  return x;
}

/** A repeatable string option's values. */
export function list(v: Values, name: string): string[] {
  const x = v[name];
  return Array.isArray(x) ? x : typeof x === 'string' ? [x] : [];
}

/** A non-negative integer option. */
export function int(v: Values, name: string, required: true): number;
export function int(v: Values, name: string, required: false): number | undefined;
export function int(v: Values, name: string, required: boolean): number | undefined {
  const x = v[name];
  if (x === undefined) {
    if (required) usage(`--${name} is required`);
    return undefined;
  }
  if (typeof x !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(x) || !Number.isSafeInteger(Number(x)))
    usage(`--${name} must be a non-negative integer`);
  return Number(x);
}

/** A finite number option. */
export function num(v: Values, name: string): number | undefined {
  const x = opt(v, name);
  if (x === undefined) return undefined;
  const n = Number(x);
  if (x.trim() === '' || !Number.isFinite(n)) usage(`--${name} must be a number`);
  return n;
}

/** `--data`, else VERITY_DATA. */
export function dataDir(v: Values): string {
  const d = opt(v, 'data') ?? process.env['VERITY_DATA'];
  if (d === undefined || d === '') usage('--data DIR is required (or set VERITY_DATA)');
  return d;
}

/** The secret that opens the key store of data directory `dir`: a PIN for an HSM, otherwise the key file's secret. */
export async function storeSecretFor(dir: string): Promise<StoreSecret> {
  const kind = existsSync(join(dir, 'verity.json')) ? (await readDataConfig(dir)).keystore.kind : 'software';
  return kind === 'pkcs11' ? pinFromEnv() : secretFromEnv(dir);
}

/** Remote options of the record commands: through a server, with reads verified. */
export const REMOTE: Readonly<Record<string, OptionSpec>> = {
  url: { type: 'string', value: 'URL', help: 'go through the Verity server at URL instead of a data directory' },
  'token-file': {
    type: 'string',
    value: 'FILE',
    help: 'the bearer token with --url, read from FILE (or set VERITY_TOKEN; never on the command line)',
  },
  key: {
    type: 'string',
    value: 'VKEY',
    help: 'the log verifier key with --url (or VERITY_LOG_KEY): reads are verified against it',
  },
};

/**
 * The bearer token for `--url`: from `--token-file FILE` (one line) or VERITY_TOKEN, never from
 * the command line, where every user of the machine sees it in the process list.
 */
export async function tokenFrom(values: Values): Promise<string | undefined> {
  const file = opt(values, 'token-file');
  if (file === undefined) return process.env['VERITY_TOKEN'] || undefined;
  const text = fromUtf8(await readInput(file, 4096), 'token file').trim();
  if (text === '' || /\s/.test(text)) usage(`--token-file ${file} must hold one token on one line`);
  return text;
}

/**
 * The SDK client when `--url` is given: the token from `--token-file` or VERITY_TOKEN, the log key
 * (for verifying reads) from `--key` or VERITY_LOG_KEY.
 */
export async function sdkFor(values: Values): Promise<VerityClient | undefined> {
  const url = opt(values, 'url');
  if (url === undefined) return undefined;
  if (!/^https?:\/\/[^\s]+$/.test(url)) usage('--url must be an http(s) URL');
  const token = await tokenFrom(values);
  const key = opt(values, 'key') ?? process.env['VERITY_LOG_KEY'];
  if (key === undefined || key === '')
    usage('--key VKEY (or VERITY_LOG_KEY) is required with --url: reads are verified against the log key');
  // The SDK loads only for commands sent to a server.
  const { VerityClient: Client } = await import('../sdk/index.ts');
  return new Client({ url, verifierKey: key, ...(token === undefined ? {} : { token }) });
}

/**
 * The PKCS#11 module the operator names in VERITY_HSM_MODULE: loaded even where someone other than
 * root could have written it (D419); a module only `verity.json` names must be root's.
 */
export function namedHsmModule(): { hsmModule?: string } {
  const m = process.env['VERITY_HSM_MODULE'];
  return m === undefined || m === '' ? {} : { hsmModule: m };
}

/** An open data directory. */
export type Opened = Awaited<ReturnType<typeof openDataDir>>;

/** Opens the data directory (with the secret) for the length of `fn`. */
export async function withVerity<T>(v: Values, fn: (x: Opened) => Promise<T>): Promise<T> {
  const dir = dataDir(v);
  const verity = await openDataDir(dir, { secret: await storeSecretFor(dir), ...namedHsmModule() });
  try {
    return await fn(verity);
  } finally {
    await verity.close();
  }
}

/** Opens the data directory's log and public configuration (no secret) for the length of `fn`. */
export async function withLog<T>(
  v: Values,
  fn: (x: Awaited<ReturnType<typeof openDataDirReadOnly>>) => Promise<T>,
): Promise<T> {
  const ro = await openDataDirReadOnly(dataDir(v));
  try {
    return await fn(ro);
  } finally {
    await ro.close();
  }
}

/**
 * A command's ending: prints as JSON what `fn` answers with the data directory open (the secret
 * read), then exit status 0.
 */
export async function printWithVerity(v: Values, fn: (x: Opened) => Promise<unknown>): Promise<number> {
  await outJson(await withVerity(v, fn));
  return 0;
}

/** Like printWithVerity, over the data directory's log and public configuration only (no secret). */
export async function printWithLog(
  v: Values,
  fn: (x: Awaited<ReturnType<typeof openDataDirReadOnly>>) => Promise<unknown>,
): Promise<number> {
  await outJson(await withLog(v, fn));
  return 0;
}
