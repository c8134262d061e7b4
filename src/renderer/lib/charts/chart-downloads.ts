/**
 * A chart's downloads: PNG at a size and DPI and SVG, both from the chart's spec (lib/charts/figure-export.ts), and
 * its curves as CSV. The run page's, the Overlay's and the Sweeps' export popover (ChartExport) and Compare's
 * buttons (ExperimentChart) share them.
 */
import type { FigureSize, LineChartSpec } from '@core/figures/line-chart';
import { ref, type Ref } from 'vue';
import { downloadBytes } from '../download';
import { messageOf } from '../format';
import { chartPngBytes, chartSvgText } from './figure-export';

export interface ChartDownloads {
  /** a PNG is being drawn */
  busy: Ref<boolean>;
  /** the last download's failure, in words */
  error: Ref<string | null>;
  png(size: FigureSize): Promise<void>;
  svg(size: FigureSize): void;
  csv(): void;
}

export function useChartDownloads(source: { spec: () => LineChartSpec; csv: () => string; fileBase: () => string }): ChartDownloads {
  const busy = ref(false);
  const error = ref<string | null>(null);
  async function png(size: FigureSize): Promise<void> {
    busy.value = true;
    error.value = null;
    try {
      downloadBytes(await chartPngBytes(source.spec(), { ...size }), `${source.fileBase()}.png`, 'image/png');
    } catch (err) {
      error.value = messageOf(err);
    } finally {
      busy.value = false;
    }
  }
  return {
    busy, error, png,
    svg: (size) => downloadBytes(chartSvgText(source.spec(), { ...size }), `${source.fileBase()}.svg`, 'image/svg+xml'),
    csv: () => downloadBytes(source.csv(), `${source.fileBase()}.csv`, 'text/csv'),
  };
}
