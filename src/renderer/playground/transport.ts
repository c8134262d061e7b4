/**
 * The Playground's clock: how many updates a frame of the animation owes at a set speed, where "as fast as
 * possible" stops, and the speed measured over the last second. Pure: the store drives it from
 * requestAnimationFrame and steps the engine.
 */

/** Speeds offered, in updates per second; 0 = as fast as possible. */
export const SPEEDS = [1, 2, 5, 10, 20, 30, 60, 120, 240, 0] as const;
/** The timeline's length until the user plays past it (the spec's longest evaluation, 1000 steps). */
export const DEFAULT_TIMELINE_END = 1000;
/** At full speed the page steps for this long per animation frame, leaving the rest for drawing and input. */
export const FRAME_BUDGET_MS = 11;

/**
 * Updates due after `dtMs` at `speed` updates per second, with the fraction carried from the last frame. Never
 * more than a second's worth (a background tab, a long pause of the page must not make it race to catch up).
 */
export function updatesDue(owed: number, dtMs: number, speed: number): { steps: number; owed: number } {
  const total = Math.min(owed + (dtMs / 1000) * speed, Math.max(1, speed));
  const steps = Math.floor(total);
  return { steps, owed: total - steps };
}

/**
 * Where playing stops: `until` when asked; at full speed the timeline's end (a diverged model would otherwise run
 * to step 50,000 in seconds), or one more timeline's length when already there; at a set speed, never.
 */
export function playStop(t: number, timelineEnd: number, speed: number, until: number | null): { until: number | null; timelineEnd: number } {
  if (until !== null || speed !== 0) return { until, timelineEnd };
  const end = t >= timelineEnd ? t + DEFAULT_TIMELINE_END : timelineEnd;
  return { until: end, timelineEnd: end };
}

/** Updates per second over the last second of playing (null until a quarter of a second is measured). */
export class SpeedMeter {
  private samples: { time: number; t: number }[] = [];

  reset(time?: number, t?: number): void {
    this.samples = time === undefined || t === undefined ? [] : [{ time, t }];
  }

  add(time: number, t: number): number | null {
    const s = this.samples;
    s.push({ time, t });
    while (s.length > 2 && time - s[0].time > 1000) s.shift();
    const span = s[s.length - 1].time - s[0].time;
    return span >= 250 ? ((s[s.length - 1].t - s[0].t) * 1000) / span : null;
  }
}
