/**
 * The full configuration of a training run, its presets (spec section 0) and its validation: one schema used at
 * every boundary (CLI flags, IPC, run.json on disk, the New Run form). Every field of every preset stays
 * editable; `RUN_CONFIG_FIELDS` gives each numeric/boolean/choice field its label, range and help, which both the
 * validator and the form use, so a message always names the field and the allowed range.
 */
import type { NcaConfig, InitScheme } from '../core/nca/config';
import type { AdamSettings, AdamPoolKind } from '../core/adam/settings';
import { DECAY_RULES, type DecayRule } from '../core/es/decay';
import { startModelProblem, type StartModel } from './start-model';
import { ENGINE_CHOICES, type EngineChoice } from './compute-engine';

export type { AdamSettings, AdamPoolKind };

/**
 * The lab's optimizers. Each has a row in shared/optimizers.ts (label, units, fields, presets) and a plug-in in
 * services/training/optimizers; its fields below and its presets are tagged with its id.
 */
export const OPTIMIZER_IDS = ['es', 'adam'] as const;
export type Optimizer = (typeof OPTIMIZER_IDS)[number];

export interface TargetRef {
  /** built-in name (`carrot-9`) or, for an imported image, its file name */
  name: string;
  /** image size the target is resized to (spec b.2) */
  size: number;
  /** zero padding on every side (0 in the thesis, 16 in M) */
  padding: number;
}

export interface StopConditions {
  /** generations (ES) or iterations (Adam); null = no limit */
  maxGenerations: number | null;
  /** wall-clock seconds of training; null = no limit */
  maxSeconds: number | null;
  /** stop once the 40-step growth loss is at or below this; null = never */
  targetLoss: number | null;
}

export interface CommonConfig {
  target: TargetRef;
  model: NcaConfig & { init: InitScheme };
  /** master seed: every random number of the run derives from it and the generation/iteration index */
  seed: number;
  /** CA steps per rollout, drawn uniformly from [stepsMin, stepsMax] (c.1: 30..39; M: 64..95) */
  stepsMin: number;
  stepsMax: number;
  stop: StopConditions;
  /** evaluate 40- and 200-step growth loss from the seed every this many generations/iterations (c.2) */
  evalEvery: number;
  /** write a checkpoint every this many generations/iterations (and always at stop) */
  checkpointEvery: number;
  /**
   * where the parameters start (shared/start-model.ts): null = a fresh initialisation (model.init from the seed);
   * else a model the workspace knew, whose parameters were copied into the run folder when the run was created
   */
  startFrom: StartModel | null;
  /** what computes it (shared/compute-engine.ts): the CPU's WebAssembly engine, the GPU, or auto (a GPU when there is one) */
  engine: EngineChoice;
}

/**
 * ES update rules, each an ask/tell strategy (core/es/strategy.ts) registered in
 * services/training/optimizers/es-strategies.ts: the two forms of c.4, and issue 10's OpenAI-ES with Adam
 * (core/es/openai-adam.ts), PGPE with ClipUp or Adam (core/es/pgpe.ts) and SNES (core/es/snes.ts).
 */
export const ES_UPDATE_RULES = ['thesis', 'salimans', 'openai-adam', 'pgpe', 'snes'] as const;
export type EsUpdateRule = (typeof ES_UPDATE_RULES)[number];

/** Sample-pool variants (spec e). */
export type EsPoolKind = 'none' | 'thesis' | 'mordvintsev';

