/**
 * softmax, log_softmax and logsumexp along one axis (attr `axis`, default −1: each row of a
 * matrix). All three subtract the lane's maximum before exponentiating, so large logits neither
 * overflow nor turn into NaN: softmax([1000, 0]) = [1, 0].
 *
 * A "lane" is the 1-D slice along the axis (a row when the axis is the last one). The Jacobian
 * is block-diagonal over lanes, so every backward works lane by lane:
 * - softmax:     δx = P ⊙ (δ − Σ_lane δ ⊙ P)           (saves its output P)
 * - log_softmax: δx = δ − softmax(x) · Σ_lane δ         (saves its output; softmax = e^out)
 * - logsumexp:   δx = δ · softmax(x)                    (saves its input; softmax = e^{x−m}/s again)
 */
import { type Attrs, type LatexContext, type OpDef, ShapeError } from '../op';
import { type Shape, Tensor, formatShape, normalizeAxis } from '../tensor';
import { times } from './activations';

type AxisAttrs = Attrs & { readonly axis?: number | null };
type LseAttrs = AxisAttrs & { readonly keepdims?: boolean | null };

/** How a tensor splits into lanes along `axis`: element (o, k, i) is at (o·n + k)·inner + i. */
interface Lanes {
  readonly outer: number;
  readonly n: number;
  readonly inner: number;
}

/** The axis as a non-negative index, or a ShapeError in the user's words. */
function axisOf(op: string, shape: Shape, attrs: AxisAttrs): number {
  const axis = attrs.axis ?? -1;
  const rank = shape.length;
  // A scalar is one lane of one element, reachable as axis 0 or −1.
  const a =
    typeof axis !== 'number'
      ? null
      : rank === 0
        ? axis === 0 || axis === -1
          ? 0
          : null
        : normalizeAxis(axis, rank);
  if (a === null) {
    const range = rank <= 1 ? '0 or -1' : `-${rank}..${rank - 1}`;
    throw new ShapeError(
      `${op}(axis=${String(axis)}) on a ${formatShape(shape)} tensor: axis must be a whole number ` +
        `in ${range} (-1 is the last axis: each row)`,
    );
  }
  return a;
}

function lanesOf(shape: Shape, axis: number): Lanes {
  if (shape.length === 0) return { outer: 1, n: 1, inner: 1 };
  let outer = 1;
  for (let k = 0; k < axis; k++) outer *= shape[k];
  let inner = 1;
  for (let k = axis + 1; k < shape.length; k++) inner *= shape[k];
  return { outer, n: shape[axis], inner };
}

/** Calls f(start, stride) once per lane: the lane's elements are start + k·stride, k < n. */
function forEachLane({ outer, n, inner }: Lanes, f: (start: number, stride: number) => void) {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) f(o * n * inner + i, inner);
  }
}

/**
 * The lane's max m and s = Σ e^{x − m} (so logsumexp = m + log s). Working relative to m rather
 * than to logsumexp keeps x − m exact for nearby values: softmax is then shift-invariant to the
 * last bit, and log_softmax of large logits keeps its digits.
 */
function laneMaxSum(
  x: Float64Array,
  start: number,
  stride: number,
  n: number,
): { m: number; s: number } {
  let m = -Infinity;
  for (let k = 0; k < n; k++) m = Math.max(m, x[start + k * stride]);
  let s = 0;
  for (let k = 0; k < n; k++) s += Math.exp(x[start + k * stride] - m);
  return { m, s };
}

function laneLse(x: Float64Array, start: number, stride: number, n: number): number {
  const { m, s } = laneMaxSum(x, start, stride, n);
  // All −∞ (or a +∞): the shift gives NaN, but the answer is the max itself.
  return m === -Infinity || m === Infinity ? m : m + Math.log(s);
}

function softmaxForward(x: Tensor, axis: number, log: boolean): Tensor {
  const lanes = lanesOf(x.shape, axis);
  const out = new Float64Array(x.size);
  forEachLane(lanes, (start, stride) => {
    const { m, s } = laneMaxSum(x.data, start, stride, lanes.n);
    const logS = Math.log(s);
    for (let k = 0; k < lanes.n; k++) {
      const j = start + k * stride;
      out[j] = log ? x.data[j] - m - logS : Math.exp(x.data[j] - m) / s;
    }
  });
  return new Tensor(x.shape, out);
}

