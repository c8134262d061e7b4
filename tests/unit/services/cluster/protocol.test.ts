/**
 * The cluster's wire shapes without Redis: every part of an ES slice request survives the codec and its parser,
 * each refusal names the field's path and what was there, the ES parts and jobs are strict, and announcements
 * (read by other lab versions) leave out fields they do not know.
 */
import { describe, expect, it } from 'vitest';
import {
  pack, parseAnnouncement, parseBlobJobData, parseEsGeneration, parseEsSettings, parseEsSliceJobData, parseRunAnnouncement,
  parseSliceResult, sliceRequestOf, sliceResultToWire, splitSliceRequest, unpack, type EsSliceJobData,
} from '../../../../src/services/cluster/protocol';
import type { EsSliceRequest, EsSliceResult } from '../../../../src/core/es/slice';
import { THESIS_ES_MODEL } from '../../../../src/core/nca/config';
import { emptyStates } from '../../../../src/core/nca/state';

const request: EsSliceRequest = {
  cfg: THESIS_ES_MODEL, params: Float32Array.from([0.5, -0.25, 1e-7]), seed: 7, generation: 3, memberStart: 4, memberEnd: 8,
  x0: emptyStates(2, 5, 5, 16), target: new Float32Array(5 * 5 * 4), wantBest: false, sigma: 0.02, sigmaVector: Float32Array.from([0.1, 0.2, 0.3]),
  mirrored: true, commonRandomNumbers: false, perMemberSteps: true, stepsMin: 30, stepsMax: 39, lossWindow: 4, lossEvery: 2,
  longRollout: { every: 10, steps: 200 },
};
const through = (v: unknown) => unpack(pack(v), 'test');

describe('an ES slice request on the wire', () => {
  it('splits into the run settings and the generation part, and joins back to the request bit for bit', () => {
    const { settings, generation } = splitSliceRequest(request);
    expect(Object.keys(settings).sort()).toEqual(['cfg', 'commonRandomNumbers', 'longRollout', 'lossEvery', 'lossWindow', 'mirrored', 'perMemberSteps', 'seed', 'stepsMax', 'stepsMin', 'target']);
    expect(Object.keys(generation).sort()).toEqual(['generation', 'params', 'sigma', 'sigmaVector', 'wantBest', 'x0']);
    const back = sliceRequestOf(parseEsSettings(through(settings)), parseEsGeneration(through(generation)), request);
    expect(back).toEqual(request);
    expect(back.params).toBeInstanceOf(Float32Array);
  });

  it('leaves absent optional settings absent', () => {
    const plain: EsSliceRequest = { ...request };
    for (const k of ['lossWindow', 'lossEvery', 'longRollout', 'sigmaVector'] as const) delete plain[k];
    const { settings, generation } = splitSliceRequest(plain);
    const parsed = parseEsSettings(through(settings));
    expect('lossWindow' in parsed || 'longRollout' in parsed).toBe(false);
    expect(parseEsGeneration(through(generation)).sigmaVector).toBeUndefined();
    expect(parseEsSettings(through({ ...settings, longRollout: null })).longRollout).toBeNull();
  });

  it('names the path of a wrong field and what was there', () => {
    const { settings, generation } = splitSliceRequest(request);
    expect(() => parseEsGeneration(through({ ...generation, x0: { ...generation.x0, height: 5000 } })))
      .toThrow(/^es generation\.x0\.height must be an integer from 1 to 4096, got 5000/);
    expect(() => parseEsGeneration(through({ ...generation, x0: { ...generation.x0, height: '5' } })))
      .toThrow(/^es generation\.x0\.height must be an integer from 1 to 4096, got "5"/);
    expect(() => parseEsGeneration(through({ ...generation, x0: { ...generation.x0, data: new Float32Array(3) } })))
      .toThrow('es generation.x0.data must have 800 entries (n × height × width × channels), got 3');
    expect(() => parseEsGeneration(through({ ...generation, params: [1, 2, 3] }))).toThrow('es generation.params must be a Float32Array, got a list');
    expect(() => parseEsGeneration(through({ ...generation, sigmaVector: new Float32Array(2) })))
      .toThrow('es generation.sigmaVector must have 3 entries (one per parameter), got 2');
    expect(() => parseEsSettings(through({ ...settings, cfg: { ...settings.cfg, bias1: 1 } }))).toThrow('es settings.cfg.bias1 must be true or false, got 1');
    expect(() => parseEsSettings(through({ ...settings, longRollout: { every: 0, steps: 200 } })))
      .toThrow(/^es settings\.longRollout\.every must be an integer from 1 to \d+, got 0/);
    expect(() => parseEsSettings(through({ ...settings, stepsMin: 40 }))).toThrow('es settings.stepsMax must be ≥ stepsMin (40), got 39');
    expect(() => parseEsSettings(through({ ...settings, seed: undefined }))).toThrow(/^es settings\.seed must be an integer from 0 to 4294967295, got nothing/);
    expect(() => parseEsGeneration('θ')).toThrow('es generation must be an object, got "θ"');
  });

  it('refuses fields it does not know, at any depth, and fields of the other part', () => {
    const { settings, generation } = splitSliceRequest(request);
    expect(() => parseEsGeneration(through({ ...generation, x0: { ...generation.x0, depth: 1 } }))).toThrow('es generation.x0 has fields this lab does not know: depth');
    expect(() => parseEsGeneration(through({ ...generation, seed: 7 }))).toThrow('es generation has fields this lab does not know: seed');
    expect(() => parseEsSettings(through({ ...settings, cfg: { ...settings.cfg, perception: 'sobel' } }))).toThrow('es settings.cfg has fields this lab does not know: perception');
  });

  it('has a place for every field: one without is refused when the request is split', () => {
    expect(() => splitSliceRequest({ ...request, extra: 1 } as EsSliceRequest)).toThrow("field extra has no place on the cluster's wire");
  });
});

