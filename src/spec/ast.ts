/**
 * The spec AST. Every node carries its range in the coordinates of the whole file, so an error
 * found while evaluating (a shape mismatch in `X @ W1`) points at exactly what the user wrote.
 */
import type { SourceRange, SpecError } from './model';

export type BinaryOp = '+' | '-' | '*' | '/' | '@' | '**';

export type Expr =
  | { readonly kind: 'number'; readonly value: number; readonly range: SourceRange }
  | { readonly kind: 'string'; readonly value: string; readonly range: SourceRange }
  /** `True`, `False`, `None`. */
  | { readonly kind: 'constant'; readonly value: boolean | null; readonly range: SourceRange }
  | { readonly kind: 'name'; readonly name: string; readonly range: SourceRange }
  /** `[a, b]` */
  | { readonly kind: 'list'; readonly items: readonly Expr[]; readonly range: SourceRange }
  /** `(a, b)`, `(a,)`, `()` — a parenthesized expression without a comma is not a tuple. */
  | { readonly kind: 'tuple'; readonly items: readonly Expr[]; readonly range: SourceRange }
  | {
      readonly kind: 'unary';
      readonly op: '-' | '+';
      readonly operand: Expr;
      readonly range: SourceRange;
    }
  | {
      readonly kind: 'binary';
      readonly op: BinaryOp;
      readonly left: Expr;
      readonly right: Expr;
      readonly range: SourceRange;
      /** The operator symbol itself. */
      readonly opRange: SourceRange;
    }
  /** `x.T`, `np.random` */
  | {
      readonly kind: 'attribute';
      readonly object: Expr;
      readonly name: string;
      readonly nameRange: SourceRange;
      readonly range: SourceRange;
    }
  | {
      readonly kind: 'call';
      readonly callee: Expr;
      readonly args: readonly Expr[];
      readonly keywords: readonly Keyword[];
      readonly range: SourceRange;
    }
  /** `shape[0]`: only tuples (like `X.shape`) can be indexed; the evaluator says so. */
  | {
      readonly kind: 'index';
      readonly object: Expr;
      readonly index: Expr;
      readonly range: SourceRange;
    };

export interface Keyword {
  readonly name: string;
  readonly nameRange: SourceRange;
  readonly value: Expr;
  /** From the keyword's name to the end of its value. */
  readonly range: SourceRange;
}

/** `[role] NAME = expr`. */
export interface AssignStatement {
  readonly kind: 'assign';
  /** The word before the name as written (validated by the parser), or null. */
  readonly role: string | null;
  readonly roleRange: SourceRange | null;
  readonly name: string;
  readonly nameRange: SourceRange;
  /** Null when the right-hand side did not parse (the error is in `error`). */
  readonly value: Expr | null;
  readonly range: SourceRange;
  /** The right-hand side's text as written (continuation lines included, comments not). */
  readonly source: string;
  readonly comment: string | null;
  /** The first error in this statement (syntax or role), if any: it is then not evaluated. */
  readonly error: SpecError | null;
}

/** A bare expression: only `np.random.seed(k)`-like calls mean something; the evaluator decides. */
export interface ExprStatement {
  readonly kind: 'expr';
  readonly value: Expr | null;
  readonly range: SourceRange;
  readonly source: string;
  readonly comment: string | null;
  readonly error: SpecError | null;
}

export type StatementAst = AssignStatement | ExprStatement;

export function spanning(a: SourceRange, b: SourceRange): SourceRange {
  return { start: a.start, end: b.end };
}
