/**
 * What a killed process leaves in a run folder: the temporary files of its atomic writes (`.run.json.<pid>.<hex>.tmp`,
 * a half-written checkpoint, model or target, atomic-file.ts), never renamed into place. They are never read, but a
 * checkpoint's can be hundreds of MB. A listing removes those whose process is gone; a live process's are being
 * written, and a run trained from another machine (its lock's owner there) may be writing its own, whose pids mean
 * nothing here, so that run's are left alone.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../resources/process-identity';
import { readRunLockOwner } from '../training/run-lock';
import { tempFileOwner } from './atomic-file';

/** The folders of a run that atomic writes put temporary files in (the run folder itself first). */
const WRITTEN_FOLDERS = ['', 'checkpoints', 'model', 'start'];

/** Removes the temporary files of processes that are gone from a run folder; returns the paths removed. */
export async function removeLeftoverTemps(runDir: string): Promise<string[]> {
  const doomed: string[] = [];
  for (const sub of WRITTEN_FOLDERS) {
    const folder = join(runDir, sub);
    for (const name of await readdir(folder).catch(() => [] as string[])) {
      const pid = tempFileOwner(name);
      if (pid !== null && !processAlive(pid)) doomed.push(join(folder, name));
    }
  }
  if (doomed.length === 0) return [];
  const owner = await readRunLockOwner(runDir).catch(() => null);
  if (owner && !owner.local) return [];
  for (const file of doomed) await rm(file, { force: true }).catch(() => undefined);
  return doomed;
}
