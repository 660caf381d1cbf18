/**
 * sum, mean, max over random axes (null, one, several, negative, none) with and without keepdims:
 * forward against reference loops over multi-indices, backward against central differences of a
 * randomly weighted output (also composed with broadcasting arithmetic), max's tie rule and
 * pieces, the axis errors, what each saves, and the LaTeX.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Graph } from '../../src/engine/graph';
import type { LatexContext } from '../../src/engine/op';
import { ShapeError } from '../../src/engine/op';
import { getOp } from '../../src/engine/ops/index';
import type { ReduceAttrs } from '../../src/engine/ops/reductions';
import { type Shape, Tensor, sizeOf, stridesOf } from '../../src/engine/tensor';
import { maxRelativeError, numericGradient, singleOp } from '../helpers/finite';
import { assertLatexSane, latexNames } from '../helpers/latex';

const RUNS = 250;

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

function tensorOf(shape: Shape, value: () => number): Tensor {
  const t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = value();
  return t;
}

/** |w| in [0.25, 1] with a random sign: no output is weighted near zero. */
function randomWeights(shape: Shape, next: () => number): Tensor {
  return tensorOf(shape, () => (0.25 + 0.75 * next()) * (next() < 0.5 ? -1 : 1));
}

/** Distinct values, at least 0.2 apart, in random order: no ties for max within 2h. */
function distinctTensor(shape: Shape, next: () => number): Tensor {
  const n = sizeOf(shape);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return new Tensor(
    shape,
    Float64Array.from(order, (r) => (r - n / 2) * 0.3 + 0.1 * next()),
  );
}

/** A random shape of rank 0–4 (sizes 1–4) with a random axis spec and keepdims. */
const caseArb = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 })
  .chain((shape) => {
    const rank = shape.length;
    const anAxis = rank === 0 ? fc.constantFrom(0, -1) : fc.integer({ min: -rank, max: rank - 1 });
    const axisList = fc
      .subarray(
        shape.map((_, a) => a),
        { minLength: 0 },
      )
      .chain((axes) => fc.tuple(...axes.map((a) => fc.constantFrom(a, a - rank))))
      .map((axes) => axes as number[]);
    return fc.record({
      shape: fc.constant(shape),
      axis: fc.oneof(fc.constant(null), anAxis, axisList) as fc.Arbitrary<number | number[] | null>,
      keepdims: fc.boolean(),
      seed: fc.integer(),
    });
  });

/** The axes a spec reduces, by NumPy's rule, computed independently of the engine. */
function reducedAxes(rank: number, axis: number | number[] | null): Set<number> {
  if (rank === 0) return new Set();
  if (axis === null) return new Set(Array.from({ length: rank }, (_, a) => a));
  const list = typeof axis === 'number' ? [axis] : axis;
  return new Set(list.map((a) => (a < 0 ? a + rank : a)));
}

/** Reference reduction by walking every multi-index of the input. */
function reference(
  op: 'sum' | 'mean' | 'max',
  x: Tensor,
  axis: number | number[] | null,
  keepdims: boolean,
): { shape: number[]; data: number[]; argmax: number[] } {
  const rank = x.rank;
  const reduced = reducedAxes(rank, axis);
  const kept = x.shape.map((d, a) => (reduced.has(a) ? 1 : d));
  const shape = keepdims ? kept : x.shape.filter((_, a) => !reduced.has(a));
  const keptStrides = stridesOf(kept);
  const inStrides = stridesOf(x.shape);
  const n = sizeOf(kept);
  const data = new Array<number>(n).fill(op === 'max' ? -Infinity : 0);
  const argmax = new Array<number>(n).fill(-1);
  const counts = new Array<number>(n).fill(0);
  for (let flat = 0; flat < x.size; flat++) {
    let o = 0;
    for (let a = 0; a < rank; a++) {
      const i = Math.floor(flat / inStrides[a]) % x.shape[a];
      if (!reduced.has(a)) o += i * keptStrides[a];
    }
    const v = x.data[flat];
    counts[o]++;
    if (op === 'max') {
      if (v > data[o]) {
        data[o] = v;
        argmax[o] = flat;
      }
    } else data[o] += v;
  }
  if (op === 'mean') for (let o = 0; o < n; o++) data[o] /= counts[o];
  return { shape, data, argmax };
}

function valuesFor(op: string, shape: Shape, next: () => number): Tensor {
  return op === 'max' ? distinctTensor(shape, next) : tensorOf(shape, () => -2 + 4 * next());
}

