/**
 * exp, log, sqrt, abs: forward against Math, backward against central differences of a randomly
 * weighted output on random shapes, abs's kink and pieces, what each saves, and the LaTeX.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { LatexContext } from '../../src/engine/op';
import { getOp } from '../../src/engine/ops/index';
import { type Shape, Tensor } from '../../src/engine/tensor';
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

/** Shapes of rank 0–3 with sizes 1–4. */
const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 });

/** Input values per op: positive for log and sqrt, away from the kink at 0 for abs. */
const domains: Record<string, (next: () => number) => number> = {
  exp: (next) => -2 + 4 * next(),
  log: (next) => 0.2 + 2.8 * next(),
  sqrt: (next) => 0.2 + 2.8 * next(),
  abs: (next) => (0.1 + 1.9 * next()) * (next() < 0.5 ? -1 : 1),
};

/**
 * Step per op: smooth functions need a small h (truncation error ~h²), abs is linear on each side
 * of its kink, so a larger h only shrinks rounding error.
 */
const steps: Record<string, number> = { exp: 1e-5, log: 1e-5, sqrt: 1e-5, abs: 1e-3 };

const reference: Record<string, (x: number) => number> = {
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
};

function latexCtx(arg: string, shape: Shape = [2, 3]): LatexContext {
  return { args: [arg], out: 'Y', grad: '\\delta', shapes: [shape], outShape: shape, attrs: {} };
}

for (const name of ['exp', 'log', 'sqrt', 'abs']) {
  test(`${name}: forward is elementwise ${name}, shape kept`, () => {
    fc.assert(
      fc.property(shapeArb, fc.integer(), (shape, seed) => {
        const next = rng(seed);
        const x = tensorOf(shape, () => domains[name](next));
        const y = getOp(name).forward([x], {});
        assert.deepEqual(y.shape, shape);
        assert.deepEqual(getOp(name).inferShape([shape], {}), shape);
        for (let i = 0; i < x.size; i++) assert.equal(y.data[i], reference[name](x.data[i]));
      }),
      { numRuns: RUNS },
    );
  });

  test(`${name}: gradient matches finite differences (≤ 1e-6 relative)`, () => {
    fc.assert(
      fc.property(shapeArb, fc.integer(), (shape, seed) => {
        const next = rng(seed);
        const x = tensorOf(shape, () => domains[name](next));
        const { graph, leaves, root } = singleOp(name, [x]);
        const w = randomWeights(root.value.shape, next);
        graph.backward(root, w);
        const analytic = leaves[0].grad;
        assert.ok(analytic);
        assert.deepEqual(analytic.shape, shape);
        const numeric = numericGradient(graph, root, leaves[0], w, steps[name]);
        const err = maxRelativeError(analytic, numeric);
        assert.ok(err <= 1e-6, `relative error ${err} on shape ${shape}`);
      }),
      { numRuns: RUNS },
    );
  });

  test(`${name}: saves exactly what backward reads`, () => {
    const op = getOp(name);
    const saved = op.saves({});
    // exp and sqrt reuse their output; log and abs need their input.
    const expected =
      name === 'exp' || name === 'sqrt'
        ? { inputs: [], output: true }
        : { inputs: [0], output: false };
    assert.deepEqual(saved, expected);
    fc.assert(
      fc.property(shapeArb, fc.integer(), (shape, seed) => {
        const next = rng(seed);
        const x = tensorOf(shape, () => domains[name](next));
        const output = op.forward([x], {});
        const g = tensorOf(shape, () => next() - 0.5);
        const nan = (t: Tensor) => new Tensor(t.shape, new Float64Array(t.size).fill(NaN));
        const full = op.backward(g, { inputs: [x], output, attrs: {} }, [true]);
        const stripped = op.backward(
          g,
          {
            inputs: [saved.inputs.includes(0) ? x : nan(x)],
            output: saved.output ? output : nan(output),
            attrs: {},
          },
          [true],
        );
        assert.deepEqual(stripped[0]?.data, full[0]?.data);
        assert.deepEqual(op.backward(g, { inputs: [x], output, attrs: {} }, [false]), [null]);
      }),
      { numRuns: RUNS },
    );
  });
}

