/**
 * The presets (spec section 0): named configs a run starts from, every field still editable. Names are stable:
 * runs record the preset they started from. They are data only; what each field means, its range and its default
 * for older configs live in the rows (common.ts, es-settings.ts, es-rules.ts, adam.ts).
 */
import type { AdamSettings } from '../../core/adam/settings';
import { beforeValues, ConfigError } from './fields';
import type { CommonConfig } from './common';
import { ES_BASE_FIELDS } from './es-settings';
import { esRuleGroupDefaults, type EsSettings } from './es-rules';
import type { Optimizer, RunConfig } from './config';

/** The thesis's decay rule (c.5) with σ fixed: what configs from before the plateau rule ran. */
const { rule, patience, minLr, sigmaPower } = beforeValues({
  rule: ES_BASE_FIELDS.decay.rule, patience: ES_BASE_FIELDS.decay.patience, minLr: ES_BASE_FIELDS.decay.minLr, sigmaPower: ES_BASE_FIELDS.decay.sigmaPower,
});
const THRESHOLD_RULE = { rule, patience, minLr, sigmaPower };

/** The thesis's objective and each ES rule's published defaults: what every ES preset starts from. */
const ES_DEFAULT_GROUPS = { objective: beforeValues(ES_BASE_FIELDS.objective), ...esRuleGroupDefaults() };

const THESIS_MODEL_ES: CommonConfig['model'] = {
  channels: 16, hidden: 32, bias1: false, bias2: false, fireRate: 0.5, aliveThreshold: 0.1, stepSize: 1, init: 'torch',
};
const THESIS_MODEL_ADAM: CommonConfig['model'] = { ...THESIS_MODEL_ES, bias1: true };
const M_MODEL: CommonConfig['model'] = { ...THESIS_MODEL_ES, hidden: 128, bias1: true, bias2: true, init: 'glorot' };

const THESIS_COMMON = {
  target: { name: 'carrot-9', size: 9, padding: 0 },
  seed: 1,
  stepsMin: 30,
  stepsMax: 39,
  stop: { maxGenerations: null, maxSeconds: null, targetLoss: null },
  startFrom: null,
  engine: 'auto',
} satisfies Partial<CommonConfig>;

const THESIS_ES: EsSettings = {
  population: 6, sigma: 0.01, lr: 0.005, mirrored: true, update: 'thesis', commonRandomNumbers: false,
  perMemberSteps: true, batchSize: 1, pool: { kind: 'none', size: 1 },
  decay: { enabled: true, every: 1000, thresholds: [-0.03, -0.01], factors: [0.3, 0.5], ...THRESHOLD_RULE }, workers: 0,
  ...structuredClone(ES_DEFAULT_GROUPS),
};

/** the lab's tuned ES (docs/benchmarks.md): no c.5 decay (Adam adapts its steps), the window objective */
const TUNED_ES: EsSettings = {
  ...THESIS_ES, population: 32, sigma: 0.02, lr: 0.005, update: 'openai-adam', commonRandomNumbers: true,
  decay: { ...THESIS_ES.decay, enabled: false },
  objective: { lossWindow: 40, lossEvery: 4, longEvery: 0, longSteps: 200 },
  adam: { ...ES_DEFAULT_GROUPS.adam, weightDecay: 0 },
};

/** what the lab's tuned ES presets share besides their ES settings: 64–72 steps for the window objective, denser evals */
const TUNED_ES_COMMON = { ...THESIS_COMMON, stepsMin: 64, stepsMax: 72, evalEvery: 100, checkpointEvery: 500 } satisfies Partial<CommonConfig>;

/** the lab's plateau rule (c.5, core/es/decay.ts) as es-plateau runs it */
const PLATEAU_DECAY: EsSettings['decay'] = {
  enabled: true, every: 500, thresholds: [-0.008, -0.005], factors: [0.5, 0.5], rule: 'plateau', patience: 3, minLr: 1.5e-4, sigmaPower: 0,
};

const M_ADAM: AdamSettings = {
  lr: 2e-3, schedule: { kind: 'piecewise', boundary: 2000, after: 2e-4 }, beta1: 0.9, beta2: 0.999, epsilon: 1e-7,
  batchSize: 8, gradNorm: true, pool: { kind: 'none', size: 1024, damageN: 0 }, maxGradNorm: null,
};
const M_COMMON = {
  target: { name: 'lizard-40', size: 40, padding: 16 }, seed: 1, stepsMin: 64, stepsMax: 95,
  stop: { maxGenerations: 8000, maxSeconds: null, targetLoss: null }, evalEvery: 100, checkpointEvery: 100,
  model: M_MODEL, startFrom: null, engine: 'auto',
} satisfies CommonConfig;

export interface Preset {
  name: string;
  optimizer: Optimizer;
  description: string;
  config: RunConfig;
}

