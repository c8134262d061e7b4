/**
 * The lab's optimizers, one row each: what every layer above needs to know of an optimizer without naming it —
 * its label, what it counts its steps in, its throughput, its config fields and presets (gathered from
 * the run config's rows, where each is tagged with its optimizer), its default preset and the form sections its
 * fields fall into. The CLI's --optimizer, the IPC schema and the New Run form are derived from this table, so an
 * optimizer added here (with its plug-in in services/training/optimizers) appears in all of them.
 */
import {
  ES_RULES, OPTIMIZER_IDS, PRESETS, RUN_CONFIG_FIELDS,
  type AdamRunConfig, type EsRunConfig, type FieldSpec, type Optimizer, type Preset, type RunConfig,
} from './training-config';

export { OPTIMIZER_IDS, type Optimizer };

/** A group of an optimizer's fields in the New Run form and the run page (by dotted-path prefix). */
export interface OptimizerSection {
  id: string;
  title: string;
  /** fields whose path starts with this prefix */
  prefix: string;
  /** the ES update rule whose own settings it holds: the form shows it with the essentials while that rule is chosen */
  rule?: string;
}

export interface OptimizerDescriptor<C extends RunConfig = RunConfig> {
  id: Optimizer;
  /** "Evolution Strategies" */
  label: string;
  /** "ES", in tables and legends */
  short: string;
  /**
   * How curves and lists mark the optimizer beside a run's own name: its colour (the thesis's matplotlib 'm' and
   * 'c'), a glyph for lists and a dash pattern for overlaid training curves (solid for ES, dashed for Adam)
   */
  mark: { colour: string; glyph: string; dash?: number[] };
  /** the heading of its presets in the New Run form */
  formTitle: string;
  /** a line under the label in the New Run form and the CLI's help */
  blurb: string;
  /** what one step is called: "generation", "iteration" (spec c.2, d.2) */
  unit: 'generation' | 'iteration';
  units: 'generations' | 'iterations';
  /** in a rate: "gen", "it" */
  unitShort: string;
  /** the live throughput fields of a RunProgressEvent (shared/metrics.ts), main first */
  throughput: { key: 'generationsPerSec' | 'iterationsPerSec'; label: string; second?: { key: 'mutantsPerSec'; label: string } };
  /** the preset a new run of this optimizer starts from */
  defaultPreset: string;
  /** form sections of its own fields, in display order; a field goes to the longest prefix that matches */
  sections: OptimizerSection[];
  /** its fields shown with evaluation, checkpoints and workers rather than in its own sections */
  sessionFields: string[];
  /** what to lower to continue a diverged run ("σ or learning rate") */
  divergenceHint: string;
  /** a population evaluated in slices (so it can run on the cluster, services/cluster) */
  population: boolean;
  /** whether the config keeps a sample pool (spec e) */
  usesPool(cfg: C): boolean;
  /** most worker processes a session can use (ES: the population or es.workers; Adam: the batch) */
  workerCap(cfg: C): number;
  /** the one or two numbers the New Run summary shows beside the optimizer */
  summary(cfg: C): { label: string; value: string }[];
}

const ES: OptimizerDescriptor<EsRunConfig> = {
  id: 'es',
  label: 'Evolution Strategies',
  short: 'ES',
  mark: { colour: '#bf00bf', glyph: '●' },
  formTitle: 'Evolution Strategies',
  blurb: 'a population of perturbed copies scored by rollouts; only fitness scalars travel (spec c)',
  unit: 'generation',
  units: 'generations',
  unitShort: 'gen',
  throughput: { key: 'generationsPerSec', label: 'gen/s', second: { key: 'mutantsPerSec', label: 'mutants/s' } },
  // the fastest configuration that met the quality goal and persisted on both carrot-9 and rabbit-15 (docs/benchmarks.md)
  defaultPreset: 'es-256',
  sections: [
    { id: 'es', title: 'Evolution Strategies', prefix: 'es.' },
    { id: 'es-pool', title: 'Sample pool', prefix: 'es.pool.' },
    { id: 'es-decay', title: 'Learning-rate decay (c.5)', prefix: 'es.decay.' },
    // each update rule with settings of its own has a section (es-rules.ts)
    ...ES_RULES.flatMap((r): OptimizerSection[] => (r.group ? [{ id: `es-${r.group}`, title: r.label, prefix: `es.${r.group}.`, rule: r.id }] : [])),
  ],
  sessionFields: ['es.workers'],
  divergenceHint: 'σ or learning rate',
  population: true,
  usesPool: (cfg) => cfg.es.pool.kind !== 'none',
  workerCap: (cfg) => Math.min(cfg.es.workers || Number.POSITIVE_INFINITY, cfg.es.population),
  summary: (cfg) => [{ label: 'Population', value: String(cfg.es.population) }],
};

const ADAM: OptimizerDescriptor<AdamRunConfig> = {
  id: 'adam',
  label: 'Adam',
  short: 'Adam',
  mark: { colour: '#00bfbf', glyph: '▲', dash: [6, 3] },
  formTitle: 'Adam (backprop through time)',
  blurb: 'backprop through time of the whole rollout, Adam on the gradient (spec d)',
  unit: 'iteration',
  units: 'iterations',
  unitShort: 'it',
  throughput: { key: 'iterationsPerSec', label: 'it/s' },
  defaultPreset: 'thesis-adam',
  sections: [
    { id: 'adam', title: 'Adam', prefix: 'adam.' },
    { id: 'adam-pool', title: 'Sample pool', prefix: 'adam.pool.' },
  ],
  sessionFields: [],
  divergenceHint: 'learning rate',
  population: false,
  usesPool: (cfg) => cfg.adam.pool.kind !== 'none',
  workerCap: (cfg) => cfg.adam.batchSize,
  summary: (cfg) => [{ label: 'Batch', value: String(cfg.adam.batchSize) }],
};

/** The table. Its keys are OPTIMIZER_IDS (training-config.ts), in that order. */
export const OPTIMIZERS: { readonly [K in Optimizer]: OptimizerDescriptor<Extract<RunConfig, { optimizer: K }>> } = { es: ES, adam: ADAM };

/** The row of a config's or a run's optimizer, typed for that config. */
export function optimizerOf<C extends RunConfig>(cfg: C): OptimizerDescriptor<C> {
  return OPTIMIZERS[cfg.optimizer] as unknown as OptimizerDescriptor<C>;
}

/** The row of an optimizer id (a run record's or a model's `optimizer`). */
export function descriptorOf(id: Optimizer): OptimizerDescriptor {
  return OPTIMIZERS[id] as unknown as OptimizerDescriptor;
}

export function isOptimizer(v: unknown): v is Optimizer {
  return typeof v === 'string' && (OPTIMIZER_IDS as readonly string[]).includes(v);
}

/** "es" or "adam" — for messages that list the choices. */
export function optimizerChoicesText(): string {
  return OPTIMIZER_IDS.map((id) => `"${id}"`).join(' or ');
}

/** An optimizer's own config fields (RUN_CONFIG_FIELDS tagged with it). */
export function fieldsOf(id: Optimizer): FieldSpec[] {
  return RUN_CONFIG_FIELDS.filter((f) => f.optimizer === id);
}

/** An optimizer's presets, in PRESETS' order. */
export function presetsOf(id: Optimizer): Preset[] {
  return PRESETS.filter((p) => p.optimizer === id);
}

/** "generation 12" / "iteration 12". */
export function stepText(id: Optimizer, n: number): string {
  return `${OPTIMIZERS[id].unit} ${n}`;
}
