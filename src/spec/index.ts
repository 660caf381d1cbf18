/**
 * The spec layer's entry: text → evaluated model blocks. The explainer, the CLI and the
 * extension call only this.
 *
 *     parseSource(text, 'markdown')              // every ```model fence of a note
 *     parseSource(text, 'model')                 // a whole .model file
 *     parseSource(text, 'python')                // a student's NumPy/PyTorch forward pass
 *     parseSource(text, 'snippet', { origin })   // a selection starting at `origin`
 *     parseSource(text, { fileName: 'a.md' })    // the kind from the file's extension
 *
 * Never throws on any input: every problem is a SpecError on its block, with a range inside the
 * text. Blocks are independent (names do not leak between the fences of a note).
 *
 * Python (`.py`, or a snippet with imports/defs): the file is one block. `NAME = expression`
 * lines are statements (indented ones too, e.g. in a function body); other lines — imports,
 * `def`, `return`, `print(...)`, `x += 1`, `self.w = …`, loops — are skipped without an error.
 * `np`/`numpy`, `torch`, `F` (torch.nn.functional) and `math` are known by those names, so the
 * import lines are not needed. `np.random.seed(k)` makes later `np.random.randn/rand/uniform/
 * normal` give NumPy's own numbers. With no role written, the root is the last scalar statement
 * named loss/cost/L/J, else the last statement.
 */
import type { ModelBlock, SourcePosition } from './model';
import { evaluateBlock } from './evaluate';
import { type LimitOptions, type ResolvedLimits, resolveLimits } from './limits';
import { type Dialect, parseBlock } from './parser';
import {
  type RawBlock,
  type SourceKind,
  findModelFences,
  kindFromFileName,
  looksLikePython,
  wholeText,
} from './sources';

export type { SourceKind } from './sources';
export { findModelFences, kindFromFileName } from './sources';
export { DEFAULT_MAX_ELEMENTS } from './evaluate';
export {
  CLI_LIMIT_HINTS,
  DEFAULT_LIMITS,
  type LimitHints,
  type LimitName,
  type LimitOptions,
  type SpecLimits,
} from './limits';
export { ROLES } from './parser';

/**
 * Also the limits (limits.ts: maxElements, maxTotalElements, maxMultiplyAdds, maxNesting and how
 * to raise each);
 * a limit left out takes the process's default (`useDefaultLimits`), else the built-in one.
 */
export interface ParseOptions extends LimitOptions {
  /** What the text is; when absent, taken from `fileName`'s extension, else `snippet`. */
  readonly kind?: SourceKind;
  /** The file the text comes from (only its extension is used). */
  readonly fileName?: string;
  /** Where the text starts in its file, for a selection (default line 0, column 0). */
  readonly origin?: SourcePosition;
}

let processLimits: LimitOptions = {};

/**
 * Sets the limits (and their hints) of every later parseSource call that does not give its own.
 * The engine worker sets the extension's settings from each request here, so every command that
 * runs in it (Explain, Check Gradients, live insights, Insert Derivation, Train, Export) obeys
 * them without each passing them on.
 */
export function useDefaultLimits(limits: LimitOptions): void {
  processLimits = limits;
}

/** The limits parseSource uses for `options` (its own over the process's over the built-in). */
export function limitsFor(options: LimitOptions = {}): ResolvedLimits {
  return resolveLimits({
    maxElements: options.maxElements ?? processLimits.maxElements,
    maxTotalElements: options.maxTotalElements ?? processLimits.maxTotalElements,
    maxMultiplyAdds: options.maxMultiplyAdds ?? processLimits.maxMultiplyAdds,
    maxNesting: options.maxNesting ?? processLimits.maxNesting,
    limitHints: { ...processLimits.limitHints, ...options.limitHints },
  });
}

/** Parses and evaluates every model block of `text`. */
export function parseSource(text: string, kind: SourceKind, options?: ParseOptions): ModelBlock[];
export function parseSource(text: string, options?: ParseOptions): ModelBlock[];
export function parseSource(
  text: string,
  kindOrOptions?: SourceKind | ParseOptions,
  more: ParseOptions = {},
): ModelBlock[] {
  const options: ParseOptions =
    typeof kindOrOptions === 'string' ? { ...more, kind: kindOrOptions } : (kindOrOptions ?? {});
  const kind = options.kind ?? (options.fileName ? kindFromFileName(options.fileName) : 'snippet');
  const limits = limitsFor(options);
  let raws: RawBlock[];
  let dialect: Dialect = 'model';
  switch (kind) {
    case 'markdown':
      raws = findModelFences(text);
      break;
    case 'python':
      raws = [wholeText(text, options.origin)];
      dialect = 'python';
      break;
    case 'snippet':
      raws = [wholeText(text, options.origin)];
      if (looksLikePython(text)) dialect = 'python';
      break;
    default:
      raws = [wholeText(text, options.origin)];
  }
  return raws.map((raw, index) => evaluateRaw(raw, index, dialect, limits));
}

/** Parses and evaluates every ```model fence of a Markdown note. */
export function parseMarkdown(
  text: string,
  options: Omit<ParseOptions, 'kind'> = {},
): ModelBlock[] {
  return parseSource(text, 'markdown', options);
}

function evaluateRaw(
  raw: RawBlock,
  index: number,
  dialect: Dialect,
  limits: ResolvedLimits,
): ModelBlock {
  const parsed = parseBlock(raw.text, raw.origin, dialect, limits);
  const result = evaluateBlock(parsed, { dialect, ...limits });
  return {
    index,
    range: raw.range,
    info: raw.info,
    graph: result.graph,
    statements: result.statements,
    errors: result.errors,
    root: result.root,
  };
}
