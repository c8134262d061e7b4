/** Comparing two runs' data for the sweep tests: metrics rows and checkpoints, all but wall time and ids. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabStore } from '../../../src/services/store/lab-store';
import type { SweepRequest } from '../../../src/shared/sweep';
import { parseSweepAxisText, parseSweepFixedText, parseSweepRequest } from '../../../src/shared/sweep';
import { comparable } from './fault-kills';

/** Test size: population 8, carrot-9, 12–16 steps, evaluations every 2, checkpoints every 3, one worker per run. */
export const TINY_SET = ['es.population=8', 'stepsMin=12', 'stepsMax=16', 'es.objective.lossWindow=8', 'evalEvery=2', 'checkpointEvery=3', 'es.workers=1'];

export function tinyRequest(over: Partial<SweepRequest> = {}): SweepRequest {
  return parseSweepRequest({
    preset: 'es-256', target: 'carrot-9', axes: [parseSweepAxisText('es.sigma=0.01,0.02')], sample: { kind: 'grid' }, seeds: [1],
    stop: { maxGenerations: 8, maxSeconds: null, targetLoss: null }, set: TINY_SET.map(parseSweepFixedText), halving: null, suites: [], goal: null,
    ...over,
  });
}

/** The metrics rows of a run without their wall time (which differs between sessions by nature), as JSON. */
export async function metricsOf(store: LabStore, runId: string): Promise<string[]> {
  return (await store.readMetrics(runId)).map((r) => JSON.stringify(comparable(r)));
}

/**
 * A checkpoint file's payload bytes (parameters, optimizer arrays, pool: everything the CRC covers) and its
 * header's training state (generation, evaluations, scalars, random stream), without wall time, creation time
 * and the run's id.
 */
export async function checkpointState(store: LabStore, runId: string, generation: number): Promise<{ payload: Buffer; state: string }> {
  const file = (await store.listCheckpoints(runId)).find((c) => c.generation === generation)!.file;
  const bytes = await readFile(file);
  const headerLength = bytes.readUInt32LE(8);
  const header = JSON.parse(bytes.subarray(12, 12 + headerLength).toString('utf8')) as Record<string, unknown>;
  const { generation: g, evaluations, scalars, rng, params, arrays, pool, payloadBytes, crc32 } = header;
  return { payload: bytes.subarray(12 + headerLength), state: JSON.stringify({ g, evaluations, scalars, rng, params, arrays, pool, payloadBytes, crc32 }) };
}

export async function checkpointGenerations(store: LabStore, runId: string): Promise<number[]> {
  return (await store.listCheckpoints(runId)).map((c) => c.generation);
}

export async function modelBytes(store: LabStore, runId: string): Promise<Buffer> {
  return readFile(join(store.runDir(runId), 'model', 'weights.bin'));
}
