/**
 * A chart spec (core/figures/line-chart.ts) on screen, drawn by the same chart.js configuration as its PNG export
 * (core/figures/chartjs.ts), so what is seen is what is saved. The chart is created on mount and brought up to
 * date in place (no flicker, the tooltip stays): redraws are coalesced to one per animation frame and, while the
 * data streams in (a training run, a playing replay), to at most four a second, so the window never stutters.
 */
import type { Chart } from 'chart.js';
import { lineChartConfig } from '@core/figures/chartjs';
import type { LineChartSpec } from '@core/figures/line-chart';
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';
import { EACH_RUN_MODE, loadChartJs } from './chart';
import { messageOf } from '../format';

export interface SpecChartSetup {
  /** the component's <canvas> (its template ref) */
  canvas: Ref<HTMLCanvasElement | null>;
  /** the chart as it is now, read when it is drawn (not on every change) */
  spec(): LineChartSpec;
  /** true (the default): a change is drawn at most every MIN_INTERVAL_MS; false: on the next frame */
  throttled?: () => boolean;
}

export interface SpecChartHandle {
  /** chart.js could not be loaded, or the chart not drawn: the message to show instead of the chart */
  error: Ref<string | null>;
  /** asks for a redraw (coalesced) */
  schedule(): void;
}

const MIN_INTERVAL_MS = 250;

/** The on-screen configuration of a spec: fills its box, its text sized for a screen, the tooltip lists every curve at the hovered x. */
function screenConfig(spec: LineChartSpec) {
  return lineChartConfig(spec, { responsive: true, devicePixelRatio: window.devicePixelRatio || 1, interactionMode: EACH_RUN_MODE, fontScale: 1.3 });
}

export function useSpecChart(setup: SpecChartSetup): SpecChartHandle {
  const error = ref<string | null>(null);
  const throttled = setup.throttled ?? (() => true);
  let chart: Chart<'line', { x: number; y: number | null }[]> | null = null;
  let frame = 0;
  let lastDraw = 0;
  let trailing: ReturnType<typeof setTimeout> | null = null;
  let unmounted = false;

  async function create(): Promise<void> {
    try {
      const ChartJs = await loadChartJs();
      if (unmounted || !setup.canvas.value) return;
      chart = new ChartJs(setup.canvas.value, screenConfig(setup.spec()));
      lastDraw = performance.now();
    } catch (err) {
      error.value = messageOf(err);
    }
  }

  function draw(): void {
    frame = 0;
    trailing = null;
    if (!chart) return;
    lastDraw = performance.now();
    try {
      const config = screenConfig(setup.spec());
      chart.data.datasets = config.data.datasets;
      // the axes (log/linear, ticks, titles) and the markers come with the options; the plugins stay
      chart.options = config.options!;
      chart.update('none');
      error.value = null;
    } catch (err) {
      error.value = messageOf(err);
    }
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
    unmounted = true;
    if (frame) cancelAnimationFrame(frame);
    if (trailing) clearTimeout(trailing);
    chart?.destroy();
    chart = null;
  });

  return { error, schedule };
}