/** Spec section 0. Names are stable: runs record the preset they started from. */
export const PRESETS: Preset[] = [
  {
    name: 'thesis-es',
    optimizer: 'es',
    description: 'ES exactly as the thesis code ran it without a pool: population 6, σ 0.01, α 0.005 with the c.5 decay, mirrored sampling, z-scored ranks, the code\'s update, 30–39 steps per member, batch 1.',
    config: {
      optimizer: 'es', preset: 'thesis-es', ...THESIS_COMMON, model: THESIS_MODEL_ES,
      evalEvery: 1000, checkpointEvery: 1000, es: THESIS_ES,
    },
  },
  {
    name: 'thesis-es-pool',
    optimizer: 'es',
    description: 'The thesis\'s "SamplePools" ES runs: population 40, pool 1024 with batch 1 (so the pool is written but never read, spec h.1), decay thresholds (−0.05, −0.02).',
    config: {
      optimizer: 'es', preset: 'thesis-es-pool', ...THESIS_COMMON, model: THESIS_MODEL_ES,
      evalEvery: 1000, checkpointEvery: 1000,
      es: { ...THESIS_ES, population: 40, pool: { kind: 'thesis', size: 1024 }, decay: { ...THESIS_ES.decay, thresholds: [-0.05, -0.02] } },
    },
  },
  {
    name: 'openai-es',
    optimizer: 'es',
    description: 'The textbook Salimans et al. update θ += α/(nσ)·Σ F̂_i·ε_i with ε ~ N(0, I), mirrored pairs with common random numbers, population 40, constant α.',
    config: {
      optimizer: 'es', preset: 'openai-es', ...THESIS_COMMON, model: THESIS_MODEL_ES,
      evalEvery: 1000, checkpointEvery: 1000,
      es: {
        ...THESIS_ES, population: 40, update: 'salimans', lr: 1e-4, commonRandomNumbers: true,
        decay: { ...THESIS_ES.decay, enabled: false },
      },
    },
  },
  {
    name: 'es',
    optimizer: 'es',
    description: 'The lab\'s first ES for new runs (chosen with `nca-lab bench quality` and short experiments on carrot-9, see docs/benchmarks.md): OpenAI-ES with Adam (α 0.005, σ 0.02), population 32 in mirrored pairs with common random numbers, 64–72 steps scored on the mean loss of every 4th of the last 40 states, so the model learns to grow and then to stop; α halves at mean loss 0.008 and again at 0.005.',
    config: {
      optimizer: 'es', preset: 'es', ...TUNED_ES_COMMON, model: THESIS_MODEL_ES,
      es: { ...TUNED_ES, decay: { enabled: true, every: 100, thresholds: [-0.008, -0.005], factors: [0.5, 0.5], ...THRESHOLD_RULE } },
    },
  },
  {
    name: 'es-plateau',
    optimizer: 'es',
    description: 'The es preset with the lab\'s plateau rule instead of the c.5 thresholds: α halves whenever 3 windows of 500 generations in a row fail to improve the mean loss by 1 % (never below 1.5e-4), so the schedule follows the run on any target, where thresholds set on carrot-9 never fire on a harder one.',
    config: {
      optimizer: 'es', preset: 'es-plateau', ...TUNED_ES_COMMON, model: THESIS_MODEL_ES,
      es: { ...TUNED_ES, decay: PLATEAU_DECAY },
    },
  },
  {
    name: 'es-256',
    optimizer: 'es',
    description: 'The lab\'s ES for new runs (chosen with `nca-lab bench quality`, see docs/benchmarks.md; the fastest on carrot-9, and it met the rabbit-15 goal in 37 minutes with seed 1, not within the hour with seed 2): es-plateau with population 256, σ following √α (es.decay.sigmaPower 0.5), α floor 5e-5, and the layer-1 bias (the Adam model\'s 2,080 parameters): the larger population keeps α high longer and the bias lets a cell hold a steady colour.',
    config: {
      optimizer: 'es', preset: 'es-256', ...TUNED_ES_COMMON, model: THESIS_MODEL_ADAM,
      es: { ...TUNED_ES, population: 256, decay: { ...PLATEAU_DECAY, minLr: 5e-5, sigmaPower: 0.5 } },
    },
  },
  {
    name: 'openai-es-adam',
    optimizer: 'es',
    description: 'OpenAI-ES with Adam on the gradient estimate and L2 weight decay (Salimans et al. 2017; the CAX/evosax NCA recipe): centred ranks in [−0.5, 0.5], θ −= Adam(−g + λθ), σ 0.02, population 32, the window objective (mean loss of the last 40 of 64–72 steps).',
    config: {
      optimizer: 'es', preset: 'openai-es-adam', ...TUNED_ES_COMMON, model: THESIS_MODEL_ES, es: { ...TUNED_ES, adam: { ...TUNED_ES.adam, weightDecay: 0.005 } },
    },
  },
  {
    name: 'pgpe',
    optimizer: 'es',
    description: 'PGPE with ClipUp (Sehnke et al. 2010; Toklu et al. 2020; the EvoJAX NCA recipe): symmetric pairs, per-parameter σ from 0.02 adapted at rate 0.1 (≤ 20 % a generation), ClipUp step 0.01 and max speed 0.02, population 32, the window objective.',
    config: {
      optimizer: 'es', preset: 'pgpe', ...TUNED_ES_COMMON, model: THESIS_MODEL_ES, es: { ...TUNED_ES, update: 'pgpe', lr: 0.01, pgpe: { ...TUNED_ES.pgpe, maxSpeed: 0.02 } },
    },
  },
  {
    name: 'snes',
    optimizer: 'es',
    description: 'SNES (Schaul et al. 2011): a diagonal Gaussian whose centre and per-parameter σ (from 0.02) follow the natural gradient, η_μ 1 and the paper\'s η_σ, population 32, the window objective.',
    config: {
      optimizer: 'es', preset: 'snes', ...TUNED_ES_COMMON, model: THESIS_MODEL_ES, es: { ...TUNED_ES, update: 'snes', lr: 1 },
    },
  },
  {
    name: 'thesis-adam',
    optimizer: 'adam',
    description: 'Adam as the thesis code ran it: lr 2e-3 (the text says 1e-3), β (0.9, 0.999), ε 1e-8, batch 8, hidden 32 with a layer-1 bias, 30–39 steps, pool "worst after rollout → seed", 20,000 iterations.',
    config: {
      optimizer: 'adam', preset: 'thesis-adam', ...THESIS_COMMON, model: THESIS_MODEL_ADAM,
      stop: { maxGenerations: 20000, maxSeconds: null, targetLoss: null }, evalEvery: 500, checkpointEvery: 500,
      adam: {
        lr: 2e-3, schedule: { kind: 'constant' }, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, batchSize: 8,
        gradNorm: false, pool: { kind: 'thesis', size: 1024, damageN: 0 }, maxGradNorm: null,
      },
    },
  },
  {
    name: 'thesis-adam-nopool',
    optimizer: 'adam',
    description: 'The thesis\'s "NonSamplePools" Adam runs: as thesis-adam, every batch is 8 seeds.',
    config: {
      optimizer: 'adam', preset: 'thesis-adam-nopool', ...THESIS_COMMON, model: THESIS_MODEL_ADAM,
      stop: { maxGenerations: 20000, maxSeconds: null, targetLoss: null }, evalEvery: 500, checkpointEvery: 500,
      adam: {
        lr: 2e-3, schedule: { kind: 'constant' }, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, batchSize: 8,
        gradNorm: false, pool: { kind: 'none', size: 1024, damageN: 0 }, maxGradNorm: null,
      },
    },
  },
  {
    name: 'mordvintsev-growing',
    optimizer: 'adam',
    description: 'Mordvintsev et al. "Growing" (d.4, f.8): hidden 128, biases, 64–95 steps, lizard 40 padded to 72×72, per-variable gradient normalisation, lr 2e-3 → 2e-4 at 2000, batch 8 seeds.',
    config: { optimizer: 'adam', preset: 'mordvintsev-growing', ...M_COMMON, adam: M_ADAM },
  },
  {
    name: 'mordvintsev-persistent',
    optimizer: 'adam',
    description: 'Mordvintsev et al. "Persistent": as growing, with a pool of 1024 (sort by loss before, seed into the worst slot, write all back).',
    config: { optimizer: 'adam', preset: 'mordvintsev-persistent', ...M_COMMON, adam: { ...M_ADAM, pool: { kind: 'mordvintsev', size: 1024, damageN: 0 } } },
  },
  {
    name: 'mordvintsev-regenerating',
    optimizer: 'adam',
    description: 'Mordvintsev et al. "Regenerating": as persistent, and the 3 lowest-loss samples get a random circle erased (d.4).',
    config: {
      optimizer: 'adam', preset: 'mordvintsev-regenerating', ...M_COMMON,
      adam: { ...M_ADAM, pool: { kind: 'mordvintsev-regenerating', size: 1024, damageN: 3 } },
    },
  },
];

export function presetByName(name: string): Preset {
  const p = PRESETS.find((x) => x.name === name);
  if (!p) throw new ConfigError('preset', `unknown preset "${name}"; choose one of ${PRESETS.map((x) => x.name).join(', ')}`);
  return p;
}

/** A deep copy of a preset's config, ready to edit. */
export function configFromPreset(name: string): RunConfig {
  return structuredClone(presetByName(name).config);
}

