// `npm run load [-- --url URL --token T | --postgres URL] [--count N] [--seconds S] [--concurrency C]`: a
// bounded load (count and time) against a Verity server on 127.0.0.1; without --url it starts one, on
// SQLite, or with --postgres on a fresh schema of that PostgreSQL database (dropped afterwards). The first
// writes (up to 2,000) warm the server up and are not measured.
import { parseArgs } from 'node:util';
import { httpLoad, type LoadResult, startServer } from './http.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    count: { type: 'string' },
    seconds: { type: 'string' },
    concurrency: { type: 'string' },
    postgres: { type: 'string' },
  },
});
const url = values.url;
if (url !== undefined && !/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(url)) {
  console.error('load: only servers on loopback (127.0.0.0/8, localhost, [::1]) are loaded');
  process.exit(2);
}
const count = Math.min(Number(values.count ?? 20000), 1_000_000);
const seconds = Math.min(Number(values.seconds ?? 20), 600);
const concurrency = Math.min(Number(values.concurrency ?? 24), 1024);
const postgres = values.postgres;
const server = url === undefined ? await startServer(postgres === undefined ? {} : { postgres }) : undefined;
const target = server?.url ?? (url as string);
const token = server?.token ?? values.token ?? process.env['VERITY_TOKEN'] ?? '';
try {
  const r = await httpLoad({ url: target, token, count, seconds, concurrency, warmup: Math.min(2000, count) });
  const line = (name: string, x: LoadResult) =>
    `${name.padEnd(7)} ${String(x.ops).padStart(7)} ops  ${x.perSec.toFixed(0).padStart(6)}/s  p50 ${x.p50Ms.toFixed(2)} ms  p99 ${x.p99Ms.toFixed(2)} ms  errors ${x.errors}`;
  console.log(
    `load against ${target} (concurrency ${concurrency}, after ${Math.min(2000, count)} warm-up writes; at most ${count} ops or ${seconds} s each)`,
  );
  console.log(line('writes', r.writes));
  console.log(line('reads', r.reads));
} finally {
  await server?.stop();
}
