import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../../../src/services/compute/backend';
import { THESIS_ES_MODEL, THESIS_ADAM_MODEL, initParams, paramLayout, type NcaConfig } from '../../../../src/core/nca/config';
import { FusedNca } from '../../../../src/core/nca/fused';
import { step as tfjsStep } from '../../../../src/core/nca/step';
import { makeSeed, type StateBatch } from '../../../../src/core/nca/state';
import { rgbaMse } from '../../../../src/core/nca/loss';
import { eraseThesis, fgsmStep } from '../../../../src/core/damage/damage';
import { padTarget } from '../../../../src/core/targets/target';
import { Philox } from '../../../../src/core/rng/philox';
import { loadBuiltinTarget } from '../../../../src/services/targets/targets';
import { GrowthReplay, type ReplayModel, type ReplaySetup } from '../../../../src/core/replay/growth-replay';
import { targetOnCanvas } from '../../../../src/core/replay/canvas-target';
import { STREAM_FIRE, parseDamageEvent, type DamageEvent } from '../../../../src/core/replay/damage-event';
import { parseDamageText, eventToText } from '../../../../src/core/replay/damage-text';
import { makeRecording, parseGrowthRecording } from '../../../../src/core/replay/recording';
import { renderFrame, heatColour } from '../../../../src/core/replay/frames';

beforeAll(async () => {
  await initNodeBackend();
});

/** A model that grows: torch init for layer 1, a random (not zero) layer 2, like a partly trained one. */
function model(name: string, cfg: NcaConfig, seed: number, targetName = 'carrot-9', scale = 0.3): ReplayModel {
  const rng = new Philox(seed);
  const params = initParams(cfg, 'torch', () => rng.uniform());
  const L = paramLayout(cfg);
  for (let i = 0; i < L.kernel1.size; i++) params[L.kernel1.offset + i] = (rng.uniform() * 2 - 1) * scale;
  const t = loadBuiltinTarget(targetName);
  return { name, nca: cfg, params, target: { height: t.height, width: t.width, rgba: t.rgba } };
}

function setup(over: Partial<ReplaySetup> = {}): ReplaySetup {
  return { models: [model('es', THESIS_ES_MODEL, 2)], height: 9, width: 9, seed: 42, ...over };
}

function bytesEqual(a: StateBatch | Float32Array, b: StateBatch | Float32Array): boolean {
  const x = 'data' in a ? a.data : a;
  const y = 'data' in b ? b.data : b;
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
}

function snapshot(r: GrowthReplay, m = 0): Float32Array {
  return r.state(m).data.slice();
}

const mixedLog: DamageEvent[] = [
  { afterUpdate: 0, damage: { kind: 'noise', std: 0.01, seed: 7 } },
  { afterUpdate: 3, repeatUntil: 12, damage: { kind: 'fgsm', eps: 0.002, clamp: 'rgba' } },
  { afterUpdate: 20, damage: { kind: 'circle', cx: 0.1, cy: -0.2, r: 0.3 } },
  { afterUpdate: 25, damage: { kind: 'disc', cy: 4, cx: 4, radius: 1.5 } },
  { afterUpdate: 30, damage: { kind: 'rect', y0: 0, y1: 3, x0: 2, x1: 7 } },
  { afterUpdate: 31, repeatUntil: 33, damage: { kind: 'noise', std: 0.05, seed: 9 } },
  { afterUpdate: 40, damage: { kind: 'thesis', variant: 'bottom' } },
];

