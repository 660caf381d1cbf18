/**
 * The words for a gradient check that could not compare (grade `not-comparable`, see
 * src/engine/gradcheck.ts): which side is NaN or ±∞. One wording for the CLI, the panel and the
 * editor, so they say the same thing; each adds where to look next (the CLI's "Not finite"
 * section, the panel's warning above the table, the editor's warning at the statement).
 *
 * No vscode, no DOM; in the display language (src/l10n.ts). In src/render, not src/explain: the
 * webview bundles it, and its bundle takes nothing from the engine or the explainer.
 */
import type { NonFiniteValue, NotFinite, TensorCheck } from '../engine/gradcheck';
import { l10n } from '../l10n';

/** `NaN`, `∞` or `−∞`, as the values are drawn everywhere else. */
export function nonFiniteText(v: NonFiniteValue): string {
  return v === 'nan' ? 'NaN' : v === 'inf' ? '∞' : '−∞';
}

/**
 * Which side is not finite: `the analytic gradient is NaN and the numerical one is ∞`, `the
 * analytic gradient is ∞`, or `the numerical gradient is NaN`.
 */
export function notComparableWhy(n: NotFinite): string {
  if (n.analytic !== null && n.numeric !== null) {
    return l10n.t(
      'the analytic gradient is {0} and the numerical one is {1}',
      nonFiniteText(n.analytic),
      nonFiniteText(n.numeric),
    );
  }
  if (n.analytic !== null) {
    return l10n.t('the analytic gradient is {0}', nonFiniteText(n.analytic));
  }
  return l10n.t(
    'the numerical gradient is {0}: the loss is not finite at x ± h',
    nonFiniteText(n.numeric ?? 'nan'),
  );
}

/**
 * True when the analytic side (backprop's own gradient) is not finite: the numerics report then
 * says where the NaN or ∞ first appeared. When only the numerical side is, the step h reached
 * outside where the loss is finite (log or sqrt near 0): a smaller step is the thing to try.
 */
export function backpropNotFinite(n: NotFinite): boolean {
  return n.analytic !== null;
}

/** Where a tensor's worst element is: `W1[0, 1]`, or the name alone for a scalar. */
export function worstElementText(t: TensorCheck): string {
  return t.shape.length === 0 || !t.worst ? t.name : `${t.name}[${t.worst.position.join(', ')}]`;
}
