/**
 * Live diagnostics of one block: its spec errors (with a quick fix for an unknown name), and two
 * things the engine sees in the numbers that a reader of the notes would want pointed out:
 *
 * - a ReLU whose units are dead for every sample (warning): those units pass no gradient back,
 *   so everything feeding only them stops learning;
 * - softmax followed by cross_entropy (information): the gradient at the logits is (P − Y)/N,
 *   which the fused softmax_cross_entropy computes directly.
 */
import { Tensor } from '../engine/tensor';
import type { Explanation, ExplainedNode } from '../explain/explanation';
import type { SpecError } from '../spec/model';
import type { InsightDiagnostic } from './types';

export function diagnosticsOf(e: Explanation): InsightDiagnostic[] {
  return [...e.errors.map(specErrorDiagnostic), ...deadRelus(e), ...softmaxCrossEntropy(e)];
}

export function specErrorDiagnostic(error: SpecError): InsightDiagnostic {
  const fix =
    error.code === 'unknown-name' && error.suggestion
      ? {
          title: `Change to '${error.suggestion}'`,
          range: error.range,
          text: error.suggestion,
        }
      : null;
  return { range: error.range, severity: 'error', message: error.message, code: error.code, fix };
}

/**
 * A ReLU whose input is ≤ 0 in some unit (column: the last axis) for every sample (all the other
 * axes). Needs two samples or more: with one sample, half the units being off says nothing.
 */
function deadRelus(e: Explanation): InsightDiagnostic[] {
  const out: InsightDiagnostic[] = [];
  for (const node of e.nodes) {
    if (node.op !== 'relu' || node.range === null) continue;
    const input = e.nodes[node.inputs[0]];
    const t = Tensor.fromNested(input.value);
    if (t.shape.length < 2) continue;
    const units = t.shape[t.shape.length - 1];
    const samples = t.size / (units || 1);
    if (samples < 2) continue;
    const dead: number[] = [];
    for (let j = 0; j < units; j++) {
      let alive = false;
      for (let s = 0; s < samples && !alive; s++) alive = t.data[s * units + j] > 0;
      if (!alive) dead.push(j);
    }
    if (dead.length === 0) continue;
    const lead = ':, '.repeat(t.shape.length - 1);
    const columns = dead.map((j) =>
      input.name === null ? `in column ${j}` : `${input.name}[${lead}${j}]`,
    );
    const all = dead.length === units;
    const one = dead.length === 1 && !all;
    const which = all ? 'every unit' : `unit${one ? '' : 's'} ${list(columns)}`;
    out.push({
      range: node.range,
      severity: 'warning',
      code: 'dead-relu',
      fix: null,
      message:
        `Dead ReLU: ${which} ${one || all ? 'is' : 'are'} ≤ 0 for all ${samples} samples, so ` +
        `relu passes no gradient back through ${one ? 'it' : 'them'} and the weights feeding ` +
        `only ${one ? 'that unit' : 'those units'} get a zero gradient and stop learning. Try ` +
        `another initialization (he(), a small positive bias) or leaky_relu.`,
    });
  }
  return out;
}

function softmaxCrossEntropy(e: Explanation): InsightDiagnostic[] {
  const out: InsightDiagnostic[] = [];
  for (const pair of e.softmaxCrossEntropy) {
    if (pair.fused) continue;
    const loss = e.nodes[pair.loss];
    if (loss.range === null) continue;
    const z = nameOf(e.nodes[pair.logits], 'the logits');
    const y = nameOf(e.nodes[pair.labels], 'y');
    const root = e.root?.name ?? 'L';
    const agreement = pair.agrees
      ? `backprop here agrees to ${pair.maxAbsDifference.toExponential(1)}`
      : `backprop here differs by ${pair.maxAbsDifference.toExponential(1)} — worth a look`;
    out.push({
      range: loss.range,
      severity: 'information',
      code: 'softmax-cross-entropy',
      fix: null,
      message:
        `softmax followed by cross_entropy: ∂${root}/∂${z} = (P − Y)/N, with P = softmax(${z}), ` +
        `Y the one-hot rows of ${y} and N = ${pair.batch} rows (${agreement}). The fused ` +
        `softmax_cross_entropy(${z}, ${y}) gives this gradient directly and never takes the log ` +
        `of a probability that rounded to 0.`,
    });
  }
  return out;
}

function nameOf(node: ExplainedNode, fallback: string): string {
  return node.name ?? fallback;
}

/** `a`, `a and b`, `a, b and c`. */
function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
