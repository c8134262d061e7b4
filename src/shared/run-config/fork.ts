/**
 * What a fork keeps from the run it continues: it starts from one of that run's checkpoints, so the parameters and
 * the states in it must fit the new config. Everything else of the config (stop conditions, every hyperparameter)
 * the fork may change; the service refuses a fork that changes a kept setting, and the fork dialog shows them
 * fixed. The optimizer is kept too (a checkpoint holds one optimizer's state).
 */
import { getPath } from './paths';
import type { RunConfig } from './config';

export interface ForkKept {
  /** what is kept, in the refusal ("the model's shape") */
  what: string;
  /** the settings it consists of */
  paths: readonly string[];
  /** why the fork keeps it */
  why: string;
}

export const FORK_KEPT: readonly ForkKept[] = [
  { what: "the model's shape", paths: ['model.channels', 'model.hidden', 'model.bias1', 'model.bias2'], why: "the checkpoint's parameters must fit" },
  { what: 'the target canvas', paths: ['target.size', 'target.padding'], why: "the checkpoint's states must fit" },
  { what: 'the initialisation', paths: ['model.init'], why: 'the parameters come from the checkpoint' },
];

/** Why a fork cannot change the setting at `path` (null: it can). */
export function forkKeeps(path: string): ForkKept | null {
  return FORK_KEPT.find((k) => k.paths.includes(path)) ?? null;
}

/** The refusal for a fork config that changes what a fork keeps (null: it fits the source's checkpoints). */
export function forkConfigRefusal(source: RunConfig, config: RunConfig): string | null {
  if (config.optimizer !== source.optimizer) {
    return `a fork keeps the optimizer: the source is an ${source.optimizer} run, the new config is ${config.optimizer}`;
  }
  for (const kept of FORK_KEPT) {
    const changed = kept.paths.filter((p) => getPath(source, p) !== getPath(config, p));
    if (changed.length === 0) continue;
    const was = kept.paths.map((p) => `${p} ${String(getPath(source, p))}`).join(', ');
    return `a fork keeps ${kept.what} (${was}): ${kept.why}; the new config changes ${changed.join(', ')}`;
  }
  return null;
}
