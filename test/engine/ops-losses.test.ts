/**
 * cross_entropy, softmax_cross_entropy, mse, bce, one_hot: gradients against finite differences
 * on random shapes and both label layouts; values against hand-computed examples and against
 * each other (fused vs. unfused, indices vs. one-hot); label and shape errors; LaTeX.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Graph } from '../../src/engine/graph';
import { ShapeError } from '../../src/engine/op';
import { getOp } from '../../src/engine/ops/index';
import { LabelError } from '../../src/engine/ops/losses';
import { type Shape, Tensor } from '../../src/engine/tensor';
import { singleOp } from '../helpers/finite';
import {
  assertOpLatexRenders,
  checkGradients,
  latexContext,
  shapeArb,
  tensorArb,
  valueArb,
  weightsArb,
} from '../helpers/opcheck';

const RUNS = 250;

/** Class indices for n rows of c classes. */
const indexLabels = (n: number, c: number, single: boolean) =>
  fc
    .array(fc.integer({ min: 0, max: c - 1 }), { minLength: n, maxLength: n })
    .map((v) => (single ? Tensor.scalar(v[0]) : new Tensor([n], Float64Array.from(v))));

/**
 * Target rows: one-hot, or soft weights that are 0 or at least 0.1 (so no gradient element is
 * a vanishing multiple of the weight, where relative errors mean nothing).
 */
const denseLabels = (shape: Shape, n: number, c: number) =>
  fc.oneof(
    fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: n, maxLength: n }).map((labels) => {
      const t = new Tensor(shape);
      labels.forEach((k, i) => (t.data[i * c + k] = 1));
      return t;
    }),
    fc
      .array(fc.oneof(fc.constant(0), valueArb(0.1, 1)), { minLength: n * c, maxLength: n * c })
      .map((v) => new Tensor(shape, Float64Array.from(v))),
  );

/** P (or Z) of shape N×C or a single row C, labels in either layout, and a scalar weight. */
function lossCase(min: number, max: number) {
  return fc
    .record({
      n: fc.integer({ min: 1, max: 4 }),
      c: fc.integer({ min: 1, max: 4 }),
      single: fc.boolean(),
      dense: fc.boolean(),
    })
    .chain(({ n: rows, c, single, dense }) => {
      const n = single ? 1 : rows;
      const shape = single ? [c] : [n, c];
      return fc.record({
        p: tensorArb(shape, min, max),
        y: dense ? denseLabels(shape, n, c) : indexLabels(n, c, single),
        w: weightsArb([]),
      });
    });
}

function lossGradientProperty(op: string, min: number, max: number, seed: number): void {
  let runs = 0;
  fc.assert(
    fc.property(lossCase(min, max), ({ p, y, w }) => {
      const { worst, detail } = checkGradients(op, [p, y], {}, w, [true, false]);
      assert.ok(
        worst <= 1e-6,
        `${op}: relative error ${worst}; P ${JSON.stringify(p.toNested())}, y ${JSON.stringify(y.toNested())}\n${detail}`,
      );
      runs++;
    }),
    { numRuns: RUNS, seed },
  );
  assert.ok(runs >= 200, `only ${runs} cases ran`);
}

test('cross_entropy: gradient w.r.t. P equals finite differences; labels get none', () => {
  lossGradientProperty('cross_entropy', 0.1, 1, 31);
});

test('softmax_cross_entropy: gradient w.r.t. Z equals finite differences; labels get none', () => {
  lossGradientProperty('softmax_cross_entropy', -5, 5, 32);
});

/** Two shapes that broadcast: b is a with some axes set to 1 and some leading axes dropped. */
const broadcastPair = shapeArb(0, 3).chain((a) =>
  fc
    .record({
      ones: fc.array(fc.boolean(), { minLength: a.length, maxLength: a.length }),
      drop: fc.integer({ min: 0, max: a.length }),
      swap: fc.boolean(),
    })
    .map(({ ones, drop, swap }) => {
      const b = a.map((d, k) => (ones[k] ? 1 : d)).slice(drop);
      return swap ? [b, a] : [a, b];
    }),
);

