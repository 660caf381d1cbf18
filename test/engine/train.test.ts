/**
 * The compiled training step: on random MLPs (any depth, widths, batch, activation, label layout,
 * bias shape) its loss and gradients are bitwise those of Graph.backward, and its SGD steps those
 * of rebuilding the graph each step; graphs with ops off the fast paths, shared subexpressions and
 * fed inputs give the Graph API's numbers too; buffers are reused; errors say what to do.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Graph, type Node } from '../../src/engine/graph';
import { ShapeError } from '../../src/engine/op';
import { LabelError } from '../../src/engine/ops/losses';
import { type Shape, Tensor } from '../../src/engine/tensor';
import { compileTrainingStep } from '../../src/engine/train';

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

function randomTensor(shape: Shape, next: () => number, scale = 1): Tensor {
  const t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = (next() * 2 - 1) * scale;
  return t;
}

interface MlpSpec {
  readonly widths: readonly number[];
  readonly batch: number;
  readonly activation: 'relu' | 'leaky_relu' | 'sigmoid' | 'tanh';
  readonly labels: 'index' | 'dense';
  readonly rowBias: boolean;
  readonly seed: number;
}

interface Built {
  readonly graph: Graph;
  readonly loss: Node;
  readonly params: Node[];
  readonly x: Node;
  readonly y: Node;
}

/** The MLP as the spec layer would record it, with the given parameter values (or random). */
function buildMlp(spec: MlpSpec, values?: readonly Tensor[], x?: Tensor, y?: Tensor): Built {
  const next = rng(spec.seed);
  const g = new Graph();
  const { widths, batch } = spec;
  const xNode = g.leaf(x ?? randomTensor([batch, widths[0]], next, 2), {
    name: 'X',
    requiresGrad: false,
  });
  const classes = widths[widths.length - 1];
  let labels = y;
  if (!labels) {
    if (spec.labels === 'index') {
      labels = new Tensor([batch]);
      for (let i = 0; i < batch; i++) labels.data[i] = Math.floor(next() * classes);
    } else {
      // Soft targets whose rows do not sum to 1, so the Σ_c Y factor is exercised.
      labels = randomTensor([batch, classes], next);
      for (let i = 0; i < labels.size; i++) labels.data[i] = Math.abs(labels.data[i]);
    }
  }
  const yNode = g.leaf(labels, { name: 'y', requiresGrad: false });
  const params: Node[] = [];
  let h = xNode;
  for (let l = 0; l + 1 < widths.length; l++) {
    const wValue = values?.[2 * l] ?? randomTensor([widths[l], widths[l + 1]], next);
    const bShape = spec.rowBias ? [1, widths[l + 1]] : [widths[l + 1]];
    const bValue = values?.[2 * l + 1] ?? randomTensor(bShape, next);
    const w = g.leaf(wValue, { name: `W_${l + 1}`, requiresGrad: true });
    const b = g.leaf(bValue, { name: `b_${l + 1}`, requiresGrad: true });
    params.push(w, b);
    h = g.apply('add', [g.apply('matmul', [h, w]), b]);
    if (l + 2 < widths.length) {
      h = g.apply(spec.activation, [h], spec.activation === 'leaky_relu' ? { alpha: 0.1 } : {});
    }
  }
  const loss = g.apply('softmax_cross_entropy', [h, yNode]);
  return { graph: g, loss, params, x: xNode, y: yNode };
}

const mlpSpec: fc.Arbitrary<MlpSpec> = fc.record({
  widths: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 4 }),
  batch: fc.integer({ min: 1, max: 7 }),
  activation: fc.constantFrom('relu', 'leaky_relu', 'sigmoid', 'tanh'),
  labels: fc.constantFrom('index', 'dense'),
  rowBias: fc.boolean(),
  seed: fc.integer(),
});

