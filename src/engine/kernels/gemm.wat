;; The float64 matrix-product kernel in WebAssembly SIMD (f64x2), the engine's fast path for
;; C += A·B. Assembled by scripts/build-wasm.mjs (wabt) into gemm-wasm.generated.ts, which the
;; engine instantiates synchronously; the plain-JS kernel in gemm.ts computes the same products
;; in the same order when WebAssembly is unavailable.
;;
;; Boundaries:
;; - gemm_block reads operands packed (by pack_a / pack_b here, or gemm.ts's JS twins) as in
;;   BLIS/GotoBLAS: A as panels of 4 rows, each panel kc steps of 4 values (A[i..i+3][p] for
;;   p = 0..kc-1, rows past the edge zero); B as panels of 4 columns, each kc steps of 4 values
;;   (B[p][j..j+3]). Transposed operands are absorbed by that packing (it reads any strides), so
;;   the multiply only ever reads two contiguous streams.
;; - C is row-major with a leading dimension of `ldc` elements; the kernel adds into it.
;; - Every address is a byte offset into this module's memory, which the caller grows.
;; - Products are accumulated in k order with a separate multiply and add per term (no fused
;;   multiply-add), so each entry of C is the same float64 sum the JS kernel computes.
;;
;; Why a 4×4 tile: x64 has 16 XMM registers. A 4×4 block of C is 8 f64x2 accumulators, plus two
;; vectors of B, four broadcast values of A and one product temporary — 15, which V8 keeps in
;; registers without spilling; wider tiles spilled accumulators to the stack and ran slower.
(module
  (memory (export "memory") 1)

  ;; C[mc×nc] += Apacked[mc×kc] · Bpacked[kc×nc].
  ;; ap: ceil(mc/4) panels of A, each kc·4 doubles; bp: ceil(nc/4) panels of B, each kc·4 doubles;
  ;; c: C's first entry of this block; scratch: 16 doubles for the tiles cut by an edge.
  (func (export "gemm_block")
    (param $mc i32) (param $nc i32) (param $kc i32)
    (param $ap i32) (param $bp i32) (param $c i32) (param $ldc i32) (param $scratch i32)
    (local $jr i32) (local $ir i32) (local $a i32) (local $b i32) (local $p i32)
    (local $cp i32) (local $rowBytes i32) (local $panelBytes i32) (local $mr i32) (local $nr i32)
    (local $x i32) (local $y i32) (local $at i32)
    (local $b0 v128) (local $b1 v128) (local $a0 v128) (local $a1 v128) (local $a2 v128)
    (local $a3 v128)
    ;; c<row>_<column pair>: the 4×4 tile of C being accumulated.
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $rowBytes (i32.shl (local.get $ldc) (i32.const 3)))
    ;; One packed panel (of A or of B) is kc steps of 4 doubles.
    (local.set $panelBytes (i32.shl (local.get $kc) (i32.const 5)))
    ;; Columns outside, rows inside: one panel of B stays in L1 while the panels of A stream
    ;; past it from L2.
    (local.set $jr (i32.const 0))
    (block $columnsDone
      (loop $columns
        (br_if $columnsDone (i32.ge_s (local.get $jr) (local.get $nc)))
        (local.set $ir (i32.const 0))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_s (local.get $ir) (local.get $mc)))
            (local.set $a
              (i32.add (local.get $ap) (i32.mul (i32.shr_u (local.get $ir) (i32.const 2)) (local.get $panelBytes))))
            (local.set $b
              (i32.add (local.get $bp) (i32.mul (i32.shr_u (local.get $jr) (i32.const 2)) (local.get $panelBytes))))
            (local.set $c00 (v128.const i64x2 0 0))
            (local.set $c01 (v128.const i64x2 0 0))
            (local.set $c10 (v128.const i64x2 0 0))
            (local.set $c11 (v128.const i64x2 0 0))
            (local.set $c20 (v128.const i64x2 0 0))
            (local.set $c21 (v128.const i64x2 0 0))
            (local.set $c30 (v128.const i64x2 0 0))
            (local.set $c31 (v128.const i64x2 0 0))
            ;; The k loop: 16 multiply-adds (8 f64x2 multiplies, 8 adds) per step.
            (local.set $p (local.get $kc))
            (block $stepsDone
              (loop $steps
                (br_if $stepsDone (i32.eqz (local.get $p)))
                (local.set $b0 (v128.load (local.get $b)))
                (local.set $b1 (v128.load offset=16 (local.get $b)))
                (local.set $a0 (v128.load64_splat (local.get $a)))
                (local.set $a1 (v128.load64_splat offset=8 (local.get $a)))
                (local.set $a2 (v128.load64_splat offset=16 (local.get $a)))
                (local.set $a3 (v128.load64_splat offset=24 (local.get $a)))
                (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a0) (local.get $b0))))
                (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a0) (local.get $b1))))
                (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a1) (local.get $b0))))
                (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a1) (local.get $b1))))
                (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $a2) (local.get $b0))))
                (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $a2) (local.get $b1))))
                (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $a3) (local.get $b0))))
                (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $a3) (local.get $b1))))
                (local.set $a (i32.add (local.get $a) (i32.const 32)))
                (local.set $b (i32.add (local.get $b) (i32.const 32)))
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br $steps)))
            ;; Add the tile into C: straight from registers when it is whole, else through
            ;; scratch, entry by entry, for the rows and columns inside the block.
            (local.set $cp
              (i32.add (local.get $c)
                (i32.shl (i32.add (i32.mul (local.get $ir) (local.get $ldc)) (local.get $jr)) (i32.const 3))))
            (local.set $mr (i32.sub (local.get $mc) (local.get $ir)))
            (local.set $nr (i32.sub (local.get $nc) (local.get $jr)))
            (if (i32.and (i32.ge_s (local.get $mr) (i32.const 4)) (i32.ge_s (local.get $nr) (i32.const 4)))
              (then
                (v128.store (local.get $cp) (f64x2.add (v128.load (local.get $cp)) (local.get $c00)))
                (v128.store offset=16 (local.get $cp) (f64x2.add (v128.load offset=16 (local.get $cp)) (local.get $c01)))
                (local.set $cp (i32.add (local.get $cp) (local.get $rowBytes)))
                (v128.store (local.get $cp) (f64x2.add (v128.load (local.get $cp)) (local.get $c10)))
                (v128.store offset=16 (local.get $cp) (f64x2.add (v128.load offset=16 (local.get $cp)) (local.get $c11)))
                (local.set $cp (i32.add (local.get $cp) (local.get $rowBytes)))
                (v128.store (local.get $cp) (f64x2.add (v128.load (local.get $cp)) (local.get $c20)))
                (v128.store offset=16 (local.get $cp) (f64x2.add (v128.load offset=16 (local.get $cp)) (local.get $c21)))
                (local.set $cp (i32.add (local.get $cp) (local.get $rowBytes)))
                (v128.store (local.get $cp) (f64x2.add (v128.load (local.get $cp)) (local.get $c30)))
                (v128.store offset=16 (local.get $cp) (f64x2.add (v128.load offset=16 (local.get $cp)) (local.get $c31))))
              (else
                (v128.store (local.get $scratch) (local.get $c00))
                (v128.store offset=16 (local.get $scratch) (local.get $c01))
                (v128.store offset=32 (local.get $scratch) (local.get $c10))
                (v128.store offset=48 (local.get $scratch) (local.get $c11))
                (v128.store offset=64 (local.get $scratch) (local.get $c20))
                (v128.store offset=80 (local.get $scratch) (local.get $c21))
                (v128.store offset=96 (local.get $scratch) (local.get $c30))
                (v128.store offset=112 (local.get $scratch) (local.get $c31))
                (if (i32.gt_s (local.get $mr) (i32.const 4)) (then (local.set $mr (i32.const 4))))
                (if (i32.gt_s (local.get $nr) (i32.const 4)) (then (local.set $nr (i32.const 4))))
                (local.set $x (i32.const 0))
                (block $edgeRowsDone
                  (loop $edgeRows
                    (br_if $edgeRowsDone (i32.ge_s (local.get $x) (local.get $mr)))
                    (local.set $y (i32.const 0))
                    (block $edgeColumnsDone
                      (loop $edgeColumns
                        (br_if $edgeColumnsDone (i32.ge_s (local.get $y) (local.get $nr)))
                        (local.set $at
                          (i32.add (local.get $cp)
                            (i32.shl (i32.add (i32.mul (local.get $x) (local.get $ldc)) (local.get $y)) (i32.const 3))))
                        (f64.store (local.get $at)
                          (f64.add (f64.load (local.get $at))
                            (f64.load
                              (i32.add (local.get $scratch)
                                (i32.shl (i32.add (i32.shl (local.get $x) (i32.const 2)) (local.get $y)) (i32.const 3))))))
                        (local.set $y (i32.add (local.get $y) (i32.const 1)))
                        (br $edgeColumns)))
                    (local.set $x (i32.add (local.get $x) (i32.const 1)))
                    (br $edgeRows)))))
            (local.set $ir (i32.add (local.get $ir) (i32.const 4)))
            (br $rows)))
        (local.set $jr (i32.add (local.get $jr) (i32.const 4)))
        (br $columns))))

  ;; Packs mc rows × kc steps of A into panels of 4 rows (see the top): the panel for rows
  ;; i..i+3 holds, for each step p, A[i][p], A[i+1][p], A[i+2][p], A[i+3][p], zeros past mc.
  ;; src: A[0][0] of the block; rowStride / stepStride: bytes between rows / between steps (a
  ;; transposed A is read with rowStride 8, so its 4 values per step are one contiguous pair of
  ;; vectors).
  (func (export "pack_a")
    (param $src i32) (param $rowStride i32) (param $stepStride i32) (param $mc i32) (param $kc i32)
    (param $dst i32)
    (call $pack (local.get $src) (local.get $rowStride) (local.get $stepStride) (local.get $mc)
      (local.get $kc) (local.get $dst)))

  ;; Packs kc steps × nc columns of B into panels of 4 columns: the panel for columns j..j+3
  ;; holds, for each step p, B[p][j..j+3], zeros past nc. src: B[0][0] of the block;
  ;; stepStride / columnStride: bytes between steps (rows of B) / between columns.
  (func (export "pack_b")
    (param $src i32) (param $stepStride i32) (param $columnStride i32) (param $kc i32) (param $nc i32)
    (param $dst i32)
    (call $pack (local.get $src) (local.get $columnStride) (local.get $stepStride) (local.get $nc)
      (local.get $kc) (local.get $dst)))

  ;; Both packings are one: `lanes` lines (rows of A, columns of B) `laneStride` bytes apart,
  ;; read for `kc` steps `stepStride` bytes apart, 4 lines to a panel, 4 values per step.
  (func $pack
    (param $src i32) (param $laneStride i32) (param $stepStride i32) (param $lanes i32) (param $kc i32)
    (param $dst i32)
    (local $l i32) (local $p i32) (local $at i32) (local $left i32) (local $r i32)
    (local.set $l (i32.const 0))
    (block $panelsDone
      (loop $panels
        (br_if $panelsDone (i32.ge_s (local.get $l) (local.get $lanes)))
        (local.set $at (i32.add (local.get $src) (i32.mul (local.get $l) (local.get $laneStride))))
        (local.set $left (i32.sub (local.get $lanes) (local.get $l)))
        (local.set $p (local.get $kc))
        (if (i32.and (i32.ge_s (local.get $left) (i32.const 4)) (i32.eq (local.get $laneStride) (i32.const 8)))
          (then
            ;; The 4 values of a step are contiguous: two vector copies.
            (block $stepsDone
              (loop $steps
                (br_if $stepsDone (i32.eqz (local.get $p)))
                (v128.store (local.get $dst) (v128.load (local.get $at)))
                (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $at)))
                (local.set $at (i32.add (local.get $at) (local.get $stepStride)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br $steps))))
          (else
            (if (i32.ge_s (local.get $left) (i32.const 4))
              (then
                ;; 4 lines a stride apart: gather one value from each.
                (local.set $r (i32.mul (local.get $laneStride) (i32.const 2)))
                (block $stepsDone
                  (loop $steps
                    (br_if $stepsDone (i32.eqz (local.get $p)))
                    (f64.store (local.get $dst) (f64.load (local.get $at)))
                    (f64.store offset=8 (local.get $dst)
                      (f64.load (i32.add (local.get $at) (local.get $laneStride))))
                    (f64.store offset=16 (local.get $dst)
                      (f64.load (i32.add (local.get $at) (local.get $r))))
                    (f64.store offset=24 (local.get $dst)
                      (f64.load (i32.add (i32.add (local.get $at) (local.get $r)) (local.get $laneStride))))
                    (local.set $at (i32.add (local.get $at) (local.get $stepStride)))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                    (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                    (br $steps))))
              (else
                ;; The last, partial panel: the lines that exist, zeros for the rest.
                (block $stepsDone
                  (loop $steps
                    (br_if $stepsDone (i32.eqz (local.get $p)))
                    (v128.store (local.get $dst) (v128.const i64x2 0 0))
                    (v128.store offset=16 (local.get $dst) (v128.const i64x2 0 0))
                    (local.set $r (i32.const 0))
                    (block $linesDone
                      (loop $lines
                        (br_if $linesDone (i32.ge_s (local.get $r) (local.get $left)))
                        (f64.store
                          (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 3)))
                          (f64.load
                            (i32.add (local.get $at) (i32.mul (local.get $r) (local.get $laneStride)))))
                        (local.set $r (i32.add (local.get $r) (i32.const 1)))
                        (br $lines)))
                    (local.set $at (i32.add (local.get $at) (local.get $stepStride)))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                    (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                    (br $steps)))))))
        (local.set $l (i32.add (local.get $l) (i32.const 4)))
        (br $panels))))
)