export interface EsSettings {
  population: number;
  sigma: number;
  lr: number;
  /** antithetic pairs θ ± σz (c.2) */
  mirrored: boolean;
  /** c.4: 'thesis' = θ += (α/n)Σ u_i(±z_i) (σ cancels, the code); 'salimans' = θ += α/(nσ)Σ u_i ε_i, ε ~ N(0, I) */
  update: EsUpdateRule;
  /** mirrored pairs share step count and fire masks (common random numbers) */
  commonRandomNumbers: boolean;
  /** c.1: each member draws its own step count; off = one draw per generation */
  perMemberSteps: boolean;
  /** samples per member rollout (1 reproduces the thesis's never-read pool, h.1) */
  batchSize: number;
  pool: { kind: EsPoolKind; size: number };
  /** c.5: every `every` generations, on that generation's mean raw fitness F̄: F̄ ≥ t0 → α ×= f0, then F̄ ≥ t1 → α ×= f1 */
  /** spec c.5's thresholds or the lab's plateau rule (core/es/decay.ts); patience and minLr are the plateau's */
  decay: { enabled: boolean; every: number; thresholds: [number, number]; factors: [number, number]; rule: DecayRule; patience: number; minLr: number; sigmaPower: number };
  /** worker processes; 0 = one per core */
  workers: number;
  /** what a member's rollout is scored on (issue 10 §3; the thesis: the final state only) */
  objective: EsObjective;
  /** 'openai-adam': Adam on the gradient estimate (α = es.lr, σ = es.sigma) */
  adam: { beta1: number; beta2: number; epsilon: number; weightDecay: number };
  /** 'pgpe': the centre's optimiser (its step size is es.lr) and σ's adaptation (initial σ = es.sigma) */
  pgpe: { optimizer: 'clipup' | 'adam'; maxSpeed: number; momentum: number; sigmaLr: number; sigmaMaxChange: number };
  /** 'snes': η_μ = es.lr, initial σ = es.sigma; σ's learning rate (null: the paper's (3 + ln d)/(5√d)) */
  snes: { sigmaLr: number | null };
}

export interface EsObjective {
  /** the loss is the mean over the last this many states of each rollout (1: the final state, the thesis) */
  lossWindow: number;
  /** within the window, score every this many steps, ending on the final state (1: every state) */
  lossEvery: number;
  /** every this many generations the whole population rolls out `longSteps` steps instead (0: never) */
  longEvery: number;
  longSteps: number;
}

/**
 * The issue-10 groups of EsSettings with the values that reproduce what the lab did before they existed: the
 * thesis's objective, and each strategy's published defaults (OpenAI's starter code: Adam (0.9, 0.999, 1e-8),
 * l2coeff 0.005; Toklu et al.: ClipUp momentum 0.9; EvoJAX: σ learning rate 0.1, at most 20 % change; SNES:
 * the paper's σ rate).
 */
/** The decay fields a config written before the plateau rule lacks: the thresholds rule (c.5), as it always was. */
export const THRESHOLD_RULE = { rule: 'thresholds', patience: 3, minLr: 1e-4, sigmaPower: 0 } as const satisfies Pick<EsSettings['decay'], 'rule' | 'patience' | 'minLr' | 'sigmaPower'>;

export const ES_ADDED_DEFAULTS: Pick<EsSettings, 'objective' | 'adam' | 'pgpe' | 'snes'> = {
  objective: { lossWindow: 1, lossEvery: 1, longEvery: 0, longSteps: 200 },
  adam: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.005 },
  pgpe: { optimizer: 'clipup', maxSpeed: 0.02, momentum: 0.9, sigmaLr: 0.1, sigmaMaxChange: 0.2 },
  snes: { sigmaLr: null },
};

/**
 * Configs written before those groups existed (run.json, model.json, a fork's config) get them, in place,
 * with the defaults above, and `startFrom: null` (fine-tuning came later), so they validate and train exactly as
 * before. configProblems calls it, so every boundary that checks a config upgrades it.
 */
export function upgradeRunConfig(cfg: RunConfig): RunConfig {
  // every run before fine-tuning started from a fresh initialisation
  if (cfg && typeof cfg === 'object' && (cfg as Partial<CommonConfig>).startFrom === undefined) cfg.startFrom = null;
  // and every run before the GPU engine computed on the CPU, where it resumes bit-exactly
  if (cfg && typeof cfg === 'object' && (cfg as Partial<CommonConfig>).engine === undefined) cfg.engine = 'wasm';
  if (cfg?.optimizer === 'es' && cfg.es && typeof cfg.es === 'object') {
    const es = cfg.es as Partial<EsSettings>;
    for (const key of ['objective', 'adam', 'pgpe', 'snes'] as const) {
      const have = es[key];
      if (have === undefined) (es as Record<string, unknown>)[key] = structuredClone(ES_ADDED_DEFAULTS[key]);
      else if (typeof have === 'object' && have !== null) (es as Record<string, unknown>)[key] = { ...structuredClone(ES_ADDED_DEFAULTS[key]), ...have };
    }
    if (es.decay && typeof es.decay === 'object' && (es.decay as Partial<EsSettings['decay']>).rule === undefined) Object.assign(es.decay, { ...THRESHOLD_RULE, ...es.decay });
    // σ stayed fixed before it could follow α
    if (es.decay && typeof es.decay === 'object' && (es.decay as Partial<EsSettings['decay']>).sigmaPower === undefined) (es.decay as EsSettings['decay']).sigmaPower = 0;
  }
  return cfg;
}


