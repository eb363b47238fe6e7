// A log's witnesses, kept busy in the background: each new checkpoint goes to every witness (at
// most one request in flight per witness, the newest checkpoint wins, a witness that is down is
// retried with growing delays), and the newest checkpoint that enough witnesses cosigned is served
// with their cosignatures. Nothing here is on the log's write path.

import { isVerityError, VerityError, WitnessError } from '../errors/index.ts';
import { addCosignatures, splitNote } from '../note/index.ts';
import { WitnessClient, type WitnessEndpoint } from './client.ts';

/** What the witnesses need of a log (a TransparencyLog has it). */
export interface WitnessedLog {
  head(): Promise<{ readonly size: number; readonly checkpoint: string }>;
  consistencyProof(size1: number, size2: number): Promise<{ readonly proof: readonly string[] }>;
  onHead(listener: (head: { readonly size: number; readonly checkpoint: string }) => void): () => void;
}

/** What happened with one witness (for the server's log and metrics). */
export type WitnessEvent =
  | { readonly type: 'cosigned'; readonly witness: string; readonly url: string; readonly size: number }
  | {
      readonly type: 'unavailable' | 'refused';
      readonly witness: string;
      readonly url: string;
      readonly error: VerityError;
    };

export interface WitnessingOptions {
  readonly witnesses: readonly WitnessEndpoint[];
  /**
   * Cosignatures required: at start (fewer and the server does not start) and of the checkpoint
   * served (the newest one that has this many). Default 0: start whatever the witnesses answer,
   * as long as none refuses the log.
   */
  readonly quorum?: number;
  /** Per request. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** First retry delay after a failure, doubled up to `maxBackoffMs`. Defaults 500 and 10000 ms. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How often the log head is read to notice checkpoints of other processes. Default 1000 ms. */
  readonly pollMs?: number;
  readonly onEvent?: (e: WitnessEvent) => void;
  readonly fetch?: typeof fetch;
}

/** What the witnesses answered at start. */
export interface StartReport {
  readonly size: number;
  readonly cosigned: readonly string[];
  readonly unavailable: readonly { readonly witness: string; readonly url: string; readonly message: string }[];
}

type Head = { readonly size: number; readonly checkpoint: string };

/** The cosignatures gathered for one checkpoint body. */
interface Cosigned {
  readonly size: number;
  readonly note: string;
  /** By witness index. */
  readonly lines: Map<number, readonly string[]>;
}

/** Checkpoint bodies whose cosignatures are kept, newest first. */
const HISTORY = 32;

class Worker {
  readonly client: WitnessClient;
  /** The tree size this witness last cosigned, as far as the log knows. */
  known = 0;
  cosignedSize = -1;
  wanted: Head | undefined;
  inFlight = false;
  retry: NodeJS.Timeout | undefined;
  delay = 0;
  failing = false;

  constructor(client: WitnessClient) {
    this.client = client;
  }
}

/**
 * Sends a log's checkpoints to its witnesses and gathers their cosignatures.
 *
 * @example
 * const w = new Witnessing(log, { witnesses: [{ url: 'http://127.0.0.1:9001', key: wkey }], quorum: 1 });
 * await w.start();       // refuses a rolled-back or forked log, and too few cosignatures
 * w.cosigned();          // the newest cosigned checkpoint note
 */
export class Witnessing {
  readonly #log: WitnessedLog;
  readonly #workers: Worker[];
  readonly #quorum: number;
  readonly #o: WitnessingOptions;
  readonly #history: Cosigned[] = [];
  #served: Cosigned | undefined;
  #unsubscribe: (() => void) | undefined;
  #poll: NodeJS.Timeout | undefined;
  #closed = false;
  /** Cancels the requests in flight when closing. */
  readonly #abort = new AbortController();

