/**
 * Numerical gradient check: every analytic gradient the engine computed is compared with central
 * finite differences in float64, element by element, graded with CS231n's relative-error bands.
 *
 * Boundaries:
 * - The objective is Σ seed ⊙ root (the loss itself when root is a scalar), the same function
 *   backward differentiated.
 * - Relative error is |a − n| / max(|a|, |n|). When both are below `floor` (finite-difference
 *   noise: central differences in float64 carry ~1e-10 of rounding at h = 1e-6), the absolute
 *   difference is graded instead, so an exactly-zero gradient is not called wrong for noise.
 * - An element whose perturbation moves any relu/abs/max/leaky_relu input to another linear piece
 *   is graded `kink`: the function is not differentiable there and a mismatch is expected.
 * - Tensors larger than `maxElementsPerTensor` are checked on a seeded random sample; the report
 *   says how many elements were checked and which.
 */
import type { Graph, Node } from './graph';
import { getOp } from './ops/index';
import { Tensor } from './tensor';

export type Grade = 'good' | 'ok' | 'doubtful' | 'wrong' | 'kink';

/** Upper bounds of relative error for each grade; above `doubtful` is `wrong`. */
export interface GradeBands {
  readonly good: number;
  readonly ok: number;
  readonly doubtful: number;
}

export const cs231nBands: GradeBands = { good: 1e-7, ok: 1e-4, doubtful: 1e-2 };

export interface GradientCheckOptions {
  /** Finite-difference step. */
  readonly h?: number;
  readonly bands?: GradeBands;
  /** Below this magnitude both values count as noise and the absolute error is graded. */
  readonly floor?: number;
  /** Elements checked per tensor at most; beyond it a seeded sample is drawn. */
  readonly maxElementsPerTensor?: number;
  readonly seed?: number;
}

export interface ElementCheck {
  /** Flat index into the tensor (row-major). */
  readonly index: number;
  /** The same index per axis. */
  readonly position: readonly number[];
  readonly analytic: number;
  readonly numeric: number;
  readonly relativeError: number;
  readonly grade: Grade;
}

export interface TensorCheck {
  readonly nodeId: number;
  readonly name: string;
  readonly shape: readonly number[];
  readonly total: number;
  /** Every element checked, in index order (all of them unless sampled). */
  readonly elements: readonly ElementCheck[];
  readonly sampled: boolean;
  /** The worst element that is not a kink, or null when every checked element was a kink. */
  readonly worst: ElementCheck | null;
  readonly kinks: number;
  /** The worst non-kink grade; `kink` only when all elements were kinks. */
  readonly grade: Grade;
}

export interface GradientCheckReport {
  readonly h: number;
  readonly bands: GradeBands;
  readonly tensors: readonly TensorCheck[];
  /** The worst grade over all tensors, kinks aside. */
  readonly grade: Grade;
  /** True when no tensor is `wrong`. */
  readonly passed: boolean;
}

const gradeOrder: readonly Grade[] = ['kink', 'good', 'ok', 'doubtful', 'wrong'];

export function worseGrade(a: Grade, b: Grade): Grade {
  return gradeOrder.indexOf(a) >= gradeOrder.indexOf(b) ? a : b;
}

export function gradeOf(relativeError: number, bands: GradeBands): Grade {
  if (!(relativeError <= bands.doubtful)) return 'wrong'; // NaN lands here too
  if (relativeError <= bands.good) return 'good';
  if (relativeError <= bands.ok) return 'ok';
  return 'doubtful';
}

export function relativeError(analytic: number, numeric: number, floor: number): number {
  const diff = Math.abs(analytic - numeric);
  const scale = Math.max(Math.abs(analytic), Math.abs(numeric));
  if (scale < floor) return diff;
  return diff / scale;
}

/**
 * Checks the gradients of `leaves` (which must have been filled by `graph.backward(root, seed)`)
 * against central differences of Σ seed ⊙ root.
 */
