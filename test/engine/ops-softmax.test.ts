/**
 * softmax, log_softmax, logsumexp: backward against finite differences on random shapes, axes
 * and values; forward against an independent naive implementation and on logits large enough
 * to overflow the naive one; axis errors; LaTeX.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ShapeError } from '../../src/engine/op';
import { getOp } from '../../src/engine/ops/index';
import { type Shape, Tensor, stridesOf } from '../../src/engine/tensor';
import { singleOp } from '../helpers/finite';
import {
  assertOpLatexRenders,
  checkGradients,
  latexContext,
  shapeArb,
  tensorArb,
  weightsArb,
} from '../helpers/opcheck';

const RUNS = 250;

/** A random shape of rank 1..3, values in ±5, an axis written either way (2 or −1), keepdims. */
const axisCase = shapeArb(1, 3).chain((shape) =>
  fc.record({
    x: tensorArb(shape, -5, 5),
    axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
    keepdims: fc.boolean(),
  }),
);

function gradientProperty(op: string, seed: number): void {
  let runs = 0;
  fc.assert(
    fc.property(
      axisCase.chain((c) => {
        const attrs: Record<string, number | boolean> =
          op === 'logsumexp' ? { axis: c.axis, keepdims: c.keepdims } : { axis: c.axis };
        const outShape = getOp(op).inferShape([c.x.shape], attrs);
        return weightsArb(outShape).map((w) => ({ x: c.x, attrs, w }));
      }),
      ({ x, attrs, w }) => {
        const { worst, detail } = checkGradients(op, [x], attrs, w);
        assert.ok(
          worst <= 1e-6,
          `${op} ${JSON.stringify(attrs)}: relative error ${worst}\n${detail}`,
        );
        runs++;
      },
    ),
    { numRuns: RUNS, seed },
  );
  assert.ok(runs >= 200, `only ${runs} cases ran`);
}

test('softmax: backward equals finite differences, random shapes and axes', () => {
  gradientProperty('softmax', 21);
});

test('log_softmax: backward equals finite differences, random shapes and axes', () => {
  gradientProperty('log_softmax', 22);
});

test('logsumexp: backward equals finite differences, random shapes, axes, keepdims', () => {
  gradientProperty('logsumexp', 23);
});

/**
 * The naive definitions, computed independently of the engine: for every element, walk its
 * lane by changing only the axis coordinate. Fine for the moderate values used here.
 */
function naive(x: Tensor, axis: number): { softmax: number[]; lse: number[] } {
  const shape: Shape = x.shape;
  const a = axis < 0 ? axis + shape.length : axis;
  const strides = stridesOf(shape);
  const softmax: number[] = [];
  const lse: number[] = [];
  for (let j = 0; j < x.size; j++) {
    const coord = Math.floor(j / strides[a]) % shape[a];
    const laneStart = j - coord * strides[a];
    let sum = 0;
    for (let k = 0; k < shape[a]; k++) sum += Math.exp(x.data[laneStart + k * strides[a]]);
    softmax.push(Math.exp(x.data[j]) / sum);
    if (coord === 0) lse.push(Math.log(sum));
  }
  return { softmax, lse };
}

test('forward: softmax, log_softmax and logsumexp agree with the naive formulas on every axis', () => {
  fc.assert(
    fc.property(axisCase, ({ x, axis, keepdims }) => {
      const want = naive(x, axis);
      const p = singleOp('softmax', [x], { axis }).root.value;
      const logp = singleOp('log_softmax', [x], { axis }).root.value;
      const lse = singleOp('logsumexp', [x], { axis, keepdims }).root.value;
      for (let j = 0; j < x.size; j++) {
        assert.ok(Math.abs(p.data[j] - want.softmax[j]) <= 1e-15);
        assert.ok(Math.abs(logp.data[j] - Math.log(want.softmax[j])) <= 1e-13);
      }
      // logsumexp's lanes come out in the order of the reduced shape; naive lists them by their
      // first element, which is the same order.
      assert.equal(lse.size, want.lse.length);
      for (let q = 0; q < lse.size; q++) assert.ok(Math.abs(lse.data[q] - want.lse[q]) <= 1e-13);
      // Each lane of softmax sums to 1.
      const a = axis < 0 ? axis + x.rank : axis;
      const sums = singleOp('logsumexp', [singleOp('log_softmax', [x], { axis }).root.value], {
        axis: a,
      }).root.value;
      for (const s of sums.data) assert.ok(Math.abs(s) <= 1e-14, `a lane's softmax sums to e^${s}`);
    }),
    { numRuns: RUNS, seed: 24 },
  );
});

