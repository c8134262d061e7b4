/**
 * The CLI's training progress line: what `nca-lab train` and `resume` show on a terminal, built to fit the
 * terminal's width so it never wraps (a wrapped line leaves its first half behind on every redraw). Parts are
 * dropped from the least useful (throughput detail) to the most (the step and the loss) until the line fits.
 */

export interface ProgressParts {
  /** 'generation' (ES) or 'iteration' (Adam) */
  unit: string;
  value: number;
  /** the stop condition's step count, if any */
  total: number | null;
  /** how far the run is towards its nearest stop condition (steps or training time), 0..1; null without one */
  done: number | null;
  /**
   * The metrics the line shows (shared/metrics.ts, those with a `cli` label, in the table's order): the first (the
   * loss) always, the others while they fit; a growth loss is '–' before the first evaluation.
   */
  metrics: { label: string; text: string }[];
  /** '412 mutants/s, 6.9 gen/s' or '3.10 it/s' ('' before the first rate) */
  rate: string;
  /** 'ETA 3m05s', '12s elapsed, 1m48s left' or '12s elapsed' ('' at the start): stopTiming */
  eta: string;
}

/** Where a session stands: its step, the training time so far (all sessions) and its steps per second. */
export interface SessionAt {
  generation: number;
  wallSeconds: number;
  perSec: number | undefined;
}

/**
 * How far the run is from stopping, for the bar and the ETA: the nearer of the step limit and the time limit
 * (`--max-seconds`, training time over all sessions) decides. A time limit alone shows the time trained and the
 * time left; no limit, the time trained.
 */
export function stopTiming(at: SessionAt, stop: { maxGenerations: number | null; maxSeconds: number | null }): { done: number | null; eta: string } {
  const { maxGenerations, maxSeconds } = stop;
  const fractions: number[] = [];
  const left: number[] = [];
  if (maxGenerations) {
    fractions.push(at.generation / maxGenerations);
    if (at.perSec) left.push((maxGenerations - at.generation) / at.perSec);
  }
  if (maxSeconds) {
    fractions.push(at.wallSeconds / maxSeconds);
    left.push(maxSeconds - at.wallSeconds);
  }
  const done = fractions.length ? Math.min(1, Math.max(...fractions)) : null;
  const remaining = left.length ? Math.max(0, Math.min(...left)) : null;
  const elapsed = `${formatCliDuration(at.wallSeconds)} elapsed`;
  if (remaining === null) return { done, eta: elapsed };
  return { done, eta: maxGenerations ? `ETA ${formatCliDuration(remaining)}` : `${elapsed}, ${formatCliDuration(remaining)} left` };
}

/** A duration as people read it on a terminal: 42s, 3m05s, 2h07m; '–' for an unknown one. */
export function formatCliDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '–';
  const whole = Math.round(s);
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

const BAR_FULL = '\u2588';
const BAR_EMPTY = '\u2591';

function bar(done: number | null, width: number): string {
  if (width <= 0 || done === null) return '';
  const filled = Math.max(0, Math.min(width, Math.round(done * width)));
  return BAR_FULL.repeat(filled) + BAR_EMPTY.repeat(width - filled);
}

/**
 * The line for a terminal `columns` wide: never longer than columns − 1 (the last column makes some terminals
 * wrap). Order of what is given up when narrow: the ES gen/s detail, the rate, the bar, then the metrics after the
 * first in the table's order (the best loss before the 40-step loss); the step, the loss and the ETA stay.
 */
export function progressLine(p: ProgressParts, columns: number): string {
  const max = Math.max(20, columns - 1);
  const step = `${p.unit} ${p.value.toLocaleString('en-US')}${p.total ? `/${p.total.toLocaleString('en-US')}` : ''}`;
  const rateShort = p.rate.split(',')[0].trim();
  const [first, ...extras] = p.metrics;
  const all = extras.length;
  type Layout = { bar: number; extras: number; rate: string };
  const layouts: Layout[] = [
    { bar: 24, extras: all, rate: p.rate },
    { bar: 16, extras: all, rate: p.rate },
    { bar: 16, extras: all, rate: rateShort },
    { bar: 10, extras: all, rate: rateShort },
    { bar: 10, extras: all, rate: '' },
    ...Array.from({ length: all + 1 }, (_, i): Layout => ({ bar: 0, extras: all - i, rate: '' })),
  ];
  let line = '';
  for (const l of layouts) {
    const fields = [
      [bar(p.done, l.bar), step].filter(Boolean).join(' '),
      ...[...(first ? [first] : []), ...extras.slice(all - l.extras)].map((m) => `${m.label} ${m.text}`),
      l.rate,
      p.eta,
    ].filter(Boolean);
    line = fields.join(' | ');
    if ([...line].length <= max) return line;
  }
  return [...line].slice(0, max).join('');
}
