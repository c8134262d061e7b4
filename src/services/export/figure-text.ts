/**
 * Figure text in Node: the core lays out labelled strips and GIF captions and composes their pixels
 * (core/figures/strip-figure.ts, core/replay/gif.ts); the text is measured and drawn here on @napi-rs/canvas, in
 * the figures' font. The window does the same with its canvas 2D (renderer/lib/charts/figure-text.ts).
 */
import { createCanvas, ImageData, type SKRSContext2D } from '@napi-rs/canvas';
import { drawFigureTexts, figureFontCss, type FigureText, type TextMeasure } from '../../core/figures/strip-figure';
import type { GifCaptionLayout } from '../../core/replay/gif';
import type { StripImage } from '../../core/replay/strip';

let measuring: SKRSContext2D | null = null;

export const canvasMeasure: TextMeasure = (text, font) => {
  measuring ??= createCanvas(1, 1).getContext('2d');
  measuring.font = figureFontCss(font);
  return measuring.measureText(text).width;
};

export { drawFigureTexts };

/** Pixels with text drawn over them, as PNG bytes (the DPI and title in the file when given). */
export function figurePng(image: StripImage, texts: FigureText[], meta: { dpi?: number; title?: string } = {}): Buffer {
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.putImageData(new ImageData(new Uint8ClampedArray(image.rgba), image.width, image.height), 0, 0);
  drawFigureTexts(ctx, texts);
  return canvas.toBuffer('image/png', { ...(meta.dpi ? { resolution: meta.dpi } : {}), ...(meta.title ? { title: meta.title } : {}) });
}

/** The caption bands of a GIF (`width` px wide), frame i showing steps[i]: drawn on one canvas, read back as pixels. */
export function captionBands(layout: GifCaptionLayout, width: number, steps: number[]): (frame: number) => Uint8ClampedArray {
  const ctx = createCanvas(width, layout.height).getContext('2d');
  return (i) => {
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, layout.height);
    drawFigureTexts(ctx, layout.texts(steps[i]));
    return new Uint8ClampedArray(ctx.getImageData(0, 0, width, layout.height).data);
  };
}
