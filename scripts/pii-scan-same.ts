// Holds a speed change of the PII scanner to the same findings: writes the findings on the tuning
// half, the development set of chat and the benchmark's text (the development set repeated to
// 8 MB, in 512 KiB pieces, as bench/deid.ts scans it), at the default threshold and at 0 (every
// low-score candidate too), to a file; or compares them with a file written before the change and
// names the first texts that differ.
//
//   sh scripts/node.sh scripts/pii-scan-same.ts --write FILE    (before the change)
//   sh scripts/node.sh scripts/pii-scan-same.ts --against FILE  (after; exit code 1 if any differ)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scan } from '../src/pii/index.ts';

const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures');
const texts = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { text: string }).text);
const tune = texts(join(FIXTURES, 'pii-eval', 'tune.jsonl'));
const dev = texts(join(FIXTURES, 'pii-chat', 'dev.jsonl'));
const joined = `${dev.join('\n')}\n`;
let big = '';
while (big.length < 8e6) big += joined;
const pieces: string[] = [];
for (let i = 0; i < big.length; i += 512 * 1024) pieces.push(big.slice(i, i + 512 * 1024));

const lines: string[] = [];
for (const minScore of [0.5, 0])
  for (const [set, list] of [
    ['tune', tune],
    ['dev', dev],
    ['bench', pieces],
  ] as const)
    list.forEach((t, i) => {
      lines.push(`${set} ${minScore} ${i} ${JSON.stringify(scan(t, { minScore }))}`);
    });

const mode = process.argv[2];
const file = process.argv[3];
if (file === undefined || (mode !== '--write' && mode !== '--against')) {
  console.error('usage: pii-scan-same.ts --write FILE | --against FILE');
  process.exit(2);
}
if (mode === '--write') {
  writeFileSync(file, `${lines.join('\n')}\n`);
  console.log(`${lines.length} texts written`);
} else {
  const before = readFileSync(file, 'utf8').trim().split('\n');
  let differ = 0;
  for (let i = 0; i < Math.max(before.length, lines.length); i++)
    if (before[i] !== lines[i] && differ++ < 5)
      console.log(
        `differs: ${(lines[i] ?? before[i] ?? '').slice(0, 40)}\n  before ${before[i]?.slice(0, 300)}\n  after  ${lines[i]?.slice(0, 300)}`,
      );
  console.log(differ === 0 ? `same findings on all ${lines.length} texts` : `${differ} texts differ`);
  process.exit(differ === 0 ? 0 : 1);
}
