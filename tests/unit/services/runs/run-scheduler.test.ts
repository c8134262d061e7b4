import { describe, expect, it } from 'vitest';
import { RunScheduler, type ScheduledSession } from '../../../../src/services/runs/run-scheduler';
import { settleSession } from '../../../../src/services/runs/session-outcome';
import type { TrainOutcome } from '../../../../src/services/training/context';

const es = (runId: string, over: Partial<ScheduledSession> = {}): ScheduledSession => ({
  runId, claim: { id: runId, optimizer: 'es', cap: Number.POSITIVE_INFINITY }, workers: 1, startedAt: 0, leaving: null, reporting: true, ...over,
});

describe('RunScheduler', () => {
  it('lets the queue look for slots first in, first out up to the limit and keeps places', () => {
    const s = new RunScheduler(4, 2, 10_000, () => 0);
    for (const id of ['a', 'b', 'c', 'd']) s.enqueue(id);
    // one session trains: only the head may claim a workspace slot
    expect(['a', 'b', 'c', 'd'].filter((id) => s.mayClaim(id, 1))).toEqual(['a']);
    expect(s.remove('a')).toBe(true);
    expect(s.positionOf('b')).toBe(1);
    expect(s.positionOf('d')).toBe(3);
    expect(s.remove('c')).toBe(true);
    expect(s.remove('c')).toBe(false);
    s.setMaxConcurrent(4);
    expect(['b', 'd', 'x'].filter((id) => s.mayClaim(id, 2))).toEqual(['b', 'd']);
    expect(() => s.setMaxConcurrent(0)).toThrow(/integer ≥ 1, got 0/);
  });

  it('shares the cores between ES sessions and an Adam session; sessions leaving for good give theirs up', () => {
    const s = new RunScheduler(4, 4, 0, () => 0);
    const adam: ScheduledSession = { ...es('m'), claim: { id: 'm', optimizer: 'adam', cap: 1 } };
    expect(Object.fromEntries(s.shares([es('a'), es('b'), adam]))).toEqual({ a: 2, b: 1, m: 1 });
    expect(Object.fromEntries(s.shares([es('a'), es('b', { leaving: 'for-good' }), adam]))).toEqual({ a: 3, m: 1 });
  });

  it('restarts a session whose share shrank at once, and one whose share grew only once it is old enough', () => {
    let now = 5_000;
    const s = new RunScheduler(2, 2, 10_000, () => now);
    // alone on 2 cores but started with 1: it grows only after minReshareAgeMs
    expect(s.reshares([es('a', { workers: 1 })])).toEqual([]);
    now = 10_000;
    expect(s.reshares([es('a', { workers: 1 })])).toEqual([{ runId: 'a', share: 2, was: 1 }]);
    // a second run arrives: the first shrinks to 1 at once
    now = 0;
    expect(s.reshares([es('a', { workers: 2 }), es('b', { workers: 1 })])).toEqual([{ runId: 'a', share: 1, was: 2 }]);
    // a session still starting its workers (no progress yet) is left alone
    expect(s.reshares([es('a', { workers: 2, reporting: false }), es('b')])).toEqual([]);
  });
});

describe('settleSession', () => {
  const out = (status: TrainOutcome['status'], reason = 'r'): TrainOutcome => ({ status, reason, generation: 42, bestEval40: null });
  it('relaunches a session paused to re-share, unless the lab is closing', () => {
    expect(settleSession(out('paused'), { kind: 'reshare' }, false)).toEqual({ relaunch: true });
    expect(settleSession(out('paused'), { kind: 'reshare' }, true)).toEqual({
      relaunch: false, status: 'paused', reason: 'paused when the lab closed, at generation 42; resume to continue',
    });
  });
  it("records the user's pause or stop in the user's words, and a pause nobody asked for as a failure", () => {
    expect(settleSession(out('paused'), { kind: 'user', action: 'stop' }, false)).toEqual({ relaunch: false, status: 'stopped', reason: 'stopped by the user at generation 42' });
    expect(settleSession(out('paused', 'paused at generation 42'), null, false)).toEqual({
      relaunch: false, status: 'failed', reason: 'the trainer ended the session unasked (paused at generation 42)',
    });
    expect(settleSession(out('finished', 'reached max generations (42)'), { kind: 'user', action: 'pause' }, false)).toEqual({
      relaunch: false, status: 'finished', reason: 'reached max generations (42)',
    });
  });
});
