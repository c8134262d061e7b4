// @vitest-environment happy-dom
/** The renderer's lib: the address router and what the run views compute from a RunInfo. */
import { describe, expect, it } from 'vitest';
import { hrefFor, parseHash } from '../../../../src/renderer/lib/router';
import { etaSeconds, fractionDone, trainingText, unitOf, withProgress } from '../../../../src/renderer/lib/runs/run-summary';
import { fakeRun, progress } from '../fake-lab';

describe('router', () => {
  it('reads the view, its parameter and the query from the hash, and writes them back', () => {
    const r = parseHash('#/runs/20261202-es%20x?tab=metrics');
    expect(r.view).toBe('runs');
    expect(r.param).toBe('20261202-es x');
    expect(r.query.get('tab')).toBe('metrics');
    expect(parseHash('').view).toBe('');
    expect(parseHash('#/new').param).toBeNull();
    expect(hrefFor('overlay', null, { runs: 'a,b' })).toBe('#/overlay?runs=a%2Cb');
    expect(hrefFor('runs', 'a b')).toBe('#/runs/a%20b');
    expect(parseHash(hrefFor('runs', 'a/b')).param).toBe('a/b');
  });
});

describe('run summary', () => {
  it('names the unit of each optimizer', () => {
    expect(unitOf({ optimizer: 'es' }).many).toBe('generations');
    expect(unitOf({ optimizer: 'adam' }).one).toBe('iteration');
  });

  it('says who trains a running run: this lab, or the process on the workspace that does', () => {
    const live = { workers: 2, owner: null, sessionStartedAt: '', requested: null, generationsPerSec: null, mutantsPerSec: null, iterationsPerSec: null };
    expect(trainingText({ live })).toBe('training with 2 worker processes');
    expect(trainingText({ live: { ...live, workers: 1, owner: { pid: 4711, host: 'lab-1', command: 'nca-lab train' } } }))
      .toBe('training in nca-lab train (process 4711 on lab-1) with 1 worker process');
    expect(trainingText({ live: { ...live, workers: null, owner: { pid: 9, host: 'h', command: null } } })).toBe('training in another process (process 9 on h)');
    expect(trainingText({ live: { ...live, workers: 0 } })).toBe('training in its own process');
  });

  it('gives the ETA to the nearest stop condition while the run trains', () => {
    const run = fakeRun('a', { status: 'running' });
    run.config.stop = { maxGenerations: 1000, maxSeconds: 60, targetLoss: null };
    run.progress.generation = 400;
    run.progress.wallSeconds = 20;
    run.live = { workers: 2, owner: null, sessionStartedAt: '', requested: null, generationsPerSec: 100, mutantsPerSec: 600, iterationsPerSec: null };
    expect(etaSeconds(run)).toBe(6);
    run.live.generationsPerSec = 10;
    expect(etaSeconds(run)).toBe(40);
    expect(fractionDone(run)).toBe(0.4);
    expect(etaSeconds({ ...run, status: 'paused' })).toBeNull();
  });

  it('merges a progress event as the RunManager does (best losses never rise, finite only)', () => {
    const run = fakeRun('a', { status: 'running' });
    const a = withProgress(run, progress('a', 10, 0.05, { eval40: 0.03, eval200: 0.2 }));
    expect(a.progress).toMatchObject({ generation: 10, lastLoss: 0.05, bestLoss: 0.05, bestEval40: 0.03, lastEval200: 0.2 });
    const b = withProgress(a, progress('a', 11, Number.NaN, { bestLoss: null }));
    expect(b.progress.bestLoss).toBe(0.05);
    const stale = withProgress({ ...b, status: 'paused' }, progress('a', 5, 0.01));
    expect(stale.progress.generation).toBe(11);
  });
});
