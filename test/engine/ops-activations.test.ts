/**
 * relu, leaky_relu, sigmoid, tanh, softplus, gelu: backward against finite differences on random
 * shapes and values, forward against independent formulas and known values, LaTeX that renders.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { erf, erfc, geluOf } from '../../src/engine/ops/activations';
import { getOp } from '../../src/engine/ops/index';
import { Tensor } from '../../src/engine/tensor';
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

/**
 * Random shape, values in [min, max] and output weights. `moveOff` relocates values that sit
 * where a relative error means nothing (a kink, a zero of the derivative): a filter would reject
 * nearly every case, since fast-check favours 0 and the bounds.
 */
function caseArb(min: number, max: number, moveOff: (x: number) => number = (x) => x) {
  return shapeArb(0, 3).chain((shape) =>
    fc.record({
      x: tensorArb(shape, min, max).map((t) => new Tensor(t.shape, t.data.map(moveOff))),
      w: weightsArb(shape),
    }),
  );
}

function gradientProperty(
  op: string,
  arb: fc.Arbitrary<{ x: Tensor; w: Tensor }>,
  attrs: Record<string, number> = {},
  seed = 1,
): void {
  let runs = 0;
  fc.assert(
    fc.property(arb, ({ x, w }) => {
      const { worst, detail } = checkGradients(op, [x], attrs, w);
      assert.ok(worst <= 1e-6, `${op}: relative error ${worst}; x = ${x.toNested()}\n${detail}`);
      runs++;
    }),
    { numRuns: RUNS, seed },
  );
  assert.ok(runs >= 200, `only ${runs} cases ran`);
}

/** Keeps |x| > 1e-3, off relu's kink: values closer to 0 are pushed out to ±0.5. */
const awayFromKink = (x: number): number => (Math.abs(x) > 1e-3 ? x : x < 0 ? -0.5 : 0.5);

test('relu: backward equals finite differences (|x| > 1e-3)', () => {
  gradientProperty('relu', caseArb(-3, 3, awayFromKink), {}, 11);
});

test('leaky_relu: backward equals finite differences, default and random alpha', () => {
  gradientProperty('leaky_relu', caseArb(-3, 3, awayFromKink), {}, 12);
  let runs = 0;
  fc.assert(
    fc.property(caseArb(-3, 3, awayFromKink), valueArb(-1, 2), ({ x, w }, alpha) => {
      const { worst, detail } = checkGradients('leaky_relu', [x], { alpha }, w);
      assert.ok(worst <= 1e-6, `alpha ${alpha}: relative error ${worst}\n${detail}`);
      runs++;
    }),
    { numRuns: RUNS, seed: 13 },
  );
  assert.ok(runs >= 200);
});

test('sigmoid: backward equals finite differences', () => {
  gradientProperty('sigmoid', caseArb(-6, 6), {}, 14);
});

test('tanh: backward equals finite differences', () => {
  gradientProperty('tanh', caseArb(-3, 3), {}, 15);
});

test('softplus: backward equals finite differences', () => {
  gradientProperty('softplus', caseArb(-6, 6), {}, 16);
});

test('gelu: backward equals finite differences (away from its minimum at x ≈ -0.75)', () => {
  // gelu' vanishes at x ≈ -0.7518, where no relative error is meaningful.
  gradientProperty(
    'gelu',
    caseArb(-4, 4, (x) => (Math.abs(x + 0.7518) < 0.02 ? x + 0.1 : x)),
    {},
    17,
  );
});

test('relu: derivative at exactly 0 is 0 (as PyTorch), and the forward is max(0, x)', () => {
  const { graph, leaves, root } = singleOp('relu', [Tensor.fromNested([-2, 0, 3])]);
  assert.deepEqual(root.value.toNested(), [0, 0, 3]);
  graph.backward(root);
  assert.deepEqual(leaves[0].grad?.toNested(), [0, 0, 1]);
});

