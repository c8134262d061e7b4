/**
 * Successive halving (Jamieson & Talwalkar 2016; Li et al. 2018, "Hyperband", with η = 2) for a sweep: every
 * configuration trains to the first rung's budget; then the better half (by score, lower is better) continues to
 * the next rung's budget, twice as large, resuming where it stopped, until the last rung is the sweep's full
 * budget. With n configurations and rungs from full/n up, the sweep costs ≈ (1 + ½·log₂ n) full runs per seed
 * instead of n (16 configurations: 3 full runs).
 */

/**
 * Budgets of the rungs, ascending, the last one `full`: from `first` (default full / 2^(⌈log₂ n⌉)) doubling, in
 * whole units (generations, iterations or seconds). One rung when there is a single configuration.
 */
export function halvingRungs(full: number, configurations: number, first?: number | null): number[] {
  if (!(full >= 1)) throw new RangeError(`the full budget must be ≥ 1, got ${full}`);
  if (configurations <= 1) return [full];
  const halvings = Math.ceil(Math.log2(configurations));
  let b = first ?? full / 2 ** halvings;
  if (!(b > 0)) throw new RangeError(`the first rung's budget must be > 0, got ${b}`);
  const rungs: number[] = [];
  // never more rungs than halvings + 1: past that, one configuration is left
  while (b < full && rungs.length < halvings) {
    const r = Math.max(1, Math.ceil(b));
    if (!rungs.includes(r) && r < full) rungs.push(r);
    b *= 2;
  }
  rungs.push(full);
  return rungs;
}

/** One configuration's standing at the end of a rung: its score (lower is better; null: diverged or none). */
export interface RungScore {
  key: string;
  score: number | null;
}

/**
 * The configurations that go on to the next rung: the better ⌈n/2⌉ by score (a score that is null or not finite
 * ranks last), ties kept in the order given, so the decision is the same on every machine and after a resume.
 */
export function halvingKeep(scores: readonly RungScore[]): string[] {
  const keep = Math.ceil(scores.length / 2);
  const rank = (s: number | null) => (s === null || !Number.isFinite(s) ? Infinity : s);
  return scores
    .map((s, i) => ({ ...s, i }))
    .sort((a, b) => rank(a.score) - rank(b.score) || a.i - b.i)
    .slice(0, keep)
    .sort((a, b) => a.i - b.i)
    .map((s) => s.key);
}

/** The budget a sweep of n configurations spends, in full runs (each configuration one run), with these rungs. */
export function halvingCost(rungs: readonly number[], configurations: number): number {
  let n = configurations;
  let spent = 0;
  let before = 0;
  for (const r of rungs) {
    spent += n * (r - before);
    before = r;
    n = Math.ceil(n / 2);
  }
  return spent / rungs[rungs.length - 1];
}
