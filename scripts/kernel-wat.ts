/**
 * Generates the WebAssembly text of the NCA's per-cell MLP kernel (src/core/nca/mlp-kernel.wat):
 *  - `mlp`: generic over hidden and channels (multiples of 4), accumulators in memory;
 *  - `mlp_h{H}_c{C}`: unrolled for the lab's shapes (thesis 32/16, a wider ES model 64/16, M 128/16) with the hidden and output
 *    accumulators in v128 locals and constant load offsets, ≈2× faster than the generic loop.
 * All compute out[cell] = relu(in[cell]·W0 + b0)·W1 + b1 for n cells, skipping zero inputs and zero activations.
 * The module also holds the whole-step kernel and the SIMD peak loops of scripts/kernel-wat-step.ts.
 * in: [n][inputs] f32, W0: [inputs][hidden], b0: [hidden], W1: [hidden][channels], b1: [channels].
 */

import { ALIVE_FUNCTION, cellsKernel, maskFunctions, peakKernel, PEAK_CHAINS, PHILOX_FIRE_FUNCTION, STEP_SHAPES } from './kernel-wat-step';

export const SPECIALISED_SHAPES: [number, number][] = [[32, 16], [64, 16], [128, 16]];

function specialised(H: number, C: number): string {
  const NH = H / 4;
  const NC = C / 4;
  const L: string[] = [];
  const hs = Array.from({ length: NH }, (_, i) => `(local $h${i} v128)`).join(' ');
  const ds = Array.from({ length: NC }, (_, i) => `(local $d${i} v128)`).join(' ');
  L.push(`  (func (export "mlp_h${H}_c${C}")`);
  L.push('    (param $in i32) (param $n i32) (param $out i32) (param $w0 i32) (param $b0 i32) (param $w1 i32) (param $b1 i32) (param $inputs i32)');
  L.push('    (local $cell i32) (local $j i32) (local $x f32) (local $a f32) (local $v v128) (local $w i32) (local $inRow i32) (local $outRow i32)');
  L.push(`    ${hs}`);
  L.push(`    ${ds}`);
  L.push('    (block $cellsDone (loop $cells');
  L.push('      (br_if $cellsDone (i32.ge_u (local.get $cell) (local.get $n)))');
  L.push('      (local.set $inRow (i32.add (local.get $in) (i32.shl (i32.mul (local.get $cell) (local.get $inputs)) (i32.const 2))))');
  L.push(`      (local.set $outRow (i32.add (local.get $out) (i32.mul (local.get $cell) (i32.const ${C * 4}))))`);
  for (let i = 0; i < NH; i++) L.push(`      (local.set $h${i} (v128.load offset=${16 * i} (local.get $b0)))`);
  L.push('      (local.set $j (i32.const 0))');
  L.push('      (local.set $w (local.get $w0))');
  L.push('      (block $inDone (loop $inputsLoop');
  L.push('        (br_if $inDone (i32.ge_u (local.get $j) (local.get $inputs)))');
  L.push('        (local.set $x (f32.load (i32.add (local.get $inRow) (i32.shl (local.get $j) (i32.const 2)))))');
  L.push('        (if (f32.ne (local.get $x) (f32.const 0)) (then');
  L.push('          (local.set $v (f32x4.splat (local.get $x)))');
  for (let i = 0; i < NH; i++) {
    L.push(`          (local.set $h${i} (f32x4.add (local.get $h${i}) (f32x4.mul (local.get $v) (v128.load offset=${16 * i} (local.get $w)))))`);
  }
  L.push('        ))');
  L.push(`        (local.set $w (i32.add (local.get $w) (i32.const ${H * 4})))`);
  L.push('        (local.set $j (i32.add (local.get $j) (i32.const 1)))');
  L.push('        (br $inputsLoop)))');
  for (let c = 0; c < NC; c++) L.push(`      (local.set $d${c} (v128.load offset=${16 * c} (local.get $b1)))`);
  for (let k = 0; k < H; k++) {
    L.push(`      (local.set $a (f32x4.extract_lane ${k % 4} (local.get $h${k >> 2})))`);
    L.push('      (if (f32.gt (local.get $a) (f32.const 0)) (then');
    L.push('        (local.set $v (f32x4.splat (local.get $a)))');
    for (let c = 0; c < NC; c++) {
      L.push(`        (local.set $d${c} (f32x4.add (local.get $d${c}) (f32x4.mul (local.get $v) (v128.load offset=${k * C * 4 + 16 * c} (local.get $w1)))))`);
    }
    L.push('      ))');
  }
  for (let c = 0; c < NC; c++) L.push(`      (v128.store offset=${16 * c} (local.get $outRow) (local.get $d${c}))`);
  L.push('      (local.set $cell (i32.add (local.get $cell) (i32.const 1)))');
  L.push('      (br $cells)))');
  L.push('  )');
  return L.join('\n');
}

