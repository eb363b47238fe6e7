// The client side of updates (FGMV-46 7.3.5): tuf-js's Updater fetches and verifies a TUF
// repository (signatures and thresholds, expiry, version rollback of every role, snapshot and
// timestamp consistency, target lengths and hashes); Verity then checks the content, applies it
// as one set and logs it (D155, D156).
//
//   DIR/updates/config.json  where the repository is (`verity updates trust`)
//   DIR/updates/tuf/         tuf-js's trusted metadata (root.json first, given out of band)
//   DIR/updates/cache/       verified target files
//   DIR/updates/sets/ID/     each applied set: its files and manifest.json (`base`: what was there before the first)
//   DIR/updates/state.json   which set is current, the sets before it, the version held back after a rollback
//
// A set is staged, checked and renamed into sets/ first; writing state.json (through a rename) is
// the one step that makes it current. Installing it into what Verity reads (DIR/policies, the
// registered schemas) follows and is repeated by every later `apply`, so a crash in between is
// repaired by the next run.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Metadata, MetadataKind, type Snapshot, type Targets } from '@tufjs/models';
import { Updater } from 'tuf-js';
import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { canonicalJson, canonicalJsonBytes, type JsonValue, parseJson, toBase64Url } from '../encoding/index.ts';
import { isVerityError, quote, UpdateError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Store } from '../store/index.ts';
import type { Vault } from '../vault/index.ts';
import { type CheckedSet, checkSet, checkTargetPath, MAX_TARGETS } from './content.ts';

const CONFIG_FORMAT = 'verity-updates/1';
const STATE_FORMAT = 'verity-updates-state/1';
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

interface State {
  readonly format: typeof STATE_FORMAT;
  readonly current: string | null;
  /** Sets applied before the current one, oldest first (`base` at the bottom once anything was applied). */
  readonly previous: readonly string[];
  /** After a rollback: snapshot versions up to this one are not applied again. */
  readonly heldBack: number;
}

export interface ApplyResult {
  readonly applied: boolean;
  /** Why nothing was applied (`up to date`, `held back`). */
  readonly reason?: string;
  readonly set: string | null;
  readonly snapshot: number;
  readonly targets: number;
  readonly logIndex?: number;
}

export interface UpdatesOptions {
  /** The data directory. */
  readonly dir: string;
  readonly log: TransparencyLog;
  readonly vault: Vault;
  readonly store: Store;
  readonly clock?: Clock;
  /** Who applies, as the log names it (default `operator:cli`). */
  readonly actor?: string;
}

const ID_RE = /^(base|s[1-9][0-9]{0,15})$/;

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, file);
}

async function readJsonFile(file: string, what: string, maxBytes = 1024 * 1024): Promise<unknown> {
  return parseJson(new Uint8Array(await readFile(file)), { maxBytes, maxDepth: 16 }, what);
}

