/**
 * The thesis's study for the LabApi (`experiments.reproduce` and friends, the Compare view's "Reproduce the study"
 * panel): starts reproduceThesis — the same code as `nca-lab reproduce` — in the background on the lab's own
 * RunManager, so the 16 trainings show in Runs and share the cores with the user's other runs; pushes
 * `reproduce:progress` (throttled within a phase, at once on a phase change and at the end); cancels; lists the
 * workspace's studies and serves a finished one's figure index and files.
 *
 * Each study writes into <workspace>/reproduce/<id>/; a failed or cancelled study's folder is removed, so a
 * folder with reproduce.json in it is a finished study. One study at a time.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  FIGURE_FILE_LIMITS, FIGURE_INDEX_FILE, REPRODUCE_DIR, REPRODUCE_SUMMARY_FILE, figureMime, isStudyId, makeStudyId,
  parseFigureIndex, parseReproduceSummary, type FigureFile, type FigureIndex, type ReproduceBudget, type ReproduceOverview,
  type ReproduceProgressEvent, type ReproduceRequest, type ReproduceSummary,
} from '../../shared/reproduce';
import type { RunManager } from '../runs/run-manager';
import type { WorkerSpawner } from '../workers/spawners';
import { describeBudget, FULL_BUDGET, QUICK_BUDGET, reproduceThesis, THESIS_TRAININGS, type ReproduceStage } from './reproduce';
import { messageOf } from '../../shared/validate';

export interface ReproduceServiceOptions {
  workspace: string;
  /** the lab's queue: the study's trainings go through it */
  runs: RunManager;
  emit: (event: ReproduceProgressEvent) => void;
  /** how the experiment and benchmark workers start (Electron passes a utilityProcess spawner) */
  spawn?: WorkerSpawner;
  /** worker processes for the suite and Table 2 (default: one per core) */
  workers?: number;
  /** default QUICK_BUDGET, or what NCA_LAB_QUICK_BUDGET says (quickBudgetFromEnv) */
  quickBudget?: ReproduceBudget;
  /** default FULL_BUDGET (the presets' lengths: ES 1M generations, Adam 20,000 iterations) */
  fullBudget?: ReproduceBudget;
  /** Table 2's populations (default the thesis's) */
  benchPopulations?: number[];
  /** within a phase, at most one progress event per this many ms (default 250) */
  progressIntervalMs?: number;
  now?: () => Date;
}

interface RunningStudy {
  id: string;
  abort: AbortController;
  settled: Promise<void>;
}

export class ReproduceService {
  private current: RunningStudy | null = null;
  /** set by cancelAll: the lab is closing, so the study's runs are left for the queue to pause */
  private closing = false;
  /** the latest event of every study started by this lab since it started */
  private readonly known = new Map<string, ReproduceProgressEvent>();
  readonly quickBudget: ReproduceBudget;
  readonly fullBudget: ReproduceBudget;

  constructor(private readonly opts: ReproduceServiceOptions) {
    this.quickBudget = opts.quickBudget ?? quickBudgetFromEnv(process.env) ?? QUICK_BUDGET;
    this.fullBudget = opts.fullBudget ?? FULL_BUDGET;
  }

  get dir(): string {
    return join(resolve(this.opts.workspace), REPRODUCE_DIR);
  }

