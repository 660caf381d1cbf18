/**
 * The Memory view: what backward keeps from the forward pass, what a forward-only run needs at
 * its peak, and how both grow with the batch size. The rules are documented on `MemoryReport`
 * and `BatchScaling` (explanation.ts).
 */
import type { Graph, Node } from '../engine/graph';
import { getOp } from '../engine/ops/index';
import type { ModelBlock } from '../spec/model';
import type {
  BatchMemoryPoint,
  BatchScaling,
  InferenceMemory,
  MemoryReport,
  OpMemory,
  SavedTensor,
} from './explanation';

const bytesPerElement = 8;

/** Bytes of a node's value; the batch scaling passes a rescaled size instead. */
type BytesOf = (n: Node) => number;

const actualBytes: BytesOf = (n) => n.value.size * bytesPerElement;

/**
 * The leaves that may carry the batch, in statement order: the `input` leaves first (the first
 * one's leading dimension is the batch size), then the `target` leaves.
 */
export function batchLeaves(block: ModelBlock): { inputs: Node[]; targets: Node[] } {
  const pick = (role: string) =>
    block.statements.filter((s) => s.role === role && s.node.op === 'leaf').map((s) => s.node);
  return { inputs: pick('input'), targets: pick('target') };
}

export function memoryReport(
  graph: Graph,
  root: Node,
  labels: readonly string[],
  batch: { inputs: readonly Node[]; targets: readonly Node[] } = { inputs: [], targets: [] },
): MemoryReport {
  const ancestors = graph.ancestors(root);
  const counted = new Set<number>();
  const ops: OpMemory[] = [];
  for (const n of ancestors) {
    if (n.op === 'leaf' || !n.requiresGrad) continue;
    const saved: SavedTensor[] = [];
    let bytes = 0;
    let newBytes = 0;
    for (const t of savedTensors(n)) {
      const b = actualBytes(t.node);
      const first = !counted.has(t.node.id);
      if (first) {
        counted.add(t.node.id);
        newBytes += b;
      }
      bytes += b;
      saved.push({
        node: t.node.id,
        label: labels[t.node.id],
        as: t.as,
        shape: [...t.node.value.shape],
        bytes: b,
        counted: first,
      });
    }
    ops.push({ node: n.id, op: n.op, label: labels[n.id], saved, bytes, newBytes });
  }
  const totals = tally(ancestors, root, actualBytes);
  return {
    bytesPerElement,
    ops,
    savedBytes: totals.savedBytes,
    savedActivationBytes: totals.savedActivationBytes,
    leafBytes: totals.inference.leafBytes,
    trainingBytes: totals.trainingBytes,
    inference: totals.inference,
    batch: batchScaling(ancestors, root, batch),
  };
}

/** The tensors an op node keeps for backward (its OpDef's `saves`), each once (`x * x` keeps x once). */
function savedTensors(n: Node): { node: Node; as: string }[] {
  const saves = getOp(n.op).saves(n.attrs);
  const out: { node: Node; as: string }[] = [];
  for (const t of [
    ...saves.inputs.map((i) => ({ node: n.inputs[i], as: `input ${i}` })),
    ...(saves.output ? [{ node: n, as: 'output' }] : []),
  ]) {
    if (!out.some((s) => s.node === t.node)) out.push(t);
  }
  return out;
}

interface Totals {
  savedBytes: number;
  savedActivationBytes: number;
  trainingBytes: number;
  inference: InferenceMemory;
}

/** The report's totals for the given sizes (the real ones, or rescaled to another batch size). */
function tally(ancestors: readonly Node[], root: Node, bytesOf: BytesOf): Totals {
  const counted = new Set<number>();
  let savedBytes = 0;
  let savedActivationBytes = 0;
  for (const n of ancestors) {
    if (n.op === 'leaf' || !n.requiresGrad) continue;
    for (const t of savedTensors(n)) {
      if (counted.has(t.node.id)) continue;
      counted.add(t.node.id);
      const b = bytesOf(t.node);
      savedBytes += b;
      if (t.node.op !== 'leaf') savedActivationBytes += b;
    }
  }
  const inference = inferencePeak(ancestors, root, bytesOf);
  const rootExtra = counted.has(root.id) ? 0 : bytesOf(root);
  return {
    savedBytes,
    savedActivationBytes,
    trainingBytes: inference.leafBytes + savedActivationBytes + rootExtra,
    inference,
  };
}

