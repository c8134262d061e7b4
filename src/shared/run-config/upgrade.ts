/**
 * A config written by an earlier version of the lab (run.json, model.json, a checkpoint's header), brought up to
 * this version's shape where it is loaded: every field added since gets its row's `before`, the value that
 * reproduces what the lab did before the field existed (the thesis's objective, the thresholds decay with σ
 * fixed, each ES rule's published defaults), and `startFrom` is null (runs started from a fresh initialisation
 * before fine-tuning). So an old run validates, trains and resumes on the trajectory it had. It returns a new
 * object; what is not a config's shape is returned as it is, for validation to name.
 */
import { isRecord } from '../validate';
import { OPTIMIZER_IDS } from './optimizer-ids';
import { fieldsFor } from './config';

/** Sets `value` at `path` if it is absent, creating missing groups inside a part the config has. */
function fillIn(cfg: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  // a missing part of the config itself (`es`, `model`) stays missing: validation names it
  if (keys.length > 0 && !isRecord(cfg[keys[0]])) return;
  let o = cfg;
  for (const k of keys) {
    if (o[k] === undefined) o[k] = {};
    if (!isRecord(o[k])) return;
    o = o[k] as Record<string, unknown>;
  }
  if (o[last] === undefined) o[last] = structuredClone(value);
}

export function upgradeRunConfig(raw: unknown): unknown {
  if (!isRecord(raw)) return raw;
  const cfg = structuredClone(raw);
  if (cfg.startFrom === undefined) cfg.startFrom = null;
  if (!(OPTIMIZER_IDS as readonly unknown[]).includes(cfg.optimizer)) return cfg;
  for (const f of fieldsFor(cfg.optimizer as (typeof OPTIMIZER_IDS)[number])) if (f.before !== undefined) fillIn(cfg, f.path, f.before);
  return cfg;
}
