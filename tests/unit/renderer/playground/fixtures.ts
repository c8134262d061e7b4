/** A small playground model for the pure modules' tests: the thesis's ES model with fixed random parameters on carrot-9. */
import { initParams, THESIS_ES_MODEL } from '../../../../src/core/nca/config';
import { Philox } from '../../../../src/core/rng/philox';
import type { PlaygroundModel } from '../../../../src/renderer/playground/catalogue';

export function testModel(name: string, seed: number, overrides: Partial<PlaygroundModel> = {}): PlaygroundModel {
  const rng = new Philox(seed);
  return {
    key: name, name, source: 'test', nca: THESIS_ES_MODEL,
    params: initParams(THESIS_ES_MODEL, 'torch', () => rng.uniform()),
    target: { height: 9, width: 9, rgba: new Float32Array(9 * 9 * 4).fill(0.25) },
    targetProblem: null, trainingCanvas: { height: 9, width: 9 }, recorded: { name, runId: `run-${name}`, generation: 10 },
    colour: '#2f6fde', ...overrides,
  };
}
