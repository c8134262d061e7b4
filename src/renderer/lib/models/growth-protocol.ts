/** Messages between the growth preview and its Web Worker (lib/models/growth.worker.ts). */
import type { NcaConfig } from '@core/nca/config';

export type GrowthRequest =
  | { type: 'load'; nca: NcaConfig; params: Float32Array; height: number; width: number; seed: number }
  | { type: 'play'; stepsPerSecond: number; maxSteps: number }
  | { type: 'pause' }
  | { type: 'restart' };

export type GrowthReply =
  | { type: 'frame'; step: number; rgba: Uint8ClampedArray; height: number; width: number; kernel: 'wasm-simd' | 'js' }
  | { type: 'error'; message: string };
