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
 * - An element whose analytic or numerical gradient is NaN or ±∞ is graded `not-comparable`, not
 *   `wrong`: a relative error of a NaN says nothing about the backward rule (src/explain/numerics.ts
 *   says where the NaN or ∞ came from). `notFinite` says which side it was. It comes before
 *   `kink`: a NaN is worth saying even at a corner.
 * - Tensors larger than `maxElementsPerTensor` are checked on a seeded random sample; the report
 *   says how many elements were checked and which.
 * - `mode: 'fast'` (PyTorch's fast_mode, for models with many parameters) checks `sampleSize`
 *   seeded elements per tensor and adds directional checks: the analytic ⟨∇f, u⟩ against
 *   (f(x + h·u) − f(x − h·u)) / 2h for a seeded random unit direction u over each tensor, and one
 *   over all of them at once, so every element takes part in some check. Two forward passes per
 *   direction instead of two per element.
 * - Perturbing a leaf re-runs only the nodes that depend on it; the rest keep their values.
 */
import type { Graph, Node } from './graph';
import { getOp } from './ops/index';
import { Tensor } from './tensor';

/**
 * `not-comparable`: the analytic or the numerical gradient is NaN or ±∞, so the two cannot be
 * compared (added after the others: readers of the JSON that know only those see a new value).
 */
export type Grade = 'good' | 'ok' | 'doubtful' | 'wrong' | 'kink' | 'not-comparable';

/** What a non-finite number is. */
export type NonFiniteValue = 'nan' | 'inf' | '-inf';

/**
 * Why a check is `not-comparable`: which side is not finite, and what it is (null: that side is
 * finite). Carried as words because JSON writes NaN and ±∞ as null.
 */
export interface NotFinite {
  readonly analytic: NonFiniteValue | null;
  readonly numeric: NonFiniteValue | null;
}

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
  /** `full` (default): elements up to `maxElementsPerTensor`. `fast`: a sample plus directions. */
  readonly mode?: 'full' | 'fast';
  /** Elements per tensor in fast mode (default 16). */
  readonly sampleSize?: number;
}

/**
 * A directional check: the derivative along a unit direction u, analytic ⟨∇f, u⟩ against the
 * central difference along u. u has entries ±1/√n (n the elements it spans) with signs drawn
 * from `seed` by xorshift32, so the same seed gives the same direction.
 */
export interface DirectionalCheck {
  readonly seed: number;
  /** Elements the direction spans. */
  readonly elements: number;
  readonly analytic: number;
  readonly numeric: number;
  readonly relativeError: number;
  readonly grade: Grade;
  /** Present when `grade` is `not-comparable`. */
  readonly notFinite?: NotFinite;
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
  /** Present when `grade` is `not-comparable`. */
  readonly notFinite?: NotFinite;
}

export interface TensorCheck {
  readonly nodeId: number;
  readonly name: string;
  readonly shape: readonly number[];
  readonly total: number;
  /** Every element checked, in index order (all of them unless sampled). */
  readonly elements: readonly ElementCheck[];
  readonly sampled: boolean;
  /**
   * The worst element that is not a kink (worst grade, then largest relative error), or null when
   * every checked element was a kink.
   */
  readonly worst: ElementCheck | null;
  readonly kinks: number;
  /**
   * Checked elements graded `not-comparable` (a NaN or ±∞ on either side); present only when
   * some are, so a report of finite gradients keeps its shape.
   */
  readonly notComparable?: number;
  /** The worst non-kink grade (of the elements and the direction); `kink` only when all were. */
  readonly grade: Grade;
  /** Fast mode: the check along a random direction over this whole tensor. */
  readonly directional?: DirectionalCheck;
}

export interface GradientCheckReport {
  readonly h: number;
  readonly bands: GradeBands;
  readonly tensors: readonly TensorCheck[];
  /** The worst grade over all tensors, kinks aside. */
  readonly grade: Grade;
  /**
   * True when no tensor is `wrong` or `not-comparable`: a NaN or ∞ gradient is not a wrong
   * backward rule, but it is not a usable gradient either, so the check does not pass.
   */
  readonly passed: boolean;
  /** Present in fast mode only (absent in full mode, so full reports are as they were). */
  readonly mode?: 'fast';
  /** Fast mode: the check along one random direction over every checked tensor at once. */
  readonly directional?: DirectionalCheck;
}