export function gradientCheck(
  graph: Graph,
  root: Node,
  leaves: readonly Node[],
  options: GradientCheckOptions = {},
): GradientCheckReport {
  const h = options.h ?? 1e-6;
  const bands = options.bands ?? cs231nBands;
  const floor = options.floor ?? 1e-8;
  const maxElements = options.maxElementsPerTensor ?? 4096;
  const seed = root.grad ?? Tensor.filled(root.value.shape, 1);
  const kinked = graph.ancestors(root).filter((n) => n.op !== 'leaf' && getOp(n.op).pieces);
  const basePieces = piecesOf(kinked, (n) => n.value);

  const objective = (leaf: Node, value: Tensor): { value: number; values: Tensor[] } => {
    const values = graph.recompute(new Map([[leaf, value]]), root);
    const out = values[root.id].data;
    let sum = 0;
    for (let i = 0; i < out.length; i++) sum += seed.data[i] * out[i];
    return { value: sum, values };
  };

  const tensors: TensorCheck[] = [];
  for (const leaf of leaves) {
    const grad = leaf.grad ?? Tensor.filled(leaf.value.shape, 0);
    const total = leaf.value.size;
    const indices = pickIndices(total, maxElements, options.seed ?? 0x5eed + leaf.id);
    const elements: ElementCheck[] = [];
    for (const index of indices) {
      const plus = leaf.value.clone();
      plus.data[index] += h;
      const minus = leaf.value.clone();
      minus.data[index] -= h;
      const up = objective(leaf, plus);
      const down = objective(leaf, minus);
      const numeric = (up.value - down.value) / (2 * h);
      const analytic = grad.data[index];
      const crossed =
        kinked.length > 0 &&
        (!samePieces(
          basePieces,
          piecesOf(kinked, (n) => up.values[n.id]),
        ) ||
          !samePieces(
            basePieces,
            piecesOf(kinked, (n) => down.values[n.id]),
          ));
      const err = relativeError(analytic, numeric, floor);
      elements.push({
        index,
        position: unravel(index, leaf.value.shape),
        analytic,
        numeric,
        relativeError: err,
        grade: crossed ? 'kink' : gradeOf(err, bands),
      });
    }
    let worst: ElementCheck | null = null;
    let kinks = 0;
    for (const e of elements) {
      if (e.grade === 'kink') kinks++;
      else if (!worst || !(e.relativeError <= worst.relativeError)) worst = e;
    }
    tensors.push({
      nodeId: leaf.id,
      name: leaf.name ?? `#${leaf.id}`,
      shape: leaf.value.shape,
      total,
      elements,
      sampled: indices.length < total,
      worst,
      kinks,
      grade: worst ? worst.grade : 'kink',
    });
  }
  const grade = tensors.reduce<Grade>(
    (g, t) => (t.grade === 'kink' ? g : worseGrade(g, t.grade)),
    'good',
  );
  return { h, bands, tensors, grade, passed: grade !== 'wrong' };
}

/** Which linear piece every kinked op's inputs are on, given each node's value. */
function piecesOf(nodes: readonly Node[], valueOf: (n: Node) => Tensor): Int32Array[] {
  return nodes.map((n) =>
    getOp(n.op).pieces!(
      n.inputs.map((i) => valueOf(i)),
      n.attrs,
    ),
  );
}

function samePieces(a: readonly Int32Array[], b: readonly Int32Array[]): boolean {
  for (let k = 0; k < a.length; k++) {
    const x = a[k];
    const y = b[k];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

/** All indices when they fit, else a sorted seeded sample without repeats. */
function pickIndices(total: number, max: number, seed: number): number[] {
  if (total <= max) return Array.from({ length: total }, (_, i) => i);
  let state = seed >>> 0 || 1;
  const next = (): number => {
    // xorshift32: enough to spread a sample, and the same sample every run.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
  const chosen = new Set<number>();
  while (chosen.size < max) chosen.add(Math.floor(next() * total));
  return [...chosen].sort((a, b) => a - b);
}

export function unravel(index: number, shape: readonly number[]): number[] {
  const position = new Array<number>(shape.length);
  let rest = index;
  for (let ax = shape.length - 1; ax >= 0; ax--) {
    position[ax] = rest % shape[ax];
    rest = Math.floor(rest / shape[ax]);
  }
  return position;
}
