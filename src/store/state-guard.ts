// The trusted roots of reads (from checkpoints the log's key verifies), the cache of verified nodes,
// and the check of rows against the map. Private to src/store.
import { bytesEqual, toHex } from '../encoding/index.ts';
import { quote, StoreError } from '../errors/index.ts';
import { STATE_TOMBSTONE, type StateChange, StateTree, stateRootFromExtensions } from '../smt/index.ts';
import type { Fact } from './state-facts.ts';
import type { CheckpointAnchor, LogHead, RowReader } from './types.ts';
/** How often a read is checked again because other processes kept committing meanwhile. */
export const MAX_ATTEMPTS = 32;

/** How long a head read from the store may serve as the trusted root of reads (ms). */
export const HEAD_REUSE_MS = 50;

/** The body of a signed note, unverified (the default anchor, until the log sets its own). */
export function unverifiedRoot(checkpoint: string): Uint8Array | undefined {
  const end = checkpoint.indexOf('\n\n');
  const lines = (end < 0 ? checkpoint : checkpoint.slice(0, end)).split('\n');
  return stateRootFromExtensions(lines.slice(3));
}

export function tampered(f: Fact, found: 'changed' | 'deleted' | 'added'): StoreError {
  const what =
    found === 'deleted'
      ? 'is missing although the state map holds it'
      : found === 'added'
        ? 'exists although the state map does not hold it'
        : 'does not match the state map';
  return new StoreError(
    'VERITY_E_STATE_TAMPERED',
    `${f.table} row ${quote(f.id)} ${what}: the store was changed outside Verity; run \`verity log verify --data\` and restore from a backup`,
    { details: { table: f.table, row: f.id } },
  );
}

/** The trusted root of a read: from a head whose checkpoint the anchor accepted. */
export interface Trusted {
  readonly checkpoint: string;
  /** undefined: the checkpoint predates the state map (nothing to check against yet). */
  readonly root: Uint8Array | undefined;
  readonly at: number;
}

export class Guard {
  readonly tree = new StateTree();
  /** The benchmark's baseline only (`authenticate(rows, { baseline: true })`): no map at all. */
  off = false;
  anchor: CheckpointAnchor = unverifiedRoot;
  #trusted: Trusted | undefined;
  #anchored = new Map<string, Uint8Array | undefined>();

  /** The root a checkpoint commits to, through the anchor (memoized: a signature check each is costly). */
  rootOf(checkpoint: string): Uint8Array | undefined {
    if (this.#anchored.has(checkpoint)) return this.#anchored.get(checkpoint);
    let root: Uint8Array | undefined;
    try {
      root = this.anchor(checkpoint);
    } catch (cause) {
      throw new StoreError(
        'VERITY_E_STATE_TAMPERED',
        'the stored checkpoint does not verify with the log key, so no row can be checked; run `verity log verify`',
        { cause, details: { table: 'log_head' } },
      );
    }
    if (this.#anchored.size >= 64) this.#anchored.clear();
    this.#anchored.set(checkpoint, root);
    return root;
  }

  /** A head this process just committed, with the state root it computed: trusted as is. */
  committed(head: LogHead, root: Uint8Array): void {
    if (this.#anchored.size >= 64) this.#anchored.clear();
    this.#anchored.set(head.checkpoint, root);
    this.note(head);
  }

  setAnchor(a: CheckpointAnchor): void {
    this.anchor = a;
    this.#anchored.clear();
    this.#trusted = undefined;
  }

  /** Notes a head (read, or just committed by this process); its checkpoint is checked when used. */
  note(head: LogHead): void {
    if (this.#trusted?.checkpoint !== head.checkpoint) this.#trusted = undefined;
    this.#latest = { checkpoint: head.checkpoint, at: performance.now() };
  }

  #latest: { checkpoint: string; at: number } | undefined;

  #use(checkpoint: string): Trusted {
    const t = { checkpoint, root: this.rootOf(checkpoint), at: performance.now() };
    this.#trusted = t;
    return t;
  }

  async trusted(reader: RowReader, fresh: boolean): Promise<Trusted | undefined> {
    if (!fresh) {
      const t = this.#trusted;
      if (t !== undefined && performance.now() - t.at < HEAD_REUSE_MS) return t;
      const l = this.#latest;
      if (l !== undefined && performance.now() - l.at < HEAD_REUSE_MS) return this.#use(l.checkpoint);
    }
    if (fresh) return this.#read(reader);
    // Reads that find the reused head expired together (hundreds in flight after a long turn)
    // share one read of the head instead of each reading it.
    let pending = this.#reading.get(reader);
    if (pending === undefined) {
      pending = this.#read(reader).finally(() => this.#reading.delete(reader));
      this.#reading.set(reader, pending);
    }
    return pending;
  }

  /** Reads of the head under way, by reader (a fresh check never joins one: it must start after its mismatch). */
  readonly #reading = new Map<RowReader, Promise<Trusted | undefined>>();

  async #read(reader: RowReader): Promise<Trusted | undefined> {
    const head = await reader.getLogHead();
    if (head === undefined) return undefined;
    this.note(head);
    return this.#use(head.checkpoint);
  }

  /** Checks facts under `root`; returns the first that fails and how. */
  async firstFailure(
    source: RowReader,
    root: Uint8Array,
    facts: readonly Fact[],
    staged?: ReadonlyMap<string, StateChange>,
  ): Promise<{ fact: Fact; found: 'changed' | 'deleted' | 'added' } | undefined> {
    for (const f of facts) {
      const s = staged?.get(toHex(f.key));
      const mapped = s !== undefined ? s.value : await this.tree.get(source, root, f.key);
      const absent = mapped === undefined || bytesEqual(mapped, STATE_TOMBSTONE);
      if (f.value === undefined) {
        if (!absent) return { fact: f, found: 'deleted' };
      } else if (absent) return { fact: f, found: 'added' };
      else if (!bytesEqual(mapped, f.value)) return { fact: f, found: 'changed' };
    }
    return undefined;
  }
}

/** A store whose map is not bound yet holds no nodes; one that holds nodes but whose checkpoint has no root was rolled back. */
export async function unboundCheck(reader: RowReader, facts: readonly Fact[]): Promise<void> {
  if (facts.length === 0) return;
  const [root] = await reader.getStateNodes([new Uint8Array(1)]);
  if (root !== undefined)
    throw new StoreError(
      'VERITY_E_STATE_TAMPERED',
      'the log head predates the state map although the store holds one: the head was rolled back; run `verity log verify --data`',
      { details: { table: 'log_head' } },
    );
}
