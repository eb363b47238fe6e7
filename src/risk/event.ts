/**
 * One sign-in or sensitive operation as the risk scorer sees it, and its validation. Every field but
 * `time` and `user` is optional: a stream from outside may lack any of them, and a missing field is a
 * signal of its own, never an error.
 */

import { InputError } from '../errors/index.ts';

/** An event, validated and normalised. */
export interface RiskEvent {
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly user: string;
  readonly ip?: string;
  /** ISO 3166-1 alpha-2 or any short label; compared as given (upper-cased). */
  readonly country?: string;
  readonly lat?: number;
  readonly lon?: number;
  readonly device?: string;
  readonly authenticator?: string;
  /** Lower-cased; `login` when absent. */
  readonly action: string;
  /** Absent: the outcome is unknown (counted neither as a success nor as a failure). */
  readonly success?: boolean;
}

/** Largest JSON line the scorer accepts (bytes of UTF-16 text, which bounds the UTF-8 size too). */
export const MAX_EVENT_LINE = 16 * 1024;
/** Longest identifier kept (user, ip, device, authenticator, action, country). */
const MAX_ID = 256;
const MAX_TIME = 8_640_000_000_000_000; // the largest Date
/** ISO 8601 date-time with an offset or Z, or a plain date; what `Date.parse` reads the same everywhere. */
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Action names counted as sign-ins (lower-cased, `-` and spaces read as `_`). */
const SIGN_INS = new Set(['login', 'signin', 'sign_in', 'logon', 'log_in', 'authenticate', 'auth', 'session_start']);

/** Whether a normalised action is a sign-in. */
export function isSignIn(action: string): boolean {
  return SIGN_INS.has(action);
}

function bad(message: string): never {
  throw new InputError('VERITY_E_RISK_EVENT_INVALID', message);
}

function id(o: Record<string, unknown>, name: string): string | undefined {
  const v = o[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') bad(`${name} must be a string; fix the event or leave ${name} out`);
  if (v.length > MAX_ID) bad(`${name} is longer than ${MAX_ID} characters`);
  return v;
}

function coordinate(o: Record<string, unknown>, name: string, limit: number): number | undefined {
  let v = o[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') v = Number(v);
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > limit)
    bad(`${name} must be a number from -${limit} to ${limit}; fix the event or leave ${name} out`);
  return v;
}

/** Milliseconds since the epoch from a number (seconds below 1e11, else milliseconds) or an ISO 8601 string. */
function timeOf(v: unknown): number {
  let t: number;
  if (typeof v === 'number') t = Math.abs(v) < 1e11 ? v * 1000 : v;
  else if (typeof v === 'string' && v.length <= 40 && ISO.test(v)) {
    // A date-time without an offset is UTC here (Date.parse would read it in the machine's zone,
    // and the same input must score the same everywhere).
    const m = ISO.exec(v) as RegExpExecArray;
    t = Date.parse(m[1] !== undefined && m[4] === undefined ? `${v}Z` : v);
  } else bad('time must be an ISO 8601 date-time or a number of (milli)seconds since the epoch');
  if (!Number.isFinite(t) || Math.abs(t) > MAX_TIME) bad('time is out of range');
  return Math.round(t);
}

/**
 * Validates one parsed event. Throws `VERITY_E_RISK_EVENT_INVALID` when `time` or `user` is
 * missing or a present field has the wrong type. Unknown fields are ignored.
 */
export function toRiskEvent(value: unknown): RiskEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) bad('an event must be a JSON object');
  const o = value as Record<string, unknown>;
  const user = id(o, 'user');
  if (user === undefined) bad('an event needs a user');
  if (o['time'] === undefined || o['time'] === null) bad('an event needs a time');
  const time = timeOf(o['time']);
  const lat = coordinate(o, 'lat', 90);
  const lon = coordinate(o, 'lon', 180);
  // Spellings of a boolean that exporters use are read as one; anything else is an error.
  const raw = o['success'];
  const s = raw === 'true' || raw === 1 ? true : raw === 'false' || raw === 0 ? false : raw;
  if (s !== undefined && s !== null && typeof s !== 'boolean') bad('success must be true or false');
  const action = (id(o, 'action') ?? 'login').toLowerCase().replace(/[\s-]+/g, '_');
  const ev: {
    -readonly [K in keyof RiskEvent]: RiskEvent[K];
  } = { time, user, action };
  const ip = id(o, 'ip');
  if (ip !== undefined) ev.ip = ip;
  const country = id(o, 'country');
  if (country !== undefined) ev.country = country.toUpperCase();
  // A coordinate is used only as a pair.
  if (lat !== undefined && lon !== undefined) {
    ev.lat = lat;
    ev.lon = lon;
  }
  const device = id(o, 'device');
  if (device !== undefined) ev.device = device;
  const authenticator = id(o, 'authenticator');
  if (authenticator !== undefined) ev.authenticator = authenticator.toLowerCase();
  if (typeof s === 'boolean') ev.success = s;
  return ev;
}

/** Parses and validates one JSON line (attacker-controlled: size checked before parsing). */
export function parseEventLine(line: string): RiskEvent {
  if (line.length > MAX_EVENT_LINE) bad(`an event line is longer than ${MAX_EVENT_LINE} characters`);
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    // The line itself is never quoted: it names a person.
    bad('an event line is not JSON');
  }
  return toRiskEvent(v);
}