/**
 * Best to worst. `not-comparable` sits below `wrong`: a finite mismatch elsewhere in the tensor is
 * a definite bug in a backward rule and is the one to show.
 */
const gradeOrder: readonly Grade[] = ['kink', 'good', 'ok', 'doubtful', 'not-comparable', 'wrong'];

export function worseGrade(a: Grade, b: Grade): Grade {
  return gradeOrder.indexOf(a) >= gradeOrder.indexOf(b) ? a : b;
}

/** Whether a report's grade lets it pass (see GradientCheckReport.passed). */
export function gradePasses(grade: Grade): boolean {
  return grade !== 'wrong' && grade !== 'not-comparable';
}

function nonFiniteValue(x: number): NonFiniteValue | null {
  if (Number.isFinite(x)) return null;
  return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
}

/**
 * The grade of one comparison (an element or a direction), and `notFinite` when a side is NaN or
 * ±∞ (which wins over a kink).
 */
export function gradeCheck(
  analytic: number,
  numeric: number,
  relativeError: number,
  crossedKink: boolean,
  bands: GradeBands,
): { grade: Grade; notFinite?: NotFinite } {
  const a = nonFiniteValue(analytic);
  const n = nonFiniteValue(numeric);
  if (a !== null || n !== null)
    return { grade: 'not-comparable', notFinite: { analytic: a, numeric: n } };
  return { grade: crossedKink ? 'kink' : gradeOf(relativeError, bands) };
}

