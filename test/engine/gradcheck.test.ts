import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../../src/engine/graph';
import {
  cs231nBands,
  gradeCheck,
  gradeOf,
  gradientCheck,
  relativeError,
  unravel,
} from '../../src/engine/gradcheck';
import { jacobian } from '../../src/engine/jacobian';
import { Tensor } from '../../src/engine/tensor';

test('grades follow the CS231n bands', () => {
  assert.equal(gradeOf(0, cs231nBands), 'good');
  assert.equal(gradeOf(1e-7, cs231nBands), 'good');
  assert.equal(gradeOf(2e-7, cs231nBands), 'ok');
  assert.equal(gradeOf(1e-4, cs231nBands), 'ok');
  assert.equal(gradeOf(5e-3, cs231nBands), 'doubtful');
  assert.equal(gradeOf(0.02, cs231nBands), 'wrong');
  assert.equal(gradeOf(Number.NaN, cs231nBands), 'wrong');
});

test('relative error is |a-n|/max(|a|,|n|) above the noise floor, absolute below it', () => {
  assert.equal(relativeError(1, 1.5, 1e-8), 0.5 / 1.5);
  assert.equal(relativeError(0, 3e-11, 1e-8), 3e-11);
});

test('a smooth graph checks good everywhere', () => {
  const g = new Graph();
  const x = g.leaf(
    Tensor.fromNested([
      [0.3, -1.2],
      [2.0, 0.7],
    ]),
    { name: 'x', requiresGrad: true },
  );
  const w = g.leaf(Tensor.fromNested([1.5, -0.5]), { name: 'w', requiresGrad: true });
  const y = g.apply('sum', [g.apply('mul', [g.apply('mul', [x, w]), x])], {
    axis: null,
    keepdims: false,
  });
  g.backward(y);
  const report = gradientCheck(g, y, [x, w]);
  assert.equal(report.passed, true);
  assert.equal(report.grade, 'good');
  assert.deepEqual(
    report.tensors.map((t) => [t.name, t.elements.length, t.grade]),
    [
      ['x', 4, 'good'],
      ['w', 2, 'good'],
    ],
  );
});

test('a wrong analytic gradient is graded wrong with its worst element', () => {
  const g = new Graph();
  const x = g.leaf(Tensor.fromNested([1, 2, 3]), { name: 'x', requiresGrad: true });
  const y = g.apply('sum', [g.apply('mul', [x, x])], { axis: null, keepdims: false });
  g.backward(y);
  x.grad!.data[1] = 5; // true value 4
  const report = gradientCheck(g, y, [x]);
  assert.equal(report.passed, false);
  const t = report.tensors[0];
  assert.equal(t.grade, 'wrong');
  assert.equal(t.worst?.index, 1);
  assert.ok(Math.abs(t.worst!.numeric - 4) < 1e-8);
  assert.equal(t.worst?.analytic, 5);
});

test('an element whose perturbation crosses a relu kink is reported as kink, not failure', () => {
  const g = new Graph();
  // 1e-7 lies within h = 1e-6 of relu's kink at 0: the central difference straddles it.
  const x = g.leaf(Tensor.fromNested([1e-7, 0.5, -0.5]), { name: 'x', requiresGrad: true });
  const y = g.apply('sum', [g.apply('relu', [x])], { axis: null, keepdims: false });
  g.backward(y);
  const report = gradientCheck(g, y, [x]);
  const t = report.tensors[0];
  assert.deepEqual(
    t.elements.map((e) => e.grade),
    ['kink', 'good', 'good'],
  );
  assert.equal(t.kinks, 1);
  assert.equal(report.passed, true);
});

test('large tensors are checked on a seeded sample that says so', () => {
  const g = new Graph();
  const x = g.leaf(Tensor.filled([50, 40], 0.25), { name: 'x', requiresGrad: true });
  const y = g.apply('sum', [g.apply('mul', [x, x])], { axis: null, keepdims: false });
  g.backward(y);
  const a = gradientCheck(g, y, [x], { maxElementsPerTensor: 100 });
  const b = gradientCheck(g, y, [x], { maxElementsPerTensor: 100 });
  assert.equal(a.tensors[0].sampled, true);
  assert.equal(a.tensors[0].elements.length, 100);
  assert.deepEqual(
    a.tensors[0].elements.map((e) => e.index),
    b.tensors[0].elements.map((e) => e.index),
  );
  assert.equal(a.grade, 'good');
});

test('unravel gives the position of a flat index', () => {
  assert.deepEqual(unravel(5, [2, 3]), [1, 2]);
  assert.deepEqual(unravel(0, []), []);
});

