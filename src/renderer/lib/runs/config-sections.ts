/**
 * The config fields of shared/training-config.ts grouped the way the New Run form and the run detail show them.
 * Every field of RUN_CONFIG_FIELDS appears in exactly one section (a test in the e2e suite checks the form shows
 * them all); a field shows while it applies to the config (`fieldApplies`: the Adam schedule's boundary only while
 * it is piecewise), and an ES rule's own section is shown with the essentials while that rule is chosen.
 */
import { RUN_CONFIG_FIELDS, fieldApplies, fieldValueText, getPath, type FieldSpec, type Optimizer, type RunConfig } from '@shared/training-config';
import { descriptorOf, fieldsOf, type OptimizerDescriptor, type OptimizerSection } from '@shared/optimizers';

export interface ConfigSection {
  id: string;
  title: string;
  fields: FieldSpec[];
  /** the ES update rule whose own settings it holds */
  rule?: string;
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
    ...opt.sections.map((s) => ({ id: s.id, title: s.title, rule: s.rule, fields: own.filter((f) => ownSectionOf(f.path, opt) === s.id) })),
    ...AFTER.map((s) => ({ id: s.id, title: s.title, fields: [...common, ...own].filter((f) => s.match(f.path, opt)) })),
  ];
  return sections.filter((s) => s.fields.length > 0);
}

/** A section's fields that apply to this config, in the table's order. */
export function fieldsShown(section: ConfigSection, config: RunConfig): FieldSpec[] {
  return section.fields.filter((f) => fieldApplies(f, config));
}

/** Whether a section holds the settings of the ES update rule the config has chosen. */
export function isChosenRule(section: ConfigSection, config: RunConfig): boolean {
  return !!section.rule && config.optimizer === 'es' && config.es.update === section.rule;
}

export function displayValue(field: FieldSpec, config: RunConfig): string {
  return fieldValueText(field, getPath(config, field.path));
}
