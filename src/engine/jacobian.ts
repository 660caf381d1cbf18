/**
 * Explicit Jacobians for small tensors: what the chain rule's factors are, as matrices, before
 * backprop contracts them away. Built row by row with backward seeded by one-hot vectors, so they
 * agree with backward by construction; the explainer shows them only under `maxEntries`.
 */
import type { Graph, Node } from './graph';
import { Tensor, sizeOf } from './tensor';

/** Largest Jacobian (entries) worth building and showing by default. */
export const defaultMaxJacobianEntries = 4096;

/**
 * ∂output/∂input as a tensor of shape output.shape ++ input.shape, or null when it would have
 * more than `maxEntries` entries or input does not influence output.
 */
export function jacobian(
  graph: Graph,
  output: Node,
  input: Node,
  maxEntries = defaultMaxJacobianEntries,
): Tensor | null {
  const outSize = output.value.size;
  const inSize = input.value.size;
  if (outSize * inSize > maxEntries || input.id > output.id) return null;
  const data = new Float64Array(outSize * inSize);
  for (let row = 0; row < outSize; row++) {
    const seed = new Tensor(output.value.shape);
    seed.data[row] = 1;
    graph.backward(output, seed);
    const g = input.grad;
    if (g) data.set(g.data, row * inSize);
  }
  return new Tensor([...output.value.shape, ...input.value.shape], data);
}

export function jacobianSize(outShape: readonly number[], inShape: readonly number[]): number {
  return sizeOf(outShape) * sizeOf(inShape);
}
