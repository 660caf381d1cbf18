/**
 * Elementwise functions: exp, log, sqrt, abs. Each Jacobian is diagonal, so each VJP is the
 * upstream gradient times the derivative, elementwise.
 *
 * What backward keeps: exp and sqrt reuse their output (d eˣ = eˣ, d√x = 1 / 2√x), log and abs
 * their input. Outside the domain the values are IEEE's, as NumPy and PyTorch give them: log of a
 * negative is NaN, log 0 is −∞ and its gradient +∞·δ; sqrt 0 has gradient +∞·δ.
 */
import type { NonFiniteCause, OpDef } from '../op';
import { Tensor, map } from '../tensor';

/** δ ⊙ f(x) elementwise for same-shape tensors: the whole backward of a diagonal Jacobian. */
function times(g: Tensor, x: Tensor, f: (x: number) => number): Tensor {
  const out = new Float64Array(g.size);
  const gd = g.data;
  const xd = x.data;
  for (let i = 0; i < out.length; i++) out[i] = gd[i] * f(xd[i]);
  return new Tensor(g.shape, out);
}

const sameShape = ([s]: readonly (readonly number[])[]) => s;

/** The smallest and largest finite element (the numerics report names them). */
function extremes(x: Tensor): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of x.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** log and sqrt: a negative input gives NaN; a 0 gives −∞ (log) or an infinite slope (both). */
function domainCause(
  op: 'log' | 'sqrt',
  pass: 'forward' | 'backward',
  x: Tensor,
): NonFiniteCause | null {
  const { min } = extremes(x);
  if (min < 0) return { code: `${op}-negative`, value: min };
  if (min === 0) return { code: pass === 'forward' ? `${op}-zero` : `${op}-slope-at-zero` };
  return null;
}

export const exp: OpDef = {
  name: 'exp',
  arity: 1,
  inferShape: sameShape,
  forward: ([a]) => map(a, Math.exp),
  backward: (g, { output }, needs) => [needs[0] ? times(g, output, (y) => y) : null],
  saves: () => ({ inputs: [], output: true }),
  latex: {
    formula: (c) => `e^{${c.args[0]}}`,
    local: (_i, c) => `\\operatorname{diag}(e^{${c.args[0]}})`,
    vjp: (_i, c) => `${c.grad} \\odot e^{${c.args[0]}}`,
  },
  // e^x passes the largest float64 at x = ln(1.8e308) ≈ 709.78.
  whyNonFinite: (pass, [a]) =>
    pass === 'forward' ? { code: 'exp-overflow', value: extremes(a).max } : null,
};

export const log: OpDef = {
  name: 'log',
  arity: 1,
  inferShape: sameShape,
  forward: ([a]) => map(a, Math.log),
  backward: (g, { inputs: [a] }, needs) => [needs[0] ? times(g, a, (x) => 1 / x) : null],
  saves: () => ({ inputs: [0], output: false }),
  latex: {
    formula: (c) => `\\log ${c.args[0]}`,
    local: (_i, c) => `\\operatorname{diag}(1 / ${c.args[0]})`,
    vjp: (_i, c) => `${c.grad} \\oslash ${c.args[0]}`,
  },
  whyNonFinite: (pass, [a]) => domainCause('log', pass, a),
};

export const sqrt: OpDef = {
  name: 'sqrt',
  arity: 1,
  inferShape: sameShape,
  forward: ([a]) => map(a, Math.sqrt),
  backward: (g, { output }, needs) => [needs[0] ? times(g, output, (y) => 0.5 / y) : null],
  saves: () => ({ inputs: [], output: true }),
  latex: {
    formula: (c) => `\\sqrt{${c.args[0]}}`,
    local: (_i, c) => `\\operatorname{diag}\\left(\\frac{1}{2\\sqrt{${c.args[0]}}}\\right)`,
    vjp: (_i, c) => `${c.grad} \\oslash (2\\sqrt{${c.args[0]}})`,
  },
  whyNonFinite: (pass, [a]) => domainCause('sqrt', pass, a),
};

/**
 * |x|. The kink is at 0, where the gradient is taken as 0 (sign(0) = 0, as PyTorch does; a NaN
 * input gives a NaN gradient). `pieces` is the sign of each element (−1, 0, 1; 0 for NaN), so a
 * gradient check sees a perturbation cross the kink.
 */
export const abs: OpDef = {
  name: 'abs',
  arity: 1,
  inferShape: sameShape,
  forward: ([a]) => map(a, Math.abs),
  backward: (g, { inputs: [a] }, needs) => [needs[0] ? times(g, a, Math.sign) : null],
  saves: () => ({ inputs: [0], output: false }),
  latex: {
    formula: (c) => `\\lvert ${c.args[0]} \\rvert`,
    local: (_i, c) => `\\operatorname{diag}(\\operatorname{sign}(${c.args[0]}))`,
    vjp: (_i, c) => `${c.grad} \\odot \\operatorname{sign}(${c.args[0]})`,
  },
  pieces: ([a]) => {
    const out = new Int32Array(a.size);
    for (let i = 0; i < out.length; i++) out[i] = a.data[i] > 0 ? 1 : a.data[i] < 0 ? -1 : 0;
    return out;
  },
};

export const unaryOps: readonly OpDef[] = [exp, log, sqrt, abs];
