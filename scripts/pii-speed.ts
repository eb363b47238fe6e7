// The PII scanner's speed on one thread in process CPU time (a shared machine's other work does
// not count): the benchmark's text (the development set of chat repeated) scanned in 512 KiB
// pieces, round after round; prints each round's MB/s and the median and best of the last half.
// With `--bench`, the benchmark's own sequence instead (bench/deid.ts piiScanOneThreadMBps): the
// labeled sets scanned first, then eight passes (the benchmark measures the pass after the first
// that runs within 3% of the pass before it, D409).
// With `--against DIR`, a copy of the scanner in DIR (the one before a change, e.g. from
// `git archive`, placed beside src/pii) is measured in the same process, its rounds alternating
// with this one's (A B A B), so that both see the same load.
//
//   sh scripts/node.sh scripts/pii-speed.ts [MB] [rounds] [--against src/pii-before] | --bench
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scan as scanB } from '../src/pii/index.ts';

type Scan = typeof scanB;
const args = process.argv.slice(2);
const against = args.indexOf('--against');
const scanA: Scan | undefined =
  against < 0 ? undefined : ((await import(resolve(args[against + 1] as string, 'index.ts'))) as { scan: Scan }).scan;
const bench = args[0] === '--bench';
const numbers = args.filter((a, i) => /^\d+$/.test(a) && (against < 0 || i !== against + 1)).map(Number);

const dev = readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'pii-chat', 'dev.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => (JSON.parse(l) as { text: string }).text);
const text = `${dev.join('\n')}\n`;
const mb = bench ? 8 : (numbers[0] ?? 4);
const rounds = bench ? 8 : (numbers[1] ?? 25);
let big = '';
while (big.length < mb * 1e6) big += text;
const pieces: string[] = [];
for (let i = 0; i < big.length; i += 512 * 1024) pieces.push(big.slice(i, i + 512 * 1024));
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const scanners: [string, Scan][] =
  scanA === undefined
    ? [['', scanB]]
    : [
        ['A ', scanA],
        ['B ', scanB],
      ];
// The benchmark scans the labeled sets message by message before (its quality figures), then
// passes over the pieces until one runs within 3% of the pass before it, at most six (D409); its
// first pass is the first of the rounds here.
if (bench)
  for (const [, scan] of scanners) {
    for (const t of dev) scan(t);
    for (const t of dev) scan(t);
  }
const speeds = scanners.map(() => [] as number[]);
for (let r = 0; r < rounds; r++)
  scanners.forEach(([, scan], s) => {
    const t = cpu();
    for (const p of pieces) scan(p);
    speeds[s]?.push(big.length / 1e6 / ((cpu() - t) / 1000));
  });
scanners.forEach(([name], s) => {
  const all = speeds[s] as number[];
  const late = all.slice(Math.floor(all.length / 2)).sort((a, b) => a - b);
  console.log(`${name}rounds ${all.map((v) => v.toFixed(1)).join(' ')}`);
  console.log(
    `${name}first ${all[0]?.toFixed(1)} MB/s, steady (median of last half) ${late[Math.floor(late.length / 2)]?.toFixed(1)} MB/s, best ${late.at(-1)?.toFixed(1)} MB/s`,
  );
});
// The machine's raw limit in the same run, as the benchmark prints it: one pass looking for `@`.
const raw = cpu();
let at = 0;
for (let i = big.indexOf('@'); i >= 0; i = big.indexOf('@', i + 1)) at++;
console.log(`raw indexOf pass ${(big.length / 1e6 / ((cpu() - raw) / 1000)).toFixed(0)} MB/s (${at} @)`);
