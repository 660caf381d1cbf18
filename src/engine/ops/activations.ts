/**
 * Elementwise activations: relu, leaky_relu, sigmoid, tanh, softplus, gelu.
 *
 * All keep their input's shape and have a diagonal Jacobian, so each backward is `δ ⊙ f'(x)` and
 * each local derivative is written `\operatorname{diag}(f'(x))`. What each op saves is chosen so
 * that f'(x) can be rebuilt from it alone:
 * - relu saves its output: out > 0 exactly where in > 0 (PyTorch's `threshold_backward` does the
 *   same), so the mask comes from either and the output is the one later ops keep anyway.
 * - leaky_relu saves its input: with α ≤ 0 the output's sign no longer tells the side of 0.
 * - sigmoid and tanh save their output (σ' = σ(1−σ), tanh' = 1−tanh²).
 * - softplus and gelu save their input (softplus' = σ(x), gelu' = Φ(x) + x φ(x)).
 */
import { type Attrs, type LatexContext, type OpDef, ShapeError } from '../op';
import { type Shape, Tensor, map } from '../tensor';

type LeakyAttrs = Attrs & { readonly alpha?: number };

/** leaky_relu's slope for x ≤ 0 when the spec does not give one (PyTorch's default). */
export const DEFAULT_LEAKY_ALPHA = 0.01;

const sameShape = ([s]: readonly Shape[]): Shape => s;

/** g ⊙ f(x, out) elementwise: the whole of every backward in this family. */
function scaleBy(
  g: Tensor,
  x: Tensor,
  out: Tensor,
  slope: (x: number, out: number) => number,
): Tensor {
  const r = new Float64Array(g.size);
  for (let i = 0; i < r.length; i++) r[i] = g.data[i] * slope(x.data[i], out.data[i]);
  return new Tensor(g.shape, r);
}

/** Which side of 0 each element is on: −1, 0 or 1 (the pieces of relu and leaky_relu). */
function signs([x]: readonly Tensor[]): Int32Array {
  const s = new Int32Array(x.size);
  for (let i = 0; i < s.length; i++) s[i] = x.data[i] > 0 ? 1 : x.data[i] < 0 ? -1 : 0;
  return s;
}

/** A number as LaTeX: `0.01`, `2`, `1 \times 10^{-7}` (never JavaScript's `1e-7`). */
export function latexNumber(x: number): string {
  const s = String(x);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const exponent = Number(s.slice(e + 1));
  return `${s.slice(0, e)} \\times 10^{${exponent}}`;
}

/**
 * `δ \odot ` before a term, or nothing when the upstream gradient is the literal 1 (the seed of
 * a scalar loss), so rules read `\sigma(x)` rather than `1 \odot \sigma(x)`.
 */
export function times(grad: string): string {
  return grad === '1' ? '' : `${grad} \\odot `;
}

/** The local derivative of an elementwise op whose derivative is `d`. */
const diag = (d: string): string => `\\operatorname{diag}(${d})`;

// ---------------------------------------------------------------------------------------------
// relu, leaky_relu

export const relu: OpDef = {
  name: 'relu',
  arity: 1,
  inferShape: sameShape,
  forward: ([x]) => map(x, (v) => Math.max(0, v)),
  // The derivative at exactly 0 is taken as 0, as PyTorch does.
  backward: (g, { output }, needs) => [
    needs[0] ? scaleBy(g, output, output, (o) => (o > 0 ? 1 : 0)) : null,
  ],
  saves: () => ({ inputs: [], output: true }),
  pieces: signs,
  latex: {
    formula: (c) => `\\max(0, ${c.args[0]})`,
    local: (_i, c) => diag(`\\mathbb{1}[${c.args[0]} > 0]`),
    vjp: (_i, c) => `${times(c.grad)}\\mathbb{1}[${c.args[0]} > 0]`,
  },
};

/** alpha, defaulting to 0.01; throws a ShapeError (the spec's "bad argument") when not a number. */
function alphaOf(attrs: LeakyAttrs): number {
  const alpha = attrs.alpha ?? DEFAULT_LEAKY_ALPHA;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) {
    throw new ShapeError(
      `leaky_relu: alpha must be a number (the slope for negative inputs), e.g. leaky_relu(x, alpha=0.01)`,
    );
  }
  return alpha;
}

