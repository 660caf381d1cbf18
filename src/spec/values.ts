/**
 * What an expression evaluates to before it becomes part of the graph, and the interface the
 * built-in functions use to reach the evaluator.
 *
 * Numbers stay plain numbers while they are only numbers (`2 * 3`, `np.sqrt(2 / 3)`, a shape
 * argument); lists stay lists until a tensor is needed; they become constant leaves of the graph
 * only when an op takes them.
 */
import type { Node } from '../engine/graph';
import type { RandomSource } from '../engine/init';
import type { AttrValue, Attrs } from '../engine/op';
import type { Tensor } from '../engine/tensor';
import type { SpecErrorCode } from './errors';
import type { SourceRange } from './model';

export type Value =
  | { readonly kind: 'tensor'; readonly node: Node; readonly range: SourceRange }
  | { readonly kind: 'number'; readonly value: number; readonly range: SourceRange }
  /** A list or tuple literal (or `x.shape`) not yet turned into a tensor. */
  | {
      readonly kind: 'seq';
      readonly items: readonly Value[];
      readonly tuple: boolean;
      readonly range: SourceRange;
    }
  | { readonly kind: 'bool'; readonly value: boolean; readonly range: SourceRange }
  | { readonly kind: 'none'; readonly range: SourceRange }
  | { readonly kind: 'string'; readonly value: string; readonly range: SourceRange };

/** One argument of a call, evaluated, with where it was written. */
export interface Arg {
  readonly value: Value;
  readonly range: SourceRange;
}

/** The arguments of a call, matched to the function's parameters by position or keyword. */
export interface Bound {
  /** The argument for a parameter, or undefined when it was not given. */
  one(name: string): Arg | undefined;
  /** All arguments collected by a `rest` parameter (shape sizes: `randn(2, 3)`). */
  all(name: string): readonly Arg[];
}

/** What a built-in function can ask of the evaluator. Every failure is thrown as a SpecFailure. */
export interface CallContext {
  /** The function's name as written (`np.sum`, `.reshape`), for messages. */
  readonly name: string;
  /** The whole call. */
  readonly range: SourceRange;
  /** A tensor operand: numbers and lists become constant leaves. */
  node(a: Arg): Node;
  /** A plain number (not a tensor). */
  num(a: Arg, what: string): number;
  /** A whole number ≥ `min`. */
  int(a: Arg, what: string, min?: number): number;
  bool(a: Arg, what: string): boolean;
  /** `axis=`: an int, a tuple of ints, or None. */
  axis(a: Arg | undefined, fallback: AttrValue): AttrValue;
  /** A shape given as several ints (`randn(2, 3)`) or one tuple/list (`zeros((2, 3))`). */
  shape(args: readonly Arg[], what?: string): number[];
  /** Adds an op node (checking shapes and the size limit first). */
  apply(op: string, inputs: readonly Node[], attrs?: Attrs): Value;
  /** Checks the size limit for `shape`, then makes the tensor and a constant leaf holding it. */
  create(shape: readonly number[], make: () => Tensor): Value;
  /** The random stream for an initializer: `seed=k` if given, else the block's, else the statement's. */
  rng(seed: Arg | undefined): RandomSource;
  /** `np.random.seed(k)`: later initializers without `seed=` draw from this stream. */
  setBlockRng(rng: RandomSource): void;
  /** Throws a SpecFailure; the range defaults to the whole call. */
  fail(code: SpecErrorCode, message: string, range?: SourceRange): never;
}

export function describeValue(v: Value): string {
  switch (v.kind) {
    case 'tensor':
      return 'a tensor';
    case 'number':
      return 'a number';
    case 'seq':
      return v.tuple ? 'a tuple' : 'a list';
    case 'bool':
      return 'a boolean';
    case 'none':
      return 'None';
    case 'string':
      return 'a string';
  }
}
