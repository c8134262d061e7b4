/**
 * The ES worker job (thesis Algorithm 2): evaluate members [memberStart, memberEnd) of one generation from the
 * parameters and the generation number; return losses (and the slice's best final states with a pool).
 */
import type { JobHandler, JobType } from '../../node/workers/protocol';
import { evaluateEsSlice, type EsSliceRequest, type EsSliceResult } from '../../core/es/slice';

export type EsSliceJobType = JobType<EsSliceRequest, EsSliceResult>;

export const esSliceJob: JobHandler<EsSliceJobType> = async (payload) => evaluateEsSlice(payload);
