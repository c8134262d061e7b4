/**
 * One Adam step (Kingma & Ba 2015) for the ES strategies that put Adam on their gradient estimate (OpenAI-ES,
 * PGPE): float32 moments (so a checkpoint holds them exactly), float64 arithmetic. m and v are updated in
 * place; t is the 1-based step count; returns the step to subtract from the parameters.
 */
export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export function adamStep(grad: Float64Array, m: Float32Array, v: Float32Array, t: number, h: AdamHyper, out = new Float64Array(grad.length)): Float64Array {
  const c1 = 1 - h.beta1 ** t;
  const c2 = 1 - h.beta2 ** t;
  for (let j = 0; j < grad.length; j++) {
    m[j] = h.beta1 * m[j] + (1 - h.beta1) * grad[j];
    v[j] = h.beta2 * v[j] + (1 - h.beta2) * grad[j] * grad[j];
    out[j] = (h.lr * (m[j] / c1)) / (Math.sqrt(v[j] / c2) + h.epsilon);
  }
  return out;
}