describe('GrowthReplay: the CA step it runs', () => {
  it('is FusedNca with one Philox stream per update, and agrees with the tfjs step', () => {
    const m = model('adam', THESIS_ADAM_MODEL, 3);
    const r = new GrowthReplay(setup({ models: [m], seed: 5 }));
    const nca = new FusedNca(m.nca, m.params);
    const s = makeSeed(9, 9, 16);
    let ref = makeSeed(9, 9, 16);
    for (let t = 1; t <= 24; t++) {
      r.stepForward();
      nca.step(s, new Philox(5, STREAM_FIRE, t));
      ref = tfjsStep(m.nca, ref, m.params, new Philox(5, STREAM_FIRE, t));
      expect(r.t).toBe(t);
      expect(bytesEqual(r.state(), s)).toBe(true);
      let worst = 0;
      for (let i = 0; i < s.data.length; i++) worst = Math.max(worst, Math.abs(s.data[i] - ref.data[i]));
      expect(worst).toBeLessThan(1e-4);
      expect(r.loss()).toBeCloseTo(rgbaMse(s, m.target!.rgba), 12);
    }
    // it grows: many cells are alive after 24 updates
    let alive = 0;
    for (let c = 0; c < 81; c++) if (r.state().data[c * 16 + 3] > 0.1) alive++;
    expect(alive).toBeGreaterThan(8);
  });

  it('measures the loss at t = 0 against the target (carrot 9 seed-vs-target 0.089656, spec b.2)', () => {
    const r = new GrowthReplay(setup());
    expect(r.t).toBe(0);
    expect(r.frontier).toBe(0);
    expect(r.loss(0, 0)).toBeCloseTo(0.089656, 6);
    expect(r.lossSeries()).toHaveLength(1);
  });
});

describe('GrowthReplay: same seed + damage log ⇒ identical states', () => {
  it('two replays of the same log match bit for bit at every update, losses too', () => {
    const a = new GrowthReplay(setup({ damage: mixedLog }));
    const b = new GrowthReplay(setup({ damage: mixedLog }));
    for (let t = 1; t <= 60; t++) {
      a.stepForward();
      b.stepForward();
      expect(bytesEqual(a.state(), b.state())).toBe(true);
    }
    expect(a.lossSeries()).toEqual(b.lossSeries());
    // and the log mattered: without it the state differs
    const plain = new GrowthReplay(setup());
    plain.seek(60);
    expect(bytesEqual(plain.state(), a.state())).toBe(false);
    // another seed gives other fire masks
    const other = new GrowthReplay(setup({ damage: mixedLog, seed: 43 }));
    other.seek(60);
    expect(bytesEqual(other.state(), a.state())).toBe(false);
  });

  it('damage added while playing equals the same damage scheduled in advance (the recorded log re-runs)', () => {
    const live = new GrowthReplay(setup());
    live.seek(20);
    const circle = live.addDamage({ afterUpdate: 20, damage: { kind: 'circle' } }); // random: from the seed and its place
    expect(circle.damage.kind).toBe('circle');
    live.seek(52);
    live.addDamage({ afterUpdate: 52, damage: { kind: 'thesis', variant: 'bottom' } });
    live.addDamage({ afterUpdate: 52, damage: { kind: 'noise', std: 0.02 } });
    // the bottom half is gone at once (before the noise, which touches every cell)
    const log = live.damage.map((e) => structuredClone(e));
    expect(log.map(eventToText)).toEqual([
      expect.stringMatching(/^circle:[-0-9.e]+,[-0-9.e]+,[0-9.e]+@20$/),
      'thesis:bottom@52',
      expect.stringMatching(/^noise:0\.02,\d+@52$/),
    ]);
    live.seek(100);

    const scheduled = new GrowthReplay(setup({ damage: log }));
    scheduled.seek(100);
    expect(bytesEqual(live.state(), scheduled.state())).toBe(true);
    expect(live.lossSeries()).toEqual(scheduled.lossSeries());
    // the same requests in the same order on another replay with the same seed resolve to the same log
    const again = new GrowthReplay(setup());
    again.seek(20);
    expect(again.addDamage({ afterUpdate: 20, damage: { kind: 'circle' } })).toEqual(circle);
  });

  it('a brush stroke changes the current state at once, and the loss at that update', () => {
    const r = new GrowthReplay(setup());
    r.seek(30);
    const before = r.loss();
    r.addDamage({ afterUpdate: 30, damage: { kind: 'disc', cy: 4, cx: 4, radius: 2 } });
    expect(r.t).toBe(30);
    expect(r.frontier).toBe(30);
    for (const [y, x] of [[4, 4], [3, 4], [4, 6], [2, 4]]) {
      expect(Array.from(r.state().data.subarray((y * 9 + x) * 16, (y * 9 + x + 1) * 16))).toEqual(new Array(16).fill(0));
    }
    expect(r.loss()).not.toBe(before);
  });

  it('damage added in the past re-simulates up to the current update; removing it restores the plain replay', () => {
    const plain = new GrowthReplay(setup());
    plain.seek(100);
    const r = new GrowthReplay(setup());
    r.seek(100);
    r.addDamage({ afterUpdate: 52, damage: { kind: 'thesis', variant: '3x3' } });
    expect(r.t).toBe(100);
    expect(r.frontier).toBe(100);
    const ref = new GrowthReplay(setup({ damage: [{ afterUpdate: 52, damage: { kind: 'thesis', variant: '3x3' } }] }));
    ref.seek(100);
    expect(bytesEqual(r.state(), ref.state())).toBe(true);
    expect(r.lossSeries()).toEqual(ref.lossSeries());
    r.removeDamage(0);
    expect(r.damage).toEqual([]);
    expect(bytesEqual(r.state(), plain.state())).toBe(true);
    expect(r.lossSeries()).toEqual(plain.lossSeries());
  });

  it('scheduled damage in the future forgets the states computed past it', () => {
    const r = new GrowthReplay(setup());
    r.seek(80);
    r.seek(10);
    expect(r.frontier).toBe(80);
    r.addDamage({ afterUpdate: 40, damage: { kind: 'thesis', variant: 'bottom' } });
    expect(r.t).toBe(10);
    expect(r.frontier).toBe(39);
    r.seek(80);
    const ref = new GrowthReplay(setup({ damage: [{ afterUpdate: 40, damage: { kind: 'thesis', variant: 'bottom' } }] }));
    ref.seek(80);
    expect(bytesEqual(r.state(), ref.state())).toBe(true);
  });

  it('the seed itself can be damaged (afterUpdate 0), and new seed cells start again from 0', () => {
    const r = new GrowthReplay(setup({ height: 15, width: 15, seeds: [[3, 3], [11, 11]] }));
    r.seek(30);
    r.addDamage({ afterUpdate: 0, damage: { kind: 'rect', y0: 0, y1: 7, x0: 0, x1: 7 } });
    expect(r.t).toBe(30);
    const ref = new GrowthReplay(setup({ height: 15, width: 15, seeds: [[11, 11]] }));
    ref.seek(30);
    expect(bytesEqual(r.state(), ref.state())).toBe(true);
    r.setSeeds([[7, 7]]);
    expect(r.t).toBe(0);
    expect(r.seeds).toEqual([[7, 7]]);
    expect(r.state().data[(7 * 15 + 7) * 16 + 3]).toBe(1);
  });
});

