/**
 * The Playground's clock: how many updates a frame of the animation owes at a set speed, where "as fast as
 * possible" stops, and the speed measured over the last second (pure); and `useTransport`, play, pause, step,
 * speed and the timeline, driven by requestAnimationFrame on the replay (engine.ts), which the store composes.
 */
import { messageOf } from '@shared/validate';
import type { GrowthReplay } from '@core/replay/growth-replay';
import { ref } from 'vue';
import type { Replay } from './engine';

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

/** The animation frame scheduler (the page's requestAnimationFrame; tests pass their own). */
export interface FrameClock {
  now(): number;
  request(cb: (now: number) => void): number;
  cancel(id: number): void;
}

const pageClock: FrameClock = {
  now: () => performance.now(),
  request: (cb) => requestAnimationFrame(cb),
  cancel: (id) => cancelAnimationFrame(id),
};

/** Play, pause, step, seek, speed and the timeline's end, on the replay's engine. */
export function useTransport(replay: Pick<Replay, 'current' | 'guarded' | 'sync' | 't' | 'engineError'>, clock: FrameClock = pageClock) {
  const playing = ref(false);
  /** updates per second; 0 = as fast as possible */
  const speed = ref<number>(20);
  /** measured updates per second while playing */
  const measuredSpeed = ref<number | null>(null);
  /** stop playing here (null: play on) */
  const playUntil = ref<number | null>(null);
  /**
   * The timeline's end: the slider's and the loss chart's x range. Playing at a set speed pushes it on; "as fast as
   * possible" stops there; jumping back re-scales it.
   */
  const timelineEnd = ref(DEFAULT_TIMELINE_END);
  const meter = new SpeedMeter();
  const { t, guarded } = replay;
  let raf = 0;
  let last = 0;
  let owed = 0;

  function stepForward(): void {
    guarded((e) => e.stepForward());
    if (t.value > timelineEnd.value) timelineEnd.value = t.value;
  }

  function seek(target: number): void {
    guarded((e) => e.seek(Math.max(0, Math.round(target))));
  }

  /** Go to a step chosen by number (restart, "go to"): the timeline and the chart's x re-scale around it. */
  function jumpTo(target: number): void {
    seek(target);
    timelineEnd.value = Math.max(DEFAULT_TIMELINE_END, t.value);
  }

  /** The user's timeline end (at least 10 steps, and never before the current step). */
  function setTimelineEnd(end: number): void {
    if (!Number.isFinite(end)) return;
    timelineEnd.value = Math.max(10, t.value, Math.round(end));
  }

  function play(until: number | null = null): void {
    const engine = replay.current();
    if (!engine || playing.value) return;
    const stop = playStop(engine.t, timelineEnd.value, speed.value, until);
    timelineEnd.value = stop.timelineEnd;
    playUntil.value = stop.until;
    playing.value = true;
    last = clock.now();
    owed = 0;
    meter.reset(last, engine.t);
    raf = clock.request(tick);
  }

  function pause(): void {
    playing.value = false;
    playUntil.value = null;
    if (raf) clock.cancel(raf);
    raf = 0;
  }

  function setSpeed(v: number): void {
    speed.value = v;
    owed = 0;
    const engine = replay.current();
    if (engine) meter.reset(clock.now(), engine.t);
    else meter.reset();
  }

  /** Steps the engine for one animation frame: a frame's budget at full speed, else the updates the clock owes. */
  function advance(e: GrowthReplay, now: number, stop: number | null): void {
    if (speed.value === 0) {
      const start = clock.now();
      do e.stepForward();
      while (clock.now() - start < FRAME_BUDGET_MS && (stop === null || e.t < stop));
      return;
    }
    const due = updatesDue(owed, now - last, speed.value);
    owed = due.owed;
    for (let i = 0; i < due.steps && (stop === null || e.t < stop); i++) e.stepForward();
  }

  function tick(now: number): void {
    raf = 0;
    const e = replay.current();
    if (!playing.value || !e) return;
    const stop = playUntil.value;
    try {
      advance(e, now, stop);
    } catch (err) {
      replay.engineError.value = messageOf(err);
      pause();
    }
    last = now;
    if (e.t > timelineEnd.value) timelineEnd.value = e.t;
    const measured = meter.add(now, e.t);
    if (measured !== null) measuredSpeed.value = measured;
    replay.sync();
    if (stop !== null && e.t >= stop) {
      pause();
      return;
    }
    if (playing.value) raf = clock.request(tick);
  }

  return {
    playing, speed, measuredSpeed, playUntil, timelineEnd,
    stepForward, seek, jumpTo, setTimelineEnd, play, pause, setSpeed,
    stepBack: (): void => guarded((e) => e.stepBack()),
    restart: (): void => jumpTo(0),
    togglePlay: (): void => (playing.value ? pause() : play()),
    /** A new engine: the measured speed starts again. */
    resetMeter(): void {
      meter.reset();
      measuredSpeed.value = null;
    },
  };
}
