/**
 * matmul, transpose and reshape: forward values against plain reference loops, backward against
 * central differences of a randomly weighted output, the transposed products backprop uses,
 * the shape errors a user sees, the LaTeX, and that `saves` covers what backward reads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Attrs, LatexContext } from '../../src/engine/op';
import { ShapeError } from '../../src/engine/op';
import { getOp } from '../../src/engine/ops/index';
import { gemmNN, gemmNT, gemmTN, indexed, transposed } from '../../src/engine/ops/linalg';
import { type Shape, Tensor, sizeOf, stridesOf } from '../../src/engine/tensor';
import { maxRelativeError, numericGradient, singleOp } from '../helpers/finite';
import { assertLatexSane, latexNames } from '../helpers/latex';

const RUNS = 200;

// --- helpers ---------------------------------------------------------------------------------

/** mulberry32: a tiny seeded generator, so a fast-check seed fixes every value of a case. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomTensor(shape: Shape, next: () => number, lo = -2, hi = 2): Tensor {
  const t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = lo + (hi - lo) * next();
  return t;
}

/** Output weights with |w| in [0.25, 1] and random sign, so no output is weighted near zero. */
function randomWeights(shape: Shape, next: () => number): Tensor {
  const t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = (0.25 + 0.75 * next()) * (next() < 0.5 ? -1 : 1);
  return t;
}

/**
 * Backward of Σ w ⊙ op(inputs) against central differences; returns the worst relative error
 * over all inputs. Linear ops are exact under central differences for any h, so h = 1e-3 keeps
 * rounding in the objective small against the step.
 */
function gradientError(op: string, inputs: Tensor[], attrs: Attrs, seed: number, h = 1e-3): number {
  const { graph, leaves, root } = singleOp(op, inputs, attrs as Record<string, never>);
  const w = randomWeights(root.value.shape, rng(seed ^ 0x9e3779b9));
  graph.backward(root, w);
  let worst = 0;
  for (const leaf of leaves) {
    const analytic = leaf.grad;
    assert.ok(analytic, 'every input gets a gradient');
    assert.deepEqual(analytic.shape, leaf.value.shape, 'gradient has its input shape');
    const numeric = numericGradient(graph, root, leaf, w, h);
    worst = Math.max(worst, maxRelativeError(analytic, numeric));
  }
  return worst;
}

/**
 * Backward with every tensor that `saves` does not list replaced by NaNs of the same shape (the
 * shape is metadata, not saved values): the gradients must not change.
 */
function assertSavesSuffice(op: string, inputs: Tensor[], attrs: Attrs, seed: number): void {
  const def = getOp(op);
  const output = def.forward(inputs, attrs);
  const g = randomTensor(output.shape, rng(seed));
  const needs = inputs.map(() => true);
  const full = def.backward(g, { inputs, output, attrs }, needs);
  const saved = def.saves(attrs);
  const nan = (t: Tensor) => new Tensor(t.shape, new Float64Array(t.size).fill(NaN));
  const stripped = def.backward(
    g,
    {
      inputs: inputs.map((t, i) => (saved.inputs.includes(i) ? t : nan(t))),
      output: saved.output ? output : nan(output),
      attrs,
    },
    needs,
  );
  full.forEach((t, i) => assert.deepEqual(stripped[i]?.data, t?.data, `input ${i}`));
}

function latexCtx(
  shapes: Shape[],
  outShape: Shape,
  args: string[],
  attrs: Attrs = {},
): LatexContext {
  return { args, out: 'Z', grad: '\\delta', shapes, outShape, attrs };
}

