/**
 * A labeled event generator for training and measuring the risk model: seeded, so the same seed
 * gives the same stream byte for byte. Legitimate users have homes, devices, habits (hours, action
 * mix), typos, trips abroad, new phones, VPN exits and shared NAT addresses, so that no single
 * signal separates fraud from them. The fraud patterns are listed in `PATTERNS` and documented in
 * docs/risk.md; `unseen: true` swaps them for patterns the model was never tuned on.
 */

import type { RiskEvent } from './event.ts';

/** What a generated event is: legitimate, or which fraud pattern produced it. */
export interface LabeledEvent {
  readonly event: RiskEvent;
  readonly fraud: boolean;
  readonly pattern: string;
}

/** The fraud patterns the model is trained on, and the ones it is not. */
export const PATTERNS = {
  tuned: ['credential_stuffing', 'takeover_new_country', 'session_hijack', 'bot_velocity'],
  unseen: ['low_and_slow_stuffing', 'takeover_neighbour_country', 'sim_swap'],
} as const;

/** Options of `generateEvents`. */
export interface GeneratorOptions {
  readonly seed: number;
  /** Legitimate users. Default 300. */
  readonly users?: number;
  /** Days of activity. Default 10. */
  readonly days?: number;
  /** Fraud campaigns per pattern. Default 12. */
  readonly campaigns?: number;
  /** Generate the unseen patterns instead of the tuned ones. */
  readonly unseen?: boolean;
  /** Start of the stream (ms). Default 2026-01-05T00:00:00Z. */
  readonly start?: number;
}

/** sfc32, a small fast PRNG with a 128-bit state (PractRand-clean); seeded through splitmix32. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  const mix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

/** Countries with a rough centre and their neighbours (for plausible travel and unseen takeovers). */
const COUNTRIES: Readonly<Record<string, { lat: number; lon: number; near: readonly string[] }>> = {
  DE: { lat: 51.2, lon: 10.4, near: ['FR', 'NL', 'PL', 'AT', 'CH'] },
  FR: { lat: 46.6, lon: 2.2, near: ['DE', 'ES', 'CH', 'BE'] },
  NL: { lat: 52.1, lon: 5.3, near: ['DE', 'BE'] },
  BE: { lat: 50.5, lon: 4.5, near: ['NL', 'FR', 'DE'] },
  ES: { lat: 40.4, lon: -3.7, near: ['FR', 'PT'] },
  PT: { lat: 39.4, lon: -8.2, near: ['ES'] },
  PL: { lat: 51.9, lon: 19.1, near: ['DE', 'CZ'] },
  CZ: { lat: 49.8, lon: 15.5, near: ['DE', 'PL', 'AT'] },
  AT: { lat: 47.5, lon: 14.6, near: ['DE', 'CZ', 'CH'] },
  CH: { lat: 46.8, lon: 8.2, near: ['DE', 'FR', 'AT'] },
  GB: { lat: 54, lon: -2, near: ['IE', 'FR'] },
  IE: { lat: 53.4, lon: -8.2, near: ['GB'] },
  US: { lat: 39.8, lon: -98.6, near: ['CA', 'MX'] },
  CA: { lat: 56.1, lon: -106.3, near: ['US'] },
  MX: { lat: 23.6, lon: -102.6, near: ['US'] },
  BR: { lat: -14.2, lon: -51.9, near: ['AR'] },
  AR: { lat: -38.4, lon: -63.6, near: ['BR'] },
  JP: { lat: 36.2, lon: 138.3, near: ['KR'] },
  KR: { lat: 35.9, lon: 127.8, near: ['JP'] },
  IN: { lat: 20.6, lon: 79, near: ['BD'] },
  BD: { lat: 23.7, lon: 90.4, near: ['IN'] },
  NG: { lat: 9.1, lon: 8.7, near: ['GH'] },
  GH: { lat: 7.9, lon: -1, near: ['NG'] },
  AU: { lat: -25.3, lon: 133.8, near: ['NZ'] },
  NZ: { lat: -40.9, lon: 174.9, near: ['AU'] },
  VN: { lat: 14.1, lon: 108.3, near: ['TH'] },
  TH: { lat: 15.9, lon: 101, near: ['VN'] },
  RU: { lat: 61.5, lon: 105.3, near: ['PL'] },
};
const CODES = Object.keys(COUNTRIES);
const ACTIONS = ['view', 'view', 'view', 'chat', 'chat', 'trade', 'profile_update', 'transfer', 'password_change'];
const AUTHS = ['password', 'password', 'password', 'passkey', 'passkey', 'totp', 'sms'];
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

