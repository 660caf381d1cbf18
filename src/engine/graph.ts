/**
 * The computation graph and reverse-mode backward.
 *
 * Nodes are created in evaluation order, so `graph.nodes` is already topologically sorted and
 * backward is one reverse sweep. Forward runs eagerly as nodes are added (the spec evaluator
 * needs values and errors statement by statement). Backward accumulates over every path into a
 * node and also keeps each edge's contribution, which the explainer shows as the terms of the
 * multivariate chain rule.
 */
import { type Attrs, ShapeError } from './op';
import { getOp } from './ops/index';
import { Tensor, sameShape } from './tensor';

export interface Node {
  readonly id: number;
  /** The user's name for this value, or null for an unnamed subexpression. */
  name: string | null;
  /** `leaf` for values given directly, else an op name from the registry. */
  readonly op: string;
  readonly inputs: readonly Node[];
  readonly attrs: Attrs;
  value: Tensor;
  /** Leaves: set by their role. Op nodes: true when any differentiable input requires a gradient. */
  readonly requiresGrad: boolean;
  /** ∂root/∂this after `backward`, or null. */
  grad: Tensor | null;
  /** After `backward`: this node's contribution to each input's gradient (the VJP along that edge). */
  inputGrads: (Tensor | null)[];
}

export class Graph {
  readonly nodes: Node[] = [];

  leaf(value: Tensor, options: { name?: string | null; requiresGrad: boolean }): Node {
    const node: Node = {
      id: this.nodes.length,
      name: options.name ?? null,
      op: 'leaf',
      inputs: [],
      attrs: {},
      value,
      requiresGrad: options.requiresGrad,
      grad: null,
      inputGrads: [],
    };
    this.nodes.push(node);
    return node;
  }

  /**
   * Adds an op node and computes its value. Throws ShapeError (before allocating) when the
   * inputs do not fit, and a plain Error for an unknown op or wrong operand count.
   */
  apply(opName: string, inputs: readonly Node[], attrs: Attrs = {}): Node {
    const op = getOp(opName);
    if (inputs.length !== op.arity) {
      throw new ShapeError(
        `${opName} takes ${op.arity} tensor argument${op.arity === 1 ? '' : 's'}, got ${inputs.length}`,
      );
    }
    op.inferShape(
      inputs.map((n) => n.value.shape),
      attrs,
    );
    const value = op.forward(
      inputs.map((n) => n.value),
      attrs,
    );
    const frozen = op.nonDifferentiable ?? [];
    const node: Node = {
      id: this.nodes.length,
      name: null,
      op: opName,
      inputs,
      attrs,
      value,
      requiresGrad: inputs.some((n, i) => n.requiresGrad && !frozen.includes(i)),
      grad: null,
      inputGrads: [],
    };
    this.nodes.push(node);
    return node;
  }

  /**
   * Reverse-mode backward from `root`, seeded with `seed` (ones of root's shape by default, i.e.
   * ∂(sum root)/∂·). Clears previous gradients. Only nodes up to `root` take part.
   */
  backward(root: Node, seed?: Tensor): void {
    for (const n of this.nodes) {
      n.grad = null;
      n.inputGrads = [];
    }
    const start = seed ?? Tensor.filled(root.value.shape, 1);
    if (!sameShape(start.shape, root.value.shape))
      throw new Error('backward seed has the wrong shape');
    root.grad = start;
    for (let id = root.id; id >= 0; id--) {
      const node = this.nodes[id];
      if (node.op === 'leaf' || node.grad === null || !node.requiresGrad) continue;
      const op = getOp(node.op);
      const frozen = op.nonDifferentiable ?? [];
      const needs = node.inputs.map((n, i) => n.requiresGrad && !frozen.includes(i));
      const grads = op.backward(
        node.grad,
        { inputs: node.inputs.map((n) => n.value), output: node.value, attrs: node.attrs },
        needs,
      );
      node.inputGrads = node.inputs.map((_, i) => (needs[i] ? grads[i] : null));
      node.inputs.forEach((input, i) => {
        const g = node.inputGrads[i];
        if (g) input.grad = input.grad ? addInto(input.grad, g) : g;
      });
    }
  }

  /**
   * Re-runs forward with some leaves replaced, without touching the graph: returns every node's
   * value by id. The gradient check perturbs leaves through this.
   */
  recompute(
    replaced: ReadonlyMap<Node, Tensor>,
    upTo: Node = this.nodes[this.nodes.length - 1],
  ): Tensor[] {
    const values: Tensor[] = [];
    for (let id = 0; id <= upTo.id; id++) {
      const node = this.nodes[id];
      if (node.op === 'leaf') {
        values.push(replaced.get(node) ?? node.value);
      } else {
        values.push(
          getOp(node.op).forward(
            node.inputs.map((n) => values[n.id]),
            node.attrs,
          ),
        );
      }
    }
    return values;
  }

  /** The nodes `root` depends on (itself included), in topological order. */
  ancestors(root: Node): Node[] {
    const seen = new Uint8Array(root.id + 1);
    seen[root.id] = 1;
    for (let id = root.id; id >= 0; id--) {
      if (!seen[id]) continue;
      for (const input of this.nodes[id].inputs) seen[input.id] = 1;
    }
    return this.nodes.slice(0, root.id + 1).filter((n) => seen[n.id]);
  }
}

/** a + b into a fresh tensor (gradients from different paths are never mutated in place). */
function addInto(a: Tensor, b: Tensor): Tensor {
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] + b.data[i];
  return new Tensor(a.shape, out);
}
