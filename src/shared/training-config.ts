/**
 * A training run's configuration, declared once in src/shared/run-config/ and used at every boundary (CLI flags,
 * IPC, run.json and model.json on disk, the cluster, the New Run form, the run page):
 *
 *   fields.ts       what a setting is (kind, range, label, help, its value for older configs, its CLI flags),
 *                   the type inference, the field checks and text parsing
 *   paths.ts        dotted paths (`es.decay.thresholds.0`) that address every setting
 *   common.ts       the settings every run has (target, model, seed, rollouts, stop, evaluation, checkpoints)
 *   es-settings.ts  the settings every ES run has
 *   es-rules.ts     the ES update rules, one row each: own settings, rules, strategy mapping
 *   adam.ts         the Adam recipe, the learning-rate schedule included
 *   config.ts       the config types and the field table (RUN_CONFIG_FIELDS)
 *   validate.ts     configProblems / validateRunConfig (never change their input)
 *   upgrade.ts      an older config brought to this version's shape, where it is loaded
 *   edit.ts         one setting changed on a copy (the form, --set, sweeps)
 *   fork.ts         what a fork keeps from the run it continues (the rest it may change)
 *   presets.ts      the named configs (spec section 0)
 */
export { OPTIMIZER_IDS, type Optimizer } from './run-config/optimizer-ids';
export {
  ConfigError, checkField, fieldValueText, parseFieldText, rangeText,
  type FieldCondition, type FieldKind, type FieldSpec,
} from './run-config/fields';
export { getPath, setPath } from './run-config/paths';
export { COMMON_FIELDS, ncaConfigOf, type CommonConfig, type ConfigProblem, type ModelSettings, type StopConditions, type TargetRef } from './run-config/common';
export { ES_POOL_KINDS, type EsObjective, type EsPoolKind } from './run-config/es-settings';
export { ES_RULES, ES_UPDATE_RULES, esRuleDefaults, esRuleOf, esStrategyFor, type EsRuleRow, type EsSettings, type EsStrategyEntry, type EsUpdateRule } from './run-config/es-rules';
export { ADAM_POOL_KINDS, type AdamRecipe } from './run-config/adam';
export {
  RUN_CONFIG_FIELDS, containersOf, fieldApplies, fieldByPath, fieldsFor,
  type AdamRunConfig, type EsRunConfig, type RunConfig,
} from './run-config/config';
export { configProblems, validateRunConfig } from './run-config/validate';
export { upgradeRunConfig } from './run-config/upgrade';
export { withFieldText, withFieldValue } from './run-config/edit';
export { FORK_KEPT, forkConfigRefusal, forkKeeps, type ForkKept } from './run-config/fork';
export { PRESETS, configFromPreset, presetByName, type Preset } from './run-config/presets';
export type { AdamSettings, AdamPoolKind } from '../core/adam/settings';
