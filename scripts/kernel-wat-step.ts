/**
 * The WebAssembly text of the whole-step CA kernel (spec a.2–a.4) that FusedNca runs on a zero-padded grid
 * kept in kernel memory: the state of one sample is [H+2][W+2][C] f32 with a border of zeros that is never
 * written, so perception and the alive max-pool read their 3×3 neighbourhood with no bounds tests (a zero border
 * is the canvas's zero padding; for the max-pool it equals "inside the canvas only" whenever the alive threshold
 * is ≥ 0, which FusedNca checks before choosing this path).
 *
 * Per sample FusedNca keeps the state's nz bytes (any channel non-zero) and alpha map A beside it (`ca_scan_c*`
 * makes them once, `ca_post_c*` keeps them current), and per step calls, in order:
 *  - `philox_fire`: the fire mask from the sample's Philox stream, bit for bit like src/core/rng/philox.ts;
 *  - `ca_alive`: alive before the update = max of A over the 3×3 > thr (a.4);
 *  - `ca_select_c*`: every cell that fires and has a non-zero neighbourhood goes to the list (the MLP runs on
 *    it); every other cell gets x1 = x (+ the constant dx of zero perception when firing);
 *  - `cells_h{H}_c{C}`: perception + MLP + update of the listed cells, register-blocked (below);
 *  - `ca_alive` over x1's alpha, then `ca_post_c*`: x = x1 where alive before AND after, else 0.
 *
 * Register blocking of `cells_*` (why it is fast): V8 gives wasm about 14 usable xmm registers, so the block is
 * BC cells × G vectors of hidden units per pass: BC·G accumulators, each weight vector loaded once feeds BC
 * multiply-adds and each input is one `load32_splat` (a plain broadcast load) feeding G. Layer 1 runs the 3C
 * inputs one per loop iteration, H/(4G) passes over W0 as the model stores it; layer 2 runs
 * k = 0..H−1 with BC·C/4 accumulators. There is no data-dependent branch: every listed cell costs the same and
 * its floats do not depend on which cell shares its block (the accumulation order is fixed per cell), so a
 * rollout is bit-identical whatever the sparsity, the block partner or the process that computes it.
 *
 * Layouts (f32): perception of a cell [3C] in the spec's order 3c + k (identity, Sobel x, Sobel y; spec a.2);
 * W0 [3C][H] (the parameter layout's kernel0, read in place); b0 [H]; W1 [H][C]; b1 [C] (zeros when the model has
 * no bias: the kernel always adds them); dz [C] f64.
 *
 * Bit for bit the per-cell path's floats (FusedNca's TypeScript perception and update in float64, the per-cell
 * kernel's f32 multiply-adds in the same order): a dense sum adds exact zeros where that kernel skipped a zero
 * input or activation, which changes no float. So runs resume and compare across the two paths exactly.
 */

export interface BlockShape { hidden: number; channels: number; cells: number; group: number }

/** The shapes the lab ships (thesis 32/16, a wider ES model 64/16, Mordvintsev 128/16), with the blocking chosen by measurement. */
export const STEP_SHAPES: BlockShape[] = [
  { hidden: 32, channels: 16, cells: 2, group: 4 },
  { hidden: 64, channels: 16, cells: 2, group: 4 },
  { hidden: 128, channels: 16, cells: 2, group: 4 },
];

const get = (n: string) => `(local.get $${n})`;

/** Float lanes f[i] of a (0–3) or b (4–7), as an i8x16.shuffle. */
function shuf(a: string, b: string, f: [number, number, number, number]): string {
  const bytes = f.flatMap((l) => [0, 1, 2, 3].map((k) => 4 * l + k));
  return `(i8x16.shuffle ${bytes.join(' ')} ${a} ${b})`;
}

/** Lanes 0–1 (lo) or 2–3 (hi) of an f32x4 as f64x2. */
function promote(h: 'lo' | 'hi', x: string): string {
  return h === 'lo' ? `(f64x2.promote_low_f32x4 ${x})` : `(f64x2.promote_low_f32x4 ${shuf(x, x, [2, 3, 2, 3])})`;
}

