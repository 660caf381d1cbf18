/**
 * A model block as a runnable NumPy program (float64): the tensors with the notes' values, the
 * forward pass line by line under the user's names and with the note's comments, then the
 * backward pass written out by hand in matrix form — the backprop steps of the Explanation, in
 * its order, each under its rule as a comment (`# δ2 = ∂L/∂Z2 = … = (1/N)(P − Y)` above
 * `dZ2 = (P - Y) / 2`) — and the loss and every gradient printed, and printed again as one JSON
 * line `{"root": NAME, "value": …, "gradients": {NAME: …}}` at full precision.
 *
 * The backward code is each op's vector–Jacobian product in NumPy (the `VJP` table), chained
 * statement by statement as the Explanation's steps are: a step's gradient is the sum of one
 * term per statement that uses the tensor, each term backward through that statement's unnamed
 * subexpressions. In code, `dT` is ∂L/∂T (`dZ2`, `dW1`); a subexpression's gradient stays inline,
 * or becomes a temporary named after it (`dXW1`) when it is long or used twice. Where softmax is
 * followed by cross-entropy, the simplified (P − Y)/N is the code, as the panel shows it.
 *
 * Forward values the backward pass needs are the forward pass's own variables; an unnamed
 * subexpression's value is written again inline (`E.sum(axis=1, keepdims=True)`).
 */
import type { Node } from '../engine/graph';
import { type Shape, type Tensor, broadcastShapes } from '../engine/tensor';
import { explainBlock } from '../explain/build';
import type { BackpropStep, Explanation } from '../explain/explanation';
import { needsOf as needs } from '../explain/structure';
import type { ModelBlock } from '../spec/model';
import {
  type Dialect,
  type ExportOptions,
  type ForwardRule,
  operatorRules,
  type LeafKind,
  type Py,
  Prec,
  ProgramPlan,
  allEqual,
  atom,
  attribute,
  binary,
  call,
  dictLiteral,
  docstring,
  forwardLines,
  headerRest,
  inverse,
  isIdentity,
  labelClasses,
  labelLayout,
  labelRows,
  laneAxis,
  method,
  negate,
  nestedList,
  permutationOf,
  pyAxes,
  pyFloat,
  pyInt,
  pyNumber,
  pyScalar,
  pyTuple,
  reducedAxes,
  section,
  subscript,
  tensorLines,
} from './export-common';
import { latexToText } from './latex-text';

// ---------------------------------------------------------------------------------------------
// Forward

const np =
  (name: string): ForwardRule =>
  (c) =>
    call(`np.${name}`, c.args[0]);

/** `axis=…` for the softmax family, left out for the default −1. */
function axisKeyword(axis: number): string[] {
  return axis === -1 ? [] : [`axis=${axis}`];
}

function reduce(kind: 'sum' | 'mean' | 'max'): ForwardRule {
  return (c) => {
    const [x] = c.args;
    const shape = c.shapes[0];
    const axes = reducedAxes(shape, c.node.attrs.axis);
    const keepdims = c.node.attrs.keepdims === true;
    if (shape.length > 0 && axes.length === 0) return x; // an empty axis list reduces nothing
    if (axes.length === shape.length && !keepdims) return method(x, kind);
    return method(x, kind, `axis=${pyAxes(axes)}`, ...(keepdims ? ['keepdims=True'] : []));
  };
}

/** Whether every p keeps log p and log(1 − p) above −100 (PyTorch's clamp never acts). */
function bceUnclamped(p: Tensor): boolean {
  return p.data.every((v) => Math.log(v) > -100 && Math.log1p(-v) > -100);
}

