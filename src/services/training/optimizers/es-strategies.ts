/**
 * Which ES strategy (core/es/strategy.ts) a run's `es.update` names, and how its settings come from the run's
 * config. Adding an update rule: a pure module under core/es implementing EsStrategy (with tests), its name in
 * ES_UPDATE_RULES (shared/training-config.ts) and a row here.
 */
import type { EsRunConfig, EsUpdateRule } from '../../../shared/training-config';
import { DecayedEsUpdate, type DecayedEsUpdateSettings, type EsStrategy, type EsStrategyFactory } from '../../../core/es/strategy';
import { OpenAiAdamStrategy } from '../../../core/es/openai-adam';
import { PgpeStrategy } from '../../../core/es/pgpe';
import { SnesStrategy } from '../../../core/es/snes';

export interface EsStrategyEntry {
  create(cfg: EsRunConfig, center: Float32Array): EsStrategy;
  restore(cfg: EsRunConfig, center: Float32Array, state: { arrays: Record<string, Float32Array>; scalars: Record<string, unknown> }): EsStrategy;
}

/** Binds a strategy's factory to the function that reads its settings from a run config. */
export function strategyEntry<S>(factory: EsStrategyFactory<S>, settingsOf: (cfg: EsRunConfig) => S): EsStrategyEntry {
  return {
    create: (cfg, center) => factory.create(settingsOf(cfg), center),
    restore: (cfg, center, state) => factory.restore(settingsOf(cfg), center, state),
  };
}

/** c.4 in either form, with the c.5 decay: the thesis's ES. */
function decayedUpdateSettings(cfg: EsRunConfig): DecayedEsUpdateSettings {
  const es = cfg.es;
  return { form: es.update as DecayedEsUpdateSettings['form'], lr: es.lr, sigma: es.sigma, decay: es.decay };
}

export const ES_STRATEGIES: Record<EsUpdateRule, EsStrategyEntry> = {
  thesis: strategyEntry(DecayedEsUpdate.factory, decayedUpdateSettings),
  salimans: strategyEntry(DecayedEsUpdate.factory, decayedUpdateSettings),
  'openai-adam': strategyEntry(OpenAiAdamStrategy.factory, ({ es }) => ({ sigma: es.sigma, lr: es.lr, ...es.adam, decay: es.decay })),
  pgpe: strategyEntry(PgpeStrategy.factory, ({ es }) => ({ sigma: es.sigma, centerLr: es.lr, ...es.pgpe, decay: es.decay })),
  snes: strategyEntry(SnesStrategy.factory, ({ es }) => ({ sigma: es.sigma, centerLr: es.lr, sigmaLr: es.snes.sigmaLr })),
};

export function esStrategyFor(cfg: EsRunConfig): EsStrategyEntry {
  const entry = ES_STRATEGIES[cfg.es.update];
  if (!entry) throw new Error(`es.update: no ES strategy is called "${String(cfg.es.update)}"`);
  return entry;
}
