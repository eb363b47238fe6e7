// A witness's durable state: per log origin, the log's verifier key and the checkpoint it last
// cosigned (size, root, note). One SQLite file (node:sqlite, WAL, synchronous=FULL); every advance
// is a compare-and-swap inside an exclusive transaction, committed before any cosignature leaves.

import { DatabaseSync } from 'node:sqlite';
import { quote, WitnessError } from '../errors/index.ts';

const LAYOUT = 1;

/** What a witness keeps about one log. */
export interface LogState {
  readonly origin: string;
  /** The log's verifier key (C2SP signed-note vkey). */
  readonly vkey: string;
  /** Size of the checkpoint last cosigned; 0 before the first. */
  readonly size: number;
  /** Its root hash; undefined before the first cosignature. */
  readonly root: Uint8Array | undefined;
  /** The signed checkpoint note last cosigned, as the log sent it. */
  readonly checkpoint: string | undefined;
  /** When it was cosigned (seconds since the epoch). */
  readonly cosignedAt: number | undefined;
}

/** Reads and compare-and-swap writes inside one transaction. */
export interface StateTx {
  get(origin: string): LogState | undefined;
  /**
   * Records `to` as the last cosigned checkpoint of `origin` if, and only if, the stored one is
   * still `from` (size and root); returns whether it did.
   */
  advance(
    origin: string,
    from: { size: number; root: Uint8Array | undefined },
    to: { size: number; root: Uint8Array; checkpoint: string; at: number },
  ): boolean;
}

interface Row {
  origin: string;
  vkey: string;
  size: number;
  root: Uint8Array | null;
  checkpoint: string | null;
  cosigned_at: number | null;
}

function fromRow(r: Row): LogState {
  return {
    origin: r.origin,
    vkey: r.vkey,
    size: r.size,
    root: r.root === null ? undefined : new Uint8Array(r.root),
    checkpoint: r.checkpoint ?? undefined,
    cosignedAt: r.cosigned_at ?? undefined,
  };
}

/** The state file of a witness. */
export class WitnessState {
  readonly #db: DatabaseSync;
  readonly #get;
  readonly #all;
  readonly #insert;
  readonly #advance;

  private constructor(db: DatabaseSync) {
    this.#db = db;
    this.#get = db.prepare('SELECT * FROM witness_logs WHERE origin = ?');
    this.#all = db.prepare('SELECT * FROM witness_logs ORDER BY origin');
    this.#insert = db.prepare('INSERT INTO witness_logs (origin, vkey, size) VALUES (?, ?, 0)');
    // The compare-and-swap: only from exactly the state the checks were made against.
    this.#advance = db.prepare(
      `UPDATE witness_logs SET size = ?, root = ?, checkpoint = ?, cosigned_at = ?
       WHERE origin = ? AND size = ? AND root IS ?`,
    );
  }

  /** Opens the state file, creating it (and its table) when missing. */
  static open(path: string): WitnessState {
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { timeout: 5000, defensive: true });
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA trusted_schema = OFF;');
      const version = Number(Object.values(db.prepare('PRAGMA user_version').get() ?? {})[0]);
      if (version > LAYOUT)
        throw new WitnessError(
          'VERITY_E_WITNESS_DIR',
          `the witness state ${quote(path)} was made by a newer Verity (layout ${version}); upgrade Verity to open it`,
        );
      if (version === 0) {
        db.exec(`BEGIN IMMEDIATE;
          CREATE TABLE IF NOT EXISTS witness_logs (
            origin TEXT PRIMARY KEY,
            vkey TEXT NOT NULL,
            size INTEGER NOT NULL CHECK (size >= 0),
            root BLOB CHECK (root IS NULL OR length(root) = 32),
            checkpoint TEXT,
            cosigned_at INTEGER
          ) STRICT;
          PRAGMA user_version = ${LAYOUT};
          COMMIT;`);
      }
    } catch (cause) {
      if (cause instanceof WitnessError) throw cause;
      throw new WitnessError(
        'VERITY_E_WITNESS_DIR',
        `cannot open the witness state ${quote(path)}: ${(cause as Error).message.slice(0, 120)}; check the witness directory (\`verity witness init\` makes one)`,
        { cause },
      );
    }
    return new WitnessState(db);
  }

  /** Adds a log the witness will cosign. A known origin is refused unless its key is the same. */
  addLog(origin: string, vkey: string): 'added' | 'known' {
    const cur = this.log(origin);
    if (cur !== undefined) {
      if (cur.vkey === vkey) return 'known';
      throw new WitnessError(
        'VERITY_E_WITNESS_KEY_INVALID',
        `the witness already follows log ${quote(origin)} with another key; a log keeps its key for good`,
      );
    }
    this.#insert.run(origin, vkey);
    return 'added';
  }

  log(origin: string): LogState | undefined {
    const r = this.#get.get(origin) as Row | undefined;
    return r === undefined ? undefined : fromRow(r);
  }

  logs(): LogState[] {
    return (this.#all.all() as unknown as Row[]).map(fromRow);
  }

  /**
   * Runs `fn` in one exclusive (BEGIN IMMEDIATE) transaction and commits it durably before
   * returning; `fn` throwing rolls everything back.
   */
  transaction<T>(fn: (tx: StateTx) => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const r = fn({
        get: (origin) => this.log(origin),
        advance: (origin, from, to) =>
          this.#advance.run(to.size, to.root, to.checkpoint, to.at, origin, from.size, from.root ?? null).changes === 1,
      });
      this.#db.exec('COMMIT');
      return r;
    } catch (e) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw e;
    }
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
