/**
 * Replay exports and `nca-lab grow`: the GIF decoded (frame count, size, pixels of chosen frames), the strip's
 * pixels, the loss CSV's rows; models from a run, a checkpoint and a model folder; malformed and incompatible
 * model files refused with the file and the problem named.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli-run';
import { THESIS_ES_MODEL, initParams, paramLayout } from '../../../../src/core/nca/config';
import { Philox } from '../../../../src/core/rng/philox';
import { upscaleNearest } from '../../../../src/core/render';
import { encodeGif, paletteFor } from '../../../../src/core/replay/gif';
import { composeStrip, parseStripSteps, STRIP_GAP_GREY, STRIP_STEPS } from '../../../../src/core/replay/strip';
import { lossCsv } from '../../../../src/core/replay/loss-csv';
import { renderFrame } from '../../../../src/core/replay/frames';
import { GrowthReplay } from '../../../../src/core/replay/growth-replay';
import { parseGrowthRecording } from '../../../../src/core/replay/recording';
import { stripFigureLayout } from '../../../../src/core/figures/strip-figure';
import { canvasMeasure } from '../../../../src/services/export/figure-text';
import { readPng } from '../../../../src/services/export/png';
import { loadBuiltinTarget } from '../../../../src/services/targets/targets';
import { esConfig, testWorkspace, type TestWorkspace } from '../../helpers/store-helpers';

let ws: TestWorkspace;
beforeEach(() => {
  ws = testWorkspace();
});
afterEach(() => ws.cleanup());

const run = runCli;

/** Parameters that grow something on carrot-9 (layer 2 random, not zero). */
function growingParams(seed = 2): Float32Array {
  const rng = new Philox(seed);
  const params = initParams(THESIS_ES_MODEL, 'torch', () => rng.uniform());
  const L = paramLayout(THESIS_ES_MODEL);
  for (let i = 0; i < L.kernel1.size; i++) params[L.kernel1.offset + i] = (rng.uniform() * 2 - 1) * 0.3;
  return params;
}

async function savedRun(): Promise<{ id: string; params: Float32Array; dir: string }> {
  const run = await ws.store.createRun(esConfig(), { backend: 'wasm' });
  const params = growingParams();
  const dir = await ws.store.writeModel(run.id, params, { config: run.config, generation: 200, loss: 0.01 });
  return { id: run.id, params, dir };
}

function reference(params: Float32Array, damage: Parameters<GrowthReplay['addDamage']>[0][] = [], canvas = 9): GrowthReplay {
  const t = loadBuiltinTarget('carrot-9');
  const r = new GrowthReplay({ models: [{ name: 'm', nca: THESIS_ES_MODEL, params, target: { height: 9, width: 9, rgba: t.rgba } }], height: canvas, width: canvas, seed: 0 });
  for (const d of damage) r.addDamage(d);
  return r;
}

