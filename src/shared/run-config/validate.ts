/**
 * Whether a run config is valid, with every problem named by its field's dotted path and the allowed range. It
 * reads the config and never changes it: a config written by an earlier lab is upgraded first, explicitly, where
 * it is loaded (upgrade.ts). The order: the optimizer, then the shape (every group an object, every list a list,
 * so no check trips over a missing part), then each field against its row, then the rules between fields
 * (common.ts, the optimizer's, and the ES update rule's own).
 */
import { describeValue, isRecord } from '../validate';
import { startModelProblem } from '../start-model';
import { OPTIMIZER_IDS } from './optimizer-ids';
import { checkField, ConfigError } from './fields';
import { getPath } from './paths';
import { commonProblems, type ConfigProblem } from './common';
import { esBaseProblems } from './es-settings';
import { esRuleOf } from './es-rules';
import { adamProblems } from './adam';
import { containersOf, fieldApplies, fieldsFor, type AdamRunConfig, type EsRunConfig, type RunConfig } from './config';

/** The rules between an optimizer's fields, once every field is in range. */
const OPTIMIZER_PROBLEMS: { [K in RunConfig['optimizer']]: (cfg: Extract<RunConfig, { optimizer: K }>) => ConfigProblem[] } = {
  es: (cfg: EsRunConfig) => [...esBaseProblems(cfg), ...(esRuleOf(cfg.es.update)?.problems(cfg as never) ?? [])],
  adam: (cfg: AdamRunConfig) => adamProblems(cfg),
};

/** Every problem with a config, as {field, message}; empty when valid. For the form's inline errors. */
export function configProblems(cfg: RunConfig): ConfigProblem[] {
  const raw: unknown = cfg;
  if (!isRecord(raw) || !(OPTIMIZER_IDS as readonly unknown[]).includes(raw.optimizer)) {
    return [{ field: 'optimizer', message: `must be ${OPTIMIZER_IDS.map((id) => `"${id}"`).join(' or ')}, got ${describeValue(isRecord(raw) ? raw.optimizer : raw)}` }];
  }
  for (const { path, list } of containersOf(cfg.optimizer)) {
    const v = getPath(cfg, path);
    if (list ? !Array.isArray(v) : !isRecord(v)) return [{ field: path, message: `must be ${list ? 'a list' : 'an object'}, got ${describeValue(v)}` }];
  }
  const out: ConfigProblem[] = [];
  if (typeof cfg.target.name !== 'string' || cfg.target.name.trim() === '') out.push({ field: 'target.name', message: 'must name a built-in target or an image file' });
  const start = startModelProblem(cfg.startFrom);
  if (start) out.push(start);
  for (const f of fieldsFor(cfg.optimizer)) {
    if (!fieldApplies(f, cfg)) continue;
    const msg = checkField(f, getPath(cfg, f.path));
    if (msg) out.push({ field: f.path, message: msg });
  }
  if (out.length) return out;
  return [...commonProblems(cfg), ...(OPTIMIZER_PROBLEMS[cfg.optimizer] as (c: RunConfig) => ConfigProblem[])(cfg)];
}

/** The config, or a ConfigError naming its first problem. */
export function validateRunConfig<C extends RunConfig>(cfg: C): C {
  const problems = configProblems(cfg);
  if (problems.length) throw new ConfigError(problems[0].field, problems[0].message);
  return cfg;
}
