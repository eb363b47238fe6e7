// The README's CLI examples run as printed: every ```sh line that calls `verity`, with bin/ on
// PATH, in a scratch directory that has the repository's docs/ and test/ (the examples run from
// the repository root), a test passphrase, and `rec_…` replaced by the last id a command printed.
// Lines that talk to a server (`curl`, `--url`) run against `verity serve` on the same data
// directory, its address put in place of http://127.0.0.1:8080 (left out when curl is missing).
// A line that ends in `&` (a server the examples start) runs in the background on a free port
// (`--port 0`), and its address replaces http://127.0.0.1:PORT in the lines after it.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from './helpers/env.ts';

const ROOT = join(import.meta.dirname, '..');

/**
 * The commands of the README's sh blocks that call `verity` (not the npm ones), continuation lines
 * joined, comments and blanks dropped.
 */
function readmeCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const m of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = (m[1] as string)
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    if (lines.some((l) => /(^|[\s|(])verity\s/.test(l))) commands.push(...lines);
  }
  return commands;
}

/** Waits for `verity serve` to print its address. */
function serving(c: ChildProcess): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    c.stdout?.on('data', (b: Buffer) => {
      text += b.toString();
      const m = /serving (http:\/\/\S+)/.exec(text);
      if (m) resolve(m[1] as string);
    });
    c.stderr?.on('data', (b: Buffer) => {
      text += b.toString();
    });
    c.once('exit', (code) => reject(new Error(`verity serve exited with ${code}: ${text}`)));
  });
}

describe('README examples', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    symlinkSync(join(ROOT, 'docs'), join(dir, 'docs'));
    symlinkSync(join(ROOT, 'test'), join(dir, 'test'));
  });
  after(() => cleanup());

  // One test runs the whole README in order (later examples use what earlier ones made): well over a
  // hundred CLI processes, so it gets more than the suite's default five minutes on a busy machine.
  it('every CLI example runs as printed', { timeout: 900_000 }, async () => {
    const commands = readmeCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(ROOT, 'bin')}:${process.env['PATH'] ?? ''}` };
    for (const k of Object.keys(env)) if (k.startsWith('VERITY_') && k !== 'VERITY_TEST_PG') delete env[k];
    // SoftHSM2 tokens go to the scratch directory even before the README's own SOFTHSM2_CONF
    // (an example that missed it would otherwise leave a token in the system's token directory).
    mkdirSync(join(dir, '.softhsm', 'tokens'), { recursive: true });
    writeFileSync(
      join(dir, '.softhsm', 'softhsm2.conf'),
      `directories.tokendir = ${join(dir, '.softhsm', 'tokens')}\n`,
    );
    env['SOFTHSM2_CONF'] = join(dir, '.softhsm', 'softhsm2.conf');
    let lastId: string | undefined;
    let ran = 0;
    const sh = (command: string) => {
      const r = spawnSync('sh', ['-c', command], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, `\`${command}\` exited ${r.status}: ${r.stderr}`);
      // curl exits 0 on an HTTP error: the answer must not be one.
      assert.doesNotMatch(r.stdout, /^\{"error":/, `\`${command}\` answered ${r.stdout}`);
      const ids = r.stdout.match(/rec_[A-Za-z0-9_-]{22}/g);
      if (ids !== null) lastId = ids[ids.length - 1];
      ran++;
      return r.stdout;
    };
    let server: ChildProcess | undefined;
    let url: string | undefined;
    const background: ChildProcess[] = [];
    const addresses = new Map<string, string>();
    const hasCurl = ['/usr/bin/curl', '/bin/curl', '/usr/local/bin/curl'].some((p) => existsSync(p));
    try {
      for (const printed of commands) {
        let line = printed;
        for (const [printedAddress, actual] of addresses) line = line.replaceAll(printedAddress, actual);
        const bg = /^(.*?)\s*&$/.exec(line);
        if (bg) {
          const port = /--port (\d+)/.exec(bg[1] as string)?.[1];
          assert.ok(port !== undefined, `\`${printed}\` runs in the background without --port`);
          const child = spawn('sh', ['-c', `exec ${(bg[1] as string).replace(`--port ${port}`, '--port 0')}`], {
            cwd: dir,
            env,
          });
          background.push(child);
          addresses.set(`http://127.0.0.1:${port}`, await serving(child));
          ran++;
          continue;
        }
        if (/\bcurl\b|--url\b/.test(line)) {
          if (/\bcurl\b/.test(line) && !hasCurl) continue;
          if (/127\.0\.0\.1:(?!8080)\d+/.test(printed)) {
            sh(line);
            continue;
          }
          if (!hasCurl) continue;
          if (url === undefined) {
            server = spawn('verity', ['serve', '--data', './vault', '--port', '0'], { cwd: dir, env });
            url = await serving(server);
          }
          line = line.replaceAll('http://127.0.0.1:8080', url);
        }
        if (line.includes('rec_…')) {
          assert.ok(lastId !== undefined, `no record id printed before \`${printed}\``);
          line = line.replaceAll('rec_…', lastId);
        }
        // Shell state the examples build up: exported settings and captured outputs.
        const exported = /^export ([A-Z_][A-Z0-9_]*)='([^']*)'$/.exec(line);
        if (exported) {
          env[exported[1] as string] = exported[2];
          continue;
        }
        const captured = /^([A-Z_][A-Z0-9_]*)=\$\((.*)\)$/.exec(line);
        if (captured) {
          env[captured[1] as string] = sh(captured[2] as string).trim();
          continue;
        }
        // The one example that shows a refusal: it must refuse.
        if (/--purpose marketing/.test(line)) {
          const r = spawnSync('sh', ['-c', line], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
          assert.equal(r.status, 1, r.stderr);
          assert.match(r.stderr, /VERITY_E_ACCESS_DENIED/);
          continue;
        }
        sh(line);
      }
    } finally {
      for (const c of [...background.reverse(), ...(server === undefined ? [] : [server])]) {
        if (c.exitCode !== null || c.signalCode !== null) continue;
        const exited = new Promise((resolve) => c.once('exit', resolve));
        c.kill('SIGTERM');
        await exited;
      }
    }
    assert.ok(ran >= (hasCurl ? 25 : 20), `only ${ran} examples ran`);
    // What the examples made, in the repository root where the README runs them (keys, PINs and
    // passphrases among them), is ignored by git: a `git add -A` commits none of it (D415).
    const made = readdirSync(dir, { withFileTypes: true })
      .filter((e) => !['docs', 'test', '.softhsm'].includes(e.name))
      .map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
    assert.ok(made.length >= 5, made.join(' '));
    const git = spawnSync('git', ['-C', ROOT, 'check-ignore', '--no-index', '--verbose', '--non-matching', ...made], {
      encoding: 'utf8',
    });
    const unignored = git.stdout
      .split('\n')
      .filter((l) => l.startsWith('::'))
      .map((l) => l.replace(/^::\s*/, ''))
      .filter((l) => l !== '');
    assert.deepEqual(unignored, [], 'files the README examples make that .gitignore does not cover');
  });
});
