/**
 * Sweeps in the workspace (docs/architecture.md, "Data on disk"):
 *
 *   <workspace>/sweeps/<id>/sweep.json    the SweepRecord (shared/sweep.ts), rewritten atomically on every change
 *
 * A sweep's runs are ordinary runs under runs/ whose run.json names the sweep (`sweep: {id, index}`); the record
 * lists their ids too, but the runs' own reference is what a resumed sweep trusts, so a run made just before a
 * crash (its folder renamed into place, the record not yet rewritten) is found rather than made again.
 * Writes to one sweep's record are serialised within a process; one process drives a sweep at a time (the
 * record's `driver`).
 */
import { hostname } from 'node:os';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SWEEP_FILE, SWEEPS_DIR, isSweepId, parseSweepRecord, type SweepRecord } from '../../shared/sweep';
import { writeBytesAtomic } from '../store/atomic-file';
import { makeFolder } from '../store/writable-dir';
import type { LabStore } from '../store/lab-store';
import { messageOf } from '../../shared/validate';
import { processAlive } from '../resources/process-identity';

/** A sweep id that names no sweep folder. */
export class SweepNotFoundError extends Error {
  override name = 'SweepNotFoundError';
}

const queues = new Map<string, Promise<unknown>>();

function serialised<T>(key: string, job: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(job, job);
  const settled = next.catch(() => undefined);
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return next;
}

/** The driver of a sweep that still runs: this process, or another live process of this machine. */
export function driverAlive(driver: SweepRecord['driver']): boolean {
  if (!driver) return false;
  if (driver.host !== hostname()) return true; // another machine's process: cannot be probed, assume it runs
  return driver.pid === process.pid || processAlive(driver.pid);
}

export class SweepStore {
  readonly dir: string;

  constructor(readonly workspace: string) {
    this.dir = join(resolve(workspace), SWEEPS_DIR);
  }

  folder(id: string): string {
    if (!isSweepId(id)) throw new RangeError(`invalid sweep id ${JSON.stringify(id)}`);
    return join(this.dir, id);
  }

  /** The record as stored; a sweep whose record says `running` but whose driver is gone reads as `interrupted`. */
  async get(id: string): Promise<SweepRecord> {
    let text: string;
    try {
      text = await readFile(join(this.folder(id), SWEEP_FILE), 'utf8');
    } catch {
      throw new SweepNotFoundError(`no sweep "${id}" in ${this.dir}`);
    }
    let record: SweepRecord;
    try {
      record = parseSweepRecord(JSON.parse(text), `${id}/${SWEEP_FILE}`);
    } catch (err) {
      throw new Error(`sweep "${id}": ${messageOf(err)}; the folder was left as it is`, { cause: err });
    }
    if (record.status === 'running' && !driverAlive(record.driver)) {
      return { ...record, status: 'interrupted', statusReason: 'its process ended before the sweep did (a crash, a kill, or the lab closed): resume it to go on', driver: null };
    }
    return record;
  }

  /** Writes the record (a new one, or a change), stamping updatedAt. */
  async put(record: SweepRecord): Promise<SweepRecord> {
    const folder = this.folder(record.id);
    return serialised(folder, async () => {
      await makeFolder(folder, 'the sweep\'s folder');
      const next = { ...record, updatedAt: new Date().toISOString() };
      await writeBytesAtomic(join(folder, SWEEP_FILE), JSON.stringify(next, null, 1) + '\n', { what: 'sweep record' });
      return next;
    });
  }

  /** Reads, changes and writes the record as one step (within this process). */
  async update(id: string, change: (r: SweepRecord) => SweepRecord | void): Promise<SweepRecord> {
    const folder = this.folder(id);
    return serialised(`${folder}#update`, async () => {
      const current = await this.get(id);
      const next = change(current) ?? current;
      return this.put(next);
    });
  }

  /** Every sweep, newest first, and the folders that could not be read. */
  async list(): Promise<{ sweeps: SweepRecord[]; problems: { id: string; message: string }[] }> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const sweeps: SweepRecord[] = [];
    const problems: { id: string; message: string }[] = [];
    await Promise.all(names.filter(isSweepId).map(async (id) => {
      try {
        sweeps.push(await this.get(id));
      } catch (err) {
        problems.push({ id, message: messageOf(err) });
      }
    }));
    sweeps.sort((a, b) => (a.id < b.id ? 1 : -1));
    return { sweeps, problems };
  }
}

/** This process as a sweep's driver. */
export function thisDriver(): { pid: number; host: string } {
  return { pid: process.pid, host: hostname() };
}

/** The runs whose run.json names the sweep, by their place in it. */
export async function runsOfSweep(store: LabStore, sweepId: string): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const r of await store.listRuns()) {
    if (r.sweep?.id === sweepId && !out.has(r.sweep.index)) out.set(r.sweep.index, r.id);
  }
  return out;
}
