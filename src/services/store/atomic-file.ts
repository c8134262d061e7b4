/**
 * Writing a workspace file so that a crash, a kill or a full disk never leaves a half-written file under the
 * real name, and never costs the previous version: write a temporary file in the same folder (same file system,
 * so the rename is atomic), fsync it, rename it over the real name, fsync the folder (so the rename itself
 * survives a power cut). On any error the temporary file is removed and the real file is as it was.
 *
 * The few fs calls used here go through `StoreFs`, so a test can inject a failing write (a full disk) without
 * filling a disk.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { messageOf } from '../../shared/validate';

/** The part of a FileHandle that writing needs (node's FileHandle has it). */
export interface WriteHandle {
  write(buffer: Uint8Array, offset: number, length: number, position?: number | null): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreFs {
  open(path: string, flags: string): Promise<WriteHandle>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, opts: { force: boolean; recursive?: boolean }): Promise<void>;
}

export const nodeStoreFs: StoreFs = {
  open: (path, flags) => open(path, flags),
  rename: (from, to) => rename(from, to),
  rm: (path, opts) => rm(path, opts),
};

/** Hands chunks to the file being written; resolves once the chunk is written. */
export type ChunkSink = (chunk: Uint8Array) => Promise<void>;

/** The error codes that mean "no space left" (quota exceeded reads the same to a user). */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

export function isDiskFull(err: unknown): boolean {
  return DISK_FULL.has((err as NodeJS.ErrnoException | null)?.code ?? '');
}

/** An error from writing a workspace file: the message names the file, what it is and what was kept. */
export class StoreWriteError extends Error {
  override name = 'StoreWriteError';
  constructor(message: string, readonly path: string, readonly code: string | undefined, options?: { cause: unknown }) {
    super(message, options);
  }
}

export interface AtomicWriteOptions {
  /** what the file is, for messages: "checkpoint", "run record", "model weights" */
  what: string;
  fs?: StoreFs;
}

/** Temporary name beside `path`: hidden, unique per process and call, recognisable (`*.tmp`). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** The pid of the process that named a temporary file `tempPathFor` made, or null for any other name. */
export function tempFileOwner(name: string): number | null {
  const m = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name);
  return m ? Number(m[1]) : null;
}

/**
 * Writes `path` atomically; `produce` calls the sink once per chunk (so a 340 MB pool is streamed from its
 * Float32Array, never copied into one buffer). Throws a StoreWriteError: "the disk is full" for ENOSPC/EDQUOT,
 * otherwise "cannot write …", both naming the path and saying the previous file is untouched.
 */
export async function writeFileAtomic(path: string, produce: (sink: ChunkSink) => Promise<void>, opts: AtomicWriteOptions): Promise<void> {
  const fs = opts.fs ?? nodeStoreFs;
  const tmp = tempPathFor(path);
  let handle: WriteHandle | null = null;
  try {
    handle = await fs.open(tmp, 'wx');
    const h = handle;
    await produce(async (chunk) => {
      let done = 0;
      while (done < chunk.byteLength) {
        const { bytesWritten } = await h.write(chunk, done, chunk.byteLength - done, null);
        if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
        done += bytesWritten;
      }
    });
    await h.sync();
    handle = null;
    await h.close();
    await fs.rename(tmp, path);
  } catch (err) {
    if (handle) await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw writeError(path, opts.what, err);
  }
  await syncDir(dirname(path), fs);
}

/** Writes a whole buffer atomically (run.json, model.json, a rewritten metrics log). */
export function writeBytesAtomic(path: string, bytes: Uint8Array | string, opts: AtomicWriteOptions): Promise<void> {
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  return writeFileAtomic(path, (sink) => sink(data), opts);
}

/** Why a folder refuses a new file, in words naming the folder (by error code). */
const FOLDER_REFUSALS: Record<string, (dir: string) => string> = {
  ENOENT: (dir) => `${dir} does not exist or does not take new files (ENOENT)`,
  EACCES: (dir) => `no permission to write in ${dir} (EACCES)`,
  EPERM: (dir) => `no permission to write in ${dir} (EPERM)`,
  EROFS: (dir) => `${dir} is on a read-only file system (EROFS)`,
};

export function writeError(path: string, what: string, err: unknown): StoreWriteError {
  if (err instanceof StoreWriteError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  // the system's message names the temporary file; the user gave the real one
  const detail = FOLDER_REFUSALS[code ?? '']?.(dirname(path)) ?? messageOf(err);
  const message = isDiskFull(err)
    ? `the disk is full: cannot write ${what} ${path} (${code}); the previous ${what} is untouched and the partial file was removed. Free some space and try again.`
    : `cannot write ${what} ${path}: ${detail}; the previous ${what} is untouched`;
  return new StoreWriteError(message, path, code, { cause: err });
}

/**
 * fsync a folder so a rename in it is durable. Windows cannot open a folder for syncing (EISDIR/EPERM), and
 * some file systems refuse it (EINVAL): there the rename is as durable as the OS makes it, which is fine.
 */
export async function syncDir(dir: string, fs: StoreFs = nodeStoreFs): Promise<void> {
  let h: WriteHandle | null = null;
  try {
    h = await fs.open(dir, 'r');
    await h.sync();
  } catch {
    // see above: best effort
  } finally {
    await h?.close().catch(() => undefined);
  }
}
