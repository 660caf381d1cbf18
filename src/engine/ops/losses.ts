/**
 * Losses and labels: cross_entropy (on probabilities), softmax_cross_entropy (fused, on logits),
 * mse, bce, one_hot. Every loss is a mean, so its value does not grow with the batch size.
 *
 * Labels `y` for the cross-entropies come in two layouts, told apart by rank:
 * - class indices: P is N×C and y has N whole numbers in 0..C−1 (or P is one row of C and y is
 *   one index);
 * - rows of target probabilities (one-hot or soft): y has P's own shape, N×C (or C).
 * Labels never get a gradient (`nonDifferentiable`); the graph never asks for one.
 *
 * Errors: shapes that do not fit are ShapeErrors from `inferShape`, before anything runs; label
 * values that do not fit (out of range, not whole) are LabelErrors from `forward`.
 */
import { type Attrs, type LatexContext, type OpDef, ShapeError } from '../op';
import {
  type Shape,
  Tensor,
  broadcastShapes,
  formatShape,
  sizeOf,
  sumToShape,
  zipWith,
} from '../tensor';
import { sumBackLatex } from './arithmetic';

/**
 * A label that does not fit its classes: `label 3 in row 2 is out of range: P has 3 classes
 * (0..2)`. A ShapeError subclass, so whatever catches bad inputs catches it too; test for
 * LabelError first to tell the user it is the labels (the spec's `label` error code).
 */
export class LabelError extends ShapeError {
  override name = 'LabelError';
}

// ---------------------------------------------------------------------------------------------
// Labels

/** How y lines up with the N×C (or C) tensor of probabilities or logits. */
interface LabelLayout {
  /** Rows (samples); 1 for a single row. */
  readonly n: number;
  /** Classes. */
  readonly c: number;
  /** `index`: y holds one class index per row. `dense`: y holds a row of target weights per row. */
  readonly kind: 'index' | 'dense';
  /** P was a single row of C (no row axis). */
  readonly single: boolean;
}

/** Words for the ops' operands in messages: the op's call and what its first operand holds. */
interface LossWords {
  readonly call: string;
  readonly operand: string;
  readonly holds: string;
}

const CE_WORDS: LossWords = {
  call: 'cross_entropy(P, y)',
  operand: 'P',
  holds: 'class probabilities',
};
const SCE_WORDS: LossWords = {
  call: 'softmax_cross_entropy(Z, y)',
  operand: 'Z',
  holds: 'logits (scores before softmax)',
};

function labelLayout(words: LossWords, p: Shape, y: Shape): LabelLayout {
  const { call, operand, holds } = words;
  if (p.length === 2) {
    const [n, c] = p;
    if (n === 0 || c === 0) {
      throw new ShapeError(
        `${call}: ${operand} is ${formatShape(p)}; it needs at least one row and one class`,
      );
    }
    if (y.length === 1 && y[0] === n) return { n, c, kind: 'index', single: false };
    if (y.length === 2 && y[0] === n && y[1] === c) return { n, c, kind: 'dense', single: false };
    throw new ShapeError(
      `${call}: ${operand} is ${formatShape(p)} (${n} ${n === 1 ? 'sample' : 'samples'}, ${c} classes) ` +
        `but y is ${formatShape(y)} — give y as ${n} class ${n === 1 ? 'index' : 'indices'} ` +
        `(one per row) or as ${formatShape(p)} one-hot rows`,
    );
  }
  if (p.length === 1) {
    const [c] = p;
    if (c === 0) throw new ShapeError(`${call}: ${operand} has no classes; it needs at least one`);
    if (y.length === 0) return { n: 1, c, kind: 'index', single: true };
    if (y.length === 1 && y[0] === c) return { n: 1, c, kind: 'dense', single: true };
    throw new ShapeError(
      `${call}: ${operand} is a single row of ${c} classes but y is ${formatShape(y)} — ` +
        `give y as one class index or as a one-hot row of ${c}`,
    );
  }
  throw new ShapeError(
    `${call}: ${operand} is ${formatShape(p)}, but it must be N×C (one row of ${holds} per sample) ` +
      `or a single row of C`,
  );
}

/** "in row 2", "at [1, 0]", or "" for a single label: where a label sits, for messages. */
function where(i: number, shape: Shape): string {
  if (shape.length === 0) return '';
  if (shape.length === 1) return ` in row ${i}`;
  const at: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    at.unshift(i % shape[k]);
    i = Math.floor(i / shape[k]);
  }
  return ` at [${at.join(', ')}]`;
}

