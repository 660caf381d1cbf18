/**
 * Shared pieces of the per-op property tests: random shapes and tensors for fast-check, a
 * single-op gradient check against test/helpers/finite.ts, and a LaTeX sanity check.
 */
import fc from 'fast-check';
import type { LatexContext, OpDef } from '../../src/engine/op';
import { type Shape, Tensor, sizeOf } from '../../src/engine/tensor';
import { maxRelativeError, numericGradient, singleOp } from './finite';

/** A shape of rank minRank..maxRank with every size in 1..4. */
export function shapeArb(minRank = 0, maxRank = 3): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: 4 }), { minLength: minRank, maxLength: maxRank });
}

/**
 * A number spread evenly over [min, max]. (fc.double is uniform over bit patterns, so nearly all
 * of its values are denormal-small: useless for exercising a function over a range.)
 */
export function valueArb(min: number, max: number): fc.Arbitrary<number> {
  const steps = 1 << 30;
  return fc.integer({ min: 0, max: steps }).map((k) => min + ((max - min) * k) / steps);
}

/** A tensor of `shape` with values spread over [min, max]. */
export function tensorArb(shape: Shape, min = -3, max = 3): fc.Arbitrary<Tensor> {
  const n = sizeOf(shape);
  return fc
    .array(valueArb(min, max), { minLength: n, maxLength: n })
    .map((v) => new Tensor(shape, Float64Array.from(v)));
}

/**
 * An output weighting w for Σ w ⊙ out: sizes in [0.5, 2] with random signs, so no element of
 * the output is weighted (nearly) out of the check.
 */
export function weightsArb(shape: Shape): fc.Arbitrary<Tensor> {
  const n = sizeOf(shape);
  return fc.array(fc.tuple(valueArb(0.5, 2), fc.boolean()), { minLength: n, maxLength: n }).map(
    (v) =>
      new Tensor(
        shape,
        Float64Array.from(v, ([m, neg]) => (neg ? -m : m)),
      ),
  );
}

/**
 * ∂(Σ w ⊙ out)/∂leaf by Richardson extrapolation of two central differences from finite.ts,
 * (4·D(h/2) − D(h)) / 3: the h² error term cancels, so a relative 1e-6 is resolvable even for
 * small gradient elements (plain central differences are limited to about 1e-9 absolute).
 */
export function richardsonGradient(
  ...[graph, root, leaf, weights, h]: Parameters<typeof numericGradient>
): Tensor {
  const step = h ?? 1e-3;
  const coarse = numericGradient(graph, root, leaf, weights, step);
  const fine = numericGradient(graph, root, leaf, weights, step / 2);
  const out = new Float64Array(coarse.size);
  for (let i = 0; i < out.length; i++) out[i] = (4 * fine.data[i] - coarse.data[i]) / 3;
  return new Tensor(coarse.shape, out);
}

export interface GradientReport {
  /** The largest relative error over every differentiable operand. */
  worst: number;
  /** Which operand it was on, and both gradients, for the failure message. */
  detail: string;
}

/**
 * Runs op(values) as a one-op graph, backward seeded with `weights`, and compares each operand
 * marked in `differentiable` with the numeric gradient. Operands not marked must get no gradient.
 * The floor of the relative error is 1e-6 × the objective's scale Σ|w ⊙ out| (at least 1):
 * elements below it are compared absolutely, since the rounding of the objective itself limits
 * any float64 difference quotient to about 1e-12 of that scale.
 */
