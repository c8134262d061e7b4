/**
 * The engine seam (shared/compute-engine.ts, services/compute/engine-choice.ts) from the command line, on
 * SwiftShader and with the driver hidden (VK_ICD_FILENAMES pointing nowhere): what `nca-lab info` lists and what
 * `auto` picks and why; `--engine webgpu` without an adapter refused before a run exists; a webgpu ES run
 * recording its engine and adapter, and resuming bit-exactly after SIGKILL.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { LabStore } from '../../../../src/services/store/lab-store';
import { cliChild, gpuEnv, gpuSkipReason } from './gpu-helpers';
import { comparable } from '../../helpers/fault-kills';

const skip = gpuSkipReason();
const ws = () => mkdtempSync(join(tmpdir(), 'nca-gpu-engine-'));
const BIN = join(__dirname, '../../../../bin/nca-lab.js');

/** `nca-lab train|resume … --json` in a child, SIGKILLed once a progress event reaches `at`. */
function killAt(args: string[], env: NodeJS.ProcessEnv, at: number): Promise<{ runId: string; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, [BIN, ...args, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let runId = '';
  let buf = '';
  return new Promise((resolve) => {
    child.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        const ev = JSON.parse(line) as { event: string; runId?: string; generation?: number };
        if (ev.event === 'run') runId = ev.runId!;
        if (ev.event === 'progress' && ev.generation! >= at) child.kill('SIGKILL');
      }
    });
    child.on('exit', (_code, signal) => resolve({ runId, signal }));
  });
}

describe.skipIf(skip !== null)(`the compute engine seam (SwiftShader)${skip ? ` — skipped: ${skip}` : ''}`, () => {
  it('info: with the driver hidden, no adapter and auto → wasm saying why; with SwiftShader, its limits and auto → wasm (a software adapter)', async () => {
    const hidden = await cliChild(['info', '--json'], gpuEnv({ hidden: true }));
    expect(hidden.code, hidden.err).toBe(0);
    const h = JSON.parse(hidden.out);
    expect(h.gpu.adapters).toEqual([]);
    expect(h.engineAuto).toMatchObject({ engine: 'wasm', adapter: null });
    expect(h.engineAuto.reason).toMatch(/^auto: no GPU adapter; Dawn found none/);

    const shown = await cliChild(['info'], gpuEnv());
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toMatch(/SwiftShader[^\n]*\(vulkan, google\): software \(CPU\) adapter, only with --engine webgpu; buffers up to \d+ MiB/);
    expect(shown.out).toMatch(/engine +auto → wasm \(auto: no GPU adapter; SwiftShader[^)]*\): a software \(CPU\) adapter, slower than the wasm engine\)/);
  }, 120_000);

  it('--engine webgpu with no adapter is refused before the run exists; auto trains on wasm and records why', async () => {
    const dir = ws();
    const refused = await cliChild(['train', '--preset', 'thesis-es', '--target', 'carrot-9', '--engine', 'webgpu', '--max-generations', '2', '--workspace', dir], gpuEnv({ hidden: true }));
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/nca-lab: engine webgpu: no usable GPU adapter: Dawn [\d.]+ found no adapter/);
    expect(existsSync(join(dir, 'runs')) ? readdirSync(join(dir, 'runs')) : []).toEqual([]);

    const auto = await cliChild(['train', '--preset', 'thesis-es', '--target', 'carrot-9', '--max-generations', '2', '--workers', '1', '--json', '--workspace', dir], gpuEnv({ hidden: true }));
    expect(auto.code, auto.err).toBe(0);
    const [run] = await new LabStore(dir).listRuns();
    expect(run.config.engine).toBe('auto');
    expect(run.compute).toMatchObject({ engine: 'wasm', adapter: null });
    expect(run.compute!.reason).toMatch(/^auto: no GPU adapter/);
  }, 120_000);

  /**
   * `args` trained straight, and killed at generation 5 and resumed, in one workspace (child processes seeing
   * SwiftShader): both record the GPU adapter, and the resumed run's metrics and weights equal the straight run's.
   */
  async function killAndResume(args: string[], generations: number): Promise<{ store: LabStore; runId: string }> {
    const dir = ws();
    const env = gpuEnv();
    const [straight, killed] = await Promise.all([
      cliChild([...args, '--json', '--workspace', dir], env),
      killAt([...args, '--workspace', dir], env, 5),
    ]);
    expect(straight.code, straight.err).toBe(0);
    expect(killed.signal).toBe('SIGKILL');
    const resumed = await cliChild(['resume', killed.runId, '--workspace', dir], env);
    expect(resumed.code, resumed.err).toBe(0);
    const store = new LabStore(dir);
    const straightId = (JSON.parse(straight.out.split('\n')[0]) as { runId: string }).runId;
    for (const id of [straightId, killed.runId]) {
      const run = await store.getRun(id);
      expect(run.status).toBe('finished');
      expect(run.compute).toMatchObject({ engine: 'webgpu', adapter: expect.stringMatching(/SwiftShader.*\(vulkan, software\)/) });
      expect(run.backend).toMatch(/^webgpu on SwiftShader/);
    }
    const rows = async (id: string) => (await store.readMetrics(id)).map(comparable);
    expect(await rows(killed.runId)).toEqual(await rows(straightId));
    expect((await rows(straightId)).length).toBe(generations);
    const params = async (id: string) => Array.from((await store.readLatestCheckpoint(id))!.params);
    expect(await params(killed.runId)).toEqual(await params(straightId));
    return { store, runId: straightId };
  }

  it('a webgpu ES run records its adapter and resumes bit-exactly after SIGKILL', async () => {
    await killAndResume(['train', '--preset', 'thesis-es', '--target', 'carrot-9', '--seed', '4', '--engine', 'webgpu', '--max-generations', '8',
      '--set', 'checkpointEvery=2', '--set', 'evalEvery=4', '--set', 'stepsMin=12', '--set', 'stepsMax=16'], 8);
  }, 300_000);

  it('a webgpu Adam run (Mordvintsev\'s regenerating recipe at test size: pool, damage, gradient normalisation) resumes bit-exactly after SIGKILL, its curve on the wasm run\'s', async () => {
    const args = ['train', '--preset', 'mordvintsev-regenerating', '--target', 'carrot-9', '--seed', '3', '--max-generations', '8',
      '--set', 'checkpointEvery=2', '--set', 'evalEvery=4', '--set', 'stepsMin=6', '--set', 'stepsMax=8',
      '--set', 'adam.batchSize=4', '--set', 'adam.pool.size=16', '--set', 'adam.pool.damageN=2'];
    const { store, runId } = await killAndResume([...args, '--engine', 'webgpu'], 8);
    const wasm = await cliChild([...args, '--engine', 'wasm', '--json', '--workspace', store.workspace], gpuEnv());
    expect(wasm.code, wasm.err).toBe(0);
    const wasmId = (JSON.parse(wasm.out.split('\n')[0]) as { runId: string }).runId;
    const [gpuRows, cpuRows] = [await store.readMetrics(runId), await store.readMetrics(wasmId)];
    for (let i = 0; i < cpuRows.length; i++) expect(Math.abs(gpuRows[i].loss - cpuRows[i].loss) / cpuRows[i].loss).toBeLessThan(1e-4);
  }, 300_000);
});
