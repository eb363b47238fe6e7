// A real EVM JSON-RPC node on loopback for tests and benchmarks: `hardhat node` bound to 127.0.0.1
// on a free port, its development accounts funded. Stop it with `stop()`.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { NODE } from './env.ts';

const ROOT = join(import.meta.dirname, '..', '..');

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

export interface LoopbackNode {
  readonly url: string;
  /** Stops the node (idempotent). */
  stop(): Promise<void>;
}

/** Starts `hardhat node` and resolves once it serves JSON-RPC. */
export async function startLoopbackNode(): Promise<LoopbackNode> {
  const port = await freePort();
  const cli = join(ROOT, 'node_modules', 'hardhat', 'dist', 'src', 'cli.js');
  const child = spawn(NODE, [cli, 'node', '--hostname', '127.0.0.1', '--port', String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      // Keep only the tail: the node logs every request.
      out = (out + d.toString()).slice(-4000);
      if (out.includes('Started HTTP')) resolve();
    });
    child.stderr.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-4000);
    });
    child.once('exit', (c) => reject(new Error(`hardhat node exited (${c}): ${out.slice(-500)}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