test('abs: gradient at 0 is 0 (sign, as PyTorch); pieces are the signs', () => {
  const x = Tensor.fromNested([-2, 0, 3, -0.5]);
  const { graph, leaves, root } = singleOp('abs', [x]);
  graph.backward(root, Tensor.fromNested([10, 10, 10, 10]));
  assert.deepEqual(
    [...leaves[0].grad!.data].map((v) => v + 0),
    [-10, 0, 10, -10],
  );
  assert.deepEqual([...getOp('abs').pieces!([x], {})], [-1, 0, 1, -1]);
  fc.assert(
    fc.property(shapeArb, fc.integer(), (shape, seed) => {
      const next = rng(seed);
      const v = tensorOf(shape, () => (next() < 0.2 ? 0 : next() - 0.5));
      const p = getOp('abs').pieces!([v], {});
      assert.equal(p.length, v.size);
      for (let i = 0; i < v.size; i++) assert.equal(p[i], Math.sign(v.data[i]) + 0);
    }),
    { numRuns: RUNS },
  );
  // The smooth ops have no kinks to report.
  for (const name of ['exp', 'log', 'sqrt']) assert.equal(getOp(name).pieces, undefined);
});

test('unary edge values follow IEEE like NumPy: log 0 = −∞, log of a negative is NaN', () => {
  const y = getOp('log').forward([Tensor.fromNested([0, -1])], {});
  assert.equal(y.data[0], -Infinity);
  assert.ok(Number.isNaN(y.data[1]));
  const s = getOp('sqrt').forward([Tensor.fromNested([0])], {});
  const g = getOp('sqrt').backward(
    Tensor.fromNested([1]),
    { inputs: [Tensor.fromNested([0])], output: s, attrs: {} },
    [true],
  );
  assert.equal(g[0]!.data[0], Infinity);
});

test('unary LaTeX: formula, diagonal local derivative, elementwise VJP', () => {
  const c = latexCtx('Z_1');
  assert.equal(getOp('exp').latex.formula(c), 'e^{Z_1}');
  assert.equal(getOp('exp').latex.local(0, c), '\\operatorname{diag}(e^{Z_1})');
  assert.equal(getOp('exp').latex.vjp(0, c), '\\delta \\odot e^{Z_1}');
  assert.equal(getOp('log').latex.formula(c), '\\log Z_1');
  assert.equal(getOp('log').latex.local(0, c), '\\operatorname{diag}(1 / Z_1)');
  assert.equal(getOp('log').latex.vjp(0, c), '\\delta \\oslash Z_1');
  assert.equal(getOp('sqrt').latex.formula(c), '\\sqrt{Z_1}');
  assert.equal(
    getOp('sqrt').latex.local(0, c),
    '\\operatorname{diag}\\left(\\frac{1}{2\\sqrt{Z_1}}\\right)',
  );
  assert.equal(getOp('sqrt').latex.vjp(0, c), '\\delta \\oslash (2\\sqrt{Z_1})');
  assert.equal(getOp('abs').latex.formula(c), '\\lvert Z_1 \\rvert');
  assert.equal(getOp('abs').latex.local(0, c), '\\operatorname{diag}(\\operatorname{sign}(Z_1))');
  assert.equal(getOp('abs').latex.vjp(0, c), '\\delta \\odot \\operatorname{sign}(Z_1)');
});

test('unary LaTeX renders for any operand name', () => {
  fc.assert(
    fc.property(latexNames, shapeArb, (arg, shape) => {
      for (const name of ['exp', 'log', 'sqrt', 'abs']) {
        const c = latexCtx(arg, shape);
        const l = getOp(name).latex;
        for (const text of [l.formula(c), l.local(0, c), l.vjp(0, c)]) assertLatexSane(text);
      }
    }),
    { numRuns: RUNS },
  );
});
