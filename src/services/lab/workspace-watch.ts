/**
 * The live workspace: runs trained by another process on the same workspace (`nca-lab train`
 * in a terminal, a second `nca-lab serve`), sweeps driven elsewhere (`nca-lab sweep`) and imported targets added or
 * removed elsewhere show up without a reload,
 * as W&B's run table does. The workspace's `runs/` and `targets/` folders are watched (fs.watch, recursive: one
 * inotify watch per folder on Linux, FSEvents on macOS, ReadDirectoryChangesW on Windows), the bursts a training
 * session writes (metrics batches, a checkpoint's temporary file and its rename) are coalesced per run into at most
 * one report per window: what changed in it (its record, its metrics) or that its folder is gone.
 *
 * This module only says *what* changed on disk; LabService turns that into the usual pushed events.
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, sep } from 'node:path';

export interface RunChange {
  runId: string;
  /** run.json changed (status, progress at a checkpoint, name, tags…), or the folder appeared */
  record: boolean;
  /** metrics.jsonl grew (or was rewritten) */
  metrics: boolean;
}

export interface WorkspaceWatchOptions {
  workspace: string;
  /** the folder of runs and of imported targets under the workspace */
  runsDir?: string;
  targetsDir?: string;
  sweepsDir?: string;
  /** how long a run's changes are gathered before they are reported together (default 250 ms) */
  debounceMs?: number;
  onRun(change: RunChange): void;
  onTargets(): void;
  /** a sweep's record (sweeps/<id>/sweep.json) changed or appeared */
  onSweep?(sweepId: string): void;
  /** the watcher could not be set up or failed (the lab still works, without live updates from elsewhere) */
  onError?(err: Error): void;
}

export interface WorkspaceWatch {
  close(): void;
}

/** Which run, and which of its files, a path under runs/ names ("<id>/metrics.jsonl" → id, metrics). */
export function classifyRunPath(relative: string): { runId: string; file: 'record' | 'metrics' | 'other' } | null {
  const parts = relative.split(/[\\/]/).filter(Boolean);
  if (parts.length === 0) return null;
  const runId = parts[0];
  if (runId.startsWith('.') || runId.endsWith('.tmp')) return null;
  if (parts.length === 1) return { runId, file: 'record' }; // the folder itself: created or removed
  const name = parts[1];
  if (parts.length === 2 && name.startsWith('run.json')) return { runId, file: 'record' }; // run.json and its atomic temp
  if (parts.length === 2 && name.startsWith('metrics.jsonl')) return { runId, file: 'metrics' };
  // checkpoints/ and model/: a new checkpoint also rewrites run.json, which is what the lab shows
  return { runId, file: 'other' };
}

export async function watchWorkspace(opts: WorkspaceWatchOptions): Promise<WorkspaceWatch> {
  const runsDir = opts.runsDir ?? join(opts.workspace, 'runs');
  const targetsDir = opts.targetsDir ?? join(opts.workspace, 'targets');
  const sweepsDir = opts.sweepsDir ?? join(opts.workspace, 'sweeps');
  const debounceMs = opts.debounceMs ?? 250;
  await Promise.all([mkdir(runsDir, { recursive: true }), mkdir(targetsDir, { recursive: true }), ...(opts.onSweep ? [mkdir(sweepsDir, { recursive: true })] : [])]);
  const sweepTimers = new Map<string, ReturnType<typeof setTimeout>>();

  const pending = new Map<string, { record: boolean; metrics: boolean; timer: ReturnType<typeof setTimeout> }>();
  let targetsTimer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  const watchers: FSWatcher[] = [];

  const fail = (err: unknown) => opts.onError?.(err instanceof Error ? err : new Error(String(err)));

  // A window opens at a run's first change and closes debounceMs later with one report of everything seen in
  // it. The window is not pushed back by later writes: a run that writes every few milliseconds (a fast CLI
  // run's metrics) would otherwise never be quiet long enough to be reported at all.
  function onRunPath(relative: string): void {
    const hit = classifyRunPath(relative);
    if (!hit || closed) return;
    let p = pending.get(hit.runId);
    if (!p) {
      const opened = { record: false, metrics: false, timer: setTimeout(() => {
        pending.delete(hit.runId);
        if (!closed) opts.onRun({ runId: hit.runId, record: opened.record, metrics: opened.metrics });
      }, debounceMs) };
      p = opened;
      pending.set(hit.runId, p);
    }
    if (hit.file === 'record' || hit.file === 'other') p.record = true;
    if (hit.file === 'metrics') p.metrics = true;
  }

  function onTargetsPath(): void {
    if (closed) return;
    if (targetsTimer) clearTimeout(targetsTimer);
    targetsTimer = setTimeout(() => {
      targetsTimer = null;
      if (!closed) opts.onTargets();
    }, debounceMs);
  }

  function onSweepPath(relative: string): void {
    const id = relative.split(/[\\/]/).filter(Boolean)[0];
    if (!id || id.startsWith('.') || closed) return;
    clearTimeout(sweepTimers.get(id));
    sweepTimers.set(id, setTimeout(() => {
      sweepTimers.delete(id);
      if (!closed) opts.onSweep?.(id);
    }, debounceMs));
  }

  try {
    if (opts.onSweep) {
      const sweeps = watch(sweepsDir, { recursive: true, persistent: false }, (_event, name) => {
        if (name) onSweepPath(name.toString());
      });
      sweeps.on('error', fail);
      watchers.push(sweeps);
    }
    const runs = watch(runsDir, { recursive: true, persistent: false }, (_event, name) => {
      if (name) onRunPath(name.toString().split(sep).join('/'));
    });
    runs.on('error', fail);
    watchers.push(runs);
    const targets = watch(targetsDir, { persistent: false }, () => onTargetsPath());
    targets.on('error', fail);
    watchers.push(targets);
  } catch (err) {
    for (const w of watchers) w.close();
    fail(err);
    return { close: () => undefined };
  }

  return {
    close() {
      closed = true;
      for (const w of watchers) w.close();
      for (const p of pending.values()) clearTimeout(p.timer);
      pending.clear();
      if (targetsTimer) clearTimeout(targetsTimer);
      for (const t of sweepTimers.values()) clearTimeout(t);
    },
  };
}
