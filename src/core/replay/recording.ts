/**
 * A GrowthRecording: everything that makes a replay reproducible except the models' parameters, which are
 * named (a run and checkpoint, or a file) rather than copied. Saved by the playground as JSON, re-run there and
 * by `nca-lab grow --recording FILE`: the same models + this recording give bit-identical states.
 */
import { MAX_REPLAY_CANVAS } from './growth-replay';
import { DamageLogError } from '../damage/damage-kind';
import { MAX_REPLAY_STEPS, parseDamageLog, type DamageEvent } from './damage-event';
import { isRecord } from '../validate';
import { MAX_PERCEPTION_ANGLE } from '../nca/perception-rotation';

export const RECORDING_FORMAT = 'nca-lab-growth-recording';

/** Which model a recording was made with. */
export interface RecordedModel {
  name: string;
  /** the run, when the model came from the workspace */
  runId?: string;
  /** the run's checkpoint generation (absent: its newest parameters) */
  generation?: number;
  /** a file path or name, when it came from a file */
  file?: string;
  /** perception rotation in degrees (core/nca/perception-rotation.ts); absent: 0 */
  angle?: number;
}

export interface GrowthRecording {
  format: typeof RECORDING_FORMAT;
  formatVersion: 1;
  /** how steps are counted, in words, for whoever reads the file later (spec f.1) */
  indexing: string;
  height: number;
  width: number;
  /** seed cells (y, x) */
  seeds: [number, number][];
  /** the replay's random seed (fire masks: Philox stream (seed, 'FIRE', t) for update t) */
  seed: number;
  damage: DamageEvent[];
  models: RecordedModel[];
  /** how far the replay had been played when saved */
  steps: number;
}

export const RECORDING_INDEXING =
  't = CA updates applied (t = 0 is the seed); damage "afterUpdate: t" acts on the state after t updates, before its loss; ' +
  'the thesis logs that loss at index k = t − 1 (spec f.1), and its strip frame k is the state at t = k (f.2)';

export function makeRecording(r: Omit<GrowthRecording, 'format' | 'formatVersion' | 'indexing'>): GrowthRecording {
  return {
    format: RECORDING_FORMAT, formatVersion: 1, indexing: RECORDING_INDEXING,
    height: r.height, width: r.width, seeds: r.seeds.map(([y, x]) => [y, x]), seed: r.seed,
    damage: r.damage.map((e) => structuredClone(e)), models: r.models.map((m) => ({ ...m })), steps: r.steps,
  };
}


function int(where: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new DamageLogError(`${where} must be an integer from ${min} to ${max}, got ${JSON.stringify(v) ?? 'nothing'}`);
  }
  return v;
}

/** Checks a recording read from a file; the message names the field. */
export function parseGrowthRecording(value: unknown): GrowthRecording {
  const where = 'recording';
  if (!isRecord(value)) throw new DamageLogError(`${where}: expected a JSON object`);
  if (value.format !== RECORDING_FORMAT) {
    throw new DamageLogError(`${where}: not a growth recording (format must be "${RECORDING_FORMAT}", got ${JSON.stringify(value.format) ?? 'nothing'})`);
  }
  if (value.formatVersion !== 1) throw new DamageLogError(`${where}: unsupported formatVersion ${JSON.stringify(value.formatVersion)} (this lab reads 1)`);
  const height = int(`${where}.height`, value.height, 1, MAX_REPLAY_CANVAS);
  const width = int(`${where}.width`, value.width, 1, MAX_REPLAY_CANVAS);
  if (!Array.isArray(value.seeds) || value.seeds.length === 0) throw new DamageLogError(`${where}.seeds must be a non-empty list of [y, x] cells`);
  const seeds = value.seeds.map((c, i): [number, number] => {
    if (!Array.isArray(c) || c.length !== 2) throw new DamageLogError(`${where}.seeds[${i}] must be [y, x]`);
    return [int(`${where}.seeds[${i}][0]`, c[0], 0, height - 1), int(`${where}.seeds[${i}][1]`, c[1], 0, width - 1)];
  });
  const seed = int(`${where}.seed`, value.seed, 0, Number.MAX_SAFE_INTEGER);
  const damage = parseDamageLog(value.damage, `${where}.damage`);
  const steps = int(`${where}.steps`, value.steps ?? 0, 0, MAX_REPLAY_STEPS);
  const models: RecordedModel[] = [];
  if (value.models !== undefined) {
    if (!Array.isArray(value.models)) throw new DamageLogError(`${where}.models must be a list`);
    value.models.forEach((m, i) => {
      if (!isRecord(m) || typeof m.name !== 'string') throw new DamageLogError(`${where}.models[${i}] must be {name, runId?, generation?, file?}`);
      const out: RecordedModel = { name: m.name };
      if (typeof m.runId === 'string') out.runId = m.runId;
      if (m.generation !== undefined) out.generation = int(`${where}.models[${i}].generation`, m.generation, 0, Number.MAX_SAFE_INTEGER);
      if (typeof m.file === 'string') out.file = m.file;
      if (m.angle !== undefined) {
        if (typeof m.angle !== 'number' || !(Math.abs(m.angle) <= MAX_PERCEPTION_ANGLE)) {
          throw new DamageLogError(`${where}.models[${i}].angle must be a number of degrees in [−${MAX_PERCEPTION_ANGLE}, ${MAX_PERCEPTION_ANGLE}]`);
        }
        if (m.angle !== 0) out.angle = m.angle;
      }
      models.push(out);
    });
  }
  return makeRecording({ height, width, seeds, seed, damage, models, steps });
}