const ops: Record<string, ForwardRule> = {
  ...operatorRules,
  transpose: (c) => {
    const perm = permutationOf(c.shapes[0], c.node.attrs.axes);
    if (isIdentity(perm)) return c.args[0];
    if (perm.length === 2) return attribute(c.args[0], 'T');
    return call('np.transpose', c.args[0], pyTuple(perm));
  },
  reshape: (c) => {
    const shape = (c.node.attrs.shape as readonly number[]) ?? [];
    return shape.length === 0
      ? method(c.args[0], 'reshape', '()')
      : method(c.args[0], 'reshape', ...shape.map(String));
  },
  exp: np('exp'),
  log: np('log'),
  sqrt: np('sqrt'),
  abs: np('abs'),
  tanh: np('tanh'),
  relu: (c) => call('np.maximum', pyInt(0), c.args[0]),
  leaky_relu: (c) => {
    const alpha = typeof c.node.attrs.alpha === 'number' ? c.node.attrs.alpha : 0.01;
    const x = c.args[0];
    return call('np.where', binary('>', x, pyInt(0)), x, binary('*', pyNumber(alpha), x));
  },
  sigmoid: (c) => call(c.helper('sigmoid'), c.args[0]),
  softplus: (c) => call('np.logaddexp', pyInt(0), c.args[0]),
  gelu: (c) => call(c.helper('gelu'), c.args[0]),
  softmax: (c) =>
    c.shapes[0].length === 0
      ? call('np.ones_like', c.args[0])
      : call(c.helper('softmax'), c.args[0], ...axisKeyword(laneAxis(c.node.attrs))),
  log_softmax: (c) =>
    c.shapes[0].length === 0
      ? call('np.zeros_like', c.args[0])
      : call(c.helper('log_softmax'), c.args[0], ...axisKeyword(laneAxis(c.node.attrs))),
  logsumexp: (c) =>
    c.shapes[0].length === 0
      ? c.args[0]
      : call(
          c.helper('logsumexp'),
          c.args[0],
          ...axisKeyword(laneAxis(c.node.attrs)),
          ...(c.node.attrs.keepdims === true ? ['keepdims=True'] : []),
        ),
  sum: reduce('sum'),
  mean: reduce('mean'),
  max: reduce('max'),
  cross_entropy: (c) => {
    // On probabilities: −(1/N) Σ log P[n, yₙ].
    const [p, y] = c.args;
    const n = labelRows(c.node);
    const single = c.shapes[0].length === 1;
    if (labelLayout(c.node) === 'index') {
      const picked = single
        ? subscript(p, c.labels(1).code)
        : subscript(p, `np.arange(${n}), ${c.labels(1).code}`);
      const logs = call('np.log', picked);
      return negate(single ? logs : method(logs, 'mean'));
    }
    const total = method(binary('*', y, call('np.log', p)), 'sum');
    return negate(single ? total : binary('/', total, pyInt(n)));
  },
  softmax_cross_entropy: (c) => {
    // On logits: −(1/N) Σ log softmax(Z)[n, yₙ], through log_softmax so no probability underflows.
    const [z, y] = c.args;
    const n = labelRows(c.node);
    const single = c.shapes[0].length === 1;
    const logP = call(c.helper('log_softmax'), z);
    if (labelLayout(c.node) === 'index') {
      const picked = single
        ? subscript(logP, c.labels(1).code)
        : subscript(logP, `np.arange(${n}), ${c.labels(1).code}`);
      return negate(single ? picked : method(picked, 'mean'));
    }
    const total = method(binary('*', y, logP), 'sum');
    return negate(single ? total : binary('/', total, pyInt(n)));
  },
  mse: (c) => call('np.mean', binary('**', binary('-', c.args[0], c.args[1]), pyInt(2))),
  bce: (c) => {
    const [p, y] = c.args;
    const clamp = !bceUnclamped(c.node.inputs[0].value);
    // PyTorch's binary_cross_entropy (and the notes) clamp each log at −100.
    const logOf = (e: Py) => (clamp ? call('np.maximum', e, pyInt(-100)) : e);
    const first = binary('*', y, logOf(call('np.log', p)));
    const second = binary('*', binary('-', pyInt(1), y), logOf(call('np.log1p', negate(p))));
    return negate(call('np.mean', binary('+', first, second)));
  },
  one_hot: (c) => subscript(call('np.eye', String(c.node.attrs.classes)), c.labels(0).code),
};

export const numpyDialect: Dialect = {
  target: 'numpy',
  library: 'NumPy',
  ops,
  leafValue(t: Tensor, how: LeafKind, indent: string): string {
    if (how === 'labels') return `np.array(${nestedList(t, (x) => String(x), indent)})`;
    if (t.shape.length === 0) return `np.float64(${pyFloat(t.data[0])})`;
    const shape = t.shape.length === 1 ? String(t.shape[0]) : pyTuple(t.shape);
    if (allEqual(t, 0)) return `np.zeros(${shape})`;
    if (allEqual(t, 1)) return `np.ones(${shape})`;
    return `np.array(${nestedList(t, pyFloat, indent)})`;
  },
  literal: (t) =>
    atom(
      t.shape.length === 0
        ? `np.float64(${pyFloat(t.data[0])})`
        : `np.array(${nestedList(t, pyFloat, '', 1000)})`,
    ),
  asLabels: (e) => method(e, 'astype', 'int'),
};