/** Two f64x2 halves rounded to one f32x4 (lo → lanes 0–1, hi → 2–3). */
function demote2(lo: string, hi: string): string {
  return shuf(`(f32x4.demote_f64x2_zero ${lo})`, `(f32x4.demote_f64x2_zero ${hi})`, [0, 1, 4, 5]);
}

/** ((((p + 2q) + r) − s) − 2t) − u, / 8, on one f64x2 half (perceiveCell's expression, evaluated left to right). */
function sobel64(h: 'lo' | 'hi', p: string, q: string, r: string, s: string, t: string, u: string): string {
  const P = (n: string) => promote(h, `(local.get $${n})`);
  const twice = (n: string) => `(f64x2.add ${P(n)} ${P(n)})`;
  return `(f64x2.mul (f64x2.sub (f64x2.sub (f64x2.sub (f64x2.add (f64x2.add ${P(p)} ${twice(q)}) ${P(r)}) ${P(s)}) ${twice(t)}) ${P(u)}) (v128.const f64x2 0.125 0.125))`;
}
const set = (n: string, v: string) => `(local.set $${n} ${v})`;
const i32 = (n: number) => `(i32.const ${n})`;
const add = (a: string, b: string) => `(i32.add ${a} ${b})`;

/** The per-cell perception + MLP + update over a list of cells (see the header). */
export function cellsKernel(s: BlockShape): string {
  const { hidden: H, channels: C, cells: BC, group: G } = s;
  if (H % (4 * G) !== 0 || C % 4 !== 0) throw new RangeError(`cells kernel: hidden ${H} must be a multiple of ${4 * G}, channels ${C} of 4`);
  const NV = C / 4;
  const IN = 3 * C;
  const passes = H / (4 * G);
  const L: string[] = [];
  const locals: string[] = [];
  for (let b = 0; b < BC; b++) locals.push(`(local $p${b} i32)`);
  for (let b = 0; b < BC; b++) for (let v = 0; v < Math.max(G, NV); v++) locals.push(`(local $a${b}_${v} v128)`);
  for (let b = 0; b < BC; b++) locals.push(`(local $s${b} v128)`);
  L.push(`  (func (export "cells_h${H}_c${C}")`);
  L.push('    (param $x i32) (param $x1 i32) (param $list i32) (param $m i32) (param $row i32)');
  L.push('    (param $w0 i32) (param $b0 i32) (param $w1 i32) (param $b1 i32) (param $perc i32) (param $hbuf i32) (param $step f64) (param $A1 i32)');
  L.push('    (local $i i32) (local $j i32) (local $pj i32) (local $last i32) (local $g i32) (local $wp i32) (local $bp i32) (local $hp i32) (local $k i32)');
  L.push('    (local $u i32) (local $c i32) (local $d i32) (local $n v128) (local $e v128) (local $w v128) (local $sx v128) (local $sy v128)');
  L.push('    (local $ne v128) (local $nw v128) (local $se v128) (local $sw v128) (local $ss v128) (local $mid v128) (local $stepv v128)');
  L.push(`    ${locals.join(' ')}`);
  L.push(`    ${set('stepv', `(f64x2.splat ${get('step')})`)}`);
  L.push(`    ${set('last', `(i32.shl (i32.sub ${get('m')} ${i32(1)}) ${i32(2)})`)}`);
  L.push('    (block $done (loop $blocks');
  L.push(`      (br_if $done (i32.ge_s ${get('i')} ${get('m')}))`);
  // the block's cells: list[i + b], the last listed cell standing in past the end (computed twice, same floats)
  for (let b = 0; b < BC; b++) {
    const idx = `(i32.shl (i32.add ${get('i')} ${i32(b)}) ${i32(2)})`;
    L.push(`      ${set(`p${b}`, `(i32.load (i32.add ${get('list')} (select ${idx} ${get('last')} (i32.lt_s (i32.add ${get('i')} ${i32(b)}) ${get('m')}))))`)}`);
  }
  // perception (spec a.2) into perc[b][3c + k] (the spec's order, W0's rows); rows u (up), c (centre), d (down),
  // each based one cell to the left. In float64 in perceiveCell's order, rounded once to float32, as the
  // TypeScript step does: the kernel gives that step's floats bit for bit
  for (let b = 0; b < BC; b++) {
    L.push(`      ${set('c', `(i32.sub (i32.add ${get('x')} ${get(`p${b}`)}) ${i32(4 * C)})`)}`);
    L.push(`      ${set('u', `(i32.sub ${get('c')} ${get('row')})`)}`);
    L.push(`      ${set('d', `(i32.add ${get('c')} ${get('row')})`)}`);
    for (let v = 0; v < NV; v++) {
      const ld = (base: string, cell: number) => `(v128.load offset=${cell * 4 * C + 16 * v} ${get(base)})`;
      L.push(`      ${set('nw', ld('u', 0))} ${set('n', ld('u', 1))} ${set('ne', ld('u', 2))}`);
      L.push(`      ${set('w', ld('c', 0))} ${set('mid', ld('c', 1))} ${set('e', ld('c', 2))}`);
      L.push(`      ${set('sw', ld('d', 0))} ${set('ss', ld('d', 1))} ${set('se', ld('d', 2))}`);
      L.push(`      ${set('sx', demote2(sobel64('lo', 'ne', 'e', 'se', 'nw', 'w', 'sw'), sobel64('hi', 'ne', 'e', 'se', 'nw', 'w', 'sw')))}`);
      L.push(`      ${set('sy', demote2(sobel64('lo', 'sw', 'ss', 'se', 'nw', 'n', 'ne'), sobel64('hi', 'sw', 'ss', 'se', 'nw', 'n', 'ne')))}`);
      // interleave (id, sx, sy) of channels 4v..4v+3 into 12 floats
      const at = (b * IN + 12 * v) * 4;
      L.push(`      (v128.store offset=${at} ${get('perc')} ${shuf(shuf(get('mid'), get('sx'), [0, 4, 1, 5]), get('sy'), [0, 1, 4, 2])})`);
      L.push(`      (v128.store offset=${at + 16} ${get('perc')} ${shuf(shuf(get('mid'), get('sx'), [5, 2, 6, 3]), get('sy'), [0, 5, 1, 2])})`);
      L.push(`      (v128.store offset=${at + 32} ${get('perc')} ${shuf(shuf(get('mid'), get('sx'), [3, 7, 3, 7]), get('sy'), [6, 0, 1, 7])})`);
    }
  }
  // layer 1: H/(4G) passes of G hidden vectors over the 3C inputs, relu into hbuf[b][H]
  // W0 is read where the model keeps it ([3C][H], row j at w0 + 4·H·j): pass g takes lanes 4G·g … 4G·g + 4G − 1
  // of every row, so FusedNca copies a member's parameters in with one memcpy instead of re-laying W0 out
  L.push(`      ${set('g', i32(0))} ${set('bp', get('b0'))} ${set('hp', get('hbuf'))}`);
  L.push('      (loop $passes');
  L.push(`        ${set('wp', add(get('w0'), `(i32.mul ${get('g')} ${i32(G * 16)})`))}`);
  for (let b = 0; b < BC; b++) for (let v = 0; v < G; v++) L.push(`        ${set(`a${b}_${v}`, `(v128.load offset=${16 * v} ${get('bp')})`)}`);
  // one input per iteration: TurboFan sinks pure arithmetic to its first use and keeps loads in order, so an
  // unrolled body would issue all its loads first and spill them; a loop's phis pin each input's FMAs in place
  L.push(`        ${set('j', i32(0))} ${set('pj', get('perc'))}`);
  L.push('        (loop $inputs');
  for (let b = 0; b < BC; b++) L.push(`          ${set(`s${b}`, `(v128.load32_splat offset=${b * IN * 4} ${get('pj')})`)}`);
  for (let v = 0; v < G; v++) {
    L.push(`          ${set('w', `(v128.load offset=${v * 16} ${get('wp')})`)}`);
    for (let b = 0; b < BC; b++) L.push(`          ${set(`a${b}_${v}`, `(f32x4.add ${get(`a${b}_${v}`)} (f32x4.mul ${get(`s${b}`)} ${get('w')}))`)}`);
  }
  L.push(`          ${set('wp', add(get('wp'), i32(H * 4)))} ${set('pj', add(get('pj'), i32(4)))}`);
  L.push(`          ${set('j', add(get('j'), i32(1)))}`);
  L.push(`          (br_if $inputs (i32.lt_u ${get('j')} ${i32(IN)})))`);
  for (let b = 0; b < BC; b++) for (let v = 0; v < G; v++) {
    L.push(`        (v128.store offset=${b * H * 4 + 16 * v} ${get('hp')} (f32x4.pmax (v128.const f32x4 0 0 0 0) ${get(`a${b}_${v}`)}))`);
  }
  L.push(`        ${set('bp', add(get('bp'), i32(G * 16)))} ${set('hp', add(get('hp'), i32(G * 16)))}`);
  L.push(`        ${set('g', add(get('g'), i32(1)))}`);
  L.push(`        (br_if $passes (i32.lt_u ${get('g')} ${i32(passes)})))`);
  // layer 2: dx[b] = b1 + relu(h[b])·W1, in chunks of K2 hidden units
  for (let b = 0; b < BC; b++) for (let o = 0; o < NV; o++) L.push(`      ${set(`a${b}_${o}`, `(v128.load offset=${16 * o} ${get('b1')})`)}`);
  L.push(`      ${set('k', i32(0))} ${set('wp', get('w1'))} ${set('hp', get('hbuf'))}`);
  L.push('      (loop $layer2');
  for (let b = 0; b < BC; b++) L.push(`        ${set(`s${b}`, `(v128.load32_splat offset=${b * H * 4} ${get('hp')})`)}`);
  for (let o = 0; o < NV; o++) {
    L.push(`        ${set('w', `(v128.load offset=${o * 16} ${get('wp')})`)}`);
    for (let b = 0; b < BC; b++) L.push(`        ${set(`a${b}_${o}`, `(f32x4.add ${get(`a${b}_${o}`)} (f32x4.mul ${get(`s${b}`)} ${get('w')}))`)}`);
  }
  L.push(`        ${set('wp', add(get('wp'), i32(C * 4)))} ${set('hp', add(get('hp'), i32(4)))}`);
  L.push(`        ${set('k', add(get('k'), i32(1)))}`);
  L.push(`        (br_if $layer2 (i32.lt_u ${get('k')} ${i32(H)})))`);
  // x1 = x + dx·stepSize (a.3; the fire mask is why only listed cells get here), in float64 like the TypeScript step
  for (let b = 0; b < BC; b++) {
    for (let o = 0; o < NV; o++) {
      const xo = `(v128.load offset=${16 * o} (i32.add ${get('x')} ${get(`p${b}`)}))`;
      const half = (h: 'lo' | 'hi') => `(f64x2.add ${promote(h, xo)} (f64x2.mul ${promote(h, get(`a${b}_${o}`))} ${get('stepv')}))`;
      L.push(`      (v128.store offset=${16 * o} (i32.add ${get('x1')} ${get(`p${b}`)}) ${demote2(half('lo'), half('hi'))})`);
    }
  }
  // A1[cell] = the new alpha (channel 3), for ca_post's max-pool; the list holds byte offsets q = cell·4C
  for (let b = 0; b < BC; b++) {
    L.push(`      (f32.store (i32.add ${get('A1')} (i32.div_u ${get(`p${b}`)} ${i32(C)})) (f32.load offset=12 (i32.add ${get('x1')} ${get(`p${b}`)})))`);
  }
  L.push(`      ${set('i', add(get('i'), i32(BC)))}`);
  L.push('      (br $blocks)))');
  L.push('  )');
  return L.join('\n');
}

