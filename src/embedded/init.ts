// `verity init`, all or nothing: the data directory and its key file are built in temporary
// siblings and renamed into place only once everything is written, so a failure (PostgreSQL
// unreachable, a bad secret, an error midway, a crash) leaves nothing that blocks a retry.
// Directories are made 0700 and files 0600 explicitly, whatever the umask.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, link, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { DEFAULT_POLICIES } from '../access/index.ts';
import type { Clock } from '../clock/index.ts';
import { toBase64Url } from '../encoding/index.ts';
import { ConfigError, quote } from '../errors/index.ts';
import { type KeyStore, SoftwareKeyStore } from '../keys/index.ts';
import { PolicySets } from '../policies/index.ts';
import { DEFAULT_PRIVACY_POLICY, Privacy, PrivacyPolicy } from '../privacy/index.ts';
import { dropPostgresSchema, postgresSchemaExists } from '../store/index.ts';
import { openVerity } from '../verity/index.ts';
import {
  CONFIG,
  createHsmKeyStore,
  DATA_FORMAT,
  type DataConfig,
  defaultPrivacyPolicyText,
  type HsmConfig,
  type InitOptions,
  ORIGIN_RE,
  openStore,
  PRIVACY_POLICY_FILE,
} from './data-dir.ts';
import { checkPinnedConfig } from './pinned-config.ts';

const KEYS_FILE = 'keys.json';

/** Makes `dir` and any missing parents owner-only; returns the first directory it made. */
async function makeDir(dir: string): Promise<string | undefined> {
  const first = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (first !== undefined)
    for (let d = dir; ; d = dirname(d)) {
      await chmod(d, 0o700);
      if (d === first) break;
    }
  return first;
}

/** A new owner-only file (never overwriting one). */
async function writeSecret(file: string, text: string): Promise<void> {
  await writeFile(file, text, { mode: 0o600, flag: 'wx' });
  await chmod(file, 0o600);
}

async function isEmptyOrAbsent(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
}

/**
 * Creates a data directory: the store (an embedded SQLite file by default), the signed log with
 * its first entry, the default policies and `verity.json`; and the sealed key file, outside the
 * data directory (`DIR.keys/keys.json` unless `keystore` names another place), so that a copy of
 * the data directory alone decrypts nothing. Refuses a non-empty directory or an existing key file.
 */
