/**
 * Reproducing the thesis's study (spec f) as it crosses process boundaries and lands on disk:
 * the request the UI sends (`experiments.reproduce`), the progress the lab pushes (`reproduce:progress`), and the
 * two files a study writes beside its index.html — `reproduce.json` (what was trained, how long, Table 2) and
 * `figures.json` (the index page as data, so the UI can show the figures without loading the HTML). One schema
 * each, checked where they arrive (ipc-schema.ts for requests, the parsers below for the files).
 */
import { fail, isRecord } from './validate';

/** How long each of the study's trainings may run (null = no cap of that kind). */
export interface ReproduceBudget {
  /** wall-clock cap of each training */
  seconds: number | null;
  /** ES generations of each ES training */
  esGenerations: number | null;
  /** Adam iterations of each Adam training */
  adamIterations: number | null;
}

/** `experiments.reproduce`: quick (capped trainings) or full (the presets' lengths); reuse earlier study runs. */
export interface ReproduceRequest {
  quick: boolean;
  /** reuse finished or stopped runs of an earlier study with the same preset and target instead of training again */
  reuse: boolean;
}

export type ReproducePhase = 'training' | 'suite' | 'table2' | 'figures' | 'done' | 'failed' | 'cancelled';

export const REPRODUCE_ENDED: readonly ReproducePhase[] = ['done', 'failed', 'cancelled'];

/** Progress of a study (pushed as `reproduce:progress`, a few a second at most), and its end. */
export interface ReproduceProgressEvent {
  id: string;
  phase: ReproducePhase;
  /** what is happening now (training: the runs in training and their generation; failed/cancelled: why) */
  message: string;
  /** progress within the phase: trainings ended, suite jobs done, Table 2 populations measured, 0/1 for figures */
  done: number;
  total: number;
  /** trainings ended (finished, stopped or reused) of the study's trainings, kept through the later phases */
  trainingsDone: number;
  trainingsTotal: number;
  /** the study's runs, in the order of the trainings (they also show in the Runs view) */
  runIds: string[];
  quick: boolean;
  budgetNote: string;
  /** ISO 8601 */
  startedAt: string;
  elapsedSeconds: number;
  /** the folder the figure set is written into (absolute, on the machine the lab runs on) */
  outDir?: string;
  /** done: outDir/index.html */
  indexHtml?: string;
}

/** `experiments.reproductions`: the budgets a study runs on here, and the workspace's studies, newest first. */
export interface ReproduceOverview {
  quick: ReproduceBudget;
  full: ReproduceBudget;
  /** trainings in a study (16) */
  trainings: number;
  /** the latest progress of each study: running, ended in this session, or finished on disk */
  studies: ReproduceProgressEvent[];
}

/** `reproduce.json` in a study's folder: what it trained, on what budget, how long each phase took, Table 2. */
export interface ReproduceSummary {
  formatVersion: 1;
  /** the study's id when the lab ran it (the folder's name), null from `nca-lab reproduce` */
  id: string | null;
  quick: boolean;
  budget: ReproduceBudget;
  budgetNote: string;
  runIds: string[];
  /** the `thesis` experiment in the workspace the figures are made from */
  experimentId: string;
  startedAt: string;
  finishedAt: string;
  seconds: { training: number; experiment: number; bench: number; figures: number };
  table2: { population: number; generationsPerSec: number; mutantsPerSec: number; workers: number }[];
}

export const REPRODUCE_SUMMARY_FILE = 'reproduce.json';
export const FIGURE_INDEX_FILE = 'figures.json';
/** The lab keeps each study the UI starts in <workspace>/reproduce/<id>/. */
export const REPRODUCE_DIR = 'reproduce';

/** One figure of the index: its caption, the files written for it, a table's cells. */
export interface FigureIndexItem {
  kind: 'chart' | 'strip' | 'gif' | 'table';
  caption: string;
  /** relative to the folder, forward slashes: png, svg, gif, csv */
  files: string[];
  table?: { header: string[]; rows: (string | number)[][] };
}