/** The per-step passes around the MLP for C channels (see the header), their 3×3 taps unrolled. */
export function maskFunctions(C: number): string {
  const NV = C / 4;
  const CB = 4 * C;
  const interior = (body: string[], extraLocals = '') => [
    `    (local $y i32) (local $i i32) (local $p i32) (local $q i32) (local $Wp i32) (local $r i32) ${extraLocals}`,
    '    (local.set $Wp (i32.add (local.get $W) (i32.const 2)))',
    '    (local.set $y (i32.const 1))',
    '    (loop $rows',
    '      (local.set $r (i32.mul (local.get $y) (local.get $Wp)))',
    '      (local.set $i (i32.const 1))',
    '      (loop $cols',
    '        (local.set $p (i32.add (local.get $r) (local.get $i)))',
    `        (local.set $q (i32.mul (local.get $p) (i32.const ${CB})))`,
    ...body.map((l) => `        ${l}`),
    '        (local.set $i (i32.add (local.get $i) (i32.const 1)))',
    '        (br_if $cols (i32.le_u (local.get $i) (local.get $W))))',
    '      (local.set $y (i32.add (local.get $y) (i32.const 1)))',
    '      (br_if $rows (i32.le_u (local.get $y) (local.get $H))))',
  ];
  const anyNonZero = (ptr: string) => {
    let e = `(f32x4.ne (v128.load ${ptr}) (v128.const f32x4 0 0 0 0))`;
    for (let v = 1; v < NV; v++) e = `(v128.or ${e} (f32x4.ne (v128.load offset=${16 * v} ${ptr}) (v128.const f32x4 0 0 0 0)))`;
    return `(v128.any_true ${e})`;
  };
  const copy = (dst: string, src: string) => Array.from({ length: NV }, (_, v) => `(v128.store offset=${16 * v} ${dst} (v128.load offset=${16 * v} ${src}))`);
  const L: string[] = [];
  // nz and alpha of a state (once per rollout, or per copy-in): later steps get them from ca_post
  L.push(`  (func (export "ca_scan_c${C}") (param $x i32) (param $nz i32) (param $A i32) (param $H i32) (param $W i32)`);
  L.push(...interior([
    '(local.set $q (i32.add (local.get $x) (local.get $q)))',
    `(i32.store8 (i32.add (local.get $nz) (local.get $p)) ${anyNonZero('(local.get $q)')})`,
    '(f32.store (i32.add (local.get $A) (i32.shl (local.get $p) (i32.const 2))) (f32.load offset=12 (local.get $q)))',
  ]));
  L.push('  )');
  // x1 = x for cells that do not fire or see only zeros (+ dz if firing and useDz), the others listed; A1 = x1's alpha
  L.push(`  (func (export "ca_select_c${C}") (param $x i32) (param $x1 i32) (param $fire i32) (param $nz i32) (param $list i32)`);
  L.push('    (param $A1 i32) (param $H i32) (param $W i32) (param $dz i32) (param $useDz i32) (result i32)');
  L.push(...interior([
    '(local.set $f (i32.load8_u (i32.add (local.get $fire) (local.get $p))))',
    '(local.set $any (i32.const 0))',
    '(if (local.get $f) (then',
    '  (local.set $z (i32.sub (i32.sub (i32.add (local.get $nz) (local.get $p)) (local.get $Wp)) (i32.const 1)))',
    '  (local.set $any (i32.or (i32.or (i32.load8_u (local.get $z)) (i32.load8_u offset=1 (local.get $z))) (i32.load8_u offset=2 (local.get $z))))',
    '  (local.set $z (i32.add (local.get $z) (local.get $Wp)))',
    '  (local.set $any (i32.or (local.get $any) (i32.or (i32.or (i32.load8_u (local.get $z)) (i32.load8_u offset=1 (local.get $z))) (i32.load8_u offset=2 (local.get $z)))))',
    '  (local.set $z (i32.add (local.get $z) (local.get $Wp)))',
    '  (local.set $any (i32.or (local.get $any) (i32.or (i32.or (i32.load8_u (local.get $z)) (i32.load8_u offset=1 (local.get $z))) (i32.load8_u offset=2 (local.get $z)))))))',
    '(local.set $s (i32.add (local.get $x) (local.get $q)))',
    '(local.set $d (i32.add (local.get $x1) (local.get $q)))',
    '(if (local.get $any) (then',
    '  (i32.store (i32.add (local.get $list) (i32.shl (local.get $m) (i32.const 2))) (local.get $q))',
    '  (local.set $m (i32.add (local.get $m) (i32.const 1))))',
    '(else',
    '  (if (i32.and (local.get $f) (local.get $useDz)) (then',
    // dz is float64 (the TypeScript step's constant dx·stepSize): x + dz in float64, rounded once
    ...Array.from({ length: NV }, (_, v) => {
      const xs = `(v128.load offset=${16 * v} (local.get $s))`;
      const half = (h: 'lo' | 'hi') => `(f64x2.add ${promote(h, xs)} (v128.load offset=${32 * v + (h === 'lo' ? 0 : 16)} (local.get $dz)))`;
      return `    (v128.store offset=${16 * v} (local.get $d) ${demote2(half('lo'), half('hi'))})`;
    }),
    '  ) (else',
    ...copy('(local.get $d)', '(local.get $s)').map((l) => `    ${l}`),
    '  ))',
    '  (f32.store (i32.add (local.get $A1) (i32.shl (local.get $p) (i32.const 2))) (f32.load offset=12 (local.get $d)))))',
  ], '(local $m i32) (local $any i32) (local $z i32) (local $f i32) (local $s i32) (local $d i32)'));
  L.push('    (local.get $m)');
  L.push('  )');
  // x = x1 where alive before (alive) and after (max of A1 over the 3×3 > thr), else 0 (a.4); the next step's nz, A
  // x = x1 where alive before and after (live: ca_alive over A1), else 0 (a.4); the next step's nz and A
  L.push(`  (func (export "ca_post_c${C}") (param $x i32) (param $x1 i32) (param $alive i32) (param $live i32) (param $nz i32) (param $A i32)`);
  L.push('    (param $H i32) (param $W i32)');
  L.push(...interior([
    '(local.set $s (i32.add (local.get $x1) (local.get $q)))',
    '(local.set $d (i32.add (local.get $x) (local.get $q)))',
    '(if (i32.and (i32.load8_u (i32.add (local.get $live) (local.get $p))) (i32.load8_u (i32.add (local.get $alive) (local.get $p)))) (then',
    ...copy('(local.get $d)', '(local.get $s)').map((l) => `  ${l}`),
    `  (i32.store8 (i32.add (local.get $nz) (local.get $p)) ${anyNonZero('(local.get $s)')})`,
    '  (f32.store (i32.add (local.get $A) (i32.shl (local.get $p) (i32.const 2))) (f32.load offset=12 (local.get $s))))',
    '(else',
    ...Array.from({ length: NV }, (_, v) => `  (v128.store offset=${16 * v} (local.get $d) (v128.const i32x4 0 0 0 0))`),
    '  (i32.store8 (i32.add (local.get $nz) (local.get $p)) (i32.const 0))',
    '  (f32.store (i32.add (local.get $A) (i32.shl (local.get $p) (i32.const 2))) (f32.const 0))))',
  ], '(local $s i32) (local $d i32)'));
  L.push('  )');
  return L.join('\n');
}