const GENERIC = `  (func (export "mlp")
    (param $in i32) (param $n i32) (param $out i32)
    (param $w0 i32) (param $b0 i32) (param $w1 i32) (param $b1 i32)
    (param $inputs i32) (param $hidden i32) (param $channels i32) (param $h i32)
    (local $cell i32) (local $j i32) (local $k i32) (local $v v128) (local $x f32)
    (local $inRow i32) (local $outRow i32) (local $wRow i32) (local $p i32) (local $hBytes i32) (local $cBytes i32)
    (local.set $hBytes (i32.shl (local.get $hidden) (i32.const 2)))
    (local.set $cBytes (i32.shl (local.get $channels) (i32.const 2)))
    (block $cellsDone (loop $cells
      (br_if $cellsDone (i32.ge_u (local.get $cell) (local.get $n)))
      (local.set $inRow (i32.add (local.get $in) (i32.shl (i32.mul (local.get $cell) (local.get $inputs)) (i32.const 2))))
      (local.set $outRow (i32.add (local.get $out) (i32.mul (local.get $cell) (local.get $cBytes))))
      ;; h = b0
      (local.set $k (i32.const 0))
      (block $d0 (loop $l0
        (br_if $d0 (i32.ge_u (local.get $k) (local.get $hBytes)))
        (v128.store (i32.add (local.get $h) (local.get $k)) (v128.load (i32.add (local.get $b0) (local.get $k))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $l0)))
      ;; h += in[j] · W0[j, :]
      (local.set $j (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $j) (local.get $inputs)))
        (local.set $x (f32.load (i32.add (local.get $inRow) (i32.shl (local.get $j) (i32.const 2)))))
        (if (f32.ne (local.get $x) (f32.const 0)) (then
          (local.set $v (f32x4.splat (local.get $x)))
          (local.set $wRow (i32.add (local.get $w0) (i32.mul (local.get $j) (local.get $hBytes))))
          (local.set $k (i32.const 0))
          (block $d2 (loop $l2
            (br_if $d2 (i32.ge_u (local.get $k) (local.get $hBytes)))
            (local.set $p (i32.add (local.get $h) (local.get $k)))
            (v128.store (local.get $p)
              (f32x4.add (v128.load (local.get $p))
                (f32x4.mul (local.get $v) (v128.load (i32.add (local.get $wRow) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $l2)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l1)))
      ;; out = b1
      (local.set $k (i32.const 0))
      (block $d3 (loop $l3
        (br_if $d3 (i32.ge_u (local.get $k) (local.get $cBytes)))
        (v128.store (i32.add (local.get $outRow) (local.get $k)) (v128.load (i32.add (local.get $b1) (local.get $k))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $l3)))
      ;; out += relu(h[k]) · W1[k, :]
      (local.set $j (i32.const 0))
      (block $d4 (loop $l4
        (br_if $d4 (i32.ge_u (local.get $j) (local.get $hidden)))
        (local.set $x (f32.load (i32.add (local.get $h) (i32.shl (local.get $j) (i32.const 2)))))
        (if (f32.gt (local.get $x) (f32.const 0)) (then
          (local.set $v (f32x4.splat (local.get $x)))
          (local.set $wRow (i32.add (local.get $w1) (i32.mul (local.get $j) (local.get $cBytes))))
          (local.set $k (i32.const 0))
          (block $d5 (loop $l5
            (br_if $d5 (i32.ge_u (local.get $k) (local.get $cBytes)))
            (local.set $p (i32.add (local.get $outRow) (local.get $k)))
            (v128.store (local.get $p)
              (f32x4.add (v128.load (local.get $p))
                (f32x4.mul (local.get $v) (v128.load (i32.add (local.get $wRow) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $l5)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l4)))
      (local.set $cell (i32.add (local.get $cell) (i32.const 1)))
      (br $cells)))
  )`;

export function kernelWat(): string {
  return [
    ';; Generated by scripts/kernel-wat.ts (see its header). Do not edit: edit the generator and run',
    ';; `npx tsx scripts/build-kernel.ts`.',
    '(module',
    // 16 MB, never grown (mlp-kernel.ts): the views stay attached; untouched pages cost no memory
    '  (memory (export "memory") 256)',
    GENERIC,
    ...SPECIALISED_SHAPES.map(([h, c]) => specialised(h, c)),
    ALIVE_FUNCTION,
    PHILOX_FIRE_FUNCTION,
    ...[...new Set(STEP_SHAPES.map((x) => x.channels))].map(maskFunctions),
    ...STEP_SHAPES.map(cellsKernel),
    ...PEAK_CHAINS.map(peakKernel),
    ')',
    '',
  ].join('\n');
}