test('relu and leaky_relu pieces tell the side of 0 of each element', () => {
  const x = Tensor.fromNested([
    [-1, 0],
    [2, -0.5],
  ]);
  assert.deepEqual([...getOp('relu').pieces!([x], {})], [-1, 0, 1, -1]);
  assert.deepEqual([...getOp('leaky_relu').pieces!([x], { alpha: 0.2 })], [-1, 0, 1, -1]);
});

test('leaky_relu: a missing alpha means 0.01; a given alpha is used', () => {
  const x = Tensor.fromNested([-2, 3]);
  assert.deepEqual(singleOp('leaky_relu', [x]).root.value.toNested(), [-0.02, 3]);
  assert.deepEqual(singleOp('leaky_relu', [x], { alpha: 0.5 }).root.value.toNested(), [-1, 3]);
  const { graph, leaves, root } = singleOp('leaky_relu', [x]);
  graph.backward(root);
  assert.deepEqual(leaves[0].grad?.toNested(), [0.01, 1]);
  assert.throws(() => singleOp('leaky_relu', [x], { alpha: true }), /alpha must be a number/);
});

test('sigmoid, tanh, softplus forward agree with their textbook formulas and stay finite', () => {
  fc.assert(
    fc.property(valueArb(-30, 30), (v) => {
      const x = Tensor.scalar(v);
      const s = singleOp('sigmoid', [x]).root.value.item();
      assert.ok(Math.abs(s - 1 / (1 + Math.exp(-v))) <= 1e-15);
      const t = singleOp('tanh', [x]).root.value.item();
      assert.ok(Math.abs(t - (Math.exp(2 * v) - 1) / (Math.exp(2 * v) + 1)) <= 1e-14);
      const sp = singleOp('softplus', [x]).root.value.item();
      assert.ok(Math.abs(sp - Math.log(1 + Math.exp(v))) <= 1e-13 * Math.max(1, Math.abs(sp)));
    }),
    { numRuns: RUNS, seed: 18 },
  );
  // Far out, the naive formulas overflow; the stable ones do not.
  const big = Tensor.fromNested([-1000, 1000]);
  assert.deepEqual(singleOp('sigmoid', [big]).root.value.toNested(), [0, 1]);
  assert.deepEqual(singleOp('softplus', [big]).root.value.toNested(), [0, 1000]);
  // softplus(−40) = log1p(e^−40) ≈ e^−40: a naive log(1 + e^x) would give 0.
  const tiny = singleOp('softplus', [Tensor.scalar(-40)]).root.value.item();
  assert.ok(Math.abs(tiny - Math.exp(-40)) <= 1e-15 * Math.exp(-40));
});

test('gelu matches known values (x Φ(x), exact erf form) to 1e-15', () => {
  // x Φ(x) from mpmath at 30 digits, rounded to 17.
  const known: [number, number][] = [
    [1, 0.8413447460685429],
    [-1, -0.15865525393145705],
    [2, 1.9544997361036416],
    [0.5, 0.34573123063700656],
    [-3, -0.0040496940948902835],
    [0, 0],
  ];
  for (const [x, y] of known) {
    const got = singleOp('gelu', [Tensor.scalar(x)]).root.value.item();
    assert.ok(
      Math.abs(got - y) <= 1e-15 * Math.max(1, Math.abs(y)),
      `gelu(${x}) = ${got}, want ${y}`,
    );
  }
  // Far left, x Φ(x) is tiny but not 0: erfc keeps its digits where 1 + erf(x/√2) would lose
  // nearly all of them (1 + erf(−7.07) cancels to 0 in float64). What remains is the rounding
  // of x/√2, which e^{−x²/2} amplifies by x²: about 1e-14 relative at x = −10.
  const far = geluOf(-10);
  const want = -7.619853024160526e-23;
  assert.ok(Math.abs(far - want) <= 2e-14 * Math.abs(want), `gelu(-10) = ${far}`);
});