/** Reference matmul by definition, NumPy rules: promotes 1-D operands, broadcasts batches. */
function referenceMatmul(a: Tensor, b: Tensor): { shape: number[]; data: Float64Array } {
  const aS = a.rank === 1 ? [1, a.shape[0]] : [...a.shape];
  const bS = b.rank === 1 ? [b.shape[0], 1] : [...b.shape];
  const [m, k] = aS.slice(-2);
  const n = bS[bS.length - 1];
  const aB = aS.slice(0, -2);
  const bB = bS.slice(0, -2);
  const rank = Math.max(aB.length, bB.length);
  const batch: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = aB[aB.length - rank + i] ?? 1;
    const y = bB[bB.length - rank + i] ?? 1;
    batch.push(Math.max(x, y));
  }
  const out = new Float64Array(sizeOf(batch) * m * n);
  const aStr = stridesOf(aS);
  const bStr = stridesOf(bS);
  const idx = new Array<number>(rank).fill(0);
  for (let t = 0; t < sizeOf(batch); t++) {
    // Unravel t over `batch`, then read each operand with size-1 axes pinned to 0.
    let r = t;
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax] = r % batch[ax];
      r = Math.floor(r / batch[ax]);
    }
    let aBase = 0;
    let bBase = 0;
    for (let ax = 0; ax < rank; ax++) {
      const ja = aB.length - rank + ax;
      const jb = bB.length - rank + ax;
      if (ja >= 0 && aB[ja] !== 1) aBase += idx[ax] * aStr[ja];
      if (jb >= 0 && bB[jb] !== 1) bBase += idx[ax] * bStr[jb];
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a.data[aBase + i * k + p] * b.data[bBase + p * n + j];
        out[t * m * n + i * n + j] = s;
      }
    }
  }
  const shape = [...batch, ...(a.rank === 1 ? [] : [m]), ...(b.rank === 1 ? [] : [n])];
  return { shape, data: out };
}

