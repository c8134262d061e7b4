/**
 * How the cores are shared between the runs that train at the same time (RunManager). An Adam run is one
 * worker process on one core (tfjs-wasm/cpu use one; docs/architecture.md, "Compute"); the ES runs split the other
 * cores evenly, each taking no more than it can use (its `es.workers` when set, and never more workers than
 * members). Every run gets at least one worker, even when that oversubscribes the machine.
 *
 *   2 cores, 2 ES runs → 1 + 1;  4 cores, ES + ES + Adam → 2 + 1 + 1 (the first ES run gets the odd core);
 *   8 cores, ES(workers 2) + ES → 2 + 6.
 */
import { OPTIMIZERS, type Optimizer } from '../../shared/optimizers';

export interface WorkerClaim {
  id: string;
  optimizer: Optimizer;
  /** the most workers this run can use: min(es.workers or ∞, population); ignored for Adam */
  cap: number;
}

/** Workers per run id, in the order given (earlier runs get the remainder first). */
export function shareWorkers(cores: number, claims: readonly WorkerClaim[]): Map<string, number> {
  const share = new Map<string, number>();
  const es: WorkerClaim[] = [];
  for (const c of claims) {
    // a population is shared over cores; an optimizer without one (Adam) holds one share
    if (!OPTIMIZERS[c.optimizer].population) share.set(c.id, 1);
    else es.push(c);
  }
  let budget = Math.max(Math.floor(cores) - (claims.length - es.length), es.length);
  // water-filling: runs that cannot use an even share take what they can; the rest split what is left
  let open = es.map((c) => ({ id: c.id, cap: Math.max(1, Math.floor(c.cap)) }));
  for (;;) {
    if (open.length === 0) break;
    const even = Math.floor(budget / open.length);
    const small = open.filter((c) => c.cap <= even);
    if (small.length === 0) {
      let extra = budget - even * open.length;
      for (const c of open) {
        const n = Math.max(1, even + (extra > 0 ? 1 : 0));
        if (extra > 0) extra--;
        share.set(c.id, Math.min(n, c.cap));
      }
      break;
    }
    for (const c of small) {
      share.set(c.id, c.cap);
      budget -= c.cap;
    }
    open = open.filter((c) => c.cap > even);
  }
  return new Map(claims.map((c) => [c.id, share.get(c.id) ?? 1]));
}