/** Simulates a forward-only run: leaves resident, op outputs freed after their last consumer. */
function inferencePeak(ancestors: readonly Node[], root: Node, bytesOf: BytesOf): InferenceMemory {
  const inSet = new Set(ancestors.map((n) => n.id));
  const lastUse = new Map<number, number>();
  for (const n of ancestors) {
    for (const input of n.inputs) if (inSet.has(input.id)) lastUse.set(input.id, n.id);
  }
  let leafBytes = 0;
  for (const n of ancestors) if (n.op === 'leaf') leafBytes += bytesOf(n);
  const alive = new Map<number, number>();
  let current = 0;
  let peak = 0;
  let peakAt: number | null = null;
  let peakAlive: number[] = [];
  for (const n of ancestors) {
    if (n.op === 'leaf') continue;
    alive.set(n.id, bytesOf(n));
    current += bytesOf(n);
    if (current > peak || peakAt === null) {
      peak = current;
      peakAt = n.id;
      peakAlive = [...alive.keys()];
    }
    // After n runs, free the op outputs whose last consumer was n (the root is kept).
    for (const input of new Set(n.inputs)) {
      if (input.op !== 'leaf' && lastUse.get(input.id) === n.id && input !== root) {
        current -= alive.get(input.id) ?? 0;
        alive.delete(input.id);
      }
    }
    if (lastUse.get(n.id) === undefined && n !== root) {
      // An output nothing reads (not possible among ancestors, but harmless).
      current -= bytesOf(n);
      alive.delete(n.id);
    }
  }
  return {
    leafBytes,
    peakActivationBytes: peak,
    peakBytes: leafBytes + peak,
    peakAt,
    alive: peakAlive,
  };
}

// ---------------------------------------------------------------------------------------------
// Batch scaling

/** Where a node carries the batch: on this axis, somewhere unknown (after a reshape), or not. */
type BatchAxis = number | 'flat' | null;

const elementwise = new Set([
  'relu',
  'leaky_relu',
  'sigmoid',
  'tanh',
  'softplus',
  'gelu',
  'neg',
  'exp',
  'log',
  'sqrt',
  'abs',
  'softmax',
  'log_softmax',
]);
const broadcasting = new Set(['add', 'sub', 'mul', 'div', 'pow']);
const reductions = new Set(['sum', 'mean', 'max', 'logsumexp']);

/** Batch sizes the report is evaluated at, besides the block's own. */
const batchSizes = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/** Follows the batch axis from the batch leaves through every ancestor of the root. */
export function batchAxes(
  ancestors: readonly Node[],
  sources: ReadonlySet<Node>,
  size: number,
): Map<number, BatchAxis> {
  const axes = new Map<number, BatchAxis>();
  for (const n of ancestors) {
    let axis: BatchAxis = null;
    if (n.op === 'leaf') axis = sources.has(n) ? 0 : null;
    else
      axis = opAxis(
        n,
        n.inputs.map((x) => axes.get(x.id) ?? null),
        size,
      );
    // A numbered axis must really have the batch's length there; otherwise it is not the batch.
    if (typeof axis === 'number' && n.value.shape[axis] !== size) axis = null;
    axes.set(n.id, axis);
  }
  return axes;
}

