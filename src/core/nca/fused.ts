/**
 * A hand-fused CA step over typed arrays with the per-cell MLP in a 128-bit SIMD WebAssembly kernel: the ES hot
 * path (docs/architecture.md, "Compute": a fused kernel may live beside the tfjs path behind the same
 * evaluatePopulation interface, tested to give the same states).
 *
 * Why it beats tfjs-wasm on small grids: one CA step on 9×9 is ≈20 tfjs ops at 1–3 µs overhead each, more
 * than the arithmetic. Here a step is one pass in TypeScript (perception, masks) and one kernel call, and work
 * that cannot matter is skipped:
 *  - cells that do not fire keep their state (x + dx·0), so their MLP is never evaluated;
 *  - a cell whose whole 3×3 neighbourhood is zero has perception 0, so its dx is the constant
 *    relu(b0)·W1 + b1 (zero without biases), computed once;
 *  - zero perception inputs and zero ReLU outputs are skipped inside the kernel.
 * It consumes the random stream exactly like the tfjs step (one uniform per cell, [n][y][x] order), so both
 * give the same states to float32 rounding.
 *
 * Two kernel paths:
 *  - the whole-step kernel (scripts/kernel-wat-step.ts) for the shapes it is generated for (thesis 32/16,
 *    Mordvintsev 128/16) with alive threshold ≥ 0: the state lives in kernel memory on a zero-padded grid for the
 *    whole rollout, masks, perception, the register-blocked MLP and the update all run in wasm; TypeScript only
 *    draws the fire mask. Every listed cell does the full dense MLP (no data-dependent skipping inside), so its
 *    floats do not depend on the sparsity or on its block partner;
 *  - the per-cell MLP kernel (any hidden and channels that are multiples of 4): perception and masks here,
 *    the MLP in `mlp`/`mlp_h*_c*`, zero inputs and activations skipped.
 */
import type { NcaConfig } from './config';
import { paramLayout, type ParamLayout } from './config';
import type { StateBatch } from './state';
import type { Philox } from '../rng/philox';
import { mlpKernel, type MlpKernel } from './mlp-kernel';

/** How FusedNca computes in this process: the SIMD kernel, or its plain TypeScript fallback. */
export function fusedBackendName(): 'fused-wasm-simd' | 'fused-js' {
  return mlpKernel() ? 'fused-wasm-simd' : 'fused-js';
}

export class FusedNca {
  private readonly C: number;
  private readonly inputs: number;
  private readonly hidden: number;
  private readonly params: Float32Array;
  private readonly layout: ParamLayout;
  /** dx of a cell whose perception is all zero (float64, as the TypeScript step adds it) */
  private readonly dxZero: Float64Array;
  private readonly zeroDx: boolean;
  private readonly kernel: MlpKernel | null;
  /** kernel memory layout, in float offsets */
  private readonly at = { w0: 0, b0: 0, w1: 0, b1: 0, h: 0, in: 0, out: 0, chunk: 0 };
  /** the whole-step kernel's weight layout (byte offsets), when this shape has one */
  private readonly tiled: { key: string; w0: number; zeros: number; b0: number; w1: number; b1: number; dz: number; perc: number; hbuf: number; end: number; useDz: number } | null = null;
  /** listed cells run through the MLP since construction (the work actually done; the bench reports it) */
  cellsEvaluated = 0;
  /** the same over every FusedNca of this process */
  static cellsEvaluatedTotal = 0;
  /** plain-TypeScript MLP for configurations the kernel does not take */
  private readonly jsIn: Float64Array;
  private readonly jsOut: Float64Array;
  private readonly jsH: Float64Array;

