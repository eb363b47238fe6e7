// Processes of this machine: whether one runs, and the lock files that hold their owner's id (the
// updates' lock, the embedded chain's journal).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/** Whether a process with this id runs (signal 0 checks without sending anything; EPERM: it runs as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock files this process holds. */
const held = new Set<string>();

/**
 * Takes the lock file `path` for this process: made exclusively, holding this process's id. A lock
 * whose process is gone is taken over; with `ownIsStale`, so is one naming this process that it
 * does not hold (left by an earlier process with the same id, a container's first process).
 * Returns its release, or the id of the live process that holds it.
 */
export function takePidLock(
  path: string,
  options: { readonly ownIsStale?: boolean } = {},
): { readonly release: () => void } | { readonly busy: number } {
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      let pid = 0;
      try {
        pid = Number(readFileSync(path, 'utf8').trim());
      } catch {}
      const stale = options.ownIsStale === true && pid === process.pid && !held.has(path);
      if (Number.isSafeInteger(pid) && pid > 0 && !stale && processAlive(pid)) return { busy: pid };
      rmSync(path, { force: true });
    }
  }
  held.add(path);
  return {
    release: () => {
      if (held.delete(path)) rmSync(path, { force: true });
    },
  };
}
