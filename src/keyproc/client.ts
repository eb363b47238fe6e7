import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, type ErrorCode } from '../codes/index.ts';
import { KeyError, type VerityError } from '../errors/index.ts';
import type { KekInfo, KeyStore, WrappedKey } from '../keys/index.ts';
import type { Call, FromKeyProcess, KeyOp, KeyProcessStoreSpec, Result, ToKeyProcess } from './protocol.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

export interface KeyProcessOptions {
  /** How long to wait for the key process to open its store, in milliseconds (default 30,000). */
  readonly startTimeoutMs?: number;
  /** Restart the key process when it dies (default true), after 100 ms, doubling to 5 s. */
  readonly restart?: boolean;
  /** Told when the key process stops or comes back (the server logs it). */
  readonly onEvent?: (event: { type: 'down'; reason: string } | { type: 'up' }) => void;
}

function down(reason: string): KeyError {
  return new KeyError(
    'VERITY_E_KEY_PROCESS_DOWN',
    `the key process is not running (${reason}); writes are not acknowledged until it is back: check the server log`,
  );
}

function errorOf(f: { code: string; message: string }): VerityError {
  const code = (Object.hasOwn(ERROR_CODES, f.code) ? f.code : 'VERITY_E_INTERNAL') as ErrorCode;
  return new KeyError(code, f.message);
}

/**
 * A KeyStore whose keys live in a separate process (FGMV-46 7.3.4): KEKs, the log's signing key
 * and the MAC keys never enter this process; data keys do (records are sealed here). Calls made in
 * one turn of the event loop cross the boundary in one message. If the key process dies, pending
 * and new calls fail with VERITY_E_KEY_PROCESS_DOWN (so no write is acknowledged) and it is
 * started again; calls succeed again once it is back.
 */
export class KeyProcess implements KeyStore {
  readonly kind: string;
  readonly #spec: KeyProcessStoreSpec;
  readonly #options: KeyProcessOptions;
  #child: ChildProcess | undefined;
  #nextId = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #outbox: Call[] = [];
  #flushScheduled = false;
  #closed = false;
  #downReason: string | undefined;
  #backoff = 100;
  #restartTimer: NodeJS.Timeout | undefined;

  private constructor(spec: KeyProcessStoreSpec, kind: string, child: ChildProcess, options: KeyProcessOptions) {
    this.#spec = spec;
    this.kind = `process:${kind}`;
    this.#options = options;
    this.#attach(child);
  }

  /** Starts the key process and waits until it has opened its key store. */
  static async start(spec: KeyProcessStoreSpec, options: KeyProcessOptions = {}): Promise<KeyProcess> {
    const { child, kind } = await KeyProcess.#spawn(spec, options.startTimeoutMs ?? 30_000);
    return new KeyProcess(spec, kind, child, options);
  }