function latexCtx(shape: Shape, attrs: ReduceAttrs, arg = 'A', out = 's'): LatexContext {
  const outShape = getOp('sum').inferShape([shape], attrs);
  return { args: [arg], out, grad: '\\delta', shapes: [shape], outShape, attrs };
}

for (const op of ['sum', 'mean', 'max'] as const) {
  test(`${op}: forward matches reference loops for random axes and keepdims`, () => {
    fc.assert(
      fc.property(caseArb, ({ shape, axis, keepdims, seed }) => {
        const x = valuesFor(op, shape, rng(seed));
        const attrs = { axis, keepdims };
        const out = getOp(op).forward([x], attrs);
        const ref = reference(op, x, axis, keepdims);
        assert.deepEqual(out.shape, ref.shape);
        assert.deepEqual(getOp(op).inferShape([shape], attrs), ref.shape);
        for (let i = 0; i < ref.data.length; i++) {
          assert.ok(Math.abs(out.data[i] - ref.data[i]) <= 1e-13 * 2 * x.size, `element ${i}`);
        }
        if (op === 'max') assert.deepEqual([...getOp('max').pieces!([x], attrs)], ref.argmax);
      }),
      { numRuns: RUNS },
    );
  });

  test(`${op}: gradient matches finite differences (≤ 1e-6 relative)`, () => {
    fc.assert(
      fc.property(caseArb, ({ shape, axis, keepdims, seed }) => {
        const next = rng(seed);
        const { graph, leaves, root } = singleOp(op, [valuesFor(op, shape, next)], {
          axis,
          keepdims,
        });
        const w = randomWeights(root.value.shape, next);
        graph.backward(root, w);
        const analytic = leaves[0].grad;
        assert.ok(analytic);
        assert.deepEqual(analytic.shape, shape);
        // Sums, means and max away from ties are linear in the input: h only scales rounding.
        const err = maxRelativeError(analytic, numericGradient(graph, root, leaves[0], w, 1e-3));
        assert.ok(err <= 1e-6, `relative error ${err}`);
      }),
      { numRuns: RUNS },
    );
  });

  test(`${op}: saves exactly what backward reads`, () => {
    const def = getOp(op);
    const expected = op === 'max' ? { inputs: [0], output: false } : { inputs: [], output: false };
    assert.deepEqual(def.saves({ axis: null, keepdims: false }), expected);
    fc.assert(
      fc.property(caseArb, ({ shape, axis, keepdims, seed }) => {
        const next = rng(seed);
        const attrs = { axis, keepdims };
        const x = valuesFor(op, shape, next);
        const output = def.forward([x], attrs);
        const g = tensorOf(output.shape, () => next() - 0.5);
        const saved = def.saves(attrs);
        const nan = (t: Tensor) => new Tensor(t.shape, new Float64Array(t.size).fill(NaN));
        const full = def.backward(g, { inputs: [x], output, attrs }, [true]);
        const stripped = def.backward(
          g,
          {
            inputs: [saved.inputs.includes(0) ? x : nan(x)],
            output: saved.output ? output : nan(output),
            attrs,
          },
          [true],
        );
        assert.deepEqual(stripped[0]?.data, full[0]?.data);
        assert.deepEqual(def.backward(g, { inputs: [x], output, attrs }, [false]), [null]);
      }),
      { numRuns: RUNS },
    );
  });
}

test('reductions composed with broadcasting: X − mean(X, keepdims), X / sum(X, axis=0, keepdims)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer(),
      (m, n, seed) => {
        const next = rng(seed);
        const graph = new Graph();
        const x = graph.leaf(
          tensorOf([m, n], () => 0.5 + 2 * next()),
          { name: 'X', requiresGrad: true },
        );
        const centered = graph.apply('sub', [
          x,
          graph.apply('mean', [x], { axis: -1, keepdims: true }),
        ]);
        const normalized = graph.apply('div', [
          x,
          graph.apply('sum', [x], { axis: 0, keepdims: true }),
        ]);
        const peak = graph.apply('max', [graph.apply('mul', [centered, normalized])], {
          axis: null,
          keepdims: false,
        });
        const root = graph.apply('add', [
          graph.apply('add', [centered, normalized]),
          graph.apply('mul', [peak, graph.leaf(Tensor.filled([n], 0.5), { requiresGrad: false })]),
        ]);
        const w = randomWeights(root.value.shape, next);
        // Ties in the max would be a kink; the products of random values are distinct almost surely.
        const flat = [...graph.recompute(new Map(), root)[peak.inputs[0].id].data].sort(
          (a, b) => a - b,
        );
        fc.pre(flat.every((v, i) => i === 0 || v - flat[i - 1] > 1e-3));
        graph.backward(root, w);
        // Several paths into each X entry can nearly cancel; central differences of this nonlinear
        // objective carry ~1e-10 of rounding, so entries under 1e-4 are compared on that scale.
        const numeric = numericGradient(graph, root, x, w, 1e-5);
        const err = maxRelativeError(x.grad!, numeric, 1e-4);
        assert.ok(err <= 1e-6, `relative error ${err}`);
      },
    ),
    { numRuns: RUNS },
  );
});

