/**
 * The on-screen loss charts' common set-up (the Runs' curves and the Playground's per-step loss): chart.js options
 * for loss on a logarithmic y axis with about six ticks, and a composable that loads chart.js lazily, creates the
 * chart on mount, coalesces redraws to one per animation frame and at most four a second, and cleans up on unmount.
 */
import type { Chart, ChartConfiguration, ChartDataset, ChartOptions, LegendItem, Plugin, Scale, TooltipItem } from 'chart.js';
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';
import { EACH_RUN_MODE, loadChartJs, type XY } from './chart';
import { messageOf } from '../format';

export type LossChart = Chart<'line', XY[]>;
export type LossDataset = ChartDataset<'line', XY[]>;
type XScale = NonNullable<ChartOptions<'line'>['scales']>['x'];

const GRID = { color: '#eceff3' };

/** chart.js puts a tick at every 1..9 × 10^k plus both ends: keep about six, evenly spaced in log space. */
export function thinLogTicks(axis: Scale): void {
  const ticks = axis.ticks;
  if (ticks.length <= 6) return;
  const lo = Math.log10(Math.max(axis.min, 1e-300));
  const hi = Math.log10(Math.max(axis.max, 1e-300));
  const gap = (hi - lo) / 6;
  const kept = [ticks[0]];
  for (const t of ticks.slice(1)) {
    if (Math.log10(t.value) - Math.log10(kept[kept.length - 1].value) >= gap) kept.push(t);
  }
  axis.ticks = kept;
}

export interface LogLossChartParts {
  datasets: LossDataset[];
  plugins?: Plugin<'line'>[];
  /** the x axis (linear: generations, evaluations, seconds or update steps); the grid is added */
  x: XScale;
  /** the y axis' title, e.g. 'loss (log scale)' */
  yTitle: string;
  /** which datasets the legend lists (all when left out) */
  legendFilter?: (item: LegendItem) => boolean;
  /** which points the tooltip lists (all when left out) */
  tooltipFilter?: (item: TooltipItem<'line'>) => boolean;
  tooltipTitle: (items: TooltipItem<'line'>[]) => string;
  decimation: { samples: number; threshold: number };
  /** the y axis (default log) */
  yScale?: 'log' | 'linear';
  /** the tooltip lists every curve at the hovered x (lib/charts/chart.ts EACH_RUN_MODE) rather than the nearest point */
  eachRun?: boolean;
}

/** A line chart of losses on a log axis: no animation, fills its box, nearest point on x for tooltips, LTTB decimation. */
export function logLossChartConfig(parts: LogLossChartParts): ChartConfiguration<'line', XY[]> {
  return {
    type: 'line',
    data: { datasets: parts.datasets },
    ...(parts.plugins ? { plugins: parts.plugins } : {}),
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: parts.eachRun
        ? ({ mode: EACH_RUN_MODE, intersect: false } as unknown as NonNullable<ChartOptions<'line'>['interaction']>)
        : { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: { ...parts.x, grid: GRID } as XScale,
        y: (parts.yScale ?? 'log') === 'log'
          ? {
            type: 'logarithmic',
            title: { display: true, text: parts.yTitle },
            grid: GRID,
            ticks: { callback: (v) => Number(v).toPrecision(2) },
            afterBuildTicks: thinLogTicks,
          }
          : { type: 'linear', title: { display: true, text: parts.yTitle }, grid: GRID },
      },
      plugins: {
        legend: {
          display: true,
          position: 'bottom',
          labels: { boxWidth: 14, boxHeight: 2, ...(parts.legendFilter ? { filter: parts.legendFilter } : {}) },
        },
        tooltip: {
          ...(parts.tooltipFilter ? { filter: parts.tooltipFilter } : {}),
          callbacks: {
            title: parts.tooltipTitle,
            label: (item) => `${item.dataset.label}: ${Number(item.parsed.y).toPrecision(4)}`,
          },
        },
        decimation: { enabled: true, algorithm: 'lttb', ...parts.decimation },
      },
    },
  };
}

export interface LogLossChartSetup {
  /** the component's <canvas> (its template ref) */
  canvas: Ref<HTMLCanvasElement | null>;
  /** the chart's configuration, built once chart.js has loaded */
  config(): ChartConfiguration<'line', XY[]>;
  /** brings the chart up to date just before a redraw (its datasets, its axes) */
  refresh(chart: LossChart): void;
  /** true (the default): a change is drawn at most every MIN_INTERVAL_MS; false: on the next frame */
  throttled?: () => boolean;
}

export interface LogLossChartHandle {
  /** chart.js could not be loaded: the message to show instead of the chart */
  loadError: Ref<string | null>;
  /** asks for a redraw (coalesced) */
  schedule(): void;
}

const MIN_INTERVAL_MS = 250;

/** Creates the chart on mount and destroys it on unmount; `schedule` redraws it without ever making the window stutter. */
export function useLogLossChart(setup: LogLossChartSetup): LogLossChartHandle {
  const canvas = setup.canvas;
  const loadError = ref<string | null>(null);
  const throttled = setup.throttled ?? (() => true);
  let chart: LossChart | null = null;
  let frame = 0;
  let lastDraw = 0;
  let trailing: ReturnType<typeof setTimeout> | null = null;

  async function create(): Promise<void> {
    let ChartJs;
    try {
      ChartJs = await loadChartJs();
    } catch (err) {
      loadError.value = messageOf(err);
      return;
    }
    if (!canvas.value) return;
    chart = new ChartJs(canvas.value, setup.config());
  }

  function draw(): void {
    frame = 0;
    trailing = null;
    if (!chart) return;
    lastDraw = performance.now();
    setup.refresh(chart);
    chart.update('none');
  }

  /** One redraw per frame, at most every MIN_INTERVAL_MS when throttled; a change inside the interval is drawn when it ends. */
  function schedule(): void {
    // not throttled (a paused replay): the chart catches up at once rather than at the end of the interval
    if (!throttled() && trailing) {
      clearTimeout(trailing);
      trailing = null;
    }
    if (frame || trailing) return;
    const wait = throttled() ? MIN_INTERVAL_MS - (performance.now() - lastDraw) : 0;
    if (wait > 0) trailing = setTimeout(() => (frame = requestAnimationFrame(draw)), wait);
    else frame = requestAnimationFrame(draw);
  }

  onMounted(() => void create());
  onBeforeUnmount(() => {
    if (frame) cancelAnimationFrame(frame);
    if (trailing) clearTimeout(trailing);
    chart?.destroy();
    chart = null;
  });

  return { loadError, schedule };
}
