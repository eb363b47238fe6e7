// The PII scanner's speed on one thread in process CPU time (a shared machine's other work does
// not count): the benchmark's text (the development set of chat repeated) scanned in 512 KiB
// pieces, round after round; prints each round's MB/s and the median of the last half. With
// `--bench`, the benchmark's own sequence instead (bench/deid.ts piiScanOneThreadMBps).
//
//   sh scripts/node.sh scripts/pii-speed.ts [MB] [rounds] | --bench
//
// PII_SCANNER=path/to/index.ts measures another copy of the scanner (the one before a change).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const { scan } = (await import(
  process.env.PII_SCANNER ?? '../src/pii/index.ts'
)) as typeof import('../src/pii/index.ts');

const dev = readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'pii-chat', 'dev.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => (JSON.parse(l) as { text: string }).text);
const text = `${dev.join('\n')}\n`;
const bench = process.argv[2] === '--bench';
const mb = bench ? 8 : Number(process.argv[2] ?? 4);
const rounds = bench ? 1 : Number(process.argv[3] ?? 25);
let big = '';
while (big.length < mb * 1e6) big += text;
const pieces: string[] = [];
for (let i = 0; i < big.length; i += 512 * 1024) pieces.push(big.slice(i, i + 512 * 1024));
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
// The benchmark scans the labeled sets message by message before (its quality figures), then the
// joined text once.
if (bench) {
  for (const t of dev) scan(t);
  for (const t of dev) scan(t);
  scan(text);
}
const speeds: number[] = [];
for (let r = 0; r < rounds; r++) {
  const t = cpu();
  for (const p of pieces) scan(p);
  speeds.push(big.length / 1e6 / ((cpu() - t) / 1000));
}
const late = speeds.slice(Math.floor(speeds.length / 2)).sort((a, b) => a - b);
console.log(`rounds ${speeds.map((s) => s.toFixed(1)).join(' ')}`);
console.log(
  `first ${speeds[0]?.toFixed(1)} MB/s, steady (median of last half) ${late[Math.floor(late.length / 2)]?.toFixed(1)} MB/s, best ${late.at(-1)?.toFixed(1)} MB/s`,
);
