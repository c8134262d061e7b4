/**
 * Changing one setting of a config the way the New Run form, `nca-lab train --set PATH=VALUE` and a sweep change
 * it: by dotted path (paths.ts), on a copy. Switching a variant's kind (the Adam schedule) replaces its group with
 * that option's defaults, the same in the form and on the command line; a field of another optimizer, or one that
 * does not apply now (the schedule's boundary while it is constant), is refused naming why.
 */
import { ConfigError, parseFieldText, type FieldSpec } from './fields';
import { getPath, setPath } from './paths';
import { fieldApplies, fieldByPath, type RunConfig } from './config';

function settable(cfg: RunConfig, path: string): FieldSpec {
  const f = fieldByPath(path);
  if (!f) throw new ConfigError(path, 'no such setting');
  if (f.optimizer && f.optimizer !== cfg.optimizer) throw new ConfigError(path, `is a setting of ${f.optimizer} runs, this is an ${cfg.optimizer} run`);
  if (!fieldApplies(f, cfg)) throw new ConfigError(path, `applies only while ${f.when!.path} is ${f.when!.equals}`);
  return f;
}

/** A copy of the config with the field at `path` set to `value` (not checked against the field's range: validation does that). */
export function withFieldValue<C extends RunConfig>(cfg: C, path: string, value: unknown): C {
  const f = settable(cfg, path);
  const next = structuredClone(cfg);
  if (f.variants && typeof value === 'string' && value in f.variants) {
    const group = path.slice(0, path.lastIndexOf('.'));
    if (getPath(cfg, path) !== value) setPath(next, group, { kind: value, ...structuredClone(f.variants[value]) });
    return next;
  }
  setPath(next, path, value);
  return next;
}

/** A copy of the config with the field at `path` set from text, parsed by its row (a misspelt choice names the allowed ones). */
export function withFieldText<C extends RunConfig>(cfg: C, path: string, text: string): C {
  return withFieldValue(cfg, path, parseFieldText(settable(cfg, path), text));
}
