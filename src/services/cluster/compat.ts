/**
 * Whether two machines compute the same floats. A run's trajectory is a function of its seed only as long as
 * every member's loss is bit-identical wherever it is evaluated (spec c.2; the trainer ranks them), so a worker
 * joins a run only when three things match: the lab's version, the population kernel (the WebAssembly SIMD
 * kernel or its plain TypeScript fallback, which round differently), and a probe: the losses of one fixed little
 * ES slice, hashed. The probe catches what the names cannot (another Node with another Math.exp, a patched
 * build). The master computes the same three and sends its jobs to the queue of their id.
 */
import { createHash } from 'node:crypto';
import { evaluateEsSlice, type EsSliceRequest, type EsSliceResult } from '../../core/es/slice';
import { THESIS_ES_MODEL, initParams } from '../../core/nca/config';
import { makeSeed } from '../../core/nca/state';
import { fusedBackendName } from '../../core/nca/fused';
import { runStream, StreamPurpose } from '../../core/rng/run-streams';
import { packageVersion } from '../resources/package-paths';
import type { Compat, JobExecutor } from './protocol';

/**
 * The probe (and the speed measurement): thesis-ES members of a synthetic `size`×`size` target, θ from the init
 * stream of seed 20251, generation 1. Deterministic, so equal floats give equal losses.
 */
export function probeSlice(size: number, members: number): EsSliceRequest {
  const cfg = THESIS_ES_MODEL;
  const rng = runStream(20251, 0, StreamPurpose.Init, 0);
  const params = initParams(cfg, 'glorot', () => rng.uniform());
  // a soft disc: some alive cells, some empty ones, every channel of the loss in play
  const target = new Float32Array(size * size * 4);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const a = Math.max(0, 1 - Math.hypot(y - c, x - c) / (size / 2));
      const i = (y * size + x) * 4;
      target[i] = 0.8 * a; target[i + 1] = 0.3 * a; target[i + 2] = 0.1 * a; target[i + 3] = a;
    }
  }
  return {
    cfg, params, seed: 20251, generation: 1, memberStart: 0, memberEnd: members, x0: makeSeed(size, size, cfg.channels, 1),
    target, wantBest: false, sigma: 0.02, mirrored: true, commonRandomNumbers: false, perMemberSteps: true, stepsMin: 30, stepsMax: 39,
  };
}

export function probeFingerprint(r: EsSliceResult): string {
  const h = createHash('sha256');
  h.update(new Uint8Array(Float64Array.from(r.losses).buffer));
  h.update(new Uint8Array(Float64Array.from(r.steps).buffer));
  return h.digest('hex').slice(0, 16);
}

/** The slice the probe evaluates (9×9, 2 members: a few milliseconds). */
export const PROBE_REQUEST = (): EsSliceRequest => probeSlice(9, 2);

/** This process's compatibility, computed here (the master; a worker computes its probe in its own processes). */
export function localCompat(probe = probeFingerprint(evaluateEsSlice(PROBE_REQUEST()))): Compat {
  return { labVersion: packageVersion(), kernel: fusedBackendName(), probe };
}

export function compatId(c: Compat): string {
  return createHash('sha256').update(`${c.labVersion}\n${c.kernel}\n${c.probe}`).digest('hex').slice(0, 12);
}

/** Why a worker with `worker` cannot join a run with `run`, naming each difference; null when they match. */
export function compatDifference(worker: Compat, run: Compat): string | null {
  const diffs: string[] = [];
  if (worker.labVersion !== run.labVersion) diffs.push(`lab version ${worker.labVersion} here, ${run.labVersion} on the run's machine`);
  if (worker.kernel !== run.kernel) diffs.push(`population kernel ${worker.kernel} here, ${run.kernel} on the run's machine`);
  if (diffs.length === 0 && worker.probe !== run.probe) {
    diffs.push(`same version and kernel, but the probe slice's losses differ (${worker.probe} here, ${run.probe} there: ` +
      'another Node.js or build rounds differently)');
  }
  return diffs.length ? diffs.join('; ') : null;
}

/**
 * A worker's compatibility and speed, measured in its own compute processes: the probe slice gives the
 * fingerprint; then every process evaluates 4 members of the 15×15 probe at once, twice (the first round warms
 * the kernel up), and the second round's members per second is the machine's speed.
 */
export async function measureWorker(executor: JobExecutor, concurrency: number): Promise<{ compat: Compat; mutantsPerSec: number }> {
  const probe = probeFingerprint(await executor.run('es-slice', PROBE_REQUEST()));
  const members = 4;
  let mutantsPerSec = 0;
  for (let round = 0; round < 2; round++) {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, () => executor.run('es-slice', probeSlice(15, members))));
    mutantsPerSec = (concurrency * members) / ((performance.now() - t0) / 1000);
  }
  return { compat: localCompat(probe), mutantsPerSec };
}