test('mse: gradients of both operands equal finite differences, with broadcasting', () => {
  let runs = 0;
  fc.assert(
    fc.property(
      broadcastPair.chain(([sa, sb]) =>
        fc.record({ a: tensorArb(sa, -3, 3), b: tensorArb(sb, -3, 3), w: weightsArb([]) }),
      ),
      ({ a, b, w }) => {
        const { worst, detail } = checkGradients('mse', [a, b], {}, w);
        assert.ok(worst <= 1e-6, `mse: relative error ${worst}\n${detail}`);
        runs++;
      },
    ),
    { numRuns: RUNS, seed: 33 },
  );
  assert.ok(runs >= 200);
});

test('bce: gradient w.r.t. p equals finite differences; targets get none', () => {
  let runs = 0;
  fc.assert(
    fc.property(
      shapeArb(0, 3).chain((shape) =>
        fc.record({
          p: tensorArb(shape, 0.05, 0.95),
          y: fc
            .array(fc.constantFrom(0, 0.3, 0.7, 1), {
              minLength: shape.reduce((x, d) => x * d, 1),
              maxLength: shape.reduce((x, d) => x * d, 1),
            })
            .map((v) => new Tensor(shape, Float64Array.from(v))),
          w: weightsArb([]),
        }),
      ),
      ({ p, y, w }) => {
        const { worst, detail } = checkGradients('bce', [p, y], {}, w, [true, false]);
        assert.ok(worst <= 1e-6, `bce: relative error ${worst}\n${detail}`);
        runs++;
      },
    ),
    { numRuns: RUNS, seed: 34 },
  );
  assert.ok(runs >= 200);
});

test('one_hot: rows of zeros with a 1 at each label; no gradient flows through it', () => {
  let runs = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }).chain((c) =>
        shapeArb(0, 2).chain((shape) =>
          fc.record({
            c: fc.constant(c),
            y: fc
              .array(fc.integer({ min: 0, max: c - 1 }), {
                minLength: shape.reduce((x, d) => x * d, 1),
                maxLength: shape.reduce((x, d) => x * d, 1),
              })
              .map((v) => new Tensor(shape, Float64Array.from(v))),
          }),
        ),
      ),
      ({ c, y }) => {
        const graph = new Graph();
        const labels = graph.leaf(y, { name: 'y', requiresGrad: true });
        const rows = graph.apply('one_hot', [labels], { classes: c });
        assert.deepEqual(rows.value.shape, [...y.shape, c]);
        for (let i = 0; i < y.size; i++) {
          for (let k = 0; k < c; k++) {
            assert.equal(rows.value.data[i * c + k], k === y.data[i] ? 1 : 0);
          }
        }
        assert.equal(rows.requiresGrad, false);
        graph.backward(rows);
        assert.equal(labels.grad, null);
        assert.deepEqual(
          getOp('one_hot').backward(
            rows.value,
            { inputs: [y], output: rows.value, attrs: { classes: c } },
            [true],
          ),
          [null],
        );
        runs++;
      },
    ),
    { numRuns: RUNS, seed: 35 },
  );
  assert.ok(runs >= 200);
});

test('class indices and their one-hot rows give the same loss and gradient', () => {
  fc.assert(
    fc.property(lossCase(0.1, 1), ({ p }) => {
      const [n, c] = p.rank === 2 ? p.shape : [1, p.shape[0]];
      // Fresh index labels for this P (lossCase may have drawn dense ones).
      const labels = Array.from({ length: n }, (_, i) => (i * 7 + 3) % c);
      const y = p.rank === 2 ? Tensor.fromNested(labels) : Tensor.scalar(labels[0]);
      const yRows = singleOp('one_hot', [y], { classes: c }).root.value;
      for (const op of ['cross_entropy', 'softmax_cross_entropy']) {
        const a = singleOp(op, [p, y], {}, [true, false]);
        const b = singleOp(op, [p, yRows], {}, [true, false]);
        assert.ok(Math.abs(a.root.value.item() - b.root.value.item()) <= 1e-15);
        a.graph.backward(a.root);
        b.graph.backward(b.root);
        assert.deepEqual(a.leaves[0].grad?.toNested(), b.leaves[0].grad?.toNested());
      }
    }),
    { numRuns: RUNS, seed: 36 },
  );
});

