/**
 * Runs that differ only in their seed, as one group (W&B's grouped runs): the Overlay draws them as one curve with
 * a mean and a min–max band (core/stats/seed-bands.ts), the Runs table as one expandable row. "Only in the seed"
 * leaves out, beside the seed, what does not change a run's trajectory: how long it ran (the stop conditions),
 * how often it was evaluated and checkpointed, how many worker processes shared it (ES is bit for bit the same on
 * any number, docs/architecture.md "Determinism"), and the preset's name.
 */
import { groupBy, type Group } from '../core/stats/groups';
import type { RunConfig } from './training-config';

const NOT_THE_EXPERIMENT: readonly string[] = ['seed', 'stop', 'evalEvery', 'checkpointEvery', 'preset', 'es.workers'];

const SKIPPED = new Set(NOT_THE_EXPERIMENT);

/**
 * JSON with object keys sorted at every level (configs written by different labs list fields in other orders),
 * the skipped paths left out. Reads the config without copying it (the window's are reactive proxies).
 */
function canonical(v: unknown, path: string): string {
  if (Array.isArray(v)) return `[${v.map((x, i) => canonical(x, `${path}.${i}`)).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).sort().filter((k) => !SKIPPED.has(path ? `${path}.${k}` : k));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k], path ? `${path}.${k}` : k)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The same key for two configs exactly when they differ at most in the seed and the settings above. */
export function seedGroupKey(config: RunConfig): string {
  return canonical(config, '');
}

/** Runs (anything with a config) in seed groups, groups in first-seen order, members in the order given. */
export function seedGroups<T extends { config: RunConfig }>(runs: readonly T[]): Group<T>[] {
  return groupBy(runs, (r) => seedGroupKey(r.config));
}
