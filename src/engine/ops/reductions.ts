/**
 * Reductions: sum, mean, max over some axes.
 *
 * Attributes (the spec's `axis=` and `keepdims=`, NumPy's meaning):
 *   axis      null or absent: every axis; a number or a list of numbers, negative counting from
 *             the end; an empty list reduces nothing. On a scalar, 0 and −1 are accepted (as
 *             PyTorch does) and reduce nothing.
 *   keepdims  keep each reduced axis as size 1 (absent: false).
 *
 * One index array does all the work: for every input element, the flat index of the output
 * element it reduces into (`broadcastIndex` of the kept shape). Forward scatters along it,
 * backward gathers along it, so backward is the broadcast of δ back over the reduced axes.
 *
 * max sends the whole upstream gradient to one element per slice: the first maximum in row-major
 * order, which is NumPy's `argmax` choice. (PyTorch's `max(dim)` also routes to a single index,
 * but with ties it does not promise which; `amax` and the all-axes `max()` split the gradient
 * evenly among ties.) Away from ties all agree; `pieces` exposes the chosen index so a gradient
 * check flags perturbations that change it.
 */
import { type LatexContext, type OpDef, ShapeError } from '../op';
import {
  type Shape,
  Tensor,
  broadcastIndex,
  formatShape,
  map,
  normalizeAxis,
  sizeOf,
} from '../tensor';
import { indexed, latexShape } from './linalg';

export type ReduceAttrs = {
  readonly axis: number | readonly number[] | null;
  readonly keepdims: boolean;
};

/** How one reduction maps its input onto its output. */
interface Plan {
  /** The reduced axes, normalized and ascending. */
  readonly axes: readonly number[];
  readonly outShape: Shape;
  /** The input shape with each reduced axis set to 1: the output's layout, keepdims or not. */
  readonly keptShape: Shape;
  /** Input elements per output element. */
  readonly count: number;
}

function plan(op: string, shape: Shape, attrs: ReduceAttrs): Plan {
  const rank = shape.length;
  const axis = attrs.axis ?? null;
  const keepdims = attrs.keepdims ?? false;
  const given = axis === null ? null : typeof axis === 'number' ? [axis] : [...axis];
  const axes = new Set<number>();
  if (given === null) {
    for (let a = 0; a < rank; a++) axes.add(a);
  } else {
    for (const ax of given) {
      const a = rank === 0 ? (ax === 0 || ax === -1 ? 0 : null) : normalizeAxis(ax, rank);
      if (a === null) {
        const where =
          rank === 0
            ? 'a scalar (rank 0)'
            : `a tensor of rank ${rank} (shape ${formatShape(shape)})`;
        const fix = rank === 0 ? 'leave axis out' : `use an axis from ${-rank} to ${rank - 1}`;
        throw new ShapeError(
          Number.isInteger(ax)
            ? `${op} over axis ${ax}: out of range for ${where} — ${fix}`
            : `${op} over axis ${ax}: an axis is a whole number — ${fix}`,
        );
      }
      if (rank === 0) continue; // A scalar has no axis to reduce.
      if (axes.has(a)) {
        throw new ShapeError(
          `${op} over axes (${given.join(', ')}): axis ${a} is given twice — list each axis once`,
        );
      }
      axes.add(a);
    }
  }
  const sorted = [...axes].sort((x, y) => x - y);
  const keptShape = shape.map((d, a) => (axes.has(a) ? 1 : d));
  const outShape = keepdims ? keptShape : shape.filter((_, a) => !axes.has(a));
  let count = 1;
  for (const a of sorted) count *= shape[a];
  return { axes: sorted, outShape, keptShape, count };
}

/** For each input element, the flat index of the output element it reduces into. */
function outputIndex(shape: Shape, p: Plan): Int32Array {
  return broadcastIndex(p.keptShape, shape);
}

/** δ copied back over the reduced axes, times `scale`. */
function spread(g: Tensor, shape: Shape, p: Plan, scale: number): Tensor {
  const index = outputIndex(shape, p);
  const out = new Float64Array(index.length);
  const gd = g.data;
  for (let i = 0; i < out.length; i++) out[i] = gd[index[i]] * scale;
  return new Tensor(shape, out);
}

function sumInto(a: Tensor, p: Plan): Float64Array {
  const index = outputIndex(a.shape, p);
  const out = new Float64Array(sizeOf(p.outShape));
  const x = a.data;
  for (let i = 0; i < index.length; i++) out[index[i]] += x[i];
  return out;
}

/** The maximum of every slice and the flat input index of its first occurrence (NaN wins, as in NumPy). */
function maxAndArgmax(a: Tensor, p: Plan): { max: Float64Array; argmax: Int32Array } {
  const index = outputIndex(a.shape, p);
  const size = sizeOf(p.outShape);
  const max = new Float64Array(size);
  const argmax = new Int32Array(size).fill(-1);
  const x = a.data;
  for (let i = 0; i < index.length; i++) {
    const o = index[i];
    const v = x[i];
    const best = max[o];
    if (argmax[o] < 0 || v > best || (v !== v && best === best)) {
      max[o] = v;
      argmax[o] = i;
    }
  }
  return { max, argmax };
}

