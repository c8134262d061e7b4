/**
 * The replay engine of the playground and of `nca-lab grow`: one or more models grown side by side, in
 * lockstep, from the same seed cells with the same fire masks and the same damage log; stepped forward, stepped
 * back and scrubbed, with the per-step RGBA loss of each (spec a.4, b.3, f.1, g).
 *
 * Indexing (f.1): `t` counts CA updates applied; the state at t = 0 is the seed. Damage events run after the
 * update that makes state t and before its loss is measured, as in the thesis's hook. The thesis logs the loss
 * of state t at index k = t − 1, and its growth strips' frame k is the state at t = k (f.2, g).
 *
 * Reproducibility: the fire mask of update t comes from its own Philox stream (replay seed, STREAM_FIRE, t),
 * so state t is a pure function of (models, canvas, seed cells, replay seed, damage log, t): the same inputs give
 * bit-identical states, any state can be rebuilt from any earlier one, and every model of a side-by-side replay
 * sees the same fire masks.
 *
 * History in bounded memory: every state visited recently is kept (for step back), plus snapshots every
 * `snapshotEvery` updates; when the snapshots outgrow their share of the budget, every other one is dropped and
 * the interval doubles. A state that is in neither is re-simulated from the nearest snapshot before it.
 * Losses are kept for every update up to the `frontier` (the furthest state computed since the log last changed).
 */
import { paramLayout, validateNcaConfig, type NcaConfig } from '../nca/config';
import { FusedNca, FusedScratch } from '../nca/fused';
import { rgbaMsePerSample } from '../nca/loss';
import { makeSeed, type StateBatch } from '../nca/state';
import { Philox } from '../rng/philox';
import { targetOnCanvas, type CanvasTarget } from './canvas-target';
import {
  isActiveAt, parseDamageEvent, parseDamageLog, STREAM_FIRE,
  type DamageEvent, type DamageEventRequest,
} from './damage-event';
import { applyDamage, resolveDamage } from '../damage/kinds';

export interface ReplayModel {
  /** shown in legends, exports and the CSV header */
  name: string;
  nca: NcaConfig;
  params: Float32Array;
  /** the premultiplied RGBA target on the model's training canvas; null: none known (no loss, FGSM against 0) */
  target: CanvasTarget | null;
}

export interface ReplaySetup {
  models: ReplayModel[];
  /** the replay canvas; at least every model's training canvas */
  height: number;
  width: number;
  /** seed cells as (y, x); default: the centre (H//2, W//2) (a.5) */
  seeds?: [number, number][];
  /** the replay's random seed: fire masks (and the random choices of damages added later) derive from it */
  seed: number;
  /** a damage log to start with (validated; random choices already made) */
  damage?: DamageEvent[];
}

export interface ReplayMemoryOptions {
  /** bytes of kept states (snapshots and recent ones together), default 64 MiB */
  budgetBytes?: number;
  /** initial snapshot interval in updates (default 8) */
  snapshotEvery?: number;
}

export const MAX_REPLAY_CANVAS = 512;
export const DEFAULT_MEMORY_BUDGET = 64 * 1024 * 1024;

type States = Float32Array[];

export class GrowthReplay {
  readonly height: number;
  readonly width: number;
  readonly seed: number;
  readonly models: readonly ReplayModel[];
  private seedCells: [number, number][];
  private readonly ncas: FusedNca[];
  private readonly scratch: FusedScratch[];
  /** each model's target on the replay canvas */
  private readonly targets: (Float32Array | null)[];
  private log: DamageEvent[];
  private cur: StateBatch[];
  private tNow = 0;
  private frontierT = 0;
  private readonly losses: number[][];
  private snapshots = new Map<number, States>();
  private snapshotEvery: number;
  private readonly maxSnapshots: number;
  private readonly recent = new Map<number, States>();
  private readonly maxRecent: number;

