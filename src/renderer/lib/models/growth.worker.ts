/**
 * Grows a model from the seed off the main thread (the window stays responsive whatever the grid): the fused
 * CA step of core/nca/fused.ts (WebAssembly SIMD, or plain TypeScript where SIMD is missing), a step at a time at
 * the requested pace, each state rendered on white (core/render.ts) and sent back as RGBA bytes. After
 * `maxSteps` it holds the last frame for a second and starts again from the seed.
 */
import { FusedNca, FusedScratch } from '@core/nca/fused';
import { mlpKernel } from '@core/nca/mlp-kernel';
import { makeSeed, type StateBatch } from '@core/nca/state';
import { renderRgbaOnWhite } from '@core/render';
import { Philox } from '@core/rng/philox';
import { messageOf } from '../format';
import type { GrowthReply, GrowthRequest } from './growth-protocol';

interface Model {
  fused: FusedNca;
  height: number;
  width: number;
  channels: number;
  seed: number;
}

let model: Model | null = null;
let state: StateBatch | null = null;
let scratch: FusedScratch | null = null;
let rng: Philox | null = null;
let step = 0;
let round = 0;
let timer: ReturnType<typeof setTimeout> | null = null;
let playing = false;
let stepsPerSecond = 20;
let maxSteps = 200;

const post = (reply: GrowthReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(reply, transfer);

function reset(): void {
  if (!model) return;
  state = makeSeed(model.height, model.width, model.channels);
  scratch = new FusedScratch(state);
  // a fresh fire-mask stream per round, so a replay is not the same growth every time
  rng = new Philox(model.seed, 0x67726f77, round++);
  step = 0;
  send();
}

function send(): void {
  if (!model || !state) return;
  const rgba = renderRgbaOnWhite(state.data, model.height, model.width, model.channels);
  post({ type: 'frame', step, rgba, height: model.height, width: model.width, kernel: mlpKernel() ? 'wasm-simd' : 'js' }, [rgba.buffer]);
}

function tick(): void {
  timer = null;
  if (!playing || !model || !state || !scratch || !rng) return;
  const t0 = performance.now();
  if (step >= maxSteps) {
    reset();
  } else {
    model.fused.step(state, rng, scratch);
    step++;
    send();
  }
  const hold = step >= maxSteps ? 1000 : 0;
  timer = setTimeout(tick, Math.max(0, 1000 / stepsPerSecond - (performance.now() - t0)) + hold);
}

self.onmessage = (event: MessageEvent<GrowthRequest>) => {
  const msg = event.data;
  try {
    switch (msg.type) {
      case 'load':
        model = { fused: new FusedNca(msg.nca, msg.params), height: msg.height, width: msg.width, channels: msg.nca.channels, seed: msg.seed };
        round = 0;
        reset();
        break;
      case 'play':
        stepsPerSecond = Math.max(1, Math.min(240, msg.stepsPerSecond));
        maxSteps = Math.max(1, msg.maxSteps);
        playing = true;
        if (!timer) tick();
        break;
      case 'pause':
        playing = false;
        if (timer) clearTimeout(timer);
        timer = null;
        break;
      case 'restart':
        reset();
        break;
    }
  } catch (err) {
    post({ type: 'error', message: messageOf(err) });
  }
};
