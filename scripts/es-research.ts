/**
 * The short experiments behind docs/benchmarks.md's table "Why `es` is what it is": the ES strategies of
 * src/core/es in one thread, ask → evaluate every member (core/es/slice.ts) → tell, with the losses after
 * 40/200/1000 steps from the seed every `evalEvery` generations, as JSON lines with generations, evaluations
 * and CA steps (load-independent measures). Options as one JSON object, e.g.
 *   npx tsx scripts/es-research.ts '{"lr":0.005,"stepsMin":64,"stepsMax":72,"window":40,"maxSeconds":900}'
 * `nca-lab bench quality` is the measurement through the lab's trainer; this is the quick loop for trying ideas.
 */
import { loadBuiltinTarget } from '../src/services/targets/targets';
import { THESIS_ES_MODEL, initParams } from '../src/core/nca/config';
import { makeSeed } from '../src/core/nca/state';
import { FusedNca, FusedScratch } from '../src/core/nca/fused';
import { rgbaMsePerSample } from '../src/core/nca/loss';
import { runStream, StreamPurpose } from '../src/core/rng/run-streams';
import { GenerationNoise } from '../src/core/es/update';
import { PopulationNoise, tellWithNoise, type EsStrategy } from '../src/core/es/strategy';
import { centredRanks } from '../src/core/es/shaping';
import { OpenAiAdamStrategy } from '../src/core/es/openai-adam';
import { PgpeStrategy } from '../src/core/es/pgpe';
import { SnesStrategy } from '../src/core/es/snes';
import { evaluateEsSlice } from '../src/core/es/slice';
import { drawFromPool, commitToPool } from '../src/core/es/sample-pool';
import { stackStates } from '../src/core/nca/state';

const o = {
  strategy: 'openai-adam', target: 'carrot-9', seed: 1, population: 32, sigma: 0.02, lr: 0.01, weightDecay: 0,
  stepsMin: 30, stepsMax: 39, window: 1, longEvery: 0, longSteps: 200, maxSeconds: 120, evalEvery: 100,
  sigmaLr: 0.1, maxSpeed: 0, momentum: 0.9, pgpeOpt: 'clipup', crn: true, batch: 1, pool: 0, goal: 0.0005,
  decayEvery: 0, t0: -0.015, t1: -0.009, f0: 0.5, f1: 0.4,
  ...JSON.parse(process.argv[2] ?? '{}'),
};
const target = loadBuiltinTarget(o.target);
const decay = { enabled: o.decayEvery > 0, every: o.decayEvery || 1, thresholds: [o.t0, o.t1] as [number, number], factors: [o.f0, o.f1] as [number, number] };
const cfg = THESIS_ES_MODEL;
const rng0 = runStream(o.seed, 0, StreamPurpose.Init, 0);
const init = initParams(cfg, 'torch', () => rng0.uniform());
let strat: EsStrategy;
if (o.strategy === 'openai-adam') strat = OpenAiAdamStrategy.factory.create({ sigma: o.sigma, lr: o.lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: o.weightDecay, decay }, init);
else if (o.strategy === 'pgpe') strat = PgpeStrategy.factory.create({ sigma: o.sigma, optimizer: o.pgpeOpt, centerLr: o.lr, maxSpeed: o.maxSpeed || 2 * o.lr, momentum: o.momentum, sigmaLr: o.sigmaLr, sigmaMaxChange: 0.2, decay }, init);
else strat = SnesStrategy.factory.create({ sigma: o.sigma, centerLr: o.lr, sigmaLr: o.sigmaLr || null }, init);

function growth(params: Float32Array, g: number) {
  const nca = new FusedNca(cfg, params);
  const rng = runStream(o.seed, g, StreamPurpose.Eval);
  const s = makeSeed(target.height, target.width, cfg.channels);
  const scratch = new FusedScratch(s);
  const out: Record<string, number> = {};
  for (let k = 1; k <= 1001; k++) {
    nca.step(s, rng, scratch);
    if (k === 41 || k === 201 || k === 1001) out[`e${k - 1}`] = rgbaMsePerSample(s, target.rgba)[0];
  }
  return out;
}

const seedB = makeSeed(target.height, target.width, cfg.channels, o.batch);
const seed1 = makeSeed(target.height, target.width, cfg.channels, 1);
const pool = o.pool > 0 ? stackStates(Array.from({ length: o.pool }, () => seed1)) : null;
const t0 = Date.now();
let evals = 0;
let caSteps = 0;
let done = false;
for (let g = 1; !done; g++) {
  const { center, sigma } = strat.ask();
  const draw = pool ? drawFromPool(pool, o.batch, seedB, target.rgba, runStream(o.seed, g, StreamPurpose.Pool, 0)) : null;
  const res = evaluateEsSlice({
    cfg, params: center, seed: o.seed, generation: g, memberStart: 0, memberEnd: o.population, x0: draw ? draw.x0 : seedB,
    target: target.rgba, wantBest: !!pool, mirrored: true, commonRandomNumbers: o.crn, perMemberSteps: true,
    sigma: typeof sigma === 'number' ? sigma : 0, sigmaVector: typeof sigma === 'number' ? undefined : sigma,
    stepsMin: o.stepsMin, stepsMax: o.stepsMax, lossWindow: o.window,
    longRollout: o.longEvery > 0 ? { every: o.longEvery, steps: o.longSteps } : null,
  });
  evals += o.population * o.batch;
  caSteps += res.steps.reduce((a, b) => a + b, 0) * o.batch;
  if (pool && draw && res.best) commitToPool(pool, draw.indices, res.best.final, 'mordvintsev');
  const fit = res.losses.map((l) => (Number.isFinite(l) ? -l : -Infinity));
  const rep = tellWithNoise(strat, { generation: g, fitness: fit, shaped: centredRanks(fit) }, new PopulationNoise(o.seed, g, o.population, true, center.length, GenerationNoise.forPopulation(o.seed, g, o.population, true, center.length)));
  const wall = (Date.now() - t0) / 1000;
  if (g % o.evalEvery === 0 || wall > o.maxSeconds) {
    const e = growth(strat.ask().center, g);
    const sg = strat.ask().sigma;
    const meanSigma = typeof sg === 'number' ? sg : sg.reduce((a, b) => a + b, 0) / sg.length;
    const persists = e.e40 <= o.goal && e.e1000 <= 2 * e.e40;
    console.log(JSON.stringify({ g, evals, caSteps, wall: +wall.toFixed(1), loss: +(res.losses.reduce((a, b) => a + b, 0) / o.population).toPrecision(4),
      e40: +e.e40.toPrecision(4), e200: +e.e200.toPrecision(4), e1000: +e.e1000.toPrecision(4), sigma: +meanSigma.toPrecision(3), lr: rep.lr, persists }));
    if (persists || wall > o.maxSeconds) done = true;
  }
}
console.log(JSON.stringify({ done: true, opts: o }));