test('max gives the gradient to the first maximum (NumPy argmax) and pieces show which', () => {
  const x = Tensor.fromNested([
    [1, 5, 5],
    [7, 2, 7],
  ]);
  const { graph, leaves, root } = singleOp('max', [x], { axis: 1, keepdims: false });
  assert.deepEqual(root.value.toNested(), [5, 7]);
  graph.backward(root, Tensor.fromNested([10, 20]));
  assert.deepEqual(leaves[0].grad!.toNested(), [
    [0, 10, 0],
    [20, 0, 0],
  ]);
  // pieces are flat input indices; nudging the later tied 5 up moves the gradient to it.
  const attrs = { axis: 1, keepdims: false };
  assert.deepEqual([...getOp('max').pieces!([x], attrs)], [1, 3]);
  const nudged = x.clone();
  nudged.data[2] += 1e-6;
  assert.deepEqual([...getOp('max').pieces!([nudged], attrs)], [2, 3]);
  // Over all axes: the first maximum in row-major order.
  assert.deepEqual([...getOp('max').pieces!([x], { axis: null, keepdims: false })], [3]);
  // NaN wins, as in NumPy.
  const withNaN = getOp('max').forward([Tensor.fromNested([1, NaN, 3])], {
    axis: null,
    keepdims: false,
  });
  assert.ok(Number.isNaN(withNaN.item()));
});

test('reduction attrs: absent axis means all axes, absent keepdims means false, [] reduces nothing', () => {
  const x = Tensor.fromNested([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.equal(getOp('sum').forward([x], {}).item(), 21);
  assert.equal(getOp('mean').forward([x], {}).item(), 3.5);
  assert.deepEqual(getOp('sum').forward([x], { axis: 0 }).toNested(), [5, 7, 9]);
  assert.deepEqual(
    getOp('mean')
      .forward([x], { axis: [-1], keepdims: true })
      .toNested(),
    [[2], [5]],
  );
  assert.deepEqual(
    getOp('max')
      .forward([x], { axis: [0, 1], keepdims: true })
      .toNested(),
    [[6]],
  );
  assert.deepEqual(
    getOp('sum').forward([x], { axis: [], keepdims: false }).toNested(),
    x.toNested(),
  );
  assert.equal(
    getOp('sum')
      .forward([Tensor.scalar(4)], { axis: 0, keepdims: false })
      .item(),
    4,
  );
  assert.ok(Number.isNaN(getOp('mean').forward([new Tensor([0, 2])], { axis: 0 }).data[0]));
});

test('axis errors say the rank and shape and what to use', () => {
  const message = (op: string, shape: Shape, attrs: ReduceAttrs): string => {
    try {
      getOp(op).inferShape([shape], attrs);
    } catch (e) {
      assert.ok(e instanceof ShapeError);
      return e.message;
    }
    assert.fail('should not fit');
  };
  assert.equal(
    message('sum', [2, 3], { axis: 2, keepdims: false }),
    'sum over axis 2: out of range for a tensor of rank 2 (shape 2×3) — use an axis from -2 to 1',
  );
  assert.equal(
    message('mean', [2, 3], { axis: [0, -3], keepdims: true }),
    'mean over axis -3: out of range for a tensor of rank 2 (shape 2×3) — use an axis from -2 to 1',
  );
  assert.match(
    message('sum', [], { axis: 1, keepdims: false }),
    /out of range for a scalar \(rank 0\) — leave axis out/,
  );
  assert.match(message('max', [2, 3], { axis: [1, -1], keepdims: false }), /axis 1 is given twice/);
  assert.match(message('sum', [2, 3], { axis: 0.5, keepdims: false }), /an axis is a whole number/);
  assert.match(
    message('max', [0, 3], { axis: 0, keepdims: false }),
    /max over axis 0 of a 0×3 tensor: the slices are empty/,
  );
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 0, max: 5 }),
      fc.boolean(),
      fc.constantFrom('sum', 'mean', 'max'),
      (shape, beyond, negative, op) => {
        const rank = shape.length;
        const axis = negative ? -rank - 1 - beyond : rank + beyond;
        const m = message(op, shape, { axis, keepdims: false });
        assert.ok(m.includes(`rank ${rank}`) && m.includes(shape.join('×')), m);
      },
    ),
    { numRuns: RUNS },
  );
});

