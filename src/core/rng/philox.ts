/**
 * Philox4x32-10: a counter-based random number generator (Salmon et al., "Parallel random numbers:
 * as easy as 1, 2, 3", SC 2011). Output block i is a pure function of (key, counter i), so any member's
 * noise or fire masks can be rebuilt anywhere from (seed, ids) without shipping numbers between
 * processes (docs/architecture.md, "Compute"; spec c.2 / c.8).
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32. */
function mulhi(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const lolo = aLo * bLo;
  const hilo = aHi * bLo;
  const lohi = aLo * bHi;
  const hihi = aHi * bHi;
  const mid = (lolo >>> 16) + (hilo & 0xffff) + (lohi & 0xffff);
  return (hihi + (hilo >>> 16) + (lohi >>> 16) + (mid >>> 16)) >>> 0;
}

/** One Philox4x32-10 block: 4 uint32 outputs written into `out`. */
export function philox4x32(
  c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array,
): void {
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** Serialisable position of a stream: enough to resume it exactly. */
export interface RngState {
  key: [number, number];
  /** counter words 0..1 (block index, 64-bit as lo/hi) */
  counter: [number, number];
  /** counter words 2..3 (stream id) */
  stream: [number, number];
  /** uint32 outputs already consumed from the current block (0..4) */
  used: number;
  /** a cached second Box-Muller normal, or null */
  spareNormal: number | null;
}

const TWO_POW_32 = 4294967296;

/**
 * A stream of random numbers over Philox. `key` is the seed; `stream` (two uint32) separates
 * independent streams under one seed (for example generation × member).
 */
export class Philox {
  private key: [number, number];
  private stream: [number, number];
  private ctrLo = 0;
  private ctrHi = 0;
  private block = new Uint32Array(4);
  private used = 4;
  private spare: number | null = null;

  constructor(seed: number, stream0 = 0, stream1 = 0) {
    const s = Math.floor(Math.abs(seed));
    this.key = [s >>> 0, Math.floor(s / TWO_POW_32) >>> 0];
    this.stream = [stream0 >>> 0, stream1 >>> 0];
  }

  static fromState(state: RngState): Philox {
    const rng = new Philox(0);
    rng.key = [state.key[0] >>> 0, state.key[1] >>> 0];
    rng.stream = [state.stream[0] >>> 0, state.stream[1] >>> 0];
    rng.ctrLo = state.counter[0] >>> 0;
    rng.ctrHi = state.counter[1] >>> 0;
    rng.spare = state.spareNormal;
    if (state.used < 4) {
      // regenerate the partially used block: it was produced from the previous counter value
      const lo = (rng.ctrLo - 1) >>> 0;
      const hi = rng.ctrLo === 0 ? (rng.ctrHi - 1) >>> 0 : rng.ctrHi;
      philox4x32(lo, hi, rng.stream[0], rng.stream[1], rng.key[0], rng.key[1], rng.block);
    }
    rng.used = state.used;
    return rng;
  }

  getState(): RngState {
    return {
      key: [this.key[0], this.key[1]],
      counter: [this.ctrLo, this.ctrHi],
      stream: [this.stream[0], this.stream[1]],
      used: this.used,
      spareNormal: this.spare,
    };
  }

  nextUint32(): number {
    if (this.used === 4) {
      philox4x32(this.ctrLo, this.ctrHi, this.stream[0], this.stream[1], this.key[0], this.key[1], this.block);
      this.ctrLo = (this.ctrLo + 1) >>> 0;
      if (this.ctrLo === 0) this.ctrHi = (this.ctrHi + 1) >>> 0;
      this.used = 0;
    }
    return this.block[this.used++];
  }

  /** uint32 outputs left in the current block (0..4): drawn one by one before `claimBlocks` may be called. */
  get pendingInBlock(): number {
    return 4 - this.used;
  }

  /**
   * Hands `blocks` whole blocks to a generator outside this object (FusedNca's WebAssembly Philox, which makes
   * them bit for bit like philox4x32) and moves the stream past them, exactly as 4·blocks nextUint32() calls
   * would. Only at a block boundary (pendingInBlock = 0). Returns the key, the stream words and the first
   * block's counter.
   */
  claimBlocks(blocks: number): { key0: number; key1: number; ctrLo: number; ctrHi: number; stream0: number; stream1: number } {
    if (this.used !== 4) throw new Error('claimBlocks: the current block is not used up');
    if (!Number.isInteger(blocks) || blocks < 0) throw new RangeError(`claimBlocks: ${blocks} is not a block count`);
    const at = { key0: this.key[0], key1: this.key[1], ctrLo: this.ctrLo, ctrHi: this.ctrHi, stream0: this.stream[0], stream1: this.stream[1] };
    const lo = this.ctrLo + blocks;
    this.ctrLo = lo >>> 0;
    this.ctrHi = (this.ctrHi + Math.floor(lo / TWO_POW_32)) >>> 0;
    return at;
  }

  /** Uniform in [0, 1), 32 bits of resolution (like torch.rand / tf.random.uniform: never 1). */
  uniform(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform integer in [lo, hiExclusive). */
  int(lo: number, hiExclusive: number): number {
    const span = hiExclusive - lo;
    if (!(span >= 1)) throw new RangeError(`int(${lo}, ${hiExclusive}): empty range`);
    return lo + Math.floor(this.uniform() * span);
  }

  /** Standard normal by Box-Muller (both values used). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    // (0,1] avoids log(0)
    const u1 = (this.nextUint32() + 1) / TWO_POW_32;
    const u2 = this.nextUint32() / TWO_POW_32;
    const r = Math.sqrt(-2 * Math.log(u1));
    const t = 2 * Math.PI * u2;
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }

  fillUniform(out: Float32Array | Float64Array): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform();
    return out;
  }

  fillNormal(out: Float32Array | Float64Array): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /** k distinct indices from [0, n) (partial Fisher-Yates). */
  choose(n: number, k: number): number[] {
    if (k > n) throw new RangeError(`choose(${n}, ${k}): k > n`);
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(this.uniform() * (n - i));
      const tmp = idx[i];
      idx[i] = idx[j];
      idx[j] = tmp;
    }
    return idx.slice(0, k);
  }
}
