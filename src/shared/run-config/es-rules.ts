/**
 * The ES update rules, one row each (as evosax's registry): its id (the value of `es.update`), what it is, its
 * own settings (a group under `es.<group>`, each field with its label, range and published default), the rules
 * they must follow, and how a run's config becomes the settings of its ask/tell strategy (core/es/strategy.ts).
 * The config's type, the field table, the form's sections, the CLI's --set, validation and the training session
 * all read these rows.
 *
 * Adding a rule: a pure module under core/es implementing EsStrategy with its factory, a row here, a test.
 */
import { DecayedEsUpdate, type EsStrategy, type EsStrategyFactory } from '../../core/es/strategy';
import { OpenAiAdamStrategy } from '../../core/es/openai-adam';
import { PgpeStrategy } from '../../core/es/pgpe';
import { SnesStrategy } from '../../core/es/snes';
import { beforeValues, field, type Group, type Infer } from './fields';
import type { CommonConfig, ConfigProblem } from './common';
import { ES_BASE_FIELDS, type EsBaseSettings } from './es-settings';

/** What a rule's mapping and rules see of a config: every common and base ES setting, and its own group. */
type RuleConfig<K extends string, G extends Group> = CommonConfig & { es: EsBaseSettings & { [P in K]: Infer<G> } };

/** A strategy bound to the function that reads its settings from a run config. */
export interface EsStrategyEntry {
  create(cfg: CommonConfig & { es: EsBaseSettings }, center: Float32Array): EsStrategy;
  restore(cfg: CommonConfig & { es: EsBaseSettings }, center: Float32Array, state: { arrays: Record<string, Float32Array>; scalars: Record<string, unknown> }): EsStrategy;
}

export interface EsRuleRow<Id extends string = string, K extends string = string, G extends Group = Group> {
  id: Id;
  /** its section's title in the form and on the run page */
  label: string;
  /** a few words for the update field's help */
  summary: string;
  /** its settings, under `es.<group>`; every field has a `before` (the published default, which configs from before the rule get) */
  group?: K;
  fields?: G;
  problems(cfg: RuleConfig<K, G>): ConfigProblem[];
  strategy: EsStrategyEntry;
  /** the type of its settings group, for inference only (never set) */
  $settings?: { [P in K]: Infer<G> };
}

function esRule<const Id extends string, S, const K extends string = never, const G extends Group = Record<never, never>>(row: {
  id: Id;
  label: string;
  summary: string;
  group?: K;
  fields?: G;
  factory: EsStrategyFactory<S>;
  settings: (cfg: RuleConfig<K, G>) => S;
  problems?: (cfg: RuleConfig<K, G>) => ConfigProblem[];
}): EsRuleRow<Id, K, G> {
  const settingsOf = (cfg: CommonConfig & { es: EsBaseSettings }) => row.settings(cfg as RuleConfig<K, G>);
  return {
    id: row.id, label: row.label, summary: row.summary, group: row.group, fields: row.fields,
    problems: row.problems ?? (() => []),
    strategy: {
      create: (cfg, center) => row.factory.create(settingsOf(cfg), center),
      restore: (cfg, center, state) => row.factory.restore(settingsOf(cfg), center, state),
    },
  };
}

/** σ is the strategy's own: σ following α would fight it. */
const fixedSigmaPower = (name: string) => (cfg: RuleConfig<never, Record<never, never>>): ConfigProblem[] =>
  cfg.es.decay.sigmaPower !== 0 ? [{ field: 'es.decay.sigmaPower', message: `must be 0 with ${name}, which adapts σ itself, got ${cfg.es.decay.sigmaPower}` }] : [];

