// The state map rebuilt from the log alone (its state entries), checked against every state root
// the log recorded and against the store's rows: `verity log verify` and `verifyLogStorage`.
import { decodeAuditEntry } from '../audit/index.ts';
import { bytesEqual, fromHex, toHex } from '../encoding/index.ts';
import { LogError } from '../errors/index.ts';
import {
  EMPTY_STATE_ROOT,
  recordStateKey,
  recordVersionStateKey,
  STATE_TOMBSTONE,
  type StateChange,
  StateTree,
  stateKey,
} from '../smt/index.ts';
import type { Store } from '../store/index.ts';
import { decodeStateEntry } from './state-entry.ts';

/** A row of the store that the map rebuilt from the log disagrees with. */
export interface StateDifference {
  readonly table: string;
  /** The row's id where the store or the log names it, else its map key (hex). */
  readonly row: string;
  /** `inconsistent`: an index or a derived column disagrees with the rows (Store.indexProblems). */
  readonly found: 'changed' | 'deleted' | 'added' | 'inconsistent';
  /** A deleted row no name is known for: the log entry whose transaction last wrote it, and its action. */
  readonly lastWritten?: { readonly index: number; readonly action: string };
}

/**
 * Rows whose map key names them though no audit entry mentions them: the singletons of the state
 * (the policies in force, the pinned settings, the privacy policy version, the store's counters).
 */
const WELL_KNOWN: readonly (readonly [table: string, row: string, key: Uint8Array])[] = [
  ...['access.policies', 'data-dir.config', 'privacy.policy'].map(
    (kind) => ['objects', `${kind}/current`, stateKey(`object.${kind}`, 'current')] as const,
  ),
  ...['subjects.epoch', 'kek.min', 'store.schema'].map((key) => ['meta', key, stateKey('meta', key)] as const),
];

/** Rebuilds the map entry by entry; each transaction's changes must lead to the root it recorded. */
export class StateReplay {
  readonly #tree = new StateTree({ cacheSize: 0 });
  readonly #nodes = new Map<string, Uint8Array>();
  readonly #source = {
    getStateNodes: async (ps: readonly Uint8Array[]) => ps.map((p) => this.#nodes.get(toHex(p))),
  };
  readonly values = new Map<string, StateChange>();
  /** Names of keys, from the record ids the audit entries mention. */
  readonly names = new Map<string, string>();
  #pending: StateChange[] = [];
  /** For each key, the audit entry its last change came with (the transaction's last before its state entry). */
  readonly #written = new Map<string, { index: number; action: string }>();
  #lastAudit: { index: number; action: string } | undefined;
  #root = EMPTY_STATE_ROOT;
  #started = false;

  /** The root after the last complete transaction. */
  get root(): Uint8Array {
    return this.#root;
  }

  /** Whether any state entry was seen (a log written before the state map has none). */
  get started(): boolean {
    return this.#started;
  }

  async add(entry: Uint8Array, index: number): Promise<void> {
    const s = decodeStateEntry(entry);
    if (s === undefined) {
      this.#name(entry, index);
      return;
    }
    this.#started = true;
    this.#pending.push(...s.changes);
    if (this.#lastAudit !== undefined) for (const c of s.changes) this.#written.set(toHex(c.key), this.#lastAudit);
    if (s.part < s.parts) return;
    const u = await this.#tree.update(this.#source, this.#root, this.#pending);
    for (const w of u.writes) this.#nodes.set(toHex(w.pos), w.node);
    for (const c of this.#pending) this.values.set(toHex(c.key), c);
    this.#pending = [];
    this.#root = u.root;
    if (!bytesEqual(u.root, s.root))
      throw new LogError(
        'VERITY_E_LOG_TAMPERED',
        `the state entry at index ${index} records a state root its changes do not lead to`,
      );
  }

  #name(entry: Uint8Array, index: number): void {
    let resource: string;
    try {
      const e = decodeAuditEntry(entry);
      resource = e.resource;
      this.#lastAudit = { index, action: e.action };
    } catch {
      return;
    }
    const m = /^record:(rec_[A-Za-z0-9_-]+)@(\d+)$/.exec(resource);
    if (m === null) return;
    const id = m[1] as string;
    const v = Number(m[2]);
    this.names.set(toHex(recordStateKey(id)), id);
    this.names.set(toHex(recordVersionStateKey(id, v)), `${id}@${v}`);
  }

  /** Every row of the store that the rebuilt map disagrees with (at most `limit`). */
  async compare(store: Store, limit = 1000): Promise<StateDifference[]> {
    const out: StateDifference[] = [];
    const seen = new Set<string>();
    for await (const f of store.storedState()) {
      const k = toHex(f.key);
      seen.add(k);
      const mapped = this.values.get(k)?.value;
      const absent = mapped === undefined || bytesEqual(mapped, STATE_TOMBSTONE);
      if (absent) out.push({ table: f.table, row: f.id, found: 'added' });
      else if (f.value === undefined || !bytesEqual(mapped, f.value))
        out.push({ table: f.table, row: f.id, found: 'changed' });
      if (out.length >= limit) return out;
    }
    // The map's own nodes: each one the log builds must be stored as built (an extra node at an
    // unused position is unreachable from the signed root, so harmless).
    const positions = [...this.#nodes.keys()];
    for (let i = 0; i < positions.length; i += 64) {
      const part = positions.slice(i, i + 64);
      const stored = await store.reader.getStateNodes(part.map((h) => fromHex(h)));
      part.forEach((h, j) => {
        const s = stored[j];
        if (s === undefined || !bytesEqual(s, this.#nodes.get(h) as Uint8Array))
          out.push({ table: 'state_nodes', row: h, found: s === undefined ? 'deleted' : 'changed' });
      });
      if (out.length >= limit) return out;
    }
    const known = new Map(WELL_KNOWN.map(([table, row, key]) => [toHex(key), { table, row }]));
    for (const [k, c] of this.values) {
      if (seen.has(k) || bytesEqual(c.value, STATE_TOMBSTONE)) continue;
      const name = this.names.get(k);
      const singleton = known.get(k);
      const written = this.#written.get(k);
      out.push(
        name !== undefined
          ? { table: 'records', row: name, found: 'deleted' }
          : singleton !== undefined
            ? { ...singleton, found: 'deleted' }
            : {
                table: 'unknown',
                row: k,
                found: 'deleted',
                ...(written === undefined ? {} : { lastWritten: written }),
              },
      );
      if (out.length >= limit) return out;
    }
    // The indexes listings go through: the map holds rows, not them (D415).
    for (const p of (await store.indexProblems?.(limit - out.length)) ?? [])
      out.push({ table: p.table, row: p.row, found: 'inconsistent' });
    return out;
  }
}
