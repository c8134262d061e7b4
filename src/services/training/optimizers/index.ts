/**
 * The optimizer plug-ins by id: one row per optimizer of shared/optimizers.ts. runTrainingSession
 * (../run-training.ts) hands a locked, resume-prepared run to its optimizer's row.
 */
import type { Optimizer } from '../../../shared/optimizers';
import type { OptimizerPlugin } from './optimizer';
import { esPlugin } from './es';
import { adamPlugin } from './adam';

export const OPTIMIZER_PLUGINS: { readonly [K in Optimizer]: OptimizerPlugin & { id: K } } = {
  es: esPlugin as OptimizerPlugin & { id: 'es' },
  adam: adamPlugin as OptimizerPlugin & { id: 'adam' },
};
