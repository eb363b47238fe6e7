import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Clock } from '../clock/index.ts';
import { parseJson } from '../encoding/index.ts';
import { ConfigError, isVerityError, KeyError, PrivacyError, quote } from '../errors/index.ts';
import { KeyProcess, type KeyProcessOptions, type KeyProcessStoreSpec } from '../keyproc/index.ts';
import { type KeySecret, type KeyStore, Pkcs11KeyStore, SoftwareKeyStore } from '../keys/index.ts';
import { TransparencyLog } from '../log/index.ts';
import { isPolicyFileName } from '../policies/index.ts';
import { DEFAULT_PRIVACY_POLICY, Privacy, PrivacyPolicy } from '../privacy/index.ts';
import { openPostgresStore, openSqliteStore, type Store } from '../store/index.ts';
import { openVerity, type Verity } from '../verity/index.ts';
import { trustedHsmModule } from './hsm-module.ts';
import { checkPinnedConfig } from './pinned-config.ts';

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
  /**
   * The key file: a path relative to the data directory, or absolute. New data directories keep
   * it outside themselves (`../NAME.keys/keys.json` by default), so that a copy of the data
   * directory alone cannot decrypt anything; older ones have `keys.json` inside.
   */
  readonly keystore: { readonly kind: 'software'; readonly file: string } | HsmConfig;
  readonly unknownTypes: 'generic' | 'reject';
  readonly createdAt: string;
}

/**
 * A key store in a PKCS#11 token (D131): the module's path and the token's label are configuration,
 * kept in `verity.json`; the PIN is a secret and comes from the environment or a file.
 */
export interface HsmConfig {
  readonly kind: 'pkcs11';
  readonly module: string;
  readonly token: string;
  /** Prefix of this data directory's object labels in the token. */
  readonly namespace: string;
}

/** The secret that opens a key store: the software key file's passphrase or master key, or an HSM's PIN. */
export type StoreSecret = KeySecret | { readonly pin: string };

export interface InitOptions {
  readonly secret: StoreSecret;
  /** Keep the keys in a PKCS#11 token instead of a key file (`secret` is then the PIN). */
  readonly hsm?: Omit<HsmConfig, 'kind' | 'namespace'> & { readonly namespace?: string };
  /** Where the key file goes (default `keys.json` in the sibling directory `DIR.keys/`); never inside DIR. */
  readonly keystore?: string;
  /** Use PostgreSQL instead of the embedded SQLite file. */
  readonly postgres?: { readonly connectionString: string; readonly schema: string };
  readonly origin?: string;
  readonly unknownTypes?: 'generic' | 'reject';
  /** scrypt parameters for the key file (tests use a small N). */
  readonly kdf?: { readonly N: number; readonly r: number; readonly p: number };
  readonly clock?: Clock;
}

export interface OpenOptions {
  /** The key store's secret; absent with `keyProcess`, whose process reads it from its own environment. */
  readonly secret?: StoreSecret;
  /**
   * Keep the keys in a separate key process (src/keyproc, FGMV-46 7.3.4): this process then never
   * holds the secret, a KEK or the log's signing key.
   */
  readonly keyProcess?: KeyProcessOptions;
  readonly clock?: Clock;
  readonly maxBatch?: number;
  /**
   * The PKCS#11 module the operator names (VERITY_HSM_MODULE): loaded even where someone other than
   * root could have written it; any other module `verity.json` names must be root's (D419).
   */
  readonly hsmModule?: string;
}

export const CONFIG = 'verity.json';
export const ORIGIN_RE = /^[\x21-\x7e]{1,256}$/;

/** The key file of a data directory with a software key store, as its configuration names it. */
export function keystorePath(dir: string, config: DataConfig & { keystore: { kind: 'software' } }): string {
  return resolve(dir, config.keystore.file);
}

const HSM_NAMESPACE_RE = /^[a-z0-9][a-z0-9._-]{0,31}$/;

function validKeystore(k: DataConfig['keystore'] | undefined): boolean {
  if (k?.kind === 'software')
    return typeof k.file === 'string' && k.file.length > 0 && k.file.length <= 4096 && !k.file.includes('\u0000');
  return (
    k?.kind === 'pkcs11' &&
    typeof k.module === 'string' &&
    k.module.length > 0 &&
    k.module.length <= 4096 &&
    !k.module.includes('\u0000') &&
    typeof k.token === 'string' &&
    k.token.length > 0 &&
    k.token.length <= 32 &&
    typeof k.namespace === 'string' &&
    HSM_NAMESPACE_RE.test(k.namespace)
  );
}

