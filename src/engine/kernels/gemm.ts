/**
 * The float64 matrix product every matmul, gradient and training step goes through:
 * C[m×n] += op(A)[m×k] · op(B)[k×n], where op(X) is X or Xᵀ (BLAS's dgemm with α = β = 1, or
 * β = 0 when the caller asks to overwrite C).
 *
 * Boundaries:
 * - Operands are row-major Float64Arrays read from an offset; a transposed operand is one stored
 *   as its transpose (A as k×m, B as n×k), so gradients (G Bᵀ, Aᵀ G) never copy a transpose.
 * - Tiny products (under `WASM_MIN_WORK` multiply-adds) run plain loops whose innermost loop is
 *   contiguous: packing would cost more than it saves.
 * - Larger products are packed, GotoBLAS-style, into panels of 4 rows of A and 4 columns of B
 *   (which is where transposes disappear) in blocks of `KC` steps of k, and multiplied 4×4 tile
 *   by 4×4 tile by the WebAssembly SIMD kernel (gemm.wat), or, where WebAssembly or its SIMD is
 *   missing, by a plain-JS kernel with the same packing, blocking and order of additions — so
 *   the two give bitwise the same C, and the engine's numbers do not depend on the host (the
 *   size rule that picks plain or packed is the same for both).
 * - Float64 throughout; nothing here allocates per call once its scratch has grown.
 */
import { gemmWasmBase64 } from './gemm-wasm.generated';

/** Which kernel multiplies packed operands. `auto`: WebAssembly SIMD when the host has it. */
export type GemmBackend = 'wasm' | 'js';

/** Steps of k per packed block: a 4-column panel of B (KC·4 doubles, 8 KiB) stays in L1. */
export const KC = 256;
/** Rows of A per packed block: MC·KC doubles (256 KiB) stay in L2. */
export const MC = 128;
/** Columns of B per packed block: KC·NC doubles (4 MiB at most) are packed at a time. */
export const NC = 2048;
/**
 * From this many multiply-adds on, products are packed: the WebAssembly kernel (copies and
 * packing included) beats plain loops from about 8×8×8, thin shapes included.
 */
export const WASM_MIN_WORK = 256;

// ---------------------------------------------------------------------------------------------
// Public entry

/**
 * C[m×n] += op(A) · op(B) (or C = … when `accumulate` is false).
 *
 * @param transA A is stored as k×m (read as its transpose) instead of m×k.
 * @param transB B is stored as n×k instead of k×n.
 * C (m×n at `cOff`) must not overlap A or B.
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  c: Float64Array,
  cOff: number,
  accumulate = true,
): void {
  if (m === 0 || n === 0) return;
  const work = m * n * k;
  if (work >= WASM_MIN_WORK && activeBackend() === 'wasm') {
    wasmGemm(loadWasm()!, transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
    return;
  }
  if (!accumulate) c.fill(0, cOff, cOff + m * n);
  if (k === 0) return;
  if (work < WASM_MIN_WORK && !(transA && transB)) {
    plainGemm(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff);
  } else {
    jsGemm(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff);
  }
}

/**
 * Chooses the kernel for packed products: `auto` (the default) takes WebAssembly when it loads.
 * Tests and the benchmark pin one to compare them. Throws when `wasm` is asked for and the host
 * cannot run it.
 */
export function setGemmBackend(choice: GemmBackend | 'auto'): void {
  if (choice === 'wasm' && !loadWasm()) {
    throw new Error(
      `the WebAssembly SIMD matrix kernel is not available here (${wasmFailure ?? 'unknown reason'}) — use 'js' or 'auto'`,
    );
  }
  pinned = choice === 'auto' ? null : choice;
}

/** The kernel packed products currently use. */
export function gemmBackend(): GemmBackend {
  return activeBackend();
}

/** Why the WebAssembly kernel could not load, or null when it loaded (or was never tried). */
export function wasmUnavailableReason(): string | null {
  loadWasm();
  return wasmFailure;
}

let pinned: GemmBackend | null = null;

function activeBackend(): GemmBackend {
  if (pinned) return pinned;
  return loadWasm() ? 'wasm' : 'js';
}

/**
 * The packed product with a chosen kernel, whatever the size (the property tests drive both
 * kernels on small odd shapes through this). Accumulates into C.
 */
