// Help is generated from the command table: every command of the table, with every option, is in
// `verity help` and in its group's `--help`; groups and commands answer `--help` instead of
// "unknown command".
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { commandHelp, commandPath, groupHelp, mainHelp, synopsis } from '../src/cli/command.ts';
import { GROUPS as ENTRIES, HELP_FOOTER } from '../src/cli/table.ts';
import { BIN, type CliRun, verityCli } from './helpers/cli.ts';

function verity(args: string[]): CliRun {
  return verityCli(args);
}

/** Help text with its line wrapping undone. */
function flat(text: string): string {
  return text.replace(/\n\s+/g, ' ');
}

/** Every group of the table, loaded. */
const GROUPS = await Promise.all(ENTRIES.map((g) => g.load()));

describe('verity help', () => {
  it('`verity help` lists every command of the table with all its options', () => {
    const r = verity(['help']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), mainHelp(GROUPS, HELP_FOOTER).trim());
    const text = flat(r.stdout);
    let commands = 0;
    for (const g of GROUPS) {
      for (const c of g.commands) {
        commands++;
        assert.ok(text.includes(synopsis(g, c)), `verity help lacks \`${synopsis(g, c)}\``);
        for (const name of Object.keys(c.options)) assert.ok(synopsis(g, c).includes(`--${name}`));
      }
    }
    assert.ok(commands >= 40, String(commands));
    // The two the old hand-written help forgot.
    assert.match(text, /verity tokens create --data DIR --principal NAME --role ROLE/);
    assert.match(text, /verity policy test \[--data DIR\] \[--policies PATH\] TABLE/);
  });

  it('each group help lists each of its commands with every option and its help', () => {
    for (const g of GROUPS) {
      const text = flat(groupHelp(g));
      for (const c of g.commands) {
        assert.ok(text.includes(synopsis(g, c)), `${g.name} --help lacks ${commandPath(g, c)}`);
        for (const [name, o] of Object.entries(c.options)) {
          assert.ok(o.help.length > 0, `--${name} of ${commandPath(g, c)} has no help`);
          assert.ok(text.includes(o.help), `${g.name} --help lacks the help of --${name}`);
        }
      }
    }
  });

  it('prints its version with --version (D415)', () => {
    const r = verity(['--version']);
    assert.equal(r.code, 0, r.stderr);
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    assert.equal(r.stdout.trim(), `verity ${pkg.version}`);
  });

  it("says which did:web each command acts as: the server its address's, the local commands 127.0.0.1:8080's (D415)", () => {
    const help = (group: string) => flat(groupHelp(GROUPS.find((g) => g.name === group) as (typeof GROUPS)[number]));
    assert.match(help('serve'), /--did-host HOST.*default: the address and port it listens on/);
    for (const group of ['did', 'vc'])
      assert.match(help(group), /--did-host HOST.*the one the server serves.*default 127\.0\.0\.1:8080/);
  });

  it('`verity tokens`, `verity records --help` and `verity policy test --help` answer with help', () => {
    const tokens = verity(['tokens']);
    assert.equal(tokens.code, 2);
    assert.doesNotMatch(tokens.stdout + tokens.stderr, /unknown command/);
    for (const c of ['create', 'list', 'revoke']) assert.match(tokens.stdout, new RegExp(`verity tokens ${c}`));
    const records = verity(['records', '--help']);
    assert.equal(records.code, 0, records.stderr);
    assert.doesNotMatch(records.stdout, /unknown command/);
    const group = GROUPS.find((g) => g.name === 'records');
    assert.equal(records.stdout.trim(), group && groupHelp(group).trim());
    const policy = GROUPS.find((g) => g.name === 'policy');
    const test = policy?.commands.find((c) => c.name === 'test');
    const r = verity(['policy', 'test', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), policy && test && commandHelp(policy, test).trim());
    assert.equal(verity(['help', 'log']).stdout.includes('verity log verify-proof'), true);
  });

  it('each CLI module has one job: none is over 500 lines', () => {
    const dir = join(import.meta.dirname, '..', 'src', 'cli');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length >= GROUPS.length, files.join(' '));
    for (const f of files) {
      const lines = readFileSync(join(dir, f), 'utf8').split('\n').length;
      assert.ok(lines <= 500, `src/cli/${f} has ${lines} lines`);
    }
  });

  it('help, and commands that do not serve, load neither the HTTP server nor the MLS, chain or PII libraries', () => {
    // Most of a command's start was loading what only `serve` uses (the CLI's start time).
    const dir = mkdtempSync(join(tmpdir(), 'verity-loads-'));
    try {
      const loads = join(dir, 'loads');
      const hook = join(import.meta.dirname, 'fixtures', 'load-hook', 'record-loads.mjs');
      const r = spawnSync(BIN, ['help'], {
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: `--import ${hook}`, VERITY_TEST_LOADS: loads },
        timeout: 60_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const loaded = readFileSync(loads, 'utf8').split('\n');
      assert.ok(loaded.includes('kysely'), `the hook saw the store load: ${loaded.join(' ')}`);
      for (const heavy of ['fastify', 'ts-mls', 'viem', 'libphonenumber-js', '@simplewebauthn/server', 'tuf-js'])
        assert.ok(!loaded.includes(heavy), `verity help loads ${heavy}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown command or option is a usage error (exit 2) that points at the help', () => {
    const r = verity(['records', 'bogus']);
    assert.equal(r.code, 2);
    assert.match(JSON.parse(r.stderr).error.message, /records bogus.*verity records --help/);
    const o = verity(['log', 'key', '--bogus']);
    assert.equal(o.code, 2);
    assert.match(JSON.parse(o.stderr).error.message, /verity log key --help/);
    assert.equal(verity(['nope']).code, 2);
  });
});