function hsmOptions(k: HsmConfig, secret: StoreSecret) {
  if (!('pin' in secret))
    throw new KeyError(
      'VERITY_E_HSM_PIN',
      'this data directory keeps its keys in an HSM: set VERITY_HSM_PIN or VERITY_HSM_PIN_FILE',
    );
  return { module: k.module, tokenLabel: k.token, pin: secret.pin, namespace: k.namespace };
}

/**
 * Opens the key store a data directory's configuration names: the key file (which must exist, kept
 * apart from the data directory) or the PKCS#11 token.
 */
export async function openKeyStore(
  dir: string,
  config: DataConfig,
  secret: StoreSecret,
  clock?: Clock,
  hsmModule?: string,
): Promise<KeyStore> {
  const now = clock === undefined ? {} : { now: () => clock.now() };
  const k = config.keystore;
  if (k.kind === 'pkcs11') {
    const options = hsmOptions(k, secret);
    return Pkcs11KeyStore.open({ ...options, module: await trustedHsmModule(k.module, hsmModule), ...now });
  }
  const keysFile = existingKeyFile(dir, k.file);
  if ('pin' in secret)
    throw new KeyError(
      'VERITY_E_KEY_PASSPHRASE',
      'this data directory keeps its keys in a key file: set VERITY_PASSPHRASE, VERITY_PASSPHRASE_FILE or VERITY_KEY_FILE',
    );
  return SoftwareKeyStore.open(keysFile, secret, now);
}

/** Creates the key store of a new data directory in the PKCS#11 token `k`. */
export function createHsmKeyStore(k: HsmConfig, secret: StoreSecret, clock?: Clock): Promise<Pkcs11KeyStore> {
  return Pkcs11KeyStore.create({
    ...hsmOptions(k, secret),
    ...(clock === undefined ? {} : { now: () => clock.now() }),
  });
}

export async function openStore(dir: string, config: DataConfig): Promise<Store> {
  if (config.store.kind === 'sqlite') return openSqliteStore(join(dir, config.store.file));
  return openPostgresStore({ connectionString: config.store.connectionString, schema: config.store.schema });
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
    validKeystore(c.keystore) &&
    (c.unknownTypes === 'generic' || c.unknownTypes === 'reject');
  if (!ok)
    throw new ConfigError(
      'VERITY_E_CONFIG_INVALID',
      `${CONFIG} in ${quote(dir)} is not a valid ${DATA_FORMAT} configuration`,
    );
  return c;
}

/** The key file `verity.json` names (relative to `dir`), which must exist: it is kept apart from `dir`. */
function existingKeyFile(dir: string, file: string): string {
  const path = resolve(dir, file);
  if (!existsSync(path))
    throw new KeyError(
      'VERITY_E_KEY_NOT_FOUND',
      `the key file ${quote(path)} that ${CONFIG} names is missing; it is kept apart from the data directory (see the README, "Backups"): restore it there from its own backup`,
    );
  return path;
}

/** What the key process opens for a data directory: its key file, or its token (the PIN it reads itself). */
async function keyProcessSpec(dir: string, config: DataConfig, hsmModule?: string): Promise<KeyProcessStoreSpec> {
  const k = config.keystore;
  if (k.kind === 'pkcs11')
    return {
      kind: 'pkcs11',
      module: await trustedHsmModule(k.module, hsmModule),
      token: k.token,
      namespace: k.namespace,
    };
  return { kind: 'software', file: existingKeyFile(dir, k.file), dataDir: dir };
}

function secretOf(options: OpenOptions): StoreSecret {
  if (options.secret === undefined) throw new TypeError('openDataDir needs the secret or keyProcess');
  return options.secret;
}