export interface EsRunConfig extends CommonConfig { optimizer: 'es'; preset: string; es: EsSettings }
export interface AdamRunConfig extends CommonConfig { optimizer: 'adam'; preset: string; adam: AdamSettings }
export type RunConfig = EsRunConfig | AdamRunConfig;

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
  ...structuredClone(ES_ADDED_DEFAULTS),
};

/** issue 10's ES: no c.5 decay (Adam adapts its steps), the window objective */
const ISSUE10_ES: EsSettings = {
  ...THESIS_ES, population: 32, sigma: 0.02, lr: 0.005, update: 'openai-adam', commonRandomNumbers: true,
  decay: { ...THESIS_ES.decay, enabled: false },
  objective: { lossWindow: 40, lossEvery: 4, longEvery: 0, longSteps: 200 },
  adam: { ...ES_ADDED_DEFAULTS.adam, weightDecay: 0 },
};

/** what the issue 10 presets share besides their ES settings: 64–72 steps for the window objective, denser evals */
const ISSUE10_COMMON = { ...THESIS_COMMON, stepsMin: 64, stepsMax: 72, evalEvery: 100, checkpointEvery: 500 } satisfies Partial<CommonConfig>;

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
    description: 'The lab\'s first ES for new runs (issue 10, chosen with `nca-lab bench quality` and short experiments on carrot-9, see the README): OpenAI-ES with Adam (α 0.005, σ 0.02), population 32 in mirrored pairs with common random numbers, 64–72 steps scored on the mean loss of every 4th of the last 40 states, so the model learns to grow and then to stop; α halves at mean loss 0.008 and again at 0.005.',
    config: {
      optimizer: 'es', preset: 'es', ...ISSUE10_COMMON, model: THESIS_MODEL_ES,
      es: { ...ISSUE10_ES, decay: { enabled: true, every: 100, thresholds: [-0.008, -0.005], factors: [0.5, 0.5], ...THRESHOLD_RULE } },
    },
  },
  {
    name: 'es-plateau',
    optimizer: 'es',
    description: 'The es preset with the lab\'s plateau rule instead of the c.5 thresholds: α halves whenever 3 windows of 500 generations in a row fail to improve the mean loss by 1 % (never below 1.5e-4), so the schedule follows the run on any target, where thresholds set on carrot-9 never fire on a harder one.',
    config: {
      optimizer: 'es', preset: 'es-plateau', ...ISSUE10_COMMON, model: THESIS_MODEL_ES,
      es: { ...ISSUE10_ES, decay: PLATEAU_DECAY },
    },
  },
  {
    name: 'es-256',
    optimizer: 'es',
    description: 'The lab\'s ES for new runs (issue 10, chosen with `nca-lab bench quality`, see the README; the fastest on carrot-9, and it met the rabbit-15 goal in 37 minutes with seed 1, not within the hour with seed 2): es-plateau with population 256, σ following √α (es.decay.sigmaPower 0.5), α floor 5e-5, and the layer-1 bias (the Adam model\'s 2,080 parameters): the larger population keeps α high longer and the bias lets a cell hold a steady colour.',
    config: {
      optimizer: 'es', preset: 'es-256', ...ISSUE10_COMMON, model: THESIS_MODEL_ADAM,
      es: { ...ISSUE10_ES, population: 256, decay: { ...PLATEAU_DECAY, minLr: 5e-5, sigmaPower: 0.5 } },
    },
  },
  {
    name: 'openai-es-adam',
    optimizer: 'es',
    description: 'OpenAI-ES with Adam on the gradient estimate and L2 weight decay (Salimans et al. 2017; the CAX/evosax NCA recipe): centred ranks in [−0.5, 0.5], θ −= Adam(−g + λθ), σ 0.02, population 32, the window objective (mean loss of the last 40 of 64–72 steps).',
    config: {
      optimizer: 'es', preset: 'openai-es-adam', ...ISSUE10_COMMON, model: THESIS_MODEL_ES, es: { ...ISSUE10_ES, adam: { ...ISSUE10_ES.adam, weightDecay: 0.005 } },
    },
  },
  {
    name: 'pgpe',
    optimizer: 'es',
    description: 'PGPE with ClipUp (Sehnke et al. 2010; Toklu et al. 2020; the EvoJAX NCA recipe): symmetric pairs, per-parameter σ from 0.02 adapted at rate 0.1 (≤ 20 % a generation), ClipUp step 0.01 and max speed 0.02, population 32, the window objective.',
    config: {
      optimizer: 'es', preset: 'pgpe', ...ISSUE10_COMMON, model: THESIS_MODEL_ES, es: { ...ISSUE10_ES, update: 'pgpe', lr: 0.01, pgpe: { ...ISSUE10_ES.pgpe, maxSpeed: 0.02 } },
    },
  },
  {
    name: 'snes',
    optimizer: 'es',
    description: 'SNES (Schaul et al. 2011): a diagonal Gaussian whose centre and per-parameter σ (from 0.02) follow the natural gradient, η_μ 1 and the paper\'s η_σ, population 32, the window objective.',
    config: {
      optimizer: 'es', preset: 'snes', ...ISSUE10_COMMON, model: THESIS_MODEL_ES, es: { ...ISSUE10_ES, update: 'snes', lr: 1 },
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

/** A configuration error that names the field (dotted path) and says what is allowed. */
export class ConfigError extends RangeError {
  override name = 'ConfigError';
  constructor(readonly field: string, detail: string) {
    super(`${field}: ${detail}`);
  }
}

export interface FieldSpec {
  /** dotted path into the config (`es.population`) */
  path: string;
  label: string;
  kind: 'int' | 'number' | 'bool' | 'choice' | 'nullable-int' | 'nullable-number';
  optimizer?: Optimizer;
  min?: number;
  max?: number;
  /** the bound itself is not allowed (σ > 0) */
  exclusiveMin?: boolean;
  choices?: readonly string[];
  help: string;
}

export const RUN_CONFIG_FIELDS: FieldSpec[] = [
  { path: 'target.size', label: 'Target size', kind: 'int', min: 1, max: 128, help: 'the image is resized to size×size (b.2)' },
  { path: 'target.padding', label: 'Padding', kind: 'int', min: 0, max: 64, help: 'zero border on every side; canvas = size + 2·padding' },
  { path: 'model.channels', label: 'Channels', kind: 'int', min: 4, max: 64, help: 'RGBA + hidden state channels (16 in every source)' },
  { path: 'model.hidden', label: 'Hidden units', kind: 'int', min: 1, max: 1024, help: '32 (thesis) or 128 (M)' },
  { path: 'model.bias1', label: 'Layer-1 bias', kind: 'bool', help: 'thesis Adam and M have one; thesis ES does not' },
  { path: 'model.bias2', label: 'Layer-2 bias', kind: 'bool', help: 'M only' },
  { path: 'model.fireRate', label: 'Fire rate', kind: 'number', min: 0, max: 1, exclusiveMin: true, help: 'probability a cell updates in a step (0.5)' },
  { path: 'model.aliveThreshold', label: 'Alive threshold', kind: 'number', min: 0, max: 0.99, help: 'alive if max-pooled alpha > this (0.1)' },
  { path: 'model.stepSize', label: 'Step size', kind: 'number', min: 0, max: 10, exclusiveMin: true, help: 'dx multiplier (1.0)' },
  { path: 'model.init', label: 'Layer-1 init', kind: 'choice', choices: ['torch', 'glorot'], help: 'PyTorch default U(±1/√48) or Keras glorot_uniform' },
  { path: 'seed', label: 'Seed', kind: 'int', min: 0, max: 2 ** 52, help: 'every random number of the run derives from it' },
  { path: 'stepsMin', label: 'Min CA steps', kind: 'int', min: 1, max: 1000, help: 'rollout length drawn from [min, max] (30–39; M 64–95)' },
  { path: 'stepsMax', label: 'Max CA steps', kind: 'int', min: 1, max: 1000, help: 'inclusive' },
  { path: 'stop.maxGenerations', label: 'Max generations / iterations', kind: 'nullable-int', min: 1, max: 1e9, help: 'empty = no limit' },
  { path: 'stop.maxSeconds', label: 'Max seconds', kind: 'nullable-number', min: 1, max: 1e8, help: 'empty = no limit' },
  { path: 'stop.targetLoss', label: 'Target 40-step loss', kind: 'nullable-number', min: 0, max: 1, exclusiveMin: true, help: 'stop when the growth loss reaches it; empty = never' },
  { path: 'evalEvery', label: 'Evaluate every', kind: 'int', min: 1, max: 1e7, help: '40/200-step growth loss from the seed (c.2)' },
  { path: 'engine', label: 'Compute engine', kind: 'choice', choices: ENGINE_CHOICES, help: 'auto: the GPU (WebGPU) when there is one, else the CPU\'s WebAssembly SIMD engine; wasm; webgpu (an error without a GPU)' },
  { path: 'checkpointEvery', label: 'Checkpoint every', kind: 'int', min: 1, max: 1e7, help: 'also written at every stop' },
  { path: 'es.population', label: 'Population', kind: 'int', optimizer: 'es', min: 2, max: 100000, help: 'members per generation; even when mirrored' },
  { path: 'es.sigma', label: 'σ (noise std)', kind: 'number', optimizer: 'es', min: 0, max: 10, exclusiveMin: true, help: '0.01 in the thesis; the initial σ of PGPE and SNES' },
  { path: 'es.lr', label: 'α (learning rate)', kind: 'number', optimizer: 'es', min: 0, max: 100, exclusiveMin: true, help: '0.005 in the thesis; Adam\'s or ClipUp\'s step size; SNES η_μ (1)' },
  { path: 'es.mirrored', label: 'Mirrored sampling', kind: 'bool', optimizer: 'es', help: 'antithetic pairs θ ± σz' },
  { path: 'es.update', label: 'Update rule', kind: 'choice', optimizer: 'es', choices: ES_UPDATE_RULES, help: 'c.4 thesis (σ cancels) or textbook; OpenAI-ES with Adam; PGPE; SNES' },
  { path: 'es.commonRandomNumbers', label: 'Common random numbers', kind: 'bool', optimizer: 'es', help: 'mirrored pairs share steps and fire masks' },
  { path: 'es.perMemberSteps', label: 'Per-member step count', kind: 'bool', optimizer: 'es', help: 'each member draws its own 30–39 (c.1)' },
  { path: 'es.batchSize', label: 'Batch size', kind: 'int', optimizer: 'es', min: 1, max: 1024, help: '1 reproduces the thesis (its pool is never read)' },
  { path: 'es.pool.kind', label: 'Sample pool', kind: 'choice', optimizer: 'es', choices: ['none', 'thesis', 'mordvintsev'], help: 'spec e' },
  { path: 'es.pool.size', label: 'Pool size', kind: 'int', optimizer: 'es', min: 1, max: 65536, help: '1024' },
  { path: 'es.decay.enabled', label: 'LR decay', kind: 'bool', optimizer: 'es', help: 'c.5' },
  { path: 'es.decay.rule', label: 'Decay rule', kind: 'choice', optimizer: 'es', choices: DECAY_RULES, help: 'thresholds: c.5 on absolute fitness; plateau: cut α by factor 1 when the loss stops improving' },
  { path: 'es.decay.every', label: 'Decay check every', kind: 'int', optimizer: 'es', min: 1, max: 1e7, help: '1000 generations (plateau: the averaging window)' },
  { path: 'es.decay.thresholds.0', label: 'Decay threshold 1', kind: 'number', optimizer: 'es', min: -1, max: 0, help: 'mean fitness (−MSE): −0.03 or −0.05' },
  { path: 'es.decay.thresholds.1', label: 'Decay threshold 2', kind: 'number', optimizer: 'es', min: -1, max: 0, help: '−0.01 or −0.02' },
  { path: 'es.decay.factors.0', label: 'Decay factor 1', kind: 'number', optimizer: 'es', min: 0, max: 1, exclusiveMin: true, help: '0.3' },
  { path: 'es.decay.factors.1', label: 'Decay factor 2', kind: 'number', optimizer: 'es', min: 0, max: 1, exclusiveMin: true, help: '0.5' },
  { path: 'es.decay.patience', label: 'Plateau patience (windows)', kind: 'int', optimizer: 'es', min: 1, max: 1000, help: 'plateau rule: windows without a 1 % gain before α is cut' },
  { path: 'es.decay.minLr', label: 'Plateau floor for α', kind: 'number', optimizer: 'es', min: 0, max: 100, help: 'plateau rule: α is never cut below this' },
  { path: 'es.decay.sigmaPower', label: 'σ follows α (power)', kind: 'number', optimizer: 'es', min: 0, max: 4, help: 'σ = σ₀·(α/α₀)^p as α decays; 0 keeps σ fixed (the thesis); not for PGPE and SNES, which adapt σ' },
  { path: 'es.workers', label: 'Workers', kind: 'int', optimizer: 'es', min: 0, max: 1024, help: '0 = one per core' },
  { path: 'es.objective.lossWindow', label: 'Loss window (steps)', kind: 'int', optimizer: 'es', min: 1, max: 1000, help: 'score the mean loss of the last this many states of a rollout; 1 = the final state (thesis)' },
  { path: 'es.objective.lossEvery', label: 'Score every (steps)', kind: 'int', optimizer: 'es', min: 1, max: 1000, help: 'within the window, score every this many steps, ending on the last (fewer cuts in the kernel\'s rollout run faster)' },
  { path: 'es.objective.longEvery', label: 'Long rollout every', kind: 'int', optimizer: 'es', min: 0, max: 1e7, help: 'generations between long rollouts (the persistence horizon); 0 = never' },
  { path: 'es.objective.longSteps', label: 'Long rollout steps', kind: 'int', optimizer: 'es', min: 1, max: 10000, help: 'CA steps of a long rollout' },
  { path: 'es.adam.beta1', label: 'Adam β1 (OpenAI-ES)', kind: 'number', optimizer: 'es', min: 0, max: 0.9999, help: '0.9' },
  { path: 'es.adam.beta2', label: 'Adam β2 (OpenAI-ES)', kind: 'number', optimizer: 'es', min: 0, max: 0.99999, help: '0.999' },
  { path: 'es.adam.epsilon', label: 'Adam ε (OpenAI-ES)', kind: 'number', optimizer: 'es', min: 0, max: 1, exclusiveMin: true, help: '1e-8' },
  { path: 'es.adam.weightDecay', label: 'L2 weight decay (OpenAI-ES)', kind: 'number', optimizer: 'es', min: 0, max: 1, help: 'λ in −g + λθ (starter code 0.005)' },
  { path: 'es.pgpe.optimizer', label: 'PGPE centre optimiser', kind: 'choice', optimizer: 'es', choices: ['clipup', 'adam'], help: 'ClipUp (Toklu et al. 2020) or Adam; step size = α' },
  { path: 'es.pgpe.maxSpeed', label: 'ClipUp max speed (PGPE)', kind: 'number', optimizer: 'es', min: 0, max: 100, exclusiveMin: true, help: 'Toklu et al.: 2 × α' },
  { path: 'es.pgpe.momentum', label: 'ClipUp momentum (PGPE)', kind: 'number', optimizer: 'es', min: 0, max: 0.9999, help: '0.9' },
  { path: 'es.pgpe.sigmaLr', label: 'σ learning rate (PGPE)', kind: 'number', optimizer: 'es', min: 0, max: 100, help: 'EvoJAX 0.1; 0 keeps σ fixed' },
  { path: 'es.pgpe.sigmaMaxChange', label: 'σ max change (PGPE)', kind: 'number', optimizer: 'es', min: 0, max: 1, help: 'fraction per generation (0.2)' },
  { path: 'es.snes.sigmaLr', label: 'σ learning rate (SNES)', kind: 'nullable-number', optimizer: 'es', min: 0, max: 10, exclusiveMin: true, help: 'empty = the paper\'s (3 + ln d)/(5√d)' },
  { path: 'adam.lr', label: 'Learning rate', kind: 'number', optimizer: 'adam', min: 0, max: 1, exclusiveMin: true, help: '2e-3 (code) or 1e-3 (thesis text)' },
  { path: 'adam.beta1', label: 'β1', kind: 'number', optimizer: 'adam', min: 0, max: 1, help: '0.9' },
  { path: 'adam.beta2', label: 'β2', kind: 'number', optimizer: 'adam', min: 0, max: 1, help: '0.999' },
  { path: 'adam.epsilon', label: 'ε', kind: 'number', optimizer: 'adam', min: 0, max: 1, exclusiveMin: true, help: '1e-8 (PyTorch) or 1e-7 (Keras)' },
  { path: 'adam.batchSize', label: 'Batch size', kind: 'int', optimizer: 'adam', min: 1, max: 256, help: '8' },
  { path: 'adam.gradNorm', label: 'Gradient normalisation', kind: 'bool', optimizer: 'adam', help: 'M: per-variable g/(‖g‖+1e-8)' },
  { path: 'adam.pool.kind', label: 'Sample pool', kind: 'choice', optimizer: 'adam', choices: ['none', 'thesis', 'mordvintsev', 'mordvintsev-regenerating'], help: 'spec e' },
  { path: 'adam.pool.size', label: 'Pool size', kind: 'int', optimizer: 'adam', min: 1, max: 65536, help: '1024' },
  { path: 'adam.pool.damageN', label: 'Damaged samples', kind: 'int', optimizer: 'adam', min: 0, max: 256, help: 'M regenerating: 3' },
  { path: 'adam.maxGradNorm', label: 'Stop above gradient norm', kind: 'nullable-number', optimizer: 'adam', min: 0, max: 1e12, exclusiveMin: true, help: 'exploding gradients stop the run; empty = never' },
];

export function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o === null || o === undefined ? undefined : (o as Record<string, unknown>)[k]), obj);
}

