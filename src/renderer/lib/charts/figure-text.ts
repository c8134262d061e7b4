/**
 * Figure text in the window (labels for a paper's figures): the core lays out labelled strips and GIF captions and composes
 * their pixels (core/figures/strip-figure.ts, core/replay/gif.ts); the text is measured and drawn here with the
 * browser's canvas 2D, in the figures' font. Node does the same with @napi-rs/canvas (services/export/figure-text.ts).
 */
import { drawFigureTexts, figureFontCss, type FigureText, type TextMeasure } from '@core/figures/strip-figure';
import type { GifCaptionLayout } from '@core/replay/gif';
import type { StripImage } from '@core/replay/strip';
import { canvasPngBlob } from '../download';

function canvas2d(width: number, height: number): { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D } {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser cannot draw into a canvas');
  return { canvas, ctx };
}

let measuring: CanvasRenderingContext2D | null = null;

/** Text widths from the canvas's own font metrics, so the layout fits the text as it will be drawn. */
export const canvasMeasure: TextMeasure = (text, font) => {
  measuring ??= canvas2d(1, 1).ctx;
  measuring.font = figureFontCss(font);
  return measuring.measureText(text).width;
};

export { drawFigureTexts };

/** Pixels with text drawn over them, as a PNG. */
export function figurePngBlob(image: StripImage, texts: FigureText[]): Promise<Blob> {
  const { canvas, ctx } = canvas2d(image.width, image.height);
  ctx.putImageData(new ImageData(new Uint8ClampedArray(image.rgba), image.width, image.height), 0, 0);
  drawFigureTexts(ctx, texts);
  return canvasPngBlob(canvas);
}

/** One frame (RGBA8, one pixel per cell) as a data: URL of its PNG, for an SVG's <image>. */
export function framePngDataUrl(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): string {
  const { canvas, ctx } = canvas2d(width, height);
  ctx.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  return canvas.toDataURL('image/png');
}

/** The caption bands of a GIF (`width` px wide), frame i showing steps[i]: drawn on one canvas, read back as pixels. */
export function captionBands(layout: GifCaptionLayout, width: number, steps: number[]): (frame: number) => Uint8ClampedArray {
  const { ctx } = canvas2d(width, layout.height);
  return (i) => {
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, layout.height);
    drawFigureTexts(ctx, layout.texts(steps[i]));
    return ctx.getImageData(0, 0, width, layout.height).data;
  };
}
