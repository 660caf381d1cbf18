/**
 * What the renderers share: the input forms they accept, section names, and small helpers.
 */
import type { Explanation, SourceExplanation } from '../explain/explanation';
import type { MatrixOptions } from './format';

/** Every renderer takes a whole source, a list of blocks, or one block. */
export type Renderable = SourceExplanation | readonly Explanation[] | Explanation;

export function blocksOf(x: Renderable): readonly Explanation[] {
  if (Array.isArray(x)) return x as readonly Explanation[];
  const one = x as SourceExplanation | Explanation;
  return 'blocks' in one ? one.blocks : [one];
}

export type Section =
  | 'errors'
  | 'numerics'
  | 'forward'
  | 'gradients'
  | 'chain'
  | 'steps'
  | 'softmax'
  | 'memory'
  | 'linearity'
  | 'check'
  | 'notices';

export const allSections: readonly Section[] = [
  'errors',
  'numerics',
  'forward',
  'gradients',
  'chain',
  'steps',
  'softmax',
  'memory',
  'linearity',
  'check',
  'notices',
];

export interface RenderOptions extends MatrixOptions {
  /**
   * Show only the focus tensor (the `wrt` one): its gradient, chain rule and the backprop steps
   * it needs. Otherwise: every leaf's gradient, the focus's chain rule, and every step.
   */
  readonly focusOnly?: boolean;
  /** Which sections, in the renderer's own order (default: all). */
  readonly sections?: readonly Section[];
}

export function wants(options: RenderOptions, section: Section): boolean {
  return (options.sections ?? allSections).includes(section);
}

/** The node's display name in plain text: the user's name, or the formula as text. */
export function steps(e: Explanation, options: RenderOptions): Explanation['steps'] {
  if (!options.focusOnly || e.focus === null) return e.steps;
  const g = e.gradients.find((x) => x.node === e.focus);
  return g ? g.steps.map((i) => e.steps[i]) : e.steps;
}

export function focusGradient(e: Explanation): Explanation['gradients'][number] | null {
  return e.gradients.find((g) => g.node === e.focus) ?? null;
}

/** Visible width of terminal text: combining marks take no column. */
export function width(s: string): number {
  return [...s.replace(/[\u0300-\u036f\u20d7]/g, '')].length;
}

export function pad(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - width(s)));
}

/** Rows of cells as aligned text lines (left-aligned, two spaces between columns). */
export function table(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const cols = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, j) =>
    Math.max(0, ...rows.map((r) => width(r[j] ?? ''))),
  );
  return rows.map((r) =>
    (indent + r.map((c, j) => (j === r.length - 1 ? c : pad(c, widths[j]))).join('  ')).trimEnd(),
  );
}

export const gradeMark: Record<string, string> = {
  good: '✓',
  ok: '✓',
  doubtful: '?',
  wrong: '✗',
  kink: '~',
  'not-comparable': '!',
};

/**
 * Where a NaN or ±∞ first appeared (Explanation.numerics), one line per finding: `line 2: Z2 has
 * 2 ∞ values …`; when the gradients are not finite only because of a forward value, a last line
 * says so. Empty when everything is finite.
 */
export function numericsLines(e: Explanation): string[] {
  const report = e.numerics;
  if (!report) return [];
  const lines = [...report.forward, ...report.backward].map((f) => `line ${f.line}: ${f.message}`);
  if (report.backward.length === 0 && !report.gradientsFinite && report.forward.length > 0) {
    lines.push('The gradients are not finite because of the forward value above.');
  }
  return lines;
}
