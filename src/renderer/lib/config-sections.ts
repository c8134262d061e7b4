/**
 * The config fields of shared/training-config.ts grouped the way the New Run form and the run detail show them.
 * Every field of RUN_CONFIG_FIELDS appears in exactly one section (a test in the e2e suite checks the form shows
 * them all); the Adam learning-rate schedule, which is not a flat field, has its own control.
 */
import { RUN_CONFIG_FIELDS, getPath, type FieldSpec, type Optimizer, type RunConfig } from '@shared/training-config';

export interface ConfigSection {
  id: string;
  title: string;
  fields: FieldSpec[];
}

const SECTIONS: { id: string; title: string; match: (path: string) => boolean }[] = [
  { id: 'target', title: 'Target canvas', match: (p) => p.startsWith('target.') },
  { id: 'stop', title: 'Stop conditions', match: (p) => p.startsWith('stop.') },
  { id: 'es', title: 'Evolution Strategies', match: (p) => p.startsWith('es.') && !p.startsWith('es.decay.') && !p.startsWith('es.pool.') && p !== 'es.workers' },
  { id: 'es-pool', title: 'Sample pool', match: (p) => p.startsWith('es.pool.') },
  { id: 'es-decay', title: 'Learning-rate decay (c.5)', match: (p) => p.startsWith('es.decay.') },
  { id: 'adam', title: 'Adam', match: (p) => p.startsWith('adam.') && !p.startsWith('adam.pool.') },
  { id: 'adam-pool', title: 'Sample pool', match: (p) => p.startsWith('adam.pool.') },
  { id: 'rollout', title: 'Rollouts and seed', match: (p) => p === 'seed' || p === 'stepsMin' || p === 'stepsMax' },
  { id: 'model', title: 'Model', match: (p) => p.startsWith('model.') },
  { id: 'logging', title: 'Evaluation, checkpoints and workers', match: (p) => p === 'evalEvery' || p === 'checkpointEvery' || p === 'es.workers' },
];

export function configSections(optimizer: Optimizer): ConfigSection[] {
  return SECTIONS.map((s) => ({
    id: s.id,
    title: s.title,
    fields: RUN_CONFIG_FIELDS.filter((f) => s.match(f.path) && (!f.optimizer || f.optimizer === optimizer)),
  })).filter((s) => s.fields.length > 0);
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
