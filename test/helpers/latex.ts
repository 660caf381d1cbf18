/**
 * LaTeX sanity for op tests: operand names that stress script placement, and a check that an op's
 * LaTeX can render (KaTeX-level rules, without loading KaTeX).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';

/** Names that stress script placement: plain, subscripted, superscripted, accented, a formula. */
export const latexNames = fc.constantFrom(
  'X',
  'W_1',
  'x^{2}',
  '\\bar{Z}_1',
  '(X W_1 + b_1)',
  "h'",
  '\\delta_2',
);

/**
 * Fails on LaTeX that cannot render: unbalanced braces or \left/\right, a leaked JavaScript
 * value, or a second subscript/superscript on one base (`W_1_{ij}`), which KaTeX rejects.
 */
export function assertLatexSane(latex: string): void {
  let depth = 0;
  for (let i = 0; i < latex.length; i++) {
    if (latex[i] === '\\') i++;
    else if (latex[i] === '{') depth++;
    else if (latex[i] === '}' && --depth < 0) assert.fail(`unbalanced } in ${latex}`);
  }
  assert.equal(depth, 0, `unbalanced { in ${latex}`);
  assert.equal(latex.split('\\left').length, latex.split('\\right').length, latex);
  assert.doesNotMatch(latex, /undefined|NaN|null|Infinity|\[object/, latex);
  const atom = String.raw`(?:\\[A-Za-z]+|[A-Za-z0-9']|\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\})`;
  assert.doesNotMatch(latex, new RegExp(`_${atom}_`), `double subscript in ${latex}`);
  assert.doesNotMatch(latex, new RegExp(`\\^${atom}\\^`), `double superscript in ${latex}`);
  assert.doesNotMatch(latex, new RegExp(`'\\^`), `prime then superscript in ${latex}`);
}