test('softmax_cross_entropy(Z, y) = cross_entropy(softmax(Z), y), and its gradient is (softmax(Z) − Y)/N', () => {
  fc.assert(
    fc.property(lossCase(-5, 5), ({ p: z, y }) => {
      const graph = new Graph();
      const zl = graph.leaf(z, { name: 'Z', requiresGrad: true });
      const yl = graph.leaf(y, { name: 'y', requiresGrad: false });
      const unfused = graph.apply('cross_entropy', [
        graph.apply('softmax', [zl], { axis: -1 }),
        yl,
      ]);
      const fused = singleOp('softmax_cross_entropy', [z, y], {}, [true, false]);
      const a = unfused.value.item();
      const b = fused.root.value.item();
      assert.ok(Math.abs(a - b) <= 1e-13 * Math.max(1, Math.abs(a)), `${a} vs ${b}`);
      // For one-hot or index labels (rows summing to 1) the fused gradient is (P − Y)/N.
      const rows =
        y.rank === z.rank ? y : singleOp('one_hot', [y], { classes: z.shape.at(-1)! }).root.value;
      const n = z.rank === 2 ? z.shape[0] : 1;
      const c = z.shape.at(-1)!;
      let rowSumsAreOne = true;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < c; k++) s += rows.data[i * c + k];
        if (Math.abs(s - 1) > 1e-12) rowSumsAreOne = false;
      }
      fused.graph.backward(fused.root);
      if (rowSumsAreOne) {
        const p = singleOp('softmax', [z], { axis: -1 }).root.value;
        const grad = fused.leaves[0].grad!;
        for (let j = 0; j < z.size; j++) {
          assert.ok(Math.abs(grad.data[j] - (p.data[j] - rows.data[j]) / n) <= 1e-15);
        }
      }
    }),
    { numRuns: RUNS, seed: 37 },
  );
});

test('cross_entropy on a hand example: −(log 0.7 + log 0.8)/2, gradient −1/(N·P) at the labels', () => {
  const P = Tensor.fromNested([
    [0.7, 0.2, 0.1],
    [0.1, 0.8, 0.1],
  ]);
  const { graph, leaves, root } = singleOp('cross_entropy', [P, Tensor.fromNested([0, 1])], {}, [
    true,
    false,
  ]);
  assert.ok(Math.abs(root.value.item() - 0.2899092476264711) <= 1e-15);
  assert.ok(Math.abs(root.value.item() - -(Math.log(0.7) + Math.log(0.8)) / 2) <= 1e-16);
  graph.backward(root);
  assert.deepEqual(leaves[0].grad?.toNested(), [
    [-1 / (2 * 0.7), 0, 0],
    [0, -1 / (2 * 0.8), 0],
  ]);
  // A single row with a scalar label.
  const one = singleOp('cross_entropy', [Tensor.fromNested([0.25, 0.75]), Tensor.scalar(1)]);
  assert.equal(one.root.value.item(), -Math.log(0.75));
  // Soft labels: −Σ y log p per row, averaged.
  const soft = singleOp('cross_entropy', [
    Tensor.fromNested([[0.5, 0.5]]),
    Tensor.fromNested([[0.3, 0.7]]),
  ]);
  assert.ok(Math.abs(soft.root.value.item() - Math.LN2) <= 1e-16);
  // A zero probability where the target is 0 costs nothing (no 0·log 0 = NaN).
  const zero = singleOp('cross_entropy', [Tensor.fromNested([[0, 1]]), Tensor.fromNested([1])]);
  assert.equal(zero.root.value.item(), 0);
});

test('softmax_cross_entropy stays finite for huge logits', () => {
  const z = Tensor.fromNested([
    [1000, 0],
    [0, -1000],
  ]);
  const right = singleOp('softmax_cross_entropy', [z, Tensor.fromNested([0, 0])]);
  assert.equal(right.root.value.item(), 0);
  const wrong = singleOp('softmax_cross_entropy', [z, Tensor.fromNested([1, 1])], {}, [
    true,
    false,
  ]);
  assert.equal(wrong.root.value.item(), 1000);
  wrong.graph.backward(wrong.root);
  assert.deepEqual(wrong.leaves[0].grad?.toNested(), [
    [0.5, -0.5],
    [0.5, -0.5],
  ]);
});

