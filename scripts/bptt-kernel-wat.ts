/**
 * Generates the WebAssembly text of the BPTT kernel (src/core/adam/bptt-kernel.wat) that
 * src/core/adam/fused-bptt.ts runs the per-cell MLP's forward and backward with, one pair of functions per
 * model shape (hidden H, channels C, perception inputs I = 3C), all with 128-bit SIMD:
 *
 *  - `fwd_h{H}_c{C}(n, y, hs, dx, w0, b0, w1, b1)`: for rows i < n, hs[i] = relu(y[i]·W0 + b0) and
 *    dx[i] = hs[i]·W1 + b1. The hidden layer runs on pairs of rows, 16 units at a time (8 accumulators in
 *    registers, each weight vector loaded once for both rows); an odd last row alone in blocks of 32 units,
 *    skipping zero inputs (the same sums). Zero activations are skipped in layer 2.
 *  - `bwd_h{H}_c{C}(n, idx, y, hs, gdx, gy, gz, w0t, w1t, dw0, db0, dw1, db1)`: for rows i < n of the batch,
 *    with r = idx[i] the recorded row (y[r], hs[r]) of that cell: db1 += gdx[i]; dW1 += hs[r]ᵀ·gdx[i];
 *    gz[i] = (gdx[i]·W1ᵀ)·[hs[r] > 0]; db0 += gz[i]; gy[i] = gz[i]·W0ᵀ (12 accumulators at I = 48); then
 *    dW0 += Σ_i y[r]ᵀ·gz[i], one tile of dW0 (2 rows × 4 vectors) in registers at a time over all rows, so
 *    dW0 is loaded and stored once per call rather than once per row.
 * Matrices are row-major float32 at byte addresses: W0 [I][H], W1 [H][C], W0ᵀ [H][I], W1ᵀ [C][H].
 * The memory is imported (the engine sizes it once and never grows it: a detached buffer slows typed-array
 * code, environment.md).
 */

/** (hidden, channels) shapes that get a kernel: the thesis (32, 16) and Mordvintsev (128, 16). */
export const BPTT_KERNEL_SHAPES: [number, number][] = [[32, 16], [128, 16]];

function blocks(vectors: number): { start: number; count: number }[] {
  const out: { start: number; count: number }[] = [];
  for (let s = 0; s < vectors; s += 8) out.push({ start: s, count: Math.min(8, vectors - s) });
  return out;
}

