/**
 * Where a NaN or ±∞ first appeared (src/explain/numerics.ts), shown at the top of the Forward
 * and Backward tabs as a warning with a Go to line button, like the spec errors: the values
 * below still show NaN and ∞ as they are, and this says which statement made them.
 *
 * Hooks for tests: `.numerics[data-pass]` per tab, `.numeric[data-statement][data-line][data-code]`
 * per finding.
 */
import type { NonFiniteFinding, NumericsReport } from '../src/explain/numerics';
import { l10n } from '../src/l10n';
import { h } from './dom';

/** The warning for one tab, or null when that pass is all finite. */
export function numericsWarning(
  report: NumericsReport | undefined,
  pass: 'forward' | 'backward',
  revealButton: (line: number, column: number) => HTMLElement,
): HTMLElement | null {
  if (!report) return null;
  let findings: readonly NonFiniteFinding[] = pass === 'forward' ? report.forward : report.backward;
  let title =
    pass === 'forward'
      ? l10n.t('NaN or ∞ in the forward pass')
      : l10n.t('NaN or ∞ in the backward pass');
  if (pass === 'backward' && findings.length === 0 && !report.gradientsFinite) {
    // The gradients are not finite only because a forward value is not: point there.
    findings = report.forward;
    title = l10n.t('The gradients are not finite because a forward value is not');
  }
  if (findings.length === 0) return null;
  return h(
    'section',
    { class: 'numerics', 'data-pass': pass, role: 'alert' },
    h('h2', {}, title),
    findings.map((f) =>
      h(
        'div',
        {
          class: 'numeric',
          'data-statement': f.statementName,
          'data-tensor': f.name,
          'data-line': f.line,
          'data-code': f.code,
          'data-kind': f.first.kind,
        },
        h('span', { class: 'where' }, l10n.t('Line {0}, column {1}', f.line, f.column)),
        h('span', { class: 'message' }, f.message),
        revealButton(f.range.start.line, f.range.start.column),
      ),
    ),
  );
}
