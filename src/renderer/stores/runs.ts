/**
 * Runs: every run of the workspace (runs.list), kept current by the pushed `run:status`, `run:progress`, `run:metrics` and
 * `run:deleted` events (no polling); the selection shared by the Runs table and the Overlay; each run's metrics
 * once a chart asked for them (run-metrics.ts: stored rows, then live points appended); and the actions, with the run's pending
 * action and the service's message when one fails.
 */
import type {
  CheckpointSummary, CreateRunRequest, ForkRunRequest, RunFolderProblem, RunInfo, RunProgressEvent, TargetData,
} from '@shared/lab-api';
import { runLabels, type RunLabel } from '@shared/run-names';
import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef } from 'vue';
import { messageOf } from '../lib/format';
import { lab } from '../lib/lab';
import { withProgress } from '../lib/runs/run-summary';
import { useRunMetrics } from './run-metrics';
import type { LoadStatus } from './targets';

export type RunAction = 'resume' | 'pause' | 'stop' | 'delete' | 'rename' | 'tags' | 'notes';

function isRunInfo(value: unknown): value is RunInfo {
  return typeof value === 'object' && value !== null && 'id' in value && 'progress' in value && 'config' in value;
}

export const useRunsStore = defineStore('runs', () => {
  const byId = reactive(new Map<string, RunInfo>());
  const problems = shallowRef<RunFolderProblem[]>([]);
  const status = ref<LoadStatus>('idle');
  const loadError = ref<string | null>(null);
  const selected = reactive(new Set<string>());
  /** the action in flight per run (buttons show it and are disabled) */
  const pending = reactive(new Map<string, RunAction>());
  /** the last failed action's message per run */
  const actionErrors = reactive(new Map<string, string>());
  const { metricsVersion, seriesOf, loadMetrics, reloadShown, appendProgress, forgetMetrics } = useRunMetrics();
  const targets = new Map<string, Promise<TargetData>>();

  const runs = computed(() => [...byId.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1)));
  /** every run's name with a distinguishing suffix where names are shared (shared/run-names.ts) */
  const labels = computed(() => runLabels(runs.value));

  function labelOf(id: string): RunLabel {
    const name = byId.get(id)?.name ?? id;
    return labels.value.get(id) ?? { base: name, suffix: '', full: name };
  }

  lab.on('run:status', (run) => {
    const before = byId.get(run.id);
    byId.set(run.id, run);
    // a session ended: the stored rows are complete now (live points were every ~100 ms only)
    if (before?.live && !run.live) reloadShown(run.id);
  });
  lab.on('run:progress', (p) => onProgress(p));
  lab.on('run:deleted', ({ runId }) => forget(runId));
  // another process (a CLI run on this workspace) wrote metrics: a chart that shows the run reads them again
  lab.on('run:metrics', ({ runId }) => reloadShown(runId));

  function onProgress(p: RunProgressEvent): void {
    const run = byId.get(p.runId);
    if (run) byId.set(p.runId, withProgress(run, p));
    appendProgress(p);
  }

  function forget(id: string): void {
    byId.delete(id);
    selected.delete(id);
    pending.delete(id);
    actionErrors.delete(id);
    forgetMetrics(id);
  }

  async function load(): Promise<void> {
    status.value = 'loading';
    loadError.value = null;
    try {
      const listing = await lab.runs.list();
      byId.clear();
      for (const r of listing.runs) byId.set(r.id, r);
      for (const id of [...selected]) if (!byId.has(id)) selected.delete(id);
      problems.value = listing.problems;
      status.value = 'ready';
    } catch (err) {
      loadError.value = messageOf(err);
      status.value = 'error';
    }
  }

  /** One run (the detail view opened by address before the list arrived). */
  async function fetchRun(id: string): Promise<RunInfo> {
    const run = await lab.runs.get(id);
    byId.set(id, run);
    return run;
  }

  /** Runs an action on a run, remembering it as pending and its error (also thrown to the caller). */
  async function act<T>(id: string, action: RunAction, job: () => Promise<T>): Promise<T> {
    pending.set(id, action);
    actionErrors.delete(id);
    try {
      const result = await job();
      if (isRunInfo(result) && result.id === id) byId.set(id, result);
      return result;
    } catch (err) {
      actionErrors.set(id, messageOf(err));
      throw err;
    } finally {
      pending.delete(id);
    }
  }

  async function create(request: CreateRunRequest): Promise<RunInfo> {
    const run = await lab.runs.create(request);
    byId.set(run.id, run);
    return run;
  }

  async function fork(request: ForkRunRequest): Promise<RunInfo> {
    const run = await lab.runs.fork(request);
    byId.set(run.id, run);
    return run;
  }

  const resume = (id: string) => act(id, 'resume', () => lab.runs.resume(id));
  const pause = (id: string) => act(id, 'pause', () => lab.runs.pause(id));
  const stop = (id: string) => act(id, 'stop', () => lab.runs.stop(id));
  const rename = (id: string, name: string) => act(id, 'rename', () => lab.runs.rename(id, name));
  const setTags = (id: string, tags: string[]) => act(id, 'tags', () => lab.runs.setTags(id, tags));
  const setNotes = (id: string, notes: string) => act(id, 'notes', () => lab.runs.setNotes(id, notes));

  /** Deletes runs one after another; returns the messages of those that could not be deleted. */
  async function remove(ids: string[]): Promise<{ id: string; message: string }[]> {
    const failed: { id: string; message: string }[] = [];
    for (const id of ids) {
      try {
        await act(id, 'delete', () => lab.runs.delete(id));
        forget(id);
      } catch (err) {
        failed.push({ id, message: messageOf(err) });
      }
    }
    return failed;
  }

  function checkpoints(id: string): Promise<CheckpointSummary[]> {
    return lab.runs.checkpoints(id);
  }

  /** A run's target, fetched once per target (runs on the same target share it). */
  function targetOf(run: RunInfo): Promise<TargetData> {
    const key = `${run.config.target.name}|${run.config.target.size}|${run.config.target.padding}`;
    let t = targets.get(key);
    if (!t) {
      t = lab.runs.target(run.id);
      targets.set(key, t);
      t.catch(() => targets.delete(key));
    }
    return t;
  }

  return {
    byId, runs, labels, labelOf, problems, status, loadError, selected, pending, actionErrors, metricsVersion,
    load, fetchRun, seriesOf, loadMetrics, create, fork, resume, pause, stop, rename, setTags, setNotes, remove, checkpoints, targetOf,
  };
});
