// `npm run bench [-- --json] [-- --quick]`: prints Verity's figures beside the machine's raw limits.
import { benchAccess } from './access.ts';
import { benchCore, type Figure } from './core.ts';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');

const TARGETS: Record<string, string> = {
  sealedWritesPerSec: '>= 20000 and >= 50% of rawSqliteInsertsPerSec',
  logAppendsPerSec: '>= 100000',
  inclusionProofsPerSec: '>= 50000',
  authzP99Micros: '< 100',
};

const figures: Figure[] = [...(await benchCore(quick)), ...benchAccess(quick)];
if (json) {
  const out: Record<string, number | string> = {};
  for (const f of figures) out[f.name] = Math.round(f.value * 1000) / 1000;
  out['machine'] = `${(await import('node:os')).cpus().length} cores, node ${process.version}`;
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else {
  const w = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) {
    const value = f.unit === 'ratio' ? f.value.toFixed(3) : Math.round(f.value).toLocaleString('en-US');
    const target = TARGETS[f.name] === undefined ? '' : `   target ${TARGETS[f.name]}`;
    process.stdout.write(`${f.name.padEnd(w)}  ${value.padStart(12)} ${f.unit}${target}\n`);
  }
}