/** |x − ref| within a few ulps of the largest term magnitude (the kernels sum in another order). */
function assertClose(actual: Float64Array, expected: Float64Array, scale: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= 1e-13 * scale,
      `element ${i}: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

const dim = fc.integer({ min: 1, max: 4 });
/** The four 1-D/2-D kinds of operand pairs, by the ranks of left and right. */
const plainKind = fc.constantFrom([1, 1], [2, 1], [1, 2], [2, 2]);

function shapesFor(
  [ra, rb]: readonly number[],
  m: number,
  k: number,
  n: number,
): [number[], number[]] {
  return [ra === 1 ? [k] : [m, k], rb === 1 ? [k] : [k, n]];
}

/** Batch shapes that broadcast: each axis is shared, or 1 on one side, or missing on one side. */
const batchPair = fc
  .array(fc.record({ size: fc.integer({ min: 1, max: 3 }), mode: fc.nat(2) }), {
    minLength: 0,
    maxLength: 2,
  })
  .chain((axes) =>
    fc.record({
      axes: fc.constant(axes),
      dropA: fc.nat(axes.length),
      dropB: fc.nat(axes.length),
    }),
  )
  .map(({ axes, dropA, dropB }) => {
    const a = axes.map(({ size, mode }) => (mode === 1 ? 1 : size));
    const b = axes.map(({ size, mode }) => (mode === 2 ? 1 : size));
    // Leading axes may be missing on one side only (NumPy aligns trailing axes).
    return dropA > 0 ? { a: a.slice(dropA), b } : { a, b: b.slice(dropB) };
  });

// --- matmul ----------------------------------------------------------------------------------

test('matmul forward matches reference loops for every 1-D/2-D combination', () => {
  fc.assert(
    fc.property(
      plainKind,
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer(),
      (kind, m, k, n, seed) => {
        const next = rng(seed);
        const [sa, sb] = shapesFor(kind, m, k, n);
        const a = randomTensor(sa, next);
        const b = randomTensor(sb, next);
        const out = getOp('matmul').forward([a, b], {});
        const ref = referenceMatmul(a, b);
        assert.deepEqual(out.shape, ref.shape);
        assert.deepEqual(getOp('matmul').inferShape([sa, sb], {}), ref.shape);
        assertClose(out.data, ref.data, 4 * k);
      },
    ),
    { numRuns: 400 },
  );
});

test('matmul shapes follow NumPy for vectors: matrix@vector, vector@matrix, vector@vector', () => {
  const op = getOp('matmul');
  assert.deepEqual(op.inferShape([[2, 3], [3]], {}), [2]);
  assert.deepEqual(op.inferShape([[3], [3, 4]], {}), [4]);
  assert.deepEqual(op.inferShape([[3], [3]], {}), []);
  assert.deepEqual(op.inferShape([[5, 2, 3], [3]], {}), [5, 2]);
  assert.deepEqual(op.inferShape([[3], [5, 3, 4]], {}), [5, 4]);
  const dot = op.forward([Tensor.fromNested([1, 2, 3]), Tensor.fromNested([4, 5, 6])], {});
  assert.deepEqual(dot.shape, []);
  assert.equal(dot.item(), 32);
  const mv = op.forward(
    [
      Tensor.fromNested([
        [1, 2],
        [3, 4],
      ]),
      Tensor.fromNested([1, -1]),
    ],
    {},
  );
  assert.deepEqual(mv.toNested(), [-1, -1]);
  const vm = op.forward(
    [
      Tensor.fromNested([1, -1]),
      Tensor.fromNested([
        [1, 2],
        [3, 4],
      ]),
    ],
    {},
  );
  assert.deepEqual(vm.toNested(), [-2, -2]);
});

test('batched matmul broadcasts batch axes like NumPy', () => {
  fc.assert(
    fc.property(
      batchPair,
      dim,
      dim,
      dim,
      fc.boolean(),
      fc.boolean(),
      fc.integer(),
      (batch, m, k, n, vecA, vecB, seed) => {
        const next = rng(seed);
        // A vector operand has no batch of its own; keep at least one side batched.
        const sa = vecA && batch.b.length > 0 ? [k] : [...batch.a, m, k];
        const sb = vecB && sa.length > 1 ? [k] : [...batch.b, k, n];
        const a = randomTensor(sa, next);
        const b = randomTensor(sb, next);
        const out = getOp('matmul').forward([a, b], {});
        const ref = referenceMatmul(a, b);
        assert.deepEqual(out.shape, ref.shape);
        assertClose(out.data, ref.data, 4 * k);
      },
    ),
    { numRuns: 300 },
  );
});

test('transposed products G Bᵀ and Aᵀ G match reference loops (kernels, incl. packed paths)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 11 }),
      fc.integer({ min: 1, max: 11 }),
      fc.integer({ min: 1, max: 11 }),
      fc.integer(),
      (m, k, n, seed) => {
        const next = rng(seed);
        // NT: C[m×n] = A[m×k] · Bᵀ with B stored n×k, written at an offset with junk around it.
        const a = randomTensor([m * k + 3], next).data;
        const b = randomTensor([n * k + 5], next).data;
        const c = new Float64Array(m * n + 2).fill(7);
        gemmNT(a, 3, b, 5, c, 2, m, k, n);
        const refNT = new Float64Array(m * n);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = 7;
            for (let p = 0; p < k; p++) s += a[3 + i * k + p] * b[5 + j * k + p];
            refNT[i * n + j] = s;
          }
        assertClose(c.subarray(2), refNT, 4 * k + 7);
        assert.deepEqual([c[0], c[1]], [7, 7], 'writes stay inside C');
        // TN: C[k×n] = Aᵀ · B with A stored m×k and B m×n.
        const b2 = randomTensor([m * n], next).data;
        const c2 = new Float64Array(k * n);
        gemmTN(a, 3, b2, 0, c2, 0, m, k, n);
        const refTN = new Float64Array(k * n);
        for (let p = 0; p < k; p++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let i = 0; i < m; i++) s += a[3 + i * k + p] * b2[i * n + j];
            refTN[p * n + j] = s;
          }
        assertClose(c2, refTN, 4 * m);
        // NN accumulates too.
        const b3 = randomTensor([k * n], next).data;
        const c3 = new Float64Array(m * n).fill(-1);
        gemmNN(a, 3, b3, 0, c3, 0, m, k, n);
        const refNN = new Float64Array(m * n);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = -1;
            for (let p = 0; p < k; p++) s += a[3 + i * k + p] * b3[p * n + j];
            refNN[i * n + j] = s;
          }
        assertClose(c3, refNN, 4 * k + 1);
      },
    ),
    { numRuns: 300 },
  );
});

test('matmul backward is G Bᵀ and Aᵀ G exactly (reference loops)', () => {
  fc.assert(
    fc.property(dim, dim, dim, fc.integer(), (m, k, n, seed) => {
      const next = rng(seed);
      const a = randomTensor([m, k], next);
      const b = randomTensor([k, n], next);
      const g = randomTensor([m, n], next);
      const op = getOp('matmul');
      const [da, db] = op.backward(
        g,
        { inputs: [a, b], output: op.forward([a, b], {}), attrs: {} },
        [true, true],
      );
      const refA = new Float64Array(m * k);
      const refB = new Float64Array(k * n);
      for (let i = 0; i < m; i++)
        for (let p = 0; p < k; p++)
          for (let j = 0; j < n; j++) {
            refA[i * k + p] += g.data[i * n + j] * b.data[p * n + j];
            refB[p * n + j] += a.data[i * k + p] * g.data[i * n + j];
          }
      assertClose(da!.data, refA, 4 * n);
      assertClose(db!.data, refB, 4 * m);
    }),
    { numRuns: RUNS },
  );
});

test('matmul gradients match finite differences (1-D, 2-D, batched with broadcasting)', () => {
  fc.assert(
    fc.property(plainKind, dim, dim, dim, fc.integer(), (kind, m, k, n, seed) => {
      const next = rng(seed);
      const [sa, sb] = shapesFor(kind, m, k, n);
      const err = gradientError(
        'matmul',
        [randomTensor(sa, next), randomTensor(sb, next)],
        {},
        seed,
      );
      assert.ok(err <= 1e-6, `relative error ${err} for (${sa}) @ (${sb})`);
    }),
    { numRuns: 400 },
  );
  fc.assert(
    fc.property(
      batchPair,
      dim,
      dim,
      dim,
      fc.constantFrom('none', 'left', 'right'),
      fc.integer(),
      (batch, m, k, n, vector, seed) => {
        const next = rng(seed);
        // A 1-D operand against a batched one: its gradient sums over the whole batch.
        const sa = vector === 'left' ? [k] : [...batch.a, m, k];
        const sb = vector === 'right' ? [k] : [...batch.b, k, n];
        const err = gradientError(
          'matmul',
          [randomTensor(sa, next), randomTensor(sb, next)],
          {},
          seed,
        );
        assert.ok(err <= 1e-6, `relative error ${err} for (${sa}) @ (${sb})`);
      },
    ),
    { numRuns: RUNS },
  );
});

test('matmul gives only the gradients asked for', () => {
  const a = Tensor.fromNested([
    [1, 2],
    [3, 4],
  ]);
  const b = Tensor.fromNested([[5], [6]]);
  const op = getOp('matmul');
  const output = op.forward([a, b], {});
  const g = Tensor.filled(output.shape, 1);
  const [da, db] = op.backward(g, { inputs: [a, b], output, attrs: {} }, [false, true]);
  assert.equal(da, null);
  assert.deepEqual(db?.toNested(), [[4], [6]]);
});

test('matmul shape errors name both shapes and the sizes that differ', () => {
  const op = getOp('matmul');
  const message = (a: Shape, b: Shape): string => {
    try {
      op.inferShape([a, b], {});
    } catch (e) {
      assert.ok(e instanceof ShapeError);
      return e.message;
    }
    assert.fail(`(${a}) @ (${b}) should not fit`);
  };
  assert.equal(message([2, 3], [2, 2]), '(2×3) @ (2×2): inner sizes 3 and 2 differ');
  assert.equal(message([2, 3], [4]), '(2×3) @ (4): inner sizes 3 and 4 differ');
  assert.equal(message([4], [3, 2]), '(4) @ (3×2): inner sizes 4 and 3 differ');
  assert.equal(message([4], [3]), '(4) @ (3): inner sizes 4 and 3 differ');
  assert.match(message([], [3]), /^\(scalar\) @ \(3\): .*use \* to multiply by a scalar/);
  assert.match(
    message([2, 2, 3], [3, 3, 1]),
    /^\(2×2×3\) @ \(3×3×1\): batch sizes 2 and 3 do not broadcast/,
  );
  fc.assert(
    fc.property(dim, dim, dim, dim, (m, k, k2, n) => {
      fc.pre(k !== k2);
      assert.equal(
        message([m, k], [k2, n]),
        `(${m}×${k}) @ (${k2}×${n}): inner sizes ${k} and ${k2} differ`,
      );
    }),
    { numRuns: RUNS },
  );
  // Through the graph, the error comes before any value is computed.
  assert.throws(
    () => singleOp('matmul', [new Tensor([2, 3]), new Tensor([2, 2])]),
    (e: unknown) =>
      e instanceof ShapeError && e.message === '(2×3) @ (2×2): inner sizes 3 and 2 differ',
  );
});

test('matmul saves both inputs and backward needs no more', () => {
  assert.deepEqual(getOp('matmul').saves({}), { inputs: [0, 1], output: false });
  fc.assert(
    fc.property(plainKind, dim, dim, dim, fc.integer(), (kind, m, k, n, seed) => {
      const next = rng(seed);
      const [sa, sb] = shapesFor(kind, m, k, n);
      assertSavesSuffice('matmul', [randomTensor(sa, next), randomTensor(sb, next)], {}, seed);
    }),
    { numRuns: RUNS },
  );
});

test('matmul LaTeX: juxtaposition, index-form local derivative, matrix-form VJP', () => {
  const op = getOp('matmul');
  const mm = latexCtx(
    [
      [2, 2],
      [2, 3],
    ],
    [2, 3],
    ['X', 'W_1'],
  );
  assert.equal(op.latex.formula(mm), 'X W_1');
  assert.equal(
    op.latex.local(0, mm),
    '\\frac{\\partial (X W_1)_{ij}}{\\partial X_{kl}} = \\delta_{ik}\\, {W_1}_{lj}',
  );
  assert.equal(
    op.latex.local(1, mm),
    '\\frac{\\partial (X W_1)_{ij}}{\\partial {W_1}_{kl}} = X_{ik}\\, \\delta_{jl}',
  );
  assert.equal(op.latex.vjp(0, mm), '\\delta\\, W_1^\\top');
  assert.equal(op.latex.vjp(1, mm), 'X^\\top \\delta');
  // matrix @ vector: δ vᵀ is an outer product, Aᵀ δ a vector.
  const mv = latexCtx([[2, 3], [3]], [2], ['A', 'v']);
  assert.equal(op.latex.formula(mv), 'A v');
  assert.equal(op.latex.local(1, mv), '\\frac{\\partial (A v)_{i}}{\\partial v_{l}} = A_{il}');
  assert.equal(op.latex.vjp(0, mv), '\\delta\\, v^\\top');
  assert.equal(op.latex.vjp(1, mv), 'A^\\top \\delta');
  // vector @ matrix: the vector is a row.
  const vm = latexCtx([[3], [3, 2]], [2], ['x', 'W']);
  assert.equal(op.latex.local(0, vm), '\\frac{\\partial (x W)_{j}}{\\partial x_{l}} = W_{lj}');
  assert.equal(op.latex.vjp(0, vm), '\\delta\\, W^\\top');
  assert.equal(op.latex.vjp(1, vm), 'x^\\top \\delta');
  // vector @ vector is a dot product with a scalar upstream gradient.
  const vv = latexCtx([[3], [3]], [], ['a', 'b']);
  assert.equal(op.latex.formula(vv), 'a^\\top b');
  assert.equal(op.latex.local(0, vv), '\\frac{\\partial (a^\\top b)}{\\partial a_{l}} = b_{l}');
  assert.equal(op.latex.vjp(0, vv), '\\delta\\, b');
  assert.equal(op.latex.vjp(1, vv), '\\delta\\, a');
  // A batch-broadcast operand's gradient is summed over the batch.
  const bb = latexCtx(
    [
      [4, 2, 3],
      [3, 5],
    ],
    [4, 2, 5],
    ['A', 'W'],
  );
  assert.equal(op.latex.vjp(0, bb), '\\delta\\, W^\\top');
  assert.equal(op.latex.vjp(1, bb), '\\textstyle\\sum_{\\text{batch}} A^\\top \\delta');
});

test('LaTeX indices and transposes never stack a second script on a name', () => {
  assert.equal(indexed('X', 'ij'), 'X_{ij}');
  assert.equal(indexed('W_1', 'ij'), '{W_1}_{ij}');
  assert.equal(indexed('W^\\top', 'ij'), '{W^\\top}_{ij}');
  assert.equal(indexed('\\bar{Z}_{12}', 'i'), '{\\bar{Z}_{12}}_{i}');
  assert.equal(indexed('(X W_1)', 'ij'), '(X W_1)_{ij}');
  assert.equal(indexed('\\delta', 'i'), '\\delta_{i}');
  assert.equal(transposed('W_1'), 'W_1^\\top');
  assert.equal(transposed("x'"), "{x'}^\\top");
  assert.equal(transposed('e^{x}'), '{e^{x}}^\\top');
  assert.equal(transposed('(A + B)'), '(A + B)^\\top');
});

// --- transpose -------------------------------------------------------------------------------

/** A random permutation of 0..rank-1 (Fisher–Yates on the case's generator). */
function randomPermutation(rank: number, next: () => number): number[] {
  const p = Array.from({ length: rank }, (_, i) => i);
  for (let i = rank - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

const shapeArb = fc.array(dim, { minLength: 0, maxLength: 4 });

test('transpose forward moves entry (i₀…) of the input to (i_perm…) of the output', () => {
  fc.assert(
    fc.property(
      shapeArb,
      fc.boolean(),
      fc.boolean(),
      fc.integer(),
      (shape, byDefault, negative, seed) => {
        const next = rng(seed);
        const x = randomTensor(shape, next);
        const perm = byDefault
          ? shape.map((_, i) => shape.length - 1 - i)
          : randomPermutation(shape.length, next);
        const axes = negative ? perm.map((p) => p - shape.length) : perm;
        const attrs = { axes: byDefault ? null : axes };
        const out = getOp('transpose').forward([x], attrs);
        assert.deepEqual(
          out.shape,
          perm.map((p) => shape[p]),
        );
        assert.deepEqual(getOp('transpose').inferShape([shape], attrs), out.shape);
        const inStr = stridesOf(shape);
        const outStr = stridesOf(out.shape);
        for (let flat = 0; flat < x.size; flat++) {
          const idx = shape.map((d, ax) => Math.floor(flat / inStr[ax]) % d);
          const outFlat = perm.reduce((s, p, ax) => s + idx[p] * outStr[ax], 0);
          assert.equal(out.data[outFlat], x.data[flat]);
        }
      },
    ),
    { numRuns: RUNS },
  );
  // .T of a matrix, and the tiled path on a matrix larger than one tile.
  const m = getOp('transpose').forward(
    [
      Tensor.fromNested([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    ],
    { axes: null },
  );
  assert.deepEqual(m.toNested(), [
    [1, 4],
    [2, 5],
    [3, 6],
  ]);
  const big = randomTensor([37, 70], rng(5));
  const bt = getOp('transpose').forward([big], { axes: null });
  for (let i = 0; i < 37; i++)
    for (let j = 0; j < 70; j++) assert.equal(bt.data[j * 37 + i], big.data[i * 70 + j]);
  // Attrs left out entirely mean the default (reverse) too.
  assert.deepEqual(getOp('transpose').forward([Tensor.fromNested([[1, 2]])], {}).shape, [2, 1]);
});

test('transpose gradients match finite differences', () => {
  fc.assert(
    fc.property(shapeArb, fc.integer(), (shape, seed) => {
      const next = rng(seed);
      const perm = randomPermutation(shape.length, next);
      const err = gradientError('transpose', [randomTensor(shape, next)], { axes: perm }, seed);
      assert.ok(err <= 1e-6, `relative error ${err}`);
    }),
    { numRuns: RUNS },
  );
});

test('transpose errors say which axes are wrong', () => {
  const op = getOp('transpose');
  assert.throws(
    () => op.inferShape([[2, 3]], { axes: [0] }),
    /transpose of a 2×3 tensor needs 2 axes/,
  );
  assert.throws(
    () => op.inferShape([[2, 3]], { axes: [0, 0] }),
    /axis 0 appears twice in \(0, 0\)/,
  );
  assert.throws(
    () => op.inferShape([[2, 3]], { axes: [0, 2] }),
    /axis 2 is out of range for rank 2 — use an axis from -2 to 1/,
  );
  assert.throws(() => op.inferShape([[2, 3]], { axes: [0, 2] }), ShapeError);
});

test('transpose saves nothing; LaTeX for .T, identity and general permutations', () => {
  const op = getOp('transpose');
  assert.deepEqual(op.saves({ axes: null }), { inputs: [], output: false });
  fc.assert(
    fc.property(shapeArb, fc.integer(), (shape, seed) => {
      const next = rng(seed);
      assertSavesSuffice(
        'transpose',
        [randomTensor(shape, next)],
        { axes: randomPermutation(shape.length, next) },
        seed,
      );
    }),
    { numRuns: RUNS },
  );
  const t2 = latexCtx([[2, 3]], [3, 2], ['W_1'], { axes: null });
  assert.equal(op.latex.formula(t2), 'W_1^\\top');
  assert.equal(op.latex.vjp(0, t2), '\\delta^\\top');
  assert.equal(
    op.latex.local(0, t2),
    '\\frac{\\partial {W_1^\\top}_{ij}}{\\partial {W_1}_{kl}} = \\delta_{il}\\, \\delta_{jk}',
  );
  const t1 = latexCtx([[3]], [3], ['v'], { axes: null });
  assert.equal(op.latex.formula(t1), 'v');
  assert.equal(op.latex.vjp(0, t1), '\\delta');
  const t3 = latexCtx([[2, 3, 4]], [4, 2, 3], ['T'], { axes: [2, 0, 1] });
  assert.equal(op.latex.formula(t3), '\\operatorname{transpose}(T,\\ (2, 0, 1))');
  // The VJP applies the inverse permutation: axis 0 of δ came from axis 2 of T, and so on.
  assert.equal(op.latex.vjp(0, t3), '\\operatorname{transpose}(\\delta,\\ (1, 2, 0))');
});

// --- reshape ---------------------------------------------------------------------------------

/** A random target shape for `size` values: a random factorization, maybe with one -1. */
function randomFactorization(size: number, next: () => number): number[] {
  const dims: number[] = [];
  let rest = size;
  while (rest > 1 && dims.length < 4) {
    const divisors = [];
    for (let d = 1; d <= rest; d++) if (rest % d === 0) divisors.push(d);
    const d = divisors[Math.floor(next() * divisors.length)];
    dims.push(d);
    rest /= d;
  }
  if (rest > 1) dims.push(rest);
  if (next() < 0.3) dims.splice(Math.floor(next() * (dims.length + 1)), 0, 1);
  return dims;
}

test('reshape keeps row-major order; -1 is inferred', () => {
  fc.assert(
    fc.property(shapeArb, fc.boolean(), fc.integer(), (shape, infer, seed) => {
      const next = rng(seed);
      const x = randomTensor(shape, next);
      const target = randomFactorization(x.size, next);
      const wanted =
        infer && target.length > 0
          ? target.map((d, i) => (i === target.length - 1 ? -1 : d))
          : target;
      const out = getOp('reshape').forward([x], { shape: wanted });
      assert.deepEqual(out.shape, target);
      assert.deepEqual(getOp('reshape').inferShape([shape], { shape: wanted }), target);
      assert.deepEqual([...out.data], [...x.data]);
    }),
    { numRuns: RUNS },
  );
  const r = getOp('reshape').forward(
    [
      Tensor.fromNested([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    ],
    { shape: [3, -1] },
  );
  assert.deepEqual(r.toNested(), [
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
});

test('reshape gradients match finite differences', () => {
  fc.assert(
    fc.property(shapeArb, fc.integer(), (shape, seed) => {
      const next = rng(seed);
      const x = randomTensor(shape, next);
      const err = gradientError('reshape', [x], { shape: randomFactorization(x.size, next) }, seed);
      assert.ok(err <= 1e-6, `relative error ${err}`);
    }),
    { numRuns: RUNS },
  );
});

test('reshape errors give both counts', () => {
  const op = getOp('reshape');
  const message = (from: Shape, shape: number[]): string => {
    try {
      op.inferShape([from], { shape });
    } catch (e) {
      assert.ok(e instanceof ShapeError);
      return e.message;
    }
    assert.fail('should not fit');
  };
  assert.match(message([2, 3], [4, 2]), /^cannot reshape 2×3 \(6 values\) into 4×2 \(8 values\)/);
  assert.match(
    message([2, 3], [4, -1]),
    /^cannot reshape 2×3 \(6 values\) into 4×-1: 6 is not a multiple of 4/,
  );
  assert.match(message([2, 3], [-1, -1]), /only one size can be -1/);
  assert.match(message([2, 3], [2.5, 2]), /size 2.5 is not allowed/);
  fc.assert(
    fc.property(shapeArb, shapeArb, (from, to) => {
      fc.pre(sizeOf(from) !== sizeOf(to));
      const m = message(from, to);
      assert.ok(m.includes(`(${sizeOf(from)} value`) && m.includes(`(${sizeOf(to)} value`), m);
    }),
    { numRuns: RUNS },
  );
});

test('reshape saves nothing; LaTeX names the shapes', () => {
  const op = getOp('reshape');
  assert.deepEqual(op.saves({ shape: [6] }), { inputs: [], output: false });
  assertSavesSuffice('reshape', [randomTensor([2, 3], rng(1))], { shape: [3, 2] }, 1);
  const c = latexCtx([[2, 3]], [3, 2], ['X'], { shape: [3, -1] });
  assert.equal(op.latex.formula(c), '\\operatorname{reshape}(X,\\ 3 \\times 2)');
  assert.equal(op.latex.vjp(0, c), '\\operatorname{reshape}(\\delta,\\ 2 \\times 3)');
});

test('LaTeX of matmul, transpose and reshape renders for any operand names and shapes', () => {
  fc.assert(
    fc.property(
      fc.oneof(plainKind, fc.constant([3, 2]), fc.constant([2, 3])),
      dim,
      dim,
      dim,
      latexNames,
      latexNames,
      (kind, m, k, n, a, b) => {
        const [sa, sb] = shapesFor([Math.min(kind[0], 2), Math.min(kind[1], 2)], m, k, n);
        const shapes = [kind[0] === 3 ? [2, ...sa] : sa, kind[1] === 3 ? [2, ...sb] : sb];
        const mm = getOp('matmul');
        const c = latexCtx(shapes, mm.inferShape(shapes, {}), [a, b]);
        for (const text of [
          mm.latex.formula(c),
          mm.latex.local(0, c),
          mm.latex.local(1, c),
          mm.latex.vjp(0, c),
          mm.latex.vjp(1, c),
        ]) {
          assertLatexSane(text);
        }
        const perm = randomPermutation(shapes[0].length, rng(m * 16 + k * 4 + n));
        for (const attrs of [{ axes: null }, { axes: perm }]) {
          const t = latexCtx(
            [shapes[0]],
            getOp('transpose').inferShape([shapes[0]], attrs),
            [a],
            attrs,
          );
          for (const text of [
            getOp('transpose').latex.formula(t),
            getOp('transpose').latex.local(0, t),
            getOp('transpose').latex.vjp(0, t),
          ]) {
            assertLatexSane(text);
          }
        }
        const r = latexCtx([shapes[0]], [sizeOf(shapes[0])], [a], { shape: [-1] });
        for (const text of [
          getOp('reshape').latex.formula(r),
          getOp('reshape').latex.local(0, r),
          getOp('reshape').latex.vjp(0, r),
        ]) {
          assertLatexSane(text);
        }
      },
    ),
    { numRuns: RUNS },
  );
});
