/**
 * The Memory view: what backward keeps from the forward pass, and what a forward-only run needs
 * at its peak. The rules are documented on `MemoryReport` (explanation.ts).
 */
import type { Graph, Node } from '../engine/graph';
import { getOp } from '../engine/ops/index';
import type { InferenceMemory, MemoryReport, OpMemory, SavedTensor } from './explanation';

const bytesPerElement = 8;

const bytesOf = (n: Node): number => n.value.size * bytesPerElement;

export function memoryReport(graph: Graph, root: Node, labels: readonly string[]): MemoryReport {
  const ancestors = graph.ancestors(root);
  const counted = new Set<number>();
  const ops: OpMemory[] = [];
  let savedBytes = 0;
  let savedActivationBytes = 0;
  for (const n of ancestors) {
    if (n.op === 'leaf' || !n.requiresGrad) continue;
    const saves = getOp(n.op).saves(n.attrs);
    const tensors: { node: Node; as: string }[] = [
      ...saves.inputs.map((i) => ({ node: n.inputs[i], as: `input ${i}` })),
      ...(saves.output ? [{ node: n, as: 'output' }] : []),
    ];
    const saved: SavedTensor[] = [];
    let bytes = 0;
    let newBytes = 0;
    for (const t of tensors) {
      if (saved.some((s) => s.node === t.node.id)) continue; // x * x keeps x once
      const b = bytesOf(t.node);
      const first = !counted.has(t.node.id);
      if (first) {
        counted.add(t.node.id);
        newBytes += b;
        if (t.node.op !== 'leaf') savedActivationBytes += b;
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
    savedBytes += newBytes;
    ops.push({ node: n.id, op: n.op, label: labels[n.id], saved, bytes, newBytes });
  }
  const inference = inferencePeak(ancestors, root);
  const rootExtra = counted.has(root.id) ? 0 : bytesOf(root);
  return {
    bytesPerElement,
    ops,
    savedBytes,
    savedActivationBytes,
    leafBytes: inference.leafBytes,
    trainingBytes: inference.leafBytes + savedActivationBytes + rootExtra,
    inference,
  };
}

/** Simulates a forward-only run: leaves resident, op outputs freed after their last consumer. */
function inferencePeak(ancestors: readonly Node[], root: Node): InferenceMemory {
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
