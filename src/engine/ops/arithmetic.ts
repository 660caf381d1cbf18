/**
 * Elementwise arithmetic with NumPy broadcasting: + - * / ** and unary minus.
 * Each backward sums its gradient back over the axes broadcasting stretched (`sumToShape`).
 */
import { type LatexContext, type NonFiniteCause, type OpDef, ShapeError } from '../op';
import {
  type Shape,
  type Tensor,
  broadcastShapes,
  formatShape,
  map,
  sumToShape,
  zipWith,
} from '../tensor';

function broadcastShape(symbol: string) {
  return (shapes: readonly Shape[]): Shape => {
    const out = broadcastShapes(shapes[0], shapes[1]);
    if (!out) {
      throw new ShapeError(
        `(${formatShape(shapes[0])}) ${symbol} (${formatShape(shapes[1])}): shapes do not broadcast — ` +
          'trailing sizes must be equal or 1',
      );
    }
    return out;
  };
}

/** `\textstyle\sum` over the stretched axes when the operand was broadcast, so the rule shows it. */
export function sumBackLatex(expr: string, ctx: LatexContext, i: number): string {
  const inShape = ctx.shapes[i];
  const outShape = ctx.outShape;
  if (inShape.length === outShape.length && inShape.every((d, k) => d === outShape[k])) return expr;
  const stretched: number[] = [];
  for (let k = 0; k < outShape.length; k++) {
    const j = inShape.length - outShape.length + k;
    if (j < 0 || (inShape[j] === 1 && outShape[k] !== 1)) stretched.push(k);
  }
  const label =
    stretched.length === 1 && stretched[0] === 0 && outShape.length === 2
      ? 'rows'
      : `axes\\ ${stretched.join(',')}`;
  return `\\textstyle\\sum_{\\text{${label}}} ${expr}`;
}

const nothingSaved = { inputs: [], output: false } as const;

export const add: OpDef = {
  name: 'add',
  arity: 2,
  inferShape: broadcastShape('+'),
  forward: ([a, b]) => zipWith(a, b, (x, y) => x + y),
  backward: (g, { inputs }, needs) => [
    needs[0] ? sumToShape(g, inputs[0].shape) : null,
    needs[1] ? sumToShape(g, inputs[1].shape) : null,
  ],
  saves: () => nothingSaved,
  latex: {
    formula: (c) => `${c.args[0]} + ${c.args[1]}`,
    local: () => `I`,
    vjp: (i, c) => sumBackLatex(c.grad, c, i),
  },
};

export const sub: OpDef = {
  name: 'sub',
  arity: 2,
  inferShape: broadcastShape('-'),
  forward: ([a, b]) => zipWith(a, b, (x, y) => x - y),
  backward: (g, { inputs }, needs) => [
    needs[0] ? sumToShape(g, inputs[0].shape) : null,
    needs[1]
      ? sumToShape(
          map(g, (x) => -x),
          inputs[1].shape,
        )
      : null,
  ],
  saves: () => nothingSaved,
  latex: {
    formula: (c) => `${c.args[0]} - ${c.args[1]}`,
    local: (i) => (i === 0 ? `I` : `-I`),
    vjp: (i, c) => sumBackLatex(i === 0 ? c.grad : `-${c.grad}`, c, i),
  },
};

export const mul: OpDef = {
  name: 'mul',
  arity: 2,
  inferShape: broadcastShape('*'),
  forward: ([a, b]) => zipWith(a, b, (x, y) => x * y),
  backward: (g, { inputs: [a, b] }, needs) => [
    needs[0]
      ? sumToShape(
          zipWith(g, b, (x, y) => x * y),
          a.shape,
        )
      : null,
    needs[1]
      ? sumToShape(
          zipWith(g, a, (x, y) => x * y),
          b.shape,
        )
      : null,
  ],
  saves: () => ({ inputs: [0, 1], output: false }),
  latex: {
    formula: (c) => `${c.args[0]} \\odot ${c.args[1]}`,
    local: (i, c) => `\\operatorname{diag}(${c.args[1 - i]})`,
    vjp: (i, c) => sumBackLatex(`${c.grad} \\odot ${c.args[1 - i]}`, c, i),
  },
};

