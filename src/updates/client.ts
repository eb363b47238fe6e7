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

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { canonicalJsonBytes, toBase64Url } from '../encoding/index.ts';
import { isVerityError, UpdateError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Store } from '../store/index.ts';
import type { Vault } from '../vault/index.ts';
import { checkSet } from './content.ts';
import { STATE_FORMAT, UpdateSets } from './sets.ts';
import {
  entries,
  type Manifest,
  type ManifestEntry,
  refreshMetadata,
  sha256Hex,
  trustedMetadata,
  trustRepository,
  tufError,
} from './tuf.ts';

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
  readonly #root: string;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly #actor: string;
  readonly #sets: UpdateSets;

  constructor(o: UpdatesOptions) {
    this.#root = join(o.dir, 'updates');
    this.#log = o.log;
    this.#clock = o.clock ?? systemClock;
    this.#actor = o.actor ?? 'operator:cli';
    this.#sets = new UpdateSets({ dir: o.dir, vault: o.vault, store: o.store, log: o.log, actor: this.#actor });
  }

  /**
   * Trusts a repository: its root metadata (obtained out of band; its keys are the trust anchor)
   * and its URLs. Replaces what was trusted before only with `replace`.
   */
  static trust(
    dir: string,
    o: { root: Uint8Array; metadataUrl: string; targetsUrl: string; replace?: boolean },
  ): Promise<{ rootVersion: number; keys: number }> {
    return trustRepository(dir, o);
  }

  /** Refreshes the metadata and says what the repository offers, without downloading targets. */
  async check(): Promise<{ snapshot: number; targets: ManifestEntry[]; current: string | null; heldBack: number }> {
    await refreshMetadata(this.#root);
    const { snapshot, targets } = await trustedMetadata(this.#root);
    const state = await this.#sets.state();
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
    return this.#sets.locked(async () => {
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
    const updater = await refreshMetadata(this.#root);
    const { snapshot, targets } = await trustedMetadata(this.#root);
    const version = snapshot.signed.version;
    const id = `s${version}`;
    const state = await this.#sets.state();
    const list = entries(targets);
    if (state.current === id) {
      await this.#sets.install(await this.#sets.readSet(id));
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
    if (state.current === null && !existsSync(join(this.#root, 'sets', 'base'))) await this.#sets.captureBase(checked);
    const manifest: Manifest = { id, snapshot: version, targets: list };
    await this.#sets.stage(manifest, files);
    const previous = state.current === null ? ['base'] : [...state.previous, state.current];
    await this.#sets.writeState({
      format: STATE_FORMAT,
      current: id,
      previous: previous.slice(-64),
      heldBack: state.heldBack,
    });
    await this.#sets.install({ files, checked });
    const logIndex = await this.#logged('update.apply', manifest, state.current ?? 'base');
    return { applied: true, set: id, snapshot: version, targets: list.length, logIndex };
  }

  /**
   * Makes the set before the current one current again (logged as `update.rollback`); the
   * rolled-back snapshot version and older ones are then held back from `apply`.
   */
  rollback(): Promise<{ from: string; to: string; logIndex: number }> {
    return this.#sets.locked(() => this.#rollback());
  }

  async #rollback(): Promise<{ from: string; to: string; logIndex: number }> {
    const state = await this.#sets.state();
    const to = state.previous.at(-1);
    if (state.current === null || to === undefined)
      throw new UpdateError(
        'VERITY_E_UPDATE_NO_PREVIOUS',
        'there is no applied update to roll back; `verity updates status` shows the sets',
      );
    const set = await this.#sets.readSet(to);
    const from = state.current;
    const fromVersion = Number(from.slice(1));
    await this.#sets.writeState({
      format: STATE_FORMAT,
      current: to,
      previous: state.previous.slice(0, -1),
      heldBack: Math.max(state.heldBack, fromVersion),
    });
    await this.#sets.install(set);
    const logIndex = await this.#logged('update.rollback', set.manifest, from);
    return { from, to, logIndex };
  }

  /** The current set, the ones before it, and what is held back. */
  async status(): Promise<{ current: Manifest | null; previous: readonly string[]; heldBack: number }> {
    const state = await this.#sets.state();
    return {
      current: state.current === null ? null : (await this.#sets.readSet(state.current)).manifest,
      previous: state.previous,
      heldBack: state.heldBack,
    };
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
