import { fromUtf8 } from '../encoding/index.ts';
import { InputError, isVerityError, quote } from '../errors/index.ts';
import { readFileBounded, readStdinBounded } from '../keyproc/index.ts';

/** Largest input the CLI reads from stdin or a file. */
export const MAX_INPUT_BYTES = 8 * 1024 * 1024;

/** Reads all of stdin (bounded). */
export function readStdin(limit = MAX_INPUT_BYTES): Promise<Uint8Array> {
  return readStdinBounded(limit);
}

/** Reads a file, or stdin for `-` (bounded); a file that cannot be read says why. */
export async function readInput(path: string, limit = MAX_INPUT_BYTES): Promise<Uint8Array> {
  try {
    return await readFileBounded(path, limit);
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    if (isVerityError(e, 'VERITY_E_INPUT_INVALID') && typeof (cause as { errno?: unknown })?.errno === 'number')
      throw new InputError('VERITY_E_INPUT_INVALID', `cannot read file ${quote(path)}: ${fileProblem(cause)}`, {
        cause,
      });
    throw e;
  }
}

/**
 * Why a file could not be read or written, in words a user acts on (the operating system's code
 * for anything less common). In the CLI, not in a module the key process loads: its code is held
 * to a budget (src/keyproc/size-budget.json).
 */
export function fileProblem(cause: unknown, writing = false): string {
  const code = (cause as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return writing ? 'its folder does not exist; create it first' : 'it does not exist';
    case 'EEXIST':
      return 'it exists already and is never overwritten; choose another name or move it away';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'ENOTDIR':
      return 'a part of its path is a file, not a folder';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return typeof code === 'string' ? `the operating system said ${code}` : 'the operating system refused';
  }
}

/** Writes a line to stdout, waiting for it to drain (so piped output is never cut at exit). */
export function out(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // A reader that went away (`| head`) wants no more: not a failure of the command (D415).
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`, (e) =>
      e && (e as NodeJS.ErrnoException).code !== 'EPIPE' ? reject(e) : resolve(),
    );
  });
}

/**
 * Ends the process quietly when stdout's reader goes away (`verity log entries ... | head -1`):
 * without a listener, the stream's EPIPE was an unhandled 'error' event with a stack trace.
 */
export function quietOnClosedStdout(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
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
