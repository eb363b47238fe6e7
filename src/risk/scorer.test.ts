import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FEATURES } from './features.ts';
import { generateEvents } from './generator.ts';
import { precisionAtRecall, rocAuc } from './metrics.ts';
import { policyRisk, RiskScorer } from './scorer.ts';

describe('risk scorer', () => {
  // A small held-out stream (seed never used in training): the shipped model separates fraud.
  const events = generateEvents({ seed: 99, users: 120, days: 5, campaigns: 5 });

  it('ranks held-out fraud above legitimate activity (ROC AUC >= 0.95)', () => {
    const scorer = new RiskScorer();
    const scores = events.map((e) => scorer.scoreEvent(e.event).score);
    const labels = events.map((e) => e.fraud);
    const auc = rocAuc(scores, labels);
    assert.ok(auc >= 0.95, `ROC AUC ${auc}`);
    assert.ok(precisionAtRecall(scores, labels, 0.9) > 0.2);
  });

  it('is deterministic, scores in [0, 1] and names only features as reasons', () => {
    const a = new RiskScorer();
    const b = new RiskScorer();
    for (const e of events.slice(0, 3000)) {
      const r = a.scoreEvent(e.event);
      assert.deepEqual(r, b.scoreEvent(e.event));
      assert.ok(r.score >= 0 && r.score <= 1);
      assert.ok(r.reasons.length <= 3);
      for (const why of r.reasons) assert.ok((FEATURES as readonly string[]).includes(why));
      // Reasons never carry the event's data (user, address, device).
      assert.ok(!r.reasons.some((why) => why === e.event.user || why === e.event.ip || why === e.event.device));
    }
  });

  it('a takeover from a new country scores higher than the owner coming back', () => {
    const s = new RiskScorer();
    const t0 = Date.UTC(2026, 2, 2, 8);
    const home = {
      user: 'p1',
      ip: '198.51.100.7',
      country: 'DE',
      lat: 52.5,
      lon: 13.4,
      device: 'd1',
      authenticator: 'passkey',
    };
    for (let day = 0; day < 5; day++) s.score({ ...home, time: t0 + day * 86_400_000, action: 'login', success: true });
    const owner = s.score({ ...home, time: t0 + 5 * 86_400_000, action: 'login', success: true });
    const thief = s.score({
      time: t0 + 5 * 86_400_000 + 1_800_000,
      user: 'p1',
      ip: '203.0.113.50',
      country: 'BR',
      lat: -23.5,
      lon: -46.6,
      device: 'dz',
      authenticator: 'password',
      action: 'login',
      success: true,
    });
    assert.ok(thief.score > 0.7 && owner.score < 0.2, `${thief.score} ${owner.score}`);
    assert.ok(thief.reasons.length > 0);
  });

  it('metrics: AUC and precision at recall on known cases', () => {
    assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]), 1);
    assert.equal(rocAuc([0.5, 0.5], [false, true]), 0.5);
    // Of the four (fraud, legit) pairs only 0.8 > 0.2 is ranked right.
    assert.equal(rocAuc([0.9, 0.1, 0.8, 0.2], [false, true, true, false]), 0.25);
    // Scores 0.9 (fraud), 0.8 (legit), 0.7 (fraud): 90% recall needs both frauds, 2 of 3 flagged.
    assert.equal(precisionAtRecall([0.9, 0.8, 0.7], [true, false, true], 0.9), 2 / 3);
  });

  it('policyRisk: a score of 0.7 is 70, rounded down, within 0 to 100', () => {
    assert.equal(policyRisk(0.7), 70);
    assert.equal(policyRisk(0.6999), 69);
    assert.equal(policyRisk(0.29), 29);
    assert.equal(policyRisk(1), 100);
    assert.throws(() => policyRisk(1.5), RangeError);
  });
});
