/**
 * A sweep run's final model, measured once it ends: the growth evaluation of its last step carried on to 1000
 * steps (core/nca/growth-eval.ts: the same Eval stream, so the 40- and 200-step losses are those a metrics row
 * of that step would show), its persistence verdict, and when its 40-step loss first reached the goal.
 */
import { persistenceEval } from '../../core/nca/growth-eval';
import type { RunRecord } from '../../shared/run-record';
import type { SweepFinal } from '../../shared/sweep';
import { ncaConfigOf } from '../../shared/training-config';
import type { LabStore } from '../store/lab-store';

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

export async function finalEvaluation(store: LabStore, record: RunRecord, goal: number): Promise<SweepFinal> {
  const rows = await store.readMetrics(record.id);
  const hit = rows.find((r) => r.eval40 !== undefined && r.eval40 <= goal);
  const goalAt = hit ? { generation: hit.generation, evaluations: hit.evaluations, wallSeconds: hit.wallSeconds } : null;
  const base = { evaluations: record.progress.evaluations, wallSeconds: record.progress.wallSeconds, goalAt };
  if (record.status === 'failed' || record.progress.generation === 0) {
    // a run that diverged has no final model to measure (its last good checkpoint is not where it ended)
    return { ...base, generation: record.progress.generation, eval40: null, eval200: null, eval1000: null, verdict: 'diverges' };
  }
  // every end writes a checkpoint of the last step (training-loop.ts): the newest one is the final model
  const ckpt = await store.readLatestCheckpoint(record.id);
  const at = ckpt ? { params: ckpt.params, generation: ckpt.generation } : { params: (await store.loadModel(record.id)).params, generation: record.progress.generation };
  const target = await store.loadRunTarget(record.id);
  const e = persistenceEval(ncaConfigOf(record.config), record.config.seed, at.params, target, at.generation);
  return {
    ...base, generation: at.generation,
    eval40: finiteOrNull(e.eval40), eval200: finiteOrNull(e.eval200), eval1000: finiteOrNull(e.eval1000), verdict: e.verdict,
  };
}
