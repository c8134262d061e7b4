/**
 * The Distill demo's published models in the lab (core/nca/distill-format.ts): the three lizard files of
 * distillpub/post--growing-ca (../shared/data/distill, CC-BY 4.0) decode into Mordvintsev's model and grow, in
 * the lab's own replay, into the 2018 lizard they were trained on (lizard-2018-40 padded by 16: the 72×72 canvas).
 *
 * Thresholds come from the files' own behaviour (seed 0–2 replays, measured when this test was written):
 *  - the empty canvas (the seed) is at 0.0415 from the target; reading the bands with x and y swapped gives
 *    ≈ 0.030 and flipping the sign of sobel_y ≈ 0.042 (they never form a lizard); reading the rows interleaved
 *    (no band permutation) explodes;
 *  - the growing model (ex1) is at 2.4e-4 … 6e-4 over t = 64…96, the rollout lengths it was trained on, and then
 *    overgrows (1e-3 … 1.3e-2 by t = 200…1000); the persistent one (ex2) settles at ≈ 8e-5 from t = 200 to 1000.
 * So 1e-3 (a fortieth of the empty canvas, 30× under the nearest wrong reading, ≥ 1.5× over the worst measured
 * replay) is the bar for "grew into the lizard", and 2e-4 from t = 200 to 1000 (2.5× over what ex2 does, while
 * ex1 goes past 1e-3) the bar for "stays a lizard".
 *
 * The demo's grid wraps around; the lab's replay uses zero padding as in training (spec a.1). On the demo's own
 * 96×96 canvas the two gave the same losses for all three files up to t = 400 (no living cell within two cells
 * of the edge), so the wrap does not change what these models grow, and the lab needs no torus.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MORDVINTSEV_MODEL, THESIS_ADAM_MODEL, THESIS_ES_MODEL, paramCount, paramLayout, type NcaConfig } from '../../../../src/core/nca/config';
import { DistillFormatError, decodeDistillModel, encodeDistillModel, isDistillModelJson, type DistillLayer } from '../../../../src/core/nca/distill-format';
import { rotatePerception } from '../../../../src/core/nca/perception-rotation';
import { GrowthReplay } from '../../../../src/core/replay/growth-replay';
import { Philox } from '../../../../src/core/rng/philox';
import { loadBuiltinTarget } from '../../../../src/services/targets/targets';
import { growingParams } from '../../../fixtures/model-params';

const DISTILL = '../shared/data/distill';
const readDistill = (ex: number): unknown => JSON.parse(readFileSync(`${DISTILL}/ex${ex}_lizard.json`, 'utf8'));
const lizard = loadBuiltinTarget('lizard-2018-40', { padding: 16 });
const lizardCanvas = { height: lizard.height, width: lizard.width, rgba: lizard.rgba };

function losses(nca: NcaConfig, params: Float32Array, steps: number, seed: number, target = lizardCanvas): readonly number[] {
  const replay = new GrowthReplay({ models: [{ name: 'm', nca, params, target }], height: 72, width: 72, seed });
  replay.seek(steps);
  return replay.lossSeries(0);
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const max = (xs: readonly number[]) => xs.reduce((a, b) => Math.max(a, b), -Infinity);

describe('decoding the Distill demo format', () => {
  it('reads the published lizards as Mordvintsev\'s model, every value on its quantisation grid', () => {
    for (const ex of [1, 2, 3]) {
      const json = readDistill(ex) as DistillLayer[];
      expect(isDistillModelJson(json)).toBe(true);
      const { nca, params } = decodeDistillModel(json);
      expect(nca).toEqual(MORDVINTSEV_MODEL);
      expect(params.length).toBe(8336);
      const L = paramLayout(nca);
      // bias0 is the first layer's last row; its first value is byte 6144 of layer 0
      const bytes0 = Buffer.from(json[0].data_b64, 'base64');
      expect(params[L.bias0!.offset]).toBeCloseTo((bytes0[48 * 128] / 255 - 0.5) * json[0].bias_scale, 6);
      // row 16 of the file (band 1 = sobel_x, channel 0) is the lab's row 3·0 + 1
      expect(params[L.kernel0.offset + 1 * 128 + 5]).toBeCloseTo((bytes0[16 * 128 + 5] / 255 - 0.5) * json[0].weight_scale, 6);
      // row 33 of the file (band 2 = sobel_y, channel 1) is the lab's row 3·1 + 2
      expect(params[L.kernel0.offset + 5 * 128 + 7]).toBeCloseTo((bytes0[33 * 128 + 7] / 255 - 0.5) * json[0].weight_scale, 6);
      const maxW = max(Array.from(params.subarray(L.kernel0.offset, L.kernel0.offset + L.kernel0.size), Math.abs));
      expect(maxW).toBeLessThanOrEqual(json[0].weight_scale / 2 + 1e-6);
    }
  });

  it('refuses files that are not a demo model, naming the field', () => {
    const good = readDistill(1) as DistillLayer[];
    const bad = (patch: (l: DistillLayer[]) => unknown) => () => decodeDistillModel(patch(structuredClone(good)));
    expect(bad(() => ({}))).toThrow(/JSON array of two layers/);
    expect(bad((l) => [l[0]])).toThrow(/has 1/);
    expect(bad((l) => [{ ...l[0], type: 'float32' }, l[1]])).toThrow(/layer 0\.type must be "uint8"/);
    expect(bad((l) => [{ ...l[0], in_ch: 47 }, l[1]])).toThrow(/layer 0\.data_b64 holds 6272 bytes; \(in_ch \+ 1\) × out_ch = 6144/);
    expect(bad((l) => [l[0], { ...l[1], weight_scale: -1 }])).toThrow(/layer 1\.weight_scale must be a finite number ≥ 0/);
    expect(bad((l) => [l[0], { ...l[1], data_b64: '***' }])).toThrow(/layer 1\.data_b64 is not base64/);
    expect(bad((l) => [l[0], { ...l[1], out_ch: 12, data_b64: Buffer.alloc(129 * 12).toString('base64') }])).toThrow(/layer 1\.out_ch \(12\) must equal the state channels/);
    expect(bad(() => [])).toThrow(DistillFormatError);
  });
});

describe('the published lizards grow in the lab', () => {
  it('the growing lizard (ex1) grows into the lizard over its training lengths; wrong axes never do', () => {
    const { nca, params } = decodeDistillModel(readDistill(1));
    const window = (series: readonly number[]) => mean(series.slice(64, 97));
    for (const seed of [0, 1, 2]) {
      const series = losses(nca, params, 96, seed);
      expect(series[0]).toBeCloseTo(0.041461, 5);
      expect(window(series)).toBeLessThan(1e-3);
    }
    // the same weights read with the sobel bands swapped or sobel_y negated: never a lizard
    const L = paramLayout(nca);
    const swapped = params.slice();
    const flipped = params.slice();
    for (let c = 0; c < 16; c++) {
      for (let k = 0; k < 128; k++) {
        const x = L.kernel0.offset + (3 * c + 1) * 128 + k;
        const y = L.kernel0.offset + (3 * c + 2) * 128 + k;
        [swapped[x], swapped[y]] = [params[y], params[x]];
        flipped[y] = -params[y];
      }
    }
    expect(window(losses(nca, swapped, 96, 0))).toBeGreaterThan(2e-2);
    expect(window(losses(nca, flipped, 96, 0))).toBeGreaterThan(2e-2);
  });

  it('the persistent lizard (ex2) stays a lizard for 1000 steps; the growing one (ex1) does not', () => {
    const persistent = decodeDistillModel(readDistill(2));
    const series = losses(persistent.nca, persistent.params, 1000, 0);
    expect(max(series.slice(200))).toBeLessThan(2e-4);
    const growing = decodeDistillModel(readDistill(1));
    expect(max(losses(growing.nca, growing.params, 400, 0).slice(200))).toBeGreaterThan(1e-3);
  });

  it('the regenerating lizard (ex3) grows into the lizard too', () => {
    const { nca, params } = decodeDistillModel(readDistill(3));
    expect(mean(losses(nca, params, 200, 0).slice(100))).toBeLessThan(2e-3);
  });
});

/** The target turned by 90° on screen about the seed cell (36, 36): counter-clockwise, or clockwise. */
function turned(t: typeof lizardCanvas, ccw: boolean): typeof lizardCanvas {
  const n = t.height;
  const c = Math.floor(n / 2);
  const rgba = new Float32Array(t.rgba.length);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      // ccw: the cell right of the centre goes above it, so the source of (y, x) is (c + (x − c), c − (y − c))
      const [sy, sx] = ccw ? [x, 2 * c - y] : [2 * c - x, y];
      if (sy < 0 || sy >= n || sx < 0 || sx >= n) continue;
      for (let k = 0; k < 4; k++) rgba[(y * n + x) * 4 + k] = t.rgba[(sy * n + sx) * 4 + k];
    }
  }
  return { height: n, width: n, rgba };
}