// ---------------------------------------------------------------------------------------------
// LaTeX: index notation over the input's axes (i, j, k …); kept axes are primed on the input side.

const LETTERS = ['i', 'j', 'k', 'l', 'p', 'q', 'r', 's'];

function letter(axis: number, rank: number): string {
  return rank <= LETTERS.length ? LETTERS[axis] : `i_{${axis}}`;
}

interface Indices {
  /** The reduced axes' letters, comma-separated for a `\sum_{…}`. */
  readonly reduced: string;
  /** The output's indices (kept axes), plain and primed. */
  readonly out: string;
  readonly outPrimed: string;
  /** The input's indices with kept axes as in the output (for the formula). */
  readonly input: string;
  /** The input's indices with kept axes primed (for a derivative ∂out_i / ∂in_{i'j}). */
  readonly primed: string;
  /** `i = i'` for each kept axis. */
  readonly match: string;
}

function indices(c: LatexContext<ReduceAttrs>, op: string): Indices {
  const shape = c.shapes[0];
  const p = plan(op, shape, c.attrs);
  const rank = shape.length;
  const reduced = p.axes.map((a) => letter(a, rank));
  const kept = shape.map((_, a) => a).filter((a) => !p.axes.includes(a));
  const sep = rank > LETTERS.length ? ' ' : '';
  return {
    reduced: reduced.join(','),
    out: kept.map((a) => letter(a, rank)).join(sep),
    outPrimed: kept.map((a) => `${letter(a, rank)}'`).join(sep),
    input: shape.map((_, a) => letter(a, rank)).join(sep),
    primed: shape
      .map((_, a) => (p.axes.includes(a) ? letter(a, rank) : `${letter(a, rank)}'`))
      .join(sep),
    match: kept.map((a) => `${letter(a, rank)} = ${letter(a, rank)}'`).join(',\\ '),
  };
}

/** `x_{idx}`, or `x` alone when there is no index. */
function at(x: string, idx: string): string {
  return idx === '' ? x : indexed(x, idx);
}

/** Whether the op reduces nothing (a scalar input, or an empty axis list): then it is the identity. */
function reducesNothing(c: LatexContext<ReduceAttrs>, op: string): boolean {
  return plan(op, c.shapes[0], c.attrs).axes.length === 0;
}

function formulaLatex(op: 'sum' | 'mean' | 'max', c: LatexContext<ReduceAttrs>): string {
  if (reducesNothing(c, op)) return c.args[0];
  const ix = indices(c, op);
  const term = at(c.args[0], ix.input);
  if (op === 'max') return `\\max_{${ix.reduced}} ${term}`;
  const sum = `\\sum_{${ix.reduced}} ${term}`;
  return op === 'sum' ? sum : `\\frac{1}{${plan(op, c.shapes[0], c.attrs).count}} ${sum}`;
}

function localLatex(op: 'sum' | 'mean' | 'max', c: LatexContext<ReduceAttrs>): string {
  if (reducesNothing(c, op)) return 'I';
  const ix = indices(c, op);
  const lhs = `\\frac{\\partial ${at(c.out, ix.out)}}{\\partial ${at(c.args[0], ix.primed)}}`;
  const factors: string[] = [];
  if (op === 'mean') factors.push(`\\frac{1}{${plan(op, c.shapes[0], c.attrs).count}}`);
  if (ix.match !== '') factors.push(`\\mathbb{1}[${ix.match}]`);
  if (op === 'max') {
    factors.push(`\\mathbb{1}[${at(c.args[0], ix.primed)} = ${at(c.out, ix.outPrimed)}]`);
    return `${lhs} = ${factors.join('\\, ')}\\ \\text{(the first maximum only)}`;
  }
  return `${lhs} = ${factors.length > 0 ? factors.join('\\, ') : '1'}`;
}

/** δ copied back over the reduced axes, in matrix form where it has one. */
function spreadLatex(op: string, c: LatexContext<ReduceAttrs>): string {
  const shape = c.shapes[0];
  const p = plan(op, shape, c.attrs);
  const g = c.grad;
  if (p.axes.length === 0) return g;
  if (p.axes.length === shape.length) {
    // δ is a single number: every entry gets it.
    return `${g}\\, \\mathbf{1}_{${latexShape(shape)}}`;
  }
  if (shape.length === 2) {
    // Sum over rows: a column of ones times the row δ; over columns: the column δ times a row of ones.
    return p.axes[0] === 0
      ? `\\mathbf{1}_{${shape[0]}}\\, ${g}`
      : `${g}\\, \\mathbf{1}_{${shape[1]}}^\\top`;
  }
  const which = p.axes.length === 1 ? `axis ${p.axes[0]}` : `axes ${p.axes.join(', ')}`;
  return `\\operatorname{expand}(${g}\\ \\text{along ${which}} \\to ${latexShape(shape)})`;
}

