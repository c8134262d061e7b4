/**
 * chart.js for the loss curves, loaded on first use (the Runs view paints without it) and registered with only
 * the parts the lab draws: lines on linear or logarithmic axes, tooltips, legend, decimation.
 */
import type { Chart as ChartType } from 'chart.js';

let loading: Promise<typeof ChartType> | null = null;

export function loadChartJs(): Promise<typeof ChartType> {
  loading ??= import('chart.js').then((m) => {
    m.Chart.register(m.LineController, m.LineElement, m.PointElement, m.LinearScale, m.LogarithmicScale, m.Tooltip, m.Legend, m.Decimation);
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

export { pointsOf, runDivergence, smooth, X_AXES, Y_SERIES, type XKey, type XY, type YKey } from '@shared/training-charts';

/** Run colours for overlays: distinct, readable on white, colour-blind aware (Okabe–Ito-like). */
export const RUN_COLOURS = ['#2f6fde', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#6b4fbb', '#8c8c00'];

export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export function formatAxisSeconds(value: number): string {
  if (value < 10 && !Number.isInteger(value)) return `${value.toFixed(1)} s`;
  if (value < 60) return `${Math.round(value)} s`;
  if (value < 3600) return `${(value / 60).toFixed(value < 600 ? 1 : 0)} min`;
  return `${(value / 3600).toFixed(1)} h`;
}
