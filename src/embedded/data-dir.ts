import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_POLICIES } from '../access/index.ts';
import type { Clock } from '../clock/index.ts';
import { parseJson, toBase64Url } from '../encoding/index.ts';
import { ConfigError, quote } from '../errors/index.ts';
import { type KeySecret, SoftwareKeyStore } from '../keys/index.ts';
import { TransparencyLog } from '../log/index.ts';
import { openPostgresStore, openSqliteStore, type Store } from '../store/index.ts';
import { openVerity, type Verity } from '../verity/index.ts';

/** Format tag of `verity.json`. */
export const DATA_FORMAT = 'verity-data/1';

/** The configuration file of a data directory (`verity.json`, mode 0600). */
export interface DataConfig {
  readonly format: typeof DATA_FORMAT;
  readonly origin: string;
  /** The log's public verifier key, so read-only commands need no passphrase. */
  readonly verifierKey: string;
  readonly store:
    | { readonly kind: 'sqlite'; readonly file: string }
    | { readonly kind: 'postgres'; readonly connectionString: string; readonly schema: string };
  readonly keystore: { readonly kind: 'software'; readonly file: string };
  readonly unknownTypes: 'generic' | 'reject';
  readonly createdAt: string;
}

export interface InitOptions {
  readonly secret: KeySecret;
  /** Use PostgreSQL instead of the embedded SQLite file. */
  readonly postgres?: { readonly connectionString: string; readonly schema: string };
  readonly origin?: string;
  readonly unknownTypes?: 'generic' | 'reject';
  /** scrypt parameters for the key file (tests use a small N). */
  readonly kdf?: { readonly N: number; readonly r: number; readonly p: number };
  readonly clock?: Clock;
}

export interface OpenOptions {
  readonly secret: KeySecret;
  readonly clock?: Clock;
  readonly maxBatch?: number;
}

const CONFIG = 'verity.json';
const ORIGIN_RE = /^[\x21-\x7e]{1,256}$/;

async function openStore(dir: string, config: DataConfig): Promise<Store> {
  if (config.store.kind === 'sqlite') return openSqliteStore(join(dir, config.store.file));
  return openPostgresStore({ connectionString: config.store.connectionString, schema: config.store.schema });
}

/**
 * Creates a data directory: the sealed key file, the store (an embedded SQLite file by default),
 * the signed empty log with its first entry, and `verity.json`. Refuses a non-empty directory.
 */
