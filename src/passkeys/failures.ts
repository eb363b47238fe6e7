import { encodeAuditEntry } from '../audit/index.ts';
import type { TransparencyLog } from '../log/index.ts';

/** Why a ceremony was refused, as counted in the log (fixed names, never caller input). */
export type FailureReason = 'challenge' | 'invalid' | 'unknown' | 'counter' | 'authenticator' | 'recovery' | 'other';

/**
 * Failed ceremonies, aggregated: at most one log entry per window, counting the failures by reason
 * and ceremony. A caller who sends garbage as fast as it can adds one entry per window, not one per
 * request (sign-in is unauthenticated: per-request entries would let anyone grow the log at will).
 * Failures name no player, passkey or session.
 */
export class FailureTally {
  readonly #log: TransparencyLog;
  readonly #now: () => number;
  readonly #windowMs: number;
  #counts = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #pending: Promise<unknown> = Promise.resolve();

  constructor(log: TransparencyLog, now: () => number, windowMs = 10_000) {
    this.#log = log;
    this.#now = now;
    this.#windowMs = windowMs;
  }

  /** Counts one failure; the window's entry is written when it closes. */
  note(ceremony: 'signin' | 'register' | 'stepup' | 'recovery', reason: FailureReason): void {
    const key = `${ceremony}_${reason}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => void this.flush(), this.#windowMs);
      this.#timer.unref();
    }
  }

  /** Writes the counted failures now (one entry), if any; resolves once it is durable. */
  flush(): Promise<unknown> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#counts.size === 0) return this.#pending;
    const details: Record<string, number> = {};
    let total = 0;
    for (const [k, n] of this.#counts) {
      details[k] = n;
      total += n;
    }
    details['failures'] = total;
    details['windowMs'] = this.#windowMs;
    this.#counts = new Map();
    const entry = encodeAuditEntry({
      actor: 'player:anonymous',
      action: 'passkey.failure',
      resource: 'passkey:ceremonies',
      purpose: 'authentication',
      outcome: 'denied',
      time: this.#now(),
      details,
    });
    this.#pending = this.#log.submit((_tx, batch) => batch.add(entry)).catch(() => undefined);
    return this.#pending;
  }
}
