// Verity's patches to published dependencies (plain JavaScript, no dependencies): applied by npm
// after every install (postinstall) and checked again by scripts/ensure-deps.mjs before `npm start`
// and `npm test`. Each file patches/<name>+<version>.patch (a scoped package: @scope+name+version)
// is a unified diff, from the repository's root, of files under node_modules/<name>/ exactly as
// that version is published. Applying is idempotent: a patch already in place is left alone.
// Anything else fails loudly: the installed version is not the patch's (the dependency was
// upgraded: rebase the patch on the new version's files, or drop it when upstream fixed the
// defect), or the files match neither the published nor the patched text. Hunks apply at their
// stated lines only, with exact context (no fuzz, no offsets), and every file of a patch is
// checked before any is written.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A text's lines, each with whether a newline ends it (only the last may lack one). */
function toLines(text) {
  const out = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) {
      out.push({ text: text.slice(start), eol: false });
      break;
    }
    out.push({ text: text.slice(start, nl), eol: true });
    start = nl + 1;
  }
  return out;
}

function fromLines(lines) {
  return lines.map((l) => (l.eol ? `${l.text}\n` : l.text)).join('');
}

/** The files and hunks of a unified diff; paths without their a/ and b/ prefixes. */
export function parsePatch(text) {
  const lines = text.split('\n');
  const files = [];
  let file;
  let i = 0;
  const bad = (why) => new Error(`line ${i + 1} of the patch: ${why}`);
  while (i < lines.length) {
    const line = lines[i];
    if (line.startsWith('--- ')) {
      const next = lines[i + 1] ?? '';
      if (!next.startsWith('+++ ')) throw bad('a "---" line without its "+++" line');
      const path = (l) =>
        l
          .slice(4)
          .split('\t')[0]
          .replace(/^[ab]\//, '');
      file = { oldPath: path(line), newPath: path(next), hunks: [] };
      if (file.oldPath !== file.newPath) throw bad('a patch may only change files in place');
      files.push(file);
      i += 2;
      continue;
    }
    const h = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (h === null) {
      i++; // headers (diff, index) and text between files
      continue;
    }
    if (file === undefined) throw bad('a hunk before any file');
    const hunk = { oldStart: Number(h[1]), newStart: Number(h[3]), old: [], new: [] };
    let oldLeft = h[2] === undefined ? 1 : Number(h[2]);
    let newLeft = h[4] === undefined ? 1 : Number(h[4]);
    i++;
    let last = [];
    while (oldLeft > 0 || newLeft > 0 || lines[i]?.startsWith('\\')) {
      const l = lines[i];
      if (l === undefined) throw bad('the patch ends inside a hunk');
      const body = { text: l.slice(1), eol: true };
      if (l.startsWith('\\')) {
        for (const x of last) x.eol = false; // "\ No newline at end of file"
        last = [];
      } else if (l.startsWith(' ') || l === '') {
        const o = { ...body };
        const n = { ...body };
        hunk.old.push(o);
        hunk.new.push(n);
        last = [o, n];
        oldLeft--;
        newLeft--;
      } else if (l.startsWith('-')) {
        hunk.old.push(body);
        last = [body];
        oldLeft--;
      } else if (l.startsWith('+')) {
        hunk.new.push(body);
        last = [body];
        newLeft--;
      } else throw bad(`an unexpected line in a hunk: ${JSON.stringify(l.slice(0, 40))}`);
      if (oldLeft < 0 || newLeft < 0) throw bad('a hunk longer than its header says');
      i++;
    }
    file.hunks.push(hunk);
  }
  if (files.length === 0 || files.some((f) => f.hunks.length === 0)) throw new Error('the patch changes nothing');
  return files;
}

/** `lines` with the hunks applied (from their `from` side to their `to` side), or undefined when they do not match exactly. */
function applyHunks(lines, hunks, from, to) {
  const out = [];
  let at = 0;
  for (const h of hunks) {
    const want = h[from];
    // A hunk's start names the line it begins on (one before it when it has no lines of that side).
    const start = want.length === 0 ? h[`${from}Start`] : h[`${from}Start`] - 1;
    if (start < at || start + want.length > lines.length) return undefined;
    for (let k = 0; k < want.length; k++) {
      const have = lines[start + k];
      if (have.text !== want[k].text || have.eol !== want[k].eol) return undefined;
    }
    out.push(...lines.slice(at, start), ...h[to]);
    at = start + want.length;
  }
  out.push(...lines.slice(at));
  return out;
}

/** The package a patch file is for, from its name (`name+version.patch`, `@scope+name+version.patch`). */
export function patchTarget(fileName) {
  const m = /^(.+)\+([^+]+)\.patch$/.exec(fileName);
  if (m === null) throw new Error(`${fileName}: a patch is named <package>+<version>.patch`);
  return { name: m[1].replace('+', '/'), version: m[2] };
}

/**
 * Applies (when `write`) or checks one patch file: 'applied' when its files already are the
 * patched text, 'unapplied' when they are the published text (and, with `write`, now patched).
 * Throws on a version mismatch, a path outside the package, or files that match neither side.
 */
export function applyPatch(root, patchFile, { write = true } = {}) {
  const fileName = patchFile.split(/[\\/]/).pop();
  const { name, version } = patchTarget(fileName);
  const pkgDir = `node_modules/${name}`;
  let installed;
  try {
    installed = JSON.parse(readFileSync(join(root, pkgDir, 'package.json'), 'utf8')).version;
  } catch {
    throw new Error(`${fileName}: ${name} is not installed (${pkgDir}/package.json)`);
  }
  if (installed !== version)
    throw new Error(
      `${fileName} is for ${name} ${version}, but ${name} ${installed} is installed: rebase the patch on ${installed}'s published files, or remove it if ${installed} fixes what it fixed`,
    );
  const files = parsePatch(readFileSync(patchFile, 'utf8'));
  const results = files.map((f) => {
    if (!f.oldPath.startsWith(`${pkgDir}/`) || f.oldPath.split('/').includes('..'))
      throw new Error(`${fileName}: ${f.oldPath} is not a file of ${pkgDir}`);
    const abs = join(root, f.oldPath);
    let text;
    try {
      text = readFileSync(abs, 'utf8');
    } catch {
      throw new Error(`${fileName}: ${f.oldPath} is missing`);
    }
    const lines = toLines(text);
    const patched = applyHunks(lines, f.hunks, 'old', 'new');
    if (patched !== undefined) return { abs, text: fromLines(patched), state: 'unapplied' };
    if (applyHunks(lines, f.hunks, 'new', 'old') !== undefined) return { abs, state: 'applied' };
    throw new Error(
      `${fileName}: ${f.oldPath} matches neither ${name} ${version} as published nor as patched; reinstall it (npm ci)`,
    );
  });
  const states = new Set(results.map((r) => r.state));
  if (states.size > 1)
    throw new Error(`${fileName}: some of its files are patched and some are not; reinstall ${name} (npm ci)`);
  if (write) for (const r of results) if (r.state === 'unapplied') writeFileSync(r.abs, r.text);
  return { name, version, file: fileName, state: results[0].state };
}

/** Applies (or with `write: false` checks) every patch in `<root>/patches`, in name order. */
export function applyPatches(root, options = {}) {
  let names;
  try {
    names = readdirSync(join(root, 'patches')).filter((n) => n.endsWith('.patch'));
  } catch {
    return [];
  }
  return names.sort().map((n) => applyPatch(root, join(root, 'patches', n), options));
}

// `node scripts/patches.mjs` (npm's postinstall, so that a plain `npm ci` or `npm install` patches too).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  try {
    for (const p of applyPatches(root))
      if (p.state === 'unapplied') console.error(`verity: patched ${p.name} ${p.version} (patches/${p.file})`);
  } catch (e) {
    console.error(`verity: ${e instanceof Error ? e.message : e}`);
    process.exit(2);
  }
}