test('reduction LaTeX: index-form formula and local derivative, matrix-form VJP', () => {
  const rows = latexCtx([2, 3], { axis: 0, keepdims: false });
  const cols = latexCtx([2, 3], { axis: 1, keepdims: true });
  const all = latexCtx([2, 3], { axis: null, keepdims: false });
  const sum = getOp('sum').latex;
  assert.equal(sum.formula(rows), '\\sum_{i} A_{ij}');
  assert.equal(sum.formula(all), '\\sum_{i,j} A_{ij}');
  assert.equal(
    sum.local(0, rows),
    "\\frac{\\partial s_{j}}{\\partial A_{ij'}} = \\mathbb{1}[j = j']",
  );
  assert.equal(sum.local(0, all), '\\frac{\\partial s}{\\partial A_{ij}} = 1');
  // Summing over rows: a column of ones times the row δ; over columns: δ times a row of ones.
  assert.equal(sum.vjp(0, rows), '\\mathbf{1}_{2}\\, \\delta');
  assert.equal(sum.vjp(0, cols), '\\delta\\, \\mathbf{1}_{3}^\\top');
  assert.equal(sum.vjp(0, all), '\\delta\\, \\mathbf{1}_{2 \\times 3}');
  const mean = getOp('mean').latex;
  assert.equal(mean.formula(cols), '\\frac{1}{3} \\sum_{j} A_{ij}');
  assert.equal(mean.vjp(0, cols), '\\frac{1}{3}\\, \\delta\\, \\mathbf{1}_{3}^\\top');
  assert.equal(mean.local(0, all), '\\frac{\\partial s}{\\partial A_{ij}} = \\frac{1}{6}');
  const max = getOp('max').latex;
  const mctx = latexCtx([2, 3], { axis: 1, keepdims: false }, 'Z_1', 'm');
  assert.equal(max.formula(mctx), '\\max_{j} {Z_1}_{ij}');
  assert.equal(
    max.vjp(0, mctx),
    '(\\delta\\, \\mathbf{1}_{3}^\\top) \\odot \\mathbb{1}[{Z_1}_{ij} = m_{i}]',
  );
  assert.equal(
    max.local(0, mctx),
    "\\frac{\\partial m_{i}}{\\partial {Z_1}_{i'j}} = \\mathbb{1}[i = i']\\, \\mathbb{1}[{Z_1}_{i'j} = m_{i'}]\\ \\text{(the first maximum only)}",
  );
  // Higher rank: the copy of δ along the reduced axes is named, with the target shape.
  const t3 = latexCtx([2, 3, 4], { axis: [0, 2], keepdims: false }, 'T');
  assert.equal(sum.formula(t3), '\\sum_{i,k} T_{ijk}');
  assert.equal(
    sum.vjp(0, t3),
    '\\operatorname{expand}(\\delta\\ \\text{along axes 0, 2} \\to 2 \\times 3 \\times 4)',
  );
  // Nothing reduced: the identity.
  const none = latexCtx([], { axis: null, keepdims: false }, 'x');
  assert.equal(sum.formula(none), 'x');
  assert.equal(sum.vjp(0, none), '\\delta');
});

test('reduction LaTeX renders for any operand name, shape and axes', () => {
  fc.assert(
    fc.property(caseArb, latexNames, latexNames, ({ shape, axis, keepdims }, arg, out) => {
      for (const op of ['sum', 'mean', 'max']) {
        const c = latexCtx(shape, { axis, keepdims }, arg, out);
        const l = getOp(op).latex;
        for (const text of [l.formula(c), l.local(0, c), l.vjp(0, c)]) assertLatexSane(text);
      }
    }),
    { numRuns: RUNS },
  );
});
