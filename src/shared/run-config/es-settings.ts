/**
 * The settings every ES run has, whatever its update rule (spec c): the population and its sampling (c.1, c.2),
 * the step size and σ, the sample pool (spec e), the decay of α (c.5, or the lab's plateau rule), the objective a
 * member is scored on, and the workers. The update rule (`es.update`) and each rule's own settings are the rows of
 * es-rules.ts.
 */
import { DECAY_RULES } from '../../core/es/decay';
import { field, type Infer } from './fields';
import type { CommonConfig, ConfigProblem } from './common';

/** Sample-pool variants (spec e). */
export const ES_POOL_KINDS = ['none', 'thesis', 'mordvintsev'] as const;

export const ES_BASE_FIELDS = {
  population: field.int({ label: 'Population', help: 'members per generation; even when mirrored' }, { min: 2, max: 100000 }),
  sigma: field.number({ label: 'σ (noise std)', help: '0.01 in the thesis; the initial σ of PGPE and SNES' }, { min: 0, max: 10, exclusiveMin: true }),
  lr: field.number({ label: 'α (learning rate)', help: '0.005 in the thesis; Adam\'s or ClipUp\'s step size; SNES η_μ (1)' }, { min: 0, max: 100, exclusiveMin: true }),
  /** antithetic pairs θ ± σz (c.2) */
  mirrored: field.bool({ label: 'Mirrored sampling', help: 'antithetic pairs θ ± σz' }),
  commonRandomNumbers: field.bool({ label: 'Common random numbers', help: 'mirrored pairs share steps and fire masks' }),
  /** c.1: each member draws its own step count; off = one draw per generation */
  perMemberSteps: field.bool({ label: 'Per-member step count', help: 'each member draws its own 30–39 (c.1)' }),
  /** samples per member rollout (1 reproduces the thesis's never-read pool, h.1) */
  batchSize: field.int({ label: 'Batch size', help: '1 reproduces the thesis (its pool is never read)' }, { min: 1, max: 1024 }),
  pool: {
    kind: field.choice(ES_POOL_KINDS, { label: 'Sample pool', help: 'spec e' }),
    size: field.int({ label: 'Pool size', help: '1024' }, { min: 1, max: 65536 }),
  },
  /**
   * c.5: every `every` generations, on that generation's mean raw fitness F̄: F̄ ≥ t0 → α ×= f0, then F̄ ≥ t1 → α ×= f1;
   * or the lab's plateau rule (core/es/decay.ts), whose patience and floor are its own. Configs from before the
   * plateau rule ran the thresholds, with σ fixed.
   */
  decay: {
    enabled: field.bool({ label: 'LR decay', help: 'c.5' }),
    rule: field.choice(DECAY_RULES, { label: 'Decay rule', help: 'thresholds: c.5 on absolute fitness; plateau: cut α by factor 1 when the loss stops improving' }, { before: 'thresholds' }),
    every: field.int({ label: 'Decay check every', help: '1000 generations (plateau: the averaging window)' }, { min: 1, max: 1e7 }),
    thresholds: field.tuple(
      field.number({ label: 'Decay threshold 1', help: 'mean fitness (−MSE): −0.03 or −0.05' }, { min: -1, max: 0 }),
      field.number({ label: 'Decay threshold 2', help: '−0.01 or −0.02' }, { min: -1, max: 0 }),
    ),
    factors: field.tuple(
      field.number({ label: 'Decay factor 1', help: '0.3' }, { min: 0, max: 1, exclusiveMin: true }),
      field.number({ label: 'Decay factor 2', help: '0.5' }, { min: 0, max: 1, exclusiveMin: true }),
    ),
    patience: field.int({ label: 'Plateau patience (windows)', help: 'plateau rule: windows without a 1 % gain before α is cut' }, { min: 1, max: 1000 }, { before: 3 }),
    minLr: field.number({ label: 'Plateau floor for α', help: 'plateau rule: α is never cut below this' }, { min: 0, max: 100 }, { before: 1e-4 }),
    sigmaPower: field.number({ label: 'σ follows α (power)', help: 'σ = σ₀·(α/α₀)^p as α decays; 0 keeps σ fixed (the thesis); not for PGPE and SNES, which adapt σ' }, { min: 0, max: 4 }, { before: 0 }),
  },
  workers: field.int({ label: 'Workers', help: '0 = one per core' }, { min: 0, max: 1024 }, { valueNotes: { 0: 'one per core' }, flags: ['workers'] }),
  /** what a member's rollout is scored on (the thesis, and configs from before the objective existed: the final state only) */
  objective: {
    lossWindow: field.int({ label: 'Loss window (steps)', help: 'score the mean loss of the last this many states of a rollout; 1 = the final state (thesis)' }, { min: 1, max: 1000 }, { before: 1 }),
    lossEvery: field.int({ label: 'Score every (steps)', help: 'within the window, score every this many steps, ending on the last (fewer cuts in the kernel\'s rollout run faster)' }, { min: 1, max: 1000 }, { before: 1 }),
    longEvery: field.int({ label: 'Long rollout every', help: 'generations between long rollouts (the persistence horizon); 0 = never' }, { min: 0, max: 1e7 }, { before: 0 }),
    longSteps: field.int({ label: 'Long rollout steps', help: 'CA steps of a long rollout' }, { min: 1, max: 10000 }, { before: 200 }),
  },
} as const;

export type EsBaseSettings = Infer<typeof ES_BASE_FIELDS>;
export type EsPoolKind = EsBaseSettings['pool']['kind'];
export type EsObjective = EsBaseSettings['objective'];

/** The rules between ES fields that hold for every update rule. */
export function esBaseProblems(cfg: CommonConfig & { es: EsBaseSettings }): ConfigProblem[] {
  const es = cfg.es;
  const out: ConfigProblem[] = [];
  if (es.mirrored && es.population % 2 !== 0) out.push({ field: 'es.population', message: `must be even with mirrored sampling, got ${es.population}` });
  if (es.pool.kind !== 'none' && es.batchSize > es.pool.size) out.push({ field: 'es.batchSize', message: `must be ≤ the pool size (${es.pool.size}), got ${es.batchSize}` });
  if (es.commonRandomNumbers && !es.mirrored) out.push({ field: 'es.commonRandomNumbers', message: 'needs mirrored sampling (pairs share their random numbers)' });
  if (es.objective.lossWindow > cfg.stepsMin) {
    out.push({ field: 'es.objective.lossWindow', message: `must be ≤ the shortest rollout (stepsMin ${cfg.stepsMin}), got ${es.objective.lossWindow}` });
  }
  if (es.objective.longEvery > 0 && es.objective.longSteps < es.objective.lossWindow) {
    out.push({ field: 'es.objective.longSteps', message: `must be ≥ the loss window (${es.objective.lossWindow}), got ${es.objective.longSteps}` });
  }
  return out;
}
