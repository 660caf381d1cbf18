/**
 * Linear algebra: `matmul` (the spec's `@`), `transpose` (`.T`) and `reshape`.
 *
 * matmul follows NumPy: a 1-D left operand is a row vector and a 1-D right operand a column
 * vector (the added axis is dropped from the result), vector @ vector is a scalar, and operands of
 * rank ≥ 3 are stacks of matrices whose leading (batch) axes broadcast. Scalars are refused, as
 * NumPy does: `*` scales.
 *
 * The kernels run on row-major Float64Arrays and always accumulate (`C += …`), so that a gradient
 * for a batch-broadcast operand is summed back simply by accumulating every batch slice into the
 * same place. The three products backprop needs, A B (forward), G Bᵀ (∂L/∂A) and Aᵀ G (∂L/∂B),
 * are one kernel (kernels/gemm.ts) told which operand is stored transposed, so no product is
 * computed by walking a column.
 */
import { gemm } from '../kernels/gemm';
import { type LatexContext, type OpDef, ShapeError } from '../op';
import {
  type Shape,
  Tensor,
  broadcastIndex,
  broadcastShapes,
  formatShape,
  normalizeAxis,
  sizeOf,
  stridesOf,
} from '../tensor';

// ---------------------------------------------------------------------------------------------
// LaTeX helpers (exported: other families attach indices and transposes to operand names too)

/** Whether the last atom of a LaTeX expression already carries a subscript / superscript. */
function trailingScripts(x: string): { sub: boolean; sup: boolean } {
  let t = x.trimEnd();
  let sub = false;
  let sup = false;
  for (;;) {
    if (t.endsWith("'")) {
      sup = true;
      t = t.slice(0, -1).trimEnd();
      continue;
    }
    const start = lastAtomStart(t);
    if (start <= 0) break;
    const before = t[start - 1];
    if (before === '_') sub = true;
    else if (before === '^') sup = true;
    else break;
    t = t.slice(0, start - 1).trimEnd();
  }
  return { sub, sup };
}

/** Start of the last atom of `t`: a `{…}` group, a `\command`, or one character. */
function lastAtomStart(t: string): number {
  const end = t.length - 1;
  if (end < 0) return -1;
  if (t[end] === '}') {
    let depth = 0;
    for (let i = end; i >= 0; i--) {
      if (t[i] === '}') depth++;
      else if (t[i] === '{' && --depth === 0) return i;
    }
    return -1;
  }
  if (/[A-Za-z]/.test(t[end])) {
    let i = end;
    while (i > 0 && /[A-Za-z]/.test(t[i - 1])) i--;
    if (i > 0 && t[i - 1] === '\\') return i - 1;
  }
  return end;
}

/** `x_{idx}`, braced as `{W_1}_{idx}` when `x` already has a script (never `W_1_{kl}`). */
export function indexed(x: string, idx: string): string {
  const s = trailingScripts(x);
  return s.sub || s.sup ? `{${x}}_{${idx}}` : `${x}_{${idx}}`;
}

/** `x^\top`, braced as `{x^{2}}^\top` when `x` already has a superscript. */
export function transposed(x: string): string {
  return trailingScripts(x).sup ? `{${x}}^\\top` : `${x}^\\top`;
}

/** `2 \times 3` for LaTeX (`\text{scalar}` for []). */
export function latexShape(shape: Shape): string {
  return shape.length === 0 ? '\\text{scalar}' : shape.join(' \\times ');
}

// ---------------------------------------------------------------------------------------------
// Kernels. All accumulate into C; offsets select one matrix of a batch. The arithmetic is
// kernels/gemm.ts: packed operands (the transposes are absorbed by the packing, so no product
// walks a column) multiplied by the WebAssembly SIMD kernel, or by its plain-JS twin.

/** C[m×n] += A[m×k] · B[k×n]. */
export function gemmNN(
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  c: Float64Array,
  cOff: number,
  m: number,
  k: number,
  n: number,
): void {
  gemm(false, false, m, n, k, a, aOff, b, bOff, c, cOff);
}