async function gifFrame(file: string, page: number): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(file, { page }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe('replay export encoders', () => {
  it('a GIF decodes to the frames given: count, size, loop, delay and exact pixels up to 256 colours', async () => {
    const frames = [0, 1, 2].map((i) => {
      const f = new Uint8ClampedArray(3 * 2 * 4).fill(255);
      f.set([200, 10 * i, 30, 255], 0); // top-left cell changes colour
      return f;
    });
    const bytes = encodeGif(frames, 2, 3, { scale: 4, fps: 10 });
    const meta = await sharp(Buffer.from(bytes), { animated: true }).metadata();
    expect([meta.pages, meta.width, meta.pageHeight, meta.loop]).toEqual([3, 12, 8, 0]);
    expect(meta.delay).toEqual([100, 100, 100]);
    for (let i = 0; i < 3; i++) {
      const { data } = await sharp(Buffer.from(bytes), { page: i }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      const expected = upscaleNearest(frames[i], 2, 3, 4);
      expect(Buffer.from(expected).equals(data)).toBe(true);
    }
    expect(() => encodeGif(frames, 2, 3, { scale: 0, fps: 10 })).toThrow(/scale must be an integer from 1 to 64/);
    expect(() => encodeGif(frames, 2, 3, { scale: 1, fps: 60 })).toThrow(/frames per second must be from 1 to 50/);
    expect(() => encodeGif([], 2, 3, { scale: 1, fps: 5 })).toThrow(/at least one frame/);
  });

  it('palettes are exact up to 256 colours and quantised beyond', () => {
    const few = new Uint8ClampedArray(16 * 16 * 4);
    for (let i = 0; i < 256; i++) few.set([i, 255 - i, (i * 7) % 256, 255], i * 4);
    expect(paletteFor(few).exact).toBe(true);
    expect(paletteFor(few).palette).toHaveLength(256);
    const many = new Uint8ClampedArray(20 * 20 * 4);
    for (let i = 0; i < 400; i++) many.set([i % 256, Math.floor(i / 256) * 100, 7, 255], i * 4);
    const q = paletteFor(many);
    expect(q.exact).toBe(false);
    expect(q.palette.length).toBeLessThanOrEqual(256);
  });

  it('a strip places frames left to right, rows per model, with grey gaps', () => {
    const a = new Uint8ClampedArray([10, 20, 30, 255]);
    const b = new Uint8ClampedArray([40, 50, 60, 255]);
    const s = composeStrip([[a, b], [b, a]], 1, 1, 3, 2);
    expect([s.width, s.height]).toEqual([8, 8]);
    const at = (x: number, y: number) => Array.from(s.rgba.subarray((y * 8 + x) * 4, (y * 8 + x) * 4 + 4));
    expect(at(0, 0)).toEqual([10, 20, 30, 255]);
    expect(at(2, 2)).toEqual([10, 20, 30, 255]);
    expect(at(3, 0)).toEqual([STRIP_GAP_GREY, STRIP_GAP_GREY, STRIP_GAP_GREY, 255]);
    expect(at(5, 0)).toEqual([40, 50, 60, 255]);
    expect(at(0, 5)).toEqual([40, 50, 60, 255]);
    expect(at(7, 7)).toEqual([10, 20, 30, 255]);
    expect(parseStripSteps('thesis')).toEqual([...STRIP_STEPS]);
    expect(parseStripSteps('10, 0,3,3')).toEqual([0, 3, 10]);
    expect(() => parseStripSteps('1,x')).toThrow(/"x" is not an update count/);
  });

  it('the loss CSV has t, the thesis index k = t − 1 and one column per model', () => {
    const text = lossCsv([{ name: 'es, 9', losses: [0.5, 0.25, NaN] }, { name: 'adam', losses: [0.5, 0.125, 0.0625, 1] }]);
    expect(text.split('\n')).toEqual(['t,thesis_k,"loss es, 9",loss adam', '0,,0.5,0.5', '1,0,0.25,0.125', '2,1,,0.0625', '']);
  });
});

describe('nca-lab grow', () => {
  it('grows a run\'s model with the thesis bottom erase; GIF, strip and CSV match the replay', async () => {
    const { id, params } = await savedRun();
    const out = join(ws.dir, 'out');
    const r = await run('grow', id, '--workspace', ws.dir, '--steps', '120', '--damage', 'thesis:bottom@k51',
      '--gif', join(out, 'g.gif'), '--gif-scale', '5', '--fps', '25', '--frames', '0:100:2',
      '--strip', '0,1,2,3,4,10,30,40,100', '--strip-out', join(out, 'strip.png'), '--strip-scale', '4', '--labels', 'none',
      '--csv', join(out, 'loss.csv'), '--save-recording', join(out, 'rec.json'));
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(new RegExp(`^grew ${id} for 120 updates on 9×9 \\(seed 0, seed cells \\(4,4\\)\\)`));
    expect(r.out[1]).toBe('damage: thesis:bottom@52');
    expect(r.out).toContain(`wrote ${join(out, 'g.gif')}: 51 frames, 45×45 px, 25 fps`);

    const ref = reference(params, [{ afterUpdate: 52, damage: { kind: 'thesis', variant: 'bottom' } }]);
    const states = new Map<number, Uint8ClampedArray>();
    for (let t = 0; t <= 120; t++) {
      ref.seek(t);
      states.set(t, renderFrame(ref.state(), 'rgb'));
    }
    // GIF: frames 0, 2, …, 100 at 45×45, 40 ms apart, each exactly the replay's frame (9×9 has < 256 colours)
    const gif = join(out, 'g.gif');
    const meta = await sharp(gif, { animated: true }).metadata();
    expect([meta.pages, meta.width, meta.pageHeight]).toEqual([51, 45, 45]);
    expect(new Set(meta.delay)).toEqual(new Set([40]));
    for (const page of [0, 1, 26, 50]) {
      const f = await gifFrame(gif, page);
      expect(Buffer.from(upscaleNearest(states.get(page * 2)!, 9, 9, 5)).equals(f.data)).toBe(true);
    }
    // frame 26 is t = 52, right after the erase: the bottom rows are white
    const erased = await gifFrame(gif, 26);
    for (let y = 5 * 5; y < 45; y += 5) for (let x = 0; x < 45; x += 5) {
      expect(Array.from(erased.data.subarray((y * 45 + x) * 4, (y * 45 + x) * 4 + 4))).toEqual([255, 255, 255, 255]);
    }
    // strip: 9 frames of 36 px with 2 px grey gaps; each frame's cells are the replay's
    const strip = await readPng(join(out, 'strip.png'));
    expect([strip.width, strip.height]).toEqual([9 * 36 + 8 * 2, 36]);
    [0, 1, 2, 3, 4, 10, 30, 40, 100].forEach((t, c) => {
      const frame = states.get(t)!;
      for (let cell = 0; cell < 81; cell++) {
        const x = c * 38 + (cell % 9) * 4 + 1;
        const y = Math.floor(cell / 9) * 4 + 2;
        expect(Array.from(strip.data.subarray((y * strip.width + x) * 4, (y * strip.width + x) * 4 + 4))).toEqual(Array.from(frame.subarray(cell * 4, cell * 4 + 4)));
      }
    });
    expect(Array.from(strip.data.subarray(36 * 4, 36 * 4 + 4))).toEqual([STRIP_GAP_GREY, STRIP_GAP_GREY, STRIP_GAP_GREY, 255]);
    // the seed frame: one black cell on white
    expect(Array.from(strip.data.subarray(((4 * 4 + 1) * strip.width + 4 * 4 + 1) * 4, ((4 * 4 + 1) * strip.width + 4 * 4 + 1) * 4 + 4))).toEqual([0, 0, 0, 255]);
    // CSV: 121 rows, the replay's losses to the last digit
    const csv = readFileSync(join(out, 'loss.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(122);
    expect(csv[0]).toBe('t,thesis_k,loss');
    expect(csv[1]).toBe(`0,,${ref.loss(0, 0)}`);
    expect(csv[53]).toBe(`52,51,${ref.loss(0, 52)}`);
    expect(ref.loss(0, 52)).not.toBe(ref.loss(0, 51));
    // the recording re-runs to the same CSV
    const rec = parseGrowthRecording(JSON.parse(readFileSync(join(out, 'rec.json'), 'utf8')));
    expect(rec.damage).toEqual([{ afterUpdate: 52, damage: { kind: 'thesis', variant: 'bottom' } }]);
    expect(rec.models).toEqual([{ name: id, runId: id }]);
    const again = await run('grow', id, '--workspace', ws.dir, '--steps', '120', '--recording', join(out, 'rec.json'), '--csv', join(out, 'again.csv'));
    expect(again.code).toBe(0);
    expect(readFileSync(join(out, 'again.csv'), 'utf8')).toBe(readFileSync(join(out, 'loss.csv'), 'utf8'));
  });

  it('labels the strip by default (model names, t = N) and the GIF on request (a caption band)', async () => {
    const { id, params } = await savedRun();
    const out = join(ws.dir, 'out');
    const r = await run('grow', id, '--workspace', ws.dir, '--steps', '40', '--strip', '0,10,40', '--strip-out', join(out, 'strip.png'),
      '--strip-scale', '4', '--gif', join(out, 'g.gif'), '--gif-scale', '12', '--frames', '0:40:20', '--labels', 'strip,gif', '--json');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out[0]);
    const ref = reference(params);
    const frameAt = (t: number) => {
      ref.seek(t);
      return renderFrame(ref.state(), 'rgb');
    };
    // the strip: the core's layout (the run id as the row label, "t = 0" … above the columns) around frames of 36 px
    const layout = stripFigureLayout({ columns: ['t = 0', 't = 10', 't = 40'], rows: [{ label: id, cells: [0, 1, 2].map(() => ({ height: 9, width: 9 })) }] }, { box: 36, measure: canvasMeasure });
    const strip = await readPng(join(out, 'strip.png'));
    expect([strip.width, strip.height]).toEqual([layout.width, layout.height]);
    expect(summary.files.strip).toMatchObject({ width: layout.width, height: layout.height });
    // larger than the plain strip (3 × 36 px + 2 gaps of 2 px, 36 px high)
    expect(strip.width).toBeGreaterThan(3 * 36 + 2 * 2);
    expect(strip.height).toBeGreaterThan(36);
    const px = (img: { data: Uint8Array; width: number }, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));
    [0, 10, 40].forEach((t, c) => {
      const f = layout.frames[c];
      const frame = frameAt(t);
      for (let cell = 0; cell < 81; cell++) {
        expect(px(strip, f.x + (cell % 9) * 4 + 1, f.y + Math.floor(cell / 9) * 4 + 2)).toEqual(Array.from(frame.subarray(cell * 4, cell * 4 + 4)));
      }
    });
    // text is drawn where the layout puts it: dark pixels in the row label's box and over each column, none elsewhere
    const dark = (img: { data: Uint8Array; width: number }, x0: number, x1: number, y0: number, y1: number) => {
      let n = 0;
      for (let y = Math.max(0, Math.floor(y0)); y < y1; y++) for (let x = Math.max(0, Math.floor(x0)); x < x1; x++) if (px(img, x, y)[0] < 128) n++;
      return n;
    };
    const size = layout.texts[0].size;
    const label = layout.texts.find((t) => t.text === id)!;
    expect(label.align).toBe('right');
    expect(dark(strip, 0, label.x + 1, label.y - size, label.y + size)).toBeGreaterThan(10);
    for (const f of layout.frames) expect(dark(strip, f.x, f.x + 36, 0, f.y - 2)).toBeGreaterThan(5);
    expect(dark(strip, 0, layout.frames[0].x - 2, 0, layout.frames[0].y - 2)).toBe(0);

    // the GIF: frames t = 0, 20, 40 at 108 px with a caption band above; below it the replay's frame, exactly
    const gif = join(out, 'g.gif');
    const meta = await sharp(gif, { animated: true }).metadata();
    const band = meta.pageHeight! - 108;
    expect([meta.pages, meta.width]).toEqual([3, 108]);
    expect(band).toBeGreaterThan(10);
    expect(summary.files.gif).toMatchObject({ width: 108, height: 108 + band });
    const bands: number[][] = [];
    for (const [page, t] of [[0, 0], [1, 20], [2, 40]]) {
      const f = await gifFrame(gif, page);
      expect(Buffer.from(upscaleNearest(frameAt(t), 9, 9, 12)).equals(f.data.subarray(108 * band * 4))).toBe(true);
      expect(dark(f, 0, 54, 0, band)).toBeGreaterThan(10); // the name at the left
      expect(dark(f, 80, 108, 0, band)).toBeGreaterThan(5); // t = N at the right
      bands.push(Array.from(f.data.subarray(0, 108 * band * 4)));
    }
    expect(bands[1]).not.toEqual(bands[0]);
    // no labels: the plain strip
    const plain = await run('grow', id, '--workspace', ws.dir, '--steps', '40', '--strip', '0,10,40', '--strip-out', join(out, 'plain.png'), '--strip-scale', '4', '--labels', 'none');
    expect(plain.code).toBe(0);
    const p = await readPng(join(out, 'plain.png'));
    expect([p.width, p.height]).toEqual([3 * 36 + 2 * 2, 36]);
    const bad = await run('grow', id, '--workspace', ws.dir, '--labels', 'strip,png');
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toBe('nca-lab grow: --labels must be strip, gif, strip,gif or none, got "strip,png"');
  });

  it('grows side by side on a bigger canvas, from a checkpoint and a model folder, with --json', async () => {
    const { id, params, dir } = await savedRun();
    const other = growingParams(3);
    await ws.store.writeCheckpoint(id, { generation: 150, evaluations: 900, wallSeconds: 2, params: other, arrays: {}, scalars: {}, pool: null, rng: null });
    const out = join(ws.dir, 'out');
    const r = await run('grow', `${id}@150`, dir, '--workspace', ws.dir, '--steps', '40', '--canvas', '19', '--seed', '5',
      '--cells', '9,9;2,3', '--damage', 'fgsm:0.01,rgba@1..10', '--csv', join(out, 'loss.csv'), '--gif', join(out, 'g.gif'), '--json');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out[0]);
    expect(summary.models.map((m: { name: string }) => m.name)).toEqual([`${id}@150`, id]);
    expect(summary.canvas).toBe(19);
    expect(summary.damage).toEqual(['fgsm:0.01,rgba@1..10']);
    // two panels of 19 cells, one cell of white between them, at ×7 (the longer side at least 256 px)
    expect(summary.files.gif).toMatchObject({ frames: 41, width: (19 * 2 + 1) * 7, height: 19 * 7 });
    const csv = readFileSync(join(out, 'loss.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(`t,thesis_k,loss ${id}@150,loss ${id}`);
    const t = loadBuiltinTarget('carrot-9');
    const both = new GrowthReplay({
      models: [other, params].map((p, i) => ({ name: String(i), nca: THESIS_ES_MODEL, params: p, target: { height: 9, width: 9, rgba: t.rgba } })),
      height: 19, width: 19, seed: 5, seeds: [[9, 9], [2, 3]],
    });
    both.addDamage({ afterUpdate: 1, repeatUntil: 10, damage: { kind: 'fgsm', eps: 0.01, clamp: 'rgba' } });
    both.seek(40);
    expect(csv[41]).toBe(`40,39,${both.loss(0, 40)},${both.loss(1, 40)}`);
    expect(summary.loss[1]['40']).toBe(both.loss(1, 40));
    const meta = await sharp(join(out, 'g.gif'), { animated: true }).metadata();
    expect([meta.pages, meta.width, meta.pageHeight]).toEqual([41, 273, 133]);
    // the gap between the panels is white in every frame
    const first = await sharp(join(out, 'g.gif'), { page: 0 }).ensureAlpha().raw().toBuffer();
    for (let y = 0; y < 133; y += 11) for (let x = 19 * 7; x < 20 * 7; x++) expect(Array.from(first.subarray((y * 273 + x) * 4, (y * 273 + x) * 4 + 3))).toEqual([255, 255, 255]);
  });

  it('refuses malformed and incompatible models, bad flags and a canvas smaller than the training one', async () => {
    const { id, dir } = await savedRun();
    const bad = join(ws.dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'model.json'), '{"weightsManifest": ');
    let r = await run('grow', join(bad, 'model.json'), '--workspace', ws.dir);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/^nca-lab: .*bad\/model\.json: not a model: the file is not JSON/);
    // weights of the wrong size for the model's config
    writeFileSync(join(bad, 'model.json'), readFileSync(join(dir, 'model.json')));
    writeFileSync(join(bad, 'weights.bin'), Buffer.alloc(100));
    r = await run('grow', bad, '--workspace', ws.dir);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/weights\.bin: wrong size: 100 bytes, but the model's config .* needs 2048 float32 = 8192 bytes/);
    r = await run('grow', 'no-such-run', '--workspace', ws.dir);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/"no-such-run" is neither a run in .* nor a model folder, model.json or checkpoint file/);
    r = await run('grow', id, '--workspace', ws.dir, '--canvas', '7');
    expect(r.code).toBe(1);
    expect(r.err[0]).toBe(`nca-lab: ${id} was trained on a 9×9 canvas: --canvas must be at least 9, got 7`);
    r = await run('grow', id, '--workspace', ws.dir, '--damage', 'thesis:bottom');
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/^nca-lab grow: --damage: damage "thesis:bottom": say when with "@"/);
    r = await run('grow', id, '--workspace', ws.dir, '--steps', '50', '--strip', '0,100', '--strip-out', join(ws.dir, 's.png'));
    expect(r.code).toBe(2);
    expect(r.err[0]).toBe('nca-lab grow: --strip: step 100 is past --steps 50');
    r = await run('grow', id, '--workspace', ws.dir, '--fps', '10');
    expect(r.code).toBe(2);
    expect(r.err[0]).toBe('nca-lab grow: --fps needs --gif FILE');
    r = await run('grow', id, '--workspace', ws.dir, '--steps', '10', '--gif', join(ws.dir, 'g.gif'), '--frames', '5:20');
    expect(r.code).toBe(2);
    expect(r.err[0]).toBe('nca-lab grow: --frames: 20 is past --steps 10');
  });
});