export function checkGradients(
  op: string,
  values: Tensor[],
  attrs: Record<string, number | boolean | number[] | null>,
  weights: Tensor,
  differentiable: boolean[] = values.map(() => true),
  h = 1e-3,
): GradientReport {
  const { graph, leaves, root } = singleOp(op, values, attrs);
  graph.backward(root, weights);
  let objective = 0;
  for (let j = 0; j < root.value.size; j++) {
    objective += Math.abs(weights.data[j] * root.value.data[j]);
  }
  const scale = Math.max(1, objective);
  let worst = 0;
  let detail = '';
  leaves.forEach((leaf, i) => {
    if (!differentiable[i]) {
      if (leaf.grad !== null) {
        worst = Infinity;
        detail = `operand ${i} is not differentiable but got a gradient`;
      }
      return;
    }
    const analytic = leaf.grad ?? Tensor.filled(leaf.value.shape, 0);
    const numeric = richardsonGradient(graph, root, leaf, weights, h);
    const err = maxRelativeError(analytic, numeric, 1e-6 * scale);
    if (!(err <= worst)) {
      worst = err;
      detail =
        `operand ${i} (${leaf.value.shape.join('×') || 'scalar'}): ` +
        `analytic ${JSON.stringify(analytic.toNested())}, numeric ${JSON.stringify(numeric.toNested())}`;
    }
  });
  return { worst, detail };
}

/** A LaTeX context for an op applied to operands named `args` with these shapes. */
export function latexContext(
  op: OpDef,
  args: string[],
  shapes: Shape[],
  attrs: Record<string, number | boolean | number[] | null> = {},
  grad = '\\delta',
): LatexContext {
  return { args, out: 'Y', grad, shapes, outShape: op.inferShape(shapes, attrs), attrs };
}

/** Every control sequence the op LaTeX may use; all are supported by KaTeX. */
const KATEX_COMMANDS = new Set([
  'operatorname',
  'mathbb',
  'mathbf',
  'max',
  'log',
  'exp',
  'tanh',
  'sigma',
  'odot',
  'oslash',
  'frac',
  'tfrac',
  'sum',
  'textstyle',
  'text',
  'top',
  'le',
  'Phi',
  'varphi',
  'sqrt',
  'left',
  'right',
  'delta',
  'times',
  'cdot',
  'big',
  'Big',
  'bar',
  'hat',
  'mid',
  'lVert',
  'rVert',
]);

/**
 * Throws when `latex` could not render: unbalanced braces or \left/\right, a command outside
 * KATEX_COMMANDS, JavaScript number spellings (`1e-7`, `NaN`, `undefined`), or a double
 * subscript/superscript on one base (`P_2_{i}`), which KaTeX rejects.
 */
export function assertRenderableLatex(latex: string): void {
  let depth = 0;
  for (let i = 0; i < latex.length; i++) {
    const ch = latex[i];
    if (ch === '\\') {
      const m = /^\\([A-Za-z]+|.)/.exec(latex.slice(i));
      if (!m) throw new Error(`dangling backslash in ${latex}`);
      const name = m[1];
      if (/^[A-Za-z]+$/.test(name) && !KATEX_COMMANDS.has(name)) {
        throw new Error(`\\${name} is not a known KaTeX command in ${latex}`);
      }
      i += m[0].length - 1;
      continue;
    }
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    if (depth < 0) throw new Error(`unbalanced } in ${latex}`);
  }
  if (depth !== 0) throw new Error(`unbalanced { in ${latex}`);
  const lefts = latex.match(/\\left[^A-Za-z]/g)?.length ?? 0;
  const rights = latex.match(/\\right[^A-Za-z]/g)?.length ?? 0;
  if (lefts !== rights) throw new Error(`\\left and \\right do not pair up in ${latex}`);
  if (/\d e-?\d|\de[+-]\d|NaN|undefined|Infinity|null/.test(latex)) {
    throw new Error(`JavaScript value leaked into ${latex}`);
  }
  // A base followed by two subscripts: X_a_b or X_{a}_{b} (same for superscripts).
  const sub = String.raw`(?:[A-Za-z0-9]|\{(?:[^{}]|\{[^{}]*\})*\})`;
  if (new RegExp(`_${sub}_`).test(latex) || new RegExp(`\\^${sub}\\^`).test(latex)) {
    throw new Error(`double subscript or superscript in ${latex}`);
  }
}

/** Checks formula, local and vjp of every operand of `op` in context `c`. */
export function assertOpLatexRenders(op: OpDef, c: LatexContext): void {
  assertRenderableLatex(op.latex.formula(c));
  for (let i = 0; i < op.arity; i++) {
    assertRenderableLatex(op.latex.local(i, c));
    assertRenderableLatex(op.latex.vjp(i, c));
  }
}
