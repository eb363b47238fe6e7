// A writing process for crash and multi-process tests: opens a data directory, writes records
// with some concurrency, and prints one JSON line per acknowledged write and, now and then, the
// checkpoint it was handed. Usage: writer.ts DIR COUNT CONCURRENCY TAG
import { openDataDir } from '../../src/embedded/index.ts';
import { TEST_SECRET } from './env.ts';

const [dir, countArg, concArg, tagArg] = process.argv.slice(2);
const tag = tagArg ?? 'w';
const count = Number(countArg);
const concurrency = Number(concArg);
const v = await openDataDir(dir as string, { secret: TEST_SECRET });
let next = 0;
const lines: string[] = [];
const flush = () => {
  if (lines.length > 0) process.stdout.write(`${lines.splice(0).join('\n')}\n`);
};
async function worker(): Promise<void> {
  while (next < count) {
    const i = next++;
    const r = await v.vault.put({
      actor: 'service:writer',
      purpose: 'service-provision',
      subject: `${tag}-player-${i % 50}`,
      type: 'position',
      data: { tag, i, pos: [i, i * 2, i * 3] },
    });
    lines.push(JSON.stringify({ ack: r.id, version: r.version, logIndex: r.logIndex, i }));
    if (i % 25 === 0) lines.push(JSON.stringify({ checkpoint: await v.log.checkpoint() }));
    if (lines.length >= 20) flush();
  }
}
const timer = setInterval(flush, 5);
await Promise.all(Array.from({ length: concurrency }, worker));
clearInterval(timer);
lines.push(JSON.stringify({ checkpoint: await v.log.checkpoint() }));
flush();
await v.close();
process.stdout.write('done\n');