test('mse and bce on hand examples', () => {
  const m = singleOp('mse', [Tensor.fromNested([1, 2, 3]), Tensor.fromNested([1, 1, 1])]);
  assert.equal(m.root.value.item(), 5 / 3);
  m.graph.backward(m.root);
  assert.deepEqual(m.leaves[0].grad?.toNested(), [0, 2 / 3, 4 / 3]);
  // (+ 0 turns the −0 of −2·0/3 into 0.)
  assert.deepEqual(
    Array.from(m.leaves[1].grad!.data, (v) => v + 0),
    [0, -2 / 3, -4 / 3],
  );
  // Broadcast: b is stretched over the rows, so its gradient sums them.
  const mb = singleOp('mse', [
    Tensor.fromNested([
      [1, 2],
      [3, 4],
    ]),
    Tensor.fromNested([0, 0]),
  ]);
  assert.equal(mb.root.value.item(), 30 / 4);
  mb.graph.backward(mb.root);
  assert.deepEqual(mb.leaves[1].grad?.toNested(), [-2, -3]);

  const b = singleOp('bce', [Tensor.fromNested([0.9, 0.2]), Tensor.fromNested([1, 0])]);
  assert.ok(Math.abs(b.root.value.item() - -(Math.log(0.9) + Math.log(0.8)) / 2) <= 1e-16);
  // PyTorch clamps each log at −100: a confident wrong answer costs 100, not ∞.
  const clamped = singleOp('bce', [Tensor.fromNested([0, 1]), Tensor.fromNested([1, 0])]);
  assert.equal(clamped.root.value.item(), 100);
});

test('label errors say which label, where, and what the classes are', () => {
  const P = Tensor.filled([3, 3], 1 / 3);
  const labelError = (message: string) => (e: unknown) =>
    e instanceof LabelError && e instanceof ShapeError && e.message === message;
  assert.throws(
    () => singleOp('cross_entropy', [P, Tensor.fromNested([0, 1, 3])]),
    labelError(
      'label 3 in row 2 is out of range: P has 3 classes (0..2); class labels count from 0',
    ),
  );
  assert.throws(
    () => singleOp('cross_entropy', [P, Tensor.fromNested([-1, 1, 2])]),
    labelError(
      'label -1 in row 0 is out of range: P has 3 classes (0..2); class labels count from 0',
    ),
  );
  assert.throws(
    () => singleOp('cross_entropy', [P, Tensor.fromNested([0, 1.5, 2])]),
    labelError(
      'label 1.5 in row 1 is not a whole number: class labels are indices 0..2 ' +
        '(to give probabilities per class instead, make y 3×3)',
    ),
  );
  assert.throws(
    () => singleOp('softmax_cross_entropy', [P, Tensor.fromNested([0, 4, 2])]),
    labelError(
      'label 4 in row 1 is out of range: Z has 3 classes (0..2); class labels count from 0',
    ),
  );
  assert.throws(
    () => singleOp('cross_entropy', [Tensor.fromNested([0.5, 0.5]), Tensor.scalar(2)]),
    labelError('label 2 is out of range: P has 2 classes (0..1); class labels count from 0'),
  );
  assert.throws(
    () =>
      singleOp(
        'one_hot',
        [
          Tensor.fromNested([
            [0, 1],
            [5, 2],
          ]),
        ],
        { classes: 3 },
      ),
    labelError(
      'label 5 at [1, 0] is out of range: one_hot(y, classes=3) has 3 classes (0..2); class labels count from 0',
    ),
  );
  assert.throws(
    () => singleOp('one_hot', [Tensor.fromNested([NaN])], { classes: 3 }),
    /label NaN in row 0 is not a whole number/,
  );
});

test('shape errors say what shapes were expected', () => {
  const shapeError = (message: string) => (e: unknown) =>
    e instanceof ShapeError && !(e instanceof LabelError) && e.message === message;
  assert.throws(
    () => singleOp('cross_entropy', [Tensor.filled([4, 3], 0.3), Tensor.filled([5], 0)]),
    shapeError(
      'cross_entropy(P, y): P is 4×3 (4 samples, 3 classes) but y is 5 — give y as 4 class ' +
        'indices (one per row) or as 4×3 one-hot rows',
    ),
  );
  assert.throws(
    () => singleOp('cross_entropy', [Tensor.filled([2, 3, 4], 0.3), Tensor.filled([2], 0)]),
    shapeError(
      'cross_entropy(P, y): P is 2×3×4, but it must be N×C (one row of class probabilities per ' +
        'sample) or a single row of C',
    ),
  );
  assert.throws(
    () => singleOp('softmax_cross_entropy', [Tensor.filled([3], 0), Tensor.filled([2, 3], 0)]),
    shapeError(
      'softmax_cross_entropy(Z, y): Z is a single row of 3 classes but y is 2×3 — give y as one ' +
        'class index or as a one-hot row of 3',
    ),
  );
  assert.throws(
    () => singleOp('bce', [Tensor.filled([4, 1], 0.5), Tensor.filled([4], 0)]),
    shapeError(
      'bce(p, y): p is 4×1 but y is 4 — give y the same shape as p (one 0/1 target per probability)',
    ),
  );
  assert.throws(
    () => singleOp('mse', [Tensor.filled([2, 3], 0), Tensor.filled([2], 0)]),
    shapeError(
      'mse(a, b): a is 2×3 and b is 2, which do not broadcast — give b the shape of a ' +
        '(trailing sizes must be equal or 1)',
    ),
  );
  assert.throws(
    () => singleOp('one_hot', [Tensor.filled([2], 0)]),
    shapeError(
      'one_hot needs classes=C, the number of classes as a positive whole number (got none), ' +
        'e.g. one_hot(y, classes=3)',
    ),
  );
  assert.throws(() => singleOp('one_hot', [Tensor.filled([2], 0)], { classes: 2.5 }), /got 2.5/);
});