export function setPath(obj: object, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null) throw new ConfigError(path, 'no such field');
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]] = value;
}

function range(f: FieldSpec): string {
  const lo = f.min === undefined ? '' : `${f.exclusiveMin ? '>' : '≥'} ${f.min}`;
  const hi = f.max === undefined ? '' : `≤ ${f.max}`;
  return [lo, hi].filter(Boolean).join(' and ');
}

/** Checks one field's value; returns the error message (without the path) or null. */
export function checkField(f: FieldSpec, v: unknown): string | null {
  const nullable = f.kind === 'nullable-int' || f.kind === 'nullable-number';
  if (nullable && v === null) return null;
  switch (f.kind) {
    case 'bool':
      return typeof v === 'boolean' ? null : `must be true or false, got ${JSON.stringify(v)}`;
    case 'choice':
      return typeof v === 'string' && f.choices!.includes(v) ? null : `must be one of ${f.choices!.join(', ')}, got ${JSON.stringify(v)}`;
    default: {
      const integer = f.kind === 'int' || f.kind === 'nullable-int';
      const what = `${integer ? 'an integer' : 'a number'} ${range(f)}${nullable ? ' (or empty)' : ''}`;
      if (typeof v !== 'number' || !Number.isFinite(v)) return `must be ${what}, got ${JSON.stringify(v)}`;
      if (integer && !Number.isInteger(v)) return `must be ${what}, got ${v}`;
      if (f.min !== undefined && (f.exclusiveMin ? v <= f.min : v < f.min)) return `must be ${what}, got ${v}`;
      if (f.max !== undefined && v > f.max) return `must be ${what}, got ${v}`;
      return null;
    }
  }
}

