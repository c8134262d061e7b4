/**
 * The config fields of shared/training-config.ts grouped the way the New Run form and the run detail show them.
 * Every field of RUN_CONFIG_FIELDS appears in exactly one section (a test in the e2e suite checks the form shows
 * them all); the Adam learning-rate schedule, which is not a flat field, has its own control.
 */
import { RUN_CONFIG_FIELDS, getPath, type FieldSpec, type Optimizer, type RunConfig } from '@shared/training-config';
import { descriptorOf, fieldsOf, type OptimizerDescriptor, type OptimizerSection } from '@shared/optimizers';

export interface ConfigSection {
  id: string;
  title: string;
  fields: FieldSpec[];
}

/** The sections before and after the optimizer's own (shared/optimizers.ts gives those, by path prefix). */
const BEFORE = [
  { id: 'target', title: 'Target canvas', match: (p: string) => p.startsWith('target.') },
  { id: 'stop', title: 'Stop conditions', match: (p: string) => p.startsWith('stop.') },
];
const AFTER = [
  { id: 'rollout', title: 'Rollouts and seed', match: (p: string) => p === 'seed' || p === 'stepsMin' || p === 'stepsMax' },
  { id: 'model', title: 'Model', match: (p: string) => p.startsWith('model.') },
  { id: 'logging', title: 'Evaluation, checkpoints, workers and compute', match: (p: string, opt: OptimizerDescriptor) => p === 'evalEvery' || p === 'checkpointEvery' || p === 'engine' || opt.sessionFields.includes(p) },
];

/** The optimizer section a field of its own belongs to: the longest prefix that matches, unless shown with the session's. */
function ownSectionOf(path: string, opt: OptimizerDescriptor): string | null {
  if (opt.sessionFields.includes(path)) return null;
  let best: OptimizerSection | null = null;
  for (const s of opt.sections) if (path.startsWith(s.prefix) && (!best || s.prefix.length > best.prefix.length)) best = s;
  return best?.id ?? null;
}

export function configSections(optimizer: Optimizer): ConfigSection[] {
  const opt = descriptorOf(optimizer);
  const common = RUN_CONFIG_FIELDS.filter((f) => !f.optimizer);
  const own = fieldsOf(optimizer);
  const sections: ConfigSection[] = [
    ...BEFORE.map((s) => ({ id: s.id, title: s.title, fields: common.filter((f) => s.match(f.path)) })),
    ...opt.sections.map((s) => ({ id: s.id, title: s.title, fields: own.filter((f) => ownSectionOf(f.path, opt) === s.id) })),
    ...AFTER.map((s) => ({ id: s.id, title: s.title, fields: [...common, ...own].filter((f) => s.match(f.path, opt)) })),
  ];
  return sections.filter((s) => s.fields.length > 0);
}

export function displayValue(field: FieldSpec, config: RunConfig): string {
  const v = getPath(config, field.path);
  if (v === null || v === undefined) return field.kind.startsWith('nullable') ? 'none' : '–';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (field.path === 'es.workers' && v === 0) return '0 (one per core)';
  return String(v);
}

export function scheduleText(config: RunConfig): string | null {
  if (config.optimizer !== 'adam') return null;
  const s = config.adam.schedule;
  return s.kind === 'constant' ? 'constant' : `${config.adam.lr} → ${s.after} after iteration ${s.boundary}`;
}
