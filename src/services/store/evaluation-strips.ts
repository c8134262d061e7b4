/**
 * Each growth evaluation's strip of the model growing (TensorBoard's image summaries): the states of
 * core/nca/growth-eval.ts's EVALUATION_FRAMES side by side, one PNG per evaluation in the run's folder,
 * `runs/<id>/growth/<generation>.png`. Written when the evaluation runs, from the parameters being trained, so a
 * run shows how its model grows long before its first checkpoint, and a fine-tuned run from its first step. A
 * resumed run evaluates the same generations again onto the same pixels (every random number of an evaluation
 * derives from the seed and the generation), so a strip written twice is the same file.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodePng } from '../export/png';
import { nodeStoreFs, writeBytesAtomic, type StoreFs } from './atomic-file';

export const GROWTH_DIR = 'growth';
/** light grey between the frames of a strip */
const GAP = 1;

/** The frames (RGBA8 on white, each height × width) side by side as one PNG. */
export function stripPng(frames: readonly Uint8ClampedArray[], height: number, width: number): Buffer {
  const w = frames.length * width + (frames.length - 1) * GAP;
  const px = new Uint8Array(w * height * 4).fill(220);
  frames.forEach((f, i) => {
    for (let y = 0; y < height; y++) px.set(f.subarray(y * width * 4, (y + 1) * width * 4), (y * w + i * (width + GAP)) * 4);
  });
  return encodePng(px, w, height);
}

export async function writeEvaluationStrip(runDir: string, generation: number, png: Uint8Array, fs: StoreFs = nodeStoreFs): Promise<void> {
  await mkdir(join(runDir, GROWTH_DIR), { recursive: true });
  await writeBytesAtomic(join(runDir, GROWTH_DIR, `${generation}.png`), png, { what: 'growth strip', fs });
}

/** The generations that have a strip, oldest first. */
export async function evaluationStripGenerations(runDir: string): Promise<number[]> {
  const names = await readdir(join(runDir, GROWTH_DIR)).catch(() => [] as string[]);
  return names.map((n) => /^(\d+)\.png$/.exec(n)?.[1]).filter((g): g is string => g !== undefined).map(Number).sort((a, b) => a - b);
}

export function readEvaluationStrip(runDir: string, generation: number): Promise<Buffer> {
  return readFile(join(runDir, GROWTH_DIR, `${generation}.png`));
}