function forward(H: number, C: number): string {
  const I = 3 * C;
  const NH = H / 4;
  const NC = C / 4;
  const L: string[] = [];
  L.push(`  (func (export "fwd_h${H}_c${C}")`);
  L.push('    (param $n i32) (param $y i32) (param $hs i32) (param $dx i32) (param $w0 i32) (param $b0 i32) (param $w1 i32) (param $b1 i32)');
  L.push('    (local $i i32) (local $j i32) (local $k i32) (local $yr i32) (local $hr i32) (local $dr i32) (local $w i32) (local $x f32) (local $v v128)');
  L.push(`    ${Array.from({ length: 8 }, (_, q) => `(local $a${q} v128)`).join(' ')}`);
  L.push(`    ${Array.from({ length: NC }, (_, q) => `(local $d${q} v128)`).join(' ')}`);
  L.push(`    (local $p i32) (local $u v128) (local $t v128) ${Array.from({ length: 4 }, (_, q) => `(local $c${q} v128)`).join(' ')}`);
  // hidden layer of rows in pairs: 4 vectors (16 units) × 2 rows of accumulators, each weight vector loaded
  // once for both rows; every input is used (a zero input adds ±0, which leaves the sum as the skipping loop has it)
  L.push('    (local.set $p (i32.and (local.get $n) (i32.const -2)))');
  L.push('    (block $pairsDone (loop $pairs');
  L.push('      (br_if $pairsDone (i32.ge_u (local.get $i) (local.get $p)))');
  L.push(`      (local.set $yr (i32.add (local.get $y) (i32.mul (local.get $i) (i32.const ${I * 4}))))`);
  L.push(`      (local.set $hr (i32.add (local.get $hs) (i32.mul (local.get $i) (i32.const ${H * 4}))))`);
  for (let b = 0; b < NH; b += 4) {
    const cnt = Math.min(4, NH - b);
    for (let q = 0; q < cnt; q++) {
      L.push(`      (local.set $a${q} (v128.load offset=${(b + q) * 16} (local.get $b0)))`);
      L.push(`      (local.set $c${q} (local.get $a${q}))`);
    }
    L.push('      (local.set $j (i32.const 0))');
    L.push(`      (local.set $w (i32.add (local.get $w0) (i32.const ${b * 16})))`);
    L.push(`      (block $pd${b} (loop $pl${b}`);
    L.push(`        (br_if $pd${b} (i32.ge_u (local.get $j) (i32.const ${I * 4})))`);
    L.push('        (local.set $v (v128.load32_splat (i32.add (local.get $yr) (local.get $j))))');
    L.push(`        (local.set $u (v128.load32_splat offset=${I * 4} (i32.add (local.get $yr) (local.get $j))))`);
    for (let q = 0; q < cnt; q++) {
      L.push(`        (local.set $t (v128.load offset=${q * 16} (local.get $w)))`);
      L.push(`        (local.set $a${q} (f32x4.add (local.get $a${q}) (f32x4.mul (local.get $v) (local.get $t))))`);
      L.push(`        (local.set $c${q} (f32x4.add (local.get $c${q}) (f32x4.mul (local.get $u) (local.get $t))))`);
    }
    L.push(`        (local.set $w (i32.add (local.get $w) (i32.const ${H * 4})))`);
    L.push('        (local.set $j (i32.add (local.get $j) (i32.const 4)))');
    L.push(`        (br $pl${b})))`);
    for (let q = 0; q < cnt; q++) {
      L.push(`      (v128.store offset=${(b + q) * 16} (local.get $hr) (f32x4.max (local.get $a${q}) (v128.const i32x4 0 0 0 0)))`);
      L.push(`      (v128.store offset=${H * 4 + (b + q) * 16} (local.get $hr) (f32x4.max (local.get $c${q}) (v128.const i32x4 0 0 0 0)))`);
    }
  }
  L.push('      (local.set $i (i32.add (local.get $i) (i32.const 2)))');
  L.push('      (br $pairs)))');
  L.push('    (local.set $i (i32.const 0))');
  L.push('    (block $done (loop $rows');
  L.push('      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))');
  L.push(`      (local.set $yr (i32.add (local.get $y) (i32.mul (local.get $i) (i32.const ${I * 4}))))`);
  L.push(`      (local.set $hr (i32.add (local.get $hs) (i32.mul (local.get $i) (i32.const ${H * 4}))))`);
  L.push(`      (local.set $dr (i32.add (local.get $dx) (i32.mul (local.get $i) (i32.const ${C * 4}))))`);
  // the last row of an odd count: its hidden layer alone
  L.push('      (if (i32.ge_u (local.get $i) (local.get $p)) (then');
  for (const b of blocks(NH)) {
    for (let q = 0; q < b.count; q++) L.push(`      (local.set $a${q} (v128.load offset=${(b.start + q) * 16} (local.get $b0)))`);
    L.push('      (local.set $j (i32.const 0))');
    L.push(`      (local.set $w (i32.add (local.get $w0) (i32.const ${b.start * 16})))`);
    L.push(`      (block $jd${b.start} (loop $jl${b.start}`);
    L.push(`        (br_if $jd${b.start} (i32.ge_u (local.get $j) (i32.const ${I})))`);
    L.push('        (local.set $x (f32.load (i32.add (local.get $yr) (i32.shl (local.get $j) (i32.const 2)))))');
    L.push('        (if (f32.ne (local.get $x) (f32.const 0)) (then');
    L.push('          (local.set $v (f32x4.splat (local.get $x)))');
    for (let q = 0; q < b.count; q++) {
      L.push(`          (local.set $a${q} (f32x4.add (local.get $a${q}) (f32x4.mul (local.get $v) (v128.load offset=${q * 16} (local.get $w)))))`);
    }
    L.push('        ))');
    L.push(`        (local.set $w (i32.add (local.get $w) (i32.const ${H * 4})))`);
    L.push('        (local.set $j (i32.add (local.get $j) (i32.const 1)))');
    L.push(`        (br $jl${b.start})))`);
    for (let q = 0; q < b.count; q++) {
      L.push(`      (v128.store offset=${(b.start + q) * 16} (local.get $hr) (f32x4.max (local.get $a${q}) (v128.const i32x4 0 0 0 0)))`);
    }
  }
  L.push('      ))');
  for (let c = 0; c < NC; c++) L.push(`      (local.set $d${c} (v128.load offset=${c * 16} (local.get $b1)))`);
  L.push('      (local.set $k (i32.const 0))');
  L.push('      (local.set $w (local.get $w1))');
  L.push('      (block $kd (loop $kl');
  L.push(`        (br_if $kd (i32.ge_u (local.get $k) (i32.const ${H})))`);
  L.push('        (local.set $x (f32.load (i32.add (local.get $hr) (i32.shl (local.get $k) (i32.const 2)))))');
  L.push('        (if (f32.gt (local.get $x) (f32.const 0)) (then');
  L.push('          (local.set $v (f32x4.splat (local.get $x)))');
  for (let c = 0; c < NC; c++) {
    L.push(`          (local.set $d${c} (f32x4.add (local.get $d${c}) (f32x4.mul (local.get $v) (v128.load offset=${c * 16} (local.get $w)))))`);
  }
  L.push('        ))');
  L.push(`        (local.set $w (i32.add (local.get $w) (i32.const ${C * 4})))`);
  L.push('        (local.set $k (i32.add (local.get $k) (i32.const 1)))');
  L.push('        (br $kl)))');
  for (let c = 0; c < NC; c++) L.push(`      (v128.store offset=${c * 16} (local.get $dr) (local.get $d${c}))`);
  L.push('      (local.set $i (i32.add (local.get $i) (i32.const 1)))');
  L.push('      (br $rows)))');
  L.push('  )');
  return L.join('\n');
}

