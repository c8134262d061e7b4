/**
 * Creating a folder the lab will write into, with an error that names the real cause. Node's recursive mkdir
 * reports a read-only file system as ENOENT ("no such file or directory, mkdir …"), and a file in the way as
 * EEXIST or ENOTDIR: here the nearest existing ancestor is examined and the message says what it is.
 */
import { constants } from 'node:fs';
import { access, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { messageOf } from '../../shared/validate';

/** A folder that cannot be created or written: the message names the folder, the blocking path and why. */
export class FolderWriteError extends Error {
  override name = 'FolderWriteError';
  constructor(message: string, readonly path: string, readonly code: string | undefined) {
    super(message);
  }
}

async function statOrNull(path: string) {
  return stat(path).catch(() => null);
}

/** Why `dir` could not be made: a file in the way, a read-only file system, no permission, or the original error. */
async function explain(dir: string, what: string, err: unknown): Promise<FolderWriteError> {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  let existing: string;
  try {
    ({ existing } = await nearestExisting(dir, what));
  } catch (inTheWay) {
    // a file in the way
    if (inTheWay instanceof FolderWriteError) return inTheWay;
    throw inTheWay;
  }
  try {
    await access(existing, constants.W_OK);
  } catch (accessErr) {
    const c = (accessErr as NodeJS.ErrnoException).code;
    if (c === 'EROFS') return new FolderWriteError(`cannot create ${what} ${dir}: ${existing} is on a read-only file system (EROFS)`, dir, c);
    if (c === 'EACCES' || c === 'EPERM') return new FolderWriteError(`cannot create ${what} ${dir}: no permission to write in ${existing} (${c})`, dir, c);
  }
  const detail = messageOf(err);
  // a folder that exists but refuses a new entry with ENOENT: a virtual file system (/proc, /sys)
  if (code === 'ENOENT' && existing !== dir) return new FolderWriteError(`cannot create ${what} ${dir}: ${existing} does not take new folders (ENOENT)`, dir, code);
  if (code === 'ENOSPC' || code === 'EDQUOT') return new FolderWriteError(`cannot create ${what} ${dir}: the disk is full (${code})`, dir, code);
  return new FolderWriteError(`cannot create ${what} ${dir}: ${detail}`, dir, code);
}

/**
 * mkdir -p, with the cause named when it fails (see above). One level at a time: Node's recursive mkdir never
 * returns on a virtual file system that answers ENOENT for a folder it will not create (/proc/1/x).
 */
export async function makeFolder(dir: string, what: string): Promise<void> {
  const { missing } = await nearestExisting(dir, what);
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && (await statOrNull(d))?.isDirectory()) continue;
      throw await explain(dir, what, err);
    }
  }
}

/**
 * Checks, creating nothing, that `dir` is a folder the lab could write in or make: its nearest existing part is
 * a folder this process may write in. A command checks its output folders with it before it computes or queues
 * anything, and makes them only when it writes (a refused command writes nothing).
 */
export async function checkFolderCanBeMade(dir: string, what: string): Promise<void> {
  const { existing } = await nearestExisting(dir, what);
  try {
    await access(existing, constants.W_OK);
  } catch (err) {
    throw await explain(dir, what, err);
  }
}

/** The nearest existing ancestor of `dir` (or `dir` itself) and the folders below it still to make, top first. */
async function nearestExisting(dir: string, what: string): Promise<{ existing: string; missing: string[] }> {
  const missing: string[] = [];
  let existing = dir;
  for (;;) {
    const st = await statOrNull(existing);
    if (st) {
      if (!st.isDirectory()) {
        throw new FolderWriteError(`cannot create ${what} ${dir}: ${existing} is a file, not a folder`, dir, 'ENOTDIR');
      }
      return { existing, missing };
    }
    const up = dirname(existing);
    if (up === existing) return { existing, missing };
    missing.unshift(existing);
    existing = up;
  }
}

/**
 * Makes `dir` and proves it can be written (a probe file written and removed), before a long computation whose
 * results go there: `experiment --out` checks its folder first instead of failing after the whole suite.
 */
export async function ensureWritableFolder(dir: string, what: string): Promise<void> {
  await makeFolder(dir, what);
  const probe = join(dir, `.nca-lab-write-probe-${process.pid}`);
  try {
    await writeFile(probe, '');
  } catch (err) {
    throw await explain(dir, what, err).then((e) => (e.message.endsWith((err as Error).message)
      ? new FolderWriteError(`cannot write in ${what} ${dir}: ${(err as Error).message}`, dir, e.code)
      : e));
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}