describe('GrowthReplay: history', () => {
  it('stepping back equals re-simulating from the seed, at every update, with a tiny memory budget', () => {
    const small = { budgetBytes: 9 * 9 * 16 * 4 * 12, snapshotEvery: 4 }; // 6 recent states, 6 snapshots
    const r = new GrowthReplay(setup({ damage: mixedLog }), small);
    r.seek(150);
    const expected = new GrowthReplay(setup({ damage: mixedLog }));
    const states: Float32Array[] = [];
    for (let t = 0; t <= 150; t++) {
      expected.seek(t);
      states.push(snapshot(expected));
    }
    for (let t = 149; t >= 0; t--) {
      expect(r.stepBack()).toBe(true);
      expect(r.t).toBe(t);
      expect(bytesEqual(r.state(), states[t])).toBe(true);
    }
    expect(r.stepBack()).toBe(false);
    // scrubbing anywhere, in any order
    for (const t of [77, 3, 150, 149, 0, 151, 12]) {
      r.seek(t);
      if (t <= 150) expect(bytesEqual(r.state(), states[t])).toBe(true);
    }
    expect(r.frontier).toBe(151);
    expect(r.keptBytes()).toBeLessThanOrEqual(9 * 9 * 16 * 4 * 12);
  });

  it('keeps memory bounded on a long replay by thinning snapshots', () => {
    const budget = 512 * 1024; // 20 states of 20×20×16
    const r = new GrowthReplay(setup({ height: 20, width: 20 }), { budgetBytes: budget, snapshotEvery: 2 });
    r.seek(1500);
    const info = r.snapshotInfo();
    expect(r.keptBytes()).toBeLessThanOrEqual(budget);
    expect(info.every).toBeGreaterThan(2);
    expect(info.times[0]).toBe(0);
    expect(info.times.every((t) => t % info.every === 0)).toBe(true);
    expect(r.lossSeries()).toHaveLength(1501);
    const check = new GrowthReplay(setup({ height: 20, width: 20 }));
    check.seek(1234);
    r.seek(1234);
    expect(bytesEqual(r.state(), check.state())).toBe(true);
  });
});

