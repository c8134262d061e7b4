/**
 * Fitness shaping (spec c.3): centred ranks, then standardised with the population std (ddof 0):
 * u_i = (r_i − (n−1)/2) / std(0..n−1), r = 0 for the worst. Ties are broken by member index (a stable order;
 * the thesis code's NumPy quicksort breaks them arbitrarily).
 */
export function centredRankShaping(fitness: ArrayLike<number>): Float64Array {
  const n = fitness.length;
  if (n < 2) throw new RangeError(`fitness shaping needs at least 2 members, got ${n}`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => fitness[a] - fitness[b] || a - b);
  const mean = (n - 1) / 2;
  // std of 0..n−1 with ddof 0: sqrt((n² − 1)/12)
  const std = Math.sqrt((n * n - 1) / 12);
  const u = new Float64Array(n);
  order.forEach((member, rank) => { u[member] = (rank - mean) / std; });
  return u;
}

/**
 * Centred ranks in [−0.5, 0.5] (Salimans et al. 2017, `compute_centered_ranks`; EvoJAX's PGPE with
 * center_fitness): r_i/(n−1) − 0.5, r = 0 for the worst, ties broken by member index as above. Non-finite
 * fitness (a member that blew up) ranks worst.
 */
export function centredRanks(fitness: ArrayLike<number>): Float64Array {
  const n = fitness.length;
  if (n < 2) throw new RangeError(`centred ranks need at least 2 members, got ${n}`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => finiteOrWorst(fitness[a]) - finiteOrWorst(fitness[b]) || a - b);
  const u = new Float64Array(n);
  order.forEach((member, rank) => { u[member] = rank / (n - 1) - 0.5; });
  return u;
}

/** NaN and ±∞ fitness sort below every finite one (−Number.MAX_VALUE keeps the comparator's differences finite). */
export function finiteOrWorst(f: number): number {
  return Number.isFinite(f) ? f : -Number.MAX_VALUE;
}