function assertSameArray(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i]) && !(actual[i] === 0 && expected[i] === 0)) {
      assert.fail(`${what}[${i}]: ${actual[i]} but the Graph API gives ${expected[i]}`);
    }
  }
}

test('random MLPs: loss and gradients are bitwise those of Graph.backward', () => {
  fc.assert(
    fc.property(mlpSpec, (spec) => {
      const { graph, loss, params } = buildMlp(spec);
      graph.backward(loss);
      const plan = compileTrainingStep(graph, loss, params, { learningRate: 0.1 });
      assert.equal(plan.summary.generic.length, 0, 'an MLP runs on fast paths only');
      assert.equal(plan.summary.dense, spec.widths.length - 1, 'every layer is one dense group');
      const value = plan.computeGradients();
      assert.ok(Object.is(value, loss.value.item()), `loss ${value} vs ${loss.value.item()}`);
      for (const p of params) assertSameArray(plan.gradient(p).data, p.grad!.data, p.name!);
    }),
    { numRuns: 150 },
  );
});

test('random MLPs: three SGD steps equal three rebuilt graphs with p − lr·grad', () => {
  fc.assert(
    fc.property(mlpSpec, (spec) => {
      const lr = 0.05;
      const first = buildMlp(spec);
      const plan = compileTrainingStep(first.graph, first.loss, first.params, {
        learningRate: lr,
      });
      let values = first.params.map((p) => p.value);
      for (let s = 0; s < 3; s++) {
        const eager = buildMlp(spec, values, first.x.value, first.y.value);
        eager.graph.backward(eager.loss);
        const planLoss = plan.step();
        assert.ok(Object.is(planLoss, eager.loss.value.item()), `step ${s} loss`);
        values = eager.params.map((p) => {
          const out = new Tensor(p.value.shape);
          for (let i = 0; i < out.size; i++) out.data[i] = p.value.data[i] - lr * p.grad!.data[i];
          return out;
        });
      }
      first.params.forEach((p, i) => assertSameArray(plan.value(p).data, values[i].data, p.name!));
      // The graph the plan was compiled from is untouched.
      const again = buildMlp(spec);
      first.params.forEach((p, i) =>
        assertSameArray(p.value.data, again.params[i].value.data, 'W'),
      );
    }),
    { numRuns: 60 },
  );
});

/** Gradients of every parameter from the plan and from Graph.backward, equal bitwise. */
function assertMatchesGraph(graph: Graph, loss: Node, params: Node[]) {
  graph.backward(loss);
  const plan = compileTrainingStep(graph, loss, params, { learningRate: 0.1 });
  const value = plan.computeGradients();
  assert.ok(Object.is(value, loss.value.item()), `loss ${value} vs ${loss.value.item()}`);
  for (const p of params) assertSameArray(plan.gradient(p).data, p.grad!.data, p.name ?? 'p');
  return plan;
}

test('ops off the fast paths run through their OpDefs and give the Graph API numbers', () => {
  const next = rng(3);
  const g = new Graph();
  const x = g.leaf(randomTensor([5, 4], next), { name: 'X', requiresGrad: false });
  const t = g.leaf(randomTensor([5, 3], next), { name: 'T', requiresGrad: false });
  const w = g.leaf(randomTensor([4, 3], next), { name: 'W', requiresGrad: true });
  const s = g.leaf(randomTensor([3], next), { name: 's', requiresGrad: true });
  // tanh(X W) * s (a broadcast mul), through softplus, against T with mse, plus mean(W ⊙ W).
  const h = g.apply('softplus', [
    g.apply('mul', [g.apply('tanh', [g.apply('matmul', [x, w])]), s]),
  ]);
  const fit = g.apply('mse', [h, t]);
  const l2 = g.apply('mean', [g.apply('mul', [w, w])], { axis: null, keepdims: false });
  const loss = g.apply('add', [fit, l2]);
  const plan = assertMatchesGraph(g, loss, [w, s]);
  assert.deepEqual([...plan.summary.generic].sort(), ['mean', 'mse', 'mul', 'mul', 'softplus']);
  assert.ok(plan.summary.fast >= 3, 'matmul, tanh and the scalar add stay on fast paths');
});

