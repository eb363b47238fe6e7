// The sets on disk: DIR/updates/sets/ID/ (each applied set: its files and manifest.json; `base`:
// what was there before the first), DIR/updates/state.json (which set is current, the sets before
// it, the version held back after a rollback), the lock that keeps one apply or rollback at a time,
// and the install of a set into what Verity reads.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { canonicalJson, type JsonValue } from '../encoding/index.ts';
import { quote, UpdateError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { PolicySets } from '../policies/index.ts';
import { Privacy } from '../privacy/index.ts';
import { takePidLock } from '../proc/index.ts';
import type { Store } from '../store/index.ts';
import type { Vault } from '../vault/index.ts';
import { type CheckedSet, checkSet, checkTargetPath, MAX_TARGETS } from './content.ts';
import { type Manifest, readJsonFile, sha256Hex, writeAtomic } from './tuf.ts';

export const STATE_FORMAT = 'verity-updates-state/1';

export interface State {
  readonly format: typeof STATE_FORMAT;
  readonly current: string | null;
  /** Sets applied before the current one, oldest first (`base` at the bottom once anything was applied). */
  readonly previous: readonly string[];
  /** After a rollback: snapshot versions up to this one are not applied again. */
  readonly heldBack: number;
}

const ID_RE = /^(base|s[1-9][0-9]{0,15})$/;

/** The applied sets of one data directory and what is current. */
export class UpdateSets {
  readonly #dir: string;
  readonly #root: string;
  readonly #vault: Vault;
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #actor: string;

  constructor(o: { dir: string; vault: Vault; store: Store; log: TransparencyLog; actor: string }) {
    this.#dir = o.dir;
    this.#root = join(o.dir, 'updates');
    this.#vault = o.vault;
    this.#store = o.store;
    this.#log = o.log;
    this.#actor = o.actor;
  }

  /** Which set is current, the sets before it, what is held back. */
  async state(): Promise<State> {
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

  /**
   * One apply or rollback at a time per data directory, across processes (a server's timer and a
   * command): DIR/updates/lock holds the owner's process id; a lock whose process is gone is taken over.
   */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    await mkdir(this.#root, { recursive: true, mode: 0o700 });
    const lock = takePidLock(join(this.#root, 'lock'));
    if ('busy' in lock)
      throw new UpdateError(
        'VERITY_E_UPDATE_BUSY',
        `process ${lock.busy} is applying or rolling back an update in this data directory; try again when it is done`,
      );
    try {
      return await fn();
    } finally {
      lock.release();
    }
  }

  async writeState(s: State): Promise<void> {
    await writeAtomic(join(this.#root, 'state.json'), `${JSON.stringify(s, null, 2)}\n`);
  }

  /** Writes a set into sets/.staging-RANDOM, then renames it to sets/ID (replacing an older copy). */
  async stage(manifest: Manifest, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
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
  async readSet(id: string): Promise<{ manifest: Manifest; files: Map<string, Uint8Array>; checked: CheckedSet }> {
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
  async captureBase(next: CheckedSet): Promise<void> {
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
    await this.stage({ id: 'base', snapshot: 0, targets }, files);
  }

  /**
   * Installs a set into what Verity reads: DIR/policies (each file through a rename; `.cedar` files
   * the set does not carry leave when it carries policies) and the vault's schemas (registered,
   * and so logged, only when they differ). The policies it carries are put in force (D416): the
   * Cedar set pinned in the state with its `policy.install` entry, a new privacy policy version
   * installed; a running server takes them up within seconds.
   */
  async install(set: { files: ReadonlyMap<string, Uint8Array>; checked: CheckedSet }): Promise<void> {
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
    if (checked.cedar.size > 0) {
      for (const f of await readdir(policies))
        if (f.endsWith('.cedar') && !checked.cedar.has(f)) await unlink(join(policies, f));
      // The files of DIR/policies now are the set's: the same text as `readPolicies` joins.
      const text = [...checked.cedar.keys()]
        .sort()
        .map((f) => checked.cedar.get(f))
        .join('\n');
      await new PolicySets({ store: this.#store, log: this.#log }).install(text, { actor: this.#actor });
    }
    if (checked.privacy !== undefined)
      await Privacy.open({ store: this.#store, log: this.#log, policy: checked.privacy, actor: this.#actor });
    for (const [type, schema] of checked.schemas) {
      const row = await this.#store.reader.getSchema(type);
      if (row !== undefined && canonicalJson(JSON.parse(row.schema) as JsonValue) === canonicalJson(schema)) continue;
      await this.#vault.registerSchema(type, schema, { actor: this.#actor, purpose: 'security' });
    }
  }
}
