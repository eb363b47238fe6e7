// The TUF side of updates: the trusted repository (its root metadata and URLs under
// DIR/updates/config.json and DIR/updates/tuf/), tuf-js's refresh of the metadata, and the targets
// it lists, with tuf-js's failures turned into Verity's codes.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, MetadataKind, type Root, type Snapshot, type Targets } from '@tufjs/models';
import { Updater } from 'tuf-js';
import { parseJson } from '../encoding/index.ts';
import { quote, UpdateError } from '../errors/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import { checkTargetPath, MAX_TARGETS } from './content.ts';

const CONFIG_FORMAT = 'verity-updates/1';
/** Largest target Verity downloads (a PII dictionary file is the largest kind, about 2 MiB). */
const MAX_TARGET_BYTES = 16 * 1024 * 1024;
/** The client's caps on metadata, below tuf-js's defaults: a Verity repository is small. */
const TUF_LIMITS = {
  rootMaxLength: 256 * 1024,
  timestampMaxLength: 16 * 1024,
  snapshotMaxLength: 256 * 1024,
  targetsMaxLength: 1024 * 1024,
  maxRootRotations: 64,
  maxDelegations: 8,
  fetchTimeout: 30_000,
  fetchRetry: 0,
};

/** Where the repository is. */
export interface UpdatesConfig {
  readonly format: typeof CONFIG_FORMAT;
  readonly metadataUrl: string;
  readonly targetsUrl: string;
}

/** One applied target. */
export interface ManifestEntry {
  readonly path: string;
  readonly length: number;
  readonly sha256: string;
}

/** What a set is: the snapshot it came from and its targets. */
export interface Manifest {
  readonly id: string;
  /** The TUF snapshot version (0 for `base`). */
  readonly snapshot: number;
  readonly targets: readonly ManifestEntry[];
}

/** Writes a file of the update client whole and durably (owner-only, its folder made owner-only). */
export function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  return writeFileAtomic(file, data, { mkdirMode: 0o700 });
}

export async function readJsonFile(file: string, what: string, maxBytes = 1024 * 1024): Promise<unknown> {
  return parseJson(new Uint8Array(await readFile(file)), { maxBytes, maxDepth: 16 }, what);
}

export function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Checks a repository URL: http(s), no credentials, no query. */
function checkUrl(url: string, what: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UpdateError('VERITY_E_UPDATE_NOT_CONFIGURED', `the ${what} URL ${quote(url)} is not a URL`);
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.username !== '' || u.password !== '' || u.search !== '')
    throw new UpdateError(
      'VERITY_E_UPDATE_NOT_CONFIGURED',
      `the ${what} URL ${quote(url)} must be http(s) without credentials or query`,
    );
  return u.href.endsWith('/') ? u.href : `${u.href}/`;
}

/**
 * Turns what tuf-js throws into Verity's codes: a repository that cannot be reached is
 * VERITY_E_UPDATE_UNREACHABLE; anything the verification refused (expired, rolled back, too few
 * signatures, wrong hash or length, a snapshot that does not match) is VERITY_E_UPDATE_REFUSED.
 */
export function tufError(e: unknown, step: string): UpdateError {
  if (e instanceof UpdateError) return e;
  const name = e instanceof Error ? e.constructor.name : 'Error';
  const message = e instanceof Error ? e.message : String(e);
  const unreachable =
    name === 'DownloadHTTPError' ||
    (e instanceof TypeError && /fetch failed/.test(message)) ||
    /DownloadHTTPError|Failed to download|fetch failed|ECONNREFUSED/.test(message);
  const text = `${name}: ${message}`.replace(/\s+/g, ' ').slice(0, 240);
  return unreachable
    ? new UpdateError(
        'VERITY_E_UPDATE_UNREACHABLE',
        `the update repository could not be read (${step}: ${text}); check that it is served, nothing was applied`,
        { cause: e },
      )
    : new UpdateError(
        'VERITY_E_UPDATE_REFUSED',
        `the update was refused (${step}: ${text}); nothing was applied, the last verified metadata stays trusted`,
        { cause: e },
      );
}

/**
 * Trusts a repository: its root metadata (obtained out of band; its keys are the trust anchor)
 * and its URLs. Replaces what was trusted before only with `replace`.
 */