function sha256Hex(b: Uint8Array): string {
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
 * Updates of policies, record-type schemas and PII data from a TUF repository: `trust` once, then
 * `apply` (by hand, or from a timer) and, when a set turns out wrong, `rollback`.
 *
 * @example
 * await Updates.trust(dir, { root, metadataUrl: 'https://updates.example/metadata/', targetsUrl: 'https://updates.example/targets/' });
 * const updates = new Updates({ dir, log: v.log, vault: v.vault, store: v.store });
 * await updates.apply();
 */
export class Updates {
  readonly #dir: string;
  readonly #root: string;
  readonly #log: TransparencyLog;
  readonly #vault: Vault;
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #actor: string;

  constructor(o: UpdatesOptions) {
    this.#dir = o.dir;
    this.#root = join(o.dir, 'updates');
    this.#log = o.log;
    this.#vault = o.vault;
    this.#store = o.store;
    this.#clock = o.clock ?? systemClock;
    this.#actor = o.actor ?? 'operator:cli';
  }

  /**
   * Trusts a repository: its root metadata (obtained out of band; its keys are the trust anchor)
   * and its URLs. Replaces what was trusted before only with `replace`.
   */
  static async trust(
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
    let root: Metadata<import('@tufjs/models').Root>;
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

  async #config(): Promise<UpdatesConfig> {
    const file = join(this.#root, 'config.json');
    if (!existsSync(file) || !existsSync(join(this.#root, 'tuf', 'root.json')))
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

  async #state(): Promise<State> {
    const file = join(this.#root, 'state.json');
    if (!existsSync(file)) return { format: STATE_FORMAT, current: null, previous: [], heldBack: 0 };
    const s = (await readJsonFile(file, 'updates/state.json', 64 * 1024)) as Partial<State>;
    const ok =
      s.format === STATE_FORMAT &&
      (s.current === null || (typeof s.current === 'string' && ID_RE.test(s.current))) &&
      Array.isArray(s.previous) &&
      s.previous.length <= 1024 &&
      s.previous.every((x) => typeof x === 'string' && ID_RE.test(x)) &&
      Number.isSafeInteger(s.heldBack);
    if (!ok)
      throw new UpdateError(
        'VERITY_E_UPDATE_NOT_CONFIGURED',
        'updates/state.json is damaged; restore it from a backup',
      );
    return s as State;
  }

  /** The verified metadata tuf-js persisted (read back after a refresh: it checked them). */
  async #trusted(): Promise<{ snapshot: Metadata<Snapshot>; targets: Metadata<Targets> }> {
    const tuf = join(this.#root, 'tuf');
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
  async #refresh(): Promise<Updater> {
    const c = await this.#config();
    await mkdir(join(this.#root, 'cache'), { recursive: true, mode: 0o700 });
    const updater = new Updater({
      metadataDir: join(this.#root, 'tuf'),
      metadataBaseUrl: c.metadataUrl,
      targetDir: join(this.#root, 'cache'),
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

  /** Refreshes the metadata and says what the repository offers, without downloading targets. */
  async check(): Promise<{ snapshot: number; targets: ManifestEntry[]; current: string | null; heldBack: number }> {
    await this.#refresh();
    const { snapshot, targets } = await this.#trusted();
    const state = await this.#state();
    return {
      snapshot: snapshot.signed.version,
      targets: entries(targets),
      current: state.current,
      heldBack: state.heldBack,
    };
  }

  /**
   * Refreshes, downloads and verifies every target of the newest snapshot, checks their content,
   * and makes them the current set, logged as `update.apply`. Nothing changes when any step fails.
   */
  apply(): Promise<ApplyResult> {
    return this.#locked(async () => {
      try {
        const r = await this.#apply();
        this.#lastRefusal = undefined;
        return r;
      } catch (e) {
        await this.#refused(e);
        throw e;
      }
    });
  }

  #lastRefusal: string | undefined;

  /**
   * A refused update (bad signature, rollback, freeze, mix-and-match, invalid content) is logged as
   * `update.apply` with outcome `denied` and the error code only: what a repository tried is on
   * record, not just on the console. The same refusal again (a timer asking every minute) is logged
   * once; an unreachable repository is not a refusal and is not logged.
   */
  async #refused(e: unknown): Promise<void> {
    if (!isVerityError(e, 'VERITY_E_UPDATE_REFUSED') && !isVerityError(e, 'VERITY_E_UPDATE_CONTENT_INVALID')) return;
    const digest = toBase64Url(createHash('sha256').update(`${e.code}\n${e.message}`).digest());
    if (this.#lastRefusal === digest) return;
    this.#lastRefusal = digest;
    await this.#log.submit((_tx, batch) =>
      batch.add(
        encodeAuditEntry({
          actor: this.#actor,
          action: 'update.apply',
          resource: 'update:refused',
          purpose: 'security',
          outcome: 'denied',
          time: this.#clock.now(),
          contentHash: `sha256:${digest}`,
          details: { code: e.code },
        }),
      ),
    );
  }

  async #apply(): Promise<ApplyResult> {
    const updater = await this.#refresh();
    const { snapshot, targets } = await this.#trusted();
    const version = snapshot.signed.version;
    const id = `s${version}`;
    const state = await this.#state();
    const list = entries(targets);
    if (state.current === id) {
      await this.#install(await this.#readSet(id));
      return { applied: false, reason: 'up to date', set: id, snapshot: version, targets: list.length };
    }
    if (version <= state.heldBack)
      return {
        applied: false,
        reason: 'held back after a rollback',
        set: state.current,
        snapshot: version,
        targets: list.length,
      };
    const files = new Map<string, Uint8Array>();
    for (const t of list) {
      try {
        const info = await updater.getTargetInfo(t.path);
        if (info === undefined) throw new Error(`target ${t.path} is not in the trusted targets`);
        const file = (await updater.findCachedTarget(info)) ?? (await updater.downloadTarget(info));
        const bytes = new Uint8Array(await readFile(file));
        // tuf-js checked length and hashes as it wrote the file; the cache is checked again here.
        if (bytes.byteLength !== t.length || sha256Hex(bytes) !== t.sha256) throw new Error(`cached ${t.path} changed`);
        files.set(t.path, bytes);
      } catch (e) {
        throw tufError(e, `target ${t.path}`);
      }
    }
    const checked = checkSet(files);
    // The set as it stood before the first update, so that update can be rolled back too.
    if (state.current === null && !existsSync(join(this.#root, 'sets', 'base'))) await this.#captureBase(checked);
    const manifest: Manifest = { id, snapshot: version, targets: list };
    await this.#stage(manifest, files);
    const previous = state.current === null ? ['base'] : [...state.previous, state.current];
    await this.#writeState({
      format: STATE_FORMAT,
      current: id,
      previous: previous.slice(-64),
      heldBack: state.heldBack,
    });
    await this.#install({ files, checked });
    const logIndex = await this.#logged('update.apply', manifest, state.current ?? 'base');
    return { applied: true, set: id, snapshot: version, targets: list.length, logIndex };
  }

  /**
   * Makes the set before the current one current again (logged as `update.rollback`); the
   * rolled-back snapshot version and older ones are then held back from `apply`.
   */
  rollback(): Promise<{ from: string; to: string; logIndex: number }> {
    return this.#locked(() => this.#rollback());
  }

  async #rollback(): Promise<{ from: string; to: string; logIndex: number }> {
    const state = await this.#state();
    const to = state.previous.at(-1);
    if (state.current === null || to === undefined)
      throw new UpdateError(
        'VERITY_E_UPDATE_NO_PREVIOUS',
        'there is no applied update to roll back; `verity updates status` shows the sets',
      );
    const set = await this.#readSet(to);
    const from = state.current;
    const fromVersion = Number(from.slice(1));
    await this.#writeState({
      format: STATE_FORMAT,
      current: to,
      previous: state.previous.slice(0, -1),
      heldBack: Math.max(state.heldBack, fromVersion),
    });
    await this.#install(set);
    const logIndex = await this.#logged('update.rollback', set.manifest, from);
    return { from, to, logIndex };
  }

  /** The current set, the ones before it, and what is held back. */
  async status(): Promise<{ current: Manifest | null; previous: readonly string[]; heldBack: number }> {
    const state = await this.#state();
    return {
      current: state.current === null ? null : (await this.#readSet(state.current)).manifest,
      previous: state.previous,
      heldBack: state.heldBack,
    };
  }

  /**
   * One apply or rollback at a time per data directory, across processes (a server's timer and a
   * command): DIR/updates/lock holds the owner's process id; a lock whose process is gone is taken over.
   */
  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    const lock = join(this.#root, 'lock');
    await mkdir(this.#root, { recursive: true, mode: 0o700 });
    for (let attempt = 0; ; attempt++) {
      try {
        await writeFile(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
        const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
        if (Number.isSafeInteger(pid) && pid > 0 && alive(pid))
          throw new UpdateError(
            'VERITY_E_UPDATE_BUSY',
            `process ${pid} is applying or rolling back an update in this data directory; try again when it is done`,
          );
        await unlink(lock).catch(() => undefined);
      }
    }
    try {
      return await fn();
    } finally {
      await unlink(lock).catch(() => undefined);
    }
  }

  async #writeState(s: State): Promise<void> {
    await writeAtomic(join(this.#root, 'state.json'), `${JSON.stringify(s, null, 2)}\n`);
  }

  /** Writes a set into sets/.staging-RANDOM, then renames it to sets/ID (replacing an older copy). */
  async #stage(manifest: Manifest, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
    const sets = join(this.#root, 'sets');
    const staging = join(sets, `.staging-${randomBytes(8).toString('hex')}`);
    await mkdir(staging, { recursive: true, mode: 0o700 });
    try {
      for (const [path, bytes] of files) {
        await mkdir(dirname(join(staging, path)), { recursive: true, mode: 0o700 });
        await writeFile(join(staging, path), bytes, { mode: 0o600 });
      }
      await writeFile(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
      const final = join(sets, manifest.id);
      if (existsSync(final)) await rm(final, { recursive: true, force: true });
      await rename(staging, final);
    } catch (e) {
      await rm(staging, { recursive: true, force: true });
      throw e;
    }
  }

  /** Reads a set back, each file checked against its manifest. */
  async #readSet(id: string): Promise<{ manifest: Manifest; files: Map<string, Uint8Array>; checked: CheckedSet }> {
    if (!ID_RE.test(id)) throw new UpdateError('VERITY_E_UPDATE_NOT_CONFIGURED', `no set ${quote(id)}`);
    const dir = join(this.#root, 'sets', id);
    const m = (await readJsonFile(join(dir, 'manifest.json'), 'manifest.json')) as Manifest;
    if (m.id !== id || !Array.isArray(m.targets) || m.targets.length > MAX_TARGETS)
      throw new UpdateError('VERITY_E_UPDATE_NOT_CONFIGURED', `the set ${quote(id)} is damaged; apply a new update`);
    const files = new Map<string, Uint8Array>();
    for (const t of m.targets) {
      checkTargetPath(t.path);
      const bytes = new Uint8Array(await readFile(join(dir, t.path)));
      if (sha256Hex(bytes) !== t.sha256)
        throw new UpdateError('VERITY_E_UPDATE_NOT_CONFIGURED', `the set ${quote(id)} was altered (${quote(t.path)})`);
      files.set(t.path, bytes);
    }
    return { manifest: m, files, checked: checkSet(files) };
  }

  /** Keeps what the first update will replace: the policies folder and the schemas it names. */
  async #captureBase(next: CheckedSet): Promise<void> {
    const files = new Map<string, Uint8Array>();
    const policies = join(this.#dir, 'policies');
    if (existsSync(policies))
      for (const f of (await readdir(policies)).sort())
        if (/^[a-z0-9][a-z0-9._-]{0,63}\.cedar$/.test(f) || f === 'privacy-policy.json')
          files.set(`policies/${f}`, new Uint8Array(await readFile(join(policies, f))));
    for (const type of next.schemas.keys()) {
      const row = await this.#store.reader.getSchema(type);
      if (row !== undefined) files.set(`schemas/${type}.json`, new TextEncoder().encode(row.schema));
    }
    const targets = [...files].map(([path, b]) => ({ path, length: b.byteLength, sha256: sha256Hex(b) }));
    checkSet(files);
    await this.#stage({ id: 'base', snapshot: 0, targets }, files);
  }

  /**
   * Installs a set into what Verity reads: DIR/policies (each file through a rename; `.cedar` files
   * the set does not carry leave when it carries policies) and the vault's schemas (registered,
   * and so logged, only when they differ). A running server reloads DIR/policies on change.
   */
  async #install(set: { files: ReadonlyMap<string, Uint8Array>; checked: CheckedSet }): Promise<void> {
    const policies = join(this.#dir, 'policies');
    const { checked } = set;
    if (checked.cedar.size > 0 || checked.privacy !== undefined)
      await mkdir(policies, { recursive: true, mode: 0o700 });
    for (const [path, bytes] of set.files) {
      if (!path.startsWith('policies/')) continue;
      const file = join(policies, path.slice('policies/'.length));
      const old = existsSync(file) ? new Uint8Array(await readFile(file)) : undefined;
      if (old === undefined || Buffer.compare(old, bytes) !== 0) await writeAtomic(file, bytes);
    }
    if (checked.cedar.size > 0)
      for (const f of await readdir(policies))
        if (f.endsWith('.cedar') && !checked.cedar.has(f)) await unlink(join(policies, f));
    for (const [type, schema] of checked.schemas) {
      const row = await this.#store.reader.getSchema(type);
      if (row !== undefined && canonicalJson(JSON.parse(row.schema) as JsonValue) === canonicalJson(schema)) continue;
      await this.#vault.registerSchema(type, schema, { actor: this.#actor, purpose: 'security' });
    }
  }

  /** One log entry per apply or rollback: the set, its snapshot version, counts and a hash of its manifest; no content. */
  async #logged(action: 'update.apply' | 'update.rollback', m: Manifest, from: string): Promise<number> {
    const digest = toBase64Url(createHash('sha256').update(canonicalJsonBytes(m.targets)).digest());
    const { result } = await this.#log.submit((_tx, batch) =>
      batch.add(
        encodeAuditEntry({
          actor: this.#actor,
          action,
          resource: `update:${m.id}`,
          purpose: 'security',
          outcome: 'success',
          time: this.#clock.now(),
          contentHash: `sha256:${digest}`,
          details: {
            snapshot: m.snapshot,
            targets: m.targets.length,
            from,
            policies: m.targets.filter((t) => t.path.startsWith('policies/')).length,
            schemas: m.targets.filter((t) => t.path.startsWith('schemas/')).length,
            pii: m.targets.some((t) => t.path.startsWith('pii/')),
          },
        }),
      ),
    );
    return result;
  }
}

/** Whether a process with this id runs (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The targets of trusted targets metadata, as manifest entries (sha256 required). */
function entries(targets: Metadata<Targets>): ManifestEntry[] {
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
