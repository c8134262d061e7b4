/**
 * The Playground's clock (src/renderer/playground/transport.ts): updates owed, where playing stops, measured speed;
 * and useTransport, play, pause, step and the timeline on a replay, driven frame by frame by a test clock.
 */
import { describe, expect, it, vi } from 'vitest';
import { useReplay } from '../../../../src/renderer/playground/engine';
import { DEFAULT_TIMELINE_END, playStop, SpeedMeter, updatesDue, useTransport, type FrameClock } from '../../../../src/renderer/playground/transport';
import { testModel } from './fixtures';

describe('the playground clock', () => {
  it('owes speed × time, carries the fraction, and never more than a second', () => {
    expect(updatesDue(0, 100, 20)).toEqual({ steps: 2, owed: 0 });
    const a = updatesDue(0, 30, 20);
    expect(a.steps).toBe(0);
    expect(a.owed).toBeCloseTo(0.6, 12);
    const b = updatesDue(a.owed, 30, 20);
    expect(b.steps).toBe(1);
    expect(b.owed).toBeCloseTo(0.2, 12);
    // a background tab for a minute: one second's worth, not 1200
    expect(updatesDue(0, 60_000, 20)).toEqual({ steps: 20, owed: 0 });
    expect(updatesDue(0, 60_000, 1)).toEqual({ steps: 1, owed: 0 });
  });

  it('stops as fast as possible at the timeline end, or a timeline further when there already', () => {
    expect(playStop(10, 1000, 0, null)).toEqual({ until: 1000, timelineEnd: 1000 });
    expect(playStop(1000, 1000, 0, null)).toEqual({ until: 1000 + DEFAULT_TIMELINE_END, timelineEnd: 1000 + DEFAULT_TIMELINE_END });
    expect(playStop(10, 1000, 20, null)).toEqual({ until: null, timelineEnd: 1000 });
    expect(playStop(10, 1000, 0, 50)).toEqual({ until: 50, timelineEnd: 1000 });
  });

  it('measures updates per second over the last second, once a quarter second is seen', () => {
    const m = new SpeedMeter();
    m.reset(0, 0);
    expect(m.add(100, 5)).toBeNull();
    expect(m.add(500, 25)).toBe(50);
    // older than a second drops out: the rate is the last second's
    m.add(1000, 50);
    expect(m.add(1600, 110)).toBe(((110 - 50) * 1000) / 600);
  });
});

/** A clock whose time and frames the test moves: `frame(ms)` advances time and runs the requested frame. */
function testClock() {
  let time = 0;
  let pending: ((now: number) => void) | null = null;
  let ids = 0;
  const clock: FrameClock = {
    now: () => time,
    request: (cb) => {
      pending = cb;
      return ++ids;
    },
    cancel: () => {
      pending = null;
    },
  };
  return {
    clock,
    pending: () => pending !== null,
    frame(ms: number): void {
      time += ms;
      const cb = pending;
      pending = null;
      cb?.(time);
    },
  };
}

async function transportOnModel() {
  const hooks = { stop: () => transport.pause(), rebuilt: () => transport.resetMeter(), changed: vi.fn() };
  const replay = useReplay(hooks);
  const test = testClock();
  const transport = useTransport(replay, test.clock);
  await replay.addModel(testModel('a', 1), true);
  return { replay, transport, test };
}

describe('useTransport: playing the replay', () => {
  it('steps what a set speed owes each frame and measures the speed', async () => {
    const { replay, transport, test } = await transportOnModel();
    transport.setSpeed(20);
    transport.play();
    expect(transport.playing.value).toBe(true);
    test.frame(100);
    expect(replay.t.value).toBe(2);
    for (let i = 0; i < 5; i++) test.frame(100);
    expect(replay.t.value).toBe(12);
    expect(transport.measuredSpeed.value).toBeCloseTo(20, 6);
    transport.togglePlay();
    expect([transport.playing.value, test.pending()]).toEqual([false, false]);
    test.frame(100);
    expect(replay.t.value).toBe(12);
  });

  it('stops where asked, and at full speed at the end of the timeline', async () => {
    const { replay, transport, test } = await transportOnModel();
    transport.play(3);
    while (test.pending()) test.frame(1000);
    expect([replay.t.value, transport.playing.value, transport.playUntil.value]).toEqual([3, false, null]);
    transport.setTimelineEnd(8);
    transport.setSpeed(0);
    transport.play();
    while (test.pending()) test.frame(16);
    expect(replay.t.value).toBe(10);
    expect(transport.timelineEnd.value).toBe(10);
  });

  it('steps, seeks and re-scales the timeline around a step chosen by number', async () => {
    const { replay, transport } = await transportOnModel();
    transport.setTimelineEnd(10);
    for (let i = 0; i < 12; i++) transport.stepForward();
    expect([replay.t.value, transport.timelineEnd.value]).toEqual([12, 12]);
    transport.stepBack();
    expect(replay.t.value).toBe(11);
    transport.seek(-4);
    expect(replay.t.value).toBe(0);
    transport.jumpTo(1500);
    expect([replay.t.value, transport.timelineEnd.value]).toEqual([1500, 1500]);
    transport.restart();
    expect([replay.t.value, transport.timelineEnd.value]).toEqual([0, DEFAULT_TIMELINE_END]);
    transport.setTimelineEnd(Number.NaN);
    transport.setTimelineEnd(2);
    expect(transport.timelineEnd.value).toBe(10);
  });

  it('stops playing when the engine is rebuilt', async () => {
    const { replay, transport, test } = await transportOnModel();
    transport.play();
    test.frame(100);
    await replay.setReplaySeed(7);
    expect([transport.playing.value, test.pending(), transport.measuredSpeed.value, replay.t.value]).toEqual([false, false, null, 0]);
  });
});