export async function initDataDir(dir: string, options: InitOptions): Promise<DataConfig> {
  const abs = resolve(dir);
  const origin = options.origin ?? `verity.local/${toBase64Url(randomBytes(9))}`;
  if (!ORIGIN_RE.test(origin))
    throw new ConfigError(
      'VERITY_E_CONFIG_INVALID',
      `origin ${quote(origin)} must be 1 to 256 printable ASCII characters without spaces`,
    );
  if (!(await isEmptyOrAbsent(abs)))
    throw new ConfigError(
      'VERITY_E_DATA_DIR',
      `data directory ${quote(dir)} is not empty; choose a new directory or remove it first`,
    );
  const hsm: HsmConfig | undefined =
    options.hsm === undefined
      ? undefined
      : {
          kind: 'pkcs11',
          module: options.hsm.module,
          token: options.hsm.token,
          namespace: options.hsm.namespace ?? `verity-${randomBytes(6).toString('hex')}`,
        };
  if (hsm !== undefined && options.keystore !== undefined)
    throw new ConfigError('VERITY_E_CONFIG_INVALID', 'choose a key file or an HSM, not both');
  const ownKeyDir = options.keystore === undefined;
  const keysPath = ownKeyDir ? join(`${abs}.keys`, KEYS_FILE) : resolve(options.keystore as string);
  if (keysPath === abs || keysPath.startsWith(abs + sep))
    throw new ConfigError(
      'VERITY_E_CONFIG_INVALID',
      `the key file ${quote(keysPath)} must be outside the data directory, so that a copy of the data directory alone cannot decrypt it`,
    );
  if (hsm === undefined && (existsSync(keysPath) || (ownKeyDir && !(await isEmptyOrAbsent(dirname(keysPath))))))
    throw new ConfigError(
      'VERITY_E_DATA_DIR',
      `${quote(ownKeyDir ? dirname(keysPath) : keysPath)} exists already; choose a new data directory (or --keystore FILE), or remove it first`,
    );

  const undo: (() => Promise<unknown>)[] = [];
  const remove = (path: string) => undo.push(() => rm(path, { recursive: true, force: true }));
  let close: (() => Promise<void>) | undefined;
  try {
    const parent = dirname(abs);
    const madeParent = await makeDir(parent);
    if (madeParent !== undefined) remove(madeParent);
    // Staged next to where they go (same file system, so the renames are atomic); mkdtemp makes 0700.
    const stage = await mkdtemp(join(parent, `.${basename(abs)}.init-`));
    remove(stage);
    let keyStage = '';
    let keys: KeyStore;
    if (hsm !== undefined) {
      // In the token, under a namespace of its own. A failed init leaves these objects behind,
      // under a namespace that nothing names.
      keys = await createHsmKeyStore(hsm, options.secret, options.clock);
    } else {
      if ('pin' in options.secret)
        throw new ConfigError('VERITY_E_CONFIG_INVALID', 'a key file is opened with a passphrase or key, not a PIN');
      const keyHome = ownKeyDir ? parent : dirname(keysPath);
      if (!ownKeyDir) {
        const madeKeyHome = await makeDir(keyHome);
        if (madeKeyHome !== undefined) remove(madeKeyHome);
      }
      keyStage = await mkdtemp(join(keyHome, `.${basename(ownKeyDir ? dirname(keysPath) : keysPath)}.init-`));
      remove(keyStage);
      keys = await SoftwareKeyStore.create(join(keyStage, KEYS_FILE), options.secret, {
        ...(options.kdf === undefined ? {} : { kdf: options.kdf }),
        ...(options.clock === undefined ? {} : { now: () => (options.clock as Clock).now() }),
      });
    }
    close = () => keys.close();
    const store: DataConfig['store'] =
      options.postgres === undefined
        ? { kind: 'sqlite', file: 'verity.db' }
        : { kind: 'postgres', ...options.postgres };
    if (options.postgres !== undefined && !(await postgresSchemaExists(options.postgres))) {
      const pg = options.postgres;
      undo.push(() => dropPostgresSchema(pg));
    }
    const draft = {
      format: DATA_FORMAT,
      origin,
      verifierKey: '',
      store,
      // Relative to the data directory when Verity chose the place, so the pair can move together.
      keystore: hsm ?? { kind: 'software', file: ownKeyDir ? relative(abs, keysPath) : keysPath },
      unknownTypes: options.unknownTypes ?? 'generic',
      createdAt: new Date().toISOString(),
    } as const;
    const opened = await openStore(stage, draft);
    close = () => Promise.all([opened.close(), keys.close()]).then(() => undefined);
    const v = await openVerity({
      store: opened,
      keys,
      origin,
      unknownTypes: draft.unknownTypes,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    close = () => v.close();
    // The privacy policy's first version, installed and logged from the start.
    await Privacy.open({
      store: opened,
      log: v.log,
      policy: PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    // The default Cedar policies, pinned in the state: the files written below decide nothing the
    // state does not hold (D416).
    await new PolicySets({
      store: opened,
      log: v.log,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    }).install(DEFAULT_POLICIES, { actor: 'system:verity' });
    // The rule for types with no schema, pinned likewise (D427).
    await checkPinnedConfig(v, draft, {
      actor: 'system:verity',
      file: CONFIG,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    const config: DataConfig = { ...draft, verifierKey: v.log.verifierKey };
    close = undefined;
    await v.close();
    await mkdir(join(stage, 'policies'), { mode: 0o700 });
    await chmod(join(stage, 'policies'), 0o700);
    await writeSecret(join(stage, 'policies', 'verity.cedar'), DEFAULT_POLICIES);
    await writeSecret(join(stage, 'policies', PRIVACY_POLICY_FILE), defaultPrivacyPolicyText());
    await writeSecret(join(stage, CONFIG), `${JSON.stringify(config, null, 2)}\n`);

    // Into place: the key file first (never over an existing one), then the data directory.
    if (hsm !== undefined) {
      // The keys are in the token already.
    } else if (ownKeyDir) {
      await rename(keyStage, dirname(keysPath));
      remove(dirname(keysPath));
    } else {
      await link(join(keyStage, KEYS_FILE), keysPath);
      undo.push(() => rm(keysPath, { force: true }));
      await rm(keyStage, { recursive: true, force: true });
    }
    await rename(stage, abs);
    return config;
  } catch (e) {
    await close?.().catch(() => undefined);
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw e;
  }
}
