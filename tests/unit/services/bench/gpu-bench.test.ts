/**
 * The GPU benchmarks from the command line on SwiftShader (compute/gpu-helpers.ts): `nca-lab bench gpu --quick`
 * prints its ES, Adam and quality rows, every GPU row beside a wasm row of the same case and naming the adapter;
 * `bench es --engine webgpu` with the driver hidden stops with the adapter error before measuring anything; the
 * flags' refusals. Rows are checked for their presence and fields, never for speed (the figures are the bench's).
 */
import { describe, expect, it } from 'vitest';
import { cliChild, gpuEnv, gpuSkipReason } from '../compute/gpu-helpers';
import { main } from '../../../../src/cli/index';

const skip = gpuSkipReason();

interface Row { bench: string; engine: string; adapter: string | null; size: number; [k: string]: unknown }
const rowsOf = (out: string): Row[] => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Row);

async function cli(args: string[]): Promise<{ code: number; err: string[] }> {
  const err: string[] = [];
  const code = await main(args, { out: () => undefined, err: (l: string) => void err.push(l) });
  return { code, err };
}

describe('bench gpu: the flags', () => {
  it('refuses --engine auto, --engine on a bench that has none, --quick outside bench gpu, two worker counts', async () => {
    expect((await cli(['bench', 'es', '--engine', 'auto'])).err.join('\n')).toMatch(/--engine must be wasm or webgpu .*got "auto"/);
    expect((await cli(['bench', 'population', '--engine', 'webgpu'])).err.join('\n')).toMatch(/--engine is for bench es, adam and quality .*not population/);
    expect((await cli(['bench', 'es', '--quick'])).err.join('\n')).toMatch(/--quick is for bench gpu/);
    const two = await cli(['bench', 'gpu', '--workers', '1,2']);
    expect(two.code).toBe(2);
    expect(two.err.join('\n')).toMatch(/--workers takes one count, got "1,2"/);
  });
});

describe.skipIf(skip !== null)(`bench gpu on SwiftShader${skip ? ` — skipped: ${skip}` : ''}`, () => {
  it('--quick prints ES, Adam and quality rows, each GPU row beside the wasm row of its case, the adapter named', async () => {
    const r = await cliChild(['bench', 'gpu', '--quick', '--workers', '1'], gpuEnv());
    expect(r.code, r.err).toBe(0);
    const rows = rowsOf(r.out);
    const gpuAdapter = expect.stringMatching(/SwiftShader.*\(vulkan, software\)/);
    const es = rows.filter((x) => x.bench === 'es');
    expect(es.map((x) => x.engine)).toEqual(['wasm', 'webgpu']);
    expect(es[1]).toMatchObject({ adapter: gpuAdapter, population: 8, size: 9, vsWasm: expect.any(Number), masterMs: expect.any(Number) });
    expect(es[0]).toMatchObject({ adapter: null, vsWasm: null });
    const adam = rows.filter((x) => x.bench === 'adam');
    expect(adam.map((x) => x.engine)).toEqual(['fused-wasm-simd', 'fused-wasm-simd ×1', 'webgpu']);
    expect(adam[2]).toMatchObject({ adapter: gpuAdapter, speedupVsWasm: expect.any(Number), iterations: 1 });
    const quality = rows.filter((x) => x.bench === 'quality');
    expect(quality.map((x) => [x.engine, x.adapter])).toEqual([['wasm', null], ['webgpu', gpuAdapter]]);
    expect(r.out).toMatch(/bench gpu --quick .*webgpu on SwiftShader/);
    for (const title of [/^ES throughput .*on the GPU SwiftShader/m, /^Adam iterations .*webgpu on SwiftShader/m, /^Time to quality/m]) expect(r.out).toMatch(title);
  }, 900_000);

  it('bench es --engine webgpu with the driver hidden stops before any row, naming what it found', async () => {
    const r = await cliChild(['bench', 'es', '--engine', 'webgpu', '--sizes', '9', '--populations', '8', '--workers', '1'], gpuEnv({ hidden: true }));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nca-lab: engine webgpu: no usable GPU adapter: Dawn [\d.]+ found no adapter/);
    expect(rowsOf(r.out)).toEqual([]);
  }, 120_000);
});
