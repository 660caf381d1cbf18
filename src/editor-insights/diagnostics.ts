/**
 * Live diagnostics of one block: its spec errors (with a quick fix for an unknown name), where a
 * NaN or ±∞ first appeared (./numerics.ts), and two things the engine sees in the numbers that a
 * reader of the notes would want pointed out:
 *
 * - a ReLU whose units are dead for every sample (warning): those units pass no gradient back,
 *   so everything feeding only them stops learning;
 * - softmax followed by cross_entropy (information): the gradient at the logits is (P − Y)/N,
 *   which the fused softmax_cross_entropy computes directly.
 */
import { Tensor } from '../engine/tensor';
import type { Explanation, ExplainedNode } from '../explain/explanation';
import type { SpecError } from '../spec/model';
import { l10n } from '../l10n';
import { numericsDiagnostics } from './numerics';
import type { InsightDiagnostic } from './types';

export function diagnosticsOf(e: Explanation): InsightDiagnostic[] {
  return [
    ...e.errors.map(specErrorDiagnostic),
    ...numericsDiagnostics(e),
    ...deadRelus(e),
    ...softmaxCrossEntropy(e),
  ];
}

export function specErrorDiagnostic(error: SpecError): InsightDiagnostic {
  const fix =
    error.code === 'unknown-name' && error.suggestion
      ? {
          title: l10n.t("Change to '{0}'", error.suggestion),
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
      input.name === null ? l10n.t('in column {0}', j) : `${input.name}[${lead}${j}]`,
    );
    const all = dead.length === units;
    const one = dead.length === 1 && !all;
    // Whole sentences per case, so each language words its own plural.
    const message = all
      ? l10n.t(
          'Dead ReLU: every unit is ≤ 0 for all {0} samples, so relu passes no gradient back through them and the weights feeding only those units get a zero gradient and stop learning. Try another initialization (he(), a small positive bias) or leaky_relu.',
          samples,
        )
      : one
        ? l10n.t(
            'Dead ReLU: unit {0} is ≤ 0 for all {1} samples, so relu passes no gradient back through it and the weights feeding only that unit get a zero gradient and stop learning. Try another initialization (he(), a small positive bias) or leaky_relu.',
            list(columns),
            samples,
          )
        : l10n.t(
            'Dead ReLU: units {0} are ≤ 0 for all {1} samples, so relu passes no gradient back through them and the weights feeding only those units get a zero gradient and stop learning. Try another initialization (he(), a small positive bias) or leaky_relu.',
            list(columns),
            samples,
          );
    out.push({ range: node.range, severity: 'warning', code: 'dead-relu', fix: null, message });
  }
  return out;
}

function softmaxCrossEntropy(e: Explanation): InsightDiagnostic[] {
  const out: InsightDiagnostic[] = [];
  for (const pair of e.softmaxCrossEntropy) {
    if (pair.fused) continue;
    const loss = e.nodes[pair.loss];
    if (loss.range === null) continue;
    const z = nameOf(e.nodes[pair.logits], l10n.t('the logits'));
    const y = nameOf(e.nodes[pair.labels], 'y');
    const root = e.root?.name ?? 'L';
    const agreement = pair.agrees
      ? l10n.t('backprop here agrees to {0}', pair.maxAbsDifference.toExponential(1))
      : l10n.t(
          'backprop here differs by {0} — worth a look',
          pair.maxAbsDifference.toExponential(1),
        );
    out.push({
      range: loss.range,
      severity: 'information',
      code: 'softmax-cross-entropy',
      fix: null,
      message: l10n.t(
        'softmax followed by cross_entropy: ∂{0}/∂{1} = (P − Y)/N, with P = softmax({1}), Y the one-hot rows of {2} and N = {3} rows ({4}). The fused softmax_cross_entropy({1}, {2}) gives this gradient directly and never takes the log of a probability that rounded to 0.',
        root,
        z,
        y,
        pair.batch,
        agreement,
      ),
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
  return l10n.t('{0} and {1}', items.slice(0, -1).join(', '), items[items.length - 1]);
}