test('a value read by several nodes gets the sum of their gradients (shared subexpressions)', () => {
  const next = rng(9);
  const g = new Graph();
  const x = g.leaf(randomTensor([6, 5], next), { name: 'X', requiresGrad: false });
  const y = g.leaf(Tensor.fromNested([0, 1, 2, 1, 0, 2]), { name: 'y', requiresGrad: false });
  const w1 = g.leaf(randomTensor([5, 4], next), { name: 'W_1', requiresGrad: true });
  const w2 = g.leaf(randomTensor([4, 3], next), { name: 'W_2', requiresGrad: true });
  const w3 = g.leaf(randomTensor([4, 3], next), { name: 'W_3', requiresGrad: true });
  const b = g.leaf(randomTensor([3], next), { name: 'b', requiresGrad: true });
  const h = g.apply('relu', [g.apply('matmul', [x, w1])]);
  // h feeds two matmuls, W_1 reaches the loss by two paths, h + h reads h twice more, and the
  // bias b is added in two dense layers.
  const hh = g.apply('add', [h, h]);
  const z = g.apply('add', [
    g.apply('add', [g.apply('matmul', [h, w2]), b]),
    g.apply('add', [g.apply('matmul', [hh, w3]), b]),
  ]);
  const loss = g.apply('softmax_cross_entropy', [z, y]);
  const plan = assertMatchesGraph(g, loss, [w1, w2, w3, b]);
  assert.equal(plan.summary.generic.length, 0);
  assert.equal(plan.summary.dense, 2, 'the two matmul + b layers');
});

test('a hidden layer read twice is not fused, and still matches', () => {
  const next = rng(11);
  const g = new Graph();
  const x = g.leaf(randomTensor([4, 3], next), { name: 'X', requiresGrad: true });
  const w = g.leaf(randomTensor([3, 5], next), { name: 'W', requiresGrad: true });
  const b = g.leaf(randomTensor([5], next), { name: 'b', requiresGrad: true });
  const zw = g.apply('matmul', [x, w]);
  const z = g.apply('add', [zw, b]);
  const a = g.apply('sigmoid', [z]);
  // zw is also read directly: the dense group would hide it, so it must not form.
  const loss = g.apply('mean', [g.apply('add', [a, zw])], { axis: null, keepdims: false });
  const plan = assertMatchesGraph(g, loss, [x, w, b]);
  assert.equal(plan.summary.dense, 0);
});

test('feeding a new batch gives what a graph built on that batch gives', () => {
  const spec: MlpSpec = {
    widths: [6, 5, 3],
    batch: 4,
    activation: 'relu',
    labels: 'index',
    rowBias: false,
    seed: 5,
  };
  const first = buildMlp(spec);
  const plan = compileTrainingStep(first.graph, first.loss, first.params, { learningRate: 0.1 });
  const next = rng(77);
  const x2 = randomTensor([4, 6], next, 2);
  const y2 = Tensor.fromNested([2, 2, 0, 1]);
  const value = plan.computeGradients(
    new Map([
      [first.x, x2],
      [first.y, y2],
    ]),
  );
  const other = buildMlp(
    spec,
    first.params.map((p) => p.value),
    x2,
    y2,
  );
  other.graph.backward(other.loss);
  assert.ok(Object.is(value, other.loss.value.item()));
  first.params.forEach((p, i) =>
    assertSameArray(plan.gradient(p).data, other.params[i].grad!.data, p.name!),
  );
  assert.throws(
    () => plan.step(new Map([[first.x, randomTensor([5, 6], next)]])),
    (e: Error) =>
      e instanceof ShapeError && /compiled with shape 4×6 but is fed 5×6/.test(e.message),
  );
  assert.throws(
    () => plan.step(new Map([[first.params[0], x2]])),
    /not an input of this step.*feed only data and labels/,
  );
});

