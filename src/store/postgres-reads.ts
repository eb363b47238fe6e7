// Reads on PostgreSQL, pipelined: a few connections held for the store's life, each sending the
// statements it is given without waiting for the answers of earlier ones, and the statements of
// one turn of the event loop written to its socket in one system call.
//
// Why (D331): under the benchmark's HTTP load a request reads three rows before anything else (its
// token, the subject's facts, the subject's processing limits) and a record read four more; on a
// pool, each statement took a connection, was written in a system call of its own and waited for its
// answer alone. The socket writes were 18% of the server's CPU time on PostgreSQL, and the server
// used twice the CPU per request it used on SQLite. A statement's answer is still its own: the
// protocol's Sync after each statement keeps a failing one from touching the others.
import type { Socket } from 'node:net';
import type pg from 'pg';
import { closedError } from './rows.ts';

/** Statements waiting on a connection before the next connection is used. */
const SHARE = 4;

/** One held connection and the statements sent on it that have not been answered yet. */
interface Slot {
  client: pg.PoolClient | undefined;
  connecting: Promise<pg.PoolClient> | undefined;
  inFlight: number;
}

export class PipelinedReads {
  readonly #pool: pg.Pool;
  readonly #slots: Slot[];
  readonly #corked = new Set<Socket>();
  #flushing = false;
  #closed = false;

  /** `pool` must be made with `pipeline: true` and at least `connections` connections. */
  constructor(pool: pg.Pool, connections: number) {
    this.#pool = pool;
    this.#slots = Array.from({ length: connections }, () => ({
      client: undefined,
      connecting: undefined,
      inFlight: 0,
    }));
  }

  /**
   * Runs `query` on the first connection with fewer than four statements waiting, else on the one
   * with the fewest: the statements of a turn share few connections (and system calls), and a long
   * statement holds up at most three behind it while another connection is free.
   */
  async run<T>(query: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let slot = this.#slots[0] as Slot;
    for (const s of this.#slots) {
      if (s.inFlight < SHARE) {
        slot = s;
        break;
      }
      if (s.inFlight < slot.inFlight) slot = s;
    }
    slot.inFlight++;
    try {
      const client = slot.client ?? (await this.#connect(slot));
      this.#cork(client);
      return await query(client);
    } finally {
      slot.inFlight--;
    }
  }

  #connect(slot: Slot): Promise<pg.PoolClient> {
    if (slot.connecting === undefined) {
      slot.connecting = this.#pool.connect().then(
        (client) => {
          slot.connecting = undefined;
          if (this.#closed) {
            client.release();
            throw closedError();
          }
          slot.client = client;
          // A lost connection fails what was sent on it (each caller sees the error); the next
          // statement opens another.
          let released = false;
          client.on('error', () => {
            if (slot.client === client) slot.client = undefined;
            // After close() the connection went back to the pool already: releasing it twice throws.
            if (released || this.#closed) return;
            released = true;
            client.release(true);
          });
          return client;
        },
        (e: unknown) => {
          slot.connecting = undefined;
          throw e;
        },
      );
    }
    return slot.connecting;
  }

  /** Holds the socket's writes until the event loop's next turn, then writes them at once. */
  #cork(client: pg.PoolClient): void {
    const socket = (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
    if (socket === undefined || this.#corked.has(socket)) return;
    socket.cork();
    this.#corked.add(socket);
    if (this.#flushing) return;
    this.#flushing = true;
    setImmediate(() => {
      this.#flushing = false;
      const sockets = [...this.#corked];
      this.#corked.clear();
      for (const s of sockets) s.uncork();
    });
  }

  /** Gives the connections back to the pool (to be ended with it). */
  close(): void {
    this.#closed = true;
    for (const s of this.#corked) s.uncork();
    this.#corked.clear();
    for (const slot of this.#slots) {
      slot.client?.release();
      slot.client = undefined;
    }
  }
}