// ---------------------------------------------------------------------------------------------
// Backward: each op's vector–Jacobian product in NumPy

/** The upstream gradient 1 of a scalar root: multiplied away where it appears. */
const ONE: Py = atom('1.0');

/** g ⊙ e, or e alone when g is the seed 1. */
function times(g: Py, e: Py): Py {
  return g === ONE ? e : binary('*', g, e);
}

/** g as an array, for a method call on it (the seed 1 is a Python float). */
function asArray(g: Py): Py {
  return g === ONE ? atom('np.float64(1.0)') : g;
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, k) => d === b[k]);
}

/** `e`, of shape `from`, summed back over the axes broadcasting stretched to reach `to`. */
function unbroadcast(e: Py, from: Shape, to: Shape): Py {
  if (sameShape(from, to)) return e;
  if (to.length === 0) return method(e, 'sum');
  const lead = from.length - to.length;
  let r = e;
  if (lead > 0) r = method(r, 'sum', `axis=${pyAxes(Array.from({ length: lead }, (_, k) => k))}`);
  const kept: number[] = [];
  to.forEach((d, j) => {
    if (d === 1 && from[lead + j] !== 1) kept.push(j);
  });
  if (kept.length > 0) r = method(r, 'sum', `axis=${pyAxes(kept)}`, 'keepdims=True');
  return r;
}

/** A reduction's output `e` with the reduced axes put back (size 1), so it broadcasts over the input. */
function expandReduced(e: Py, axes: readonly number[], keepdims: boolean, rank: number): Py {
  const leading = axes.every((a, k) => a === k);
  if (keepdims || leading || axes.length === rank || e === ONE) return e;
  return call('np.expand_dims', e, pyAxes(axes));
}

interface VjpContext {
  readonly node: Node;
  readonly args: readonly Py[];
  /** This op's forward value. */
  readonly out: Py;
  /** ∂L/∂out (ONE for the seed of a scalar root). */
  readonly g: Py;
  readonly shapes: readonly Shape[];
  readonly outShape: Shape;
  /** g as a short name (a temporary when needed): for rules that use it twice. */
  gOnce(): Py;
  helper(name: string): string;
  /** The cross-entropy's targets as dense rows Y (a one-hot temporary for class indices). */
  targets(): Py;
}

type VjpRule = (c: VjpContext, i: number) => Py;

function matmulVjp(c: VjpContext, i: number): Py {
  const [A, B] = c.args;
  const [sa, sb] = c.shapes;
  const g = c.g;
  const ra = sa.length;
  const rb = sb.length;
  if (ra === 1 && rb === 1) return times(g, i === 0 ? B : A);
  const swap = (e: Py) => call('np.swapaxes', e, '-1', '-2');
  if (ra <= 2 && rb <= 2) {
    if (ra === 2 && rb === 2) {
      return i === 0 ? binary('@', g, attribute(B, 'T')) : binary('@', attribute(A, 'T'), g);
    }
    if (ra === 1) return i === 0 ? binary('@', g, attribute(B, 'T')) : call('np.outer', A, g);
    return i === 0 ? call('np.outer', g, B) : binary('@', attribute(A, 'T'), g);
  }
  // Batched: the matrix rules on the last two axes, summed over the batch axes an operand lacks.
  const batch = c.outShape.slice(0, c.outShape.length - (ra === 1 || rb === 1 ? 1 : 2));
  const m = ra === 1 ? 1 : sa[ra - 2];
  const k = sa[ra - 1];
  const n = rb === 1 ? 1 : sb[rb - 1];
  if (ra === 1) {
    if (i === 0) {
      const rows = subscript(binary('@', call('np.expand_dims', g, '-2'), swap(B)), '..., 0, :');
      return unbroadcast(rows, [...batch, k], sa);
    }
    const outer = binary('*', call('np.expand_dims', A, '-1'), call('np.expand_dims', g, '-2'));
    return unbroadcast(outer, [...batch, k, n], sb);
  }
  if (rb === 1) {
    if (i === 0)
      return unbroadcast(binary('*', call('np.expand_dims', g, '-1'), B), [...batch, m, k], sa);
    const cols = subscript(binary('@', swap(A), call('np.expand_dims', g, '-1')), '..., 0');
    return unbroadcast(cols, [...batch, k], sb);
  }
  return i === 0
    ? unbroadcast(binary('@', g, swap(B)), [...batch, m, k], sa)
    : unbroadcast(binary('@', swap(A), g), [...batch, k, n], sb);
}

