import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { TEST_SECRET } from './env.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'verity');

/** Starts `verity serve` on a data directory (port 0: any free port); resolves with its URL. */
export function startNode(
  data: string,
  port = 0,
  extra: readonly string[] = [],
): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['serve', '--data', data, '--port', String(port), ...extra], {
      env: { ...process.env, VERITY_PASSPHRASE: TEST_SECRET.passphrase },
    });
    let text = '';
    child.stdout?.on('data', (c: Buffer) => {
      text += c.toString();
      const m = /serving (http:\/\/\S+)/.exec(text);
      if (m) resolve({ url: m[1] as string, child });
    });
    child.stderr?.on('data', (c: Buffer) => {
      text += c.toString();
    });
    child.once('exit', (code) => reject(new Error(`node exited with ${code}: ${text}`)));
  });
}

/** Stops a node and waits until it is gone. */
export async function stopNode(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
}

/** What a `verity` run printed and how it exited. */
export interface VerityRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `verity ARGS` without blocking the event loop (a server may run in this process's tests);
 * `o.bin` and `o.env` run another copy of Verity in another environment.
 */
export function runVerity(
  args: readonly string[],
  o: { bin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<VerityRun> {
  return new Promise((resolve) => {
    const c = spawn(o.bin ?? BIN, args, {
      env: o.env ?? { ...process.env, VERITY_PASSPHRASE: TEST_SECRET.passphrase },
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    c.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    c.once('exit', (code) => resolve({ code, stdout, stderr }));
    c.stdin.end();
  });
}