export const div: OpDef = {
  name: 'div',
  arity: 2,
  inferShape: broadcastShape('/'),
  forward: ([a, b]) => zipWith(a, b, (x, y) => x / y),
  backward: (g, { inputs: [a, b] }, needs) => [
    needs[0]
      ? sumToShape(
          zipWith(g, b, (x, y) => x / y),
          a.shape,
        )
      : null,
    needs[1]
      ? sumToShape(
          zipWith(
            zipWith(g, a, (x, y) => x * y),
            b,
            (x, y) => -x / (y * y),
          ),
          b.shape,
        )
      : null,
  ],
  saves: () => ({ inputs: [0, 1], output: false }),
  latex: {
    formula: (c) => `\\frac{${c.args[0]}}{${c.args[1]}}`,
    local: (i, c) =>
      i === 0
        ? `\\operatorname{diag}(1 / ${c.args[1]})`
        : `\\operatorname{diag}(-${c.args[0]} / ${c.args[1]}^2)`,
    vjp: (i, c) =>
      sumBackLatex(
        i === 0
          ? `${c.grad} \\oslash ${c.args[1]}`
          : `-${c.grad} \\odot ${c.args[0]} \\oslash ${c.args[1]}^{2}`,
        c,
        i,
      ),
  },
  whyNonFinite: (_pass, [a, b]) => divisionCause(a, b),
};

/** a / b: a 0 in b divides by zero (0/0 where a is 0 there too); else the quotient overflowed. */
function divisionCause(a: Tensor, b: Tensor): NonFiniteCause | null {
  if (!b.data.includes(0)) return null;
  const q = zipWith(a, b, (x, y) => (y === 0 ? (x === 0 ? 2 : 1) : 0));
  return { code: q.data.includes(2) ? 'zero-over-zero' : 'divide-by-zero' };
}

/** x ** y: 0 to a negative power is ∞, a negative number to a fractional power is NaN. */
function powerCause(pass: 'forward' | 'backward', a: Tensor, b: Tensor): NonFiniteCause | null {
  const kinds = zipWith(a, b, (x, y) =>
    x < 0 && !Number.isInteger(y) ? 2 : x === 0 && (pass === 'forward' ? y < 0 : y < 1) ? 1 : 0,
  );
  if (kinds.data.includes(2)) return { code: 'pow-negative-base' };
  if (kinds.data.includes(1)) return { code: 'pow-zero-base' };
  return null;
}

export const pow: OpDef = {
  name: 'pow',
  arity: 2,
  inferShape: broadcastShape('**'),
  forward: ([a, b]) => zipWith(a, b, (x, y) => x ** y),
  backward: (g, { inputs: [a, b], output }, needs) => {
    const gradA = needs[0]
      ? sumToShape(
          zipWith(
            g,
            zipWith(a, b, (x, y) => (y === 0 ? 0 : y * x ** (y - 1))),
            (u, v) => u * v,
          ),
          a.shape,
        )
      : null;
    // ∂(a^b)/∂b = a^b ln a; defined for a > 0 (0 where a^b is 0 and a = 0, as PyTorch does).
    const gradB = needs[1]
      ? sumToShape(
          zipWith(
            g,
            zipWith(output, a, (o, x) => (x === 0 ? 0 : o * Math.log(x))),
            (u, v) => u * v,
          ),
          b.shape,
        )
      : null;
    return [gradA, gradB];
  },
  saves: () => ({ inputs: [0, 1], output: true }),
  latex: {
    formula: (c) => `${c.args[0]}^{${c.args[1]}}`,
    local: (i, c) =>
      i === 0
        ? `\\operatorname{diag}(${c.args[1]}\\, ${c.args[0]}^{${c.args[1]} - 1})`
        : `\\operatorname{diag}(${c.out} \\ln ${c.args[0]})`,
    vjp: (i, c) =>
      sumBackLatex(
        i === 0
          ? `${c.grad} \\odot ${c.args[1]}\\, ${c.args[0]}^{${c.args[1]} - 1}`
          : `${c.grad} \\odot ${c.out} \\ln ${c.args[0]}`,
        c,
        i,
      ),
  },
  whyNonFinite: (pass, [a, b]) => powerCause(pass, a, b),
};

export const neg: OpDef = {
  name: 'neg',
  arity: 1,
  inferShape: ([s]) => s,
  forward: ([a]) => map(a, (x) => -x),
  backward: (g, _ctx, needs) => [needs[0] ? map(g, (x) => -x) : null],
  saves: () => nothingSaved,
  latex: {
    formula: (c) => `-${c.args[0]}`,
    local: () => `-I`,
    vjp: (_i, c) => `-${c.grad}`,
  },
};

export const arithmeticOps: readonly OpDef[] = [add, sub, mul, div, pow, neg];