  /** `stepKernel: false` keeps a shape the whole-step kernel takes on the per-cell path (to compare the two) */
  constructor(private readonly cfg: NcaConfig, params: Float32Array, options: { stepKernel?: boolean } = {}) {
    const L = paramLayout(cfg);
    if (params.length !== L.total) throw new RangeError(`parameters: expected ${L.total} values, got ${params.length}`);
    this.params = params;
    this.layout = L;
    this.C = cfg.channels;
    this.inputs = L.inputs;
    this.hidden = cfg.hidden;
    this.jsIn = new Float64Array(L.inputs);
    this.jsOut = new Float64Array(cfg.channels);
    this.jsH = new Float64Array(cfg.hidden);
    this.dxZero = new Float64Array(cfg.channels);
    this.mlpJs(new Float64Array(L.inputs), this.dxZero);
    this.zeroDx = this.dxZero.every((v) => v === 0);
    const k = cfg.hidden % 4 === 0 && cfg.channels % 4 === 0 ? mlpKernel() : null;
    this.kernel = k;
    if (k) {
      const align = (n: number) => Math.ceil(n / 4) * 4;
      const a = this.at;
      a.w0 = 0;
      a.b0 = align(a.w0 + L.kernel0.size);
      a.w1 = align(a.b0 + cfg.hidden);
      a.b1 = align(a.w1 + L.kernel1.size);
      a.h = align(a.b1 + cfg.channels);
      a.in = align(a.h + cfg.hidden);
      const free = k.f32.length - a.in;
      a.chunk = Math.floor(free / (L.inputs + cfg.channels));
      a.out = align(a.in + a.chunk * L.inputs);
      if (a.chunk < 64) this.kernel = null;
    }
    const key = `h${cfg.hidden}_c${cfg.channels}`;
    if (options.stepKernel !== false && this.kernel && this.kernel.step.cells.has(key) && this.kernel.step.channels.has(cfg.channels) && cfg.aliveThreshold >= 0) {
      const al = (n: number) => Math.ceil(n / 16) * 16;
      // the parameters as they are (one memcpy per member, see loadTiled), then zeros for the biases a model
      // lacks: every offset is a multiple of 4 floats because hidden and channels are
      const w0 = 0;
      const zeros = al(4 * L.total);
      const b0 = L.bias0 ? w0 + 4 * L.bias0.offset : zeros;
      const w1 = w0 + 4 * L.kernel1.offset;
      const b1 = L.bias1 ? w0 + 4 * L.bias1.offset : zeros;
      const dz = al(zeros + 4 * Math.max(cfg.hidden, cfg.channels));
      const perc = al(dz + 8 * cfg.channels);
      const hbuf = al(perc + 4 * 4 * L.inputs); // room for blocks of up to 4 cells
      const end = al(hbuf + 4 * 4 * cfg.hidden);
      this.tiled = { key, w0, zeros, b0, w1, b1, dz, perc, hbuf, end, useDz: 0 };
    }
  }

  /** The whole-step kernel's weights (layouts in scripts/kernel-wat-step.ts) into kernel memory, unless there. */
  private loadTiled(k: MlpKernel): void {
    const t = this.tiled!;
    // its own identity: the per-cell path's layout differs, and a sample too big for this path uses that one
    if (k.loaded === t) return;
    const { C, hidden: H } = this;
    const f = k.f32;
    f.set(this.params, t.w0 / 4);
    // the per-cell path shares this memory, so the zeros standing in for absent biases are written every time
    f.fill(0, t.zeros / 4, t.zeros / 4 + Math.max(H, C));
    // the per-cell path's constant dx of an empty neighbourhood (float64), times stepSize in float64
    const dz = new Float64Array(k.memory.buffer, t.dz, C);
    for (let c = 0; c < C; c++) dz[c] = this.dxZero[c] * this.cfg.stepSize;
    const any = this.zeroDx ? 0 : 1;
    t.useDz = any;
    k.loaded = t;
  }

