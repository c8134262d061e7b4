/**
 * What the Models view makes of a model in the page itself (no round trip to the lab): a GIF of its growth
 * with an erase. (Exports of the model's files are the lab's: services/models/model-export.ts.)
 */
import type { NcaConfig } from '@core/nca/config';
import { scaleForMinSide } from '@core/render';
import type { CanvasTarget } from '@core/replay/canvas-target';
import { parseDamageText } from '@core/replay/damage-text';
import { renderFrame } from '@core/replay/frames';
import { encodeGif } from '@core/replay/gif';
import { GrowthReplay } from '@core/replay/growth-replay';
import { initMlpKernel } from '@core/nca/mlp-kernel';

export interface GrowableModel {
  name: string;
  nca: NcaConfig;
  params: Float32Array;
  target: CanvasTarget | null;
  /** the training canvas side */
  canvas: number;
}

/** The erase of the GIF: after this many updates, when a model that grows has grown. */
export const GIF_ERASE_AT = 200;
export const GIF_STEPS = 400;

/**
 * The damage a GIF shows: Mordvintsev's random circle (spec d.4) on a lizard-sized canvas, the thesis's
 * bottom-half erase (f.3) on its small ones.
 */
export function gifDamageText(canvas: number): string {
  return `${canvas >= 32 ? 'circle' : 'thesis:bottom'}@${GIF_ERASE_AT}`;
}

/** A GIF of the model growing from the seed for GIF_STEPS updates, erased at GIF_ERASE_AT (every 2nd update). */
export async function erasedGrowthGif(m: GrowableModel): Promise<{ bytes: Uint8Array; frames: number; damage: string }> {
  await initMlpKernel();
  const replay = new GrowthReplay({ models: [{ name: m.name, nca: m.nca, params: m.params, target: m.target }], height: m.canvas, width: m.canvas, seed: 0 });
  const damage = gifDamageText(m.canvas);
  replay.addDamage(parseDamageText(damage));
  const frames: Uint8ClampedArray[] = [];
  for (let t = 0; t <= GIF_STEPS; t += 2) {
    replay.seek(t);
    frames.push(renderFrame(replay.state(0), 'rgb'));
  }
  const bytes = encodeGif(frames, m.canvas, m.canvas, { scale: scaleForMinSide(m.canvas, m.canvas, 256), fps: 25 });
  return { bytes, frames: frames.length, damage };
}
