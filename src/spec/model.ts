/**
 * What the spec layer hands to the explainer: one evaluated model block.
 *
 * Positions are 0-based line/column (as VS Code counts) in the coordinates of the whole source
 * the block came from — for a Markdown note, the note's own lines, not the fence's. The CLI adds
 * 1 when it prints them.
 */
import type { Graph, Node } from '../engine/graph';

export type Role = 'param' | 'input' | 'const' | 'target' | 'loss' | 'output';

export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

export interface SourceRange {
  readonly start: SourcePosition;
  readonly end: SourcePosition;
}

export interface SpecError {
  /** What happened and what to do, in the user's words. */
  readonly message: string;
  readonly range: SourceRange;
  /** Stable machine-readable kind: `unknown-name`, `shape`, `arity`, `syntax`, `literal`, `label`, `limit` … */
  readonly code: string;
  /** For `unknown-name`: the nearest defined name, which a quick fix can put in its place. */
  readonly suggestion?: string;
}

/** One statement that evaluated: `Z1 = X @ W1 + b1`, `param W1 = randn(2, 3, seed=1)`. */
export interface Statement {
  readonly name: string;
  /** The role keyword written before the name, or null when none was. */
  readonly role: Role | null;
  /** The graph node holding this statement's value (its top-level op, or a leaf). */
  readonly node: Node;
  /** The whole statement, from its first token to its last (continuation lines included). */
  readonly range: SourceRange;
  /** The range of the name being defined. */
  readonly nameRange: SourceRange;
  /** The text of the right-hand side, as written. */
  readonly source: string;
  /** A trailing or preceding `#` comment, without the `#`, if any. */
  readonly comment: string | null;
}

export interface ModelBlock {
  /** 0-based position among the blocks of its source. */
  readonly index: number;
  /** The range of the block's content (for a fence: the lines between the fences). */
  readonly range: SourceRange;
  /**
   * For a Markdown fence, its info string after the language word, trimmed: `{wrt=W1}` for
   * ```` ```model {wrt=W1} ````. '' when there is none or the block is not a fence.
   */
  readonly info?: string;
  readonly graph: Graph;
  /** The statements that evaluated, in order. Statements after an error still evaluate when they can. */
  readonly statements: readonly Statement[];
  readonly errors: readonly SpecError[];
  /**
   * Where backward starts: the `loss` statement, else the `output` statement, else the last
   * statement. Null when nothing evaluated.
   */
  readonly root: Statement | null;
}