export function packedGemm(
  backend: GemmBackend,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  c: Float64Array,
  cOff: number,
): void {
  if (m === 0 || n === 0 || k === 0) return;
  if (backend === 'wasm') {
    const w = loadWasm();
    if (!w) throw new Error(`the WebAssembly matrix kernel is not available (${wasmFailure})`);
    wasmGemm(w, transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, true);
  } else {
    jsGemm(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff);
  }
}

// ---------------------------------------------------------------------------------------------
// Plain loops for small products: no packing, innermost loop contiguous.

function plainGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  c: Float64Array,
  cOff: number,
): void {
  if (transB || n === 1) {
    // Entries are dot products of A's row i with B's row j (B stored n×k; a single column of
    // a k×n B is such a row too).
    for (let i = 0; i < m; i++) {
      const cRow = cOff + i * n;
      for (let j = 0; j < n; j++) {
        let s = 0;
        if (transA) {
          // transA && n === 1 (TT never comes here): A's column i, B's only column.
          for (let p = 0; p < k; p++) s += a[aOff + p * m + i] * b[bOff + p];
        } else {
          const aRow = aOff + i * k;
          const bRow = bOff + j * k;
          for (let p = 0; p < k; p++) s += a[aRow + p] * b[bRow + p];
        }
        c[cRow + j] += s;
      }
    }
    return;
  }
  // C's row i += A[i,p] · B's row p.
  for (let i = 0; i < m; i++) {
    const cRow = cOff + i * n;
    for (let p = 0; p < k; p++) {
      const x = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
      const bRow = bOff + p * n;
      for (let j = 0; j < n; j++) c[cRow + j] += x * b[bRow + j];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Packing (shared by both kernels; `dst` is a Float64Array view, `at` an element index)

/**
 * Packs rows ic..ic+mc−1, steps pc..pc+kc−1 of op(A) as panels of 4 rows: for each step p the
 * panel holds A[i..i+3][p], rows past mc are zero.
 */
function packA(
  transA: boolean,
  m: number,
  k: number,
  a: Float64Array,
  aOff: number,
  ic: number,
  mc: number,
  pc: number,
  kc: number,
  dst: Float64Array,
  at: number,
): void {
  let o = at;
  for (let i0 = 0; i0 < mc; i0 += 4) {
    const rows = Math.min(4, mc - i0);
    const i = ic + i0;
    if (transA) {
      // A stored k×m: the 4 values of a step are contiguous in row p.
      for (let p = 0; p < kc; p++) {
        const src = aOff + (pc + p) * m + i;
        dst[o] = a[src];
        dst[o + 1] = rows > 1 ? a[src + 1] : 0;
        dst[o + 2] = rows > 2 ? a[src + 2] : 0;
        dst[o + 3] = rows > 3 ? a[src + 3] : 0;
        o += 4;
      }
    } else if (rows === 4) {
      const r0 = aOff + i * k + pc;
      const r1 = r0 + k;
      const r2 = r1 + k;
      const r3 = r2 + k;
      for (let p = 0; p < kc; p++) {
        dst[o] = a[r0 + p];
        dst[o + 1] = a[r1 + p];
        dst[o + 2] = a[r2 + p];
        dst[o + 3] = a[r3 + p];
        o += 4;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < 4; r++) dst[o + r] = r < rows ? a[aOff + (i + r) * k + pc + p] : 0;
        o += 4;
      }
    }
  }
}

/**
 * Packs steps pc..pc+kc−1, columns jc..jc+nc−1 of op(B) as panels of 4 columns: for each step p
 * the panel holds B[p][j..j+3], columns past nc are zero.
 */
function packB(
  transB: boolean,
  n: number,
  k: number,
  b: Float64Array,
  bOff: number,
  pc: number,
  kc: number,
  jc: number,
  nc: number,
  dst: Float64Array,
  at: number,
): void {
  let o = at;
  for (let j0 = 0; j0 < nc; j0 += 4) {
    const cols = Math.min(4, nc - j0);
    const j = jc + j0;
    if (!transB) {
      // B stored k×n: the 4 values of a step are contiguous in row p.
      for (let p = 0; p < kc; p++) {
        const src = bOff + (pc + p) * n + j;
        dst[o] = b[src];
        dst[o + 1] = cols > 1 ? b[src + 1] : 0;
        dst[o + 2] = cols > 2 ? b[src + 2] : 0;
        dst[o + 3] = cols > 3 ? b[src + 3] : 0;
        o += 4;
      }
    } else if (cols === 4) {
      const r0 = bOff + j * k + pc;
      const r1 = r0 + k;
      const r2 = r1 + k;
      const r3 = r2 + k;
      for (let p = 0; p < kc; p++) {
        dst[o] = b[r0 + p];
        dst[o + 1] = b[r1 + p];
        dst[o + 2] = b[r2 + p];
        dst[o + 3] = b[r3 + p];
        o += 4;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let s = 0; s < 4; s++) dst[o + s] = s < cols ? b[bOff + (j + s) * k + pc + p] : 0;
        o += 4;
      }
    }
  }
}

const roundUp4 = (x: number): number => (x + 3) & ~3;

// ---------------------------------------------------------------------------------------------
// The plain-JS kernel on packed operands (the fallback; the same blocks and order as gemm.wat)

let jsPackA = new Float64Array(0);
/** A 4×4 tile cut by the edge of C, added entry by entry. */
const jsTile = new Float64Array(16);
let jsPackB = new Float64Array(0);

function jsGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  c: Float64Array,
  cOff: number,
): void {
  const kcMax = Math.min(KC, k);
  const aNeed = roundUp4(Math.min(MC, m)) * kcMax;
  const bNeed = roundUp4(Math.min(NC, n)) * kcMax;
  if (jsPackA.length < aNeed) jsPackA = new Float64Array(aNeed);
  if (jsPackB.length < bNeed) jsPackB = new Float64Array(bNeed);
  for (let pc = 0; pc < k; pc += KC) {
    const kc = Math.min(KC, k - pc);
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      packB(transB, n, k, b, bOff, pc, kc, jc, nc, jsPackB, 0);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(transA, m, k, a, aOff, ic, mc, pc, kc, jsPackA, 0);
        jsBlock(mc, nc, kc, jsPackA, jsPackB, c, cOff + ic * n + jc, n);
      }
    }
  }
}

