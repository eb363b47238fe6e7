import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type ErrorCode, InputError, VerityError } from '../errors/index.ts';
import { type Finding, PII_TYPES, type PiiType } from './findings.ts';
import type { ScanOptions } from './scan.ts';

function unpack(a: Int32Array): Finding[] {
  const out: Finding[] = new Array(a.length / 4);
  for (let i = 0; i < out.length; i++)
    out[i] = {
      type: PII_TYPES[a[4 * i] as number] as PiiType,
      start: a[4 * i + 1] as number,
      end: a[4 * i + 2] as number,
      score: (a[4 * i + 3] as number) / 1000,
    };
  return out;
}

/**
 * PII scanning of many texts on worker threads, one per core by default: bulk work (chat logs,
 * exports) scans in parallel while the calling thread stays free. Single live messages are cheaper
 * to scan in place with `scan`. (A pool of its own, under a hundred lines: no worker-pool package is
 * installed, and results come back packed in Int32Arrays, cheaper to send than objects.)
 */
export class PiiPool {
  readonly #workers: Worker[];
  readonly #pending = new Map<number, { resolve: (f: Finding[][]) => void; reject: (e: Error) => void }>();
  #next = 0;
  #turn = 0;

  constructor(threads = availableParallelism()) {
    if (!Number.isInteger(threads) || threads < 1 || threads > 64)
      throw new InputError('VERITY_E_INPUT_INVALID', 'threads must be an integer from 1 to 64');
    this.#workers = Array.from({ length: threads }, () => {
      const w = new Worker(new URL('./worker.ts', import.meta.url));
      w.on('message', (m: { id: number; packed?: Int32Array[]; error?: { code: string; message: string } }) => {
        const p = this.#pending.get(m.id);
        if (p === undefined) return;
        this.#pending.delete(m.id);
        if (m.error !== undefined) p.reject(new VerityError(m.error.code as ErrorCode, m.error.message));
        else p.resolve((m.packed as Int32Array[]).map(unpack));
      });
      w.on('error', (e) => {
        for (const p of this.#pending.values()) p.reject(e);
        this.#pending.clear();
      });
      return w;
    });
  }

  /** The findings of each text, in order, scanned across the pool's threads. */
  async scanMany(texts: readonly string[], options: ScanOptions = {}): Promise<Finding[][]> {
    const n = this.#workers.length;
    // Contiguous shares of about equal size in characters, one per thread.
    const total = texts.reduce((s, t) => s + t.length, 0);
    const shares: string[][] = [];
    let current: string[] = [];
    let size = 0;
    for (const t of texts) {
      current.push(t);
      size += t.length;
      if (size >= total / n && shares.length < n - 1) {
        shares.push(current);
        current = [];
        size = 0;
      }
    }
    shares.push(current);
    const results = await Promise.all(shares.map((share) => this.#send(share, options)));
    return results.flat();
  }

  #send(texts: string[], options: ScanOptions): Promise<Finding[][]> {
    if (texts.length === 0) return Promise.resolve([]);
    const id = this.#next++;
    const worker = this.#workers[this.#turn++ % this.#workers.length] as Worker;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, texts, options });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
