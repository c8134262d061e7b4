/**
 * The ES worker job (thesis Algorithm 2): evaluate members [memberStart, memberEnd) of one generation from the
 * parameters and the generation number; return losses (and the slice's best final states with a pool).
 */
import type { JobHandler } from '../../services/workers/protocol';
import type { EsSliceJobType } from '../../services/workers/lab-jobs';
import { evaluateEsSlice } from '../../core/es/slice';

export const esSliceJob: JobHandler<EsSliceJobType> = async (payload) => evaluateEsSlice(payload);