/** C[m×n] += A[m×k] · Bᵀ, where B is stored as n×k. */
export function gemmNT(
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  c: Float64Array,
  cOff: number,
  m: number,
  k: number,
  n: number,
): void {
  gemm(false, true, m, n, k, a, aOff, b, bOff, c, cOff);
}

/** C[k×n] += Aᵀ · B, where A is stored as m×k and B as m×n. */
export function gemmTN(
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  c: Float64Array,
  cOff: number,
  m: number,
  k: number,
  n: number,
): void {
  gemm(true, false, k, n, m, a, aOff, b, bOff, c, cOff);
}

/** The transpose (cols×rows) of the rows×cols matrix at `off`, as a fresh contiguous array. */
function packTranspose(x: Float64Array, off: number, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  const T = 32;
  for (let i0 = 0; i0 < rows; i0 += T) {
    const i1 = Math.min(i0 + T, rows);
    for (let j0 = 0; j0 < cols; j0 += T) {
      const j1 = Math.min(j0 + T, cols);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) out[j * rows + i] = x[off + i * cols + j];
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// matmul

/** How two operand shapes combine: the 1-D promotions, the matrix sizes, and the batch layout. */
interface MatmulPlan {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** Broadcast batch shape (empty for plain matrices). */
  readonly batch: readonly number[];
  /** Number of matrices in each operand's own batch, and in the output's. */
  readonly aCount: number;
  readonly bCount: number;
  readonly outCount: number;
  readonly outShape: Shape;
  readonly leftVector: boolean;
  readonly rightVector: boolean;
}

function planMatmul(aShape: Shape, bShape: Shape): MatmulPlan {
  // Only an error message needs it: written on demand (every matmul and its backward plan).
  const where = (): string => `(${formatShape(aShape)}) @ (${formatShape(bShape)})`;
  if (aShape.length === 0 || bShape.length === 0) {
    throw new ShapeError(
      `${where()}: @ needs a vector or matrix on each side — use * to multiply by a scalar`,
    );
  }
  const leftVector = aShape.length === 1;
  const rightVector = bShape.length === 1;
  const m = leftVector ? 1 : aShape[aShape.length - 2];
  const k = aShape[aShape.length - 1];
  const kb = rightVector ? bShape[0] : bShape[bShape.length - 2];
  const n = rightVector ? 1 : bShape[bShape.length - 1];
  if (k !== kb) throw new ShapeError(`${where()}: inner sizes ${k} and ${kb} differ`);
  const aBatch = aShape.slice(0, Math.max(0, aShape.length - 2));
  const bBatch = bShape.slice(0, Math.max(0, bShape.length - 2));
  const batch = broadcastShapes(aBatch, bBatch);
  if (!batch) {
    throw new ShapeError(
      `${where()}: batch sizes ${formatShape(aBatch)} and ${formatShape(bBatch)} do not broadcast — ` +
        'the leading sizes must be equal or 1',
    );
  }
  const outShape = [...batch, ...(leftVector ? [] : [m]), ...(rightVector ? [] : [n])];
  return {
    m,
    k,
    n,
    batch,
    aCount: sizeOf(aBatch),
    bCount: sizeOf(bBatch),
    outCount: sizeOf(batch),
    outShape,
    leftVector,
    rightVector,
  };
}

/** For each output matrix, which matrix of the operand it reads (its batch broadcast). */
function batchIndex(operandShape: Shape, plan: MatmulPlan): Int32Array {
  const own = operandShape.slice(0, Math.max(0, operandShape.length - 2));
  return broadcastIndex(own, plan.batch);
}

export const matmul: OpDef = {
  name: 'matmul',
  arity: 2,
  inferShape: ([a, b]) => planMatmul(a, b).outShape,
  forward: ([a, b]) => {
    const p = planMatmul(a.shape, b.shape);
    const out = new Float64Array(p.outCount * p.m * p.n);
    if (p.outCount === 1) {
      gemmNN(a.data, 0, b.data, 0, out, 0, p.m, p.k, p.n);
    } else {
      const ia = batchIndex(a.shape, p);
      const ib = batchIndex(b.shape, p);
      for (let t = 0; t < p.outCount; t++) {
        gemmNN(
          a.data,
          ia[t] * p.m * p.k,
          b.data,
          ib[t] * p.k * p.n,
          out,
          t * p.m * p.n,
          p.m,
          p.k,
          p.n,
        );
      }
    }
    return new Tensor(p.outShape, out);
  },
  backward: (g, { inputs: [a, b] }, needs) => {
    const p = planMatmul(a.shape, b.shape);
    // g's data is laid out as outCount matrices of m×n whether or not 1-D axes were dropped.
    const ia = batchIndex(a.shape, p);
    const ib = batchIndex(b.shape, p);
    let gradA: Tensor | null = null;
    let gradB: Tensor | null = null;
    if (needs[0]) {
      const da = new Float64Array(a.size);
      for (let t = 0; t < p.outCount; t++) {
        // ∂L/∂A = G Bᵀ: B (k×n) is read row by row as the transposed operand.
        gemmNT(
          g.data,
          t * p.m * p.n,
          b.data,
          ib[t] * p.k * p.n,
          da,
          ia[t] * p.m * p.k,
          p.m,
          p.n,
          p.k,
        );
      }
      gradA = new Tensor(a.shape, da);
    }
    if (needs[1]) {
      const db = new Float64Array(b.size);
      for (let t = 0; t < p.outCount; t++) {
        // ∂L/∂B = Aᵀ G.
        gemmTN(
          a.data,
          ia[t] * p.m * p.k,
          g.data,
          t * p.m * p.n,
          db,
          ib[t] * p.k * p.n,
          p.m,
          p.k,
          p.n,
        );
      }
      gradB = new Tensor(b.shape, db);
    }
    return [gradA, gradB];
  },
  saves: () => ({ inputs: [0, 1], output: false }),
  latex: {
    formula: (c) => {
      const [a, b] = c.args;
      return c.shapes[0].length === 1 && c.shapes[1].length === 1
        ? `${transposed(a)} ${b}`
        : `${a} ${b}`;
    },
    local: (i, c) => {
      const [a, b] = c.args;
      const [ra, rb] = [c.shapes[0].length, c.shapes[1].length];
      const batched = ra > 2 || rb > 2 ? '\\quad\\text{(in each batch slice)}' : '';
      if (ra === 1 && rb === 1) {
        const prod = `(${transposed(a)} ${b})`;
        return i === 0
          ? `\\frac{\\partial ${prod}}{\\partial ${indexed(a, 'l')}} = ${indexed(b, 'l')}`
          : `\\frac{\\partial ${prod}}{\\partial ${indexed(b, 'l')}} = ${indexed(a, 'l')}`;
      }
      const prod = `(${a} ${b})`;
      if (rb === 1) {
        // matrix @ vector: y_i = Σ_l A_il v_l.
        return i === 0
          ? `\\frac{\\partial ${prod}_{i}}{\\partial ${indexed(a, 'kl')}} = \\delta_{ik}\\, ${indexed(b, 'l')}${batched}`
          : `\\frac{\\partial ${prod}_{i}}{\\partial ${indexed(b, 'l')}} = ${indexed(a, 'il')}${batched}`;
      }
      if (ra === 1) {
        // vector @ matrix: y_j = Σ_l v_l B_lj.
        return i === 0
          ? `\\frac{\\partial ${prod}_{j}}{\\partial ${indexed(a, 'l')}} = ${indexed(b, 'lj')}${batched}`
          : `\\frac{\\partial ${prod}_{j}}{\\partial ${indexed(b, 'kl')}} = ${indexed(a, 'k')}\\, \\delta_{jl}${batched}`;
      }
      return i === 0
        ? `\\frac{\\partial ${prod}_{ij}}{\\partial ${indexed(a, 'kl')}} = \\delta_{ik}\\, ${indexed(b, 'lj')}${batched}`
        : `\\frac{\\partial ${prod}_{ij}}{\\partial ${indexed(b, 'kl')}} = ${indexed(a, 'ik')}\\, \\delta_{jl}${batched}`;
    },
    vjp: (i, c) => {
      const [a, b] = c.args;
      if (c.shapes[0].length === 1 && c.shapes[1].length === 1) {
        // A scalar upstream gradient times the other vector.
        return `${c.grad}\\, ${i === 0 ? b : a}`;
      }
      // Vectors read as a row (left) or a column (right), so δ vᵀ and vᵀ δ are outer products.
      const rule = i === 0 ? `${c.grad}\\, ${transposed(b)}` : `${transposed(a)} ${c.grad}`;
      return batchSumLatex(rule, c, i);
    },
  },
};

/** Prefixes the sum over batch slices when broadcasting stretched operand i's batch. */
function batchSumLatex(rule: string, c: LatexContext, i: number): string {
  const p = planMatmul(c.shapes[0], c.shapes[1]);
  const own = sizeOf(c.shapes[i].slice(0, Math.max(0, c.shapes[i].length - 2)));
  return own < p.outCount ? `\\textstyle\\sum_{\\text{batch}} ${rule}` : rule;
}

// ---------------------------------------------------------------------------------------------
// transpose

/** `axes` is a permutation of the input's axes (negative allowed); null or absent reverses them. */
export type TransposeAttrs = { readonly axes: readonly number[] | null };

function permutation(shape: Shape, attrs: TransposeAttrs): number[] {
  const rank = shape.length;
  const axes = attrs.axes ?? null;
  if (axes === null) return Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const what = `transpose of a ${formatShape(shape)} tensor`;
  if (axes.length !== rank) {
    throw new ShapeError(
      `${what} needs ${rank} axes (an order of 0…${rank - 1}), got ${axes.length}: (${axes.join(', ')})`,
    );
  }
  const seen = new Set<number>();
  return axes.map((ax) => {
    const a = rank === 0 ? null : normalizeAxis(ax, rank);
    if (a === null) {
      throw new ShapeError(
        `${what}: axis ${ax} is out of range for rank ${rank} — use an axis from ${-rank} to ${rank - 1}`,
      );
    }
    if (seen.has(a)) {
      throw new ShapeError(
        `${what}: axis ${ax} appears twice in (${axes.join(', ')}) — give each axis once`,
      );
    }
    seen.add(a);
    return a;
  });
}

function inversePermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

function isIdentity(perm: readonly number[]): boolean {
  return perm.every((p, i) => p === i);
}

/** Output axis i is input axis perm[i] (NumPy's `np.transpose(x, perm)`). */
export function permute(t: Tensor, perm: readonly number[]): Tensor {
  const outShape = perm.map((p) => t.shape[p]);
  if (isIdentity(perm)) return t;
  const src = t.data;
  if (perm.length === 2) {
    return new Tensor(outShape, packTranspose(src, 0, t.shape[0], t.shape[1]));
  }
  const out = new Float64Array(t.size);
  // General case: walk the output in order with an odometer over the permuted input strides.
  const inStrides = stridesOf(t.shape);
  const s = perm.map((p) => inStrides[p]);
  const rank = perm.length;
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let k = 0; k < out.length; k++) {
    out[k] = src[offset];
    for (let ax = rank - 1; ax >= 0; ax--) {
      counter[ax]++;
      offset += s[ax];
      if (counter[ax] < outShape[ax]) break;
      offset -= s[ax] * counter[ax];
      counter[ax] = 0;
    }
  }
  return new Tensor(outShape, out);
}

export const transpose: OpDef<TransposeAttrs> = {
  name: 'transpose',
  arity: 1,
  inferShape: ([s], attrs) => permutation(s, attrs).map((p) => s[p]),
  forward: ([a], attrs) => permute(a, permutation(a.shape, attrs)),
  backward: (g, { inputs: [a], attrs }, needs) => [
    needs[0] ? permute(g, inversePermutation(permutation(a.shape, attrs))) : null,
  ],
  saves: () => ({ inputs: [], output: false }),
  latex: {
    formula: (c) => {
      const perm = permutation(c.shapes[0], c.attrs);
      if (isIdentity(perm)) return c.args[0];
      if (perm.length === 2) return transposed(c.args[0]);
      return `\\operatorname{transpose}(${c.args[0]},\\ (${perm.join(', ')}))`;
    },
    local: (_i, c) => {
      const perm = permutation(c.shapes[0], c.attrs);
      if (isIdentity(perm)) return 'I';
      if (perm.length === 2) {
        return `\\frac{\\partial ${indexed(transposed(c.args[0]), 'ij')}}{\\partial ${indexed(c.args[0], 'kl')}} = \\delta_{il}\\, \\delta_{jk}`;
      }
      return `P_{\\sigma},\\ \\sigma = (${perm.join(', ')})\\ \\text{(moves each entry, scales none)}`;
    },
    vjp: (_i, c) => {
      const perm = permutation(c.shapes[0], c.attrs);
      if (isIdentity(perm)) return c.grad;
      if (perm.length === 2) return transposed(c.grad);
      return `\\operatorname{transpose}(${c.grad},\\ (${inversePermutation(perm).join(', ')}))`;
    },
  },
};

// ---------------------------------------------------------------------------------------------
// reshape

/** `shape` is the new shape; one entry may be -1, inferred from the others (NumPy's rule). */
export type ReshapeAttrs = { readonly shape: readonly number[] };

function resolveReshape(from: Shape, attrs: ReshapeAttrs): number[] {
  const wanted = attrs.shape ?? [];
  const size = sizeOf(from);
  const given = `${formatShape(from)} (${size} value${size === 1 ? '' : 's'})`;
  const bad = wanted.find((d) => !Number.isInteger(d) || d < -1);
  if (bad !== undefined) {
    throw new ShapeError(
      `cannot reshape ${given} into ${formatShape(wanted)}: size ${bad} is not allowed — ` +
        'sizes are whole numbers ≥ 0, or -1 once to infer one',
    );
  }
  const unknown = wanted.filter((d) => d === -1).length;
  if (unknown > 1) {
    throw new ShapeError(
      `cannot reshape ${given} into ${formatShape(wanted)}: only one size can be -1 — give the others`,
    );
  }
  const known = wanted.reduce((p, d) => (d === -1 ? p : p * d), 1);
  if (unknown === 1) {
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(
        `cannot reshape ${given} into ${formatShape(wanted)}: ${size} is not a multiple of ${known}, ` +
          'so -1 has no whole size — pick sizes whose product divides the count',
      );
    }
    return wanted.map((d) => (d === -1 ? size / known : d));
  }
  if (known !== size) {
    throw new ShapeError(
      `cannot reshape ${given} into ${formatShape(wanted)} (${known} value${known === 1 ? '' : 's'}) — ` +
        'the sizes must multiply to the same count',
    );
  }
  return [...wanted];
}

export const reshape: OpDef<ReshapeAttrs> = {
  name: 'reshape',
  arity: 1,
  inferShape: ([s], attrs) => resolveReshape(s, attrs),
  // Row-major order is unchanged, so the values are shared, not copied (tensors are immutable).
  forward: ([a], attrs) => new Tensor(resolveReshape(a.shape, attrs), a.data),
  backward: (g, { inputs: [a] }, needs) => [needs[0] ? new Tensor(a.shape, g.data) : null],
  saves: () => ({ inputs: [], output: false }),
  latex: {
    formula: (c) => `\\operatorname{reshape}(${c.args[0]},\\ ${latexShape(c.outShape)})`,
    local: () => `I\\ \\text{(the same values, relabelled)}`,
    vjp: (_i, c) => `\\operatorname{reshape}(${c.grad},\\ ${latexShape(c.shapes[0])})`,
  },
};

export const linalgOps: readonly OpDef[] = [matmul, transpose, reshape];
