/**
 * What computes a run (docs/architecture.md, "Compute"): the CPU's fused WebAssembly SIMD engine, or the GPU
 * through WebGPU. A run asks for one (`engine` in its config); a session resolves `auto` to one of the two and
 * records what it computed on, and why, in run.json (`compute`).
 */

/** What a run may ask for: `auto` takes a real GPU adapter when there is one, else the CPU's engine. */
export const ENGINE_CHOICES = ['auto', 'wasm', 'webgpu'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

/** What a session computes on once `auto` is resolved. */
export type ComputeEngine = Exclude<EngineChoice, 'auto'>;

export function isEngineChoice(v: unknown): v is EngineChoice {
  return typeof v === 'string' && (ENGINE_CHOICES as readonly string[]).includes(v);
}

/** What run.json records of the engine a session computed on. */
export interface ComputeRecord {
  engine: ComputeEngine;
  /** the GPU adapter's name (and backend), or null on the CPU */
  adapter: string | null;
  /** why this engine: asked for, or what `auto` found */
  reason: string;
}