/** `\mathbb{1}[x > 0] + α\,\mathbb{1}[x \le 0]`: the slope of leaky_relu at each element. */
function leakySlopeLatex(c: LatexContext<LeakyAttrs>): string {
  const x = c.args[0];
  return `\\mathbb{1}[${x} > 0] + ${latexNumber(alphaOf(c.attrs))}\\,\\mathbb{1}[${x} \\le 0]`;
}

export const leakyRelu: OpDef<LeakyAttrs> = {
  name: 'leaky_relu',
  arity: 1,
  inferShape: (shapes, attrs) => {
    alphaOf(attrs);
    return shapes[0];
  },
  forward: ([x], attrs) => {
    const alpha = alphaOf(attrs);
    return map(x, (v) => (v > 0 ? v : alpha * v));
  },
  backward: (g, { inputs: [x], attrs }, needs) => {
    const alpha = alphaOf(attrs);
    return [needs[0] ? scaleBy(g, x, x, (v) => (v > 0 ? 1 : alpha)) : null];
  },
  saves: () => ({ inputs: [0], output: false }),
  pieces: signs,
  latex: {
    formula: (c) => {
      const alpha = alphaOf(c.attrs);
      const x = c.args[0];
      // max(αx, x) is the familiar form, but only right for 0 ≤ α ≤ 1.
      return alpha >= 0 && alpha <= 1
        ? `\\max(${latexNumber(alpha)}\\, ${x}, ${x})`
        : `${x} \\odot (${leakySlopeLatex(c)})`;
    },
    local: (_i, c) => diag(leakySlopeLatex(c)),
    vjp: (_i, c) => `${times(c.grad)}(${leakySlopeLatex(c)})`,
  },
};

// ---------------------------------------------------------------------------------------------
// sigmoid, tanh, softplus

/** σ(x) without overflow: exp is only ever taken of a non-positive number. */
export function sigmoidOf(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export const sigmoid: OpDef = {
  name: 'sigmoid',
  arity: 1,
  inferShape: sameShape,
  forward: ([x]) => map(x, sigmoidOf),
  backward: (g, { output }, needs) => [
    needs[0] ? scaleBy(g, output, output, (s) => s * (1 - s)) : null,
  ],
  saves: () => ({ inputs: [], output: true }),
  latex: {
    formula: (c) => `\\sigma(${c.args[0]})`,
    local: (_i, c) => diag(`\\sigma(${c.args[0]})(1-\\sigma(${c.args[0]}))`),
    vjp: (_i, c) => `${times(c.grad)}\\sigma(${c.args[0]}) \\odot (1-\\sigma(${c.args[0]}))`,
  },
};

export const tanh: OpDef = {
  name: 'tanh',
  arity: 1,
  inferShape: sameShape,
  forward: ([x]) => map(x, Math.tanh),
  backward: (g, { output }, needs) => [
    needs[0] ? scaleBy(g, output, output, (t) => 1 - t * t) : null,
  ],
  saves: () => ({ inputs: [], output: true }),
  latex: {
    formula: (c) => `\\tanh(${c.args[0]})`,
    local: (_i, c) => diag(`1 - \\tanh^2(${c.args[0]})`),
    vjp: (_i, c) => `${times(c.grad)}(1 - \\tanh^2(${c.args[0]}))`,
  },
};

/** log(1 + eˣ) = log1p(e^−|x|) + max(x, 0): no overflow for large x, no lost digits for small. */
export function softplusOf(x: number): number {
  return Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0);
}

export const softplus: OpDef = {
  name: 'softplus',
  arity: 1,
  inferShape: sameShape,
  forward: ([x]) => map(x, softplusOf),
  backward: (g, { inputs: [x] }, needs) => [needs[0] ? scaleBy(g, x, x, sigmoidOf) : null],
  saves: () => ({ inputs: [0], output: false }),
  latex: {
    formula: (c) => `\\log(1 + e^{${c.args[0]}})`,
    local: (_i, c) => diag(`\\sigma(${c.args[0]})`),
    vjp: (_i, c) => `${times(c.grad)}\\sigma(${c.args[0]})`,
  },
};

// ---------------------------------------------------------------------------------------------
// gelu and the error function it needs

