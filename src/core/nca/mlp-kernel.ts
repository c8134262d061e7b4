/**
 * The SIMD MLP kernel (mlp-kernel.wat), one instance per process. Memory never grows, so the typed-array
 * views made once stay attached (environment.md: a detached buffer slows every typed-array loop ≈30%).
 */
import { MLP_KERNEL_WASM_BASE64 } from './mlp-kernel.wasm';

/** The slice of the WebAssembly API used here (typed locally: the Node side compiles without the DOM lib). */
interface WasmMemory { buffer: ArrayBuffer }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

export interface MlpKernel {
  memory: WasmMemory;
  f32: Float32Array;
  mlp(inPtr: number, n: number, outPtr: number, w0: number, b0: number, w1: number, b1: number,
    inputs: number, hidden: number, channels: number, h: number): void;
  /** identity of the weights currently in memory (see FusedNca) */
  loaded: object | null;
}

let kernel: MlpKernel | null | undefined;

function decodeBase64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

/** The kernel, or null where WebAssembly SIMD is unavailable (the caller falls back to plain TypeScript). */
export function mlpKernel(): MlpKernel | null {
  if (kernel !== undefined) return kernel;
  try {
    if (!wasm) throw new Error('no WebAssembly');
    const module = new wasm.Module(decodeBase64(MLP_KERNEL_WASM_BASE64));
    const instance = new wasm.Instance(module, {});
    const memory = instance.exports.memory as WasmMemory;
    kernel = {
      memory,
      f32: new Float32Array(memory.buffer),
      mlp: instance.exports.mlp as MlpKernel['mlp'],
      loaded: null,
    };
  } catch {
    kernel = null;
  }
  return kernel;
}