/** Every problem with a config, as {field, message}; empty when valid. For the form's inline errors. */
export function configProblems(cfg: RunConfig): { field: string; message: string }[] {
  upgradeRunConfig(cfg);
  const out: { field: string; message: string }[] = [];
  if (!(OPTIMIZER_IDS as readonly unknown[]).includes(cfg.optimizer)) {
    return [{ field: 'optimizer', message: `must be ${OPTIMIZER_IDS.map((id) => `"${id}"`).join(' or ')}, got ${JSON.stringify((cfg as { optimizer: unknown }).optimizer)}` }];
  }
  if (typeof cfg.target?.name !== 'string' || cfg.target.name.trim() === '') out.push({ field: 'target.name', message: 'must name a built-in target or an image file' });
  const start = startModelProblem(cfg.startFrom);
  if (start) out.push(start);
  for (const f of RUN_CONFIG_FIELDS) {
    if (f.optimizer && f.optimizer !== cfg.optimizer) continue;
    const msg = checkField(f, getPath(cfg, f.path));
    if (msg) out.push({ field: f.path, message: msg });
  }
  if (out.length) return out;
  if (cfg.stepsMin > cfg.stepsMax) out.push({ field: 'stepsMax', message: `must be ≥ stepsMin (${cfg.stepsMin}), got ${cfg.stepsMax}` });
  if (cfg.optimizer === 'es') {
    const es = cfg.es;
    if (es.mirrored && es.population % 2 !== 0) {
      out.push({ field: 'es.population', message: `must be even with mirrored sampling, got ${es.population}` });
    }
    if (es.pool.kind !== 'none' && es.batchSize > es.pool.size) {
      out.push({ field: 'es.batchSize', message: `must be ≤ the pool size (${es.pool.size}), got ${es.batchSize}` });
    }
    if (es.commonRandomNumbers && !es.mirrored) {
      out.push({ field: 'es.commonRandomNumbers', message: 'needs mirrored sampling (pairs share their random numbers)' });
    }
    if (es.objective.lossWindow > cfg.stepsMin) {
      out.push({ field: 'es.objective.lossWindow', message: `must be ≤ the shortest rollout (stepsMin ${cfg.stepsMin}), got ${es.objective.lossWindow}` });
    }
    if (es.objective.longEvery > 0 && es.objective.longSteps < es.objective.lossWindow) {
      out.push({ field: 'es.objective.longSteps', message: `must be ≥ the loss window (${es.objective.lossWindow}), got ${es.objective.longSteps}` });
    }
    if ((es.update === 'pgpe' || es.update === 'snes') && es.decay.sigmaPower !== 0) {
      out.push({ field: 'es.decay.sigmaPower', message: `must be 0 with ${es.update === 'pgpe' ? 'PGPE' : 'SNES'}, which adapts σ itself, got ${es.decay.sigmaPower}` });
    }
    if (es.update === 'pgpe' && !es.mirrored) {
      out.push({ field: 'es.mirrored', message: 'PGPE needs mirrored sampling (its symmetric pairs)' });
    }
  } else {
    const a = cfg.adam;
    if (a.pool.kind !== 'none' && a.batchSize > a.pool.size) {
      out.push({ field: 'adam.batchSize', message: `must be ≤ the pool size (${a.pool.size}), got ${a.batchSize}` });
    }
    if (a.pool.damageN > a.batchSize) out.push({ field: 'adam.pool.damageN', message: `must be ≤ the batch size (${a.batchSize}), got ${a.pool.damageN}` });
    if (a.schedule.kind === 'piecewise') {
      if (!(Number.isInteger(a.schedule.boundary) && a.schedule.boundary >= 0)) out.push({ field: 'adam.schedule.boundary', message: `must be an integer ≥ 0, got ${a.schedule.boundary}` });
      if (!(a.schedule.after > 0 && a.schedule.after <= 1)) out.push({ field: 'adam.schedule.after', message: `must be a number > 0 and ≤ 1, got ${a.schedule.after}` });
    } else if (a.schedule.kind !== 'constant') {
      out.push({ field: 'adam.schedule.kind', message: 'must be "constant" or "piecewise"' });
    }
  }
  return out;
}