// W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969)
// 631–637: the coefficients of Netlib SPECFUN's CALERF, each written as the float64 nearest its
// published 18 digits (what the compiler would keep anyway). Relative error below 1e-15.
// erf on |x| ≤ 0.46875:
const ERF_A = [
  3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315,
];
const ERF_B = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
// erfc(x)·e^{x²} on 0.46875 < |x| ≤ 4:
const ERF_C = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769,
  1712.0476126340707, 2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
];
const ERF_D = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597,
  4362.619090143247, 3439.3676741437216, 1230.3393548037495,
];
// erfc(x)·e^{x²}·x on |x| > 4, in 1/x²:
const ERF_P = [
  0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275,
  0.0006587491615298378, 0.016315387137302097,
];
const ERF_Q = [
  2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132,
  0.0023352049762686918,
];
const ONE_OVER_SQRT_PI = 0.5641895835477563;
/** Past this, erfc(x) underflows to 0 in float64. */
const ERFC_ZERO_BEYOND = 26.543;

/** erf(x) for |x| ≤ 0.46875, where the series form loses nothing. */
function erfSmall(x: number): number {
  const y = x * x;
  let num = ERF_A[4] * y;
  let den = y;
  for (let i = 0; i < 3; i++) {
    num = (num + ERF_A[i]) * y;
    den = (den + ERF_B[i]) * y;
  }
  return (x * (num + ERF_A[3])) / (den + ERF_B[3]);
}

/** erfc(y) for y > 0.46875. */
function erfcLarge(y: number): number {
  let r: number;
  if (y <= 4) {
    let num = ERF_C[8] * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + ERF_C[i]) * y;
      den = (den + ERF_D[i]) * y;
    }
    r = (num + ERF_C[7]) / (den + ERF_D[7]);
  } else {
    if (y >= ERFC_ZERO_BEYOND) return 0;
    const z = 1 / (y * y);
    let num = ERF_P[5] * z;
    let den = z;
    for (let i = 0; i < 4; i++) {
      num = (num + ERF_P[i]) * z;
      den = (den + ERF_Q[i]) * z;
    }
    r = (z * (num + ERF_P[4])) / (den + ERF_Q[4]);
    r = (ONE_OVER_SQRT_PI - r) / y;
  }
  // e^{−y²} as e^{−s²}·e^{−(y−s)(y+s)} with s = y rounded down to 1/16: s² is exact, so the
  // rounding error of y² is not amplified by the exponential.
  const s = Math.trunc(y * 16) / 16;
  return Math.exp(-s * s) * Math.exp(-(y - s) * (y + s)) * r;
}

/** The error function, to about 1e-15 relative (Cody 1969). */
export function erf(x: number): number {
  const y = Math.abs(x);
  if (y <= 0.46875) return erfSmall(x);
  const r = 1 - erfcLarge(y);
  return x < 0 ? -r : r;
}

/** The complementary error function 1 − erf(x), accurate also where it is tiny (large x). */
export function erfc(x: number): number {
  const y = Math.abs(x);
  if (y <= 0.46875) return 1 - erfSmall(x);
  const r = erfcLarge(y);
  return x < 0 ? 2 - r : r;
}

const SQRT1_2 = Math.SQRT1_2;
const ONE_OVER_SQRT_2PI = 0.3989422804014327;

/** Φ(x), the standard normal CDF, as erfc(−x/√2)/2: no cancellation in the left tail. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2);
}

/** gelu(x) = x Φ(x), the exact form (PyTorch's `approximate='none'`). */
export function geluOf(x: number): number {
  return x * normalCdf(x);
}

/** gelu'(x) = Φ(x) + x φ(x). */
export function geluSlope(x: number): number {
  return normalCdf(x) + x * ONE_OVER_SQRT_2PI * Math.exp(-0.5 * x * x);
}

export const gelu: OpDef = {
  name: 'gelu',
  arity: 1,
  inferShape: sameShape,
  forward: ([x]) => map(x, geluOf),
  backward: (g, { inputs: [x] }, needs) => [needs[0] ? scaleBy(g, x, x, geluSlope) : null],
  saves: () => ({ inputs: [0], output: false }),
  latex: {
    formula: (c) =>
      `\\tfrac{1}{2}\\, ${c.args[0]} \\odot \\left(1 + \\operatorname{erf}(${c.args[0]} / \\sqrt{2})\\right)`,
    local: (_i, c) => diag(`\\Phi(${c.args[0]}) + ${c.args[0]} \\odot \\varphi(${c.args[0]})`),
    vjp: (_i, c) =>
      `${times(c.grad)}\\left(\\Phi(${c.args[0]}) + ${c.args[0]} \\odot \\varphi(${c.args[0]})\\right)`,
  },
};

export const activationOps: readonly OpDef[] = [
  relu,
  leakyRelu as OpDef,
  sigmoid,
  tanh,
  softplus,
  gelu,
];
