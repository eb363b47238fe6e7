// Risk scoring end to end: `verity risk score` over a stream, its handling of malformed lines, the
// shipped model retrained from its script, and a score carried into the policies' decision.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { train } from '../scripts/train-risk.ts';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { eventLine, FEATURES, generateEvents, policyRisk, RiskScorer } from '../src/risk/index.ts';
import { type CliRun, verityCli } from './helpers/cli.ts';

const ROOT = join(import.meta.dirname, '..');

function verity(args: string[], input: string): CliRun {
  return verityCli(args, { input });
}

describe('verity risk score', () => {
  it('writes one score line per event, in [0, 1] with reasons, the same as the library', () => {
    const events = generateEvents({ seed: 42, users: 30, days: 2, campaigns: 1 });
    const input = `${events.map((e) => eventLine(e.event)).join('\n')}\n`;
    const r = verity(['risk', 'score'], input);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, events.length);
    const lib = new RiskScorer();
    lines.forEach((line, i) => {
      const o = JSON.parse(line) as { score: number; reasons: string[] };
      assert.deepEqual(Object.keys(o), ['score', 'reasons']);
      assert.ok(o.score >= 0 && o.score <= 1);
      for (const why of o.reasons) assert.ok((FEATURES as readonly string[]).includes(why));
      assert.deepEqual(o, lib.score(JSON.parse(eventLine(events[i]!.event))));
    });
    assert.equal(r.stderr, '');
  });

  it('scores the README example file', () => {
    const input = readFileSync(join(ROOT, 'docs', 'examples', 'risk-events.jsonl'), 'utf8');
    const r = verity(['risk', 'score', '--input', join(ROOT, 'docs', 'examples', 'risk-events.jsonl')], '');
    assert.equal(r.code, 0, r.stderr);
    const scores = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { score: number }).score);
    assert.equal(scores.length, input.trimEnd().split('\n').length);
    // The owner at home is low; the takeover from another continent and the hijacked session high.
    assert.ok(scores[2]! < 0.3 && scores[4]! > 0.7 && scores[7]! > 0.7, scores.join(' '));
  });

  it('a malformed line gets an error line in its place and the stream goes on; --strict stops', () => {
    const good = '{"time":"2026-01-05T10:00:00Z","user":"p1","action":"login","success":true}';
    const input = [
      good,
      'not json',
      '',
      '{"user":"p1"}',
      `{"time":1,"user":"p1","x":"${'y'.repeat(20_000)}"}`,
      good,
    ].join('\n');
    const r = verity(['risk', 'score'], input);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, { code: string; message: string }>);
    assert.equal(out.length, 5); // the blank line is not an event
    assert.deepEqual(
      out.map((o) => o['error']?.code ?? 'score'),
      ['score', 'VERITY_E_RISK_EVENT_INVALID', 'VERITY_E_RISK_EVENT_INVALID', 'VERITY_E_RISK_EVENT_INVALID', 'score'],
    );
    assert.match(out[1]!['error']!.message, /^line 2: /);
    assert.match(out[3]!['error']!.message, /^line 5: an event line is longer/);
    assert.match(r.stderr, /"malformedLines":3/);
    const strict = verity(['risk', 'score', '--strict'], input);
    assert.equal(strict.code, 2);
    assert.equal(strict.stdout.trimEnd().split('\n').length, 1);
    assert.match(strict.stderr, /VERITY_E_RISK_EVENT_INVALID.*line 2/);
  });

  it('refuses a damaged model file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verity-risk-'));
    writeFileSync(join(dir, 'm.json'), '{"kind":"logistic-regression","version":1}');
    const r = verity(['risk', 'score', '--model', join(dir, 'm.json')], '');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /VERITY_E_RISK_MODEL_INVALID/);
  });

  it('verity help lists verity risk score', () => {
    const r = verity(['help'], '');
    assert.match(r.stdout, /verity risk score/);
  });
});

describe('risk model and policies', () => {
  it('the shipped model is what scripts/train-risk.ts trains (reproducible)', () => {
    const shipped = JSON.parse(readFileSync(join(ROOT, 'src', 'risk', 'model.json'), 'utf8')) as unknown;
    assert.deepEqual(JSON.parse(JSON.stringify(train())), shipped);
  });

  it('a score reaches the policies: the takeover must step up, the owner goes through', () => {
    const scorer = new RiskScorer();
    const t0 = Date.UTC(2026, 2, 2, 8);
    const home = { user: 'p1', ip: '198.51.100.7', country: 'DE', lat: 52.5, lon: 13.4, device: 'd1' };
    for (let day = 0; day < 5; day++)
      scorer.score({ ...home, time: t0 + day * 86_400_000, authenticator: 'passkey', action: 'login', success: true });
    const owner = scorer.score({ ...home, time: t0 + 5 * 86_400_000, action: 'trade', success: true });
    const thief = scorer.score({
      ...home,
      time: t0 + 5 * 86_400_000 + 60_000,
      ip: '203.0.113.50',
      device: 'dz',
      action: 'trade',
      success: true,
    });
    const engine = PolicyEngine.load(DEFAULT_POLICIES);
    const decide = (score: number, stepUp: boolean) =>
      engine.authorize(
        { kind: 'player', id: 'p1', recordTypes: ['avatar.profile'] },
        'write',
        {
          kind: 'record',
          id: 'r',
          owner: { id: 'p1' },
          type: 'avatar.profile',
          category: 'c',
          sensitivity: 'internal',
        },
        { purpose: 'service-provision', time: t0, risk: policyRisk(score), stepUp },
      );
    assert.equal(decide(owner.score, false).allowed, true);
    const d = decide(thief.score, false);
    assert.ok(!d.allowed, String(thief.score));
    assert.ok(d.stepUpRequired || d.reasons.includes('deny-high-risk'));
  });
});
