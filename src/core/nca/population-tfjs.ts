/**
 * The tfjs strategies of evaluatePopulation (population.ts): `loop` (one member at a time, a tfjs program per
 * step) and `batched` (all members stacked). Importing this module registers them; it is the only way
 * population evaluation loads tfjs, so only the processes that ask for them do (benchmarks, tests).
 */
import * as tf from '@tensorflow/tfjs';
import { paramLayout } from './config';
import { blockedKernel0, weightsFromParams, disposeWeights } from './weights';
import { rolloutTensor, fireMaskData, aliveMask, statesToTensor } from './step';
import { perceiveBlocked } from './perception';
import type { StateBatch } from './state';
import { finish, registerPopulationStrategy, type PopulationRequest, type PopulationResult } from './population';

function startFor(req: PopulationRequest, i: number): StateBatch {
  return Array.isArray(req.startStates) ? req.startStates[i] : req.startStates;
}

function evaluateLoop(req: PopulationRequest): PopulationResult {
  const finals = req.paramsList.map((p, i) => {
    const start = startFor(req, i);
    const w = weightsFromParams(req.cfg, p);
    const x0 = statesToTensor(start);
    const x = rolloutTensor(req.cfg, x0, w, req.steps[i], req.rng(i));
    const final: StateBatch = { ...start, data: x.dataSync() as Float32Array };
    x0.dispose();
    x.dispose();
    disposeWeights(w);
    return final;
  });
  return finish(finals, req.target, !!req.keepFinals);
}

function evaluateBatched(req: PopulationRequest): PopulationResult {
  const { cfg } = req;
  const P = req.paramsList.length;
  const L = paramLayout(cfg);
  const first = startFor(req, 0);
  const B = first.n;
  const { height: H, width: W, channels: C } = first;
  const cells = B * H * W;
  const maxSteps = Math.max(...req.steps);
  const rngs = req.paramsList.map((_, i) => req.rng(i));

  const k0 = new Float32Array(P * L.kernel0.size);
  const k1 = new Float32Array(P * L.kernel1.size);
  const b0 = L.bias0 ? new Float32Array(P * cfg.hidden) : null;
  const b1 = L.bias1 ? new Float32Array(P * C) : null;
  const start = new Float32Array(P * cells * C);
  req.paramsList.forEach((p, i) => {
    k0.set(blockedKernel0(cfg, p), i * L.kernel0.size);
    k1.set(p.subarray(L.kernel1.offset, L.kernel1.offset + L.kernel1.size), i * L.kernel1.size);
    if (b0 && L.bias0) b0.set(p.subarray(L.bias0.offset, L.bias0.offset + L.bias0.size), i * cfg.hidden);
    if (b1 && L.bias1) b1.set(p.subarray(L.bias1.offset, L.bias1.offset + L.bias1.size), i * C);
    const s = startFor(req, i);
    if (s.n !== B || s.height !== H || s.width !== W || s.channels !== C) {
      throw new RangeError('evaluatePopulation (batched): every member needs the same batch shape');
    }
    start.set(s.data, i * cells * C);
  });

  const finalData = tf.tidy(() => {
    const kernel0 = tf.tensor3d(k0, [P, L.inputs, cfg.hidden]);
    const kernel1 = tf.tensor3d(k1, [P, cfg.hidden, C]);
    const bias0 = b0 ? tf.tensor3d(b0, [P, 1, cfg.hidden]) : null;
    const bias1 = b1 ? tf.tensor3d(b1, [P, 1, C]) : null;
    let x = tf.tensor4d(start, [P * B, H, W, C]);
    for (let s = 0; s < maxSteps; s++) {
      const mask = new Float32Array(P * cells);
      const active = new Float32Array(P * B);
      for (let i = 0; i < P; i++) {
        if (s < req.steps[i]) {
          mask.set(fireMaskData(rngs[i], B, H, W, cfg.fireRate), i * cells);
          active.fill(1, i * B, (i + 1) * B);
        }
      }
      const next = tf.tidy(() => {
        const pre = aliveMask(x, cfg.aliveThreshold);
        const y = perceiveBlocked(x).reshape([P, cells, 3 * C]) as tf.Tensor3D;
        let hid = tf.matMul(y, kernel0);
        if (bias0) hid = hid.add(bias0);
        hid = tf.relu(hid);
        let dx = tf.matMul(hid, kernel1);
        if (bias1) dx = dx.add(bias1);
        if (cfg.stepSize !== 1) dx = dx.mul(cfg.stepSize);
        const fire = tf.tensor4d(mask, [P * B, H, W, 1]);
        const x1 = x.add(dx.reshape([P * B, H, W, C]).mul(fire)) as tf.Tensor4D;
        const post = aliveMask(x1, cfg.aliveThreshold);
        const stepped = x1.mul(pre.mul(post));
        const act = tf.tensor4d(active, [P * B, 1, 1, 1]);
        return stepped.mul(act).add(x.mul(tf.scalar(1).sub(act))) as tf.Tensor4D;
      });
      x.dispose();
      x = next;
    }
    return x.dataSync() as Float32Array;
  });

  const finals = req.paramsList.map((_, i): StateBatch => (
    { n: B, height: H, width: W, channels: C, data: finalData.slice(i * cells * C, (i + 1) * cells * C) }));
  return finish(finals, req.target, !!req.keepFinals);
}

registerPopulationStrategy('loop', evaluateLoop);
registerPopulationStrategy('batched', evaluateBatched);