describe('GrowthReplay: FGSM on every step up to a chosen step (spec f.4)', () => {
  it('equals the step-then-attack loop of the thesis code, with the clamp to [0, 1] on all channels', () => {
    const m = model('es', THESIS_ES_MODEL, 3);
    // the thesis's "during growth": after the update at every counter < 40, i.e. after updates 1 … 40
    const event = parseDamageText('fgsm:7e-7,all@k0..k39');
    expect(event).toEqual({ afterUpdate: 1, repeatUntil: 40, damage: { kind: 'fgsm', eps: 7e-7, clamp: 'all' } });
    const r = new GrowthReplay(setup({ models: [m], seed: 9 }));
    r.addDamage(event);
    const nca = new FusedNca(m.nca, m.params);
    const s = makeSeed(9, 9, 16);
    for (let t = 1; t <= 60; t++) {
      nca.step(s, new Philox(9, STREAM_FIRE, t));
      if (t <= 40) fgsmStep(s, m.target!.rgba, 7e-7, 'all');
      r.stepForward();
      expect(bytesEqual(r.state(), s)).toBe(true);
      if (t <= 40) expect(Math.min(...r.state().data)).toBeGreaterThanOrEqual(0);
      if (t <= 40) expect(Math.max(...r.state().data)).toBeLessThanOrEqual(1);
    }
    // the clamp is what hurts (f.4): the attacked replay ends away from the plain one
    const plain = new GrowthReplay(setup({ models: [m], seed: 9 }));
    plain.seek(60);
    expect(r.loss(0, 60)).not.toBeCloseTo(plain.loss(0, 60), 6);
  });
});

describe('GrowthReplay: side by side', () => {
  it('runs several models in lockstep: each as it would alone, same seed cells, fire masks and damage', () => {
    const es = model('es', THESIS_ES_MODEL, 2);
    const adam = model('adam', THESIS_ADAM_MODEL, 5);
    const log: DamageEvent[] = [
      { afterUpdate: 30, damage: { kind: 'thesis', variant: 'bottom' } },
      { afterUpdate: 31, repeatUntil: 35, damage: { kind: 'fgsm', eps: 0.01, clamp: 'all' } },
    ];
    const both = new GrowthReplay(setup({ models: [es, adam], damage: log, seeds: [[4, 4], [1, 1]] }));
    const alone = [es, adam].map((m) => new GrowthReplay(setup({ models: [m], damage: log, seeds: [[4, 4], [1, 1]] })));
    for (let t = 1; t <= 50; t++) {
      both.stepForward();
      alone.forEach((r) => r.stepForward());
      expect(bytesEqual(both.state(0), alone[0].state())).toBe(true);
      expect(bytesEqual(both.state(1), alone[1].state())).toBe(true);
    }
    expect(both.lossSeries(0)).toEqual(alone[0].lossSeries());
    expect(both.lossSeries(1)).toEqual(alone[1].lossSeries());
    expect(both.lossSeries(0)).not.toEqual(both.lossSeries(1));
    both.seek(20);
    expect(bytesEqual(both.state(1), (alone[1].seek(20), alone[1].state()))).toBe(true);
  });

  it('grows a 15×15 model on the 39×39 canvas against its target padded by 12 (spec f.5)', () => {
    const m = model('es15', THESIS_ES_MODEL, 6, 'carrot-15');
    const r = new GrowthReplay({ models: [m], height: 39, width: 39, seed: 1 });
    expect(r.seeds).toEqual([[19, 19]]);
    const padded = padTarget(loadBuiltinTarget('carrot-15'), 39);
    expect(bytesEqual(r.target(0)!, padded.rgba)).toBe(true);
    expect(r.loss(0, 0)).toBeCloseTo(rgbaMse(makeSeed(39, 39), padded.rgba), 12);
    expect(() => new GrowthReplay({ models: [m], height: 12, width: 12, seed: 1 })).toThrow(/trained on 15×15: the canvas must be at least that/);
  });

  it('places a target on an odd canvas difference with the extra row and column at the bottom right', () => {
    const t = { height: 2, width: 2, rgba: Float32Array.from({ length: 16 }, (_, i) => i + 1) };
    const on = targetOnCanvas(t, 5, 5);
    // offset floor(3/2) = 1: cells (1,1), (1,2), (2,1), (2,2)
    expect(Array.from(on.rgba.subarray((1 * 5 + 1) * 4, (1 * 5 + 3) * 4))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(on.rgba.subarray((2 * 5 + 1) * 4, (2 * 5 + 3) * 4))).toEqual([9, 10, 11, 12, 13, 14, 15, 16]);
    expect(on.rgba.reduce((a, b) => a + b, 0)).toBe(136);
  });
});