  /** Starts the study; progress and its end arrive as `reproduce:progress` events with this id. */
  start(request: ReproduceRequest): { id: string } {
    if (this.closing) throw new Error('the lab is closing: no new study starts');
    if (this.current) throw new Error(`a study is already running (${this.current.id}): wait for it to end or cancel it first`);
    const now = this.opts.now ?? (() => new Date());
    const started = now();
    const id = makeStudyId(started, request.quick, randomBytes(2).toString('hex'));
    const outDir = join(this.dir, id);
    const budget = request.quick ? this.quickBudget : this.fullBudget;
    const abort = new AbortController();
    const total = THESIS_TRAININGS.length;
    const base = {
      id, quick: request.quick, budgetNote: describeBudget(budget, request.quick), startedAt: started.toISOString(), outDir,
    };
    const t0 = performance.now();
    const interval = this.opts.progressIntervalMs ?? 250;
    let last: ReproduceProgressEvent = {
      ...base, phase: 'training', message: `queueing the ${total} trainings`, done: 0, total,
      trainingsDone: 0, trainingsTotal: total, runIds: [], elapsedSeconds: 0,
    };
    let lastSent = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const send = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      lastSent = performance.now();
      this.known.set(id, last);
      this.opts.emit(last);
    };
    const onStage = (s: ReproduceStage) => {
      const phaseChanged = s.phase !== last.phase;
      // a phase's last word (16/16 trainings) goes out before the next phase's first
      if (phaseChanged && timer) send();
      last = { ...base, ...s, elapsedSeconds: (performance.now() - t0) / 1000 };
      this.known.set(id, last);
      if (phaseChanged || performance.now() - lastSent >= interval) send();
      else timer ??= setTimeout(send, interval - (performance.now() - lastSent));
    };
    send();