// ---------------------------------------------------------------------------------------------
// LaTeX helpers

/** Null for the last axis (the row-wise default), else `k` for `\text{axis } k`. */
function namedAxis(c: LatexContext<AxisAttrs>): number | null {
  const shape = c.shapes[0];
  const a = axisOf('softmax', shape, c.attrs);
  return a === shape.length - 1 || shape.length === 0 ? null : a;
}

/** `\operatorname{softmax}` with the axis as a subscript when it is not the last one. */
function softmaxName(c: LatexContext<AxisAttrs>): string {
  const a = namedAxis(c);
  return a === null ? `\\operatorname{softmax}` : `\\operatorname{softmax}_{\\text{axis } ${a}}`;
}

/** Σ along the lane, keeping the axis so it broadcasts back: row sums as `(·)\mathbf{1}\mathbf{1}^\top`. */
function laneSumLatex(expr: string, c: LatexContext<AxisAttrs>): string {
  const a = namedAxis(c);
  // A lone symbol (`\\delta`, `P`) needs no parentheses.
  const term = expr.includes(' ') ? `(${expr})` : expr;
  return a === null
    ? `${term}\\mathbf{1}\\mathbf{1}^\\top`
    : `\\textstyle\\sum_{\\text{axis } ${a}} ${term}`;
}

/** `expr` said of each lane p of `source`: `… \text{ for each row } p \text{ of } P`. */
function perLane(expr: string, source: string, c: LatexContext<AxisAttrs>): string {
  const a = namedAxis(c);
  if (c.shapes[0].length <= 1) return `${expr},\\ p = ${source}`;
  return a === null
    ? `${expr}\\ \\text{for each row } p \\text{ of } ${source}`
    : `${expr}\\ \\text{for each slice } p \\text{ of } ${source} \\text{ along axis } ${a}`;
}

// ---------------------------------------------------------------------------------------------
// The ops

const axisSaves = {
  output: { inputs: [], output: true },
  input: { inputs: [0], output: false },
} as const;

export const softmax: OpDef<AxisAttrs> = {
  name: 'softmax',
  arity: 1,
  inferShape: ([s], attrs) => {
    axisOf('softmax', s, attrs);
    return s;
  },
  forward: ([x], attrs) => softmaxForward(x, axisOf('softmax', x.shape, attrs), false),
  backward: (g, { output: p, attrs }, needs) => {
    if (!needs[0]) return [null];
    const lanes = lanesOf(p.shape, axisOf('softmax', p.shape, attrs));
    const r = new Float64Array(p.size);
    forEachLane(lanes, (start, stride) => {
      let dot = 0;
      for (let k = 0; k < lanes.n; k++)
        dot += g.data[start + k * stride] * p.data[start + k * stride];
      for (let k = 0; k < lanes.n; k++) {
        const j = start + k * stride;
        r[j] = p.data[j] * (g.data[j] - dot);
      }
    });
    return [new Tensor(p.shape, r)];
  },
  saves: () => axisSaves.output,
  latex: {
    formula: (c) => `${softmaxName(c)}(${c.args[0]})`,
    local: (_i, c) => perLane(`\\operatorname{diag}(p) - p\\, p^\\top`, c.out, c),
    vjp: (_i, c) =>
      `${c.out} \\odot \\left(${c.grad} - ${laneSumLatex(`${times(c.grad)}${c.out}`, c)}\\right)`,
  },
};

export const logSoftmax: OpDef<AxisAttrs> = {
  name: 'log_softmax',
  arity: 1,
  inferShape: ([s], attrs) => {
    axisOf('log_softmax', s, attrs);
    return s;
  },
  forward: ([x], attrs) => softmaxForward(x, axisOf('log_softmax', x.shape, attrs), true),
  backward: (g, { output: logp, attrs }, needs) => {
    if (!needs[0]) return [null];
    const lanes = lanesOf(logp.shape, axisOf('log_softmax', logp.shape, attrs));
    const r = new Float64Array(logp.size);
    forEachLane(lanes, (start, stride) => {
      let total = 0;
      for (let k = 0; k < lanes.n; k++) total += g.data[start + k * stride];
      for (let k = 0; k < lanes.n; k++) {
        const j = start + k * stride;
        r[j] = g.data[j] - Math.exp(logp.data[j]) * total;
      }
    });
    return [new Tensor(logp.shape, r)];
  },
  saves: () => axisSaves.output,
  latex: {
    formula: (c) => `\\log ${softmaxName(c)}(${c.args[0]})`,
    local: (_i, c) => perLane(`I - \\mathbf{1}\\, p^\\top`, `${softmaxName(c)}(${c.args[0]})`, c),
    vjp: (_i, c) => `${c.grad} - ${softmaxName(c)}(${c.args[0]}) \\odot ${laneSumLatex(c.grad, c)}`,
  },
};