describe('damage log: text form, validation, recordings', () => {
  it('parses the command-line form, both indexings, and refuses mistakes naming them', () => {
    expect(parseDamageText('thesis:bottom@52')).toEqual({ afterUpdate: 52, damage: { kind: 'thesis', variant: 'bottom' } });
    expect(parseDamageText('thesis:bottom@k51')).toEqual({ afterUpdate: 52, damage: { kind: 'thesis', variant: 'bottom' } });
    expect(parseDamageText('rect:1,3,2,9@0')).toEqual({ afterUpdate: 0, damage: { kind: 'rect', y0: 1, y1: 3, x0: 2, x1: 9 } });
    expect(parseDamageText('circle@10')).toEqual({ afterUpdate: 10, damage: { kind: 'circle' } });
    expect(parseDamageText('brush:4,5,2.5@7')).toEqual({ afterUpdate: 7, damage: { kind: 'disc', cy: 4, cx: 5, radius: 2.5 } });
    expect(parseDamageText('fgsm:0.007,rgba@52')).toEqual({ afterUpdate: 52, damage: { kind: 'fgsm', eps: 0.007, clamp: 'rgba' } });
    expect(parseDamageText('noise:0.1,3@5..9')).toEqual({ afterUpdate: 5, repeatUntil: 9, damage: { kind: 'noise', std: 0.1, seed: 3 } });
    expect(() => parseDamageText('thesis:bottom')).toThrow(/say when with "@"/);
    expect(() => parseDamageText('thesis:half@3')).toThrow(/2x2, 3x3, bottom, got "half"/);
    expect(() => parseDamageText('laser@3')).toThrow(/unknown kind "laser"/);
    expect(() => parseDamageText('fgsm:0.1,some@3')).toThrow(/clamp must be one of all, rgba, none/);
    expect(() => parseDamageText('noise:0.1@9..5')).toThrow(/ends \(5\) before it starts \(9\)/);
    expect(() => parseDamageText('rect:1,2,3@3')).toThrow(/rect takes 4 values/);
    expect(() => parseDamageEvent({ afterUpdate: 3, damage: { kind: 'fgsm', eps: -1, clamp: 'all' } })).toThrow(/damage event.damage.eps must be a number from 0/);
    expect(() => parseDamageEvent({ afterUpdate: 1.5, damage: { kind: 'thesis', variant: '2x2' } })).toThrow(/afterUpdate must be an integer/);
    expect(() => parseDamageEvent({ afterUpdate: 1, damage: { kind: 'rect', y0: 3, y1: 3, x0: 0, x1: 1 } })).toThrow(/an empty rectangle/);
  });

  it('a recording round-trips through JSON and re-runs to the same states', () => {
    const r = new GrowthReplay(setup({ seeds: [[2, 2], [6, 6]], seed: 77 }));
    r.seek(10);
    r.addDamage({ afterUpdate: 10, damage: { kind: 'circle' } });
    r.addDamage({ afterUpdate: 12, repeatUntil: 20, damage: { kind: 'noise', std: 0.03 } });
    r.seek(40);
    const rec = makeRecording({ height: 9, width: 9, seeds: r.seeds, seed: r.seed, damage: [...r.damage], models: [{ name: 'es', runId: 'x', generation: 200 }], steps: r.frontier });
    const back = parseGrowthRecording(JSON.parse(JSON.stringify(rec)));
    expect(back).toEqual(rec);
    expect(back.indexing).toMatch(/k = t − 1/);
    const again = new GrowthReplay(setup({ seeds: back.seeds, seed: back.seed, damage: back.damage }));
    again.seek(back.steps);
    expect(bytesEqual(again.state(), r.state())).toBe(true);
    expect(() => parseGrowthRecording({ ...rec, format: 'x' })).toThrow(/not a growth recording/);
    expect(() => parseGrowthRecording({ ...rec, seeds: [[9, 0]] })).toThrow(/recording.seeds\[0\]\[0\] must be an integer from 0 to 8/);
    expect(() => parseGrowthRecording({ ...rec, damage: [{ afterUpdate: 1, damage: { kind: 'fgsm', eps: 1, clamp: 'most' } }] })).toThrow(/recording.damage\[0\].damage.clamp/);
  });

  it('thesis rectangles land where the thesis put them on a larger canvas too', () => {
    const r = new GrowthReplay(setup({ height: 15, width: 15 }));
    r.seek(30);
    r.addDamage({ afterUpdate: 30, damage: { kind: 'thesis', variant: 'bottom' } });
    const ref = makeSeed(15, 15);
    ref.data.fill(1);
    eraseThesis(ref, 'bottom');
    for (let cell = 0; cell < 225; cell++) {
      if (ref.data[cell * 16] === 0) expect(r.state().data.subarray(cell * 16, cell * 16 + 16).every((v) => v === 0)).toBe(true);
    }
  });
});

