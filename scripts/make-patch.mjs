// Writes patches/<name>+<version>.patch from the edits made to node_modules/<name>/ (plain
// JavaScript; for maintainers, not run at install): `node scripts/make-patch.mjs ts-mls`. The
// published files come from the registry (`npm pack <name>@<installed version>`), each changed file
// is compared with `diff -u` (3 lines of context, the a/ and b/ paths patches.mjs reads), and the
// text before the first file of the existing patch (what it fixes and why) is kept. The result is
// checked by applying it in reverse to the edited files and forwards to the published ones.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyPatch } from './patches.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const name = process.argv[2];
if (name === undefined) throw new Error('usage: node scripts/make-patch.mjs <package>');
const pkgDir = join(root, 'node_modules', name);
const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const patchFile = join(root, 'patches', `${name.replace('/', '+')}+${version}.patch`);
const tmp = mkdtempSync(join(tmpdir(), 'verity-make-patch-'));
try {
  const tgz = execFileSync('npm', ['pack', `${name}@${version}`, '--silent'], { cwd: tmp, encoding: 'utf8' }).trim();
  execFileSync('tar', ['xzf', tgz], { cwd: tmp });
  const published = join(tmp, 'package');
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(relative(pkgDir, p));
    }
  };
  walk(pkgDir);
  let body = '';
  for (const f of files) {
    const before = join(published, f);
    if (!existsSync(before)) throw new Error(`${f} is not a file of ${name} ${version} as published`);
    const after = join(pkgDir, f);
    if (readFileSync(before).equals(readFileSync(after))) continue;
    const path = `node_modules/${name}/${f}`;
    let diff;
    try {
      diff = execFileSync('diff', ['-u', '--label', `a/${path}`, '--label', `b/${path}`, before, after], {
        encoding: 'utf8',
      });
    } catch (e) {
      if (e.status !== 1) throw e;
      diff = e.stdout; // 1: the files differ
    }
    body += `diff --git a/${path} b/${path}\n${diff}`;
  }
  const old = existsSync(patchFile) ? readFileSync(patchFile, 'utf8') : '';
  const at = old.indexOf('diff --git ');
  const header = at > 0 ? old.slice(0, at) : '';
  writeFileSync(patchFile, header + body);
  // The published files must take it (forwards) and the edited ones must be it (in reverse).
  const copy = join(tmp, 'check');
  execFileSync('mkdir', ['-p', join(copy, 'node_modules')]);
  execFileSync('cp', ['-a', published, join(copy, 'node_modules', name)]);
  if (applyPatch(copy, patchFile).state !== 'unapplied') throw new Error('the published files already match');
  if (applyPatch(root, patchFile, { write: false }).state !== 'applied') throw new Error('the edits are not the patch');
  console.error(`wrote ${relative(root, patchFile)} (${files.length} files compared)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
