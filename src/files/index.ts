// Files of this machine written whole: a reader sees the old content or the new, never part of
// either, and the new one is on disk when the write resolves (the key file, `verity.json`, the
// update client's and the update repository's TUF metadata).
import { randomBytes } from 'node:crypto';
import { open as fsOpen, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AtomicWriteOptions {
  /** The file's mode (default owner-only, 0o600). */
  readonly mode?: number;
  /** Makes the directory (and its parents) first, with this mode, when given. */
  readonly mkdirMode?: number;
}

/**
 * Writes `data` to `path` through a new temporary sibling that is synced, then renamed over
 * `path`; then the directory is synced, so that the rename itself survives a crash. A failure
 * leaves the old file as it was and removes the temporary one.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  if (options.mkdirMode !== undefined) await mkdir(dir, { recursive: true, mode: options.mkdirMode });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { mode: options.mode ?? 0o600, flag: 'wx' });
    const fh = await fsOpen(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const d = await fsOpen(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