function reduceVjp(kind: 'sum' | 'mean' | 'max'): VjpRule {
  return (c) => {
    const shape = c.shapes[0];
    const axes = reducedAxes(shape, c.node.attrs.axis);
    const keepdims = c.node.attrs.keepdims === true;
    if (axes.length === 0) return c.g; // reduced nothing
    let count = 1;
    for (const a of axes) count *= shape[a];
    const full = pyTuple(shape);
    const g = expandReduced(c.g, axes, keepdims, shape.length);
    if (kind === 'max') {
      // The gradient goes to the first maximum of each slice, as the notes (and argmax) pick it.
      const mask = call(c.helper('first_max_mask'), c.args[0], pyTuple(axes));
      return times(g, mask);
    }
    if (c.g === ONE) {
      return kind === 'sum' ? call('np.ones', full) : call('np.full', full, `1 / ${count}`);
    }
    const spread = kind === 'mean' ? binary('/', g, pyInt(count)) : g;
    return call('np.broadcast_to', spread, full);
  };
}

/** Whether each row of the dense targets sums to exactly 1 (then softmax·ΣY − Y is P − Y). */
function rowsSumToOne(y: Tensor): boolean {
  const c = y.shape[y.shape.length - 1] ?? 1;
  for (let r = 0; r < y.size / c; r++) {
    let total = 0;
    for (let k = 0; k < c; k++) total += y.data[r * c + k];
    if (total !== 1) return false;
  }
  return true;
}

