/**
 * One training session per run at a time, across processes (the CLI, the desktop app, a bridge server):
 * `runs/<id>/train.lock` holds the owner's pid. A lock whose process is gone (killed, crashed) is stale and
 * taken over, which is what makes `nca-lab resume` work after a SIGKILL.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export class RunLockedError extends Error {
  override name = 'RunLockedError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The pid of the live process training the run (its train.lock's owner), or null when no live process holds
 * the lock: a record that says `running` without one was cut off (a kill, a crash, a full disk that refused the
 * final run.json) and resumes like an interrupted run.
 */
export async function runLockOwner(runDir: string): Promise<number | null> {
  const text = await readFile(join(runDir, 'train.lock'), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
}

export async function acquireRunLock(runDir: string, runId: string): Promise<{ release(): Promise<void> }> {
  const file = join(runDir, 'train.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return { release: () => unlink(file).catch(() => undefined) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new RunLockedError(`run ${runId} is being trained by process ${pid}; stop it there first`);
      }
      await unlink(file).catch(() => undefined); // stale: its owner is gone
    }
  }
  throw new RunLockedError(`could not lock run ${runId} (${file})`);
}