test('the explicit Jacobian of an elementwise product is diagonal', () => {
  const g = new Graph();
  const x = g.leaf(Tensor.fromNested([1, 2]), { name: 'x', requiresGrad: true });
  const w = g.leaf(Tensor.fromNested([3, 4]), { name: 'w', requiresGrad: false });
  const y = g.apply('mul', [x, w]);
  const j = jacobian(g, y, x);
  assert.deepEqual(j?.shape, [2, 2]);
  assert.deepEqual(j?.toNested(), [
    [3, 0],
    [0, 4],
  ]);
  assert.equal(jacobian(g, y, x, 3), null);
});

// A NaN or ±∞ on either side cannot be compared: `not-comparable` with the side that is not
// finite, never `wrong` (that would blame a backward rule for the numbers).
function sumOf(op: string, values: number[]) {
  const g = new Graph();
  const x = g.leaf(Tensor.fromNested(values), { name: 'x', requiresGrad: true });
  const y = g.apply('sum', [g.apply(op, [x])], { axis: null, keepdims: false });
  g.backward(y);
  return { g, x, y };
}

test('sqrt at 0: ∞ from backprop, NaN from the difference — not comparable, and the tensor says so', () => {
  const { g, x, y } = sumOf('sqrt', [0, 1, 4]);
  const report = gradientCheck(g, y, [x]);
  const t = report.tensors[0];
  assert.deepEqual(
    t.elements.map((e) => e.grade),
    ['not-comparable', 'good', 'good'],
  );
  assert.deepEqual(t.elements[0].notFinite, { analytic: 'inf', numeric: 'nan' });
  assert.equal(t.elements[1].notFinite, undefined);
  // The NaN element is the worst one (it used to be dropped for a finite one: the tensor read good).
  assert.equal(t.grade, 'not-comparable');
  assert.equal(t.worst?.index, 0);
  assert.equal(t.notComparable, 1);
  assert.equal(report.grade, 'not-comparable');
  assert.equal(report.passed, false, 'an ∞ gradient is not a usable one');
});

test('log just above 0: a finite gradient, the difference reaching log of a negative — numeric side only', () => {
  const { g, x, y } = sumOf('log', [1e-7, 1]);
  const t = gradientCheck(g, y, [x]).tensors[0];
  assert.equal(t.grade, 'not-comparable');
  assert.equal(t.worst?.analytic, 1e7);
  assert.deepEqual(t.worst?.notFinite, { analytic: null, numeric: 'nan' });
  // A smaller step stays inside the domain, and the same gradient checks good.
  const fine = gradientCheck(g, y, [x], { h: 1e-9 }).tensors[0];
  assert.ok(fine.grade === 'good' || fine.grade === 'ok', fine.grade);
  assert.equal(fine.notComparable, undefined);
});

test('a finite mismatch in the same tensor still reads wrong, and is the worst element shown', () => {
  const { g, x, y } = sumOf('sqrt', [0, 1, 4]);
  x.grad!.data[2] = 1; // true value 0.25
  const report = gradientCheck(g, y, [x]);
  const t = report.tensors[0];
  assert.deepEqual(
    t.elements.map((e) => e.grade),
    ['not-comparable', 'good', 'wrong'],
  );
  assert.equal(t.grade, 'wrong');
  assert.equal(t.worst?.index, 2);
  assert.equal(report.grade, 'wrong');
});

test('gradeCheck: a NaN or ∞ wins over a kink and the bands; −∞ is told apart', () => {
  assert.deepEqual(gradeCheck(Number.NaN, 1, Number.NaN, true, cs231nBands), {
    grade: 'not-comparable',
    notFinite: { analytic: 'nan', numeric: null },
  });
  assert.deepEqual(gradeCheck(2, -Infinity, Number.NaN, false, cs231nBands), {
    grade: 'not-comparable',
    notFinite: { analytic: null, numeric: '-inf' },
  });
  assert.deepEqual(gradeCheck(1, 1.5, 1 / 3, true, cs231nBands), { grade: 'kink' });
  assert.deepEqual(gradeCheck(1, 1.5, 1 / 3, false, cs231nBands), { grade: 'wrong' });
});

test('fast mode: the direction over a tensor with an ∞ gradient is not comparable too', () => {
  const { g, x, y } = sumOf('sqrt', [0, 1, 4]);
  const report = gradientCheck(g, y, [x], { mode: 'fast' });
  assert.equal(report.tensors[0].directional?.grade, 'not-comparable');
  // ⟨∇f, u⟩ with an ∞ in ∇f: ±∞ by the sign of u there.
  assert.match(report.tensors[0].directional?.notFinite?.analytic ?? '', /^-?inf$/);
  assert.equal(report.directional?.grade, 'not-comparable');
  assert.equal(report.passed, false);
});