/**
 * Checks that every label is a whole number in 0..c−1 and returns them as integers.
 * `owner` names what has the classes: `P has 3 classes`, `one_hot(y, classes=3) has 3 classes`.
 */
function classIndices(y: Tensor, c: number, owner: string, denseHint: string): Int32Array {
  const out = new Int32Array(y.size);
  for (let i = 0; i < y.size; i++) {
    const v = y.data[i];
    if (!Number.isInteger(v)) {
      throw new LabelError(
        `label ${v}${where(i, y.shape)} is not a whole number: class labels are indices ` +
          `0..${c - 1}${denseHint}`,
      );
    }
    if (v < 0 || v >= c) {
      throw new LabelError(
        `label ${v}${where(i, y.shape)} is out of range: ${owner} has ${c} ` +
          `${c === 1 ? 'class' : 'classes'} (0..${c - 1}); class labels count from 0`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** The targets as dense N×C weights Y (one-hot rows for class indices), after checking labels. */
function targetWeights(words: LossWords, layout: LabelLayout, y: Tensor): Float64Array {
  if (layout.kind === 'dense') return y.data;
  const hint = layout.single
    ? ''
    : ` (to give probabilities per class instead, make y ${layout.n}×${layout.c})`;
  const labels = classIndices(y, layout.c, `${words.operand}`, hint);
  const dense = new Float64Array(layout.n * layout.c);
  for (let i = 0; i < layout.n; i++) dense[i * layout.c + labels[i]] = 1;
  return dense;
}

// ---------------------------------------------------------------------------------------------
// LaTeX helpers

/** `P_{i}` for a plain symbol, `[P_2]_{i}` when the operand already carries a subscript. */
function entry(name: string, index: string): string {
  const sub = index.length === 1 ? `_${index}` : `_{${index}}`;
  return /^([A-Za-z]|\\[A-Za-z]+)$/.test(name) ? `${name}${sub}` : `[${name}]${sub}`;
}

/** `\frac{num·g}{den}`, leaving out a factor of 1: `\frac{1}{N}`, `\frac{\delta}{N}`, `\frac{2\, \delta}{6}`. */
function frac(num: string | null, g: string, den: string): string {
  const top = [num, g === '1' ? null : g].filter((s) => s !== null).join('\\, ');
  return `\\frac{${top || '1'}}{${den}}`;
}

/** The factor g/den before a term: `\\frac{1}{N}\\, `; for den = 1 just `g\\, `, or nothing when g = 1. */
function factor(g: string, den: string | null): string {
  if (den === null) return g === '1' ? '' : `${g}\\, `;
  return `${frac(null, g, den)}\\, `;
}

/** The target rows as LaTeX: the operand itself, or onehot(y) for class indices. */
function targetLatex(c: LatexContext, layout: LabelLayout): string {
  return layout.kind === 'dense' ? c.args[1] : `\\operatorname{onehot}(${c.args[1]})`;
}

const NO_GRADIENT = '\\text{(labels get no gradient)}';

// ---------------------------------------------------------------------------------------------
// cross_entropy and softmax_cross_entropy

export const crossEntropy: OpDef = {
  name: 'cross_entropy',
  arity: 2,
  nonDifferentiable: [1],
  inferShape: ([p, y]) => {
    labelLayout(CE_WORDS, p, y);
    return [];
  },
  forward: ([p, y]) => {
    const layout = labelLayout(CE_WORDS, p.shape, y.shape);
    const w = targetWeights(CE_WORDS, layout, y);
    let sum = 0;
    // Zero targets are skipped, so a 0 probability there costs nothing (0·log 0 = 0, not NaN).
    for (let j = 0; j < w.length; j++) if (w[j] !== 0) sum -= w[j] * Math.log(p.data[j]);
    return Tensor.scalar(sum / layout.n);
  },
  backward: (g, { inputs: [p, y] }, needs) => {
    if (!needs[0]) return [null, null];
    const layout = labelLayout(CE_WORDS, p.shape, y.shape);
    const w = targetWeights(CE_WORDS, layout, y);
    const scale = -g.item() / layout.n;
    const r = new Float64Array(p.size);
    for (let j = 0; j < r.length; j++) if (w[j] !== 0) r[j] = (scale * w[j]) / p.data[j];
    return [new Tensor(p.shape, r), null];
  },
  saves: () => ({ inputs: [0, 1], output: false }),
  latex: {
    formula: (c) => {
      const layout = labelLayout(CE_WORDS, c.shapes[0], c.shapes[1]);
      const [p, y] = c.args;
      if (layout.single) {
        return layout.kind === 'index'
          ? `-\\log ${entry(p, y)}`
          : `-\\sum_c ${entry(y, 'c')} \\log ${entry(p, 'c')}`;
      }
      return layout.kind === 'index'
        ? `-\\frac{1}{N}\\sum_i \\log ${entry(p, `i, ${entry(y, 'i')}`)}`
        : `-\\frac{1}{N}\\sum_{i,c} ${entry(y, 'i,c')} \\log ${entry(p, 'i,c')}`;
    },
    local: (i, c) => {
      if (i !== 0) return NO_GRADIENT;
      const layout = labelLayout(CE_WORDS, c.shapes[0], c.shapes[1]);
      const ratio = `${targetLatex(c, layout)} \\oslash ${c.args[0]}`;
      return layout.single ? `-${ratio}` : `-\\frac{1}{N}\\, ${ratio}`;
    },
    vjp: (i, c) => {
      if (i !== 0) return NO_GRADIENT;
      const layout = labelLayout(CE_WORDS, c.shapes[0], c.shapes[1]);
      const f = factor(c.grad, layout.single ? null : 'N');
      return `-${f}${targetLatex(c, layout)} \\oslash ${c.args[0]}`;
    },
  }, // A true class whose probability is 0: log 0 forward, a division by that 0 backward.
  whyNonFinite: (pass, [p]) =>
    p.data.some((v) => v < 0)
      ? { code: 'cross-entropy-negative' }
      : p.data.includes(0)
        ? { code: pass === 'forward' ? 'cross-entropy-zero' : 'cross-entropy-slope-at-zero' }
        : null,
};

/** Per row: max m and s = Σ e^{z − m}, so log softmax(z)_c = z_c − m − log s. */
function rowShift(z: Float64Array, start: number, c: number): { m: number; logS: number } {
  let m = -Infinity;
  for (let k = 0; k < c; k++) m = Math.max(m, z[start + k]);
  let s = 0;
  for (let k = 0; k < c; k++) s += Math.exp(z[start + k] - m);
  return { m, logS: Math.log(s) };
}

/**
 * Cross-entropy of softmax(Z) in one step: the loss through log-softmax (finite for any logits)
 * and the gradient (softmax(Z)·Σ_c Y − Y)/N, which is the familiar (softmax(Z) − Y)/N whenever
 * the target rows sum to 1 (one-hot or probabilities).
 */
export const softmaxCrossEntropy: OpDef = {
  name: 'softmax_cross_entropy',
  arity: 2,
  nonDifferentiable: [1],
  inferShape: ([z, y]) => {
    labelLayout(SCE_WORDS, z, y);
    return [];
  },
  forward: ([z, y]) => {
    const layout = labelLayout(SCE_WORDS, z.shape, y.shape);
    const w = targetWeights(SCE_WORDS, layout, y);
    const { n, c } = layout;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const { m, logS } = rowShift(z.data, i * c, c);
      for (let k = 0; k < c; k++) {
        const j = i * c + k;
        if (w[j] !== 0) sum -= w[j] * (z.data[j] - m - logS);
      }
    }
    return Tensor.scalar(sum / n);
  },
  backward: (g, { inputs: [z, y] }, needs) => {
    if (!needs[0]) return [null, null];
    const layout = labelLayout(SCE_WORDS, z.shape, y.shape);
    const w = targetWeights(SCE_WORDS, layout, y);
    const { n, c } = layout;
    const scale = g.item() / n;
    const r = new Float64Array(z.size);
    for (let i = 0; i < n; i++) {
      const { m, logS } = rowShift(z.data, i * c, c);
      let total = 0;
      for (let k = 0; k < c; k++) total += w[i * c + k];
      for (let k = 0; k < c; k++) {
        const j = i * c + k;
        r[j] = scale * (Math.exp(z.data[j] - m - logS) * total - w[j]);
      }
    }
    return [new Tensor(z.shape, r), null];
  },
  saves: () => ({ inputs: [0, 1], output: false }),
  latex: {
    formula: (c) => {
      const layout = labelLayout(SCE_WORDS, c.shapes[0], c.shapes[1]);
      const [z, y] = c.args;
      const s = `\\operatorname{softmax}(${z})`;
      if (layout.single) {
        return layout.kind === 'index'
          ? `-\\log ${s}_{${y}}`
          : `-\\sum_c ${entry(y, 'c')} \\log ${s}_{c}`;
      }
      return layout.kind === 'index'
        ? `-\\frac{1}{N}\\sum_i \\log ${s}_{i, ${entry(y, 'i')}}`
        : `-\\frac{1}{N}\\sum_{i,c} ${entry(y, 'i,c')} \\log ${s}_{i,c}`;
    },
    local: (i, c) => {
      if (i !== 0) return NO_GRADIENT;
      const layout = labelLayout(SCE_WORDS, c.shapes[0], c.shapes[1]);
      const diff = `\\operatorname{softmax}(${c.args[0]}) - ${targetLatex(c, layout)}`;
      return layout.single ? diff : `\\frac{1}{N}(${diff})`;
    },
    vjp: (i, c) => {
      if (i !== 0) return NO_GRADIENT;
      const layout = labelLayout(SCE_WORDS, c.shapes[0], c.shapes[1]);
      const diff = `\\operatorname{softmax}(${c.args[0]}) - ${targetLatex(c, layout)}`;
      if (!layout.single) return `${frac(null, c.grad, 'N')}(${diff})`;
      return c.grad === '1' ? diff : `${c.grad}\\,(${diff})`;
    },
  },
};

// ---------------------------------------------------------------------------------------------
// mse and bce

function mseShape(shapes: readonly Shape[]): Shape {
  const [a, b] = shapes;
  const out = broadcastShapes(a, b);
  if (!out) {
    throw new ShapeError(
      `mse(a, b): a is ${formatShape(a)} and b is ${formatShape(b)}, which do not broadcast — ` +
        'give b the shape of a (trailing sizes must be equal or 1)',
    );
  }
  return out;
}

/** mean((a − b)²) over every element of the broadcast shape; both operands get a gradient. */
export const mse: OpDef = {
  name: 'mse',
  arity: 2,
  inferShape: (shapes) => {
    mseShape(shapes);
    return [];
  },
  forward: ([a, b]) => {
    const d = zipWith(a, b, (x, y) => x - y);
    let sum = 0;
    for (const v of d.data) sum += v * v;
    return Tensor.scalar(sum / d.size);
  },
  backward: (g, { inputs: [a, b] }, needs) => {
    const d = zipWith(a, b, (x, y) => x - y);
    const scale = (2 * g.item()) / d.size;
    const ga = new Float64Array(d.size);
    for (let j = 0; j < ga.length; j++) ga[j] = scale * d.data[j];
    const grad = new Tensor(d.shape, ga);
    const neg = needs[1]
      ? new Tensor(
          d.shape,
          ga.map((v) => -v),
        )
      : null;
    return [needs[0] ? sumToShape(grad, a.shape) : null, neg ? sumToShape(neg, b.shape) : null];
  },
  saves: () => ({ inputs: [0, 1], output: false }),
  latex: {
    formula: (c) => {
      const m = sizeOf(mseShape(c.shapes));
      return `\\frac{1}{${m}}\\sum_{k} (${c.args[0]} - ${c.args[1]})_{k}^{2}`;
    },
    local: (i, c) => {
      const m = sizeOf(mseShape(c.shapes));
      return `${i === 0 ? '' : '-'}\\frac{2}{${m}}(${c.args[0]} - ${c.args[1]})`;
    },
    vjp: (i, c) => {
      const broadcast = mseShape(c.shapes);
      const expr = `${frac('2', c.grad, String(sizeOf(broadcast)))}(${c.args[0]} - ${c.args[1]})`;
      return `${i === 0 ? '' : '-'}${sumBackLatex(expr, { ...c, outShape: broadcast }, i)}`;
    },
  },
};

/** log clamped at −100 as PyTorch's binary_cross_entropy does: p = 0 or 1 gives 100, not ∞. */
const clampedLog = (v: number): number => Math.max(v, -100);
/** PyTorch's floor on p(1 − p) in bce's gradient. */
const BCE_EPS = 1e-12;

function bceShape([p, y]: readonly Shape[]): Shape {
  if (p.length !== y.length || p.some((d, k) => d !== y[k])) {
    throw new ShapeError(
      `bce(p, y): p is ${formatShape(p)} but y is ${formatShape(y)} — give y the same shape as p ` +
        '(one 0/1 target per probability)',
    );
  }
  return p;
}

/**
 * Binary cross-entropy on probabilities: −mean(y log p + (1−y) log(1−p)), with PyTorch's clamp
 * of each log at −100. Only p gets a gradient: (p − y) / (M · p(1 − p)).
 */
export const bce: OpDef = {
  name: 'bce',
  arity: 2,
  nonDifferentiable: [1],
  inferShape: (shapes) => {
    bceShape(shapes);
    return [];
  },
  forward: ([p, y]) => {
    let sum = 0;
    for (let j = 0; j < p.size; j++) {
      const pj = p.data[j];
      const yj = y.data[j];
      sum -= yj * clampedLog(Math.log(pj)) + (1 - yj) * clampedLog(Math.log1p(-pj));
    }
    return Tensor.scalar(sum / p.size);
  },
  backward: (g, { inputs: [p, y] }, needs) => {
    if (!needs[0]) return [null, null];
    const scale = g.item() / p.size;
    const r = new Float64Array(p.size);
    for (let j = 0; j < r.length; j++) {
      const pj = p.data[j];
      r[j] = (scale * (pj - y.data[j])) / Math.max(pj * (1 - pj), BCE_EPS);
    }
    return [new Tensor(p.shape, r), null];
  },
  saves: () => ({ inputs: [0, 1], output: false }),
  latex: {
    formula: (c) => {
      const [p, y] = c.args;
      const m = sizeOf(bceShape(c.shapes));
      return (
        `-\\frac{1}{${m}}\\sum_{k} \\left(${entry(y, 'k')} \\log ${entry(p, 'k')} + ` +
        `(1 - ${entry(y, 'k')}) \\log(1 - ${entry(p, 'k')})\\right)`
      );
    },
    local: (i, c) => {
      if (i !== 0) return NO_GRADIENT;
      const [p, y] = c.args;
      const m = sizeOf(bceShape(c.shapes));
      return `\\frac{1}{${m}}(${p} - ${y}) \\oslash \\left(${p} \\odot (1 - ${p})\\right)`;
    },
    vjp: (i, c) => {
      if (i !== 0) return NO_GRADIENT;
      const [p, y] = c.args;
      const m = sizeOf(bceShape(c.shapes));
      return `${frac(null, c.grad, String(m))}(${p} - ${y}) \\oslash \\left(${p} \\odot (1 - ${p})\\right)`;
    },
  },
};

// ---------------------------------------------------------------------------------------------
// one_hot

type OneHotAttrs = Attrs & { readonly classes?: number | null };

function classesOf(attrs: OneHotAttrs): number {
  const c = attrs.classes;
  if (typeof c !== 'number' || !Number.isInteger(c) || c < 1) {
    throw new ShapeError(
      `one_hot needs classes=C, the number of classes as a positive whole number ` +
        `(got ${c === undefined || c === null ? 'none' : String(c)}), e.g. one_hot(y, classes=3)`,
    );
  }
  return c;
}

/** Class indices of any shape → float rows of `classes` zeros with a 1 at the label. */
export const oneHot: OpDef<OneHotAttrs> = {
  name: 'one_hot',
  arity: 1,
  nonDifferentiable: [0],
  inferShape: ([y], attrs) => [...y, classesOf(attrs)],
  forward: ([y], attrs) => {
    const c = classesOf(attrs);
    const labels = classIndices(y, c, `one_hot(y, classes=${c})`, '');
    const out = new Float64Array(y.size * c);
    for (let i = 0; i < labels.length; i++) out[i * c + labels[i]] = 1;
    return new Tensor([...y.shape, c], out);
  },
  backward: () => [null],
  saves: () => ({ inputs: [], output: false }),
  latex: {
    formula: (c) => `\\operatorname{onehot}_{${classesOf(c.attrs)}}(${c.args[0]})`,
    local: () => NO_GRADIENT,
    vjp: () => NO_GRADIENT,
  },
};

export const lossOps: readonly OpDef[] = [
  crossEntropy,
  softmaxCrossEntropy,
  mse,
  bce,
  oneHot as OpDef,
];
