/**
 * A run's target, as it trains on it: `runs/<id>/target.png` holds the exact unpadded RGBA8 pixels it was created
 * with (an imported image included), and run.json keeps their SHA-256 (`targetSha256`). A target.png replaced by
 * another valid image would otherwise be trained on silently, continuing the run on a target its metrics and
 * checkpoints never saw; it is refused, naming the file and what to do.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { targetFromU8, type Target } from '../../core/targets/target';
import type { RunRecord } from '../../shared/run-record';
import { messageOf } from '../../shared/validate';
import { readPng } from '../export/png';
import { findBuiltinTarget, resolveTarget } from '../targets/targets';

export const TARGET_PNG = 'target.png';

/** SHA-256 (hex) of a target's unpadded RGBA8 pixels, with its size (so a reshaped image differs too). */
export function targetPixelsSha256(t: Pick<Target, 'size' | 'rgbaU8'>): string {
  return createHash('sha256').update(`RGBA8 ${t.size}x${t.size}\n`).update(t.rgbaU8).digest('hex');
}

/** A run's target.png is not the image the run was created with. */
export class TargetChangedError extends Error {
  override name = 'TargetChangedError';
}

/**
 * The target run `record` trains on: its target.png or, when that cannot be read or has another size, the target
 * rebuilt from the config (a built-in). Refused (TargetChangedError) when its pixels differ from those recorded at
 * creation; a run from before the hash was kept takes what it finds (its first resume records it).
 */
export async function readRunTarget(runDir: string, record: RunRecord): Promise<Target> {
  const t = record.config.target;
  const file = join(runDir, TARGET_PNG);
  let problem: string | null = null;
  let target: Target | null = null;
  try {
    const png = await readPng(file);
    if (png.width === t.size && png.height === t.size) target = targetFromU8(t.name, t.size, png.data, t.padding);
    else problem = `it is ${png.width}×${png.height}, the run trains on ${t.size}×${t.size}`;
  } catch (err) {
    problem = messageOf(err);
  }
  target ??= await resolveTarget(t.name, { size: t.size, padding: t.padding });
  const want = record.targetSha256;
  const got = targetPixelsSha256(target);
  if (want === null || got === want) return target;
  const builtin = findBuiltinTarget(t.name, t.size) !== undefined;
  const what = problem === null
    ? `${file} is not the image the run was created with`
    : `${file} cannot be used (${problem}), and the target rebuilt from "${t.name}" is not the image the run was created with`;
  throw new TargetChangedError(
    `run "${record.id}": ${what} (the SHA-256 of its pixels is ${got.slice(0, 16)}…, run.json records ${want.slice(0, 16)}…); ` +
    `training on it would continue the run on another target. Put the original image back as ${file}` +
    (builtin && problem === null ? `, or delete ${file} to have it rebuilt from the built-in target "${t.name}"` : '') +
    '; to train on the new image, start a new run with it. Nothing was changed.',
  );
}