  /**
   * `steps` CA steps of `s` in place on the whole-step kernel. The batch stays in kernel memory for all steps
   * when it fits (else each sample is copied in and out around its step). False when not even one sample fits.
   */
  private runTiled(s: StateBatch, steps: number, rng: Philox): boolean {
    const k = this.kernel!;
    const t = this.tiled!;
    const { C } = this;
    const { n, height: H, width: W } = s;
    const Wp = W + 2;
    const padCells = (H + 2) * Wp;
    const al = (x: number) => Math.ceil(x / 16) * 16;
    // per sample: the padded state, its nz bytes and alpha map (kept across steps); shared: x1, A1, alive, live, fire, list
    const perSlot = padCells * C * 4 + al(padCells) + 4 * padCells;
    const shared = padCells * C * 4 + 4 * padCells + 3 * al(padCells) + al(4 * H * W);
    const room = k.f32.length * 4 - t.end - shared;
    if (room < perSlot) return false;
    const slots = room >= n * perSlot ? n : 1;
    const X = t.end;
    const NZ = X + slots * padCells * C * 4;
    const A = NZ + slots * al(padCells);
    const X1 = A + slots * 4 * padCells;
    const A1 = X1 + padCells * C * 4;
    const AL = A1 + 4 * padCells;
    const LV = AL + al(padCells);
    const FI = LV + al(padCells);
    const LI = FI + al(padCells);
    this.loadTiled(k);
    const { f32, u8 } = k;
    const passes = k.step.channels.get(C)!;
    const cells = k.step.cells.get(t.key)!;
    // zero borders: the padded grids, maps and A1 are never written there
    f32.fill(0, X / 4, NZ / 4);
    u8.fill(0, NZ, A);
    f32.fill(0, A / 4, AL / 4);
    const rowF = W * C;
    const xAt = (slot: number) => X + slot * padCells * C * 4;
    const nzAt = (slot: number) => NZ + slot * al(padCells);
    const aAt = (slot: number) => A + slot * 4 * padCells;
    const copyIn = (b: number, slot: number) => {
      for (let y = 0; y < H; y++) {
        const src = (b * H + y) * rowF;
        f32.set(s.data.subarray(src, src + rowF), xAt(slot) / 4 + ((y + 1) * Wp + 1) * C);
      }
      passes.scan(xAt(slot), nzAt(slot), aAt(slot), H, W);
    };
    const copyOut = (b: number, slot: number) => {
      for (let y = 0; y < H; y++) {
        const at = xAt(slot) / 4 + ((y + 1) * Wp + 1) * C;
        s.data.set(f32.subarray(at, at + rowF), (b * H + y) * rowF);
      }
    };
    const resident = slots === n;
    if (resident) for (let b = 0; b < n; b++) copyIn(b, b);
    const rate = this.cfg.fireRate;
    const T = rate * 4294967296; // uniform() ≤ rate ⇔ u32 ≤ rate·2^32 (exact)
    const thr = this.cfg.aliveThreshold;
    const stepSize = this.cfg.stepSize;
    const cellCount = H * W;
    const fireCell = (c: number) => { u8[FI + (Math.floor(c / W) + 1) * Wp + (c % W) + 1] = rng.uniform() <= rate ? 1 : 0; };
    for (let i = 0; i < steps; i++) {
      for (let b = 0; b < n; b++) {
        const slot = resident ? b : 0;
        if (!resident) copyIn(b, 0);
        const x = xAt(slot);
        // the fire mask: the current block's leftovers here, whole blocks in wasm, the tail here (same stream)
        let c = 0;
        const head = Math.min(rng.pendingInBlock, cellCount);
        for (; c < head; c++) fireCell(c);
        const blocks = Math.floor((cellCount - c) / 4);
        if (blocks > 0) {
          const at = rng.claimBlocks(blocks);
          k.step.fire(FI, W, c, blocks, at.key0, at.key1, at.ctrLo, at.ctrHi, at.stream0, at.stream1, T);
          c += 4 * blocks;
        }
        for (; c < cellCount; c++) fireCell(c);
        k.step.alive(aAt(slot), AL, H, W, thr);
        const m = passes.select(x, X1, FI, nzAt(slot), LI, A1, H, W, t.dz, t.useDz);
        if (m > 0) cells(x, X1, LI, m, Wp * C * 4, t.w0, t.b0, t.w1, t.b1, t.perc, t.hbuf, stepSize, A1);
        this.cellsEvaluated += m;
        FusedNca.cellsEvaluatedTotal += m;
        k.step.alive(A1, LV, H, W, thr);
        passes.post(x, X1, AL, LV, nzAt(slot), aAt(slot), H, W);
        if (!resident) copyOut(b, 0);
      }
    }
    if (resident) for (let b = 0; b < n; b++) copyOut(b, b);
    return true;
  }

  /** Puts this model's weights into the shared kernel memory unless they are there already. */
  private load(k: MlpKernel): void {
    if (k.loaded === this) return;
    const L = this.layout;
    const p = this.params;
    const { f32 } = k;
    f32.set(p.subarray(L.kernel0.offset, L.kernel0.offset + L.kernel0.size), this.at.w0);
    if (L.bias0) f32.set(p.subarray(L.bias0.offset, L.bias0.offset + L.bias0.size), this.at.b0);
    else f32.fill(0, this.at.b0, this.at.b0 + this.hidden);
    f32.set(p.subarray(L.kernel1.offset, L.kernel1.offset + L.kernel1.size), this.at.w1);
    if (L.bias1) f32.set(p.subarray(L.bias1.offset, L.bias1.offset + L.bias1.size), this.at.b1);
    else f32.fill(0, this.at.b1, this.at.b1 + this.C);
    k.loaded = this;
  }

