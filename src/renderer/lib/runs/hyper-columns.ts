/**
 * Hyperparameter columns of the Runs table, chosen by the user (as in W&B's run table): any config
 * field the New Run form knows (shared/training-config.ts's RUN_CONFIG_FIELDS), shown per run, the choice kept in
 * this browser's storage so it survives a reload.
 */
import { getPath, RUN_CONFIG_FIELDS } from '@shared/training-config';
import type { RunConfig } from '@shared/training-config';
import { OPTIMIZERS } from '@shared/optimizers';

export const HYPER_COLUMNS_KEY = 'nca-lab:runs-hyper-columns';

export interface HyperColumn {
  path: string;
  /** "Population (ES)", "Learning rate (Adam)" */
  label: string;
  help: string;
}

export const HYPER_COLUMNS: HyperColumn[] = RUN_CONFIG_FIELDS.map((f) => ({
  path: f.path,
  label: f.label + (f.optimizer ? ` (${OPTIMIZERS[f.optimizer].short})` : ''),
  help: f.help,
}));

const known = new Set(HYPER_COLUMNS.map((c) => c.path));

/** A run's value of a column: the config's number, yes/no, a choice; '–' where the field is not the run's optimizer's. */
export function hyperValue(config: RunConfig, path: string): string {
  const field = RUN_CONFIG_FIELDS.find((f) => f.path === path);
  if (field?.optimizer && field.optimizer !== config.optimizer) return '–';
  const v = getPath(config, path);
  if (v === undefined) return '–';
  if (v === null) return 'none';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : String(Number(v.toPrecision(6)));
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/**
 * A run's value of a column as it sorts: the number itself (yes before no, none and not-this-optimizer last), a
 * choice by its text.
 */
export function hyperSortValue(config: RunConfig, path: string): number | string {
  const field = RUN_CONFIG_FIELDS.find((f) => f.path === path);
  if (field?.optimizer && field.optimizer !== config.optimizer) return Number.POSITIVE_INFINITY;
  const v = getPath(config, path);
  if (v === undefined || v === null) return Number.POSITIVE_INFINITY;
  if (typeof v === 'boolean') return v ? 0 : 1;
  if (typeof v === 'number') return v;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The columns chosen before (unknown paths dropped), in the order they were chosen. */
export function loadHyperColumns(storage: Pick<Storage, 'getItem'> = localStorage): string[] {
  try {
    const v = JSON.parse(storage.getItem(HYPER_COLUMNS_KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string' && known.has(p)) : [];
  } catch {
    return [];
  }
}

export function saveHyperColumns(paths: string[], storage: Pick<Storage, 'setItem'> = localStorage): void {
  storage.setItem(HYPER_COLUMNS_KEY, JSON.stringify(paths.filter((p) => known.has(p))));
}