export async function trustRepository(
  dir: string,
  o: { root: Uint8Array; metadataUrl: string; targetsUrl: string; replace?: boolean },
): Promise<{ rootVersion: number; keys: number }> {
  const base = join(dir, 'updates');
  const tuf = join(base, 'tuf');
  if (existsSync(join(tuf, 'root.json')) && o.replace !== true)
    throw new UpdateError(
      'VERITY_E_UPDATE_NOT_CONFIGURED',
      'a repository is trusted already; pass --replace to trust another one',
    );
  let root: Metadata<Root>;
  try {
    const json = parseJson(o.root, { maxBytes: TUF_LIMITS.rootMaxLength, maxDepth: 16 }, 'root.json');
    root = Metadata.fromJSON(MetadataKind.Root, json as never);
    // The trust anchor must at least be signed by a threshold of its own keys.
    root.verifyDelegate('root', root);
  } catch (cause) {
    throw new UpdateError(
      'VERITY_E_UPDATE_REFUSED',
      'the root metadata is not a TUF root signed by a threshold of its own keys',
      { cause },
    );
  }
  const config: UpdatesConfig = {
    format: CONFIG_FORMAT,
    metadataUrl: checkUrl(o.metadataUrl, 'metadata'),
    targetsUrl: checkUrl(o.targetsUrl, 'targets'),
  };
  if (o.replace === true) await rm(tuf, { recursive: true, force: true });
  await mkdir(tuf, { recursive: true, mode: 0o700 });
  await chmod(base, 0o700);
  await writeAtomic(join(tuf, 'root.json'), o.root);
  await writeAtomic(join(base, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return { rootVersion: root.signed.version, keys: Object.keys(root.signed.keys).length };
}

/** The trusted repository's URLs (`root`: DIR/updates). */
export async function readConfig(root: string): Promise<UpdatesConfig> {
  const file = join(root, 'config.json');
  if (!existsSync(file) || !existsSync(join(root, 'tuf', 'root.json')))
    throw new UpdateError(
      'VERITY_E_UPDATE_NOT_CONFIGURED',
      'no update repository is trusted here; run `verity updates trust --root ROOT.json --url URL` first',
    );
  const c = (await readJsonFile(file, 'updates/config.json', 64 * 1024)) as Partial<UpdatesConfig>;
  if (c.format !== CONFIG_FORMAT || typeof c.metadataUrl !== 'string' || typeof c.targetsUrl !== 'string')
    throw new UpdateError(
      'VERITY_E_UPDATE_NOT_CONFIGURED',
      'updates/config.json is damaged; run `verity updates trust --replace`',
    );
  return {
    format: CONFIG_FORMAT,
    metadataUrl: checkUrl(c.metadataUrl, 'metadata'),
    targetsUrl: checkUrl(c.targetsUrl, 'targets'),
  };
}

/** The verified metadata tuf-js persisted (read back after a refresh: it checked them). */
export async function trustedMetadata(
  root: string,
): Promise<{ snapshot: Metadata<Snapshot>; targets: Metadata<Targets> }> {
  const tuf = join(root, 'tuf');
  const snapshot = Metadata.fromJSON(
    MetadataKind.Snapshot,
    (await readJsonFile(join(tuf, 'snapshot.json'), 'snapshot.json', TUF_LIMITS.snapshotMaxLength)) as never,
  );
  const targets = Metadata.fromJSON(
    MetadataKind.Targets,
    (await readJsonFile(join(tuf, 'targets.json'), 'targets.json', TUF_LIMITS.targetsMaxLength)) as never,
  );
  return { snapshot, targets };
}

/** A tuf-js Updater over the trusted metadata; `refresh` runs the TUF client workflow (5.3 to 5.6). */
export async function refreshMetadata(root: string): Promise<Updater> {
  const c = await readConfig(root);
  await mkdir(join(root, 'cache'), { recursive: true, mode: 0o700 });
  const updater = new Updater({
    metadataDir: join(root, 'tuf'),
    metadataBaseUrl: c.metadataUrl,
    targetDir: join(root, 'cache'),
    targetBaseUrl: c.targetsUrl,
    config: { ...TUF_LIMITS, userAgent: 'verity' },
  });
  try {
    await updater.refresh();
  } catch (e) {
    throw tufError(e, 'refresh');
  }
  return updater;
}

/** The targets of trusted targets metadata, as manifest entries (sha256 required). */
export function entries(targets: Metadata<Targets>): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  const all = Object.values(targets.signed.targets);
  if (all.length > MAX_TARGETS)
    throw new UpdateError('VERITY_E_UPDATE_CONTENT_INVALID', `the repository lists more than ${MAX_TARGETS} targets`);
  for (const t of all) {
    try {
      checkTargetPath(t.path);
    } catch (cause) {
      throw new UpdateError(
        'VERITY_E_UPDATE_CONTENT_INVALID',
        `the repository lists ${quote(t.path)}, which is not a target Verity applies; nothing was applied`,
        { cause },
      );
    }
    const sha256 = t.hashes['sha256'];
    if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256))
      throw new UpdateError('VERITY_E_UPDATE_CONTENT_INVALID', `target ${quote(t.path)} has no SHA-256 hash`);
    if (t.length > MAX_TARGET_BYTES)
      throw new UpdateError(
        'VERITY_E_UPDATE_CONTENT_INVALID',
        `target ${quote(t.path)} is larger than ${MAX_TARGET_BYTES} bytes`,
      );
    out.push({ path: t.path, length: t.length, sha256 });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}