export const ES_RULES = [
  // c.4 in the code's form, with the c.5 decay: the thesis's ES
  esRule({
    id: 'thesis', label: 'Thesis update', summary: 'c.4 thesis (σ cancels)', factory: DecayedEsUpdate.factory,
    settings: ({ es }) => ({ form: 'thesis' as const, lr: es.lr, sigma: es.sigma, decay: es.decay }),
  }),
  // c.4 as Salimans et al. write it: θ += α/(nσ)·Σ u_i ε_i
  esRule({
    id: 'salimans', label: 'Salimans update', summary: 'c.4 textbook (Salimans et al.)', factory: DecayedEsUpdate.factory,
    settings: ({ es }) => ({ form: 'salimans' as const, lr: es.lr, sigma: es.sigma, decay: es.decay }),
  }),
  // OpenAI-ES with Adam on the gradient estimate (core/es/openai-adam.ts); the starter code's defaults
  esRule({
    id: 'openai-adam', label: 'OpenAI-ES with Adam', summary: 'OpenAI-ES with Adam', factory: OpenAiAdamStrategy.factory, group: 'adam',
    fields: {
      beta1: field.number({ label: 'Adam β1 (OpenAI-ES)', help: '0.9' }, { min: 0, max: 0.9999 }, { before: 0.9 }),
      beta2: field.number({ label: 'Adam β2 (OpenAI-ES)', help: '0.999' }, { min: 0, max: 0.99999 }, { before: 0.999 }),
      epsilon: field.number({ label: 'Adam ε (OpenAI-ES)', help: '1e-8' }, { min: 0, max: 1, exclusiveMin: true }, { before: 1e-8 }),
      weightDecay: field.number({ label: 'L2 weight decay (OpenAI-ES)', help: 'λ in −g + λθ (starter code 0.005)' }, { min: 0, max: 1 }, { before: 0.005 }),
    },
    settings: ({ es }) => ({ sigma: es.sigma, lr: es.lr, ...es.adam, decay: es.decay }),
  }),
  // PGPE with ClipUp or Adam (core/es/pgpe.ts); Toklu et al.'s momentum, EvoJAX's σ rate and cap
  esRule({
    id: 'pgpe', label: 'PGPE', summary: 'PGPE', factory: PgpeStrategy.factory, group: 'pgpe',
    fields: {
      optimizer: field.choice(['clipup', 'adam'], { label: 'PGPE centre optimiser', help: 'ClipUp (Toklu et al. 2020) or Adam; step size = α' }, { before: 'clipup' }),
      maxSpeed: field.number({ label: 'ClipUp max speed (PGPE)', help: 'Toklu et al.: 2 × α' }, { min: 0, max: 100, exclusiveMin: true }, { before: 0.02 }),
      momentum: field.number({ label: 'ClipUp momentum (PGPE)', help: '0.9' }, { min: 0, max: 0.9999 }, { before: 0.9 }),
      sigmaLr: field.number({ label: 'σ learning rate (PGPE)', help: 'EvoJAX 0.1; 0 keeps σ fixed' }, { min: 0, max: 100 }, { before: 0.1 }),
      sigmaMaxChange: field.number({ label: 'σ max change (PGPE)', help: 'fraction per generation (0.2)' }, { min: 0, max: 1 }, { before: 0.2 }),
    },
    settings: ({ es }) => ({ sigma: es.sigma, centerLr: es.lr, ...es.pgpe, decay: es.decay }),
    problems: (cfg) => [
      ...fixedSigmaPower('PGPE')(cfg),
      ...(cfg.es.mirrored ? [] : [{ field: 'es.mirrored', message: 'PGPE needs mirrored sampling (its symmetric pairs)' }]),
    ],
  }),
  // SNES (core/es/snes.ts): η_μ = es.lr, initial σ = es.sigma
  esRule({
    id: 'snes', label: 'SNES', summary: 'SNES', factory: SnesStrategy.factory, group: 'snes',
    fields: {
      sigmaLr: field.nullableNumber({ label: 'σ learning rate (SNES)', help: 'empty = the paper\'s (3 + ln d)/(5√d)' }, { min: 0, max: 10, exclusiveMin: true }, { before: null }),
    },
    settings: ({ es }) => ({ sigma: es.sigma, centerLr: es.lr, sigmaLr: es.snes.sigmaLr }),
    problems: fixedSigmaPower('SNES'),
  }),
] as const;

export type EsUpdateRule = (typeof ES_RULES)[number]['id'];
export const ES_UPDATE_RULES = ES_RULES.map((r) => r.id) as readonly EsUpdateRule[];

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type RuleSettings = UnionToIntersection<NonNullable<(typeof ES_RULES)[number]['$settings']>>;

/** Every ES run's settings: the common ES ones, the update rule, and every rule's own group. */
type AllEsSettings = { update: EsUpdateRule } & EsBaseSettings & RuleSettings;
export type EsSettings = { [K in keyof AllEsSettings]: AllEsSettings[K] };

/** The whole `es` part of the config: the rule first (it decides what the rest means), then the base, then each rule's group. */
export const ES_FIELDS: Group = {
  update: field.choice(ES_UPDATE_RULES, { label: 'Update rule', help: ES_RULES.map((r) => r.summary).join('; ') }),
  ...ES_BASE_FIELDS,
  ...Object.fromEntries(ES_RULES.flatMap((r): [string, Group][] => (r.group && r.fields ? [[r.group, r.fields]] : []))),
};

export function esRuleOf(id: string): EsRuleRow | undefined {
  return (ES_RULES as readonly EsRuleRow[]).find((r) => r.id === id);
}

/** The strategy of a run's `es.update`. */
export function esStrategyFor(cfg: CommonConfig & { es: EsBaseSettings & { update: string } }): EsStrategyEntry {
  const row = esRuleOf(cfg.es.update);
  if (!row) throw new Error(`es.update: no ES strategy is called "${String(cfg.es.update)}"`);
  return row.strategy;
}

/** A rule's settings group as its published defaults (each field's `before`). */
export function esRuleDefaults<K extends keyof RuleSettings>(group: K): RuleSettings[K] {
  const row = (ES_RULES as readonly EsRuleRow[]).find((r) => r.group === group);
  if (!row?.fields) throw new Error(`no ES rule has the settings group "${String(group)}"`);
  return beforeValues(row.fields) as RuleSettings[K];
}

/** Every rule's settings group at its published defaults: what every ES preset starts from. */
export function esRuleGroupDefaults(): RuleSettings {
  return Object.fromEntries(ES_RULES.flatMap((r): [string, unknown][] => (r.group && r.fields ? [[r.group, beforeValues(r.fields)]] : []))) as RuleSettings;
}
