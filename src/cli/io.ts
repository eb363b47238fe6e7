import { fromUtf8 } from '../encoding/index.ts';
import { readFileBounded, readStdinBounded } from '../keyproc/index.ts';

/** Largest input the CLI reads from stdin or a file. */
export const MAX_INPUT_BYTES = 8 * 1024 * 1024;

/** Reads all of stdin (bounded). */
export function readStdin(limit = MAX_INPUT_BYTES): Promise<Uint8Array> {
  return readStdinBounded(limit);
}

/** Reads a file, or stdin for `-` (bounded). */
export function readInput(path: string, limit = MAX_INPUT_BYTES): Promise<Uint8Array> {
  return readFileBounded(path, limit);
}

/** Writes a line to stdout, waiting for it to drain (so piped output is never cut at exit). */
export function out(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`, (e) => (e ? reject(e) : resolve()));
  });
}

/** Prints a JSON value on stdout. */
export function outJson(value: unknown): Promise<void> {
  return out(JSON.stringify(value, null, 2));
}

/** Non-empty lines of standard input (values to de-identify), at most 64 MiB. */
export async function stdinLines(): Promise<string[]> {
  const text = fromUtf8(await readStdin(64 * 1024 * 1024), 'standard input');
  return text.split('\n').filter((l, i, all) => l.length > 0 || i < all.length - 1);
}

/** Resolves at the first SIGINT or SIGTERM (servers stop cleanly on Ctrl+C). */
export function waitForSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