test('softmax rows sum to 1 (default axis −1 is each row)', () => {
  const x = Tensor.fromNested([
    [1, 2, 3],
    [-1, 0, 10],
  ]);
  const p = singleOp('softmax', [x]).root.value;
  for (let i = 0; i < 2; i++) {
    const row = p.data.subarray(3 * i, 3 * i + 3);
    assert.ok(Math.abs(row[0] + row[1] + row[2] - 1) <= 1e-15);
  }
  // Rows are independent: shifting one row by a constant changes nothing.
  const shifted = singleOp('softmax', [
    Tensor.fromNested([
      [101, 102, 103],
      [-1, 0, 10],
    ]),
  ]).root.value;
  for (let j = 0; j < 6; j++) assert.ok(Math.abs(shifted.data[j] - p.data[j]) <= 1e-15);
});

test('large logits: no overflow, no NaN', () => {
  assert.deepEqual(
    singleOp('softmax', [Tensor.fromNested([1000, 0])]).root.value.toNested(),
    [1, 0],
  );
  assert.deepEqual(
    singleOp('softmax', [Tensor.fromNested([-1000, 0])]).root.value.toNested(),
    [0, 1],
  );
  assert.deepEqual(
    singleOp('log_softmax', [Tensor.fromNested([1000, 0])]).root.value.toNested(),
    [0, -1000],
  );
  const logp = singleOp('log_softmax', [Tensor.fromNested([[800, 790, -5000]])]).root.value;
  for (const v of logp.data) assert.ok(Number.isFinite(v));
  assert.ok(Math.abs(logp.data[1] - (-10 - Math.log1p(Math.exp(-10)))) <= 1e-12);
  const lse = singleOp('logsumexp', [Tensor.fromNested([1000, 1000])]).root.value.item();
  assert.ok(Math.abs(lse - (1000 + Math.LN2)) <= 1e-12);
  // −∞ entries are simply left out; a lane of all −∞ has logsumexp −∞ (not NaN).
  assert.deepEqual(
    singleOp('softmax', [Tensor.fromNested([-Infinity, 0])]).root.value.toNested(),
    [0, 1],
  );
  assert.equal(
    singleOp('logsumexp', [Tensor.fromNested([-Infinity, -Infinity])]).root.value.item(),
    -Infinity,
  );
  // The gradient through large logits is finite too.
  const { graph, leaves, root } = singleOp('softmax', [Tensor.fromNested([1000, 0])]);
  graph.backward(root, Tensor.fromNested([1, 0]));
  for (const v of leaves[0].grad!.data) assert.ok(Number.isFinite(v));
});