describe('an es-slice job and its result', () => {
  const job: EsSliceJobData = { kind: 'es-slice', run: 'run-1.s2', generation: 3, slice: 1, memberStart: 4, memberEnd: 8 };
  const result: EsSliceResult = {
    memberStart: 4, losses: [0.1, 0.2, 0.3, 0.4], sampleLosses: [[0.1, 0.1], [0.2, 0.2], [0.3, 0.3], [0.4, 0.4]], steps: [30, 31, 32, 33],
    best: { member: 6, loss: 0.3, final: emptyStates(1, 5, 5, 16) },
  };

  it('reads a job back and refuses a wrong one by its field', () => {
    expect(parseEsSliceJobData(JSON.parse(JSON.stringify(job)))).toEqual(job);
    expect(() => parseEsSliceJobData({ ...job, kind: 'experiment' })).toThrow('es-slice job.kind must be "es-slice", got "experiment"');
    expect(() => parseEsSliceJobData({ ...job, run: 'a:b' })).toThrow('es-slice job.run must be an id of letters, digits and . _ ~ - (at most 160), got "a:b"');
    expect(() => parseEsSliceJobData({ ...job, memberEnd: 4 })).toThrow('es-slice job.memberEnd must be > memberStart (4), got 4');
  });

  it('turns a result back into the slice it answers, and refuses one that answers another', () => {
    const wire = through(sliceResultToWire(result, 'worker-a.1'));
    expect(parseSliceResult(wire, job)).toEqual({ result, worker: 'worker-a.1' });
    const what = 'result of slice 1 (members 4–7) of generation 3';
    expect(() => parseSliceResult(through(sliceResultToWire({ ...result, memberStart: 0 }, 'w')), job)).toThrow(`${what}.memberStart must be 4, got 0`);
    expect(() => parseSliceResult(through(sliceResultToWire({ ...result, losses: [0.1] }, 'w')), job)).toThrow(`${what}.losses must have 4 entries, got 1`);
    expect(() => parseSliceResult(through(sliceResultToWire({ ...result, best: { ...result.best!, member: 9 } }, 'w')), job))
      .toThrow(`${what}.best.member must be a member from 4 to 7, got 9`);
    expect(() => parseSliceResult(through({ ...sliceResultToWire(result, 'w'), worker: '' }), job)).toThrow(`${what}.worker must be a non-empty string of at most 400 characters, got ""`);
  });

  it('checks a blob job against the kind its queue serves', () => {
    expect(parseBlobJobData({ kind: 'experiment', job: 'j0', batch: 'b0' }, 'experiment')).toEqual({ kind: 'experiment', job: 'j0', batch: 'b0' });
    expect(() => parseBlobJobData({ kind: 'es-slice', job: 'j0', batch: 'b0' }, 'experiment')).toThrow('experiment job.kind must be "experiment", got "es-slice"');
    expect(() => parseBlobJobData({ kind: 'experiment', job: 'j0' }, 'experiment')).toThrow(/^experiment job\.batch must be an id .* got nothing/);
  });
});

describe('announcements', () => {
  const compat = { labVersion: '0.1.0', kernel: 'fused-wasm-simd', probe: 'abc' };
  const worker = {
    id: 'host-1.123', host: 'host', pid: 123, cores: 2, concurrency: 2, compat, compatId: 'c1', node: 'v20.20.2', mutantsPerSec: 800,
    startedAt: 1, lastSeen: 2, activity: ['idle'], jobsDone: 0,
  };

  it('leave out the fields a newer lab adds (they are read across versions) and name a wrong one', () => {
    expect(parseAnnouncement({ ...worker, label: 'local', gpu: 'none', compat: { ...compat, wgsl: true } })).toEqual(worker);
    expect(() => parseAnnouncement({ ...worker, activity: ['idle', 3] })).toThrow('worker announcement.activity[1] must be a string, got 3');
    expect(() => parseAnnouncement({ ...worker, compat: { ...compat, kernel: '' } })).toThrow('worker announcement.compat.kernel must be a non-empty string of at most 100 characters, got ""');
    const run = { run: 'r.s1', runId: 'es-lizard', host: 'host', compat, compatId: 'c1' };
    expect(parseRunAnnouncement({ ...run, note: 'x' })).toEqual(run);
    expect(() => parseRunAnnouncement({ ...run, compatId: 7 })).toThrow('run announcement.compatId must be an id of letters, digits and . _ ~ - (at most 160), got 7');
  });
});