const VJP: Record<string, VjpRule> = {
  add: (c, i) => unbroadcast(c.g, c.outShape, c.shapes[i]),
  sub: (c, i) => unbroadcast(i === 0 ? c.g : negate(c.g), c.outShape, c.shapes[i]),
  mul: (c, i) => unbroadcast(times(c.g, c.args[1 - i]), c.outShape, c.shapes[i]),
  div: (c, i) => {
    const [A, B] = c.args;
    const e =
      i === 0 ? binary('/', c.g, B) : negate(binary('/', times(c.g, A), binary('**', B, pyInt(2))));
    return unbroadcast(e, c.outShape, c.shapes[i]);
  },
  pow: (c, i) => {
    const [A, B] = c.args;
    if (i === 1) {
      return unbroadcast(
        times(c.g, binary('*', c.out, call('np.log', A))),
        c.outShape,
        c.shapes[1],
      );
    }
    const exponent = c.node.inputs[1];
    if (!(exponent.op === 'leaf' && exponent.name === null && exponent.value.size === 1)) {
      const local = binary('*', B, binary('**', A, binary('-', B, pyInt(1))));
      return unbroadcast(times(c.g, local), c.outShape, c.shapes[0]);
    }
    // A number written in the exponent: d(aᵏ)/da = k·aᵏ⁻¹, with k − 1 worked out.
    const k = exponent.value.data[0];
    if (k === 0) return call('np.zeros_like', A);
    if (k === 1)
      return unbroadcast(c.g === ONE ? call('np.ones_like', A) : c.g, c.outShape, c.shapes[0]);
    const power = k === 2 ? A : binary('**', A, pyScalar(k - 1));
    const local =
      c.g === ONE
        ? binary('*', pyScalar(k), power)
        : binary('*', binary('*', c.g, pyScalar(k)), power);
    return unbroadcast(local, c.outShape, c.shapes[0]);
  },
  neg: (c) => negate(c.g),
  matmul: matmulVjp,
  transpose: (c) => {
    const perm = permutationOf(c.shapes[0], c.node.attrs.axes);
    if (isIdentity(perm)) return c.g;
    if (perm.length === 2) return attribute(c.g, 'T');
    return call('np.transpose', c.g, pyTuple(inverse(perm)));
  },
  reshape: (c) => {
    const shape = c.shapes[0];
    return shape.length === 0
      ? method(asArray(c.g), 'reshape', '()')
      : method(asArray(c.g), 'reshape', ...shape.map(String));
  },
  exp: (c) => times(c.g, c.out),
  log: (c) => binary('/', c.g, c.args[0]),
  sqrt: (c) => binary('/', c.g, binary('*', pyInt(2), c.out)),
  abs: (c) => times(c.g, call('np.sign', c.args[0])),
  relu: (c) => {
    const mask = binary('>', c.args[0], pyInt(0));
    return c.g === ONE ? method(mask, 'astype', 'float') : binary('*', c.g, mask);
  },
  leaky_relu: (c) => {
    const alpha = typeof c.node.attrs.alpha === 'number' ? c.node.attrs.alpha : 0.01;
    const x = c.args[0];
    return times(c.g, call('np.where', binary('>', x, pyInt(0)), pyNumber(1), pyNumber(alpha)));
  },
  sigmoid: (c) => binary('*', times(c.g, c.out), binary('-', pyInt(1), c.out)),
  tanh: (c) => times(c.g, binary('-', pyInt(1), binary('**', c.out, pyInt(2)))),
  softplus: (c) => times(c.g, call(c.helper('sigmoid'), c.args[0])),
  gelu: (c) => times(c.g, call(c.helper('gelu_slope'), c.args[0])),
  softmax: (c) => {
    if (c.shapes[0].length === 0) return call('np.zeros_like', c.args[0]);
    const g = c.gOnce();
    const axis = `axis=${laneAxis(c.node.attrs)}`;
    const dot = method(times(g, c.out), 'sum', axis, 'keepdims=True');
    return binary('*', c.out, binary('-', g, dot));
  },
  log_softmax: (c) => {
    if (c.shapes[0].length === 0) return call('np.zeros_like', c.args[0]);
    const g = c.gOnce();
    const axis = `axis=${laneAxis(c.node.attrs)}`;
    return binary(
      '-',
      g,
      binary('*', call('np.exp', c.out), method(asArray(g), 'sum', axis, 'keepdims=True')),
    );
  },
  logsumexp: (c) => {
    const rank = c.shapes[0].length;
    if (rank === 0) return c.g;
    const axis = laneAxis(c.node.attrs);
    const a = axis < 0 ? axis + rank : axis;
    const keep = c.node.attrs.keepdims === true;
    const expand = (e: Py) => expandReduced(e, [a], keep, rank);
    return times(expand(c.g), call('np.exp', binary('-', c.args[0], expand(c.out))));
  },
  sum: reduceVjp('sum'),
  mean: reduceVjp('mean'),
  max: reduceVjp('max'),
  cross_entropy: (c) => {
    const n = labelRows(c.node);
    const den = n === 1 ? c.args[0] : binary('*', pyInt(n), c.args[0]);
    return binary('/', negate(times(c.g, c.targets())), den);
  },
  softmax_cross_entropy: (c) => {
    const n = labelRows(c.node);
    const p = call(c.helper('softmax'), c.args[0]);
    const y = c.targets();
    const unit = labelLayout(c.node) === 'index' || rowsSumToOne(c.node.inputs[1].value);
    const diff = unit
      ? binary('-', p, y)
      : binary('-', binary('*', p, method(y, 'sum', 'axis=-1', 'keepdims=True')), y);
    return times(c.g, n === 1 ? diff : binary('/', diff, pyInt(n)));
  },
  mse: (c, i) => {
    const [A, B] = c.args;
    const full = broadcastShapes(c.shapes[0], c.shapes[1]) ?? c.shapes[0];
    const size = full.reduce((p, d) => p * d, 1);
    const e = binary('/', binary('*', pyInt(2), binary('-', A, B)), pyInt(size));
    return unbroadcast(times(c.g, i === 0 ? e : negate(e)), full, c.shapes[i]);
  },
  bce: (c) => {
    const [p, y] = c.args;
    const size = c.node.inputs[0].value.size;
    const pq = binary('*', p, binary('-', pyInt(1), p));
    let floored = pq;
    let clamp = false;
    for (const v of c.node.inputs[0].value.data) if (v * (1 - v) < 1e-12) clamp = true;
    // PyTorch's (and the notes') floor on p(1 − p), which only acts at p ≈ 0 or 1.
    if (clamp) floored = call('np.maximum', pq, '1e-12');
    const den = clamp
      ? binary('*', pyInt(size), floored)
      : binary('*', binary('*', pyInt(size), p), binary('-', pyInt(1), p));
    return binary('/', times(c.g, binary('-', p, y)), den);
  },
};

const HELPERS: Record<
  string,
  { readonly code: readonly string[]; readonly needs?: readonly string[] }
