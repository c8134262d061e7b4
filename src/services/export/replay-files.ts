/**
 * Replay exports on disk (the CLI's `nca-lab grow`): the GIF, the growth strip PNG and the loss CSV, each written
 * atomically (a temporary file in the same folder, then a rename), so an interrupted export never leaves half a
 * file under the real name. The encoders are pure (core/replay/{gif,strip,loss-csv}.ts) and shared with the
 * playground, which hands the same bytes to the browser as downloads. With labels, the strip is the core's strip
 * figure (model names as row labels, "t = N" above each column) and the GIF gets a caption band; their text is drawn
 * on @napi-rs/canvas (figure-text.ts), as the window draws it on its canvas.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { writeBytesAtomic } from '../store/atomic-file';
import { writePng } from './png';
import { canvasMeasure, captionBands, figurePng } from './figure-text';
import { composeStripFigure, stripFigureLayout } from '../../core/figures/strip-figure';
import { encodeGif, gifCaptionLayout, type GifOptions } from '../../core/replay/gif';
import { composeStrip } from '../../core/replay/strip';
import { lossCsv, type LossSeries } from '../../core/replay/loss-csv';

export interface WrittenFile {
  path: string;
  bytes: number;
}

async function prepare(path: string): Promise<string> {
  const out = resolve(path);
  await mkdir(dirname(out), { recursive: true });
  return out;
}

/** What labels say: the models' names (one per row or panel) and the step of each column or frame. */
export interface ReplayLabels {
  names: string[];
  steps: number[];
  /** cells between the panels of a GIF side by side (framesSideBySide) */
  gap?: number;
}

/** frames: RGBA8, one pixel per cell (several models: side by side, labels.names one per panel). */
export async function writeGifFile(
  path: string, frames: Uint8ClampedArray[], height: number, width: number, opts: GifOptions, labels?: ReplayLabels,
): Promise<WrittenFile & { width: number; height: number; frames: number }> {
  let caption: GifOptions['caption'];
  if (labels) {
    if (labels.steps.length !== frames.length) throw new RangeError(`GIF labels: ${labels.steps.length} steps for ${frames.length} frames`);
    const W = width * opts.scale;
    const layout = gifCaptionLayout({ names: labels.names, width: W, gap: (labels.gap ?? 0) * opts.scale, panelHeight: height * opts.scale, lastStep: Math.max(0, ...labels.steps), measure: canvasMeasure });
    caption = { height: layout.height, band: captionBands(layout, W, labels.steps) };
  }
  const bytes = encodeGif(frames, height, width, { ...opts, ...(caption ? { caption } : {}) });
  const out = await prepare(path);
  await writeBytesAtomic(out, bytes, { what: 'GIF' });
  return { path: out, bytes: bytes.length, width: width * opts.scale, height: height * opts.scale + (caption?.height ?? 0), frames: frames.length };
}

/** rows[r][c]: model r's frame at the c-th strip step; with labels, the labelled figure. */
export async function writeStripPng(
  path: string, rows: Uint8ClampedArray[][], height: number, width: number, scale: number, labels?: ReplayLabels,
): Promise<WrittenFile & { width: number; height: number }> {
  const out = await prepare(path);
  if (labels) {
    const cell = { height, width };
    const layout = stripFigureLayout({
      columns: labels.steps.map((s) => `t = ${s}`),
      rows: rows.map((r, i) => ({ label: labels.names[i] ?? '', cells: r.map(() => cell) })),
    }, { box: Math.max(height, width) * scale, measure: canvasMeasure });
    const bytes = figurePng(composeStripFigure(layout, rows), layout.texts);
    await writeBytesAtomic(out, bytes, { what: 'strip PNG' });
    return { path: out, bytes: bytes.length, width: layout.width, height: layout.height };
  }
  const strip = composeStrip(rows, height, width, scale);
  await writePng(out, strip.rgba, strip.width, strip.height);
  return { path: out, bytes: strip.rgba.length, width: strip.width, height: strip.height };
}

export async function writeLossCsvFile(path: string, series: LossSeries[]): Promise<WrittenFile & { rows: number }> {
  const text = lossCsv(series);
  const out = await prepare(path);
  await writeBytesAtomic(out, text, { what: 'loss CSV' });
  return { path: out, bytes: Buffer.byteLength(text), rows: text.split('\n').length - 2 };
}
