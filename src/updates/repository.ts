// The repository side of updates (FGMV-46 7.3.5): a TUF repository of policies, record-type
// schemas and PII recognizer data, made and signed with @tufjs/models (the metadata classes of
// tuf-js). Keys are Ed25519 from node:crypto, each private key a PKCS#8 PEM encrypted under the
// repository's passphrase (PBES2: PBKDF2 and AES-256-CBC, as node:crypto writes it), one
// file per key id, kept in a folder apart from what is published.
//
//   REPO/metadata/  published: N.root.json, root.json (the newest), timestamp.json,
//                   N.snapshot.json, N.targets.json (consistent snapshots, TUF 1.0 5.1)
//   REPO/targets/   published: DIR/SHA256.NAME for target DIR/NAME
//   KEYS/           private: KEYID.pem (default REPO/keys; keep root keys offline)

import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Key,
  Metadata,
  MetadataKind,
  MetaFile,
  Root,
  Signature,
  Snapshot,
  TargetFile,
  Targets,
  Timestamp,
} from '@tufjs/models';
import { type Clock, systemClock } from '../clock/index.ts';
import { canonicalJson, parseJson } from '../encoding/index.ts';
import { quote, UpdateError } from '../errors/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import { checkTargetPath } from './content.ts';

/** The four top-level roles. */
export const ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type Role = (typeof ROLES)[number];

/** Seconds each role's metadata stays valid once signed. */
export type Expiry = Readonly<Record<Role, number>>;

/** A year for root, three months for targets, a week for snapshot, a day for timestamp. */
export const DEFAULT_EXPIRY: Expiry = Object.freeze({
  root: 365 * 86400,
  targets: 90 * 86400,
  snapshot: 7 * 86400,
  timestamp: 86400,
});

/** TUF specification version written into new metadata. */
const SPEC_VERSION = '1.0.31';
/** Largest metadata file the tooling reads back (tuf-js's own default caps are larger). */
const MAX_METADATA_BYTES = 512 * 1024;
/** Largest target file the tooling adds. */
export const MAX_TARGET_BYTES = 16 * 1024 * 1024;
const MAX_KEYS_PER_ROLE = 16;

type AnyMetadata = Metadata<Root> | Metadata<Targets> | Metadata<Snapshot> | Metadata<Timestamp>;

export interface RepositoryOptions {
  /** Encrypts the private keys. */
  readonly passphrase: string;
  /** Where the private keys are (default REPO/keys). */
  readonly keysDir?: string;
  readonly clock?: Clock;
  readonly expiry?: Partial<Expiry>;
}

export interface InitOptions extends RepositoryOptions {
  /** Keys made for each role (default 1; root often 3). */
  readonly keys?: Partial<Record<Role, number>>;
  /** Signatures each role needs (default 1). */
  readonly thresholds?: Partial<Record<Role, number>>;
}

function repoError(message: string, cause?: unknown): UpdateError {
  return new UpdateError('VERITY_E_UPDATE_REPOSITORY', message, cause === undefined ? undefined : { cause });
}

/** The key id TUF implementations use: SHA-256 of the key's canonical JSON. */
function keyIdOf(key: { keyType: string; scheme: string; keyVal: Record<string, string> }): string {
  const json = canonicalJson({ keytype: key.keyType, scheme: key.scheme, keyval: key.keyVal });
  return createHash('sha256').update(json).digest('hex');
}

/** The TUF key object of an Ed25519 public key (raw 32 bytes, hex, as the specification's ed25519 scheme). */
export function tufKeyOf(publicKey: KeyObject): Key {
  const raw = publicKey.export({ format: 'jwk' }).x;
  if (raw === undefined) throw repoError('the key is not an Ed25519 public key');
  const pub = Buffer.from(raw, 'base64url').toString('hex');
  const base = { keyType: 'ed25519', scheme: 'ed25519', keyVal: { public: pub } };
  return new Key({ keyID: keyIdOf(base), ...base });
}

