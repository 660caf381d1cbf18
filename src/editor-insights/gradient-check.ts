/**
 * Check Gradients as diagnostics: one per tensor with a gradient, on the line that defines it,
 * its severity from the CS231n grade (good/ok → information, doubtful → warning, wrong → error;
 * every checked element at a kink → information, said as such).
 */
import type { TensorCheck } from '../engine/gradcheck';
import type { Explanation } from '../explain/explanation';
import { compactNumber, shapeText } from '../render/format';
import type { CheckSettings, GradientCheckDiagnostic, Severity } from './types';

const severities: Record<TensorCheck['grade'], Severity> = {
  good: 'information',
  ok: 'information',
  doubtful: 'warning',
  wrong: 'error',
  kink: 'information',
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
    ? `${t.elements.length} of ${t.total} elements checked (a seeded sample)`
    : `${t.elements.length} of ${t.total} element${t.total === 1 ? '' : 's'} checked`;
  const kinks =
    t.kinks > 0
      ? `; ${t.kinks} at a kink (a relu/abs/max input within h of its corner, where the ` +
        `derivative is not defined), not graded`
      : '';
  if (t.worst === null) {
    return (
      `${head}: every checked element sits at a kink — a relu/abs/max input within h of its ` +
      `corner, where the derivative is not defined — so there is nothing to compare (${h}; ` +
      `${checked}). Nudge the inputs or weights away from the corner to check it.`
    );
  }
  const w = t.worst;
  const at = t.shape.length === 0 ? t.name : `${t.name}[${w.position.join(', ')}]`;
  const verdict: Record<string, string> = {
    good: 'good',
    ok: 'ok',
    doubtful: 'doubtful — check the backward rule, or try another h',
    wrong: 'wrong — the backward rule does not match the forward function',
  };
  return (
    `${head}: ${verdict[t.grade]}. Worst relative error ${compactNumber(w.relativeError, 2)} at ` +
    `${at}: analytic ${compactNumber(w.analytic, 10)}, numeric ${compactNumber(w.numeric, 10)}, ` +
    `${h}; ${checked} (${shapeText(t.shape)})${kinks}.`
  );
}
