/**
 * Explaining every block of a source at once, with one `wrt` for all of them.
 */
import { parseSource } from '../spec/index';
import type { ModelBlock } from '../spec/model';
import { ExplainError, type ExplainOptions, explainBlock } from './build';
import type { Explanation, SourceExplanation, SourceKind } from './explanation';

/** Parses, evaluates and explains every model block of `text`. */
export function explainSource(
  text: string,
  kind: SourceKind,
  options: ExplainOptions = {},
): SourceExplanation {
  return explainBlocks(parseSource(text, kind), kind, options);
}

/** `wrt=NAME` from a fence's info string (```` ```model {wrt=W1} ````), or null. */
export function infoWrt(info: string | undefined): string | null {
  const m = /(?:^|[\s{,])wrt\s*=\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(info ?? '');
  return m ? m[1] : null;
}

/**
 * Explains each block. A fence's own `{wrt=NAME}` sets its focus when the options give none
 * (silently falling back, with a notice, when the name has no gradient). With `wrt`: a block that has no such tensor (with a gradient) is
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
    if (wrt === null || wrt === '') {
      const own = infoWrt(block.info);
      if (own === null) return explainBlock(block, options);
      try {
        return explainBlock(block, { ...options, wrt: own });
      } catch (err) {
        if (!(err instanceof ExplainError)) throw err;
        const e = explainBlock(block, { ...options, wrt: null });
        return { ...e, notices: [...e.notices, err.message] };
      }
    }
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