/** index.html as data (`figures.json`). */
export interface FigureIndex {
  formatVersion: 1;
  title: string;
  intro: string | null;
  sections: { title: string; note: string | null; items: FigureIndexItem[] }[];
  /** results.json and the CSVs of the curves */
  data: string[];
}

/** A file of a study's figure set, as the UI shows or downloads it. */
export interface FigureFile {
  file: string;
  mime: string;
  bytesBase64: string;
}

/** Files the UI may read from a study's folder (a whole GIF at 25 fps is a few MB). */
export const FIGURE_FILE_LIMITS = { maxBytes: 32 * 1024 * 1024, pathMaxLength: 300 } as const;

const STUDY_ID_RE = /^\d{8}-\d{6}-reproduce-(quick|full)-[0-9a-f]{4}$/;
const FIGURE_FILE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*\.(png|svg|gif|csv|json)$/;

export function makeStudyId(now: Date, quick: boolean, random: string): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-reproduce-${quick ? 'quick' : 'full'}-${random}`;
}

export function isStudyId(value: unknown): value is string {
  return typeof value === 'string' && STUDY_ID_RE.test(value);
}

export function figureMime(file: string): string {
  const ext = file.slice(file.lastIndexOf('.') + 1).toLowerCase();
  return ({ png: 'image/png', gif: 'image/gif', svg: 'image/svg+xml', csv: 'text/csv', json: 'application/json' } as Record<string, string>)[ext]
    ?? 'application/octet-stream';
}

// ---- parsers: requests from another process, files read back ----

export function parseReproduceRequest(value: unknown, where = 'experiments.reproduce'): ReproduceRequest {
  if (!isRecord(value)) fail(where, 'expected an object {quick, reuse}');
  for (const key of Object.keys(value)) if (key !== 'quick' && key !== 'reuse') fail(`${where}: ${key}`, 'is not a field (quick, reuse)');
  if (typeof value.quick !== 'boolean') fail(`${where}: quick`, `must be true or false, got ${JSON.stringify(value.quick)}`);
  if (typeof value.reuse !== 'boolean') fail(`${where}: reuse`, `must be true or false, got ${JSON.stringify(value.reuse)}`);
  return { quick: value.quick, reuse: value.reuse };
}

export function parseStudyId(value: unknown, where: string): string {
  if (!isStudyId(value)) fail(where, `must be a study id (like 20250101-120000-reproduce-quick-1a2b), got ${JSON.stringify(value)}`);
  return value;
}

/** A path inside a study's folder: relative, forward slashes, no `..`, one of the figure set's file types. */
export function parseFigureFileName(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length > FIGURE_FILE_LIMITS.pathMaxLength || !FIGURE_FILE_RE.test(value) || value.split('/').includes('..')) {
    fail(where, `must be a file of the figure set (a relative path ending .png, .svg, .gif, .csv or .json), got ${JSON.stringify(value)}`);
  }
  return value;
}

export function parseFigureIndex(value: unknown, where = FIGURE_INDEX_FILE): FigureIndex {
  if (!isRecord(value) || value.formatVersion !== 1) fail(where, 'is not a figure index of format 1');
  const str = (v: unknown, w: string) => (typeof v === 'string' ? v : fail(w, 'must be a string'));
  const optStr = (v: unknown, w: string) => (v === null || v === undefined ? null : str(v, w));
  const files = (v: unknown, w: string) => (Array.isArray(v) ? v.map((f, i) => parseFigureFileName(f, `${w}[${i}]`)) : fail(w, 'must be a list of files'));
  if (!Array.isArray(value.sections)) fail(`${where}: sections`, 'must be a list');
  return {
    formatVersion: 1,
    title: str(value.title, `${where}: title`),
    intro: optStr(value.intro, `${where}: intro`),
    data: files(value.data, `${where}: data`),
    sections: value.sections.map((s: unknown, i: number) => {
      const ws = `${where}: sections[${i}]`;
      if (!isRecord(s) || !Array.isArray(s.items)) fail(ws, 'must be {title, note, items}');
      return {
        title: str(s.title, `${ws}.title`),
        note: optStr(s.note, `${ws}.note`),
        items: s.items.map((it: unknown, j: number) => {
          const wi = `${ws}.items[${j}]`;
          if (!isRecord(it) || !['chart', 'strip', 'gif', 'table'].includes(it.kind as string)) fail(wi, 'must be a chart, strip, gif or table');
          const item: FigureIndexItem = { kind: it.kind as FigureIndexItem['kind'], caption: str(it.caption, `${wi}.caption`), files: files(it.files, `${wi}.files`) };
          if (it.table !== undefined) {
            const t = it.table;
            if (!isRecord(t) || !Array.isArray(t.header) || !Array.isArray(t.rows)) fail(`${wi}.table`, 'must be {header, rows}');
            const cell = (c: unknown) => (typeof c === 'string' || typeof c === 'number' ? c : fail(`${wi}.table`, 'cells must be strings or numbers'));
            item.table = {
              header: t.header.map((h: unknown) => String(cell(h))),
              rows: t.rows.map((r: unknown) => (Array.isArray(r) ? r.map(cell) : fail(`${wi}.table`, 'rows must be lists'))),
            };
          }
          return item;
        }),
      };
    }),
  };
}

export function parseReproduceSummary(value: unknown, where = REPRODUCE_SUMMARY_FILE): ReproduceSummary {
  if (!isRecord(value) || value.formatVersion !== 1) fail(where, 'is not a study summary of format 1');
  const num = (v: unknown, w: string) => (typeof v === 'number' && Number.isFinite(v) ? v : fail(`${where}: ${w}`, 'must be a number'));
  const numOrNull = (v: unknown, w: string) => (v === null ? null : num(v, w));
  const str = (v: unknown, w: string) => (typeof v === 'string' ? v : fail(`${where}: ${w}`, 'must be a string'));
  const b = value.budget;
  const s = value.seconds;
  if (!isRecord(b)) fail(`${where}: budget`, 'must be {seconds, esGenerations, adamIterations}');
  if (!isRecord(s)) fail(`${where}: seconds`, 'must be {training, experiment, bench, figures}');
  if (!Array.isArray(value.runIds) || !Array.isArray(value.table2)) fail(where, 'runIds and table2 must be lists');
  return {
    formatVersion: 1,
    id: value.id === null ? null : parseStudyId(value.id, `${where}: id`),
    quick: value.quick === true,
    budget: { seconds: numOrNull(b.seconds, 'budget.seconds'), esGenerations: numOrNull(b.esGenerations, 'budget.esGenerations'), adamIterations: numOrNull(b.adamIterations, 'budget.adamIterations') },
    budgetNote: str(value.budgetNote, 'budgetNote'),
    runIds: value.runIds.map((r: unknown, i: number) => str(r, `runIds[${i}]`)),
    experimentId: str(value.experimentId, 'experimentId'),
    startedAt: str(value.startedAt, 'startedAt'),
    finishedAt: str(value.finishedAt, 'finishedAt'),
    seconds: { training: num(s.training, 'seconds.training'), experiment: num(s.experiment, 'seconds.experiment'), bench: num(s.bench, 'seconds.bench'), figures: num(s.figures, 'seconds.figures') },
    table2: value.table2.map((r: unknown, i: number) => {
      if (!isRecord(r)) fail(`${where}: table2[${i}]`, 'must be an object');
      return { population: num(r.population, `table2[${i}].population`), generationsPerSec: num(r.generationsPerSec, `table2[${i}].generationsPerSec`), mutantsPerSec: num(r.mutantsPerSec, `table2[${i}].mutantsPerSec`), workers: num(r.workers, `table2[${i}].workers`) };
    }),
  };
}