function opAxis(n: Node, inputAxes: readonly BatchAxis[], size: number): BatchAxis {
  if (inputAxes.every((a) => a === null)) return null;
  const shape = n.value.shape;
  const rank = shape.length;
  const first = inputAxes[0];
  if (elementwise.has(n.op)) return first;
  if (broadcasting.has(n.op)) {
    for (let i = 0; i < inputAxes.length; i++) {
      const a = inputAxes[i];
      if (typeof a === 'number') return a + (rank - n.inputs[i].value.rank);
    }
    return 'flat';
  }
  switch (n.op) {
    case 'matmul': {
      const [a, b] = inputAxes;
      const ra = n.inputs[0].value.rank;
      const rb = n.inputs[1].value.rank;
      // Rows of the left operand stay rows; columns of the right one stay columns; leading
      // (stacked) axes broadcast; the contracted axis is summed away.
      if (typeof a === 'number' && ra >= 2 && a === ra - 2) return rank - 2;
      if (typeof a === 'number' && ra >= 3 && a < ra - 2) return a + (rank - ra);
      if (typeof b === 'number' && rb >= 2 && b === rb - 1) return rank - 1;
      if (typeof b === 'number' && rb >= 3 && b < rb - 2) return b + (rank - rb);
      return a === 'flat' || b === 'flat' ? fallback(n, size) : null;
    }
    case 'transpose': {
      if (typeof first !== 'number') return first;
      const perm = n.attrs.axes;
      const order = Array.isArray(perm)
        ? perm.map((p) => (p < 0 ? p + rank : p))
        : Array.from({ length: rank }, (_, i) => rank - 1 - i);
      const j = order.indexOf(first);
      return j >= 0 ? j : null;
    }
    case 'reshape':
      // The element count is kept, so the bytes grow all the same; the axis stays known only
      // when the leading dimension is untouched.
      return first === 0 && shape[0] === n.inputs[0].value.shape[0] ? 0 : 'flat';
    case 'one_hot':
      return first;
    default:
      break;
  }
  if (reductions.has(n.op)) {
    if (typeof first !== 'number') return first === 'flat' ? fallback(n, size) : null;
    const given = n.attrs.axis;
    if (typeof given !== 'number' && !Array.isArray(given)) return null; // every axis
    const inRank = n.inputs[0].value.rank;
    const reduced = (typeof given === 'number' ? [given] : (given as readonly number[])).map((a) =>
      a < 0 ? a + inRank : a,
    );
    if (reduced.includes(first)) return null;
    return n.attrs.keepdims === true ? first : first - reduced.filter((a) => a < first).length;
  }
  return fallback(n, size);
}

/** An op we know nothing about: it grows when its leading dimension is the batch. */
function fallback(n: Node, size: number): BatchAxis {
  return n.value.rank >= 1 && n.value.shape[0] === size ? 0 : null;
}

function batchScaling(
  ancestors: readonly Node[],
  root: Node,
  leaves: { inputs: readonly Node[]; targets: readonly Node[] },
): BatchScaling | null {
  const onPath = new Set(ancestors.map((n) => n.id));
  const first = leaves.inputs.find((n) => n.value.rank >= 1);
  if (!first) return null;
  const size = first.value.shape[0];
  const sources = new Set(
    [...leaves.inputs, ...leaves.targets].filter(
      (n) => onPath.has(n.id) && n.value.rank >= 1 && n.value.shape[0] === size,
    ),
  );
  if (sources.size === 0 || size === 0) return null;
  const axes = batchAxes(ancestors, sources, size);
  const scaling = ancestors.filter((n) => axes.get(n.id) !== null).map((n) => n.id);
  const grows = new Set(scaling);
  const at = (batch: number): Totals =>
    tally(ancestors, root, (n) =>
      grows.has(n.id) ? Math.round((actualBytes(n) * batch) / size) : actualBytes(n),
    );
  const sizes = [...new Set([...batchSizes, size])].sort((a, b) => a - b);
  const points: BatchMemoryPoint[] = sizes.map((batch) => {
    const t = at(batch);
    return {
      batch,
      savedBytes: t.savedBytes,
      trainingBytes: t.trainingBytes,
      inferenceBytes: t.inference.peakBytes,
    };
  });
  // Both totals are sums of bytes that are constant or proportional to B: a line.
  const zero = at(0);
  const line = (key: 'savedBytes' | 'trainingBytes') => {
    const per = at(size)[key] - zero[key];
    return { fixedBytes: zero[key], perSampleBytes: per / size };
  };
  return {
    size,
    sources: [...sources].map((n) => n.id),
    scaling,
    training: line('trainingBytes'),
    saved: line('savedBytes'),
    points,
  };
}