interface User {
  readonly id: string;
  readonly home: string;
  readonly city: { lat: number; lon: number };
  readonly homeIp: string;
  devices: string[];
  auth: string;
  readonly peakHour: number;
  readonly rate: number;
  readonly fast: boolean;
  readonly mix: readonly string[];
  readonly nat: string | undefined;
}

/**
 * A labeled, time-ordered stream. Times are ISO strings in the event (as a stream from outside
 * would carry them); ties keep generation order.
 */
export function generateEvents(options: GeneratorOptions): LabeledEvent[] {
  const r = prng(options.seed);
  const nUsers = options.users ?? 300;
  const days = options.days ?? 10;
  const campaigns = options.campaigns ?? 12;
  const start = options.start ?? Date.UTC(2026, 0, 5);
  const end = start + days * DAY;
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)] as T;
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
  const ipv4 = () =>
    `${Math.floor(r() * 223) + 1}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${Math.floor(r() * 254) + 1}`;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const out: { t: number; n: number; e: LabeledEvent }[] = [];
  let seq = 0;
  const emit = (t: number, fields: Omit<RiskEvent, 'time'>, pattern = 'legitimate') => {
    if (t < start || t >= end) return;
    // Optional fields go missing now and then, as in real streams.
    const f: Record<string, unknown> = { ...fields };
    if (r() < 0.04) {
      delete f['lat'];
      delete f['lon'];
    }
    if (r() < 0.02) delete f['device'];
    out.push({ t, n: seq++, e: { event: { time: t, ...f } as RiskEvent, fraud: pattern !== 'legitimate', pattern } });
  };
  const near = (c: string) => {
    const k = COUNTRIES[c] ?? { lat: 0, lon: 0 };
    return { lat: +(k.lat + gauss() * 1.5).toFixed(3), lon: +(k.lon + gauss() * 1.5).toFixed(3) };
  };
  const nats = Array.from({ length: Math.max(1, Math.floor(nUsers / 40)) }, () => ipv4());
  const users: User[] = Array.from({ length: nUsers }, (_, i) => {
    const home = pick(CODES);
    return {
      id: `u${options.seed % 1000}-${i}-${hex(4)}`,
      home,
      city: near(home),
      homeIp: ipv4(),
      devices: [`dev-${hex(10)}`, ...(r() < 0.4 ? [`dev-${hex(10)}`] : [])],
      auth: pick(AUTHS),
      peakHour: Math.floor(r() * 24),
      rate: 0.3 + r() * 2.2,
      fast: r() < 0.05,
      mix: Array.from({ length: 4 }, () => pick(ACTIONS)),
      nat: r() < 0.2 ? pick(nats) : undefined,
    };
  });

  /** One sign-in (with the odd typo first) and what follows in the session; returns its end. */
  const session = (
    u: User,
    t: number,
    where: { country: string; lat: number; lon: number; ip: string },
    device: string,
  ): number => {
    const base = { user: u.id, ip: where.ip, country: where.country, lat: where.lat, lon: where.lon, device };
    if (r() < 0.06) {
      emit(t, { ...base, authenticator: u.auth, action: 'login', success: false });
      t += 5000 + r() * 40000;
      if (r() < 0.2) {
        emit(t, { ...base, authenticator: u.auth, action: 'login', success: false });
        t += 5000 + r() * 40000;
      }
    }
    emit(t, { ...base, authenticator: u.auth, action: 'login', success: true });
    const k = u.fast ? 5 + Math.floor(r() * 20) : 1 + Math.floor(r() * 7);
    for (let j = 0; j < k; j++) {
      t += u.fast ? 1500 + r() * 8000 : 20_000 + r() * 300_000;
      emit(t, { ...base, action: r() < 0.85 ? pick(u.mix) : pick(ACTIONS), success: true });
    }
    return t;
  };

  const homeOf = (u: User) => ({ country: u.home, ...u.city, ip: u.nat !== undefined && r() < 0.6 ? u.nat : u.homeIp });
  // Legitimate activity, including trips, new phones and VPN exits.
  for (const u of users) {
    const trip = r() < 0.08 ? { from: start + r() * days * DAY, to: 0, where: pick(CODES), ip: ipv4() } : undefined;
    if (trip !== undefined) trip.to = trip.from + (1 + r() * 4) * DAY;
    const newPhoneAt = r() < 0.1 ? start + r() * days * DAY : Number.POSITIVE_INFINITY;
    const vpn = r() < 0.05;
    let switched = false;
    let last = start;
    for (let day = 0; day < days; day++) {
      const n = Math.floor(u.rate + r());
      for (let s = 0; s < n; s++) {
        let t = start + day * DAY + ((((u.peakHour + gauss() * 2.5) % 24) + 24) % 24) * HOUR + r() * HOUR;
        if (t <= last) t = last + 10 * MIN + r() * HOUR;
        if (t >= newPhoneAt && !switched) {
          u.devices = [`dev-${hex(10)}`, ...u.devices];
          if (r() < 0.5) u.auth = pick(AUTHS);
          switched = true;
        }
        let where = homeOf(u);
        if (trip !== undefined && t >= trip.from && t < trip.to) {
          // Flying takes at least the distance at airliner speed plus the airports.
          t = Math.max(t, trip.from + 3 * HOUR);
          where = { country: trip.where, ...near(trip.where), ip: trip.ip };
        } else if (vpn && r() < 0.1) {
          where = { country: pick(CODES), ...near(pick(CODES)), ip: ipv4() };
        }
        const device = t >= newPhoneAt ? (u.devices[0] as string) : pick(u.devices);
        last = session(u, t, where, device);
      }
    }
  }
  const victim = () => pick(users);
  const attackerAt = (c: string) => ({ country: c, ...near(c), ip: ipv4() });
  const far = (u: User) => {
    for (;;) {
      const c = pick(CODES);
      if (c !== u.home && !(COUNTRIES[u.home]?.near ?? []).includes(c)) return c;
    }
  };
  const when = () => start + r() * (days - 0.5) * DAY;
  for (let c = 0; c < campaigns; c++) {
    if (options.unseen !== true) {
      // Credential stuffing: one address tries many accounts (and some that do not exist), fast.
      {
        let t = when();
        const a = attackerAt(pick(CODES));
        const device = `dev-${hex(10)}`;
        const tries = 20 + Math.floor(r() * 80);
        for (let k = 0; k < tries; k++) {
          t += 1000 + r() * 15000;
          const user = r() < 0.8 ? victim().id : `u-${hex(6)}`;
          const ok = r() < 0.04;
          emit(
            t,
            { user, ...a, device, authenticator: 'password', action: 'login', success: ok },
            'credential_stuffing',
          );
          if (ok) emit(t + 4000, { user, ...a, device, action: 'view', success: true }, 'credential_stuffing');
        }
      }
      // Takeover from a new, distant country: new device, a try or two, then the account is changed;
      // half the time within hours of the victim's own activity (phished credentials used at once).
      {
        const u = victim();
        let t = when();
        const own = r() < 0.5 ? out.filter((x) => x.e.event.user === u.id && !x.e.fraud) : [];
        if (own.length > 0) t = (pick(own).t as number) + 20 * MIN + r() * 3 * HOUR;
        const a = attackerAt(far(u));
        const base = { user: u.id, ...a, device: `dev-${hex(10)}`, authenticator: 'password' };
        for (let k = Math.floor(r() * 3); k > 0; k--) {
          emit(t, { ...base, action: 'login', success: false }, 'takeover_new_country');
          t += 10_000 + r() * 60_000;
        }
        emit(t, { ...base, action: 'login', success: true }, 'takeover_new_country');
        for (const action of ['view', pick(['password_change', 'email_change']), pick(['transfer', 'trade'])]) {
          t += 30_000 + r() * 300_000;
          emit(t, { ...base, action, success: true }, 'takeover_new_country');
        }
      }
      // Session hijack: a stolen session token used from another address and device, no sign-in.
      {
        const u = victim();
        const t = session(u, when(), homeOf(u), pick(u.devices));
        const a = attackerAt(r() < 0.5 ? u.home : far(u));
        const device = `dev-${hex(10)}`;
        let s = t + 60_000 + r() * 20 * MIN;
        for (let k = 1 + Math.floor(r() * 3); k > 0; k--) {
          emit(
            s,
            { user: u.id, ...a, device, action: pick(['view', 'transfer', 'trade', 'profile_update']), success: true },
            'session_hijack',
          );
          s += 20_000 + r() * 120_000;
        }
      }
      // Bot velocity: an account driven by a script, dozens of actions a minute.
      {
        const u = r() < 0.5 ? victim() : undefined;
        const id = u?.id ?? `u-${hex(6)}`;
        const where = u === undefined ? attackerAt(pick(CODES)) : homeOf(u);
        const device = u === undefined ? `dev-${hex(10)}` : pick(u.devices);
        let t = when();
        emit(
          t,
          { user: id, ...where, device, authenticator: u?.auth ?? 'password', action: 'login', success: true },
          'bot_velocity',
        );
        for (let k = 30 + Math.floor(r() * 120); k > 0; k--) {
          t += 300 + r() * 2500;
          emit(
            t,
            { user: id, ...where, device, action: pick(['trade', 'view', 'chat', 'gift']), success: true },
            'bot_velocity',
          );
        }
      }
    } else {
      // Low-and-slow stuffing: a botnet, each address used once or twice, minutes apart, from the victims' countries.
      {
        let t = when();
        for (let k = 20 + Math.floor(r() * 40); k > 0; k--) {
          t += 3 * MIN + r() * 25 * MIN;
          const u = victim();
          const a = attackerAt(u.home);
          const ok = r() < 0.03;
          emit(
            t,
            { user: u.id, ...a, device: `dev-${hex(10)}`, authenticator: 'password', action: 'login', success: ok },
            'low_and_slow_stuffing',
          );
        }
      }
      // Takeover from a neighbouring country at the victim's usual hour, right password first time.
      {
        const u = victim();
        const day = Math.floor(r() * (days - 1));
        let t = start + day * DAY + u.peakHour * HOUR + r() * HOUR;
        const a = attackerAt(pick(COUNTRIES[u.home]?.near ?? CODES));
        const base = { user: u.id, ...a, device: `dev-${hex(10)}`, authenticator: u.auth };
        emit(t, { ...base, action: 'login', success: true }, 'takeover_neighbour_country');
        for (const action of ['email_change', 'withdraw']) {
          t += 2 * MIN + r() * 20 * MIN;
          emit(t, { ...base, action, success: true }, 'takeover_neighbour_country');
        }
      }
      // SIM swap: the number is moved, a recovery by SMS code from the victim's country, a new phone.
      {
        const u = victim();
        let t = when();
        const a = attackerAt(u.home);
        const base = { user: u.id, ...a, device: `dev-${hex(10)}`, authenticator: 'sms' };
        emit(t, { ...base, action: 'account_recovery', success: true }, 'sim_swap');
        t += MIN + r() * 5 * MIN;
        emit(t, { ...base, action: 'login', success: true }, 'sim_swap');
        for (const action of ['mfa_reset', 'payout']) {
          t += MIN + r() * 10 * MIN;
          emit(t, { ...base, action, success: true }, 'sim_swap');
        }
      }
    }
  }
  out.sort((a, b) => a.t - b.t || a.n - b.n);
  return out.map((x) => x.e);
}

/** An event as one JSON line of the CLI's input format (time as ISO 8601). */
export function eventLine(e: RiskEvent): string {
  return JSON.stringify({ ...e, time: new Date(e.time).toISOString() });
}
