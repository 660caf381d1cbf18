/**
 * The Explanation as JSON: `{ "version": 1, "kind": …, "blocks": [ … ] }`, each block the full
 * Explanation (see src/explain/explanation.ts). Numbers keep full precision (JavaScript's
 * shortest round-trip form); non-finite numbers, which JSON cannot hold, are written as null.
 *
 * Stable fields (issue 2, read by other tools): `version`; per block `index`, `errors[]` with
 * `line`, `column`, `endLine`, `endColumn` (1-based) and `message`; `nodes[]` with `name`, `op`,
 * `shape`, `value`, `grad` (nested arrays, a number for a scalar, `grad` null where there is
 * none) and `line` (1-based). Added within version 1: `numerics` per block — where a NaN or ±∞
 * first appeared (`forward[]`, `backward[]`, each with `statementName`, `line`, `code`, `message`
 * …; `gradientsFinite`), see src/explain/numerics.ts. Also within version 1: the gradient check's
 * grade `not-comparable` for a check whose analytic or numerical gradient is NaN or ±∞ (graded
 * `wrong` before), with `notFinite: { analytic, numeric }` (each `"nan"`, `"inf"`, `"-inf"` or null
 * for finite) on the element or direction, and `notComparable` (how many elements) on the tensor
 * when there are any; `passed` is false for it, as it was (src/engine/gradcheck.ts).
 */
import type { Explanation, SourceExplanation, SourceKind } from '../explain/explanation';
import { type Renderable, blocksOf } from './common';

export interface JsonOptions {
  /** Spaces of indentation; 0 for one line (default 2). */
  readonly indent?: number;
  /** The file the blocks came from, recorded as `"file"` when given. */
  readonly file?: string;
}

export interface JsonDocument {
  readonly version: 1;
  readonly file?: string;
  readonly kind?: SourceKind;
  readonly blocks: readonly Explanation[];
}

export function jsonDocument(x: Renderable, options: JsonOptions = {}): JsonDocument {
  const kind =
    !Array.isArray(x) && 'blocks' in (x as SourceExplanation)
      ? (x as SourceExplanation).kind
      : undefined;
  return {
    version: 1,
    ...(options.file !== undefined ? { file: options.file } : {}),
    ...(kind !== undefined ? { kind } : {}),
    blocks: blocksOf(x),
  };
}

export function renderJson(x: Renderable, options: JsonOptions = {}): string {
  return JSON.stringify(jsonDocument(x, options), null, options.indent ?? 2) + '\n';
}