describe('perception rotation (spec a.2, the demo\'s rotation slider)', () => {
  it('rotating by 90° grows the lizard turned counter-clockwise, as the demo does with the same angle', () => {
    const { nca, params } = decodeDistillModel(readDistill(2));
    const rotated = rotatePerception(nca, params, 90);
    const ccw = losses(nca, rotated, 200, 0, turned(lizardCanvas, true));
    const cw = losses(nca, rotated, 200, 0, turned(lizardCanvas, false));
    expect(ccw[200]).toBeLessThan(1e-3);
    expect(cw[200]).toBeGreaterThan(1e-2);
    expect(losses(nca, rotated, 200, 0)[200]).toBeGreaterThan(1e-2);
  });

  it('is the identity at 0°, a full turn at 360°, and composes', () => {
    const { nca, params } = decodeDistillModel(readDistill(1));
    expect(rotatePerception(nca, params, 0)).toEqual(params);
    const full = rotatePerception(nca, params, 360);
    const back = rotatePerception(nca, rotatePerception(nca, params, 30), -30);
    for (let i = 0; i < params.length; i += 97) {
      expect(full[i]).toBeCloseTo(params[i], 5);
      expect(back[i]).toBeCloseTo(params[i], 5);
    }
    // only the sobel rows change: identity rows and layer 2 are untouched
    const r = rotatePerception(nca, params, 45);
    const L = paramLayout(nca);
    expect(r.subarray(L.kernel0.offset, L.kernel0.offset + 128)).toEqual(params.subarray(L.kernel0.offset, L.kernel0.offset + 128));
    expect(r.subarray(L.kernel1.offset)).toEqual(params.subarray(L.kernel1.offset));
    expect(() => rotatePerception(nca, params, 400)).toThrow(/angle must be a number of degrees/);
  });
});

