/**
 * Experiment curves as CSV (tidy: one row per model × protocol × repeat × index), for pandas, R or a
 * spreadsheet. The same text from the CLI, the workspace and the Compare view's "CSV" button.
 * Columns `index` and `updates_applied` make the thesis's indexing explicit (spec f.1: updates = index + 1).
 */
import type { RunnableSuite } from '../core/experiments/protocols';
import type { ExperimentResults } from './experiment';

function cell(v: string | number | boolean | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface CurvesCsvOptions {
  /** only this suite's protocols */
  suite?: RunnableSuite;
  /** only these protocols */
  protocols?: string[];
  /** only these models */
  models?: string[];
}

function selected(results: ExperimentResults, opts: CurvesCsvOptions) {
  const protocols = new Map(results.protocols.map((p) => [p.id, p]));
  const models = new Map(results.models.map((m) => [m.key, m]));
  return results.curves.filter((c) => {
    const p = protocols.get(c.protocol);
    if (!p) return false;
    if (opts.suite && p.suite !== opts.suite) return false;
    if (opts.protocols && !opts.protocols.includes(c.protocol)) return false;
    if (opts.models && !opts.models.includes(c.model)) return false;
    return models.has(c.model);
  }).map((c) => ({ c, p: protocols.get(c.protocol)!, m: models.get(c.model)! }));
}

/** Every repeat's loss at every index. A non-finite loss is an empty cell. */
export function curvesCsv(results: ExperimentResults, opts: CurvesCsvOptions = {}): string {
  const rows = ['suite,protocol,model,label,optimizer,pool,target,repeat,seed,index,updates_applied,loss'];
  for (const { c, p, m } of selected(results, opts)) {
    const head = [p.suite, p.id, m.key, m.label, m.optimizer, m.pool, m.target.name].map(cell).join(',');
    for (const r of c.repeats) {
      for (let k = 0; k < r.loss.length; k++) rows.push(`${head},${r.repeat},${r.seed},${k},${k + 1},${cell(r.loss[k])}`);
    }
  }
  return rows.join('\n') + '\n';
}

/** Mean and min–max band over repeats (only meaningful with more than one repeat). */
export function summaryCsv(results: ExperimentResults, opts: CurvesCsvOptions = {}): string {
  const rows = ['suite,protocol,model,label,index,updates_applied,mean,min,max,repeats'];
  for (const { c, p, m } of selected(results, opts)) {
    if (!c.mean || !c.min || !c.max) continue;
    const head = [p.suite, p.id, m.key, m.label].map(cell).join(',');
    for (let k = 0; k < c.mean.length; k++) {
      rows.push(`${head},${k},${k + 1},${cell(c.mean[k])},${cell(c.min[k])},${cell(c.max[k])},${c.repeats.length}`);
    }
  }
  return rows.join('\n') + '\n';
}
