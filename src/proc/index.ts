// Processes of this machine: whether one runs, for the lock files that hold their owner's id
// (the updates' lock, the embedded chain's journal).

/** Whether a process with this id runs (signal 0 checks without sending anything; EPERM: it runs as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
