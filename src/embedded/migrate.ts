// `verity keys migrate`: moves a data directory's keys between the software key file and a PKCS#11
// token (D133). Every subject data key is re-wrapped from one store to the other, in logged batches;
// the named signing, MAC and EVM keys (the log's key, subject references, pseudonyms, chain
// accounts) must be the same keys in both, since a new log key would break every checkpoint's
// signature, a new MAC key every stored subject reference, and a new EVM key would lose the
// account that holds the contracts' roles and the wallets' funds. Software to HSM imports them; HSM to software needs a key file
// that holds them already (the one the data directory came from), since a token never lets them out.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { join, resolve, sep } from 'node:path';
import type { Clock } from '../clock/index.ts';
import { ConfigError, KeyError, quote } from '../errors/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import { type KeySecret, type KeyStore, Pkcs11KeyStore, SoftwareKeyStore, wipeNamedKeys } from '../keys/index.ts';
import { CONFIG, type DataConfig, type HsmConfig, openDataDir, readDataConfig, type StoreSecret } from './data-dir.ts';

export interface MigrateOptions {
  /** Opens the current key store. */
  readonly secret: StoreSecret;
  /** The new key store: a token (with its PIN), or an existing key file (with its secret). */
  readonly to:
    | {
        readonly kind: 'pkcs11';
        readonly module: string;
        readonly token: string;
        readonly namespace?: string;
        readonly pin: string;
      }
    | { readonly kind: 'software'; readonly file: string; readonly secret: KeySecret };
  readonly actor: string;
  readonly clock?: Clock;
}

export interface MigrateResult {
  readonly from: 'software' | 'pkcs11';
  readonly to: 'software' | 'pkcs11';
  readonly kekVersion: number;
  readonly rewrapped: number;
  readonly keystore: DataConfig['keystore'];
}

/** Writes `verity.json` anew, atomically and durably. */
async function writeConfig(dir: string, config: DataConfig): Promise<void> {
  await writeFileAtomic(join(dir, CONFIG), `${JSON.stringify(config, null, 2)}\n`);
}

/** Checks that the key file holds every named key of the token, the same keys. */
async function checkSameNamedKeys(token: Pkcs11KeyStore, file: SoftwareKeyStore): Promise<void> {
  const have = await file.exportNamedKeys();
  const want = await token.namedKeys();
  const probe = randomBytes(32);
  try {
    for (const s of want.signing) {
      const f = have.signing.find((x) => x.name === s.name);
      if (f === undefined || !timingSafeEqual(f.publicKey, s.publicKey))
        throw new KeyError(
          'VERITY_E_KEY_NOT_FOUND',
          `the key file lacks the token's signing key ${quote(s.name)}, which cannot leave the token; migrate to the key file this data directory came from`,
        );
    }
    for (const name of want.mac) {
      if (
        !have.mac.some((x) => x.name === name) ||
        !timingSafeEqual(await file.mac(name, probe), await token.mac(name, probe))
      )
        throw new KeyError(
          'VERITY_E_KEY_NOT_FOUND',
          `the key file lacks the token's MAC key ${quote(name)}, which cannot leave the token; migrate to the key file this data directory came from`,
        );
    }
    for (const e of want.evm) {
      const f = have.evm.find((x) => x.name === e.name);
      if (f === undefined || !timingSafeEqual(f.publicKey, e.publicKey))
        throw new KeyError(
          'VERITY_E_KEY_NOT_FOUND',
          `the key file lacks the token's EVM key ${quote(e.name)} (a chain account), which cannot leave the token; migrate to the key file this data directory came from`,
        );
    }
  } finally {
    wipeNamedKeys(have);
  }
}

/**
 * Moves the keys of data directory `dir` to another key store, re-wrapping every subject key and
 * logging it (`key.migrate`, then `key.rewrap` per batch), then points `verity.json` at the new
 * store. Run it with the server stopped. The old store is left as it was: delete the old key file
 * and its backups (or the token's objects) once the data directory opens with the new one.
 */
export async function migrateKeyStore(dir: string, options: MigrateOptions): Promise<MigrateResult> {
  const abs = resolve(dir);
  const config = await readDataConfig(abs);
  const from = config.keystore.kind;
  if (from === options.to.kind)
    throw new ConfigError('VERITY_E_CONFIG_INVALID', `the data directory's keys are in a ${from} key store already`);
  const clock = options.clock;
  const v = await openDataDir(abs, { secret: options.secret, ...(clock === undefined ? {} : { clock }) });
  let target: KeyStore | undefined;
  try {
    const top = Math.max(0, ...(await v.keys.listKeks()).map((k) => k.version));
    let keystore: DataConfig['keystore'];
    if (options.to.kind === 'pkcs11') {
      if (!(v.keys instanceof SoftwareKeyStore)) throw new TypeError('the current key store is not a key file');
      const hsm: HsmConfig = {
        kind: 'pkcs11',
        module: options.to.module,
        token: options.to.token,
        namespace: options.to.namespace ?? `verity-${randomBytes(6).toString('hex')}`,
      };
      const named = await v.keys.exportNamedKeys();
      try {
        const t = await Pkcs11KeyStore.create({
          module: hsm.module,
          tokenLabel: hsm.token,
          pin: options.to.pin,
          namespace: hsm.namespace,
          firstKekVersion: top + 1,
          ...(clock === undefined ? {} : { now: () => clock.now() }),
        });
        target = t;
        await t.importNamedKeys(named);
      } finally {
        wipeNamedKeys(named);
      }
      keystore = hsm;
    } else {
      if (!(v.keys instanceof Pkcs11KeyStore)) throw new TypeError('the current key store is not in an HSM');
      const file = resolve(options.to.file);
      if (file === abs || file.startsWith(abs + sep))
        throw new ConfigError(
          'VERITY_E_CONFIG_INVALID',
          `the key file ${quote(file)} must be outside the data directory, so that a copy of the data directory alone cannot decrypt it`,
        );
      const t = await SoftwareKeyStore.open(
        file,
        options.to.secret,
        clock === undefined ? {} : { now: () => clock.now() },
      );
      target = t;
      await checkSameNamedKeys(v.keys, t);
      // Above every version of the token, so that a row's version says which store wrapped it.
      while ((await t.currentKekVersion()) <= top) await t.rotateKek();
      keystore = { kind: 'software', file };
    }
    const r = await v.vault.migrateKeys(target, { actor: options.actor, purpose: 'security' });
    // The key file's older KEKs wrap nothing of this data directory: destroy them, so that an old
    // copy of its database cannot be opened with this file.
    for (const k of await target.listKeks()) if (k.state === 'retired') await target.destroyKek(k.version);
    await writeConfig(abs, { ...config, keystore });
    return { from, to: options.to.kind, kekVersion: r.kekVersion, rewrapped: r.rewrapped, keystore };
  } finally {
    await target?.close();
    await v.close();
  }
}
