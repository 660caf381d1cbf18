/**
 * Explaining every block of a source at once, with one `wrt` for all of them.
 */
import type { ModelBlock } from '../spec/model';
import { ExplainError, type ExplainOptions, explainBlock } from './build';
import type { Explanation, SourceExplanation, SourceKind } from './explanation';

/**
 * Explains each block. With `wrt`: a block that has no such tensor (with a gradient) is
 * explained with its default focus and a notice; only when no block has it does this throw the
 * ExplainError (of the first block), so `--wrt W1` on a note with one network and one softmax
 * demo still works.
 */
export function explainBlocks(
  blocks: readonly ModelBlock[],
  kind: SourceKind,
  options: ExplainOptions = {},
): SourceExplanation {
  const wrt = options.wrt ?? null;
  let firstError: ExplainError | null = null;
  let found = false;
  const explained: Explanation[] = blocks.map((block) => {
    if (wrt === null || wrt === '') return explainBlock(block, options);
    try {
      const e = explainBlock(block, options);
      found = true;
      return e;
    } catch (err) {
      if (!(err instanceof ExplainError)) throw err;
      firstError ??= err;
      const e = explainBlock(block, { ...options, wrt: null });
      return { ...e, notices: [...e.notices, err.message] };
    }
  });
  if (wrt !== null && wrt !== '' && !found && firstError) throw firstError;
  return { version: 1, kind, blocks: explained };
}