test('buffers are reused between steps; values and gradients handed out are copies', () => {
  const spec: MlpSpec = {
    widths: [3, 4, 2],
    batch: 5,
    activation: 'tanh',
    labels: 'index',
    rowBias: true,
    seed: 8,
  };
  const { graph, loss, params } = buildMlp(spec);
  const plan = compileTrainingStep(graph, loss, params, { learningRate: 0.1 });
  plan.step();
  const buffer = plan.gradientBuffer(params[0]);
  const before = buffer.slice();
  plan.step();
  assert.equal(plan.gradientBuffer(params[0]), buffer, 'the same array, step after step');
  assert.notDeepEqual([...buffer], [...before], 'overwritten by the new step');
  const v = plan.value(params[0]);
  v.data.fill(123);
  assert.notEqual(plan.value(params[0]).data[0], 123);
  const gcopy = plan.gradient(params[0]);
  gcopy.data.fill(5);
  assert.notEqual(plan.gradientBuffer(params[0])[0], 5);
});

test('class labels out of range fail with the LabelError the op gives', () => {
  const spec: MlpSpec = {
    widths: [2, 3],
    batch: 2,
    activation: 'relu',
    labels: 'index',
    rowBias: false,
    seed: 1,
  };
  const built = buildMlp(spec);
  const plan = compileTrainingStep(built.graph, built.loss, built.params, { learningRate: 0.1 });
  assert.throws(
    () => plan.step(new Map([[built.y, Tensor.fromNested([0, 3])]])),
    (e: Error) => e instanceof LabelError && /out of range/.test(e.message),
  );
  assert.throws(
    () => plan.step(new Map([[built.y, Tensor.fromNested([0.5, 1])]])),
    (e: Error) => e instanceof LabelError,
  );
});

test('compile errors say what is wrong and what to do', () => {
  const spec: MlpSpec = {
    widths: [2, 3],
    batch: 2,
    activation: 'relu',
    labels: 'index',
    rowBias: false,
    seed: 1,
  };
  const { graph, loss, params } = buildMlp(spec);
  const hidden = loss.inputs[0];
  assert.throws(
    () => compileTrainingStep(graph, hidden, params, { learningRate: 0.1 }),
    /must be a single number.*shape 2×3.*reduce it first/,
  );
  assert.throws(
    () => compileTrainingStep(graph, loss, [hidden], { learningRate: 0.1 }),
    /computed by add, not given — only leaves/,
  );
  const stray = graph.leaf(Tensor.fromNested([1, 2]), { name: 'v', requiresGrad: true });
  assert.throws(
    () => compileTrainingStep(graph, loss, [...params, stray], { learningRate: 0.1 }),
    /v does not affect the loss.*leave it out/,
  );
  assert.throws(
    () => compileTrainingStep(graph, loss, params, { learningRate: Number.NaN }),
    /learning rate must be a finite number/,
  );
  const plan = compileTrainingStep(graph, loss, params, { learningRate: 0.1 });
  assert.throws(() => plan.gradientBuffer(stray), /v is not a parameter of this plan/);
});

test('a parameter whose every path is cut this step gets a zero gradient', () => {
  const g = new Graph();
  const x = g.leaf(Tensor.fromNested([[-1, -2]]), { name: 'X', requiresGrad: false });
  const w = g.leaf(Tensor.fromNested([[1], [1]]), { name: 'W', requiresGrad: true });
  // relu(X W) = relu(−3) = 0: no gradient passes, so W's is 0, not last step's leftovers.
  const loss = g.apply('sum', [g.apply('relu', [g.apply('matmul', [x, w])])], {
    axis: null,
    keepdims: false,
  });
  const plan = assertMatchesGraph(g, loss, [w]);
  assert.deepEqual([...plan.gradient(w).data], [0, 0]);
});
