import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type * as PinoPretty from 'pino-pretty';

/**
 * pino-pretty, loaded the first time a server logs for people: its some 30 modules cost every
 * server start about 40 ms, and the default log is JSON (D338). A CommonJS package, so `require`
 * loads it there and then, without making the logger's setup asynchronous.
 */
function prettyFactory(options: PinoPretty.PrettyOptions): (line: string) => string {
  const load = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return load.prettyFactory(options) as (line: string) => string;
}

/** How much the server logs. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** One JSON object per line (for machines), or one readable line per entry (for people). */
export type LogFormat = 'json' | 'pretty';

/** The levels and formats accepted, for interfaces that read them from flags or the environment. */
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/**
 * The server's log (pino, through Fastify). One line per request with its method, route pattern,
 * status, duration and the kind of principal; authentication failures with their reason; start,
 * stop, and errors with their stack. Never a token, a secret, a subject or a body.
 */
export interface LogOptions {
  /** Default `info`: one line per request. */
  readonly level?: LogLevel;
  /** Default `json`. */
  readonly format?: LogFormat;
  /** Where lines go. Default: standard output. */
  readonly destination?: { write(line: string): unknown };
  /** Authentication-failure lines per second at most; the rest are counted (`suppressed`). Default 10. */
  readonly authFailuresPerSecond?: number;
}

/** The Fastify logger configuration for `options`, or false for no log. */
export function loggerConfig(options: LogOptions | undefined): NonNullable<FastifyServerOptions['logger']> {
  if (options === undefined) return false;
  const out = options.destination ?? process.stdout;
  let stream = out;
  if (options.format === 'pretty') {
    const pretty = prettyFactory({
      colorize: false,
      translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
    });
    stream = { write: (line: string) => out.write(pretty(line)) };
  }
  return {
    level: options.level ?? 'info',
    stream,
  };
}

/** Whether `options` log one line per request (level info or finer). */
export function logsRequests(options: LogOptions | undefined): boolean {
  return options !== undefined && ['info', 'debug', 'trace'].includes(options.level ?? 'info');
}

/**
 * Request ids: a random prefix per server and a counter, unique across restarts without a random
 * draw per request. Answered in 500s and bound to every log line of the request (`reqId`).
 */
export function requestIds(): () => string {
  const prefix = randomBytes(4).toString('hex');
  let n = 0;
  return () => `${prefix}-${(++n).toString(36)}`;
}

/**
 * At most `perSecond` calls of `emit` per second; the ones refused are counted and handed to the
 * next emitted line, or reported on their own once the second is over.
 */
export function rateLimiter(
  perSecond: number,
  onSuppressed: (count: number) => void,
  now: () => number = () => performance.now(),
): (emit: (suppressed: number) => void) => void {
  let windowStart = Number.NEGATIVE_INFINITY;
  let used = 0;
  let suppressed = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    if (suppressed > 0) {
      const n = suppressed;
      suppressed = 0;
      onSuppressed(n);
    }
  };
  return (emit) => {
    const t = now();
    if (t - windowStart >= 1000) {
      windowStart = t;
      used = 0;
    }
    if (used < perSecond) {
      used++;
      const n = suppressed;
      suppressed = 0;
      emit(n);
      return;
    }
    suppressed++;
    // A burst that then stops is still reported; the timer never keeps the process alive.
    timer ??= setTimeout(flush, Math.max(1, 1000 - (t - windowStart))).unref();
  };
}

/** Logs an authentication failure with its reason (the error's message: fixed text, never the token). */
export function authFailureLogger(log: FastifyBaseLogger, perSecond: number) {
  const limit = rateLimiter(perSecond, (suppressed) =>
    log.warn({ event: 'auth.failed', suppressed }, 'authentication failures suppressed'),
  );
  return (reason: string, route: string) =>
    limit((suppressed) =>
      log.warn(
        { event: 'auth.failed', reason, route, ...(suppressed > 0 ? { suppressed } : {}) },
        'authentication failed',
      ),
    );
}