describe('frames', () => {
  it('renders RGB on white, alpha as grey and hidden channels as a diverging heat map', () => {
    const s = makeSeed(2, 2, 16);
    // cell (0,0): the seed is at (1,1); put colour at (0,0): premultiplied red, alpha 0.5
    s.data.set([0.5, 0, 0, 0.5], 0);
    s.data[4] = -2; // hidden 1 of cell (0,0)
    s.data[(1 * 2 + 1) * 16 + 4] = 1; // the seed has hidden 1 = 1
    const rgb = renderFrame(s, 'rgb');
    expect(Array.from(rgb.subarray(0, 4))).toEqual([255, 128, 128, 255]);
    expect(Array.from(rgb.subarray(12, 16))).toEqual([0, 0, 0, 255]); // the seed: alpha 1, rgb 0: black
    const alpha = renderFrame(s, 'alpha');
    expect(Array.from(alpha.subarray(0, 4))).toEqual([128, 128, 128, 255]);
    expect(Array.from(alpha.subarray(4, 8))).toEqual([255, 255, 255, 255]);
    const heat = renderFrame(s, 4);
    expect(Array.from(heat.subarray(0, 3))).toEqual(heatColour(-1)); // −2 is the channel's largest |value|
    expect(Array.from(heat.subarray(12, 15))).toEqual(heatColour(0.5));
    expect(Array.from(heat.subarray(4, 7))).toEqual([255, 255, 255]);
    expect(heatColour(-1)).toEqual([33, 102, 172]);
    expect(heatColour(1)).toEqual([178, 24, 43]);
    expect(() => renderFrame(s, 3)).toThrow(/hidden channels are 4 to 15/);
  });
});