  constructor(log: WitnessedLog, o: WitnessingOptions) {
    this.#log = log;
    this.#o = o;
    this.#workers = o.witnesses.map(
      (e) =>
        new Worker(
          new WitnessClient(e, {
            ...(o.fetch === undefined ? {} : { fetch: o.fetch }),
            ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
          }),
        ),
    );
    this.#quorum = o.quorum ?? 0;
    if (!Number.isSafeInteger(this.#quorum) || this.#quorum < 0 || this.#quorum > this.#workers.length)
      throw new WitnessError(
        'VERITY_E_WITNESS_KEY_INVALID',
        `the witness quorum must be between 0 and the ${this.#workers.length} witnesses configured`,
      );
    const keys = new Set(this.#workers.map((w) => `${w.client.key.name}+${w.client.key.publicKey.join()}`));
    if (keys.size !== this.#workers.length)
      throw new WitnessError('VERITY_E_WITNESS_KEY_INVALID', 'the same witness key is configured twice');
  }

  /** The witnesses, as configured. */
  get witnesses(): readonly { readonly name: string; readonly url: string; readonly cosignedSize: number }[] {
    return this.#workers.map((w) => ({ name: w.client.key.name, url: w.client.url, cosignedSize: w.cosignedSize }));
  }

  /**
   * Sends the log's current checkpoint to every witness and waits for their answers. Throws when a
   * witness saw a larger tree (VERITY_E_WITNESS_ROLLBACK), a tree the log does not extend
   * (VERITY_E_WITNESS_FORK) or refuses the log (VERITY_E_WITNESS_REFUSED), and when fewer than the
   * quorum cosigned (VERITY_E_WITNESS_QUORUM). Then keeps the witnesses up to date in the background.
   */
  async start(): Promise<StartReport> {
    const head = await this.#log.head();
    const results = await Promise.allSettled(this.#workers.map((w, i) => this.#submit(w, i, head)));
    const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [{ i, e: r.reason as unknown }] : []));
    const fatal = failures.find((f) => !isVerityError(f.e, 'VERITY_E_WITNESS_UNAVAILABLE'));
    if (fatal !== undefined) throw fatal.e;
    const cosigned = results.flatMap((r, i) =>
      r.status === 'fulfilled' ? [this.#workers[i]?.client.label ?? ''] : [],
    );
    const unavailable = failures.map(({ i, e }) => ({
      witness: this.#workers[i]?.client.key.name ?? '',
      url: this.#workers[i]?.client.url ?? '',
      message: (e as Error).message,
    }));
    if (cosigned.length < this.#quorum)
      throw new WitnessError(
        'VERITY_E_WITNESS_QUORUM',
        `only ${cosigned.length} of the ${this.#workers.length} witnesses cosigned the log's checkpoint of size ${head.size}, and ${this.#quorum} are required (${unavailable.map((u) => u.message).join('; ')}); start the witnesses, or lower the witness quorum`,
        { details: { size: head.size, cosigned: cosigned.length, quorum: this.#quorum } },
      );
    // Unreachable ones are retried with the current head, and every new head goes to all.
    for (const { i, e } of failures) {
      const w = this.#workers[i] as Worker;
      this.#o.onEvent?.({
        type: 'unavailable',
        witness: w.client.key.name,
        url: w.client.url,
        error: e as VerityError,
      });
      w.wanted = head;
      this.#fail(w);
    }
    this.#unsubscribe = this.#log.onHead((h) => setImmediate(() => this.#want(h)));
    const pollMs = this.#o.pollMs ?? 1000;
    this.#poll = setInterval(() => {
      this.#log.head().then(
        (h) => this.#want(h),
        () => undefined,
      );
    }, pollMs);
    this.#poll.unref();
    return { size: head.size, cosigned, unavailable };
  }

  #want(h: Head): void {
    if (this.#closed) return;
    for (const w of this.#workers) {
      if (w.wanted === undefined || h.size > w.wanted.size) w.wanted = h;
      this.#kick(w);
    }
  }

  #kick(w: Worker): void {
    if (this.#closed || w.inFlight || w.retry !== undefined) return;
    const h = w.wanted;
    if (h === undefined || h.size <= w.cosignedSize) return;
    w.inFlight = true;
    const i = this.#workers.indexOf(w);
    this.#submit(w, i, h).then(
      () => {
        w.inFlight = false;
        this.#kick(w);
      },
      (e: unknown) => {
        w.inFlight = false;
        if (this.#closed) return;
        const error = e instanceof VerityError ? e : new VerityError('VERITY_E_INTERNAL', String(e).slice(0, 200));
        const unavailable = error.code === 'VERITY_E_WITNESS_UNAVAILABLE';
        // Report a witness going down once, and every refusal (a rollback or fork is news).
        if (!unavailable || !w.failing)
          this.#o.onEvent?.({
            type: unavailable ? 'unavailable' : 'refused',
            witness: w.client.key.name,
            url: w.client.url,
            error,
          });
        this.#fail(w);
      },
    );
  }

  /** Schedules a retry of `w` after its backoff delay. */
  #fail(w: Worker): void {
    w.failing = true;
    const first = this.#o.backoffMs ?? 500;
    w.delay = Math.min(w.delay === 0 ? first : w.delay * 2, this.#o.maxBackoffMs ?? 10_000);
    if (this.#closed) return;
    w.retry = setTimeout(() => {
      w.retry = undefined;
      this.#kick(w);
    }, w.delay);
    w.retry.unref();
  }

  async #submit(w: Worker, i: number, h: Head): Promise<void> {
    const prove = async (from: number, to: number) => (await this.#log.consistencyProof(from, to)).proof;
    const { lines } = await w.client.submit(h.checkpoint, h.size, w.known, prove, this.#abort.signal);
    w.known = h.size;
    w.cosignedSize = h.size;
    w.delay = 0;
    w.failing = false;
    this.#record(i, h, lines);
    this.#o.onEvent?.({ type: 'cosigned', witness: w.client.key.name, url: w.client.url, size: h.size });
  }

  #record(i: number, h: Head, lines: readonly string[]): void {
    const { text } = splitNote(h.checkpoint);
    let c = this.#history.find((x) => splitNote(x.note).text === text);
    if (c === undefined) {
      c = { size: h.size, note: h.checkpoint, lines: new Map() };
      this.#history.push(c);
      this.#history.sort((a, b) => b.size - a.size);
      this.#history.splice(HISTORY);
    }
    c.lines.set(i, lines);
    // The newest checkpoint with enough cosignatures (at least one), never going back.
    const need = Math.max(1, this.#quorum);
    const best = this.#history.find((x) => x.lines.size >= need && x.size >= (this.#served?.size ?? 0));
    if (best !== undefined) this.#served = best;
  }

  /**
   * The newest checkpoint cosigned by at least the quorum (at least one witness), with the
   * cosignatures appended to the log's signature; undefined until there is one.
   */
  cosigned(): string | undefined {
    const s = this.#served;
    if (s === undefined) return undefined;
    // In the order the witnesses are configured, whichever answered first.
    const lines = [...s.lines.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, l]) => l);
    return addCosignatures(s.note, lines);
  }

  /** Stops the background work and cancels the requests in flight. */
  close(): void {
    this.#closed = true;
    this.#abort.abort();
    this.#unsubscribe?.();
    clearInterval(this.#poll);
    for (const w of this.#workers) clearTimeout(w.retry);
  }
}