/** Throws a ConfigError naming the first problem. */
export function validateRunConfig(cfg: RunConfig): RunConfig {
  const problems = configProblems(cfg);
  if (problems.length) throw new ConfigError(problems[0].field, problems[0].message);
  return cfg;
}

/** Parses a field from text (CLI flag or form input) into the field's type, with the same messages. */
const DECIMAL_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function parseFieldText(f: FieldSpec, text: string): unknown {
  const t = text.trim();
  if ((f.kind === 'nullable-int' || f.kind === 'nullable-number') && (t === '' || t === 'none' || t === 'null')) return null;
  if (f.kind === 'bool') {
    if (['true', '1', 'yes', 'on'].includes(t)) return true;
    if (['false', '0', 'no', 'off'].includes(t)) return false;
    throw new ConfigError(f.path, `must be true or false, got "${text}"`);
  }
  if (f.kind === 'choice') return t;
  // decimal only: Number() would also take "0x10" (16), "0b11", "1_0"-free forms and " " as numbers
  if (!DECIMAL_NUMBER.test(t)) throw new ConfigError(f.path, `must be a number, got "${text}"${/^[+-]?0[xob]/i.test(t) ? ' (decimal digits only)' : ''}`);
  const n = Number(t);
  if (!Number.isFinite(n)) throw new ConfigError(f.path, `must be a finite number, got "${text}"`);
  return n;
}

export function fieldByPath(path: string): FieldSpec | undefined {
  return RUN_CONFIG_FIELDS.find((f) => f.path === path);
}

/** The model part of a config as the NCA core takes it. */
export function ncaConfigOf(cfg: RunConfig): NcaConfig {
  const { channels, hidden, bias1, bias2, fireRate, aliveThreshold, stepSize } = cfg.model;
  return { channels, hidden, bias1, bias2, fireRate, aliveThreshold, stepSize };
}