function keepdimsOf(attrs: LseAttrs): boolean {
  const keepdims = attrs.keepdims ?? false;
  if (typeof keepdims !== 'boolean') {
    throw new ShapeError(
      `logsumexp: keepdims must be True or False, e.g. logsumexp(x, axis=-1, keepdims=True)`,
    );
  }
  return keepdims;
}

function lseShape(shape: Shape, attrs: LseAttrs): Shape {
  const axis = axisOf('logsumexp', shape, attrs);
  if (shape.length === 0) return shape;
  return keepdimsOf(attrs)
    ? shape.map((d, k) => (k === axis ? 1 : d))
    : shape.filter((_, k) => k !== axis);
}

export const logsumexp: OpDef<LseAttrs> = {
  name: 'logsumexp',
  arity: 1,
  inferShape: ([s], attrs) => lseShape(s, attrs),
  forward: ([x], attrs) => {
    const lanes = lanesOf(x.shape, axisOf('logsumexp', x.shape, attrs));
    // Lanes are visited in (outer, inner) order, which is exactly the reduced tensor's order.
    const out = new Float64Array(lanes.outer * lanes.inner);
    let q = 0;
    forEachLane(lanes, (start, stride) => {
      out[q++] = laneLse(x.data, start, stride, lanes.n);
    });
    return new Tensor(lseShape(x.shape, attrs), out);
  },
  backward: (g, { inputs: [x], attrs }, needs) => {
    if (!needs[0]) return [null];
    const lanes = lanesOf(x.shape, axisOf('logsumexp', x.shape, attrs));
    const r = new Float64Array(x.size);
    let q = 0;
    forEachLane(lanes, (start, stride) => {
      // softmax as e^{x−m}/s, not e^{x−lse}: at |x| ≈ 1e308 the lse has lost its log s (the
      // lane [−1e308, −1e308] would get the gradient [1, 1] instead of [½, ½]).
      const { m, s } = laneMaxSum(x.data, start, stride, lanes.n);
      const gq = g.data[q++];
      for (let k = 0; k < lanes.n; k++) {
        const j = start + k * stride;
        r[j] = (gq * Math.exp(x.data[j] - m)) / s;
      }
    });
    return [new Tensor(x.shape, r)];
  },
  saves: () => axisSaves.input,
  latex: {
    formula: (c) => {
      const a = namedAxis(c);
      const x = c.args[0];
      if (c.shapes[0].length <= 1) return `\\log \\textstyle\\sum_{j} ${entryExp(x, 'j')}`;
      return a === null
        ? `\\log\\left(e^{${x}}\\,\\mathbf{1}\\right)`
        : `\\log \\textstyle\\sum_{\\text{axis } ${a}} e^{${x}}`;
    },
    local: (_i, c) => perLane(`p^\\top`, `${softmaxName(c)}(${c.args[0]})`, c),
    vjp: (_i, c) => {
      const s = `${softmaxName(c)}(${c.args[0]})`;
      const a = namedAxis(c);
      // δ has one entry per lane; without keepdims it must be stretched back along the axis.
      if (keepdimsOf(c.attrs) || c.shapes[0].length <= 1) return `${times(c.grad)}${s}`;
      return a === null
        ? `${c.grad}\\,\\mathbf{1}^\\top \\odot ${s}`
        : `\\operatorname{expand}_{\\text{axis } ${a}}(${c.grad}) \\odot ${s}`;
    },
  },
};

/** `e^{x_j}` for a plain symbol, `e^{[x]_j}` when the operand already has a subscript. */
function entryExp(x: string, index: string): string {
  return /^([A-Za-z]|\\[A-Za-z]+)$/.test(x) ? `e^{${x}_{${index}}}` : `e^{[${x}]_{${index}}}`;
}

export const softmaxOps: readonly OpDef[] = [
  softmax as OpDef,
  logSoftmax as OpDef,
  logsumexp as OpDef,
];
