/**
 * Experiments for the LabApi (`experiments.*` channels, used by the Compare view): starts a suite in the
 * background and answers at once with its id, pushes `experiment:progress` events, cancels, lists and reads
 * stored results. The work is runExperiment's (worker processes, data saved in the workspace).
 */
import type { WorkerSpawner } from '../workers/spawners';
import type { ExperimentProgressEvent, ExperimentResults, ExperimentRunRequest, ExperimentSummary } from '../../shared/experiment';
import type { LabStore } from '../store/lab-store';
import { listExperiments, makeExperimentId, readExperiment } from './experiment-store';
import { runExperiment } from './run-experiment';
import { messageOf } from '../../shared/validate';

export interface ExperimentServiceOptions {
  workspace: string;
  /** the lab's store of that workspace */
  store?: LabStore;
  emit: (event: ExperimentProgressEvent) => void;
  /** how worker processes are started (Electron passes a utilityProcess spawner) */
  spawn?: WorkerSpawner;
  /** worker processes per experiment (default: one per core) */
  workers?: number;
  now?: () => Date;
}

export class ExperimentService {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly opts: ExperimentServiceOptions) {}

  /** Starts the suite; progress (and the end: done, failed or cancelled) arrives as events with this id. */
  start(request: ExperimentRunRequest): { id: string } {
    const now = this.opts.now ?? (() => new Date());
    let id = makeExperimentId(now(), request.suite);
    while (this.running.has(id)) id = makeExperimentId(now(), request.suite);
    const abort = new AbortController();
    this.running.set(id, abort);
    let last: ExperimentProgressEvent | null = null;
    const emit = (e: ExperimentProgressEvent) => {
      last = e;
      this.opts.emit(e);
    };
    void runExperiment({
      workspace: this.opts.workspace, store: this.opts.store, id, suite: request.suite, models: request.models, repeats: request.repeats, seed: request.seed,
      fgsmClamp: request.fgsmClamp, workers: this.opts.workers, spawn: this.opts.spawn, signal: abort.signal, onProgress: emit, now,
    }).catch((err: unknown) => {
      // runExperiment reports its own failures once it is running; a failure before that (a bad model) is told here
      if (!last || (last.phase !== 'failed' && last.phase !== 'cancelled')) {
        const cancelled = abort.signal.aborted;
        emit({
          id, phase: cancelled ? 'cancelled' : 'failed', jobsDone: last?.jobsDone ?? 0, jobs: last?.jobs ?? 0,
          updatesDone: last?.updatesDone ?? 0, updatesTotal: last?.updatesTotal ?? 0, elapsedSeconds: last?.elapsedSeconds ?? 0,
          message: cancelled ? 'cancelled: nothing was saved' : messageOf(err),
        });
      }
    }).finally(() => this.running.delete(id));
    return { id };
  }

  /** Cancels a running experiment (nothing of it is saved); unknown or finished ids are a no-op. */
  cancel(id: string): void {
    this.running.get(id)?.abort('cancelled by the user');
  }

  cancelAll(): void {
    for (const a of this.running.values()) a.abort('the lab is closing');
  }

  runningIds(): string[] {
    return [...this.running.keys()];
  }

  list(): Promise<ExperimentSummary[]> {
    return listExperiments(this.opts.workspace);
  }

  get(id: string): Promise<ExperimentResults> {
    return readExperiment(this.opts.workspace, id);
  }
}