describe('exporting to the Distill format and back', () => {
  it('a published file comes back byte for byte', () => {
    for (const ex of [1, 2, 3]) {
      const json = readDistill(ex) as DistillLayer[];
      const again = encodeDistillModel(...Object.values(decodeDistillModel(json)) as [NcaConfig, Float32Array]);
      for (const i of [0, 1]) {
        expect(again[i].data_b64).toBe(json[i].data_b64);
        expect(again[i].weight_scale).toBeCloseTo(json[i].weight_scale, 6);
        expect(again[i].bias_scale).toBeCloseTo(json[i].bias_scale, 6);
      }
    }
  });

  it('a lab model off the quantisation grid grows the same within the quantisation error', () => {
    // the persistent lizard, fine-tuned in the lab: every weight moved off the 8-bit grid
    const { nca, params } = decodeDistillModel(readDistill(2));
    const rng = new Philox(5);
    const tuned = params.map((v) => v * (1 + (rng.uniform() - 0.5) * 0.02));
    const file = encodeDistillModel(nca, tuned);
    const back = decodeDistillModel(JSON.parse(JSON.stringify(file)));
    const L = paramLayout(nca);
    const step = file[0].weight_scale / 255;
    for (let i = 0; i < L.kernel0.size; i++) expect(Math.abs(back.params[i] - tuned[i])).toBeLessThanOrEqual(step / 2 + 1e-7);
    const a = losses(nca, tuned, 400, 3);
    const b = losses(back.nca, back.params, 400, 3);
    for (const t of [40, 96, 200, 400]) expect(Math.abs(a[t] - b[t])).toBeLessThan(0.2 * a[t] + 2e-5);
  });

  it('a thesis-sized model is padded to the demo\'s 128 hidden units with zeros and grows the same', () => {
    const nca = THESIS_ADAM_MODEL;
    const params = growingParams(nca, 11);
    const file = encodeDistillModel(nca, params);
    expect(file.map((l) => [l.in_ch, l.out_ch])).toEqual([[48, 128], [128, 16]]);
    const back = decodeDistillModel(file);
    // without the lab's note the shape is read from the weights: the padding units are all the encoder's zero, the
    // missing layer-2 bias has scale 0, so the model comes back in its own shape
    expect(back.nca).toEqual(THESIS_ADAM_MODEL);
    expect(paramCount(back.nca)).toBe(2080);
    const carrot = loadBuiltinTarget('carrot-9');
    const target = { height: 9, width: 9, rgba: carrot.rgba };
    const grow = (cfg: NcaConfig, p: Float32Array) => {
      const r = new GrowthReplay({ models: [{ name: 'm', nca: cfg, params: p, target }], height: 9, width: 9, seed: 1 });
      r.seek(40);
      return Array.from(r.state(0).data);
    };
    const a = grow(nca, params);
    const b = grow(back.nca, back.params);
    const scale = max(a.map(Math.abs));
    expect(scale).toBeGreaterThan(0.5);
    expect(max(a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(0.02 * scale);
    expect(() => encodeDistillModel({ ...nca, channels: 12 }, new Float32Array(paramCount({ ...nca, channels: 12 })))).toThrow(/model\.channels must be 16/);
  });

  it('a file with the lab\'s provenance reads back in the model\'s own shape, the padding dropped; a contradiction is refused', () => {
    const params = growingParams(THESIS_ES_MODEL, 11);
    const note = { name: 'carrot', target: { name: 'carrot-9', size: 9, padding: 5 }, origin: null, runId: null, generation: 12 };
    const file = JSON.parse(JSON.stringify(encodeDistillModel(THESIS_ES_MODEL, params, note))) as DistillLayer[];
    expect(file.map((l) => [l.in_ch, l.out_ch])).toEqual([[48, 128], [128, 16]]);
    expect(isDistillModelJson(file)).toBe(true);
    const back = decodeDistillModel(file);
    expect(back.nca).toEqual(THESIS_ES_MODEL);
    expect(back.params.length).toBe(2048);
    expect(back.provenance).toEqual({ ...note, nca: THESIS_ES_MODEL });
    // the kept values are the quantised model's: within half a step of each
    const step = file[0].weight_scale / 255;
    for (let i = 0; i < 1536; i++) expect(Math.abs(back.params[i] - params[i])).toBeLessThanOrEqual(step / 2 + 1e-7);
    // without the note the same shape is read from the weights, and the provenance is unknown
    const bare = structuredClone(file);
    delete bare[0].nca_lab;
    expect(decodeDistillModel(bare).nca).toEqual(THESIS_ES_MODEL);
    expect(decodeDistillModel(bare).provenance).toBeNull();
    // a unit that carries one weight is the model's: the hidden width runs to the last such unit
    const live = structuredClone(bare);
    const w1 = Buffer.from(live[1].data_b64, 'base64');
    w1[63 * 16 + 2] = 129;
    live[1].data_b64 = w1.toString('base64');
    expect(decodeDistillModel(live).nca.hidden).toBe(64);
    // a bias the note says is absent but which holds values
    const biased = structuredClone(file);
    const b0 = Buffer.from(biased[0].data_b64, 'base64');
    b0[48 * 128 + 3] = 200;
    biased[0].data_b64 = b0.toString('base64');
    expect(() => decodeDistillModel(biased)).toThrow(/says hidden 32, layer-1 bias off, layer-2 bias off, but the layer-1 bias carries weights/);
    const narrow = structuredClone(file);
    narrow[0].nca_lab!.nca = { ...THESIS_ES_MODEL, channels: 12 };
    expect(() => decodeDistillModel(narrow)).toThrow(DistillFormatError);
    expect(() => decodeDistillModel(narrow)).toThrow(/nca_lab\.nca\.channels is 12, the layers hold 16 state channels/);
  });
});
