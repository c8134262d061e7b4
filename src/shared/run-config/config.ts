/**
 * A run's configuration: the common settings (common.ts) and its optimizer's (ES: es-settings.ts with the
 * update rules of es-rules.ts; Adam: adam.ts), and the field table every boundary reads. `RUN_CONFIG_FIELDS` has
 * one row per setting, addressed by its dotted path (paths.ts), with its label, kind, range, help, the optimizer
 * (and ES rule) that owns it, when it applies and the CLI flags that set it: the New Run form and the run page show
 * it, `nca-lab train` parses --set and its flags with it, validation checks every row, and a sweep can take any
 * row as an axis.
 */
import { OPTIMIZER_IDS, type Optimizer } from './optimizer-ids';
import { containerPaths, flattenFields, type ConfigNode, type FieldSpec, type Group } from './fields';
import { COMMON_FIELDS, type CommonConfig } from './common';
import { ES_FIELDS, ES_RULES, type EsSettings } from './es-rules';
import { ADAM_FIELDS, type AdamRecipe } from './adam';
import { getPath } from './paths';

export { OPTIMIZER_IDS, type Optimizer };

export interface EsRunConfig extends CommonConfig {
  optimizer: 'es';
  /** the preset it started from (presets.ts); runs record it */
  preset: string;
  es: EsSettings;
}
export interface AdamRunConfig extends CommonConfig {
  optimizer: 'adam';
  preset: string;
  adam: AdamRecipe;
}
export type RunConfig = EsRunConfig | AdamRunConfig;

/** Each optimizer's settings, under the key named by its id. */
export const OPTIMIZER_FIELDS: { readonly [K in Optimizer]: Group } = { es: ES_FIELDS, adam: ADAM_FIELDS };

/** The rule each field of a rule's own group belongs to (`es.pgpe.*` → pgpe). */
const ruleOfPath = (path: string): string | undefined => ES_RULES.find((r) => r.group && path.startsWith(`es.${r.group}.`))?.id;

/** Every setting of every run config, the common ones first. */
export const RUN_CONFIG_FIELDS: readonly FieldSpec[] = [
  ...flattenFields(COMMON_FIELDS, ''),
  ...OPTIMIZER_IDS.flatMap((id) => flattenFields(OPTIMIZER_FIELDS[id], id, { optimizer: id }).map((f) => {
    const rule = ruleOfPath(f.path);
    return rule ? { ...f, rule } : f;
  })),
];

export function fieldByPath(path: string): FieldSpec | undefined {
  return RUN_CONFIG_FIELDS.find((f) => f.path === path);
}

/** The fields of one optimizer's config (the common ones and its own). */
export function fieldsFor(optimizer: Optimizer): FieldSpec[] {
  return RUN_CONFIG_FIELDS.filter((f) => !f.optimizer || f.optimizer === optimizer);
}

/** Whether a field applies to this config: its optimizer's, and its condition holds (the schedule's boundary only while piecewise). */
export function fieldApplies(f: FieldSpec, cfg: RunConfig): boolean {
  if (f.optimizer && f.optimizer !== cfg.optimizer) return false;
  return !f.when || getPath(cfg, f.when.path) === f.when.equals;
}

/** The parts of an optimizer's config that must be objects or lists before its fields can be read, outermost first. */
export function containersOf(optimizer: Optimizer): { path: string; list: boolean }[] {
  return [...containerPaths(COMMON_FIELDS as unknown as ConfigNode, ''), ...containerPaths(OPTIMIZER_FIELDS[optimizer], optimizer)];
}
