/**
 * The job table (src/services/workers/lab-jobs.ts): each kind once; the worker process registers exactly the
 * table's kinds; the cluster takes exactly the kinds with a wire form; a blob kind's payload and result survive the
 * cluster's codec and are refused, field named, when another machine sends them wrong.
 */
import { describe, expect, it } from 'vitest';
import { blobWire, CLUSTER_JOB_KINDS, LAB_JOB_TABLE, type LabJobs } from '../../../../src/services/workers/lab-jobs';
import { WorkerPool } from '../../../../src/services/workers/pool';
import { forkSpawner } from '../../../../src/services/workers/spawners';
import type { JobType } from '../../../../src/services/workers/protocol';
import { pack, unpack } from '../../../../src/services/cluster/protocol';
import type { ExperimentJobPayload } from '../../../../src/core/experiments/job';
import { THESIS_ES_MODEL } from '../../../../src/core/nca/config';
import { suiteProtocols } from '../../../../src/core/experiments/protocols';

const payload: ExperimentJobPayload = {
  cfg: THESIS_ES_MODEL, params: new Float32Array([0.5, -0.25, 0.125]),
  target: { name: 'carrot-9', size: 9, padding: 0, rgbaU8: new Uint8Array(9 * 9 * 4).fill(7) },
  protocols: suiteProtocols('erase-3x3'),
  seed: 3, keepFrames: false, animate: [],
};

describe('the job table', () => {
  it('names each kind once; the cluster takes the kinds with a wire form', () => {
    const kinds = LAB_JOB_TABLE.map((r) => r.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds).toEqual(expect.arrayContaining(['es-slice', 'adam-train', 'adam-grad', 'experiment']));
    expect(CLUSTER_JOB_KINDS).toEqual(LAB_JOB_TABLE.filter((r) => 'cluster' in r).map((r) => r.kind));
    // the Adam jobs read the run from this machine's workspace: never another machine's
    expect(CLUSTER_JOB_KINDS).toEqual(expect.arrayContaining(['es-slice', 'experiment']));
    expect(CLUSTER_JOB_KINDS).not.toContain('adam-train');
    expect(CLUSTER_JOB_KINDS).not.toContain('adam-grad');
    expect(() => blobWire('es-slice' as 'experiment')).toThrow(/does not travel as blobs/);
  });

  it('the worker process runs every kind of the table and nothing else', async () => {
    const pool = new WorkerPool<LabJobs>({ size: 1, spawn: forkSpawner({ echoOutput: false }), init: {} });
    try {
      await pool.start();
      const stray = pool as unknown as WorkerPool<Record<string, JobType<null, unknown>>>;
      const message = await stray.run('no-such-job', null).then(() => '', (err: Error) => err.message);
      expect(message).toBe(`unknown job kind "no-such-job" (this worker runs: ${LAB_JOB_TABLE.map((r) => r.kind).join(', ')})`);
    } finally {
      await pool.close();
    }
  });

  it('an experiment payload and result cross the codec whole, and a wrong field is named', () => {
    const wire = blobWire('experiment');
    const back = wire.parsePayload(unpack(pack(payload), 'payload'), 'payload of experiment job j0');
    expect(back).toEqual(payload);
    expect(back.params).toBeInstanceOf(Float32Array);
    expect(() => wire.parsePayload(unpack(pack({ ...payload, seed: -1 }), 'p'), 'payload of experiment job j0'))
      .toThrow('payload of experiment job j0.seed must be an integer from 0 to 4294967295, got -1');
    expect(() => wire.parsePayload(unpack(pack({ ...payload, params: [1, 2] }), 'p'), 'payload of experiment job j0'))
      .toThrow('payload of experiment job j0.params must be a Float32Array');
    const result = { rollouts: [{ protocol: 'growth', loss: new Float64Array([0.1, 0.05]), frames: [], animation: [] }], seconds: 0.5 };
    expect(wire.parseResult(unpack(pack(result), 'r'), 'result')).toEqual(result);
    expect(() => wire.parseResult(unpack(pack({ ...result, seconds: 'soon' }), 'r'), 'result of experiment job j0'))
      .toThrow('result of experiment job j0.seconds must be a number, got string');
  });
});
