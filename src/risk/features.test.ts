import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { RiskEvent } from './event.ts';
import { FEATURES, type FeatureName, FeatureState, haversineKm } from './features.ts';
import { generateEvents } from './generator.ts';
import { RiskScorer } from './scorer.ts';

const T0 = Date.UTC(2026, 2, 2, 8);
const MIN = 60_000;
const at = (x: Float64Array, f: FeatureName) => x[FEATURES.indexOf(f)] as number;
const ev = (over: Partial<RiskEvent> & { time: number }): RiskEvent => ({
  user: 'p1',
  action: 'login',
  success: true,
  ip: '198.51.100.1',
  country: 'DE',
  lat: 52.52,
  lon: 13.405,
  device: 'd1',
  authenticator: 'passkey',
  ...over,
});

describe('risk features', () => {
  it('haversine: Berlin to Paris and London to New York (great-circle km)', () => {
    // Reference distances on a sphere of mean radius 6371.0088 km, computed independently.
    assert.ok(Math.abs(haversineKm(52.52, 13.405, 48.8566, 2.3522) - 877.5) < 1.5);
    assert.ok(Math.abs(haversineKm(51.5074, -0.1278, 40.7128, -74.006) - 5570.2) < 3);
    assert.equal(haversineKm(10, 10, 10, 10), 0);
    assert.ok(Math.abs(haversineKm(0, 0, 0, 180) - Math.PI * 6371.0088) < 1e-6);
  });

  it('impossible travel: Berlin then Sydney an hour later, not a day later', () => {
    const s = new FeatureState();
    s.extract(ev({ time: T0 }));
    const x = s.extract(ev({ time: T0 + 60 * MIN, lat: -33.87, lon: 151.21, country: 'AU', ip: '203.0.113.5' }));
    assert.equal(at(x, 'impossible_travel'), 1);
    assert.equal(at(x, 'new_country'), 1);
    const slow = new FeatureState();
    slow.extract(ev({ time: T0 }));
    const y = slow.extract(ev({ time: T0 + 24 * 60 * MIN, lat: -33.87, lon: 151.21, country: 'AU' }));
    assert.equal(at(y, 'impossible_travel'), 0);
    assert.ok(at(y, 'travel_speed') > 0);
  });

  it('a new device stays new for its first hours, then is familiar; the first visit brings none', () => {
    const s = new FeatureState();
    assert.equal(at(s.extract(ev({ time: T0 })), 'first_seen_user'), 1);
    assert.equal(at(s.extract(ev({ time: T0 + MIN })), 'new_device'), 0);
    const later = T0 + 3 * 24 * 60 * MIN;
    assert.equal(at(s.extract(ev({ time: later, device: 'd2' })), 'new_device'), 1);
    assert.equal(at(s.extract(ev({ time: later + 10 * MIN, device: 'd2', action: 'view' })), 'new_device'), 1);
    assert.equal(at(s.extract(ev({ time: later + 7 * 60 * MIN, device: 'd2' })), 'new_device'), 0);
  });

  it('a failed try does not make the attacker device familiar', () => {
    const s = new FeatureState();
    s.extract(ev({ time: T0 }));
    for (let i = 1; i <= 3; i++) s.extract(ev({ time: T0 + 24 * 60 * MIN + i * 1000, device: 'evil', success: false }));
    const x = s.extract(ev({ time: T0 + 24 * 60 * MIN + 5000, device: 'evil' }));
    assert.equal(at(x, 'new_device'), 1);
    assert.equal(at(x, 'success_after_failures'), 1);
    assert.ok(at(x, 'user_failures_10m') > 0);
  });

  it('velocity windows count only what is inside them', () => {
    const s = new FeatureState();
    // One address, 20 users failing within five minutes (credential stuffing).
    let x: Float64Array = new Float64Array();
    for (let i = 0; i < 20; i++)
      x = s.extract(ev({ time: T0 + i * 15_000, user: `v${i}`, device: 'bot', success: false, ip: '192.0.2.66' }));
    assert.ok(at(x, 'ip_users_10m') > 0.6, String(at(x, 'ip_users_10m')));
    assert.ok(at(x, 'ip_failed_users_1h') > 0.6);
    assert.ok(at(x, 'ip_rate_1m') > 0);
    // Two hours later the windows are empty again.
    const y = s.extract(ev({ time: T0 + 120 * MIN, user: 'v99', ip: '192.0.2.66' }));
    assert.equal(at(y, 'ip_users_10m'), 0);
    assert.equal(at(y, 'ip_failed_users_1h'), 0);
    assert.equal(at(y, 'ip_rate_1m'), 0);
  });

  it('session hijack: an operation from another device and address than its sign-in', () => {
    const s = new FeatureState();
    s.extract(ev({ time: T0 }));
    const same = s.extract(ev({ time: T0 + MIN, action: 'transfer' }));
    assert.equal(at(same, 'device_changed_in_session'), 0);
    const x = s.extract(ev({ time: T0 + 2 * MIN, action: 'transfer', device: 'other', ip: '203.0.113.9' }));
    assert.equal(at(x, 'device_changed_in_session'), 1);
    assert.equal(at(x, 'ip_changed_in_session'), 1);
    assert.equal(at(x, 'sensitive_action'), 1);
  });

  it('missing optional fields are signals, not errors', () => {
    const s = new FeatureState();
    const x = s.extract({ time: T0, user: 'p9', action: 'login' });
    assert.equal(at(x, 'missing_device'), 1);
    assert.equal(at(x, 'missing_location'), 1);
    assert.ok(x.every(Number.isFinite));
  });

  it('memory is bounded: the least recently seen user is forgotten past the cap', () => {
    const s = new FeatureState({ maxUsers: 50, maxIps: 10, maxDevices: 10 });
    for (let i = 0; i < 500; i++) s.extract(ev({ time: T0 + i, user: `u${i}`, ip: `ip${i}`, device: `d${i}` }));
    assert.equal(s.users, 50);
    assert.throws(() => new FeatureState({ maxUsers: 0 }), RangeError);
  });

  it('a clock that runs backwards is held at the latest time', () => {
    const s = new FeatureState();
    s.extract(ev({ time: T0 }));
    const x = s.extract(ev({ time: T0 - 10 * 60 * MIN, lat: -33.87, lon: 151.21 }));
    assert.equal(at(x, 'impossible_travel'), 1);
  });

  it('no look-ahead: the score of event i is the same whatever follows it (property)', () => {
    const stream = generateEvents({ seed: 7, users: 20, days: 2, campaigns: 1 }).map((e) => e.event);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: stream.length }),
        fc.array(fc.integer({ min: 0, max: stream.length - 1 }), { maxLength: 30 }),
        (cut, extra) => {
          const prefix = stream.slice(0, cut);
          const a = new RiskScorer();
          const alone = prefix.map((e) => a.scoreEvent(e));
          const b = new RiskScorer();
          // The same prefix, then more events (re-timed to come after it).
          const last = (prefix.at(-1) as RiskEvent).time;
          const more = extra.map((k, i) => ({ ...(stream[k] as RiskEvent), time: last + 1000 * (i + 1) }));
          const all = [...prefix, ...more].map((e) => b.scoreEvent(e));
          assert.deepEqual(all.slice(0, cut), alone);
        },
      ),
      { numRuns: 25 },
    );
  });
});