  /** dx = relu(in·k0 + b0)·k1 + b1 in float64 (the fallback, and the constant dx of an empty neighbourhood). */
  private mlpJs(input: Float64Array, dx: Float64Array): void {
    const L = this.layout;
    const p = this.params;
    const { hidden, C } = this;
    const h = this.jsH;
    for (let k = 0; k < hidden; k++) h[k] = L.bias0 ? p[L.bias0.offset + k] : 0;
    for (let j = 0; j < input.length; j++) {
      const v = input[j];
      if (v === 0) continue;
      const row = L.kernel0.offset + j * hidden;
      for (let k = 0; k < hidden; k++) h[k] += v * p[row + k];
    }
    for (let o = 0; o < C; o++) dx[o] = L.bias1 ? p[L.bias1.offset + o] : 0;
    for (let k = 0; k < hidden; k++) {
      const a = h[k];
      if (a <= 0) continue;
      const row = L.kernel1.offset + k * C;
      for (let o = 0; o < C; o++) dx[o] += a * p[row + o];
    }
  }

  /** One CA step of every sample, in place on `s.data`. `scratch` is reused between calls. */
  step(s: StateBatch, rng: Philox, scratch?: FusedScratch): void {
    if (this.tiled && this.runTiled(s, 1, rng)) return;
    this.stepPerCell(s, rng, scratch ?? new FusedScratch(s));
  }

  private stepPerCell(s: StateBatch, rng: Philox, scratch: FusedScratch): void {
    const { C, inputs } = this;
    const { height: H, width: W } = s;
    const cells = H * W;
    const thr = this.cfg.aliveThreshold;
    const rate = this.cfg.fireRate;
    const stepSize = this.cfg.stepSize;
    const x = s.data;
    const x1 = scratch.next;
    const { alivePre, nonZero, live, pending } = scratch;
    const k = this.kernel;
    if (k) this.load(k);
    const f32 = k ? k.f32 : null;
    const inBase = this.at.in;
    const outBase = this.at.out;
    const chunk = this.at.chunk;
    let m = 0;

    // runs the MLP on the `m` gathered cells and adds their dx
    const flush = () => {
      if (m === 0 || !k || !f32) return;
      const a = this.at;
      const fast = k.specialised.get(`h${this.hidden}_c${C}`);
      if (fast) fast(a.in * 4, m, a.out * 4, a.w0 * 4, a.b0 * 4, a.w1 * 4, a.b1 * 4, inputs);
      else k.mlp(a.in * 4, m, a.out * 4, a.w0 * 4, a.b0 * 4, a.w1 * 4, a.b1 * 4, inputs, this.hidden, C, a.h * 4);
      for (let t = 0; t < m; t++) {
        const o = pending[t];
        const src = outBase + t * C;
        for (let c = 0; c < C; c++) x1[o + c] = x[o + c] + f32[src + c] * stepSize;
      }
      this.cellsEvaluated += m;
      FusedNca.cellsEvaluatedTotal += m;
      m = 0;
    };

    for (let b = 0; b < s.n; b++) {
      const base = b * cells * C;
      for (let cell = 0; cell < cells; cell++) {
        const o = base + cell * C;
        let nz = 0;
        for (let c = 0; c < C; c++) if (x[o + c] !== 0) { nz = 1; break; }
        nonZero[cell] = nz;
      }
      maxPoolAlive(x, base, C, H, W, thr, alivePre);
      for (let y = 0; y < H; y++) {
        for (let xx = 0; xx < W; xx++) {
          const cell = y * W + xx;
          const o = base + cell * C;
          const fire = rng.uniform() <= rate;
          let any = 0;
          if (fire) {
            for (let dy = -1; dy <= 1 && !any; dy++) {
              const yy = y + dy;
              if (yy < 0 || yy >= H) continue;
              for (let dxx = -1; dxx <= 1; dxx++) {
                const xs = xx + dxx;
                if (xs >= 0 && xs < W && nonZero[yy * W + xs]) { any = 1; break; }
              }
            }
          }
          if (!fire || (!any && this.zeroDx)) {
            for (let c = 0; c < C; c++) x1[o + c] = x[o + c];
          } else if (!any) {
            for (let c = 0; c < C; c++) x1[o + c] = x[o + c] + this.dxZero[c] * stepSize;
          } else if (f32) {
            perceiveCell(x, base, C, H, W, y, xx, f32, inBase + m * inputs);
            pending[m++] = o;
            if (m === chunk) flush();
          } else {
            perceiveCell(x, base, C, H, W, y, xx, this.jsIn, 0);
            this.mlpJs(this.jsIn, this.jsOut);
            this.cellsEvaluated++;
            FusedNca.cellsEvaluatedTotal++;
            for (let c = 0; c < C; c++) x1[o + c] = x[o + c] + this.jsOut[c] * stepSize;
          }
        }
      }
      flush();
      // alive after the update; keep cells alive before AND after (a.4), zero the rest
      maxPoolAlive(x1, base, C, H, W, thr, live);
      for (let cell = 0; cell < cells; cell++) {
        const o = base + cell * C;
        if (alivePre[cell] && live[cell]) {
          for (let c = 0; c < C; c++) x[o + c] = x1[o + c];
        } else {
          for (let c = 0; c < C; c++) x[o + c] = 0;
        }
      }
    }
  }

