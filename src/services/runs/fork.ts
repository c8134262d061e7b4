/**
 * Forking a run from one of its checkpoints: what a fork may change, and where its progress starts.
 */
import { paramCount } from '../../core/nca/config';
import type { ForkRunRequest } from '../../shared/lab-api';
import { stepWord, type RunRecord } from '../../shared/run-record';
import { progressAt } from '../../shared/metrics';
import { forkConfigRefusal, ncaConfigOf, type RunConfig } from '../../shared/training-config';
import type { LabStore } from '../store/lab-store';

/**
 * A fork must be able to load the checkpoint: same optimizer, model shape, target canvas and initialisation
 * (shared/run-config/fork.ts says what a fork keeps), and the same parameter count. Returns the refusal.
 */
export function forkRefusal(source: RunConfig, config: RunConfig): string | null {
  const refusal = forkConfigRefusal(source, config);
  if (refusal) return refusal;
  if (paramCount(ncaConfigOf(source)) !== paramCount(ncaConfigOf(config))) return "a fork keeps the model's shape: the checkpoint's parameters must fit";
  return null;
}

/**
 * Creates the fork of checkpoint `request.generation` of `request.runId`: same optimizer, model and target canvas;
 * stop conditions and hyperparameters may differ (ES takes α and its decay stage from the checkpoint). The
 * source's metrics up to the checkpoint are copied, so the new run's curves start where the source's were. A fork
 * that cannot be completed is removed again. `refuse` builds the error for a fork the source does not allow.
 */
export async function createFork(store: LabStore, request: ForkRunRequest, refuse: (why: string) => Error): Promise<{ record: RunRecord; start: boolean }> {
  const source = await store.getRun(request.runId);
  const generation = await checkpointToFork(store, source, request.generation);
  const ckpt = await store.readCheckpoint(source.id, generation);
  const config: RunConfig = structuredClone(request.config ?? source.config);
  const refusal = forkRefusal(source.config, config);
  if (refusal) throw refuse(refusal);
  // a fork continues the source's lineage: it records (and keeps a copy of) the model the source started from
  config.startFrom = structuredClone(source.config.startFrom);
  const startModel = await store.readStartModel(source.id);
  const target = config.target.name === source.config.target.name ? await store.loadRunTarget(source.id) : undefined;
  const record = await store.createRun(config, {
    name: forkName(source.name, request, generation),
    tags: request.tags ?? source.tags,
    notes: '',
    backend: null,
    forkedFrom: { runId: source.id, generation },
    ...(target ? { target } : {}),
    ...(startModel ? { startModel } : {}),
  });
  const start = request.start !== false;
  try {
    await store.writeCheckpoint(record.id, ckpt);
    const rows = (await store.readMetrics(source.id)).filter((r) => r.generation <= generation);
    if (rows.length > 0) await store.appendMetrics(record.id, rows);
    const updated = await store.updateRun(record.id, {
      progress: progressAt(ckpt, rows),
      status: start ? 'queued' : 'paused',
      statusReason: start ? null : `forked from ${source.id} at ${stepWord(source.optimizer)} ${generation}; not started yet`,
    });
    return { record: updated, start };
  } catch (err) {
    await store.deleteRun(record.id, { force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * The checkpoint a fork starts from: the one asked for, or, of a run training now, the next one after it when it
 * was replaced meanwhile. A training run keeps only its newest checkpoints, so the one a window chose may be gone
 * by the time the request arrives; the Fork dialog moves on to the next one the same way when it sees it go.
 */
async function checkpointToFork(store: LabStore, source: RunRecord, asked: number): Promise<number> {
  if (source.status !== 'running') return asked;
  const have = (await store.listCheckpoints(source.id)).map((c) => c.generation);
  if (have.includes(asked)) return asked;
  // none newer: reading the one asked for names what the run has
  return have.find((g) => g > asked) ?? asked;
}

/** The fork's name: the one given, whose default form ("… · fork @N") follows the checkpoint it starts from. */
function forkName(sourceName: string, request: ForkRunRequest, generation: number): string {
  const byDefault = (g: number) => `${sourceName} · fork @${g}`;
  return request.name === undefined || request.name === byDefault(request.generation) ? byDefault(generation) : request.name;
}
