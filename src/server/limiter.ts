// Per-address limits on the public endpoints that write to the log without a token (OpenID Connect
// nonces and sign-ins, passkey sign-ins and recovery): without them, anyone who can reach the
// server can grow the log and the state without bound. Written here rather than taken from
// @fastify/rate-limit: it is a dozen lines over one bounded map, and its answer must be Verity's
// error shape with a stable code.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { VerityError } from '../errors/index.ts';

/** Requests per address and window on the sign-in endpoints (default: 120 a minute). */
export interface SignInLimit {
  readonly requests: number;
  readonly windowMs: number;
}

export const DEFAULT_SIGNIN_LIMIT: SignInLimit = { requests: 120, windowMs: 60_000 };

/** Addresses tracked at most; the oldest windows are dropped first (an attacker cannot grow it). */
const MAX_ADDRESSES = 50_000;

/** A fixed-window counter per client address, bounded in memory. */
export class AddressLimiter {
  readonly #limit: SignInLimit;
  readonly #now: () => number;
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(limit: SignInLimit = DEFAULT_SIGNIN_LIMIT, now: () => number = Date.now) {
    if (
      !Number.isInteger(limit.requests) ||
      limit.requests < 1 ||
      !Number.isInteger(limit.windowMs) ||
      limit.windowMs < 1
    )
      throw new RangeError('a sign-in limit is a positive number of requests in a positive window (ms)');
    this.#limit = limit;
    this.#now = now;
  }

  /** Counts one request from `address`; returns the ms to wait when it is over the limit, else 0. */
  take(address: string): number {
    const now = this.#now();
    let w = this.#windows.get(address);
    if (w === undefined || now - w.start >= this.#limit.windowMs) {
      this.#windows.delete(address);
      if (this.#windows.size >= MAX_ADDRESSES) {
        const oldest = this.#windows.keys().next().value;
        if (oldest !== undefined) this.#windows.delete(oldest);
      }
      w = { start: now, count: 0 };
      this.#windows.set(address, w);
    }
    w.count++;
    return w.count > this.#limit.requests ? w.start + this.#limit.windowMs - now : 0;
  }

  /** A route hook (`onRequest`): answers 429 VERITY_E_RATE_LIMITED with Retry-After when over. */
  hook(): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
    return async (req, reply) => {
      const wait = this.take(req.ip);
      if (wait > 0) {
        reply.header('retry-after', String(Math.max(1, Math.ceil(wait / 1000))));
        throw new VerityError(
          'VERITY_E_RATE_LIMITED',
          'too many sign-in requests from this address; wait as Retry-After says, then try again',
        );
      }
    };
  }
}
