/**
 * The per-step loss curve as CSV (spec g: the RGBA MSE after every CA update, single rollout, no smoothing).
 * Columns: `t` (CA updates applied; 0 is the seed), `thesis_k` (the thesis's logged index k = t − 1, f.1; empty
 * at t = 0, which the thesis never logs), then one loss column per model. Losses are written with full float64
 * precision; an unknown loss (no target) is an empty field.
 */

export interface LossSeries {
  name: string;
  /** loss after t updates, t = 0 … */
  losses: readonly number[];
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows t = from … to (inclusive; default: every t that all series have). */
export function lossCsv(series: LossSeries[], range: { from?: number; to?: number } = {}): string {
  if (series.length === 0) throw new RangeError('a loss CSV needs at least one series');
  const last = Math.min(...series.map((s) => s.losses.length)) - 1;
  const from = range.from ?? 0;
  const to = Math.min(range.to ?? last, last);
  const header = ['t', 'thesis_k', ...series.map((s) => csvField(series.length === 1 ? 'loss' : `loss ${s.name}`))];
  const lines = [header.join(',')];
  for (let t = from; t <= to; t++) {
    const row = [String(t), t === 0 ? '' : String(t - 1)];
    for (const s of series) {
      const v = s.losses[t];
      row.push(Number.isFinite(v) ? String(v) : '');
    }
    lines.push(row.join(','));
  }
  return lines.join('\n') + '\n';
}
