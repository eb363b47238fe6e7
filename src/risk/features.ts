/**
 * Online features of a sign-in or sensitive operation, computed from the events before it only.
 * State is kept per user, per IP address and per device, each in a map bounded by a cap with the
 * least recently seen key evicted first; every list inside a key is bounded too, so memory and the
 * cost of one event stay constant however long the stream runs.
 *
 * INVARIANT (no look-ahead): `extract(e)` reads the state before `e`, then folds `e` in; nothing
 * ever reads an event after the one being scored.
 */

import { isSignIn, type RiskEvent } from './event.ts';

/** Feature names, in the order of the vector `extract` returns (the model's columns). */
export const FEATURES = [
  'first_seen_user',
  'new_device',
  'new_authenticator',
  'new_country',
  'new_ip',
  'new_device_and_country',
  'impossible_travel',
  'travel_speed',
  'travel_distance',
  'failed',
  'user_failures_10m',
  'user_failures_24h',
  'success_after_failures',
  'ip_failures_10m',
  'ip_users_10m',
  'ip_failed_users_1h',
  'ip_rate_1m',
  'user_rate_1m',
  'user_signins_10m',
  'rapid_succession',
  'device_users_24h',
  'new_account',
  'unusual_hour',
  'unusual_action',
  'sensitive_action',
  'device_changed_in_session',
  'ip_changed_in_session',
  'country_changed_in_session',
  'no_recent_signin',
  'missing_device',
  'missing_location',
] as const;
export type FeatureName = (typeof FEATURES)[number];

/** Bounds of the scorer's memory. */
export interface FeatureLimits {
  /** Users remembered (least recently seen evicted first). Default 100,000. */
  readonly maxUsers?: number;
  /** IP addresses remembered. Default 100,000. */
  readonly maxIps?: number;
  /** Devices remembered. Default 100,000. */
  readonly maxDevices?: number;
}

/** Actions that change an account or move value: matched as words of the action's name. */
const SENSITIVE =
  /(^|_)(password|passwd|email|phone|mfa|2fa|otp|authenticator|recovery|reset|transfer|withdraw|withdrawal|payout|payment|pay|purchase|sell|trade|gift|delete|export|api_key|token|address|bank|card)(_|$)/;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Faster than an airliner between two places far enough apart that geolocation error cannot explain it. */
const IMPOSSIBLE_KMH = 1000;
const IMPOSSIBLE_MIN_KM = 500;
/** How long a device, country, authenticator or address stays "new" after its first success. */
const NOVELTY = 6 * HOUR;
const EARTH_KM = 6371.0088;

/** Great-circle distance in km (haversine, mean Earth radius). */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = Math.PI / 180;
  const dLat = (lat2 - lat1) * r;
  const dLon = (lon2 - lon1) * r;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** A bounded ring of recent times with a tag each (newest last). */