test('what the losses save for backward', () => {
  for (const op of ['cross_entropy', 'softmax_cross_entropy', 'mse', 'bce']) {
    assert.deepEqual(getOp(op).saves({}), { inputs: [0, 1], output: false }, op);
  }
  assert.deepEqual(getOp('one_hot').saves({ classes: 3 }), { inputs: [], output: false });
  assert.deepEqual(getOp('cross_entropy').nonDifferentiable, [1]);
  assert.deepEqual(getOp('softmax_cross_entropy').nonDifferentiable, [1]);
  assert.deepEqual(getOp('bce').nonDifferentiable, [1]);
  assert.deepEqual(getOp('one_hot').nonDifferentiable, [0]);
});

test('loss LaTeX: the documented forms, and every form renders', () => {
  const ce = getOp('cross_entropy');
  const ci = latexContext(ce, ['P', 'y'], [[4, 3], [4]], {}, '1');
  assert.equal(ce.latex.formula(ci), '-\\frac{1}{N}\\sum_i \\log P_{i, y_i}');
  assert.equal(ce.latex.vjp(0, ci), '-\\frac{1}{N}\\, \\operatorname{onehot}(y) \\oslash P');
  const cd = latexContext(
    ce,
    ['P', 'Y'],
    [
      [4, 3],
      [4, 3],
    ],
    {},
    '1',
  );
  assert.equal(ce.latex.vjp(0, cd), '-\\frac{1}{N}\\, Y \\oslash P');
  assert.equal(ce.latex.local(0, cd), '-\\frac{1}{N}\\, Y \\oslash P');
  const sce = getOp('softmax_cross_entropy');
  const sd = latexContext(
    sce,
    ['Z', 'Y'],
    [
      [4, 3],
      [4, 3],
    ],
    {},
    '1',
  );
  assert.equal(sce.latex.vjp(0, sd), '\\frac{1}{N}(\\operatorname{softmax}(Z) - Y)');
  assert.equal(
    sce.latex.vjp(0, { ...sd, grad: '\\bar{L}' }),
    '\\frac{\\bar{L}}{N}(\\operatorname{softmax}(Z) - Y)',
  );
  const cases: [string, Shape[], Record<string, number>][] = [
    ['cross_entropy', [[4, 3], [4]], {}],
    [
      'cross_entropy',
      [
        [4, 3],
        [4, 3],
      ],
      {},
    ],
    ['cross_entropy', [[3], []], {}],
    ['cross_entropy', [[3], [3]], {}],
    ['softmax_cross_entropy', [[4, 3], [4]], {}],
    [
      'softmax_cross_entropy',
      [
        [4, 3],
        [4, 3],
      ],
      {},
    ],
    ['softmax_cross_entropy', [[3], []], {}],
    ['softmax_cross_entropy', [[3], [3]], {}],
    ['mse', [[4, 3], [3]], {}],
    ['mse', [[], [2]], {}],
    [
      'bce',
      [
        [4, 1],
        [4, 1],
      ],
      {},
    ],
    ['one_hot', [[4]], { classes: 3 }],
  ];
  for (const [name, shapes, attrs] of cases) {
    const op = getOp(name);
    for (const args of [
      ['P', 'y'],
      ['P_2', 'y_1'],
      ['\\sigma(Z_2)', '\\hat{Y}'],
    ]) {
      for (const grad of ['1', '\\delta', '\\bar{L}_1']) {
        assertOpLatexRenders(op, latexContext(op, args.slice(0, op.arity), shapes, attrs, grad));
      }
    }
  }
});