/** ISO 8601 without milliseconds, as TUF writes `expires`. */
function expiresAt(now: number, seconds: number): string {
  return new Date(Math.floor(now / 1000) * 1000 + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Writes a published file whole and durably, readable by the web server that serves it. */
function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  return writeFileAtomic(file, data, { mode: 0o644, mkdirMode: 0o755 });
}

/**
 * A TUF repository on disk: makes, signs and publishes metadata. Each change publishes new
 * versions of what it touches and of everything above it (targets, then snapshot, then timestamp),
 * so a client always finds a consistent set.
 */
export class TufRepository {
  readonly dir: string;
  readonly metadataDir: string;
  readonly targetsDir: string;
  readonly keysDir: string;
  readonly #passphrase: string;
  readonly #clock: Clock;
  readonly #expiry: Expiry;

  private constructor(dir: string, o: RepositoryOptions) {
    if (typeof o.passphrase !== 'string' || o.passphrase.length < 8)
      throw repoError('the repository passphrase must have at least 8 characters');
    this.dir = dir;
    this.metadataDir = join(dir, 'metadata');
    this.targetsDir = join(dir, 'targets');
    this.keysDir = o.keysDir ?? join(dir, 'keys');
    this.#passphrase = o.passphrase;
    this.#clock = o.clock ?? systemClock;
    this.#expiry = { ...DEFAULT_EXPIRY, ...o.expiry };
    for (const r of ROLES) {
      const s = this.#expiry[r];
      if (!Number.isSafeInteger(s) || s < 1 || s > 10 * 365 * 86400)
        throw new RangeError(`the ${r} expiry must be 1 second to 10 years`);
    }
  }

  /**
   * Creates a repository: keys for each role, root, targets (empty), snapshot and timestamp, each
   * version 1. Refuses a folder that holds metadata already.
   *
   * @example
   * const repo = await TufRepository.init('repo', { passphrase, keys: { root: 3 }, thresholds: { root: 2 } });
   * await repo.addTargets([{ path: 'policies/verity.cedar', data }]);
   */
  static async init(dir: string, o: InitOptions): Promise<TufRepository> {
    const repo = new TufRepository(dir, o);
    if (existsSync(join(repo.metadataDir, '1.root.json')))
      throw repoError(`${quote(dir)} holds a TUF repository already; open it instead`);
    const now = repo.#clock.now();
    const root = new Root({
      version: 1,
      specVersion: SPEC_VERSION,
      expires: expiresAt(now, repo.#expiry.root),
      consistentSnapshot: true,
    });
    for (const role of ROLES) {
      const count = o.keys?.[role] ?? 1;
      const threshold = o.thresholds?.[role] ?? 1;
      if (!Number.isSafeInteger(count) || count < 1 || count > MAX_KEYS_PER_ROLE)
        throw new RangeError(`the ${role} role takes 1 to ${MAX_KEYS_PER_ROLE} keys`);
      if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > count)
        throw new RangeError(`the ${role} threshold must be 1 to its number of keys (${count})`);
      (root.roles[role] as { threshold: number }).threshold = threshold;
      for (let i = 0; i < count; i++) root.addKey(await repo.newKey(), role);
    }
    const rootMd = new Metadata(root);
    await repo.#signAndWrite(rootMd, 'root', root);
    const targets = new Metadata(
      new Targets({ version: 1, specVersion: SPEC_VERSION, expires: expiresAt(now, repo.#expiry.targets) }),
    );
    await repo.#publishChain(rootMd, targets);
    return repo;
  }

  /** Opens an existing repository (its newest root must be there). */
  static async open(dir: string, o: RepositoryOptions): Promise<TufRepository> {
    const repo = new TufRepository(dir, o);
    if (!existsSync(join(repo.metadataDir, 'root.json')))
      throw repoError(`${quote(dir)} is not a TUF repository; create one with \`verity updates repo-init\``);
    return repo;
  }

  /** Makes a new Ed25519 key, stores its private half (encrypted) and returns its TUF key. */
  async newKey(): Promise<Key> {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const key = tufKeyOf(publicKey);
    const pem = privateKey.export({
      format: 'pem',
      type: 'pkcs8',
      cipher: 'aes-256-cbc',
      passphrase: this.#passphrase,
    });
    await mkdir(this.keysDir, { recursive: true, mode: 0o700 });
    await chmod(this.keysDir, 0o700);
    await writeFile(join(this.keysDir, `${key.keyID}.pem`), pem, { mode: 0o600, flag: 'wx' });
    return key;
  }

  /** The private keys present for `keyIds` (missing ones are skipped: they may be offline). */
  async #privateKeys(keyIds: readonly string[]): Promise<{ keyId: string; key: KeyObject }[]> {
    const out: { keyId: string; key: KeyObject }[] = [];
    for (const keyId of keyIds) {
      if (!/^[0-9a-f]{64}$/.test(keyId)) continue;
      const file = join(this.keysDir, `${keyId}.pem`);
      if (!existsSync(file)) continue;
      try {
        out.push({ keyId, key: createPrivateKey({ key: await readFile(file, 'utf8'), passphrase: this.#passphrase }) });
      } catch (cause) {
        throw repoError(`the key ${keyId.slice(0, 16)} does not open with this passphrase`, cause);
      }
    }
    return out;
  }

  /** Reads published metadata: `root.json`, `timestamp.json`, `N.snapshot.json`, ... */
  async read(name: string): Promise<unknown> {
    const file = join(this.metadataDir, name);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (cause) {
      throw repoError(`the repository has no ${quote(name)}`, cause);
    }
    return parseJson(new Uint8Array(bytes), { maxBytes: MAX_METADATA_BYTES, maxDepth: 16 }, name);
  }

  /** The newest root. */
  async root(): Promise<Metadata<Root>> {
    return Metadata.fromJSON(MetadataKind.Root, (await this.read('root.json')) as never) as Metadata<Root>;
  }

  /** The newest timestamp, snapshot and targets. */
  async current(): Promise<{
    timestamp: Metadata<Timestamp>;
    snapshot: Metadata<Snapshot>;
    targets: Metadata<Targets>;
  }> {
    const timestamp = Metadata.fromJSON(
      MetadataKind.Timestamp,
      (await this.read('timestamp.json')) as never,
    ) as Metadata<Timestamp>;
    const snapshot = Metadata.fromJSON(
      MetadataKind.Snapshot,
      (await this.read(`${timestamp.signed.snapshotMeta.version}.snapshot.json`)) as never,
    ) as Metadata<Snapshot>;
    const tv = snapshot.signed.meta['targets.json']?.version;
    if (tv === undefined) throw repoError('the snapshot names no targets.json');
    const targets = Metadata.fromJSON(
      MetadataKind.Targets,
      (await this.read(`${tv}.targets.json`)) as never,
    ) as Metadata<Targets>;
    return { timestamp, snapshot, targets };
  }

  /**
   * Signs `md` with every key of `role` that the root names and this repository holds; refuses
   * when that is fewer than the role's threshold. `root` is the root that names the keys (the
   * newest by default).
   */
  async signRole(md: AnyMetadata, role: Role, root?: Root): Promise<void> {
    const r = root ?? (await this.root()).signed;
    const spec = r.roles[role];
    if (spec === undefined) throw repoError(`the root has no ${role} role`);
    const keys = await this.#privateKeys(spec.keyIDs);
    if (keys.length < spec.threshold)
      throw repoError(
        `the ${role} role needs ${spec.threshold} signature(s) and this repository holds ${keys.length} of its keys; bring the others (or sign where they are)`,
      );
    for (const { keyId, key } of keys)
      md.sign((data) => new Signature({ keyID: keyId, sig: sign(null, data, key).toString('hex') }), true);
  }

  /** Writes metadata as the TUF HTTP layout names it (root also as `root.json`, timestamp only so). */
  async write(md: AnyMetadata): Promise<void> {
    const text = `${JSON.stringify(md.toJSON(), null, 1)}\n`;
    const type = md.signed.type as Role;
    if (type === 'timestamp') return writeAtomic(join(this.metadataDir, 'timestamp.json'), text);
    await writeAtomic(join(this.metadataDir, `${md.signed.version}.${type}.json`), text);
    if (type === 'root') await writeAtomic(join(this.metadataDir, 'root.json'), text);
  }

  async #signAndWrite(md: AnyMetadata, role: Role, root?: Root): Promise<void> {
    await this.signRole(md, role, root);
    await this.write(md);
  }

  #bump<T extends Root | Targets | Snapshot | Timestamp>(signed: T, role: Role): { version: number; expires: string } {
    return { version: signed.version + 1, expires: expiresAt(this.#clock.now(), this.#expiry[role]) };
  }

  /**
   * Publishes `targets` (already given its new version), then a snapshot and a timestamp that name
   * it: the order clients never see half of, since the timestamp is written last.
   */
  async #publishChain(rootMd: Metadata<Root>, targets: Metadata<Targets>, resign = true): Promise<void> {
    const root = rootMd.signed;
    if (resign) {
      targets.signatures = {};
      await this.#signAndWrite(targets, 'targets', root);
    } else await this.write(targets);
    const now = this.#clock.now();
    const prevSnap = existsSync(join(this.metadataDir, 'timestamp.json'))
      ? (await this.current()).snapshot.signed
      : undefined;
    const snapshot = new Metadata(
      new Snapshot({
        version: (prevSnap?.version ?? 0) + 1,
        specVersion: SPEC_VERSION,
        expires: expiresAt(now, this.#expiry.snapshot),
        meta: { 'targets.json': new MetaFile({ version: targets.signed.version }) },
      }),
    );
    await this.#signAndWrite(snapshot, 'snapshot', root);
    await this.publishTimestamp(snapshot.signed.version, root);
  }

  /**
   * Publishes targets metadata signed elsewhere (where the targets keys are kept offline), as it
   * is, with a new snapshot and timestamp. The client checks its signatures against the root.
   */
  async publishSignedTargets(targets: Metadata<Targets>): Promise<void> {
    await this.#publishChain(await this.root(), targets, false);
  }

  /** Signs and writes a new timestamp naming snapshot `snapshotVersion` (default: the current one). */
  async publishTimestamp(snapshotVersion?: number, root?: Root): Promise<Metadata<Timestamp>> {
    const prev = existsSync(join(this.metadataDir, 'timestamp.json'))
      ? (Metadata.fromJSON(MetadataKind.Timestamp, (await this.read('timestamp.json')) as never) as Metadata<Timestamp>)
      : undefined;
    const version = snapshotVersion ?? prev?.signed.snapshotMeta.version;
    if (version === undefined) throw repoError('there is no snapshot to timestamp');
    const ts = new Metadata(
      new Timestamp({
        version: (prev?.signed.version ?? 0) + 1,
        specVersion: SPEC_VERSION,
        expires: expiresAt(this.#clock.now(), this.#expiry.timestamp),
        snapshotMeta: new MetaFile({ version }),
      }),
    );
    await this.#signAndWrite(ts, 'timestamp', root);
    return ts;
  }

  /**
   * Adds (or replaces) targets: each file is written as `DIR/SHA256.NAME`, then new targets,
   * snapshot and timestamp versions are published. Paths are checked against what Verity applies.
   */
  async addTargets(files: readonly { readonly path: string; readonly data: Uint8Array }[]): Promise<number> {
    const { targets } = await this.current();
    for (const f of files) {
      checkTargetPath(f.path);
      if (f.data.byteLength > MAX_TARGET_BYTES)
        throw repoError(`target ${quote(f.path)} is larger than ${MAX_TARGET_BYTES} bytes`);
      const sha256 = createHash('sha256').update(f.data).digest('hex');
      const slash = f.path.lastIndexOf('/');
      const published = join(this.targetsDir, f.path.slice(0, slash), `${sha256}.${f.path.slice(slash + 1)}`);
      await writeAtomic(published, f.data);
      targets.signed.targets[f.path] = new TargetFile({ path: f.path, length: f.data.byteLength, hashes: { sha256 } });
    }
    return this.#republishTargets(targets);
  }

  /** Removes targets by path and publishes new targets, snapshot and timestamp versions. */
  async removeTargets(paths: readonly string[]): Promise<number> {
    const { targets } = await this.current();
    for (const p of paths) {
      if (!Object.hasOwn(targets.signed.targets, p)) throw repoError(`the repository has no target ${quote(p)}`);
      delete targets.signed.targets[p];
    }
    return this.#republishTargets(targets);
  }

  /** Signs the current targets again (a new version, a new expiry) with snapshot and timestamp. */
  async resign(): Promise<number> {
    const { targets } = await this.current();
    return this.#republishTargets(targets);
  }

  async #republishTargets(old: Metadata<Targets>): Promise<number> {
    const next = new Metadata(
      new Targets({ ...this.#bump(old.signed, 'targets'), specVersion: SPEC_VERSION, targets: old.signed.targets }),
    );
    await this.#publishChain(await this.root(), next);
    return next.signed.version;
  }

  /**
   * Replaces keys of a role: `remove` (key ids, or their first 16 hex digits) leave, `add` new keys
   * join, and the threshold may change. A new root version is published, signed by a threshold of
   * the old root keys and of the new ones (TUF 1.0 5.3.4), then targets, snapshot and timestamp are
   * signed again under it.
   */
  async rotateKeys(
    role: Role,
    change: { readonly remove?: readonly string[]; readonly add?: number; readonly threshold?: number },
  ): Promise<{ rootVersion: number; added: string[]; removed: string[] }> {
    const old = await this.root();
    const spec = old.signed.roles[role];
    if (spec === undefined) throw repoError(`the root has no ${role} role`);
    const removed: string[] = [];
    for (const r of change.remove ?? []) {
      const hit = spec.keyIDs.filter((k) => k.startsWith(r.toLowerCase()));
      if (r.length < 16 || hit.length !== 1)
        throw repoError(`the ${role} role has no one key ${quote(r)} (give 16 hex digits or more)`);
      removed.push(hit[0] as string);
    }
    const nextJson = old.signed.toJSON() as Record<string, unknown>;
    const next = Root.fromJSON(nextJson as never);
    const { version, expires } = this.#bump(old.signed, 'root');
    const rolled = new Root({
      version,
      expires,
      specVersion: SPEC_VERSION,
      consistentSnapshot: true,
      keys: next.keys,
      roles: next.roles,
    });
    const nextSpec = rolled.roles[role] as { keyIDs: string[]; threshold: number };
    nextSpec.keyIDs = nextSpec.keyIDs.filter((k) => !removed.includes(k));
    const added: string[] = [];
    const count = change.add ?? 0;
    if (!Number.isSafeInteger(count) || count < 0 || count > MAX_KEYS_PER_ROLE)
      throw new RangeError('add 0 to 16 keys');
    for (let i = 0; i < count; i++) {
      const k = await this.newKey();
      rolled.addKey(k, role);
      added.push(k.keyID);
    }
    if (change.threshold !== undefined) nextSpec.threshold = change.threshold;
    if (nextSpec.keyIDs.length > MAX_KEYS_PER_ROLE)
      throw new RangeError(`the ${role} role takes at most ${MAX_KEYS_PER_ROLE} keys`);
    if (
      !Number.isSafeInteger(nextSpec.threshold) ||
      nextSpec.threshold < 1 ||
      nextSpec.threshold > nextSpec.keyIDs.length
    )
      throw repoError(
        `the ${role} threshold (${nextSpec.threshold}) must be 1 to its number of keys (${nextSpec.keyIDs.length})`,
      );
    // Keys no role uses any more leave the root.
    const used = new Set(Object.values(rolled.roles).flatMap((r) => r.keyIDs));
    for (const k of Object.keys(rolled.keys)) if (!used.has(k)) delete rolled.keys[k];
    const md = new Metadata(rolled);
    // Signed by the old root's keys (the client checks the old threshold) and the new ones.
    await this.signRole(md, 'root', old.signed);
    const oldIds = new Set(old.signed.roles['root']?.keyIDs);
    const fresh = (rolled.roles['root']?.keyIDs ?? []).filter((k) => !oldIds.has(k));
    for (const { keyId, key } of await this.#privateKeys(fresh))
      md.sign((data) => new Signature({ keyID: keyId, sig: sign(null, data, key).toString('hex') }), true);
    const have = Object.keys(md.signatures).filter((k) => rolled.roles['root']?.keyIDs.includes(k)).length;
    if (have < (rolled.roles['root']?.threshold ?? 1))
      throw repoError('the new root is not signed by a threshold of its own keys; bring the keys');
    await this.write(md);
    const { targets } = await this.current();
    await this.#republishTargets(targets);
    return { rootVersion: rolled.version, added, removed };
  }

  /** The published target files and their key files, for listings. */
  async listKeys(): Promise<string[]> {
    if (!existsSync(this.keysDir)) return [];
    return (await readdir(this.keysDir)).filter((f) => f.endsWith('.pem')).map((f) => f.slice(0, -4));
  }
}