test('erf and erfc match known values to 1e-15 relative', () => {
  const known: [number, number, number][] = [
    // x, erf(x), erfc(x): mpmath at 30 digits, rounded to 17
    [0.1, 0.1124629160182849, 0.887537083981715],
    [0.5, 0.5204998778130465, 0.4795001221869535],
    [1, 0.8427007929497149, 0.15729920705028513],
    [2, 0.9953222650189527, 0.004677734981047266],
    [3.5, 0.9999992569016276, 7.430983723414128e-7],
    [5, 0.9999999999984626, 1.537459794428035e-12],
    [10, 1, 2.088487583762545e-45],
  ];
  for (const [x, e, c] of known) {
    assert.ok(Math.abs(erf(x) - e) <= 1e-15 * e, `erf(${x}) = ${erf(x)}`);
    assert.ok(Math.abs(erf(-x) + e) <= 1e-15 * e, `erf(${-x}) = ${erf(-x)}`);
    assert.ok(Math.abs(erfc(x) - c) <= 2e-15 * c, `erfc(${x}) = ${erfc(x)}`);
    assert.ok(Math.abs(erfc(-x) - (2 - c)) <= 1e-15, `erfc(${-x}) = ${erfc(-x)}`);
  }
  // erf is odd and monotone on a fine grid; erf + erfc = 1.
  let prev = -1;
  for (let x = -6; x <= 6; x += 1 / 64) {
    const e = erf(x);
    assert.ok(e >= prev, `erf not monotone at ${x}`);
    assert.ok(Math.abs(e + erf(-x)) <= 1e-16);
    assert.ok(Math.abs(e + erfc(x) - 1) <= 2e-16);
    prev = e;
  }
});

test('what each activation saves for backward', () => {
  assert.deepEqual(getOp('relu').saves({}), { inputs: [], output: true });
  assert.deepEqual(getOp('leaky_relu').saves({}), { inputs: [0], output: false });
  assert.deepEqual(getOp('sigmoid').saves({}), { inputs: [], output: true });
  assert.deepEqual(getOp('tanh').saves({}), { inputs: [], output: true });
  assert.deepEqual(getOp('softplus').saves({}), { inputs: [0], output: false });
  assert.deepEqual(getOp('gelu').saves({}), { inputs: [0], output: false });
});

test('activation LaTeX: the documented forms, and every form renders', () => {
  const relu = getOp('relu');
  const c = latexContext(relu, ['Z_1'], [[2, 3]], {}, '\\delta_1');
  assert.equal(relu.latex.formula(c), '\\max(0, Z_1)');
  assert.equal(relu.latex.local(0, c), '\\operatorname{diag}(\\mathbb{1}[Z_1 > 0])');
  assert.equal(relu.latex.vjp(0, c), '\\delta_1 \\odot \\mathbb{1}[Z_1 > 0]');
  const sigmoid = getOp('sigmoid');
  assert.equal(
    sigmoid.latex.local(0, latexContext(sigmoid, ['x'], [[3]])),
    '\\operatorname{diag}(\\sigma(x)(1-\\sigma(x)))',
  );
  const leaky = getOp('leaky_relu');
  assert.equal(leaky.latex.formula(latexContext(leaky, ['Z'], [[3]])), '\\max(0.01\\, Z, Z)');
  assert.match(
    leaky.latex.formula(latexContext(leaky, ['Z'], [[3]], { alpha: 1e-7 })),
    /1 \\times 10\^\{-7\}/,
  );
  for (const name of ['relu', 'leaky_relu', 'sigmoid', 'tanh', 'softplus', 'gelu']) {
    const op = getOp(name);
    for (const args of [['Z_1'], ['(X W_1 + b_1)'], ['\\bar{H}']]) {
      const attrSets: Record<string, number>[] =
        name === 'leaky_relu' ? [{}, { alpha: -2 }, { alpha: 3e-9 }] : [{}];
      for (const attrs of attrSets) {
        assertOpLatexRenders(op, latexContext(op, args, [[2, 2]], attrs));
      }
    }
  }
});