> = {
  sigmoid: {
    code: [
      'def sigmoid(x):',
      '    """σ(x) = 1 / (1 + e^−x), computed as e^−softplus(−x) so that no exp overflows."""',
      '    return np.exp(-np.logaddexp(0, -x))',
    ],
  },
  softmax: {
    code: [
      'def softmax(x, axis=-1):',
      '    """Each slice along `axis` exponentiated and normalized (its max subtracted first: no overflow)."""',
      '    e = np.exp(x - x.max(axis=axis, keepdims=True))',
      '    return e / e.sum(axis=axis, keepdims=True)',
    ],
  },
  log_softmax: {
    code: [
      'def log_softmax(x, axis=-1):',
      '    """log softmax(x) without forming the probabilities, so none underflows to log 0."""',
      '    shifted = x - x.max(axis=axis, keepdims=True)',
      '    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))',
    ],
  },
  logsumexp: {
    code: [
      'def logsumexp(x, axis=-1, keepdims=False):',
      '    """log Σ e^x along `axis`, the max taken out first so exp never overflows."""',
      '    m = x.max(axis=axis, keepdims=True)',
      '    out = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))',
      '    return out if keepdims else out.squeeze(axis)',
    ],
  },
  normal_cdf: {
    code: [
      '# NumPy has no erf; math.erfc applied elementwise is exact to float64.',
      'erfc = np.vectorize(math.erfc, otypes=[np.float64])',
      '',
      '',
      'def normal_cdf(x):',
      '    """Φ(x), the standard normal CDF, as erfc(−x/√2)/2 (no cancellation in the left tail)."""',
      '    return 0.5 * erfc(-x / math.sqrt(2))',
    ],
  },
  gelu: {
    needs: ['normal_cdf'],
    code: [
      'def gelu(x):',
      '    """GELU, the exact form x·Φ(x) (PyTorch\'s approximate=\'none\')."""',
      '    return x * normal_cdf(x)',
    ],
  },
  gelu_slope: {
    needs: ['normal_cdf'],
    code: [
      'def gelu_slope(x):',
      '    """gelu\'(x) = Φ(x) + x·φ(x), φ the standard normal density."""',
      '    return normal_cdf(x) + x * np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)',
    ],
  },
  first_max_mask: {
    code: [
      'def first_max_mask(x, axes):',
      '    """1.0 at the first maximum of each slice over `axes` (argmax\'s pick), 0.0 elsewhere.',
      '',
      '    The max passes its gradient to that one element, as in the notes.',
      '    """',
      '    kept = [a for a in range(x.ndim) if a not in axes]',
      '    moved = np.transpose(x, kept + list(axes))',
      '    flat = moved.reshape(moved.shape[: len(kept)] + (-1,))',
      '    first = np.expand_dims(flat.argmax(axis=-1), -1)',
      '    mask = (np.arange(flat.shape[-1]) == first).reshape(moved.shape)',
      '    return np.transpose(mask, np.argsort(kept + list(axes))).astype(np.float64)',
    ],
  },
};

/** The ops the NumPy backward pass has a rule for (what the tests check against the engine's). */
export function numpyBackwardOps(): string[] {
  return Object.keys(VJP);
}

/** Writes the backward pass: one block of lines per backprop step of the Explanation. */
class Backward {
  private readonly lines: string[] = [];
  private pending: string[] = [];
  /** ∂L/∂node for boundary nodes: the seed ONE or a `dT` variable. */
  private readonly grads = new Map<number, Py>();
  /** ∂L/∂node for unnamed subexpressions, inline or a temporary. */
  private readonly inner = new Map<number, Py>();
  private readonly oneHots = new Map<number, Py>();

  constructor(
    private readonly plan: ProgramPlan,
    private readonly explanation: Explanation,
  ) {}

  run(): string[] {
    for (const step of this.explanation.steps) this.step(step);
    return this.lines;
  }

  /** The `dT` variable of a gradient leaf (after `run`). */
  gradientOf(node: Node): Py | undefined {
    return this.grads.get(node.id);
  }

  private step(step: BackpropStep): void {
    const plan = this.plan;
    const node = plan.nodes[step.node];
    const variable = plan.vars.get(node.id) ?? `t${node.id}`;
    this.lines.push(`# ${latexToText(step.latex)}`);
    if (step.kind === 'seed') {
      if (node.value.shape.length === 0) {
        this.grads.set(node.id, ONE);
        return;
      }
      const d = plan.names.claim(`d${variable}`);
      this.grads.set(node.id, atom(d));
      this.lines.push(`${d} = np.ones_like(${variable})`);
      return;
    }
    const simplified = step.simplified ? this.simplified(node) : null;
    const terms: Py[] = [];
    if (simplified) {
      terms.push(simplified);
    } else {
      for (const term of step.terms) terms.push(...this.contributions(plan.nodes[term.from], node));
    }
    const d = plan.names.claim(`d${variable}`);
    this.grads.set(node.id, atom(d));
    this.flush();
    this.lines.push(
      assignSum(d, terms.length > 0 ? terms : [call('np.zeros_like', atom(variable))]),
    );
  }

