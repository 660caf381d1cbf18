/**
 * softmax followed by cross-entropy: ∂ℓ/∂Z = (P − Y)/N, computed here directly from P and the
 * labels (not from backward) and compared with what backprop sent to the logits.
 *
 * Recognized: `cross_entropy(softmax(Z), y)` (softmax over the last axis, the probabilities used
 * by the loss) and the fused `softmax_cross_entropy(Z, y)`. Both losses average over the rows, so
 * N is the number of rows (the product of all axes but the last).
 */
import { plain } from './nested';
import type { Node } from '../engine/graph';
import { getOp } from '../engine/ops/index';
import { Tensor } from '../engine/tensor';
import type { SoftmaxCrossEntropyExplanation } from './explanation';
import { numberLatex, partial } from './latex';
import type { BlockStructure } from './structure';

export function softmaxCrossEntropy(
  s: BlockStructure,
  grads: readonly (Tensor | null)[],
  edgeGrads: readonly (readonly (Tensor | null)[])[],
  rootLabel: string,
): SoftmaxCrossEntropyExplanation[] {
  const out: SoftmaxCrossEntropyExplanation[] = [];
  for (const loss of s.graph.nodes) {
    const upstreamGrad = grads[loss.id];
    if (!upstreamGrad || upstreamGrad.size !== 1) continue;
    let logits: Node;
    let softmaxNode: Node | null = null;
    let probabilities: Tensor;
    let backprop: Tensor | null;
    if (loss.op === 'cross_entropy') {
      const p = loss.inputs[0];
      if (p.op !== 'softmax' || !lastAxis(p)) continue;
      softmaxNode = p;
      logits = p.inputs[0];
      probabilities = p.value;
      // What backprop sent to Z along loss → P → Z only: softmax's VJP of the loss's edge gradient.
      const toP = edgeGrads[loss.id][0];
      backprop =
        toP && logits.requiresGrad
          ? getOp('softmax').backward(
              toP,
              { inputs: [logits.value], output: p.value, attrs: p.attrs },
              [true],
            )[0]
          : null;
    } else if (loss.op === 'softmax_cross_entropy') {
      logits = loss.inputs[0];
      probabilities = softmaxRows(logits.value);
      backprop = edgeGrads[loss.id][0] ?? null;
    } else {
      continue;
    }
    if (!backprop || probabilities.rank < 1) continue;
    const labels = loss.inputs[1];
    const classes = probabilities.shape[probabilities.rank - 1];
    const rows = probabilities.size / classes;
    const oneHot = oneHotOf(labels.value, probabilities.shape, classes);
    if (!oneHot) continue;
    const upstream = upstreamGrad.data[0];
    const value = new Float64Array(probabilities.size);
    for (let i = 0; i < value.length; i++) {
      value[i] = (upstream * (probabilities.data[i] - oneHot.data[i])) / rows;
    }
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < value.length; i++) {
      diff = Math.max(diff, Math.abs(value[i] - backprop.data[i]));
      scale = Math.max(scale, Math.abs(value[i]), Math.abs(backprop.data[i]));
    }
    const z = s.labels[logits.id];
    const p = softmaxNode ? s.labels[softmaxNode.id] : `\\operatorname{softmax}(${z})`;
    const y = s.labels[labels.id];
    const yIs =
      labels.value.rank === probabilities.rank ? `Y = ${y}` : `Y = \\operatorname{onehot}(${y})`;
    const scaled = upstream === 1 ? '' : `${numberLatex(upstream)} \\cdot `;
    out.push({
      fused: softmaxNode === null,
      loss: loss.id,
      logits: logits.id,
      probabilities: softmaxNode ? softmaxNode.id : null,
      labels: labels.id,
      batch: rows,
      upstream,
      latex:
        `${partial(rootLabel, z)} = ${scaled}\\frac{1}{N}\\left(${p} - Y\\right),` +
        `\\quad N = ${rows},\\ ${yIs}`,
      oneHot: plain(oneHot),
      probabilitiesValue: plain(probabilities),
      value: plain(new Tensor(probabilities.shape, value)),
      backprop: plain(backprop),
      maxAbsDifference: diff,
      agrees: diff <= 1e-9 * Math.max(1, scale),
    });
  }
  return out;
}

function lastAxis(p: Node): boolean {
  const axis = p.attrs.axis;
  const rank = p.value.rank;
  return axis === undefined || axis === null || axis === -1 || axis === rank - 1;
}

/** Row-wise softmax over the last axis, max-shifted. */
function softmaxRows(z: Tensor): Tensor {
  const classes = z.shape[z.rank - 1] ?? 1;
  const out = new Float64Array(z.size);
  for (let r = 0; r < z.size / classes; r++) {
    let m = -Infinity;
    for (let j = 0; j < classes; j++) m = Math.max(m, z.data[r * classes + j]);
    let sum = 0;
    for (let j = 0; j < classes; j++)
      sum += out[r * classes + j] = Math.exp(z.data[r * classes + j] - m);
    for (let j = 0; j < classes; j++) out[r * classes + j] /= sum;
  }
  return new Tensor(z.shape, out);
}

/** Labels as one-hot rows: already one-hot (same shape as P), or class indices (one per row). */
function oneHotOf(labels: Tensor, shape: readonly number[], classes: number): Tensor | null {
  const size = shape.reduce((a, b) => a * b, 1);
  if (labels.size === size && labels.rank === shape.length) return labels;
  const rows = size / classes;
  if (labels.size !== rows) return null;
  const out = new Float64Array(size);
  for (let r = 0; r < rows; r++) {
    const k = labels.data[r];
    if (!Number.isInteger(k) || k < 0 || k >= classes) return null;
    out[r * classes + k] = 1;
  }
  return new Tensor(shape, out);
}
