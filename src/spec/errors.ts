/**
 * Spec errors: the stable codes, the exception the parser and evaluator throw inside one
 * statement, and the nearest-name suggestion.
 *
 * Codes (`SpecError.code`), stable for quick fixes and tests:
 * - `syntax`              a statement that does not parse (unexpected token, missing operand …)
 * - `unclosed`            a bracket that is never closed (range: the opening bracket)
 * - `literal`             a bad number (`1.2.3`, `3W`), a ragged or non-numeric list, a bad string
 * - `unknown-name`        a name no statement defines (with `suggestion` when one is near)
 * - `used-before-defined` a name defined only further down the block
 * - `unknown-function`    a call to a function the language does not know
 * - `unknown-role`        a role-like word that is not one of the six roles
 * - `arity`               too many or too few arguments
 * - `argument`            a bad keyword, or an argument of the wrong kind or value
 * - `shape`               operands whose shapes do not fit (from the engine's ShapeError), or a
 *                         non-scalar `loss`
 * - `label`               a class label out of range (from the loss ops)
 * - `limit`               a tensor (or a product) over the size limit, reported before allocating
 * - `statement`           a line that is not a statement (no name to define)
 * - `unsupported`         valid Python the model language does not do (indexing, comparisons …)
 * - `op`                  any other failure reported by an op
 */
import type { SourceRange, SpecError } from './model';

export type SpecErrorCode =
  | 'syntax'
  | 'unclosed'
  | 'literal'
  | 'unknown-name'
  | 'used-before-defined'
  | 'unknown-function'
  | 'unknown-role'
  | 'arity'
  | 'argument'
  | 'shape'
  | 'label'
  | 'limit'
  | 'statement'
  | 'unsupported'
  | 'op';

/** Thrown inside one statement; the block records `error` and moves on to the next statement. */
export class SpecFailure extends Error {
  override name = 'SpecFailure';
  readonly error: SpecError;

  constructor(code: SpecErrorCode, message: string, range: SourceRange, suggestion?: string) {
    // A user's mistake, not a bug: no stack trace (capturing one dominates the cost of a bad spec).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.error =
      suggestion === undefined ? { code, message, range } : { code, message, range, suggestion };
  }
}

/**
 * Thrown when a statement uses a name whose own statement failed: that failure was already
 * reported once, so this statement is skipped without a second message.
 */
export class SkipStatement extends Error {
  override name = 'SkipStatement';

  constructor() {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super('skipped: it uses a name whose statement failed');
    Error.stackTraceLimit = limit;
  }
}

/**
 * Optimal-string-alignment Damerau–Levenshtein distance (one transposition of neighbours
 * counts as one edit, so `W21` → `W12` is 1).
 */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, prev2[j - 2] + 1);
      }
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m];
}

/**
 * The candidate nearest to `word`, or null when none is close enough to be a plausible typo
 * (at most a third of the word's length in edits, at least one). A candidate equal up to case
 * wins outright; ties go to the earlier candidate, so callers list the likeliest first.
 */
export function nearest(word: string, candidates: Iterable<string>): string | null {
  // Long garbage (a fuzzer, a pasted blob) would make the quadratic distance slow and is no typo.
  if (word.length > 64) return null;
  const limit = Math.max(1, Math.floor(word.length / 3));
  const lower = word.toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word || Math.abs(c.length - word.length) > limit) continue;
    if (c.toLowerCase() === lower) return c;
    const d = editDistance(word, c);
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** `, did you mean 'W2'?` style suffix, or '' when there is no suggestion. */
export function didYouMean(suggestion: string | null): string {
  return suggestion === null ? '' : ` — did you mean '${suggestion}'?`;
}