export async function initDataDir(dir: string, options: InitOptions): Promise<DataConfig> {
  const abs = resolve(dir);
  await mkdir(abs, { recursive: true, mode: 0o700 });
  const existing = await readdir(abs);
  if (existing.length > 0) {
    throw new ConfigError(
      'VERITY_E_DATA_DIR',
      `data directory ${quote(dir)} is not empty; choose a new directory or remove it first`,
    );
  }
  await chmod(abs, 0o700);
  const origin = options.origin ?? `verity.local/${toBase64Url(randomBytes(9))}`;
  if (!ORIGIN_RE.test(origin))
    throw new ConfigError(
      'VERITY_E_CONFIG_INVALID',
      `origin ${quote(origin)} must be 1 to 256 printable ASCII characters without spaces`,
    );
  const keysFile = 'keys.json';
  const keys = await SoftwareKeyStore.create(join(abs, keysFile), options.secret, {
    ...(options.kdf === undefined ? {} : { kdf: options.kdf }),
    ...(options.clock === undefined ? {} : { now: () => (options.clock as Clock).now() }),
  });
  const store: DataConfig['store'] =
    options.postgres === undefined ? { kind: 'sqlite', file: 'verity.db' } : { kind: 'postgres', ...options.postgres };
  const draft = {
    format: DATA_FORMAT,
    origin,
    verifierKey: '',
    store,
    keystore: { kind: 'software', file: keysFile },
    unknownTypes: options.unknownTypes ?? 'generic',
    createdAt: new Date().toISOString(),
  } as const;
  const v = await openVerity({
    store: await openStore(abs, draft),
    keys,
    origin,
    unknownTypes: draft.unknownTypes,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const config: DataConfig = { ...draft, verifierKey: v.log.verifierKey };
  await v.close();
  await mkdir(join(abs, 'policies'), { mode: 0o700 });
  await writeFile(join(abs, 'policies', 'verity.cedar'), DEFAULT_POLICIES, { mode: 0o600, flag: 'wx' });
  const tmp = join(abs, `${CONFIG}.tmp`);
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(tmp, join(abs, CONFIG));
  return config;
}

/** Reads and checks `verity.json` of a data directory. */
export async function readDataConfig(dir: string): Promise<DataConfig> {
  const file = join(resolve(dir), CONFIG);
  let text: string;
  try {
    const st = await stat(file);
    if (st.size > 64 * 1024) throw new ConfigError('VERITY_E_CONFIG_INVALID', `${CONFIG} is larger than 64 KiB`);
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    throw new ConfigError(
      'VERITY_E_DATA_DIR',
      `${quote(dir)} is not a Verity data directory; create one with \`verity init --data DIR\``,
      { cause },
    );
  }
  const c = parseJson(text, { maxBytes: 64 * 1024, maxDepth: 4 }, CONFIG) as unknown as DataConfig;
  const ok =
    typeof c === 'object' &&
    c !== null &&
    c.format === DATA_FORMAT &&
    typeof c.origin === 'string' &&
    ORIGIN_RE.test(c.origin) &&
    typeof c.verifierKey === 'string' &&
    (c.store?.kind === 'sqlite'
      ? typeof c.store.file === 'string' && !c.store.file.includes('/')
      : c.store?.kind === 'postgres' &&
        typeof c.store.connectionString === 'string' &&
        typeof c.store.schema === 'string') &&
    c.keystore?.kind === 'software' &&
    typeof c.keystore.file === 'string' &&
    !c.keystore.file.includes('/') &&
    (c.unknownTypes === 'generic' || c.unknownTypes === 'reject');
  if (!ok)
    throw new ConfigError(
      'VERITY_E_CONFIG_INVALID',
      `${CONFIG} in ${quote(dir)} is not a valid ${DATA_FORMAT} configuration`,
    );
  return c;
}

/** Opens a data directory with its key store: everything, writes included. */
export async function openDataDir(dir: string, options: OpenOptions): Promise<Verity & { config: DataConfig }> {
  const abs = resolve(dir);
  const config = await readDataConfig(abs);
  const keys = await SoftwareKeyStore.open(join(abs, config.keystore.file), options.secret, {
    ...(options.clock === undefined ? {} : { now: () => (options.clock as Clock).now() }),
  });
  let store: Store;
  try {
    store = await openStore(abs, config);
  } catch (e) {
    await keys.close();
    throw e;
  }
  const v = await openVerity({
    store,
    keys,
    origin: config.origin,
    unknownTypes: config.unknownTypes,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
  });
  if (v.log.verifierKey !== config.verifierKey) {
    await v.close();
    throw new ConfigError(
      'VERITY_E_CONFIG_INVALID',
      `the log key in the key store differs from the one in ${CONFIG}; the data directory was tampered with`,
    );
  }
  return { ...v, config };
}

/** Opens only the log of a data directory, read-only, without the key store (public commands). */
export async function openDataDirReadOnly(
  dir: string,
): Promise<{ config: DataConfig; store: Store; log: TransparencyLog; close(): Promise<void> }> {
  const abs = resolve(dir);
  const config = await readDataConfig(abs);
  const store = await openStore(abs, config);
  const log = TransparencyLog.openReadOnly(store, { origin: config.origin, verifierKey: config.verifierKey });
  return { config, store, log, close: () => store.close() };
}

/**
 * Reads a policy set: a `.cedar` file, or every `.cedar` file of a directory in name order (as the
 * `policies/` folder of a data directory). At most 1 MiB in all.
 */
export async function readPolicies(path: string): Promise<string> {
  const st = await stat(path).catch((cause: unknown) => {
    throw new ConfigError('VERITY_E_CONFIG_INVALID', `cannot read policies at ${quote(path)}`, { cause });
  });
  const files = st.isDirectory()
    ? (await readdir(path))
        .filter((f) => f.endsWith('.cedar'))
        .sort()
        .map((f) => join(path, f))
    : [path];
  let total = 0;
  const parts: string[] = [];
  for (const f of files) {
    const text = await readFile(f, 'utf8');
    total += text.length;
    if (total > 1024 * 1024) throw new ConfigError('VERITY_E_CONFIG_INVALID', 'the policies are larger than 1 MiB');
    parts.push(text);
  }
  return parts.join('\n');
}
