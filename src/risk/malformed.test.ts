// Malformed events: every bad input is refused with VERITY_E_RISK_EVENT_INVALID, never anything
// else, and never with the line's content (it names a person) in the message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isVerityError } from '../errors/index.ts';
import { MAX_EVENT_LINE, parseEventLine, toRiskEvent } from './event.ts';
import { RiskScorer } from './scorer.ts';

const refused = (f: () => unknown) =>
  assert.throws(
    f,
    (e) => isVerityError(e, 'VERITY_E_RISK_EVENT_INVALID') && !/secret-player/.test((e as Error).message),
  );

describe('malformed risk events', () => {
  it('refuses non-objects, missing user or time, and wrong types', () => {
    for (const line of [
      'secret-player',
      '[]',
      'null',
      '42',
      '{"user":"secret-player"}',
      '{"time":"2026-01-01T00:00:00Z"}',
      '{"time":"yesterday","user":"secret-player"}',
      '{"time":"2026-01-01T00:00:00Z","user":{"id":1}}',
      '{"time":"2026-01-01T00:00:00Z","user":"secret-player","lat":91,"lon":0}',
      '{"time":"2026-01-01T00:00:00Z","user":"secret-player","lat":1,"lon":"east"}',
      '{"time":"2026-01-01T00:00:00Z","user":"secret-player","success":"maybe"}',
      '{"time":1e300,"user":"secret-player"}',
      `{"time":1,"user":"${'x'.repeat(300)}"}`,
      `{"time":1,"user":"secret-player","pad":"${'x'.repeat(MAX_EVENT_LINE)}"}`,
    ])
      refused(() => parseEventLine(line));
  });

  it('reads the usual spellings: epoch seconds or ms, ISO with offset, "true", string coordinates', () => {
    const a = toRiskEvent({ time: 1767225600, user: 'a', success: 'true', lat: '48.8', lon: '2.3' });
    const b = toRiskEvent({ time: 1767225600000, user: 'a', success: true, lat: 48.8, lon: 2.3 });
    const c = toRiskEvent({ time: '2026-01-01T01:00:00+01:00', user: 'a', success: 1, lat: 48.8, lon: 2.3 });
    assert.deepEqual(a, b);
    assert.deepEqual(b, c);
    // No offset: UTC, whatever the machine's time zone.
    assert.equal(toRiskEvent({ time: '2026-01-01T00:00', user: 'a' }).time, Date.UTC(2026, 0, 1));
    assert.equal(toRiskEvent({ time: '2026-01-01 00:00:00.5', user: 'a' }).time, Date.UTC(2026, 0, 1) + 500);
    assert.equal(a.action, 'login');
    // A lone coordinate is dropped (only pairs mean a place); unknown fields are ignored.
    assert.equal(toRiskEvent({ time: 1, user: 'a', lat: 3, extra: { deep: [1] } }).lat, undefined);
  });

  it('any line either scores in [0, 1] with known reasons or is refused with the code (property)', () => {
    const scorer = new RiskScorer();
    const field = fc.oneof(
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
    );
    const event = fc.record(
      {
        time: fc.oneof(
          fc.integer({ min: 0, max: 2e12 }),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          field,
        ),
        user: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), field),
        ip: field,
        country: field,
        lat: fc.oneof(fc.double({ min: -90, max: 90, noNaN: true }), field),
        lon: fc.oneof(fc.double({ min: -180, max: 180, noNaN: true }), field),
        device: field,
        authenticator: field,
        action: field,
        success: field,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          event.map((e) => JSON.stringify(e)),
          fc.string({ maxLength: 200 }),
        ),
        (line) => {
          try {
            const r = scorer.scoreLine(line);
            assert.ok(r.score >= 0 && r.score <= 1);
            assert.ok(Array.isArray(r.reasons));
          } catch (e) {
            assert.ok(isVerityError(e, 'VERITY_E_RISK_EVENT_INVALID'), String(e));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
