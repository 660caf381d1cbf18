/**
 * A NaN or ±∞ as a live diagnostic: one warning at the statement where it first appeared
 * (forward) and one at the statement whose backward rule first gave a non-finite gradient; the
 * statements after it that are not finite only because they read it are named in its message,
 * not flagged each (src/explain/numerics.ts decides which is which).
 */
import type { Explanation } from '../explain/explanation';
import type { InsightDiagnostic } from './types';

export function numericsDiagnostics(e: Explanation): InsightDiagnostic[] {
  const report = e.numerics;
  if (!report) return [];
  return [...report.forward, ...report.backward].map((f) => ({
    range: f.range,
    severity: 'warning',
    code: 'non-finite',
    fix: null,
    message: f.message,
  }));
}
