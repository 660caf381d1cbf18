/**
 * The contract of one op: forward, backward, the math of its local derivative, and what it keeps
 * for backward, side by side (micrograd's habit, tfjs's `inputsToSave`). Every op the spec
 * language can name is an `OpDef` listed in `ops/index.ts`; nothing else computes.
 */
import type { Shape, Tensor } from './tensor';

export type AttrValue = number | boolean | readonly number[] | null;
/** Non-tensor arguments: axis, keepdims, alpha, a target shape … Always JSON-serializable. */
export type Attrs = Readonly<Record<string, AttrValue>>;

/**
 * Thrown by `inferShape` (and so before any memory is allocated) when inputs do not fit the op.
 * The message is for the user, in their terms: `(2×3) @ (2×2): inner sizes 3 and 2 differ`.
 * The spec evaluator attaches the source range.
 */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

export interface BackwardContext<A extends Attrs = Attrs> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: A;
}

/** What the LaTeX builders know: the operands' LaTeX names and shapes, the output's, upstream. */
export interface LatexContext<A extends Attrs = Attrs> {
  /** LaTeX of each operand as the user wrote it (`X`, `W_1`, `Z_1`, or a parenthesized formula). */
  readonly args: readonly string[];
  /** LaTeX of this op's output (`Z_1`). */
  readonly out: string;
  /** LaTeX of the upstream gradient ∂L/∂out, e.g. `\delta_2` or `\bar{Z}_1`. */
  readonly grad: string;
  readonly shapes: readonly Shape[];
  readonly outShape: Shape;
  readonly attrs: A;
}

/** What forward keeps alive for backward: input indices and/or the output. */
export interface Saved {
  readonly inputs: readonly number[];
  readonly output: boolean;
}

export interface OpDef<A extends Attrs = Attrs> {
  /** The name in the spec language and in the Explanation (`matmul`, `relu`, `add` …). */
  readonly name: string;
  /** Number of tensor operands. */
  readonly arity: number;
  /** Operands that carry no gradient (class labels of `cross_entropy`, `one_hot`'s indices). */
  readonly nonDifferentiable?: readonly number[];

  /** Output shape, or a ShapeError in the user's words. Runs before any allocation. */
  inferShape(shapes: readonly Shape[], attrs: A): Shape;
  forward(inputs: readonly Tensor[], attrs: A): Tensor;
  /**
   * Vector–Jacobian product: given ∂L/∂out, returns ∂L/∂input_i (already summed back over the
   * axes broadcasting stretched, so each has its input's shape), or null where `needs[i]` is false
   * or the operand is non-differentiable.
   */
  backward(grad: Tensor, ctx: BackwardContext<A>, needs: readonly boolean[]): (Tensor | null)[];
  /** What forward must keep for backward (the Memory view adds these up). */
  saves(attrs: A): Saved;

  readonly latex: {
    /** The forward formula: `\max(0, Z_1)`. */
    formula(ctx: LatexContext<A>): string;
    /** The local derivative ∂out/∂arg_i: `\operatorname{diag}(\mathbb{1}[Z_1 > 0])`. */
    local(i: number, ctx: LatexContext<A>): string;
    /** The backprop rule in matrix form for arg_i: `\delta_2\, W_2^\top`, `\bar{H}_1 \odot \mathbb{1}[Z_1>0]`. */
    vjp(i: number, ctx: LatexContext<A>): string;
  };

  /**
   * For ops with kinks (relu, abs, max …): which linear piece each element is on. A gradient
   * check that sees a different piece after perturbing reports `kink`, not a failure.
   */
  pieces?(inputs: readonly Tensor[], attrs: A): Int32Array;

  /**
   * Why this op gave a NaN or ±∞ although every input (and, for `backward`, the upstream
   * gradient) was finite: `log-zero` for log 0, `exp-overflow` with the largest input … Asked
   * only after that happened, by the numerics report (src/explain/numerics.ts, which words each
   * code). Null, or no hook, lets the report say it generically (an overflow, or 0·∞ inside).
   */
  whyNonFinite?(
    pass: 'forward' | 'backward',
    inputs: readonly Tensor[],
    attrs: A,
  ): NonFiniteCause | null;
}

/** A reason for a NaN or ±∞, as a code the numerics report words, with the value that shows it. */
export interface NonFiniteCause {
  readonly code: string;
  /** The input value that shows the cause (exp: the largest input), when there is one. */
  readonly value?: number;
}

/** The full Jacobian of out w.r.t. an operand has shape out.shape ++ in.shape. */
export function jacobianShape(outShape: Shape, inShape: Shape): number[] {
  return [...outShape, ...inShape];
}
