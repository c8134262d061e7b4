/**
 * The lab's optimizers. Each has a row in shared/optimizers.ts (label, units, presets), its settings in
 * run-config/config.ts (ES: es-settings.ts and es-rules.ts; Adam: adam.ts) and a plug-in in
 * services/training/optimizers.
 */
export const OPTIMIZER_IDS = ['es', 'adam'] as const;
export type Optimizer = (typeof OPTIMIZER_IDS)[number];
