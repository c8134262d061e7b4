/** Shared set-up for the LabStore tests: a temporary workspace and a store with fixed versions and clock. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabStore, type LabStoreOptions, type RunProblem } from '../../../src/services/store/lab-store';
import { configFromPreset, type RunConfig } from '../../../src/shared/training-config';

export const TEST_VERSIONS = { lab: '0.0.0-test', tfjs: '4.22.0', node: 'v20.0.0' };

export interface TestWorkspace {
  dir: string;
  store: LabStore;
  problems: RunProblem[];
  /** advances the store's clock by `seconds` */
  tick(seconds?: number): void;
  cleanup(): void;
}

export function testWorkspace(opts: Omit<LabStoreOptions, 'versions' | 'now' | 'onProblem'> = {}): TestWorkspace {
  const dir = mkdtempSync(join(tmpdir(), 'nca-lab-store-'));
  const problems: RunProblem[] = [];
  let t = Date.parse('2026-11-25T18:47:00.000Z');
  const store = new LabStore(dir, { ...opts, versions: TEST_VERSIONS, now: () => new Date(t), onProblem: (p) => void problems.push(p) });
  return {
    dir, store, problems,
    tick: (seconds = 1) => void (t += seconds * 1000),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function esConfig(): RunConfig {
  return configFromPreset('thesis-es');
}

/** Deterministic floats spanning signs and magnitudes, including -0 and a subnormal. */
export function floats(n: number, seed = 1): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = ((s / 2 ** 32) - 0.5) * 2 ** ((i % 13) - 6);
  }
  if (n > 2) {
    a[0] = -0;
    a[1] = 1e-40;
  }
  return a;
}

/** Byte-level equality of two float arrays (so -0, NaN payloads and subnormals count). */
export function sameBytes(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
