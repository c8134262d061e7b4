/** The Playground's clock (src/renderer/playground/transport.ts): updates owed, where playing stops, measured speed. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMELINE_END, playStop, SpeedMeter, updatesDue } from '../../../../src/renderer/playground/transport';

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