class Ring<T> {
  readonly #times: number[] = [];
  readonly #tags: T[] = [];
  #start = 0;
  readonly #cap: number;
  constructor(cap: number) {
    this.#cap = cap;
  }
  push(time: number, tag: T): void {
    if (this.#times.length < this.#cap) {
      this.#times.push(time);
      this.#tags.push(tag);
      return;
    }
    this.#times[this.#start] = time;
    this.#tags[this.#start] = tag;
    this.#start = (this.#start + 1) % this.#cap;
  }
  /** Visits entries newer than `since`, newest first; at most `cap` of them. */
  each(since: number, visit: (tag: T) => void): void {
    const n = this.#times.length;
    for (let k = 1; k <= n; k++) {
      const i = (this.#start - k + n) % n;
      if ((this.#times[i] as number) <= since) return;
      visit(this.#tags[i] as T);
    }
  }
  count(since: number): number {
    let c = 0;
    this.each(since, () => c++);
    return c;
  }
}

/** Remembers `key` as most recent in a capped map (insertion order = recency). */
function remember<V>(map: Map<string, V>, key: string, value: V, cap: number): void {
  if (map.has(key)) map.delete(key);
  map.set(key, value);
  if (map.size > cap) map.delete(map.keys().next().value as string);
}

/** Remembers when `key` was first seen, and that it was seen just now (recency for eviction). */
function firstSeen(map: Map<string, number>, key: string, t: number, cap: number): void {
  remember(map, key, map.get(key) ?? t, cap);
}

interface Session {
  readonly time: number;
  readonly device: string | undefined;
  readonly ip: string | undefined;
  readonly country: string | undefined;
}

interface UserState {
  readonly first: number;
  last: number;
  count: number;
  /** Value: when first seen with a success. */
  readonly devices: Map<string, number>;
  readonly authenticators: Map<string, number>;
  readonly countries: Map<string, number>;
  readonly ips: Map<string, number>;
  /** Value: how often. */
  readonly actions: Map<string, number>;
  readonly hours: Uint32Array;
  /** Tag: 1 sign-in, 0 other. */
  readonly recent: Ring<number>;
  readonly failures: Ring<number>;
  geo: { lat: number; lon: number; time: number } | undefined;
  session: Session | undefined;
}

interface IpState {
  /** Tag: the user, and whether it failed. */
  readonly recent: Ring<{ user: string; failed: boolean }>;
}

interface DeviceState {
  readonly users: Map<string, number>;
}

const log1p = Math.log1p;
/** A bounded log scale: log1p(x) / log1p(max), capped at 1. */
const scaled = (x: number, max: number) => Math.min(1, log1p(Math.max(0, x)) / log1p(max));

/**
 * The online feature extractor. Feed events in time order; an event earlier than the last one is
 * treated as happening at the last one's time (the stream's clock never runs backwards).
 */
export class FeatureState {
  readonly #users = new Map<string, UserState>();
  readonly #ips = new Map<string, IpState>();
  readonly #devices = new Map<string, DeviceState>();
  readonly #maxUsers: number;
  readonly #maxIps: number;
  readonly #maxDevices: number;
  #clock = Number.NEGATIVE_INFINITY;

  constructor(limits: FeatureLimits = {}) {
    const cap = (v: number | undefined, name: string) => {
      const n = v ?? 100_000;
      if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer`);
      return n;
    };
    this.#maxUsers = cap(limits.maxUsers, 'maxUsers');
    this.#maxIps = cap(limits.maxIps, 'maxIps');
    this.#maxDevices = cap(limits.maxDevices, 'maxDevices');
  }

  /** Users currently remembered (for tests of the bounds). */
  get users(): number {
    return this.#users.size;
  }

  /** The feature vector of `e` (in `FEATURES` order) from past events only; then `e` joins the state. */
  extract(e: RiskEvent): Float64Array {
    const t = Math.max(e.time, this.#clock);
    this.#clock = t;
    const x = new Float64Array(FEATURES.length);
    const u = this.#users.get(e.user);
    const ip = e.ip === undefined ? undefined : this.#ips.get(e.ip);
    const dev = e.device === undefined ? undefined : this.#devices.get(e.device);
    const signIn = isSignIn(e.action);
    const failed = e.success === false;
    const seen = u !== undefined && u.count > 0;
    let i = 0;
    const set = (v: number) => {
      x[i++] = v;
    };
    // New: never seen with a success, or first seen so recently that it is the same visit (an
    // attacker's own sign-in must not make their device familiar for what they do next).
    const isNew = (m: Map<string, number> | undefined, k: string | undefined) => {
      if (!seen || k === undefined || m === undefined) return 0;
      const first = m.get(k);
      // What a user brought to their first visit is theirs, not new.
      return first === undefined || (t - first < NOVELTY && first - (u as UserState).first > NOVELTY) ? 1 : 0;
    };
    set(seen ? 0 : 1); // first_seen_user
    const newDevice = isNew(u?.devices, e.device);
    const newCountry = isNew(u?.countries, e.country);
    set(newDevice);
    set(isNew(u?.authenticators, e.authenticator));
    set(newCountry);
    set(isNew(u?.ips, e.ip));
    set(newDevice * newCountry);
    // Travel since the last located success: km/h against a floor of one minute (clock skew).
    let speed = 0;
    let km = 0;
    if (u?.geo !== undefined && e.lat !== undefined && e.lon !== undefined) {
      km = haversineKm(u.geo.lat, u.geo.lon, e.lat, e.lon);
      speed = km / (Math.max(t - u.geo.time, MINUTE) / HOUR);
    }
    set(speed > IMPOSSIBLE_KMH && km > IMPOSSIBLE_MIN_KM ? 1 : 0);
    set(scaled(speed, 20_000));
    set(scaled(km, 20_000));
    set(failed ? 1 : 0);
    const fails10 = u === undefined ? 0 : u.failures.count(t - 10 * MINUTE);
    set(scaled(fails10, 50));
    set(u === undefined ? 0 : scaled(u.failures.count(t - DAY), 50));
    set(signIn && e.success === true && fails10 >= 2 ? 1 : 0);
    // The address: failures, distinct users and distinct failing users (credential stuffing), rate.
    let ipFails = 0;
    let ipRate = 0;
    const users10 = new Set<string>();
    const failedUsers = new Set<string>();
    if (ip !== undefined) {
      ip.recent.each(t - HOUR, (tag) => {
        if (tag.failed) failedUsers.add(tag.user);
      });
      ip.recent.each(t - 10 * MINUTE, (tag) => {
        users10.add(tag.user);
        if (tag.failed) ipFails++;
      });
      ipRate = ip.recent.count(t - MINUTE);
    }
    set(scaled(ipFails, 100));
    set(scaled(users10.size, 100));
    set(scaled(failedUsers.size, 100));
    set(scaled(ipRate, 200));
    set(u === undefined ? 0 : scaled(u.recent.count(t - MINUTE), 200));
    let signIns = 0;
    u?.recent.each(t - 10 * MINUTE, (tag) => {
      signIns += tag;
    });
    set(scaled(signIns, 50));
    // 1 for events in the same second, falling to 0 at a minute apart or more.
    set(u === undefined ? 0 : Math.max(0, 1 - scaled((t - u.last) / 1000, 60)));
    let devUsers = 0;
    dev?.users.forEach((when) => {
      if (when > t - DAY) devUsers++;
    });
    set(scaled(devUsers, 50));
    set(u === undefined ? 1 : Math.max(0, 1 - scaled((t - u.first) / DAY, 30)));
    // Habits need a history before a departure from them means anything.
    const hour = new Date(t).getUTCHours();
    if (u !== undefined && u.count >= 5) {
      const near =
        (u.hours[(hour + 23) % 24] as number) + (u.hours[hour] as number) + (u.hours[(hour + 1) % 24] as number);
      set(1 - (near + 0.5) / (u.count + 1));
      set(1 - ((u.actions.get(e.action) ?? 0) + 0.5) / (u.count + 1));
    } else {
      set(0);
      set(0);
    }
    set(!signIn && SENSITIVE.test(e.action) ? 1 : 0);
    // Session hijack: an operation from another device, address or country than the sign-in it rides on.
    const s = u?.session;
    const moved = (a: string | undefined, b: string | undefined) =>
      !signIn && s !== undefined && a !== undefined && b !== undefined && a !== b ? 1 : 0;
    set(moved(e.device, s?.device));
    set(moved(e.ip, s?.ip));
    set(moved(e.country, s?.country));
    set(!signIn && (s === undefined || t - s.time > DAY) ? 1 : 0);
    set(e.device === undefined ? 1 : 0);
    set(e.lat === undefined ? 1 : 0);
    this.#update(e, t, u, ip, dev, signIn, failed);
    return x;
  }

  #update(
    e: RiskEvent,
    t: number,
    known: UserState | undefined,
    knownIp: IpState | undefined,
    knownDev: DeviceState | undefined,
    signIn: boolean,
    failed: boolean,
  ): void {
    const u: UserState = known ?? {
      first: t,
      last: t,
      count: 0,
      devices: new Map(),
      authenticators: new Map(),
      countries: new Map(),
      ips: new Map(),
      actions: new Map(),
      hours: new Uint32Array(24),
      recent: new Ring(64),
      failures: new Ring(64),
      geo: undefined,
      session: undefined,
    };
    remember(this.#users, e.user, u, this.#maxUsers);
    u.last = t;
    u.recent.push(t, signIn ? 1 : 0);
    if (failed) u.failures.push(t, 1);
    // Only what succeeded (or whose outcome is unknown) becomes the user's "known" world: an
    // attacker's failed tries must not teach the scorer that their device is familiar.
    if (!failed) {
      u.count++;
      const hour = new Date(t).getUTCHours();
      u.hours[hour] = (u.hours[hour] as number) + 1;
      if (e.device !== undefined) firstSeen(u.devices, e.device, t, 16);
      if (e.authenticator !== undefined) firstSeen(u.authenticators, e.authenticator, t, 8);
      if (e.country !== undefined) firstSeen(u.countries, e.country, t, 16);
      if (e.ip !== undefined) firstSeen(u.ips, e.ip, t, 32);
      remember(u.actions, e.action, (u.actions.get(e.action) ?? 0) + 1, 32);
      if (e.lat !== undefined && e.lon !== undefined) u.geo = { lat: e.lat, lon: e.lon, time: t };
      if (signIn) u.session = { time: t, device: e.device, ip: e.ip, country: e.country };
    }
    if (e.ip !== undefined) {
      const ip = knownIp ?? { recent: new Ring(128) };
      ip.recent.push(t, { user: e.user, failed });
      remember(this.#ips, e.ip, ip, this.#maxIps);
    }
    if (e.device !== undefined) {
      const d = knownDev ?? { users: new Map() };
      remember(d.users, e.user, t, 64);
      remember(this.#devices, e.device, d, this.#maxDevices);
    }
  }
}