    const settled = reproduceThesis({
      workspace: this.opts.workspace, out: outDir, budget, quick: request.quick, reuse: request.reuse, runs: this.opts.runs,
      workers: this.opts.workers, spawn: this.opts.spawn, benchPopulations: this.opts.benchPopulations, studyId: id,
      signal: abort.signal, leaveRunsOnAbort: () => this.closing, onStage,
    }).then((outcome) => {
      last = {
        ...base, phase: 'done', done: total, total, trainingsDone: total, trainingsTotal: total, runIds: outcome.runIds,
        elapsedSeconds: (performance.now() - t0) / 1000, indexHtml: join(outDir, 'index.html'),
        message: `${outcome.files.length} files: the chapter-6 figures of ${outcome.runIds.length} models${outcome.table2.length ? ' and Table 2' : ''}`,
      };
    }, async (err: unknown) => {
      const cancelled = abort.signal.aborted;
      // nothing half-written: a study's folder exists only once it is complete
      await rm(outDir, { recursive: true, force: true }).catch(() => undefined);
      last = {
        ...last, phase: cancelled ? 'cancelled' : 'failed', elapsedSeconds: (performance.now() - t0) / 1000,
        message: !cancelled
          ? messageOf(err)
          : this.closing
            ? 'Cancelled because the lab closed: its trainings were paused; a new study with "reuse" resumes them. No figures were written.'
            : 'Cancelled by the user: trainings that ran were stopped with their checkpoint and model (a new study with "reuse" uses them), those still waiting were removed. No figures were written.',
      };
    }).finally(() => {
      this.current = null;
      send();
    });
    this.current = { id, abort, settled };
    return { id };
  }

  /** Cancels the running study (unknown or ended ids: nothing happens); resolves once it has wound down. */
  async cancel(id: string): Promise<void> {
    const study = this.current;
    if (!study || study.id !== id) return;
    study.abort.abort(new Error('cancelled by the user'));
    await study.settled;
  }

  /** For quitting: cancels the running study, leaving its runs for the queue to pause (resumable), and refuses new ones. */
  async cancelAll(): Promise<void> {
    this.closing = true;
    const study = this.current;
    if (!study) return;
    study.abort.abort(new Error('the lab is closing'));
    await study.settled;
  }

  runningId(): string | null {
    return this.current?.id ?? null;
  }

  /** The budgets a study runs on and every study: this session's (their latest event) and the finished ones on disk. */
  async overview(): Promise<ReproduceOverview> {
    return { quick: this.quickBudget, full: this.fullBudget, trainings: THESIS_TRAININGS.length, studies: await this.list() };
  }

  /** The studies of this lab session (their latest event) and the finished ones on disk, newest first. */
  async list(): Promise<ReproduceProgressEvent[]> {
    const out = new Map(this.known);
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!isStudyId(name) || out.has(name)) continue;
      const summary = await this.summary(name).catch(() => null);
      if (summary) out.set(name, this.doneEvent(name, summary));
    }
    return [...out.values()].sort((a, b) => (a.startedAt === b.startedAt ? (a.id < b.id ? 1 : -1) : a.startedAt < b.startedAt ? 1 : -1));
  }

  /** A finished study's index page as data. */
  async index(id: string): Promise<FigureIndex> {
    const path = join(this.folder(id), FIGURE_INDEX_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      throw new Error(`study ${id} has no figures: ${this.current?.id === id ? 'it is still running' : 'it did not finish (or its folder was removed)'}`);
    }
    return parseFigureIndex(JSON.parse(text), `${id}/${FIGURE_INDEX_FILE}`);
  }

  /** One file of a finished study's figure set; only files its index lists. */
  async file(id: string, file: string): Promise<FigureFile> {
    const index = await this.index(id);
    const listed = new Set([...index.data, ...index.sections.flatMap((s) => s.items.flatMap((i) => i.files))]);
    if (!listed.has(file)) throw new Error(`study ${id}: "${file}" is not a file of its figure set`);
    const path = join(this.folder(id), ...file.split('/'));
    const size = (await stat(path)).size;
    if (size > FIGURE_FILE_LIMITS.maxBytes) throw new Error(`study ${id}: ${file} is ${(size / 2 ** 20).toFixed(1)} MB, more than the ${FIGURE_FILE_LIMITS.maxBytes / 2 ** 20} MB a window reads; open it from ${this.folder(id)}`);
    return { file, mime: figureMime(file), bytesBase64: (await readFile(path)).toString('base64') };
  }

  private folder(id: string): string {
    if (!isStudyId(id)) throw new RangeError(`invalid study id ${JSON.stringify(id)}`);
    return join(this.dir, id);
  }

  private async summary(id: string): Promise<ReproduceSummary> {
    return parseReproduceSummary(JSON.parse(await readFile(join(this.folder(id), REPRODUCE_SUMMARY_FILE), 'utf8')), `${id}/${REPRODUCE_SUMMARY_FILE}`);
  }

  private doneEvent(id: string, s: ReproduceSummary): ReproduceProgressEvent {
    const n = s.runIds.length;
    const outDir = this.folder(id);
    return {
      id, phase: 'done', message: `the chapter-6 figures of ${n} models${s.table2.length ? ' and Table 2' : ''}`, done: n, total: n,
      trainingsDone: n, trainingsTotal: n, runIds: s.runIds, quick: s.quick, budgetNote: s.budgetNote, startedAt: s.startedAt,
      elapsedSeconds: Math.max(0, (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000), outDir, indexHtml: join(outDir, 'index.html'),
    };
  }
}

/**
 * NCA_LAB_QUICK_BUDGET=seconds=S,es=N,adam=N: the quick budget of the window's study (`nca-lab serve`, the desktop
 * app), e.g. for a demonstration or a test; keys left out have no cap. Null when unset; a malformed value throws.
 */
export function quickBudgetFromEnv(env: NodeJS.ProcessEnv): ReproduceBudget | null {
  const text = env.NCA_LAB_QUICK_BUDGET?.trim();
  if (!text) return null;
  const budget: ReproduceBudget = { seconds: null, esGenerations: null, adamIterations: null };
  const keys = { seconds: 'seconds', es: 'esGenerations', adam: 'adamIterations' } as const;
  for (const part of text.split(',')) {
    const [key, value] = part.split('=').map((x) => x.trim());
    const n = Number(value);
    if (!(key in keys) || !Number.isInteger(n) || n < 1) {
      throw new Error(`NCA_LAB_QUICK_BUDGET: "${part}" is not seconds=S, es=N or adam=N with a whole number ≥ 1`);
    }
    budget[keys[key as keyof typeof keys]] = n;
  }
  return budget;
}
