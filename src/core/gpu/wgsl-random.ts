/**
 * The lab's random streams in WGSL (docs/architecture.md, "Compute"; spec a.4 and c.2): Philox4x32-10 exactly as
 * src/core/rng/philox.ts computes it (bit for bit: integer arithmetic only), the fire-mask uniform of a cell at
 * any position of a stream, and the Box-Muller normal of Philox.normal() (same uint32 draws, float32 arithmetic,
 * so the same ε as the workers up to float rounding).
 *
 * Why the normal is written out by hand: WGSL's cos/sin only promise an absolute error of 2^-11 on [−π, π] and
 * log only promises 2^-21 absolute near 1, so a naive port would give ε a few 1e-4 away from the CPU's for some
 * draws. Here the angle is reduced exactly in integers (the quadrant is the draw's top two bits) and sin/cos
 * are Taylor polynomials on [0, π/4] (error < 2e-9); ln is an atanh series on the mantissa, and −ln(u1) for u1
 * near 1 the series of −ln(1 − v) with v = 1 − u1 taken exactly from the draw's complement. What remains is float32 rounding (≈ 1e-7 relative).
 */

/** WGSL: Philox4x32-10 (`philox(ctr, key)`), a 64-bit block index from a 64-bit position, the f32 normal pair. */
export const WGSL_RANDOM = /* wgsl */ `
fn mulhi32(a: u32, b: u32) -> u32 {
  let aLo = a & 0xffffu;
  let aHi = a >> 16u;
  let bLo = b & 0xffffu;
  let bHi = b >> 16u;
  let lolo = aLo * bLo;
  let hilo = aHi * bLo;
  let lohi = aLo * bHi;
  let hihi = aHi * bHi;
  let mid = (lolo >> 16u) + (hilo & 0xffffu) + (lohi & 0xffffu);
  return hihi + (hilo >> 16u) + (lohi >> 16u) + (mid >> 16u);
}

// counter (c0 c1 = block index lo hi, c2 c3 = stream words), key (k0 k1 = seed lo hi)
fn philox(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = ctr;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    let hi0 = mulhi32(0xd2511f53u, c.x);
    let lo0 = 0xd2511f53u * c.x;
    let hi1 = mulhi32(0xcd9e8d57u, c.z);
    let lo1 = 0xcd9e8d57u * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k = k + vec2<u32>(0x9e3779b9u, 0xbb67ae85u);
  }
  return c;
}

// uint32 number (a·m + add) of a stream, as (block lo, block hi, word): a·m + add may pass 2^32
fn streamPosition(a: u32, m: u32, add: u32) -> vec3<u32> {
  let lo = a * m;
  var hi = mulhi32(a, m);
  let sum = lo + add;
  if (sum < lo) { hi = hi + 1u; }
  return vec3<u32>((sum >> 2u) | (hi << 30u), hi >> 2u, sum & 3u);
}

// the uint32 at position a·m + add of the stream (stream0, stream1) under key
fn streamWord(key: vec2<u32>, stream0: u32, stream1: u32, a: u32, m: u32, add: u32) -> u32 {
  let p = streamPosition(a, m, add);
  let b = philox(vec4<u32>(p.x, p.y, stream0, stream1), key);
  var w = b.x;
  if (p.z == 1u) { w = b.y; } else if (p.z == 2u) { w = b.z; } else if (p.z == 3u) { w = b.w; }
  return w;
}

// sin and cos of φ ∈ [0, π/4] (Taylor, error < 2e-9)
fn sinCosSmall(p: f32) -> vec2<f32> {
  let q = p * p;
  let s = p * (1.0 - q / 6.0 * (1.0 - q / 20.0 * (1.0 - q / 42.0 * (1.0 - q / 72.0))));
  let c = 1.0 - q / 2.0 * (1.0 - q / 12.0 * (1.0 - q / 30.0 * (1.0 - q / 56.0 * (1.0 - q / 90.0))));
  return vec2<f32>(s, c);
}

// (sin, cos) of 2π·w/2^32, the angle reduced exactly in integers
fn sinCosTurn(w: u32) -> vec2<f32> {
  let quadrant = w >> 30u;
  let m = w & 0x3fffffffu;
  var sc: vec2<f32>;
  if (m < 0x20000000u) {
    sc = sinCosSmall(f32(m) * (1.5707963267948966 / 1073741824.0));
  } else {
    // φ ≥ π/4: sin φ = cos(π/2 − φ), cos φ = sin(π/2 − φ), π/2 − φ from the exact integer complement
    sc = sinCosSmall(f32(0x40000000u - m) * (1.5707963267948966 / 1073741824.0)).yx;
  }
  // + quadrant·π/2
  if (quadrant == 1u) { return vec2<f32>(sc.y, -sc.x); }
  if (quadrant == 2u) { return vec2<f32>(-sc.x, -sc.y); }
  if (quadrant == 3u) { return vec2<f32>(-sc.y, sc.x); }
  return sc;
}

// ln x for x > 0 to a few ulp (WGSL's log promises only 2^-21 absolute near 1): x = m·2^e with m ∈ [√½, √2),
// ln m = 2·atanh(s), s = (m − 1)/(m + 1) ∈ [−0.172, 0.172], the series to s^11 (error < 1e-10)
fn lnAccurate(x: f32) -> f32 {
  let fe = frexp(x);
  var m = fe.fract;
  var e = f32(fe.exp);
  if (m < 0.70710678) { m = m * 2.0; e = e - 1.0; }
  let s = (m - 1.0) / (m + 1.0);
  let q = s * s;
  let series = 1.0 + q * (1.0 / 3.0 + q * (0.2 + q * (1.0 / 7.0 + q * (1.0 / 9.0 + q * (1.0 / 11.0)))));
  return e * 0.6931471805599453 + 2.0 * s * series;
}

// Philox.normal() from its two draws a, b: (r·cos, r·sin) with r = √(−2 ln((a + 1)/2^32)), the angle 2π·b/2^32
fn normalPair(a: u32, b: u32) -> vec2<f32> {
  // v = 1 − u1 = (2^32 − 1 − a)/2^32, exact as an integer
  let v = f32(0xffffffffu - a) * (1.0 / 4294967296.0);
  var minusLn: f32;
  if (v < 0.015625) {
    minusLn = v * (1.0 + v * (0.5 + v * (1.0 / 3.0 + v * (0.25 + v * 0.2))));
  } else {
    minusLn = -lnAccurate(f32(a + 1u) * (1.0 / 4294967296.0));
  }
  let r = sqrt(2.0 * minusLn);
  let sc = sinCosTurn(b);
  return vec2<f32>(r * sc.y, r * sc.x);
}
`;

/** The float32 threshold and comparison that make `alpha > thr` (thr a double) exact for float32 alpha. */
export function aliveComparison(threshold: number): { op: '>' | '>='; value: number } {
  const f = Math.fround(threshold);
  // a float32 above thr is at least the float32 nearest above it
  return f > threshold ? { op: '>=', value: f } : { op: '>', value: f };
}

/** A float32 as an exact WGSL expression (its bits). */
export function wgslF32(value: number): string {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0];
  return `bitcast<f32>(0x${bits.toString(16)}u)`;
}

/** The uint32 threshold T with uniform() ≤ rate ⇔ u32 ≤ T (uniform = u32/2^32; rate 1: every draw). */
export function fireThreshold(rate: number): number {
  return Math.min(Math.floor(rate * 4294967296), 0xffffffff);
}

/** Philox's key words for a run seed, as src/core/rng/philox.ts derives them. */
export function philoxKey(seed: number): [number, number] {
  const s = Math.floor(Math.abs(seed));
  return [s >>> 0, Math.floor(s / 4294967296) >>> 0];
}