  /** `steps` CA steps on a copy of `start`. */
  rollout(start: StateBatch, steps: number, rng: Philox): StateBatch {
    const s: StateBatch = { ...start, data: start.data.slice() };
    if (this.tiled && this.runTiled(s, steps, rng)) return s;
    const scratch = new FusedScratch(s);
    for (let i = 0; i < steps; i++) this.stepPerCell(s, rng, scratch);
    return s;
  }

  /** Whether the whole-step kernel runs this model (else the per-cell kernel or the plain TypeScript MLP). */
  get usesStepKernel(): boolean {
    return this.tiled !== null;
  }

  /** Whether the SIMD kernel is in use (else the plain TypeScript MLP). */
  get usesKernel(): boolean {
    return this.kernel !== null;
  }
}

/** Buffers one step needs. */
export class FusedScratch {
  readonly next: Float32Array;
  readonly alivePre: Uint8Array;
  readonly live: Uint8Array;
  readonly nonZero: Uint8Array;
  /** state offsets of the cells waiting for the kernel */
  readonly pending: Int32Array;
  constructor(s: StateBatch) {
    const cells = s.height * s.width;
    this.next = new Float32Array(s.data.length);
    this.alivePre = new Uint8Array(cells);
    this.live = new Uint8Array(cells);
    this.nonZero = new Uint8Array(cells);
    this.pending = new Int32Array(cells);
  }
}

/** out[cell] = (max over the 3×3 neighbourhood inside the canvas of alpha) > thr. */
function maxPoolAlive(x: Float32Array, base: number, C: number, H: number, W: number, thr: number, out: Uint8Array): void {
  for (let y = 0; y < H; y++) {
    for (let xx = 0; xx < W; xx++) {
      let m = -Infinity;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= H) continue;
        for (let dxx = -1; dxx <= 1; dxx++) {
          const xs = xx + dxx;
          if (xs < 0 || xs >= W) continue;
          const a = x[base + (yy * W + xs) * C + 3];
          if (a > m) m = a;
        }
      }
      out[y * W + xx] = m > thr ? 1 : 0;
    }
  }
}

/** Perception of one cell (spec a.2) into out[at ...] in the spec's interleaved order 3c + k. */
function perceiveCell(
  x: Float32Array, base: number, C: number, H: number, W: number, y: number, xx: number,
  out: Float32Array | Float64Array, at: number,
): void {
  const up = y > 0;
  const down = y < H - 1;
  const left = xx > 0;
  const right = xx < W - 1;
  const o = base + (y * W + xx) * C;
  const rowUp = o - W * C;
  const rowDown = o + W * C;
  for (let c = 0; c < C; c++) {
    const n = up ? x[rowUp + c] : 0;
    const s = down ? x[rowDown + c] : 0;
    const w = left ? x[o - C + c] : 0;
    const e = right ? x[o + C + c] : 0;
    const nw = up && left ? x[rowUp - C + c] : 0;
    const ne = up && right ? x[rowUp + C + c] : 0;
    const sw = down && left ? x[rowDown - C + c] : 0;
    const se = down && right ? x[rowDown + C + c] : 0;
    out[at + 3 * c] = x[o + c];
    out[at + 3 * c + 1] = (ne + 2 * e + se - nw - 2 * w - sw) / 8;
    out[at + 3 * c + 2] = (sw + 2 * s + se - nw - 2 * n - ne) / 8;
  }
}
