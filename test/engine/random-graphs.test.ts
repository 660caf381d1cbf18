/**
 * Random graphs of ops against finite differences: backward must accumulate correctly over every
 * path, through broadcasting, reductions, matmuls and nonlinearities composed at random.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Graph, type Node } from '../../src/engine/graph';
import { getOp } from '../../src/engine/ops/index';
import { Tensor } from '../../src/engine/tensor';
import { maxRelativeError } from '../helpers/finite';
import { richardsonGradient } from '../helpers/opcheck';

/** One step of a random program: which op family to apply, and picks among existing nodes. */
interface Step {
  kind: number;
  a: number;
  b: number;
}

const M = 3;
const N = 2;

/** Values in ±2 keep exp and friends tame; picks are resolved modulo the nodes available. */
const program = fc.record({
  seedValues: fc.array(
    // Uniform over [-2, 2] (fc.double would crowd values near 0 by bit pattern).
    fc.integer({ min: -2000, max: 2000 }).map((v) => v / 1000),
    {
      minLength: 64,
      maxLength: 64,
    },
  ),
  steps: fc.array(fc.record({ kind: fc.nat(13), a: fc.nat(1000), b: fc.nat(1000) }), {
    minLength: 1,
    maxLength: 8,
  }),
});

/**
 * Builds the graph: leaves of shape M×N, N and M×N; every node is M×N, N or scalar-free so that
 * any two can be combined by broadcasting. `positive` tracks nodes safe for log/sqrt/div.
 */
function build(seedValues: number[], steps: Step[]): { graph: Graph; leaves: Node[]; root: Node } {
  const graph = new Graph();
  let k = 0;
  const fill = (shape: number[]): Tensor => {
    const t = new Tensor(shape);
    for (let i = 0; i < t.size; i++) t.data[i] = seedValues[k++ % seedValues.length] + 0.01 * k;
    return t;
  };
  const leaves = [
    graph.leaf(fill([M, N]), { name: 'A', requiresGrad: true }),
    graph.leaf(fill([N]), { name: 'b', requiresGrad: true }),
    graph.leaf(fill([M, N]), { name: 'C', requiresGrad: true }),
  ];
  const nodes: Node[] = [...leaves];
  const positive = new Set<Node>();
  const pick = (i: number): Node => nodes[i % nodes.length];
  const pickPositive = (i: number): Node => {
    const list = [...positive];
    return list.length > 0 ? list[i % list.length] : graph.apply('exp', [pick(i)]);
  };
  for (const { kind, a, b } of steps) {
    let node: Node;
    switch (kind) {
      case 0:
        node = graph.apply('add', [pick(a), pick(b)]);
        break;
      case 1:
        node = graph.apply('sub', [pick(a), pick(b)]);
        break;
      case 2:
        node = graph.apply('mul', [pick(a), pick(b)]);
        break;
      case 3:
        node = graph.apply('div', [pick(a), pickPositive(b)]);
        break;
      case 4:
        node = graph.apply('exp', [pick(a)]);
        positive.add(node);
        break;
      case 5:
        node = graph.apply('log', [pickPositive(a)]);
        break;
      case 6:
        node = graph.apply('tanh', [pick(a)]);
        break;
      case 7:
        node = graph.apply('sigmoid', [pick(a)]);
        positive.add(node);
        break;
      case 8:
        node = graph.apply('relu', [pick(a)]);
        break;
      case 9: {
        // x @ (b bᵀ): an N×N matrix built from the leaf b, applied to any node whose last axis is N.
        const x = pick(a).value.shape.at(-1) === N ? pick(a) : leaves[0];
        const rowSource = pick(b).value.shape.at(-1) === N ? pick(b) : leaves[1];
        const row = graph.apply('sum', [graph.apply('reshape', [rowSource], { shape: [-1, N] })], {
          axis: 0,
          keepdims: true,
        });
        const ww = graph.apply('mul', [
          graph.apply('reshape', [leaves[1]], { shape: [N, 1] }),
          row,
        ]);
        node = graph.apply('matmul', [
          x,
          graph.apply('add', [ww, graph.apply('transpose', [ww], { axes: null })]),
        ]);
        break;
      }
      case 10:
        node = graph.apply('softmax', [pick(a)], { axis: -1 });
        positive.add(node);
        break;
      case 11:
        node = graph.apply('sum', [pick(a)], { axis: 0, keepdims: true });
        break;
      case 12:
        node = graph.apply('mean', [pick(a)], { axis: -1, keepdims: true });
        break;
      default:
        node = graph.apply('softplus', [pick(a)]);
        positive.add(node);
    }
    nodes.push(node);
  }
  // A scalar root mixing the last node with everything, so every leaf is on some path.
  const terms = [nodes[nodes.length - 1], ...leaves].map((n) =>
    graph.apply('sum', [graph.apply('mul', [n, n])], { axis: null, keepdims: false }),
  );
  const root = terms.reduce((acc, t) => graph.apply('add', [acc, t]));
  return { graph, leaves, root };
}

/** True when some kinked op has an input within `margin` of a kink (then differences lie). */
function nearKink(graph: Graph, root: Node, margin: number): boolean {
  for (const n of graph.ancestors(root)) {
    if (n.op !== 'relu') continue;
    const x = n.inputs[0].value.data;
    for (let i = 0; i < x.length; i++) if (Math.abs(x[i]) < margin) return true;
  }
  return false;
}

test('≥ 500 random graphs of ops: backward equals finite differences', () => {
  let checked = 0;
  fc.assert(
    fc.property(program, ({ seedValues, steps }) => {
      const { graph, leaves, root } = build(seedValues, steps);
      const scale = Math.abs(root.value.item());
      fc.pre(Number.isFinite(scale) && scale < 1e6 && !nearKink(graph, root, 1e-3));
      graph.backward(root);
      for (const leaf of leaves) {
        const numeric = richardsonGradient(graph, root, leaf, Tensor.scalar(1), 1e-4);
        const analytic = leaf.grad ?? Tensor.filled(leaf.value.shape, 0);
        const err = maxRelativeError(analytic, numeric, 1e-6 * Math.max(1, scale));
        assert.ok(
          err <= 1e-6,
          `leaf ${leaf.name}: relative error ${err}\nops: ${graph.nodes.map((n) => n.op).join(' ')}`,
        );
      }
      checked++;
    }),
    { numRuns: 600, seed: 20261129 },
  );
  assert.ok(checked >= 500, `only ${checked} graphs were checked`);
  // The registry must hold every op this test composes.
  for (const op of ['exp', 'log', 'tanh', 'sigmoid', 'relu', 'softmax', 'softplus', 'matmul'])
    getOp(op);
});