function backward(H: number, C: number): string {
  const I = 3 * C;
  const NH = H / 4;
  const NC = C / 4;
  const NI = I / 4;
  const L: string[] = [];
  const acc = Math.max(8, NI);
  L.push(`  (func (export "bwd_h${H}_c${C}")`);
  L.push('    (param $n i32) (param $idx i32) (param $y i32) (param $hs i32) (param $gdx i32) (param $gy i32) (param $gz i32)');
  L.push('    (param $w0t i32) (param $w1t i32) (param $dw0 i32) (param $db0 i32) (param $dw1 i32) (param $db1 i32)');
  L.push('    (local $i i32) (local $j i32) (local $k i32) (local $r i32) (local $hr i32) (local $gd i32) (local $gzr i32) (local $gyr i32)');
  L.push('    (local $w i32) (local $p i32) (local $x f32) (local $v v128) (local $t v128) (local $u v128)');
  L.push(`    ${Array.from({ length: 4 }, (_, q) => `(local $c${q} v128)`).join(' ')}`);
  L.push(`    ${Array.from({ length: acc }, (_, q) => `(local $a${q} v128)`).join(' ')}`);
  // ---- phase 1: per row
  L.push('    (block $done (loop $rows');
  L.push('      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))');
  L.push('      (local.set $r (i32.load (i32.add (local.get $idx) (i32.shl (local.get $i) (i32.const 2)))))');
  L.push(`      (local.set $hr (i32.add (local.get $hs) (i32.mul (local.get $r) (i32.const ${H * 4}))))`);
  L.push(`      (local.set $gd (i32.add (local.get $gdx) (i32.mul (local.get $i) (i32.const ${C * 4}))))`);
  L.push(`      (local.set $gzr (i32.add (local.get $gz) (i32.mul (local.get $i) (i32.const ${H * 4}))))`);
  L.push(`      (local.set $gyr (i32.add (local.get $gy) (i32.mul (local.get $i) (i32.const ${I * 4}))))`);
  // db1 += gdx
  for (let c = 0; c < NC; c++) {
    L.push(`      (v128.store offset=${c * 16} (local.get $db1) (f32x4.add (v128.load offset=${c * 16} (local.get $db1)) (v128.load offset=${c * 16} (local.get $gd))))`);
  }
  // gz = (gdx · W1ᵀ) masked by hs > 0, in blocks of 8 vectors; db0 += gz
  for (const b of blocks(NH)) {
    for (let q = 0; q < b.count; q++) L.push(`      (local.set $a${q} (v128.const i32x4 0 0 0 0))`);
    L.push('      (local.set $k (i32.const 0))');
    L.push(`      (local.set $w (i32.add (local.get $w1t) (i32.const ${b.start * 16})))`);
    L.push(`      (block $cd${b.start} (loop $cl${b.start}`);
    L.push(`        (br_if $cd${b.start} (i32.ge_u (local.get $k) (i32.const ${C})))`);
    L.push('        (local.set $x (f32.load (i32.add (local.get $gd) (i32.shl (local.get $k) (i32.const 2)))))');
    L.push('        (if (f32.ne (local.get $x) (f32.const 0)) (then');
    L.push('          (local.set $v (f32x4.splat (local.get $x)))');
    for (let q = 0; q < b.count; q++) {
      L.push(`          (local.set $a${q} (f32x4.add (local.get $a${q}) (f32x4.mul (local.get $v) (v128.load offset=${q * 16} (local.get $w)))))`);
    }
    L.push('        ))');
    L.push(`        (local.set $w (i32.add (local.get $w) (i32.const ${H * 4})))`);
    L.push('        (local.set $k (i32.add (local.get $k) (i32.const 1)))');
    L.push(`        (br $cl${b.start})))`);
    for (let q = 0; q < b.count; q++) {
      const off = (b.start + q) * 16;
      L.push(`      (local.set $t (v128.and (local.get $a${q}) (f32x4.gt (v128.load offset=${off} (local.get $hr)) (v128.const i32x4 0 0 0 0))))`);
      L.push(`      (v128.store offset=${off} (local.get $gzr) (local.get $t))`);
      L.push(`      (v128.store offset=${off} (local.get $db0) (f32x4.add (v128.load offset=${off} (local.get $db0)) (local.get $t)))`);
    }
  }
  // dW1[k, :] += hs[k] · gdx for hs[k] > 0 (gdx in a0…)
  for (let c = 0; c < NC; c++) L.push(`      (local.set $a${c} (v128.load offset=${c * 16} (local.get $gd)))`);
  L.push('      (local.set $k (i32.const 0))');
  L.push('      (local.set $p (local.get $dw1))');
  L.push('      (block $kd (loop $kl');
  L.push(`        (br_if $kd (i32.ge_u (local.get $k) (i32.const ${H})))`);
  L.push('        (local.set $x (f32.load (i32.add (local.get $hr) (i32.shl (local.get $k) (i32.const 2)))))');
  L.push('        (if (f32.gt (local.get $x) (f32.const 0)) (then');
  L.push('          (local.set $v (f32x4.splat (local.get $x)))');
  for (let c = 0; c < NC; c++) {
    L.push(`          (v128.store offset=${c * 16} (local.get $p) (f32x4.add (v128.load offset=${c * 16} (local.get $p)) (f32x4.mul (local.get $v) (local.get $a${c}))))`);
  }
  L.push('        ))');
  L.push(`        (local.set $p (i32.add (local.get $p) (i32.const ${C * 4})))`);
  L.push('        (local.set $k (i32.add (local.get $k) (i32.const 1)))');
  L.push('        (br $kl)))');
  // gy = gz · W0ᵀ (I/4 accumulators), zero gz skipped
  for (let q = 0; q < NI; q++) L.push(`      (local.set $a${q} (v128.const i32x4 0 0 0 0))`);
  L.push('      (local.set $k (i32.const 0))');
  L.push('      (local.set $w (local.get $w0t))');
  L.push('      (block $gd (loop $gl');
  L.push(`        (br_if $gd (i32.ge_u (local.get $k) (i32.const ${H})))`);
  L.push('        (local.set $x (f32.load (i32.add (local.get $gzr) (i32.shl (local.get $k) (i32.const 2)))))');
  L.push('        (if (f32.ne (local.get $x) (f32.const 0)) (then');
  L.push('          (local.set $v (f32x4.splat (local.get $x)))');
  for (let q = 0; q < NI; q++) {
    L.push(`          (local.set $a${q} (f32x4.add (local.get $a${q}) (f32x4.mul (local.get $v) (v128.load offset=${q * 16} (local.get $w)))))`);
  }
  L.push('        ))');
  L.push(`        (local.set $w (i32.add (local.get $w) (i32.const ${I * 4})))`);
  L.push('        (local.set $k (i32.add (local.get $k) (i32.const 1)))');
  L.push('        (br $gl)))');
  for (let q = 0; q < NI; q++) L.push(`      (v128.store offset=${q * 16} (local.get $gyr) (local.get $a${q}))`);
  L.push('      (local.set $i (i32.add (local.get $i) (i32.const 1)))');
  L.push('      (br $rows)))');
  // ---- phase 2: dW0 += Σ_i y[idx[i]]ᵀ · gz[i]: a tile of two rows (j, j + 1) × 4 vectors in registers over all
  // rows i, each gz vector loaded once for both; every input is used (a zero adds ±0: the same sums)
  L.push('    (local.set $j (i32.const 0))');
  L.push('    (block $jd (loop $jl');
  L.push(`      (br_if $jd (i32.ge_u (local.get $j) (i32.const ${I})))`);
  L.push(`      (local.set $p (i32.add (local.get $dw0) (i32.mul (local.get $j) (i32.const ${H * 4}))))`);
  for (let b = 0; b < NH; b += 4) {
    const cnt = Math.min(4, NH - b);
    for (let q = 0; q < cnt; q++) {
      L.push(`      (local.set $a${q} (v128.load offset=${(b + q) * 16} (local.get $p)))`);
      L.push(`      (local.set $c${q} (v128.load offset=${H * 4 + (b + q) * 16} (local.get $p)))`);
    }
    L.push('      (local.set $i (i32.const 0))');
    L.push(`      (local.set $w (i32.add (local.get $gz) (i32.const ${b * 16})))`);
    L.push(`      (block $td${b} (loop $tl${b}`);
    L.push(`        (br_if $td${b} (i32.ge_u (local.get $i) (local.get $n)))`);
    L.push('        (local.set $r (i32.load (i32.add (local.get $idx) (i32.shl (local.get $i) (i32.const 2)))))');
    L.push(`        (local.set $k (i32.add (i32.add (local.get $y) (i32.mul (local.get $r) (i32.const ${I * 4}))) (i32.shl (local.get $j) (i32.const 2))))`);
    L.push('        (local.set $v (v128.load32_splat (local.get $k)))');
    L.push('        (local.set $u (v128.load32_splat offset=4 (local.get $k)))');
    for (let q = 0; q < cnt; q++) {
      L.push(`        (local.set $t (v128.load offset=${q * 16} (local.get $w)))`);
      L.push(`        (local.set $a${q} (f32x4.add (local.get $a${q}) (f32x4.mul (local.get $v) (local.get $t))))`);
      L.push(`        (local.set $c${q} (f32x4.add (local.get $c${q}) (f32x4.mul (local.get $u) (local.get $t))))`);
    }
    L.push(`        (local.set $w (i32.add (local.get $w) (i32.const ${H * 4})))`);
    L.push('        (local.set $i (i32.add (local.get $i) (i32.const 1)))');
    L.push(`        (br $tl${b})))`);
    for (let q = 0; q < cnt; q++) {
      L.push(`      (v128.store offset=${(b + q) * 16} (local.get $p) (local.get $a${q}))`);
      L.push(`      (v128.store offset=${H * 4 + (b + q) * 16} (local.get $p) (local.get $c${q}))`);
    }
  }
  L.push('      (local.set $j (i32.add (local.get $j) (i32.const 2)))');
  L.push('      (br $jl)))');
  L.push('  )');
  return L.join('\n');
}

export function bpttKernelWat(): string {
  return [
    ';; Generated by scripts/bptt-kernel-wat.ts (see its header). Do not edit: edit the generator and run',
    ';; `npx tsx scripts/build-bptt-kernel.ts`.',
    '(module',
    '  (import "env" "memory" (memory 1))',
    ...BPTT_KERNEL_SHAPES.flatMap(([h, c]) => [forward(h, c), backward(h, c)]),
    ')',
    '',
  ].join('\n');
}