  constructor(setup: ReplaySetup, memory: ReplayMemoryOptions = {}) {
    const { height, width } = setup;
    if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1 || height > MAX_REPLAY_CANVAS || width > MAX_REPLAY_CANVAS) {
      throw new RangeError(`replay canvas must be whole cells from 1 to ${MAX_REPLAY_CANVAS} on each side, got ${height}×${width}`);
    }
    if (!Number.isSafeInteger(setup.seed) || setup.seed < 0) throw new RangeError(`replay seed must be an integer ≥ 0, got ${setup.seed}`);
    if (setup.models.length === 0) throw new RangeError('a replay needs at least one model');
    this.height = height;
    this.width = width;
    this.seed = setup.seed;
    this.models = setup.models.map((m, i) => {
      validateNcaConfig(m.nca);
      const expected = paramLayout(m.nca).total;
      if (m.params.length !== expected) throw new RangeError(`model ${i + 1} (${m.name}): expected ${expected} parameters for its config, got ${m.params.length}`);
      if (m.target && (m.target.height > height || m.target.width > width)) {
        throw new RangeError(`model ${i + 1} (${m.name}) was trained on ${m.target.height}×${m.target.width}: the canvas must be at least that, got ${height}×${width}`);
      }
      return { ...m };
    });
    this.seedCells = checkSeeds(setup.seeds ?? [[Math.floor(height / 2), Math.floor(width / 2)]], height, width);
    this.ncas = this.models.map((m) => new FusedNca(m.nca, m.params));
    this.targets = this.models.map((m) => (m.target ? targetOnCanvas(m.target, height, width).rgba : null));
    this.log = parseDamageLog(setup.damage ?? []);
    const stateBytes = this.models.reduce((sum, m) => sum + height * width * m.nca.channels * 4, 0);
    const budget = memory.budgetBytes ?? DEFAULT_MEMORY_BUDGET;
    // half the budget for recent states, half for snapshots; at least a few of each whatever the budget
    this.maxRecent = Math.max(4, Math.min(512, Math.floor(budget / 2 / stateBytes)));
    this.maxSnapshots = Math.max(4, Math.floor(budget / 2 / stateBytes));
    this.snapshotEvery = Math.max(1, Math.floor(memory.snapshotEvery ?? 8));
    this.cur = this.initialStates();
    this.scratch = this.cur.map((s) => new FusedScratch(s));
    this.losses = this.models.map(() => []);
    this.recordLosses();
    this.remember();
  }

  /** CA updates applied to the current state. */
  get t(): number {
    return this.tNow;
  }

  /** The furthest update whose state and loss are known under the current damage log. */
  get frontier(): number {
    return this.frontierT;
  }

  get seeds(): [number, number][] {
    return this.seedCells.map(([y, x]) => [y, x]);
  }

  get damage(): readonly DamageEvent[] {
    return this.log;
  }

  /** Model m's current state (read it; do not change it). */
  state(m = 0): StateBatch {
    return this.cur[m];
  }

  /** Model m's target on the replay canvas, or null. */
  target(m = 0): Float32Array | null {
    return this.targets[m];
  }

  /** Model m's loss at t (≤ frontier). */
  loss(m = 0, t = this.tNow): number {
    if (t > this.frontierT || t < 0) throw new RangeError(`the loss at update ${t} is not known yet (known up to ${this.frontierT})`);
    return this.losses[m][t];
  }

  /** Model m's loss after each update 0…frontier (NaN where the model has no target). */
  lossSeries(m = 0): readonly number[] {
    return this.losses[m];
  }

  /** One update forward (or `count`). */
  stepForward(count = 1): void {
    this.seek(this.tNow + count);
  }

  /** One update back; false at the seed. */
  stepBack(): boolean {
    if (this.tNow === 0) return false;
    this.seek(this.tNow - 1);
    return true;
  }

  /** Moves to the state after `target` updates, re-simulating from the nearest kept state when needed. */
  seek(target: number): void {
    if (!Number.isSafeInteger(target) || target < 0) throw new RangeError(`cannot go to update ${target}: updates are counted from 0`);
    if (target === this.tNow) return;
    const kept = this.recent.get(target);
    if (kept) {
      this.load(kept, target);
      return;
    }
    // start from the latest known state at or before the target: a kept one, or the current one when nearer
    const start = this.latestKept(target);
    if (start && (target < this.tNow || start[0] > this.tNow)) this.load(start[1], start[0]);
    else if (target < this.tNow) {
      this.cur = this.initialStates();
      this.tNow = 0;
    }
    while (this.tNow < target) this.advance();
  }

  /**
   * Adds a damage event (random choices made now from the replay seed and the event's place in the log) and
   * returns it as recorded. Damage at the current update is applied to the current state at once (the brush
   * shows on the next frame); damage in the past re-simulates from before it up to the current update; states
   * after the damage that were computed under the old log are forgotten.
   */
  addDamage(request: DamageEventRequest): DamageEvent {
    const event = parseDamageEvent({ ...request, damage: resolveDamage(request.damage, this.seed, this.log.length) });
    this.log.push(event);
    const a = event.afterUpdate;
    if (a === this.tNow && a <= this.frontierT) {
      this.cur.forEach((s, m) => applyDamage(s, event.damage, { targetRgba: this.targets[m], t: a }));
      this.forgetAfter(a);
      for (let m = 0; m < this.models.length; m++) this.losses[m].length = a;
      this.frontierT = a - 1;
      this.recordLosses();
      this.remember();
    } else {
      this.invalidateFrom(a);
    }
    return event;
  }

  /** Removes event `index` of the log; what it changed is re-simulated. */
  removeDamage(index: number): DamageEvent {
    if (!Number.isInteger(index) || index < 0 || index >= this.log.length) {
      throw new RangeError(`no damage event ${index}: the log has ${this.log.length}`);
    }
    const [event] = this.log.splice(index, 1);
    this.invalidateFrom(event.afterUpdate);
    return event;
  }

  /** Replaces the whole log (validated), keeping the current update. */
  setDamageLog(events: DamageEvent[]): void {
    this.log = parseDamageLog(events);
    this.invalidateFrom(0);
  }

  /** New seed cells: the replay starts again from t = 0. */
  setSeeds(seeds: [number, number][]): void {
    this.seedCells = checkSeeds(seeds, this.height, this.width);
    this.tNow = 0;
    this.invalidateFrom(0);
  }

  /** The damage events that act on the state after t updates. */
  eventsAt(t: number): DamageEvent[] {
    return this.log.filter((e) => isActiveAt(e, t));
  }

  /** Whether every model's step runs on the WebAssembly SIMD kernel (else FusedNca's plain TypeScript MLP). */
  get usesKernel(): boolean {
    return this.ncas.every((n) => n.usesKernel);
  }

  /** Bytes of states kept for history (snapshots + recent), for tests and the status line. */
  keptBytes(): number {
    let n = 0;
    for (const store of [this.snapshots, this.recent]) for (const s of store.values()) for (const a of s) n += a.byteLength;
    return n;
  }

  /** Kept snapshot times and the current interval (for tests). */
  snapshotInfo(): { times: number[]; every: number; recent: number } {
    return { times: [...this.snapshots.keys()].sort((a, b) => a - b), every: this.snapshotEvery, recent: this.recent.size };
  }

  // ---- internals ----

  private initialStates(): StateBatch[] {
    const states = this.models.map((m) => makeSeed(this.height, this.width, m.nca.channels, 1, this.seedCells));
    for (const e of this.log) {
      if (isActiveAt(e, 0)) states.forEach((s, m) => applyDamage(s, e.damage, { targetRgba: this.targets[m], t: 0 }));
    }
    return states;
  }

  /** One CA update of every model (a.4), then the damage active at the new t. */
  private advance(): void {
    const t = this.tNow + 1;
    const events = this.log.filter((e) => isActiveAt(e, t));
    for (let m = 0; m < this.cur.length; m++) {
      const s = this.cur[m];
      this.ncas[m].step(s, new Philox(this.seed, STREAM_FIRE, t), this.scratch[m]);
      for (const e of events) applyDamage(s, e.damage, { targetRgba: this.targets[m], t });
    }
    this.tNow = t;
    if (t > this.frontierT) this.recordLosses();
    this.remember();
  }

  /** Appends the current state's losses (the current t must be frontier + 1). */
  private recordLosses(): void {
    for (let m = 0; m < this.cur.length; m++) {
      const target = this.targets[m];
      this.losses[m][this.tNow] = target ? rgbaMsePerSample(this.cur[m], target)[0] : NaN;
    }
    this.frontierT = this.tNow;
  }

  private copyCurrent(): States {
    return this.cur.map((s) => s.data.slice());
  }

  private load(states: States, t: number): void {
    this.cur.forEach((s, m) => s.data.set(states[m]));
    this.tNow = t;
  }

  /** Keeps the current state as a recent one, and as a snapshot on the interval. */
  private remember(): void {
    const t = this.tNow;
    const copy = this.copyCurrent();
    this.recent.delete(t);
    this.recent.set(t, copy);
    while (this.recent.size > this.maxRecent) this.recent.delete(this.recent.keys().next().value as number);
    if (t % this.snapshotEvery === 0) {
      this.snapshots.set(t, this.recent.get(t)!.map((a) => a.slice()));
      while (this.snapshots.size > this.maxSnapshots) {
        this.snapshotEvery *= 2;
        for (const k of [...this.snapshots.keys()]) if (k % this.snapshotEvery !== 0) this.snapshots.delete(k);
      }
    }
  }

  /** Forgets every kept state after update a. */
  private forgetAfter(a: number): void {
    for (const store of [this.snapshots, this.recent]) for (const k of [...store.keys()]) if (k > a) store.delete(k);
  }

  /** The log changed at update a: states and losses from a on are stale; rebuild the current state. */
  private invalidateFrom(a: number): void {
    if (a > this.frontierT) return;
    const keep = this.tNow;
    this.forgetAfter(a - 1);
    for (let m = 0; m < this.models.length; m++) this.losses[m].length = a;
    if (a === 0) {
      this.cur = this.initialStates();
      this.tNow = 0;
      this.recordLosses();
      this.remember();
    } else {
      this.frontierT = a - 1;
      // the current state is stale from a on: start again from the latest kept state before a (the seed's
      // snapshot at 0 is always kept)
      if (this.tNow >= a) {
        const [from, states] = this.latestKept(a - 1)!;
        this.load(states, from);
      }
    }
    this.seek(keep);
  }

  /** The latest kept state (snapshot or recent) at or before update t. */
  private latestKept(t: number): [number, States] | null {
    let best: [number, States] | null = null;
    for (const store of [this.snapshots, this.recent]) {
      for (const [k, s] of store) if (k <= t && (!best || k > best[0])) best = [k, s];
    }
    return best;
  }
}

function checkSeeds(seeds: [number, number][], height: number, width: number): [number, number][] {
  if (!Array.isArray(seeds) || seeds.length === 0) throw new RangeError('a replay needs at least one seed cell');
  if (seeds.length > height * width) throw new RangeError(`at most ${height * width} seed cells on a ${height}×${width} canvas`);
  return seeds.map(([y, x], i) => {
    if (!Number.isInteger(y) || !Number.isInteger(x) || y < 0 || y >= height || x < 0 || x >= width) {
      throw new RangeError(`seed ${i + 1} at (${y}, ${x}) is outside the ${height}×${width} canvas`);
    }
    return [y, x];
  });
}