  /** (P − Y)/N for the logits of softmax + cross-entropy (not fused), as the panel simplifies it. */
  private simplified(logits: Node): Py | null {
    const sce = this.explanation.softmaxCrossEntropy.find(
      (x) => x.logits === logits.id && !x.fused && x.probabilities !== null,
    );
    if (!sce) return null;
    const ce = this.plan.nodes[sce.loss];
    const p = this.plan.expr(this.plan.nodes[sce.probabilities!]);
    const diff = binary('-', p, this.targetsOf(ce));
    return sce.batch === 1 ? diff : binary('/', diff, pyInt(sce.batch));
  }

  /** The terms statement `a` sends to boundary node `b`: one per edge from a's formula to b. */
  private contributions(a: Node, b: Node): Py[] {
    const s = this.plan.structure;
    const edges = (s.frontierEdges.get(a.id) ?? []).filter(
      (e) => e.to === b && needs(e.via)[e.argument],
    );
    return edges.map((e) => this.vjp(e.via, e.argument, a));
  }

  /** ∂L/∂(operand i of n), n inside statement `top`. */
  private vjp(n: Node, i: number, top: Node): Py {
    const rule = VJP[n.op];
    const plan = this.plan;
    return rule(
      {
        node: n,
        args: n.inputs.map((x) => plan.expr(x)),
        out: plan.expr(n),
        g: this.gradOf(n, top),
        shapes: n.inputs.map((x) => x.value.shape),
        outShape: n.value.shape,
        gOnce: () => this.gradOf(n, top, true),
        helper: (name) => plan.helper(name),
        targets: () => this.targetsOf(n),
      },
      i,
    );
  }

  /** ∂L/∂n: a boundary node's variable, or an unnamed node's gradient through its statement. */
  private gradOf(n: Node, top: Node, short = false): Py {
    const known = this.grads.get(n.id);
    if (known) return known;
    let g = this.inner.get(n.id);
    if (!g) {
      const inside = new Set([
        top.id,
        ...(this.plan.structure.interior.get(top.id) ?? []).map((x) => x.id),
      ]);
      const uses = this.plan.consumers[n.id].filter(
        (u) => inside.has(u.node.id) && needs(u.node)[u.argument],
      );
      const parts = uses.map((u) => this.vjp(u.node, u.argument, top));
      g = parts.reduce((x, y) => binary('+', x, y));
      if (g.code.length > 60) g = this.temporary(n, g);
      this.inner.set(n.id, g);
    }
    if (short && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(g.code) && g !== ONE) {
      g = this.temporary(n, g);
      this.inner.set(n.id, g);
    }
    return g;
  }

  private temporary(n: Node, e: Py): Py {
    const name = this.plan.names.claim(`d${describe(this.plan, n)}`);
    this.pending.push(`${name} = ${e.code}`);
    return atom(name);
  }

  /** Dense target rows Y of a cross-entropy: its labels as one-hot rows (a temporary), or as given. */
  private targetsOf(ce: Node): Py {
    const labels = ce.inputs[1];
    if (labelLayout(ce) === 'dense') return this.plan.expr(labels);
    const known = this.oneHots.get(labels.id);
    if (known) return known;
    const classes = labelClasses(ce);
    const y = this.plan.expr(labels);
    const indices = this.plan.labelLeaves.has(labels.id) ? y : method(y, 'astype', 'int');
    const base = this.plan.vars.get(labels.id) ?? 'y';
    const name = this.plan.names.has('Y')
      ? this.plan.names.claim(`${base}_onehot`)
      : this.plan.names.claim('Y');
    this.pending.push(
      `${name} = ${subscript(call('np.eye', String(classes)), indices.code).code}  # ${base} as one-hot rows`,
    );
    const e = atom(name);
    this.oneHots.set(labels.id, e);
    return e;
  }

  private flush(): void {
    this.lines.push(...this.pending);
    this.pending = [];
  }
}