test('logsumexp output shapes: the axis is dropped, or kept as 1 with keepdims', () => {
  const op = getOp('logsumexp');
  assert.deepEqual(op.inferShape([[2, 3, 4]], {}), [2, 3]);
  assert.deepEqual(op.inferShape([[2, 3, 4]], { axis: 1 }), [2, 4]);
  assert.deepEqual(op.inferShape([[2, 3, 4]], { axis: 0, keepdims: true }), [1, 3, 4]);
  assert.deepEqual(op.inferShape([[5]], {}), []);
  const x = Tensor.fromNested([
    [0, Math.log(3)],
    [Math.log(2), Math.log(2)],
  ]);
  const rows = singleOp('logsumexp', [x], { axis: 1, keepdims: true }).root.value;
  assert.deepEqual(rows.shape, [2, 1]);
  assert.ok(Math.abs(rows.data[0] - Math.log(4)) <= 1e-15);
  assert.ok(Math.abs(rows.data[1] - Math.log(4)) <= 1e-15);
  const cols = singleOp('logsumexp', [x], { axis: 0 }).root.value;
  assert.ok(Math.abs(cols.data[0] - Math.log(3)) <= 1e-15);
  assert.ok(Math.abs(cols.data[1] - Math.log(5)) <= 1e-15);
});

test('a scalar has softmax 1, log_softmax 0, logsumexp itself', () => {
  const x = Tensor.scalar(7);
  assert.equal(singleOp('softmax', [x]).root.value.item(), 1);
  assert.equal(singleOp('log_softmax', [x]).root.value.item(), 0);
  assert.equal(singleOp('logsumexp', [x]).root.value.item(), 7);
});

test('an axis out of range is a ShapeError that says which axes exist', () => {
  for (const op of ['softmax', 'log_softmax', 'logsumexp']) {
    assert.throws(
      () => singleOp(op, [Tensor.filled([2, 3], 0)], { axis: 2 }),
      (e: unknown) =>
        e instanceof ShapeError &&
        e.message ===
          `${op}(axis=2) on a 2×3 tensor: axis must be a whole number in -2..1 (-1 is the last axis: each row)`,
    );
    assert.throws(
      () => singleOp(op, [Tensor.filled([3], 0)], { axis: 0.5 }),
      /whole number in 0 or -1/,
    );
  }
  assert.throws(
    () => singleOp('logsumexp', [Tensor.filled([3], 0)], { keepdims: 1 }),
    /keepdims must be True or False/,
  );
});

test('what softmax, log_softmax and logsumexp save for backward', () => {
  assert.deepEqual(getOp('softmax').saves({}), { inputs: [], output: true });
  assert.deepEqual(getOp('log_softmax').saves({}), { inputs: [], output: true });
  // logsumexp recomputes the lane's max and sum from its input: at 1e308 its output has lost log s.
  assert.deepEqual(getOp('logsumexp').saves({}), { inputs: [0], output: false });
});

test('softmax LaTeX: the documented forms, and every form renders', () => {
  const softmax = getOp('softmax');
  const c = { ...latexContext(softmax, ['Z_2'], [[4, 3]]), out: 'P' };
  assert.equal(softmax.latex.formula(c), '\\operatorname{softmax}(Z_2)');
  assert.equal(
    softmax.latex.local(0, c),
    '\\operatorname{diag}(p) - p\\, p^\\top\\ \\text{for each row } p \\text{ of } P',
  );
  assert.equal(
    softmax.latex.vjp(0, c),
    'P \\odot \\left(\\delta - (\\delta \\odot P)\\mathbf{1}\\mathbf{1}^\\top\\right)',
  );
  assert.match(
    softmax.latex.formula(latexContext(softmax, ['Z'], [[4, 3]], { axis: 0 })),
    /softmax\}_\{\\text\{axis \} 0\}/,
  );
  for (const name of ['softmax', 'log_softmax', 'logsumexp']) {
    const op = getOp(name);
    const shapes: Shape[] = [[], [3], [2, 3], [2, 3, 4]];
    for (const shape of shapes) {
      for (let axis = -Math.max(shape.length, 1); axis < Math.max(shape.length, 1); axis++) {
        for (const keepdims of [false, true]) {
          for (const arg of ['Z_2', 'x', '(X W + b)']) {
            const attrs: Record<string, number | boolean> =
              name === 'logsumexp' ? { axis, keepdims } : { axis };
            assertOpLatexRenders(op, latexContext(op, [arg], [shape], attrs));
          }
        }
      }
    }
  }
});
