/**
 * Experiments in the workspace (docs/architecture.md, "Data on disk"): data first, figures second.
 *
 *   <workspace>/experiments/<id>/results.json      everything (ExperimentResults, shared/experiment.ts)
 *                                <suite>.csv        tidy loss curves of each suite (shared/experiment-csv.ts)
 *                                <suite>-mean.csv   mean and min–max band, when there are several repeats
 *
 * A folder is assembled under a hidden name and renamed into place, so a cancelled or crashed experiment never
 * leaves half its data under a real name, and a listing never sees one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  EXPERIMENTS_DIR, RESULTS_FILE, parseExperimentResults, summariseResults,
  type ExperimentResults, type ExperimentSummary,
} from '../../shared/experiment';
import { curvesCsv, summaryCsv } from '../../shared/experiment-csv';
import { writeBytesAtomic } from '../store/atomic-file';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isValidExperimentId(id: string): boolean {
  return ID_PATTERN.test(id) && !id.includes('..');
}

/** `20261125-184700-thesis-ab12`: UTC time (sorts by age), suite, 4 random hex digits. */
export function makeExperimentId(now: Date, suite: string, random = randomBytes(2).toString('hex')): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${suite}-${random}`;
}

export function experimentsDir(workspace: string): string {
  return join(resolve(workspace), EXPERIMENTS_DIR);
}

export function experimentDir(workspace: string, id: string): string {
  if (!isValidExperimentId(id)) throw new RangeError(`invalid experiment id ${JSON.stringify(id)}`);
  return join(experimentsDir(workspace), id);
}

/** The data files of an experiment: results.json and the CSVs, by file name. */
export function experimentDataFiles(results: ExperimentResults): Map<string, string> {
  const files = new Map<string, string>();
  files.set(RESULTS_FILE, JSON.stringify(results) + '\n');
  for (const suite of results.suites) {
    files.set(`${suite}.csv`, curvesCsv(results, { suite }));
    if (results.repeats > 1) files.set(`${suite}-mean.csv`, summaryCsv(results, { suite }));
  }
  return files;
}

/** Writes the data files into `dir` (each atomically). */
export async function writeDataFiles(dir: string, results: ExperimentResults): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of experimentDataFiles(results)) {
    await writeBytesAtomic(join(dir, name), text, { what: `experiment ${name}` });
    written.push(join(dir, name));
  }
  return written;
}

/** Stores an experiment's data under experiments/<id>/ (assembled under a hidden name, then renamed). */
export async function saveExperiment(workspace: string, results: ExperimentResults): Promise<string> {
  const dir = experimentDir(workspace, results.id);
  const staging = join(experimentsDir(workspace), `.saving-${results.id}-${randomBytes(3).toString('hex')}`);
  try {
    await writeDataFiles(staging, results);
    await rename(staging, dir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

export async function readExperiment(workspace: string, id: string): Promise<ExperimentResults> {
  const file = join(experimentDir(workspace, id), RESULTS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no experiment "${id}" in ${experimentsDir(workspace)}`, { cause: err });
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message})`, { cause: err });
  }
  return parseExperimentResults(json, file);
}

/** Every readable experiment, newest first; unreadable folders are skipped (and reported to `onProblem`). */
export async function listExperiments(workspace: string, onProblem?: (id: string, message: string) => void): Promise<ExperimentSummary[]> {
  let names: string[];
  try {
    names = (await readdir(experimentsDir(workspace), { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: ExperimentSummary[] = [];
  for (const id of names) {
    if (!isValidExperimentId(id)) continue;
    try {
      out.push(summariseResults(await readExperiment(workspace, id)));
    } catch (err) {
      onProblem?.(id, (err as Error).message);
    }
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
}

/** The CSV files an experiment folder holds, for the suites it ran. */
export function csvNames(results: ExperimentResults): string[] {
  return results.suites.flatMap((s) => (results.repeats > 1 ? [`${s}.csv`, `${s}-mean.csv`] : [`${s}.csv`]));
}
