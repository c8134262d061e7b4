/**
 * chart.js for the window's charts, loaded on first use (the Runs view paints without it) and registered with only
 * the parts the lab's chart configuration (core/figures/chartjs.ts) uses: lines and points on linear or
 * logarithmic axes, the title, the legend, the tooltip and the filled min–max bands.
 */
import type { Chart as ChartType } from 'chart.js';

let loading: Promise<typeof ChartType> | null = null;

export function loadChartJs(): Promise<typeof ChartType> {
  loading ??= import('chart.js').then((m) => {
    m.Chart.register(m.LineController, m.LineElement, m.PointElement, m.LinearScale, m.LogarithmicScale, m.Title, m.Tooltip, m.Legend, m.Filler);
    registerEachRunMode(m.Interaction.modes as unknown as Record<string, unknown>);
    return m.Chart;
  });
  return loading;
}

/** The interaction mode whose tooltip lists every run at the hovered x (TensorBoard's), not only the nearest one. */
export const EACH_RUN_MODE = 'ncaEachRun';

interface ModeChart {
  scales: { x: { getValueForPixel(px: number): number | undefined } };
  data: { datasets: { data: { x: number; y: number | null }[] }[] };
  isDatasetVisible(i: number): boolean;
  getDatasetMeta(i: number): { data: unknown[] };
}

/**
 * For each visible curve, its point nearest to the pointer's x (runs are sampled at different x: wall time,
 * evaluations), skipping gaps; binary search, since every curve's x grows.
 */
export function nearestPerDataset(datasets: { data: { x: number; y: number | null }[] }[], x: number, visible: (i: number) => boolean): { datasetIndex: number; index: number }[] {
  const out: { datasetIndex: number; index: number }[] = [];
  datasets.forEach((ds, datasetIndex) => {
    const pts = ds.data;
    if (!visible(datasetIndex) || pts.length === 0) return;
    let lo = 0;
    let hi = pts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pts[mid].x < x) lo = mid + 1;
      else hi = mid;
    }
    // the nearest drawn point on each side of x (a gap is no point), at most 50 points away
    let left = -1;
    for (let i = lo - 1; i >= Math.max(0, lo - 51); i--) if (pts[i].y !== null && pts[i].x <= x) { left = i; break; }
    let right = -1;
    for (let i = lo; i < Math.min(pts.length, lo + 51); i++) if (pts[i].y !== null) { right = i; break; }
    const best = left < 0 ? right : right < 0 ? left : Math.abs(pts[left].x - x) <= Math.abs(pts[right].x - x) ? left : right;
    if (best >= 0) out.push({ datasetIndex, index: best });
  });
  return out;
}

function registerEachRunMode(modes: Record<string, unknown>): void {
  modes[EACH_RUN_MODE] = (chart: ModeChart, e: { x: number | null }) => {
    if (e.x === null) return [];
    const x = chart.scales.x.getValueForPixel(e.x);
    if (x === undefined) return [];
    return nearestPerDataset(chart.data.datasets, x, (i) => chart.isDatasetVisible(i)).map((h) => ({
      ...h, element: chart.getDatasetMeta(h.datasetIndex).data[h.index],
    })).filter((h) => h.element);
  };
}

export { CURVE_COLOURS, runDivergence, X_AXES, Y_SERIES, type XKey, type YKey } from '@shared/training-charts';
