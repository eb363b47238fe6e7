// Prints the PII scanner's errors on the TUNING half of the evaluation corpus (docs/pii-corpus.md),
// the only half a change may be read from: per type figures, then findings in messages with no
// personal data (false alarms), then missed entities, then the other false positives grouped by
// type and text, largest class first. It reads tune.jsonl only and has no switch for the held-back
// half, which is measured, never read (D104, D209).
//
//   sh scripts/node.sh scripts/pii-tune-errors.ts [--summary]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate, type Finding, scan } from '../src/pii/index.ts';

interface Row {
  text: string;
  entities: { type: string; start: number; end: number; value: string }[];
  structure: number | string;
}

const TUNE = join(import.meta.dirname, '..', 'test', 'fixtures', 'pii-eval', 'tune.jsonl');
const rows = readFileSync(TUNE, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Row);
const found = new Map<string, Finding[]>(rows.map((r) => [r.text, scan(r.text)]));
const show = (text: string, fs: readonly Finding[]) =>
  fs.map((f) => `${f.type}:${text.slice(f.start, f.end)}(${f.score.toFixed(2)})`).join(' | ');
const n3 = (x: number) => x.toFixed(3);

const report = evaluate(rows, (t) => found.get(t) ?? scan(t));
console.log(`overall F1 ${n3(report.overall.f1)} P ${n3(report.overall.precision)} R ${n3(report.overall.recall)}`);
for (const [type, s] of Object.entries(report.perType))
  if (s.tp + s.fp + s.fn > 0)
    console.log(
      `${type.padEnd(14)} F1 ${n3(s.f1)} P ${n3(s.precision)} R ${n3(s.recall)} tp ${s.tp} fp ${s.fp} fn ${s.fn}`,
    );
const clean = rows.filter((r) => r.entities.length === 0);
const alarms = clean.filter((r) => (found.get(r.text) ?? []).length > 0);
console.log(`no-PII messages with a finding: ${alarms.length} / ${clean.length} (${n3(alarms.length / clean.length)})`);
if (process.argv.includes('--summary')) process.exit(0);

console.log('\n== findings in messages with no personal data');
for (const r of alarms) console.log(`[${r.structure}] ${r.text}\n    -> ${show(r.text, found.get(r.text) ?? [])}`);

console.log('\n== missed entities');
const extra = new Map<string, string[]>();
for (const r of rows) {
  const fs = found.get(r.text) ?? [];
  const matched = new Set<number>();
  for (const f of fs) {
    const hit = r.entities.findIndex(
      (e, i) => !matched.has(i) && e.type === f.type && f.start < e.end && e.start < f.end,
    );
    if (hit >= 0) matched.add(hit);
    else if (r.entities.length > 0) {
      const key = `${f.type} ${r.text.slice(f.start, f.end).toLowerCase()}`;
      extra.set(key, [...(extra.get(key) ?? []), `[${r.structure}] ${r.text}`]);
    }
  }
  r.entities.forEach((e, i) => {
    if (!matched.has(i))
      console.log(`${e.type}: "${e.value}" in [${r.structure}] ${r.text}\n    -> ${show(r.text, fs)}`);
  });
}

console.log('\n== other false positives, largest class first');
for (const [key, where] of [...extra].sort((a, b) => b[1].length - a[1].length))
  console.log(`${where.length} × ${key}\n    ${where.slice(0, 3).join('\n    ')}`);
