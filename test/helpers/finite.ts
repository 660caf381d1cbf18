/**
 * An independent central-difference gradient for tests: deliberately not the engine's gradcheck,
 * so a bug there cannot hide a bug in an op. Uses Graph.recompute only to run forward.
 */
import { Graph, type Node } from '../../src/engine/graph';
import { Tensor } from '../../src/engine/tensor';

/** ∂(Σ w ⊙ root)/∂leaf by central differences, for a fixed weighting w of root's elements. */
export function numericGradient(
  graph: Graph,
  root: Node,
  leaf: Node,
  weights: Tensor,
  h = 1e-6,
): Tensor {
  const out = new Float64Array(leaf.value.size);
  const objective = (value: Tensor): number => {
    const values = graph.recompute(new Map([[leaf, value]]), root);
    const r = values[root.id].data;
    let s = 0;
    for (let i = 0; i < r.length; i++) s += weights.data[i] * r[i];
    return s;
  };
  for (let i = 0; i < out.length; i++) {
    const plus = leaf.value.clone();
    plus.data[i] += h;
    const minus = leaf.value.clone();
    minus.data[i] -= h;
    out[i] = (objective(plus) - objective(minus)) / (2 * h);
  }
  return new Tensor(leaf.value.shape, out);
}

/** Largest |a−n| / max(|a|, |n|, floor) over elements; the floor keeps near-zero pairs meaningful. */
export function maxRelativeError(a: Tensor, n: Tensor, floor = 1e-8): number {
  let worst = 0;
  for (let i = 0; i < a.size; i++) {
    const x = a.data[i];
    const y = n.data[i];
    const e = Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), floor);
    if (e > worst) worst = e;
  }
  return worst;
}

/** Builds a graph root = op(leaves…) and returns it with its leaves, for single-op checks. */
export function singleOp(
  op: string,
  values: Tensor[],
  attrs: Record<string, number | boolean | number[] | null> = {},
  requiresGrad: boolean[] = values.map(() => true),
): { graph: Graph; leaves: Node[]; root: Node } {
  const graph = new Graph();
  const leaves = values.map((v, i) =>
    graph.leaf(v, { name: `x${i}`, requiresGrad: requiresGrad[i] }),
  );
  const root = graph.apply(op, leaves, attrs);
  return { graph, leaves, root };
}
