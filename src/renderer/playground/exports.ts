/**
 * The Playground's exports of a replay, computed in the page: a GIF of the models side by side, the strip (plain or
 * as a labelled figure) and the loss CSV. Each visits the states it needs and puts the engine back on the step the
 * user was at. The same encoders and layouts as `nca-lab grow` (core/replay, core/figures). `useExports` runs them
 * on the replay (engine.ts) for the store.
 */
import type { Replay } from './engine';
import { framesSideBySide, renderFrame, type FrameView } from '@core/replay/frames';
import { encodeGif, GIF_PANEL_GAP_CELLS, gifCaptionLayout, gifCellsWide, type GifCaption, type GifCaptionLayout } from '@core/replay/gif';
import type { GrowthReplay } from '@core/replay/growth-replay';
import { lossCsv } from '@core/replay/loss-csv';
import { composeStrip, type StripImage } from '@core/replay/strip';
import { composeStripFigure, stripFigureLayout, type FigureText, type TextMeasure } from '@core/figures/strip-figure';

/** Runs `fn` on the engine, then returns it to the step it was at. */
export function visiting<T>(engine: GrowthReplay, fn: (e: GrowthReplay) => T): T {
  const back = engine.t;
  try {
    return fn(engine);
  } finally {
    engine.seek(back);
  }
}

function framesAt(e: GrowthReplay, t: number, view: FrameView): Uint8ClampedArray[] {
  e.seek(t);
  return e.models.map((_, m) => renderFrame(e.state(m), view));
}

export interface GifRequest {
  from: number;
  to: number;
  every: number;
  scale: number;
  fps: number;
  /** a caption band above every frame: each model's name over its panel and "t = N" */
  labels?: boolean;
}

/** Draws a GIF caption band's text: the canvas's, in the window (lib/charts/figure-text.ts). */
export type CaptionBands = (layout: GifCaptionLayout, width: number, steps: number[]) => GifCaption['band'];

/** A GIF of updates from…to (every `every`-th), all models side by side, on white. */
export function replayGif(
  engine: GrowthReplay, names: readonly string[], view: FrameView, req: GifRequest, text: { measure: TextMeasure; bands: CaptionBands },
): { bytes: Uint8Array; width: number; height: number } {
  return visiting(engine, (e) => {
    const frames: Uint8ClampedArray[] = [];
    const steps: number[] = [];
    const n = e.models.length;
    // the panels stand apart, so one model's edge is not read as the next one's
    const gap = GIF_PANEL_GAP_CELLS;
    for (let at = req.from; at <= req.to; at += req.every) {
      frames.push(framesSideBySide(framesAt(e, at, view), e.height, e.width, gap));
      steps.push(at);
    }
    const cells = gifCellsWide(e.width, n);
    const width = cells * req.scale;
    let caption: GifCaption | undefined;
    if (req.labels) {
      const layout = gifCaptionLayout({ names: [...names], width, gap: gap * req.scale, panelHeight: e.height * req.scale, lastStep: steps[steps.length - 1] ?? 0, measure: text.measure });
      caption = { height: layout.height, band: text.bands(layout, width, steps) };
    }
    const bytes = encodeGif(frames, e.height, cells, { scale: req.scale, fps: req.fps, ...(caption ? { caption } : {}) });
    return { bytes, width, height: e.height * req.scale + (caption?.height ?? 0) };
  });
}

/**
 * The strip as RGBA8: one row per model, one column per step, frames upscaled by `scale`. With `measure`, the
 * labelled figure (core/figures/strip-figure.ts): the model names as row labels, "t = N" above each column, and the
 * texts to draw over the pixels; without, the plain strip with grey gaps (no texts).
 */
export function replayStrip(
  engine: GrowthReplay, names: readonly string[], view: FrameView, steps: readonly number[], scale: number, measure?: TextMeasure,
): StripImage & { texts: FigureText[] } {
  return visiting(engine, (e) => {
    const rows: Uint8ClampedArray[][] = e.models.map(() => []);
    for (const at of steps) framesAt(e, at, view).forEach((f, m) => rows[m].push(f));
    if (!measure) return { ...composeStrip(rows, e.height, e.width, scale), texts: [] };
    const cell = { height: e.height, width: e.width };
    const layout = stripFigureLayout({
      columns: steps.map((s) => `t = ${s}`),
      rows: names.map((name) => ({ label: name, cells: steps.map(() => cell) })),
    }, { box: Math.max(e.height, e.width) * scale, measure });
    return { ...composeStripFigure(layout, rows), texts: layout.texts };
  });
}

/** The loss after every update computed so far, one column per model. */
export function replayCsv(engine: GrowthReplay, names: readonly string[]): string {
  return lossCsv(names.slice(0, engine.models.length).map((name, i) => ({ name, losses: engine.lossSeries(i) })));
}

/** The exports of the replay the window shows, paused, drawing text with the window's canvas (`text`). */
export function useExports(
  replay: Pick<Replay, 'current' | 'sync' | 'models' | 'view'>, pause: () => void, text: { measure: TextMeasure; bands: CaptionBands },
) {
  /** Runs an export on the engine, paused, and shows the step the user was at afterwards. */
  function exporting<T>(fn: (e: GrowthReplay) => T): T {
    const engine = replay.current();
    if (!engine) throw new Error('no model loaded');
    pause();
    try {
      return visiting(engine, fn);
    } finally {
      replay.sync();
    }
  }

  const names = () => replay.models.value.map((m) => m.name);

  return {
    /** A GIF of the replay: with `labels`, a caption band of the model names and "t = N". */
    gifBytes: (req: GifRequest): { bytes: Uint8Array; width: number; height: number } =>
      exporting((e) => replayGif(e, names(), replay.view.value, req, text)),
    /** The strip at `steps`: with `labels`, the labelled figure and its texts. */
    strip: (steps: number[], scale: number, labels = false): StripImage & { texts: FigureText[] } =>
      exporting((e) => replayStrip(e, names(), replay.view.value, steps, scale, labels ? text.measure : undefined)),
    csv: (): string => exporting((e) => replayCsv(e, names())),
  };
}