/** A short name for an unnamed subexpression: `XW1` for X @ W1, `sum_E` for sum(E). */
function describe(plan: ProgramPlan, n: Node): string {
  const v = plan.vars.get(n.id);
  if (v) return v;
  if (n.op === 'leaf') return 'const';
  const parts = n.inputs.map((x) => describe(plan, x));
  const name =
    n.op === 'matmul'
      ? parts.join('')
      : n.op === 'transpose'
        ? `${parts[0]}T`
        : ['add', 'sub', 'mul', 'div', 'pow'].includes(n.op)
          ? parts.join(`_${n.op}_`)
          : `${n.op}_${parts.join('_')}`;
  return name.length <= 24 ? name : `${n.op}${n.id}`;
}

/** `d = a + b + …`, over several lines when long. */
function assignSum(d: string, terms: readonly Py[]): string {
  const one = `${d} = ${terms.reduce((x, y) => binary('+', x, y)).code}`;
  if (one.length <= 96 || terms.length === 1) return one;
  const body = terms.map(
    (t, k) => `    ${k === 0 ? '' : '+ '}${t.prec >= Prec.mul ? t.code : `(${t.code})`}`,
  );
  return `${d} = (\n${body.join('\n')}\n)`;
}

function helperLines(plan: ProgramPlan): string[] {
  const order: string[] = [];
  const add = (name: string) => {
    if (order.includes(name)) return;
    for (const dep of HELPERS[name].needs ?? []) add(dep);
    order.push(name);
  };
  for (const name of plan.helpers) add(name);
  return order.flatMap((name) => ['', '', ...HELPERS[name].code]);
}

/**
 * The NumPy program of one model block. Throws ExportError for a block with spec errors, no
 * statements, or an op the export cannot write.
 */
export function exportNumPy(block: ModelBlock, options: ExportOptions = {}): string {
  const plan = new ProgramPlan(block, numpyDialect, options);
  const explanation = explainBlock(block, {
    gradientCheck: false,
    maxPaths: 1,
    maxJacobianEntries: 0,
  });
  const root = plan.root!;
  const rootVar = plan.vars.get(root.node.id)!;
  const rootName = root.name;

  const tensors = tensorLines(plan);
  const forward = forwardLines(plan);
  const backward = new Backward(plan, explanation);
  const backwardLines = root.node.requiresGrad ? backward.run() : [];
  const helpers = helperLines(plan);

  const out: string[] = [];
  out.push(
    ...docstring(plan, [
      "The model as a NumPy program: the tensors with the notes' values, the forward pass line by",
      'line, the backward pass written out by hand in matrix form — the backprop steps the',
      'Explanation panel shows — and the loss and gradients printed (the last line prints them',
      "again as JSON). float64 throughout, so the numbers are the notes' own.",
    ]),
  );
  const usesMath = plan.helpers.some((h) => h === 'gelu' || h === 'gelu_slope');
  out.push('import json', ...(usesMath ? ['import math'] : []), '', 'import numpy as np');
  out.push(...helpers, '', '');
  out.push(section('Tensors'), ...headerRest(plan), ...tensors, '');
  out.push(section('Forward pass'), ...forward, '');
  out.push(
    section(
      'Backward pass, by hand: the backprop steps of the notes, in the order backprop takes them.',
    ),
    `# In the rules δ is ∂${rootName}/∂ of a pre-activation and T̄ is ∂${rootName}/∂T; in the code dT is ∂${rootName}/∂T.`,
  );
  if (!root.node.requiresGrad) {
    out.push(`# Nothing ${rootName} depends on asks for a gradient, so there is no backward pass.`);
  }
  out.push(...backwardLines, '');

  const entries = plan.gradients.map((g): [string, string] => {
    const d = backward.gradientOf(g.node);
    return [g.name, d ? d.code : `np.zeros_like(${g.variable})`];
  });
  out.push(section('Results'), `gradients = ${dictLiteral(entries)}`);
  out.push(
    root.node.value.size === 1
      ? `print(${JSON.stringify(`${rootName} =`)}, ${rootVar})`
      : `print(f"${rootName} =\\n{${rootVar}}")`,
  );
  out.push(
    'for name, grad in gradients.items():',
    `    print(f"∂${rootName}/∂{name} =\\n{grad}")`,
    "# The same numbers at full precision, as one JSON line (Backprop Notes' tests read it).",
    'print(',
    '    json.dumps(',
    '        {',
    `            "root": ${JSON.stringify(rootName)},`,
    `            "value": np.asarray(${rootVar}).tolist(),`,
    '            "gradients": {name: np.asarray(grad).tolist() for name, grad in gradients.items()},',
    '        }',
    '    )',
    ')',
  );
  return `${out.join('\n').replace(/\n{4,}/g, '\n\n\n')}\n`;
}
