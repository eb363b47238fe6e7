// Risk scoring: accuracy on the held-out split and on patterns the generator was not tuned for,
// and the cost of scoring one event beside JSON.parse of the same line and a Map get/set (the
// floor any per-event state costs), measured in the same run.
import { HELD_OUT, UNSEEN } from '../scripts/train-risk.ts';
import { eventLine, generateEvents, precisionAtRecall, RiskScorer, rocAuc } from '../src/risk/index.ts';
import type { Figure } from './core.ts';

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Per-call µs of `fn` over `items`, one timing each, after `warm` untimed calls (JIT warm-up). */
function timings<T>(items: readonly T[], fn: (x: T) => unknown, warm = 2000): { p50: number; p99: number } {
  for (let i = 0; i < Math.min(items.length, warm); i++) fn(items[i] as T);
  const t = new Float64Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const s = process.hrtime.bigint();
    fn(items[i] as T);
    t[i] = Number(process.hrtime.bigint() - s) / 1000;
  }
  t.sort();
  return { p50: percentile(t, 0.5), p99: percentile(t, 0.99) };
}

export function benchRisk(quick: boolean): Figure[] {
  const size = quick ? { users: 150, days: 7, campaigns: 8 } : {};
  const figures: Figure[] = [];
  for (const [name, spec] of [
    ['HeldOut', HELD_OUT],
    ['Unseen', UNSEEN],
  ] as const) {
    const events = generateEvents({ ...spec, ...size });
    const scorer = new RiskScorer();
    const scores = events.map((e) => scorer.scoreEvent(e.event).score);
    const labels = events.map((e) => e.fraud);
    figures.push(
      { name: `risk${name}RocAuc`, value: rocAuc(scores, labels), unit: 'ratio' },
      { name: `risk${name}PrecisionAt90Recall`, value: precisionAtRecall(scores, labels, 0.9), unit: 'ratio' },
    );
  }
  // Latency: the whole path of one CLI line (parse, validate, features, model, reasons).
  const lines = generateEvents({ ...HELD_OUT, ...size, seed: 77 }).map((e) => eventLine(e.event));
  // Warm up on a scorer of its own, then time a fresh one over the whole stream in order.
  const warm = new RiskScorer();
  for (const l of lines.slice(0, 2000)) warm.scoreLine(l);
  const scorer = new RiskScorer();
  const score = timings(lines, (l) => scorer.scoreLine(l), 0);
  const parse = timings(lines, (l) => JSON.parse(l));
  const map = new Map<string, number>();
  const users = lines.map((l) => (JSON.parse(l) as { user: string }).user);
  const mapCost = timings(users, (u) => map.set(u, (map.get(u) ?? 0) + 1));
  figures.push(
    { name: 'riskScoreP50Micros', value: score.p50, unit: 'µs' },
    { name: 'riskScoreP99Micros', value: score.p99, unit: 'µs' },
    { name: 'rawJsonParseP99Micros', value: parse.p99, unit: 'µs' },
    { name: 'rawMapGetSetP99Micros', value: mapCost.p99, unit: 'µs' },
    { name: 'riskScoreP99VsJsonParse', value: score.p99 / parse.p99, unit: 'ratio' },
  );
  return figures;
}

if (import.meta.main) {
  for (const f of benchRisk(process.argv.includes('--quick'))) process.stdout.write(`${f.name} ${f.value} ${f.unit}\n`);
}