  static #spawn(spec: KeyProcessStoreSpec, timeoutMs: number): Promise<{ child: ChildProcess; kind: string }> {
    return new Promise((resolve, reject) => {
      const child = fork(CHILD, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(down(`it did not open its key store within ${timeoutMs} ms`));
      }, timeoutMs);
      const onExit = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        reject(down(`it exited while starting (${signal ?? `status ${code}`})`));
      };
      child.once('exit', onExit);
      child.once('message', (m: FromKeyProcess) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        if (m.t === 'ready') resolve({ child, kind: m.kind });
        else {
          child.kill('SIGKILL');
          reject(m.t === 'failed' ? errorOf(m.error) : down('it answered out of turn'));
        }
      });
      child.send({ t: 'open', store: spec } satisfies ToKeyProcess);
    });
  }

  #attach(child: ChildProcess): void {
    this.#child = child;
    this.#downReason = undefined;
    child.on('message', (m: FromKeyProcess) => {
      if (m.t === 'results') for (const r of m.results) this.#settle(r);
    });
    // A send on a channel that just closed: the 'exit' handler fails the calls it carried.
    child.on('error', () => {});
    child.once('exit', (code, signal) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      if (this.#closed) return;
      const reason = `it exited (${signal ?? `status ${code}`})`;
      this.#downReason = reason;
      this.#failAll(down(reason));
      this.#options.onEvent?.({ type: 'down', reason });
      if (this.#options.restart !== false) this.#scheduleRestart();
    });
  }

  #scheduleRestart(): void {
    const wait = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, 5000);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#closed) return;
      KeyProcess.#spawn(this.#spec, 30_000).then(
        ({ child }) => {
          if (this.#closed) {
            child.kill();
            return;
          }
          this.#backoff = 100;
          this.#attach(child);
          this.#options.onEvent?.({ type: 'up' });
        },
        (e: unknown) => {
          this.#downReason = e instanceof Error ? e.message : 'it could not be started';
          this.#scheduleRestart();
        },
      );
    }, wait);
    this.#restartTimer.unref();
  }

  #settle(r: Result): void {
    const p = this.#pending.get(r.id);
    if (p === undefined) return;
    this.#pending.delete(r.id);
    if (r.ok) p.resolve(r.value);
    else p.reject(errorOf(r.error));
  }

  #failAll(e: Error): void {
    const pending = this.#pending;
    this.#pending = new Map();
    this.#outbox = [];
    for (const p of pending.values()) p.reject(e);
  }

  #call<T>(op: KeyOp, ...args: unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(new KeyError('VERITY_E_KEY_PROCESS_DOWN', 'the key store is closed'));
    if (this.#child === undefined) return Promise.reject(down(this.#downReason ?? 'it is starting'));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#outbox.push({ id, op, args });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        // Every call of this turn goes in one message.
        queueMicrotask(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const calls = this.#outbox;
    this.#outbox = [];
    if (calls.length === 0) return;
    const child = this.#child;
    if (child === undefined) {
      this.#failAll(down(this.#downReason ?? 'it is starting'));
      return;
    }
    for (let i = 0; i < calls.length; i += 4096)
      child.send({ t: 'calls', calls: calls.slice(i, i + 4096) } satisfies ToKeyProcess);
  }

  currentKekVersion(): Promise<number> {
    return this.#call('currentKekVersion');
  }
  listKeks(): Promise<readonly KekInfo[]> {
    return this.#call('listKeks');
  }
  rotateKek(): Promise<number> {
    return this.#call('rotateKek');
  }
  destroyKek(version: number): Promise<void> {
    return this.#call('destroyKek', version);
  }
  generateDataKey(context: Uint8Array): Promise<{ key: Uint8Array; wrapped: WrappedKey }> {
    return this.#call('generateDataKey', context);
  }
  wrapKey(key: Uint8Array, context: Uint8Array): Promise<WrappedKey> {
    return this.#call('wrapKey', key, context);
  }
  unwrapKey(wrapped: WrappedKey, context: Uint8Array): Promise<Uint8Array> {
    return this.#call('unwrapKey', { kekVersion: wrapped.kekVersion, bytes: wrapped.bytes }, context);
  }
  ensureSigningKey(name: string): Promise<Uint8Array> {
    return this.#call('ensureSigningKey', name);
  }
  sign(name: string, message: Uint8Array): Promise<Uint8Array> {
    return this.#call('sign', name, message);
  }
  ensureMacKey(name: string): Promise<void> {
    return this.#call('ensureMacKey', name);
  }
  mac(name: string, data: Uint8Array): Promise<Uint8Array> {
    return this.#call('mac', name, data);
  }
  ensureEvmKey(name: string): Promise<Uint8Array> {
    return this.#call('ensureEvmKey', name);
  }
  signEvmDigest(name: string, digest: Uint8Array): Promise<Uint8Array> {
    return this.#call('signEvmDigest', name, digest);
  }

  /** Closes the key store in the key process and waits for it to exit. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer);
    const child = this.#child;
    this.#child = undefined;
    this.#failAll(new KeyError('VERITY_E_KEY_PROCESS_DOWN', 'the key store is closed'));
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.send({ t: 'close' } satisfies ToKeyProcess);
    });
  }

  /** The key process's operating-system process id (tests stop it to check recovery). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }
}
