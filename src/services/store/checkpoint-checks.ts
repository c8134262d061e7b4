/**
 * What makes a checkpoint that reads back intact (magic, sizes, CRC-32) usable for one run: it is that run's, and
 * it holds numbers. A CRC only says the file is what was written; a checkpoint copied in from another run of the
 * same shape, or one written with non-finite parameters, passes it and would be trained on (or fail every resume
 * at its own generation). Each is refused here, as a CheckpointFormatError, so a resume sets it aside like any
 * unreadable checkpoint and falls back to the one before (LabStore.prepareResume).
 */
import { paramCount, paramLayout } from '../../core/nca/config';
import type { Checkpoint } from '../../shared/run-record';
import { ncaConfigOf, type RunConfig } from '../../shared/training-config';
import { CheckpointFormatError, type CheckpointHeader } from './checkpoint-format';
import { firstNonFinite } from './model-format';

/** The first non-finite number of an array, as "NaN at 12", or null. */
function firstNonFiniteAt(a: Float32Array): string | null {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return `${a[i]} at ${i}`;
  return null;
}

/**
 * Refuses (CheckpointFormatError) a checkpoint of run `runId` that belongs to another run, whose parameters do not
 * fit the run's model (`config`; null when the run's config is unknown: then only the header's own config is
 * checked against), or whose parameters or optimizer state are not finite.
 */
export function checkCheckpointFor(file: string, runId: string, header: CheckpointHeader, ckpt: Checkpoint, config: RunConfig | null): void {
  // a checkpoint written before run ids were recorded (run: null) is taken as its folder's
  if (header.run && header.run.id !== runId) {
    throw new CheckpointFormatError(file, `it belongs to run "${header.run.id}", not to "${runId}" (copied in from another run)`);
  }
  if (config) {
    const expected = paramCount(ncaConfigOf(config));
    if (ckpt.params.length !== expected) {
      throw new CheckpointFormatError(file, `params hold ${ckpt.params.length} floats, the run's model needs ${expected}`);
    }
    const bad = firstNonFinite(ckpt.params, paramLayout(ncaConfigOf(config)));
    if (bad) throw new CheckpointFormatError(file, `its parameters are not finite: ${bad}`);
  } else {
    const bad = firstNonFiniteAt(ckpt.params);
    if (bad) throw new CheckpointFormatError(file, `its parameters are not finite: ${bad}`);
  }
  for (const [name, a] of Object.entries(ckpt.arrays)) {
    const bad = firstNonFiniteAt(a);
    if (bad) throw new CheckpointFormatError(file, `its optimizer state "${name}" is not finite: ${bad}`);
  }
}
