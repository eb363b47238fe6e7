// Running bin/verity from the tests: one synchronous runner for the command-line tests, each file
// passing the environment it needs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** bin/verity of this checkout. */
export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'verity');

/** What a `verity` run printed and how it exited (`null`: killed, e.g. by the timeout). */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Standard input; empty by default, so a command never waits on a terminal. */
  readonly input?: string;
  /** Added to the environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Drop every VERITY_ variable of this process (but VERITY_TEST_PG) before `env` is added. */
  readonly clean?: boolean;
  readonly cwd?: string;
  /** Milliseconds; default 60 s. */
  readonly timeout?: number;
}

/** Runs `verity ARGS` and waits for it (blocks the event loop: not with a server in this process). */
export function verityCli(args: readonly string[], o: CliOptions = {}): CliRun {
  const base: NodeJS.ProcessEnv = { ...process.env };
  if (o.clean === true)
    for (const k of Object.keys(base)) if (k.startsWith('VERITY_') && k !== 'VERITY_TEST_PG') delete base[k];
  const r = spawnSync(BIN, args, {
    input: o.input ?? '',
    encoding: 'utf8',
    env: { ...base, ...o.env },
    timeout: o.timeout ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
    ...(o.cwd === undefined ? {} : { cwd: o.cwd }),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `r`, after asserting it exited 0 (the failure shows what it printed on standard error). */
export function ok(r: CliRun): CliRun {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return r;
}
