/**
 * The Adam gradient-slice job (services/training/adam-gradients.ts): per-sample losses, final states and
 * gradients of samples of one iteration's batch, from θ and the iteration's fire stream, on the fused BPTT
 * engine (core/adam/gradient-slice.ts). No tfjs is used.
 */
import type { JobHandler } from '../../services/workers/protocol';
import type { AdamGradJobType } from '../../services/workers/lab-jobs';
import { computeAdamGradientSlice } from '../../core/adam/gradient-slice';

export const adamGradJob: JobHandler<AdamGradJobType> = async (payload) => computeAdamGradientSlice(payload);
