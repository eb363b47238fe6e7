import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { eventLine, generateEvents, PATTERNS, prng } from './generator.ts';

const digest = (seed: number, unseen = false) =>
  createHash('sha256')
    .update(
      generateEvents({ seed, users: 60, days: 3, campaigns: 2, unseen })
        .map((e) => `${eventLine(e.event)} ${e.pattern}`)
        .join('\n'),
    )
    .digest('hex');

describe('labeled event generator', () => {
  it('is deterministic: the same seed gives the same stream, another seed another', () => {
    assert.equal(digest(11), digest(11));
    assert.notEqual(digest(11), digest(12));
    assert.equal(digest(11, true), digest(11, true));
  });

  it('prng: uniform in [0, 1), repeatable', () => {
    const a = prng(5);
    const b = prng(5);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = a();
      assert.equal(x, b());
      assert.ok(x >= 0 && x < 1);
      sum += x;
    }
    assert.ok(Math.abs(sum / 10_000 - 0.5) < 0.02);
  });

  it('emits every documented pattern, labeled, in time order', () => {
    for (const unseen of [false, true]) {
      const events = generateEvents({ seed: 3, users: 80, days: 4, campaigns: 2, unseen });
      const patterns = new Set(events.map((e) => e.pattern));
      for (const p of unseen ? PATTERNS.unseen : PATTERNS.tuned) assert.ok(patterns.has(p), p);
      assert.ok(patterns.has('legitimate'));
      for (const e of events) assert.equal(e.fraud, e.pattern !== 'legitimate');
      for (let i = 1; i < events.length; i++) assert.ok(events[i - 1]!.event.time <= events[i]!.event.time);
      const fraud = events.filter((e) => e.fraud).length / events.length;
      assert.ok(fraud > 0.005 && fraud < 0.3, String(fraud));
    }
  });

  it('writes the CLI input format (ISO time first)', () => {
    const [first] = generateEvents({ seed: 1, users: 5, days: 1, campaigns: 0 });
    assert.match(eventLine(first!.event), /^\{"time":"\d{4}-\d\d-\d\dT[\d:.]+Z","user":/);
  });
});