/** C[mc×nc] += Ap · Bp, 4×4 tiles: the JS twin of gemm.wat's gemm_block. */
function jsBlock(
  mc: number,
  nc: number,
  kc: number,
  ap: Float64Array,
  bp: Float64Array,
  c: Float64Array,
  cAt: number,
  ldc: number,
): void {
  const panel = kc * 4;
  for (let jr = 0; jr < nc; jr += 4) {
    const bStart = (jr >> 2) * panel;
    for (let ir = 0; ir < mc; ir += 4) {
      let ao = (ir >> 2) * panel;
      let bo = bStart;
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0;
      let c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0;
      let c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let p = 0; p < kc; p++) {
        const b0 = bp[bo];
        const b1 = bp[bo + 1];
        const b2 = bp[bo + 2];
        const b3 = bp[bo + 3];
        const a0 = ap[ao];
        const a1 = ap[ao + 1];
        const a2 = ap[ao + 2];
        const a3 = ap[ao + 3];
        c00 += a0 * b0;
        c01 += a0 * b1;
        c02 += a0 * b2;
        c03 += a0 * b3;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c12 += a1 * b2;
        c13 += a1 * b3;
        c20 += a2 * b0;
        c21 += a2 * b1;
        c22 += a2 * b2;
        c23 += a2 * b3;
        c30 += a3 * b0;
        c31 += a3 * b1;
        c32 += a3 * b2;
        c33 += a3 * b3;
        ao += 4;
        bo += 4;
      }
      const rows = Math.min(4, mc - ir);
      const cols = Math.min(4, nc - jr);
      const at = cAt + ir * ldc + jr;
      if (rows === 4 && cols === 4) {
        let r = at;
        c[r] += c00;
        c[r + 1] += c01;
        c[r + 2] += c02;
        c[r + 3] += c03;
        r += ldc;
        c[r] += c10;
        c[r + 1] += c11;
        c[r + 2] += c12;
        c[r + 3] += c13;
        r += ldc;
        c[r] += c20;
        c[r + 1] += c21;
        c[r + 2] += c22;
        c[r + 3] += c23;
        r += ldc;
        c[r] += c30;
        c[r + 1] += c31;
        c[r + 2] += c32;
        c[r + 3] += c33;
      } else {
        const tile = jsTile;
        tile[0] = c00;
        tile[1] = c01;
        tile[2] = c02;
        tile[3] = c03;
        tile[4] = c10;
        tile[5] = c11;
        tile[6] = c12;
        tile[7] = c13;
        tile[8] = c20;
        tile[9] = c21;
        tile[10] = c22;
        tile[11] = c23;
        tile[12] = c30;
        tile[13] = c31;
        tile[14] = c32;
        tile[15] = c33;
        for (let x = 0; x < rows; x++) {
          for (let y = 0; y < cols; y++) c[at + x * ldc + y] += tile[x * 4 + y];
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The WebAssembly kernel

/** The slice of the WebAssembly JS API used here (the project's lib is ES2022, without DOM types). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (
    module: object,
    imports: object,
  ) => { readonly exports: Record<string, unknown> };
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmKernel {
  readonly memory: WasmMemory;
  readonly gemmBlock: (
    mc: number,
    nc: number,
    kc: number,
    ap: number,
    bp: number,
    c: number,
    ldc: number,
    scratch: number,
  ) => void;
  readonly packA: (
    src: number,
    rowStride: number,
    stepStride: number,
    mc: number,
    kc: number,
    dst: number,
  ) => void;
  readonly packB: (
    src: number,
    stepStride: number,
    columnStride: number,
    kc: number,
    nc: number,
    dst: number,
  ) => void;
  /** Float64 view of the memory; replaced whenever the memory grows. */
  view: Float64Array;
}

let wasm: WasmKernel | null = null;
let wasmTried = false;
let wasmFailure: string | null = null;

/** Decodes and instantiates the kernel once, synchronously; null when the host cannot. */
function loadWasm(): WasmKernel | null {
  if (wasmTried) return wasm;
  wasmTried = true;
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (!api) throw new Error('no WebAssembly in this host');
    const binary = atob(gemmWasmBase64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const instance = new api.Instance(new api.Module(bytes), {});
    const memory = instance.exports.memory as WasmMemory;
    wasm = {
      memory,
      gemmBlock: instance.exports.gemm_block as WasmKernel['gemmBlock'],
      packA: instance.exports.pack_a as WasmKernel['packA'],
      packB: instance.exports.pack_b as WasmKernel['packB'],
      view: new Float64Array(memory.buffer),
    };
  } catch (error) {
    // Most often a host without WebAssembly SIMD; the JS kernel computes the same numbers.
    wasmFailure = error instanceof Error ? error.message : String(error);
    wasm = null;
  }
  return wasm;
}

/** Grows the kernel's memory to at least `bytes`, refreshing the view. */
function ensureMemory(w: WasmKernel, bytes: number): void {
  const have = w.memory.buffer.byteLength;
  if (have >= bytes) return;
  w.memory.grow(Math.ceil((bytes - have) / 65536));
  w.view = new Float64Array(w.memory.buffer);
}

/**
 * Layout of the kernel's memory for one product (in doubles): 16 of scratch, then C (m×n), A and
 * B as given, one packed block of A, one of B. The operands and C are copied in whole (memcpy,
 * O(m·k + k·n + m·n) against O(m·n·k)) and packed there by the module, so no JS loop touches a
 * value twice.
 */
function wasmGemm(
  w: WasmKernel,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  c: Float64Array,
  cOff: number,
  accumulate: boolean,
): void {
  const kcMax = Math.min(KC, k);
  const cAt = 16;
  const aAt = cAt + roundUp4(m * n);
  const bAt = aAt + roundUp4(m * k);
  const aPackAt = bAt + roundUp4(k * n);
  const bPackAt = aPackAt + roundUp4(Math.min(MC, m)) * kcMax;
  const end = bPackAt + roundUp4(Math.min(NC, n)) * kcMax;
  ensureMemory(w, end * 8);
  const view = w.view;
  if (accumulate) view.set(c.subarray(cOff, cOff + m * n), cAt);
  else view.fill(0, cAt, cAt + m * n);
  view.set(a.subarray(aOff, aOff + m * k), aAt);
  view.set(b.subarray(bOff, bOff + k * n), bAt);
  // Byte strides of op(A) between rows and between steps, and of op(B) between steps and columns.
  const aRow = transA ? 8 : k * 8;
  const aStep = transA ? m * 8 : 8;
  const bStep = transB ? 8 : n * 8;
  const bColumn = transB ? k * 8 : 8;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = Math.min(KC, k - pc);
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      w.packB(bAt * 8 + pc * bStep + jc * bColumn, bStep, bColumn, kc, nc, bPackAt * 8);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        w.packA(aAt * 8 + ic * aRow + pc * aStep, aRow, aStep, mc, kc, aPackAt * 8);
        w.gemmBlock(mc, nc, kc, aPackAt * 8, bPackAt * 8, (cAt + ic * n + jc) * 8, n, 0);
      }
    }
  }
  c.set(view.subarray(cAt, cAt + m * n), cOff);
}
