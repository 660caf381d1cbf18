/**
 * Check Gradients as diagnostics: one per tensor with a gradient, on the line that defines it,
 * its severity from the CS231n grade (good/ok → information, doubtful → warning, wrong → error;
 * every checked element at a kink → information, said as such; a NaN or ∞ on either side →
 * warning, "not comparable": the numbers, not the backward rule, which numerics.ts's warning at
 * the statement explains).
 */
import type { TensorCheck } from '../engine/gradcheck';
import type { Explanation } from '../explain/explanation';
import { backpropNotFinite, notComparableWhy } from '../render/not-comparable';
import { l10n } from '../l10n';
import { compactNumber, shapeText } from '../render/format';
import type { CheckSettings, GradientCheckDiagnostic, Severity } from './types';

const severities: Record<TensorCheck['grade'], Severity> = {
  good: 'information',
  ok: 'information',
  doubtful: 'warning',
  wrong: 'error',
  kink: 'information',
  'not-comparable': 'warning',
};

/** The diagnostics of an Explanation built with the gradient check on. */
export function gradientCheckDiagnostics(
  e: Explanation,
  settings: CheckSettings,
): GradientCheckDiagnostic[] {
  const report = e.gradientCheck;
  if (report === null) return [];
  const root = e.root?.name ?? 'L';
  const out: GradientCheckDiagnostic[] = [];
  for (const t of report.tensors) {
    const node = e.nodes[t.nodeId];
    const range = node.nameRange ?? node.range;
    if (range === null) continue;
    out.push({
      range,
      severity: severities[t.grade],
      code: 'gradient-check',
      fix: null,
      tensor: t.name,
      grade: t.grade,
      message: checkMessage(t, root, settings),
    });
  }
  return out;
}

/**
 * `∂L/∂W1: good — worst relative error 2.1e-10 at W1[0, 1]: analytic 0.1234567891,
 * numeric 0.1234567889, h = 1e-6; 6 of 6 elements checked.`
 */
export function checkMessage(t: TensorCheck, root: string, settings: CheckSettings): string {
  const head = `∂${root}/∂${t.name}`;
  const h = `h = ${compactNumber(settings.h, 3)}`;
  const checked = t.sampled
    ? l10n.t('{0} of {1} elements checked (a seeded sample)', t.elements.length, t.total)
    : t.total === 1
      ? l10n.t('{0} of {1} element checked', t.elements.length, t.total)
      : l10n.t('{0} of {1} elements checked', t.elements.length, t.total);
  const kinks =
    t.kinks > 0
      ? l10n.t(
          '; {0} at a kink (a relu/abs/max input within h of its corner, where the derivative is not defined), not graded',
          t.kinks,
        )
      : '';
  if (t.worst === null) {
    return l10n.t(
      '{0}: every checked element sits at a kink — a relu/abs/max input within h of its corner, where the derivative is not defined — so there is nothing to compare ({1}; {2}). Nudge the inputs or weights away from the corner to check it.',
      head,
      h,
      checked,
    );
  }
  const w = t.worst;
  const at = t.shape.length === 0 ? t.name : `${t.name}[${w.position.join(', ')}]`;
  // A NaN or ∞ cannot be compared: that is the numbers, not the backward rule (numerics.ts says
  // where backprop's NaN or ∞ came from; a finite difference alone that is not: a smaller h).
  const verdict: Record<string, () => string> = {
    good: () => l10n.t('good'),
    ok: () => l10n.t('ok'),
    doubtful: () => l10n.t('doubtful — check the backward rule, or try another h'),
    wrong: () => l10n.t('wrong — the backward rule does not match the forward function'),
    'not-comparable': () =>
      w.notFinite && !backpropNotFinite(w.notFinite)
        ? l10n.t(
            'not comparable — {0}, not a wrong backward rule: try a smaller step (setting backpropNotes.gradientCheck.step)',
            notComparableWhy(w.notFinite),
          )
        : l10n.t(
            'not comparable — a NaN or ∞ here, not a wrong backward rule (the warning where it first appeared says why)',
          ),
  };
  return l10n.t(
    '{0}: {1}. Worst relative error {2} at {3}: analytic {4}, numeric {5}, {6}; {7} ({8}){9}.',
    head,
    verdict[t.grade]?.() ?? t.grade,
    compactNumber(w.relativeError, 2),
    at,
    compactNumber(w.analytic, 10),
    compactNumber(w.numeric, 10),
    h,
    checked,
    shapeText(t.shape),
    kinks,
  );
}