/**
 * alive[p] = max of A over p's 3×3 > thr for the interior of a padded grid (channel-free), four cells a vector:
 * pmax(m, a) is \`m < a ? a : m\`, the TypeScript step's \`if (a > m) m = a\` (a NaN is passed over). A row's last
 * vector may run past its end into the border and the next row's first cells: the border is never read and the
 * next row rewrites its own (the map has room: padded size + 4).
 */
export const ALIVE_FUNCTION = `  (func (export "ca_alive") (param $A i32) (param $alive i32) (param $H i32) (param $W i32) (param $thr f32)
    (local $y i32) (local $i i32) (local $p i32) (local $Wp i32) (local $rb i32) (local $t i32) (local $m v128) (local $th v128)
    (local.set $Wp (i32.add (local.get $W) (i32.const 2)))
    (local.set $rb (i32.shl (local.get $Wp) (i32.const 2)))
    (local.set $th (f32x4.splat (local.get $thr)))
    (local.set $y (i32.const 1))
    (loop $rows
      (local.set $i (i32.const 1))
      (loop $cols
        (local.set $p (i32.add (i32.mul (local.get $y) (local.get $Wp)) (local.get $i)))
        ;; t: the A entry up-left of p
        (local.set $t (i32.add (local.get $A) (i32.shl (i32.sub (i32.sub (local.get $p) (local.get $Wp)) (i32.const 1)) (i32.const 2))))
        (local.set $m (v128.const f32x4 -inf -inf -inf -inf))
${[0, 1, 2].map((dy) => [0, 1, 2].map((dx) => `        (local.set $m (f32x4.pmax (local.get $m) (v128.load offset=${4 * dx} ${dy === 0 ? '(local.get $t)' : `(i32.add (local.get $t) ${dy === 1 ? '(local.get $rb)' : '(i32.shl (local.get $rb) (i32.const 1))'})`})))`).join('\n')).join('\n')}
        (v128.store32_lane 0 (i32.add (local.get $alive) (local.get $p))
          (v128.and (i8x16.narrow_i16x8_s (i16x8.narrow_i32x4_s (f32x4.gt (local.get $m) (local.get $th)) (local.get $m)) (local.get $m))
            (v128.const i32x4 0x01010101 0 0 0)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $cols (i32.le_u (local.get $i) (local.get $W))))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br_if $rows (i32.le_u (local.get $y) (local.get $H))))
  )`;

