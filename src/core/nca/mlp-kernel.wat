;; The per-cell MLP of the NCA (spec a.3) for a list of cells, in 128-bit SIMD:
;;   out[cell] = relu(in[cell] · W0 + b0) · W1 + b1
;; in: [n][inputs] f32, W0: [inputs][hidden], b0: [hidden], W1: [hidden][channels], b1: [channels].
;; hidden and channels must be multiples of 4. Zero inputs and zero activations are skipped (most
;; perception inputs are zero near the pattern's edge; ReLU zeroes about half of the hidden layer).
;; Built into mlp-kernel.wasm.ts by scripts/build-kernel.ts; a unit test checks the two agree.
(module
  (memory (export "memory") 64)
  (func (export "mlp")
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
  )
)
