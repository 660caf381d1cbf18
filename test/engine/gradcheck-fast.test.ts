/**
 * The gradient check's fast mode (sampled elements plus directional checks, as PyTorch's
 * fast_mode): it passes correct gradients, catches a wrong one in an element it never sampled,
 * its sampled differences are those of an independent central difference, it is reproducible,
 * and full-mode reports are unchanged in shape.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph, type Node } from '../../src/engine/graph';
import { gradientCheck } from '../../src/engine/gradcheck';
import { Tensor } from '../../src/engine/tensor';
import { numericGradient } from '../helpers/finite';

/** mulberry32: a tiny seeded generator. */
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

function randomTensor(shape: number[], next: () => number): Tensor {
  const t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = next() * 2 - 1;
  return t;
}

/** A tanh MLP (smooth, so no kinks) with enough weights that sampling matters: 20→30→4. */
function mlp(seed = 1): { graph: Graph; loss: Node; params: Node[] } {
  const next = rng(seed);
  const g = new Graph();
  const x = g.leaf(randomTensor([8, 20], next), { name: 'X', requiresGrad: false });
  const y = g.leaf(Tensor.fromNested([0, 1, 2, 3, 3, 2, 1, 0]), { name: 'y', requiresGrad: false });
  const w1 = g.leaf(randomTensor([20, 30], next), { name: 'W_1', requiresGrad: true });
  const b1 = g.leaf(randomTensor([30], next), { name: 'b_1', requiresGrad: true });
  const w2 = g.leaf(randomTensor([30, 4], next), { name: 'W_2', requiresGrad: true });
  const b2 = g.leaf(randomTensor([4], next), { name: 'b_2', requiresGrad: true });
  const h = g.apply('tanh', [g.apply('add', [g.apply('matmul', [x, w1]), b1])]);
  const z = g.apply('add', [g.apply('matmul', [h, w2]), b2]);
  const loss = g.apply('softmax_cross_entropy', [z, y]);
  g.backward(loss);
  return { graph: g, loss, params: [w1, b1, w2, b2] };
}

test('fast mode passes correct gradients and says which elements it checked', () => {
  const { graph, loss, params } = mlp();
  const report = gradientCheck(graph, loss, params, { mode: 'fast', sampleSize: 5 });
  assert.equal(report.mode, 'fast');
  assert.equal(report.passed, true);
  assert.ok(report.grade === 'good' || report.grade === 'ok', report.grade);
  for (const t of report.tensors) {
    assert.equal(t.elements.length, Math.min(5, t.total), t.name);
    assert.equal(t.sampled, t.total > 5);
    // Positions name the checked elements; indices are distinct and sorted.
    const indices = t.elements.map((e) => e.index);
    assert.deepEqual(
      indices,
      [...new Set(indices)].sort((a, b) => a - b),
    );
    for (const e of t.elements) assert.equal(e.position.length, t.shape.length);
    assert.ok(t.directional, `${t.name} has a directional check`);
    assert.equal(t.directional.elements, t.total);
    assert.notEqual(t.directional.grade, 'wrong');
    assert.ok(Math.abs(t.directional.analytic) > 0, 'the direction sees a gradient');
  }
  assert.equal(report.directional?.elements, 20 * 30 + 30 + 30 * 4 + 4);
  assert.notEqual(report.directional?.grade, 'wrong');
});

test('fast mode catches a wrong gradient in an element its sample never looked at', () => {
  const { graph, loss, params } = mlp();
  const w1 = params[0];
  const clean = gradientCheck(graph, loss, [w1], { mode: 'fast', sampleSize: 5 });
  const sampled = new Set(clean.tensors[0].elements.map((e) => e.index));
  const victim = [...Array(w1.value.size).keys()].find((i) => !sampled.has(i))!;
  let norm = 0;
  for (const v of w1.grad!.data) norm += v * v;
  // A bug in one element, as big as the whole gradient: invisible to the sample.
  w1.grad!.data[victim] += Math.sqrt(norm);
  const report = gradientCheck(graph, loss, [w1], { mode: 'fast', sampleSize: 5 });
  const t = report.tensors[0];
  assert.ok(
    t.elements.every((e) => e.grade !== 'wrong'),
    'the sampled elements are all fine',
  );
  assert.equal(t.directional?.grade, 'wrong');
  assert.equal(t.grade, 'wrong');
  assert.equal(report.passed, false);
  // Full mode with the same small sample misses it: that is what the direction adds.
  assert.equal(gradientCheck(graph, loss, [w1], { maxElementsPerTensor: 5 }).passed, true);
});

test('sampled differences equal an independent central difference (Graph.recompute)', () => {
  const { graph, loss, params } = mlp(4);
  const report = gradientCheck(graph, loss, params, { mode: 'fast', sampleSize: 6 });
  params.forEach((p, k) => {
    const independent = numericGradient(graph, loss, p, Tensor.scalar(1));
    for (const e of report.tensors[k].elements) {
      assert.ok(
        Object.is(e.numeric, independent.data[e.index]),
        `${p.name}[${e.index}]: ${e.numeric} vs ${independent.data[e.index]}`,
      );
    }
  });
});

test('the directional check is reproducible from its seed and changes with it', () => {
  const { graph, loss, params } = mlp();
  const a = gradientCheck(graph, loss, params, { mode: 'fast', sampleSize: 2, seed: 9 });
  const b = gradientCheck(graph, loss, params, { mode: 'fast', sampleSize: 2, seed: 9 });
  const c = gradientCheck(graph, loss, params, { mode: 'fast', sampleSize: 2, seed: 10 });
  assert.deepEqual(a, b);
  assert.notEqual(a.directional?.analytic, c.directional?.analytic);
  assert.notEqual(a.directional?.seed, c.directional?.seed);
});

test('a direction that moves a relu input across 0 is graded kink, not wrong', () => {
  const g = new Graph();
  const x = g.leaf(Tensor.fromNested([0, 0, 0, 0]), { name: 'x', requiresGrad: true });
  const loss = g.apply('sum', [g.apply('relu', [x])], { axis: null, keepdims: false });
  g.backward(loss);
  const report = gradientCheck(g, loss, [x], { mode: 'fast', sampleSize: 1 });
  assert.equal(report.tensors[0].directional?.grade, 'kink');
  assert.equal(report.directional?.grade, 'kink');
  assert.equal(report.passed, true);
});

test('full mode reports keep their shape: no mode and no directional fields', () => {
  const { graph, loss, params } = mlp();
  const report = gradientCheck(graph, loss, params.slice(2), { maxElementsPerTensor: 3 });
  assert.deepEqual(Object.keys(report).sort(), ['bands', 'grade', 'h', 'passed', 'tensors']);
  for (const t of report.tensors) {
    assert.deepEqual(Object.keys(t).sort(), [
      'elements',
      'grade',
      'kinks',
      'name',
      'nodeId',
      'sampled',
      'shape',
      'total',
      'worst',
    ]);
  }
});