function vjpLatex(op: 'sum' | 'mean' | 'max', c: LatexContext<ReduceAttrs>): string {
  const spreadRule = spreadLatex(op, c);
  if (reducesNothing(c, op)) return spreadRule;
  if (op === 'sum') return spreadRule;
  if (op === 'mean') return `\\frac{1}{${plan(op, c.shapes[0], c.attrs).count}}\\, ${spreadRule}`;
  const ix = indices(c, op);
  // Only the maximum of each slice passes the gradient on.
  return `(${spreadRule}) \\odot \\mathbb{1}[${at(c.args[0], ix.input)} = ${at(c.out, ix.out)}]`;
}

// ---------------------------------------------------------------------------------------------

export const sum: OpDef<ReduceAttrs> = {
  name: 'sum',
  arity: 1,
  inferShape: ([s], attrs) => plan('sum', s, attrs).outShape,
  forward: ([a], attrs) => {
    const p = plan('sum', a.shape, attrs);
    return new Tensor(p.outShape, sumInto(a, p));
  },
  backward: (g, { inputs: [a], attrs }, needs) => [
    needs[0] ? spread(g, a.shape, plan('sum', a.shape, attrs), 1) : null,
  ],
  // Backward needs only the input's shape, which is not a saved tensor.
  saves: () => ({ inputs: [], output: false }),
  latex: {
    formula: (c) => formulaLatex('sum', c),
    local: (_i, c) => localLatex('sum', c),
    vjp: (_i, c) => vjpLatex('sum', c),
  },
};

export const mean: OpDef<ReduceAttrs> = {
  name: 'mean',
  arity: 1,
  inferShape: ([s], attrs) => plan('mean', s, attrs).outShape,
  forward: ([a], attrs) => {
    const p = plan('mean', a.shape, attrs);
    let out = sumInto(a, p);
    // An empty slice gives 0/0 = NaN, as NumPy's mean does.
    for (let i = 0; i < out.length; i++) out[i] /= p.count;
    // The sum overflowed though the mean need not (mean([1e308, 1e308]) = 1e308): divide first.
    // Only then, so the usual result keeps the rounding of sum / n.
    if (out.some((v) => v === Infinity || v === -Infinity) && a.data.every(Number.isFinite)) {
      out = sumInto(
        map(a, (x) => x / p.count),
        p,
      );
    }
    return new Tensor(p.outShape, out);
  },
  backward: (g, { inputs: [a], attrs }, needs) => {
    const p = plan('mean', a.shape, attrs);
    return [needs[0] ? spread(g, a.shape, p, 1 / p.count) : null];
  },
  saves: () => ({ inputs: [], output: false }),
  latex: {
    formula: (c) => formulaLatex('mean', c),
    local: (_i, c) => localLatex('mean', c),
    vjp: (_i, c) => vjpLatex('mean', c),
  },
};

/** max refuses empty slices (there is no maximum of nothing), as NumPy does. */
function planMax(shape: Shape, attrs: ReduceAttrs): Plan {
  const p = plan('max', shape, attrs);
  if (p.count === 0) {
    throw new ShapeError(
      `max over ${p.axes.length === 1 ? `axis ${p.axes[0]}` : `axes (${p.axes.join(', ')})`} of a ` +
        `${formatShape(shape)} tensor: the slices are empty, so there is no maximum — reduce over a non-empty axis`,
    );
  }
  return p;
}

export const max: OpDef<ReduceAttrs> = {
  name: 'max',
  arity: 1,
  inferShape: ([s], attrs) => planMax(s, attrs).outShape,
  forward: ([a], attrs) => {
    const p = planMax(a.shape, attrs);
    return new Tensor(p.outShape, maxAndArgmax(a, p).max);
  },
  backward: (g, { inputs: [a], attrs }, needs) => {
    if (!needs[0]) return [null];
    // The argmax is found again from the saved input rather than kept as indices.
    const { argmax } = maxAndArgmax(a, planMax(a.shape, attrs));
    const out = new Float64Array(a.size);
    for (let o = 0; o < argmax.length; o++) out[argmax[o]] += g.data[o];
    return [new Tensor(a.shape, out)];
  },
  saves: () => ({ inputs: [0], output: false }),
  latex: {
    formula: (c) => formulaLatex('max', c),
    local: (_i, c) => localLatex('max', c),
    vjp: (_i, c) => vjpLatex('max', c),
  },
  /** Per output element, the flat index into the input of the maximum that gets the gradient. */
  pieces: ([a], attrs) => maxAndArgmax(a, planMax(a.shape, attrs)).argmax,
};

export const reductionOps: readonly OpDef[] = [sum, mean, max];