/** The grade of a finite relative error (a NaN, which gradeCheck keeps away, would be `wrong`). */
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
  const fast = options.mode === 'fast';
  const maxElements = fast ? (options.sampleSize ?? 16) : (options.maxElementsPerTensor ?? 4096);
  const seed = root.grad ?? Tensor.filled(root.value.shape, 1);
  const kinked = graph.ancestors(root).filter((n) => n.op !== 'leaf' && getOp(n.op).pieces);
  const basePieces = piecesOf(kinked, (n) => n.value);

  /** Σ seed ⊙ root with some leaves replaced, and whether any kinked op changed piece. */
  const objective = (replaced: ReadonlyMap<Node, Tensor>): { value: number; crossed: boolean } => {
    const values = recomputeFrom(graph, replaced, root);
    const out = values[root.id].data;
    let sum = 0;
    for (let i = 0; i < out.length; i++) sum += seed.data[i] * out[i];
    const crossed =
      kinked.length > 0 &&
      !samePieces(
        basePieces,
        piecesOf(kinked, (n) => values[n.id]),
      );
    return { value: sum, crossed };
  };

  /** The central difference of the objective along `direction` (one per leaf). */
  const along = (leavesHere: readonly Node[], direction: readonly Float64Array[]) => {
    const plus = new Map<Node, Tensor>();
    const minus = new Map<Node, Tensor>();
    leavesHere.forEach((leaf, k) => {
      const p = leaf.value.clone();
      const m = leaf.value.clone();
      const u = direction[k];
      for (let i = 0; i < u.length; i++) {
        p.data[i] += h * u[i];
        m.data[i] -= h * u[i];
      }
      plus.set(leaf, p);
      minus.set(leaf, m);
    });
    const up = objective(plus);
    const down = objective(minus);
    return { numeric: (up.value - down.value) / (2 * h), crossed: up.crossed || down.crossed };
  };

  const directional = (leavesHere: readonly Node[], dirSeed: number): DirectionalCheck => {
    const total = leavesHere.reduce((n, leaf) => n + leaf.value.size, 0);
    const signs = signGenerator(dirSeed);
    const scale = 1 / Math.sqrt(total);
    const direction = leavesHere.map((leaf) => {
      const u = new Float64Array(leaf.value.size);
      for (let i = 0; i < u.length; i++) u[i] = signs() * scale;
      return u;
    });
    let analytic = 0;
    leavesHere.forEach((leaf, k) => {
      const g = leaf.grad?.data;
      if (!g) return;
      const u = direction[k];
      for (let i = 0; i < u.length; i++) analytic += g[i] * u[i];
    });
    const { numeric, crossed } = along(leavesHere, direction);
    const err = relativeError(analytic, numeric, floor);
    return {
      seed: dirSeed,
      elements: total,
      analytic,
      numeric,
      relativeError: err,
      ...gradeCheck(analytic, numeric, err, crossed, bands),
    };
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
      const up = objective(new Map([[leaf, plus]]));
      const down = objective(new Map([[leaf, minus]]));
      const numeric = (up.value - down.value) / (2 * h);
      const analytic = grad.data[index];
      const crossed = up.crossed || down.crossed;
      const err = relativeError(analytic, numeric, floor);
      elements.push({
        index,
        position: unravel(index, leaf.value.shape),
        analytic,
        numeric,
        relativeError: err,
        ...gradeCheck(analytic, numeric, err, crossed, bands),
      });
    }
    let worst: ElementCheck | null = null;
    let kinks = 0;
    let notComparable = 0;
    for (const e of elements) {
      if (e.grade === 'kink') {
        kinks++;
        continue;
      }
      if (e.grade === 'not-comparable') notComparable++;
      if (!worst || worseElement(e, worst)) worst = e;
    }
    let tensorGrade: Grade = worst ? worst.grade : 'kink';
    const check: TensorCheck = {
      nodeId: leaf.id,
      name: leaf.name ?? `#${leaf.id}`,
      shape: leaf.value.shape,
      total,
      elements,
      sampled: indices.length < total,
      worst,
      kinks,
      ...(notComparable > 0 ? { notComparable } : {}),
      grade: tensorGrade,
    };
    if (fast) {
      const d = directional([leaf], (options.seed ?? 0xd1ec) + 7919 * (leaf.id + 1));
      if (d.grade !== 'kink') {
        tensorGrade = tensorGrade === 'kink' ? d.grade : worseGrade(tensorGrade, d.grade);
      }
      tensors.push({ ...check, grade: tensorGrade, directional: d });
    } else {
      tensors.push(check);
    }
  }
  let grade = tensors.reduce<Grade>(
    (g, t) => (t.grade === 'kink' ? g : worseGrade(g, t.grade)),
    'good',
  );
  if (!fast) return { h, bands, tensors, grade, passed: gradePasses(grade) };
  const overall = leaves.length > 0 ? directional(leaves, options.seed ?? 0xa11) : undefined;
  if (overall && overall.grade !== 'kink') grade = worseGrade(grade, overall.grade);
  return {
    h,
    bands,
    tensors,
    grade,
    passed: gradePasses(grade),
    mode: 'fast',
    ...(overall ? { directional: overall } : {}),
  };
}

/** Whether `a` is a worse element than `b`: a worse grade, or the same grade and a larger error. */
function worseElement(a: ElementCheck, b: ElementCheck): boolean {
  const ga = gradeOrder.indexOf(a.grade);
  const gb = gradeOrder.indexOf(b.grade);
  if (ga !== gb) return ga > gb;
  return a.relativeError > b.relativeError;
}

/**
 * Forward with some leaves replaced, re-running only the nodes downstream of them; every other
 * node keeps the value the graph computed (forward is deterministic, so it is the same value).
 */
function recomputeFrom(graph: Graph, replaced: ReadonlyMap<Node, Tensor>, root: Node): Tensor[] {
  const values: Tensor[] = new Array<Tensor>(root.id + 1);
  const dirty = new Uint8Array(root.id + 1);
  for (let id = 0; id <= root.id; id++) {
    const node = graph.nodes[id];
    if (node.op === 'leaf') {
      const r = replaced.get(node);
      values[id] = r ?? node.value;
      dirty[id] = r ? 1 : 0;
      continue;
    }
    if (!node.inputs.some((n) => dirty[n.id])) {
      values[id] = node.value;
      continue;
    }
    dirty[id] = 1;
    values[id] = getOp(node.op).forward(
      node.inputs.map((n) => values[n.id]),
      node.attrs,
    );
  }
  return values;
}

/** ±1 with equal odds, from xorshift32 (the same generator the element sample uses). */
function signGenerator(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state & 0x10000 ? 1 : -1;
  };
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