/**
 * The fire mask from Philox4x32-10 (src/core/rng/philox.ts, bit for bit; 64-bit products give mulhi exactly):
 * \`blocks\` blocks from counter (c0, c1) of stream (s0, s1) under key (k0, k1) are the uniforms of cells
 * start … start + 4·blocks − 1 (row-major over the W-wide canvas); fire[padded cell] = u / 2^32 ≤ rate, i.e. u ≤ T
 * with T = rate·2^32 (exact in f64).
 */
export const PHILOX_FIRE_FUNCTION = `  (func (export "philox_fire") (param $fire i32) (param $W i32) (param $start i32) (param $blocks i32)
    (param $k0 i32) (param $k1 i32) (param $c0 i32) (param $c1 i32) (param $s0 i32) (param $s1 i32) (param $T f64)
    (local $b i32) (local $r i32) (local $x0 i32) (local $x1 i32) (local $x2 i32) (local $x3 i32) (local $a i32) (local $e i32)
    (local $p0 i64) (local $p1 i64) (local $pos i32) (local $col i32)
    ;; pos: the padded index of cell \`start\`; col its column
    (local.set $col (i32.rem_u (local.get $start) (local.get $W)))
    (local.set $pos (i32.add (i32.add (i32.mul (i32.add (i32.div_u (local.get $start) (local.get $W)) (i32.const 1)) (i32.add (local.get $W) (i32.const 2))) (local.get $col)) (i32.const 1)))
    (block $done (loop $blk
      (br_if $done (i32.ge_u (local.get $b) (local.get $blocks)))
      (local.set $x0 (local.get $c0)) (local.set $x1 (local.get $c1)) (local.set $x2 (local.get $s0)) (local.set $x3 (local.get $s1))
      (local.set $a (local.get $k0)) (local.set $e (local.get $k1))
      (local.set $r (i32.const 0))
      (loop $round
        (local.set $p0 (i64.mul (i64.extend_i32_u (local.get $x0)) (i64.const 0xd2511f53)))
        (local.set $p1 (i64.mul (i64.extend_i32_u (local.get $x2)) (i64.const 0xcd9e8d57)))
        (local.set $x0 (i32.xor (i32.xor (i32.wrap_i64 (i64.shr_u (local.get $p1) (i64.const 32))) (local.get $x1)) (local.get $a)))
        (local.set $x1 (i32.wrap_i64 (local.get $p1)))
        (local.set $x2 (i32.xor (i32.xor (i32.wrap_i64 (i64.shr_u (local.get $p0) (i64.const 32))) (local.get $x3)) (local.get $e)))
        (local.set $x3 (i32.wrap_i64 (local.get $p0)))
        (local.set $a (i32.add (local.get $a) (i32.const 0x9e3779b9)))
        (local.set $e (i32.add (local.get $e) (i32.const 0xbb67ae85)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br_if $round (i32.lt_u (local.get $r) (i32.const 10))))
${[0, 1, 2, 3].map((j) => `      (i32.store8 (i32.add (local.get $fire) (local.get $pos)) (f64.le (f64.convert_i32_u (local.get $x${j})) (local.get $T)))
      (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
      (local.set $col (i32.add (local.get $col) (i32.const 1)))
      (if (i32.eq (local.get $col) (local.get $W)) (then (local.set $col (i32.const 0)) (local.set $pos (i32.add (local.get $pos) (i32.const 2)))))`).join('\n')}
      ;; the 64-bit block counter (c0 low word, c1 high)
      (local.set $c0 (i32.add (local.get $c0) (i32.const 1)))
      (if (i32.eqz (local.get $c0)) (then (local.set $c1 (i32.add (local.get $c1) (i32.const 1)))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $blk)))
  )`;

/**
 * The SIMD peak this machine's wasm engine reaches (the bench's yardstick): \`chains\` independent f32x4
 * accumulators, each a = a·m + c per iteration (one mul and one add, the work of one FMA, since wasm has no fused
 * FMA without relaxed-simd), n iterations. The chain through a keeps the engine from hoisting the multiply out of
 * the loop (a loop-invariant a += m·c compiles to adds only, which would overstate the peak). Returns a lane so
 * the work is not dead.
 */
export function peakKernel(chains: number): string {
  const L: string[] = [];
  const acc = Array.from({ length: chains }, (_, i) => `(local $a${i} v128)`).join(' ');
  L.push(`  (func (export "peak_${chains}") (param $n i32) (result f32) (local $i i32) (local $m v128) (local $c v128) ${acc}`);
  L.push('    (local.set $m (v128.const f32x4 0.999 0.999 0.999 0.999)) (local.set $c (v128.const f32x4 0.001 0.001 0.001 0.001))');
  for (let i = 0; i < chains; i++) L.push(`    (local.set $a${i} (f32x4.splat (f32.const ${(i + 1) / chains})))`);
  L.push('    (loop $l');
  for (let i = 0; i < chains; i++) L.push(`      (local.set $a${i} (f32x4.add (f32x4.mul (local.get $a${i}) (local.get $m)) (local.get $c)))`);
  L.push('      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))');
  let s = '(local.get $a0)';
  for (let i = 1; i < chains; i++) s = `(f32x4.add ${s} (local.get $a${i}))`;
  L.push(`    (f32x4.extract_lane 0 ${s})`);
  L.push('  )');
  return L.join('\n');
}

/** Accumulator counts the peak is measured with (the bench reports the best: latency hides behind ≥ 10 chains). */
export const PEAK_CHAINS = [8, 10, 12];