/** Opens a data directory with its key store: everything, writes included. */
export async function openDataDir(dir: string, options: OpenOptions): Promise<Verity & { config: DataConfig }> {
  const abs = resolve(dir);
  const config = await readDataConfig(abs);
  // The key store (a key process starting, a token opening) and the database open side by side.
  const [k, s] = await Promise.allSettled([
    options.keyProcess !== undefined
      ? keyProcessSpec(abs, config, options.hsmModule).then((spec) =>
          KeyProcess.start(spec, options.keyProcess as KeyProcessOptions),
        )
      : openKeyStore(abs, config, secretOf(options), options.clock, options.hsmModule),
    openStore(abs, config),
  ]);
  if (k.status === 'rejected' || s.status === 'rejected') {
    await Promise.allSettled([
      k.status === 'fulfilled' ? k.value.close() : undefined,
      s.status === 'fulfilled' ? s.value.close() : undefined,
    ]);
    throw k.status === 'rejected' ? k.reason : (s as PromiseRejectedResult).reason;
  }
  const keys = k.value;
  const store: Store = s.value;
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
  try {
    await checkPinnedConfig(v, config, {
      actor: 'system:verity',
      file: join(abs, CONFIG),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
  } catch (e) {
    await v.close();
    throw e;
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
  const files = st.isDirectory() ? (await policyFiles(path)).map((f) => join(path, f)) : [path];
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

/**
 * The `.cedar` files of a policy folder, in name order. A `.cedar` file named otherwise (hidden,
 * say: `ls` does not show it) is refused, not skipped nor read: it would be installed unseen (D420).
 */
export async function policyFiles(folder: string): Promise<string[]> {
  const names = (await readdir(folder)).filter((f) => f.endsWith('.cedar')).sort();
  const odd = names.find((f) => !isPolicyFileName(f));
  if (odd !== undefined)
    throw new ConfigError(
      'VERITY_E_CONFIG_INVALID',
      `the policy file ${quote(odd)} in ${quote(folder)} is not named as policy files are (lowercase letters, digits and \`._-\`, not starting with a dot, ending in .cedar): rename or remove it`,
    );
  return names;
}

/** The privacy policy file of a data directory, beside the Cedar policies. */
export const PRIVACY_POLICY_FILE = 'privacy-policy.json';

/** The default privacy policy as `verity init` writes it. */
export function defaultPrivacyPolicyText(): string {
  return `${JSON.stringify(DEFAULT_PRIVACY_POLICY, null, 2)}\n`;
}

/**
 * Reads and checks a privacy policy file (at most 1 MiB); an invalid one is refused with
 * VERITY_E_POLICY_DOCUMENT_INVALID naming the file and the JSON pointer of the fault.
 */
export async function readPrivacyPolicy(file: string): Promise<PrivacyPolicy> {
  const st = await stat(file).catch((cause: unknown) => {
    throw new ConfigError('VERITY_E_CONFIG_INVALID', `cannot read the privacy policy at ${quote(file)}`, { cause });
  });
  if (st.size > 1024 * 1024)
    throw new PrivacyError(
      'VERITY_E_POLICY_DOCUMENT_INVALID',
      `the privacy policy ${quote(file)} is larger than 1 MiB`,
    );
  const text = await readFile(file);
  try {
    return PrivacyPolicy.parse(new Uint8Array(text));
  } catch (e) {
    if (isVerityError(e, 'VERITY_E_POLICY_DOCUMENT_INVALID'))
      throw new PrivacyError('VERITY_E_POLICY_DOCUMENT_INVALID', `${quote(file)}: ${e.message}`, {
        ...(e.details === undefined ? {} : { details: { ...e.details } }),
      });
    throw e;
  }
}

/** The privacy policy of a data directory (DIR/policies/privacy-policy.json; the default without one). */
export async function dataDirPrivacyPolicy(dir: string): Promise<PrivacyPolicy> {
  const file = join(resolve(dir), 'policies', PRIVACY_POLICY_FILE);
  return existsSync(file) ? readPrivacyPolicy(file) : PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY);
}

/**
 * The privacy capability of an open data directory: its file checked (an invalid one is refused),
 * the version in force kept (D416: `verity policy install` puts a new version of the file in
 * force); the file's version is installed only where none is in force yet.
 */
export async function openPrivacy(
  v: Pick<Verity, 'store' | 'log'>,
  dir: string,
  options: { clock?: Clock; actor?: string } = {},
): Promise<Privacy> {
  return Privacy.open({
    store: v.store,
    log: v.log,
    policy: await dataDirPrivacyPolicy(dir),
    keepInForce: true,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.actor === undefined ? {} : { actor: options.actor }),
  });
}
