/**
 * The Linearity view: affine layers x @ W (+ b) stacked with nothing between them are one affine
 * layer, W = W1 W2 … and b = (b1 W2 + b2) W3 + …, computed here from the user's own weights and
 * checked against the real output. Where an op sits between two layers, it is named as what
 * keeps them apart.
 */
import { plain } from './nested';
import type { Graph, Node } from '../engine/graph';
import { getOp } from '../engine/ops/index';
import type { Tensor } from '../engine/tensor';
import type { AffineLayer, CollapsedRun, LinearityBlocker, LinearityReport } from './explanation';
import { wrapSum } from './latex';

/** Ops that are not linear: when one of these separates two layers, it is why they stay two. */
const nonlinear = new Set([
  'relu',
  'leaky_relu',
  'sigmoid',
  'tanh',
  'softplus',
  'gelu',
  'softmax',
  'log_softmax',
  'exp',
  'log',
  'sqrt',
  'abs',
  'pow',
]);

export function linearityReport(graph: Graph, labels: readonly string[]): LinearityReport {
  const nodes = graph.nodes;
  const consumers = new Map<number, Node[]>();
  for (const n of nodes) {
    for (const input of new Set(n.inputs)) {
      const list = consumers.get(input.id) ?? [];
      list.push(n);
      consumers.set(input.id, list);
    }
  }
  const dependsOn = (n: Node, x: Node): boolean => n.id > x.id && graph.ancestors(n).includes(x);

  const layers: AffineLayer[] = [];
  for (const m of nodes) {
    if (m.op !== 'matmul') continue;
    const [x, w] = m.inputs;
    if (w.value.rank !== 2 || x.value.rank < 1 || dependsOn(w, x)) continue;
    let add: Node | null = null;
    let bias: Node | null = null;
    for (const c of consumers.get(m.id) ?? []) {
      if (c.op !== 'add') continue;
      const b = c.inputs[0] === m ? c.inputs[1] : c.inputs[0];
      const n = w.value.shape[1];
      const fits = b.value.shape.every((d, i, s) =>
        i === s.length - 1 ? d === n || d === 1 : d === 1,
      );
      if (fits && b.value.rank <= 2 && !dependsOn(b, x) && b !== m) {
        add = c;
        bias = b;
        break;
      }
    }
    layers.push({
      matmul: m.id,
      add: add ? add.id : null,
      input: x.id,
      weight: w.id,
      bias: bias ? bias.id : null,
      output: add ? add.id : m.id,
    });
  }

  const byOutput = new Map<number, number>();
  layers.forEach((l, i) => byOutput.set(l.output, i));
  const successors = layers.map((l) =>
    layers.map((_, j) => j).filter((j) => layers[j].input === l.output),
  );

  // Every maximal chain of directly stacked layers, from a layer no layer feeds.
  const runs: CollapsedRun[] = [];
  const chains: number[][] = [];
  const extend = (chain: number[]): void => {
    const next = successors[chain[chain.length - 1]];
    if (next.length === 0) {
      if (chain.length >= 2) chains.push(chain);
      return;
    }
    for (const j of next) extend([...chain, j]);
  };
  layers.forEach((l, i) => {
    if (!byOutput.has(l.input)) extend([i]);
  });
  for (const chain of chains) runs.push(collapse(graph, labels, layers, chain));

  const blocked: LinearityBlocker[] = [];
  layers.forEach((after, j) => {
    const between: Node[] = [];
    let cur: Node = nodes[after.input];
    while (cur.op !== 'leaf' && !byOutput.has(cur.id) && between.length < 4) {
      between.unshift(cur);
      const carriers = cur.inputs.filter((i) => i.op !== 'leaf');
      if (carriers.length !== 1) return;
      cur = carriers[0];
    }
    const before = byOutput.get(cur.id);
    if (before === undefined || between.length === 0) return;
    blocked.push({
      before,
      after: j,
      ops: between.map((n) => ({ node: n.id, op: n.op, label: labels[n.id] })),
      message: blockerMessage(nodes, between, layers[before], after),
    });
  });
  return { layers, runs, blocked };
}

function plainName(nodes: readonly Node[], id: number): string {
  return nodes[id].name ?? `#${id}`;
}

/** A layer in words: its output's name, or how it is computed (`X @ W1 + b1`). */
function layerName(nodes: readonly Node[], layer: AffineLayer): string {
  if (nodes[layer.output].name) return nodes[layer.output].name as string;
  const x = nodes[layer.input].name ?? '(…)';
  const b = layer.bias !== null ? ` + ${plainName(nodes, layer.bias)}` : '';
  return `${x} @ ${plainName(nodes, layer.weight)}${b}`;
}

function blockerMessage(
  nodes: readonly Node[],
  between: readonly Node[],
  before: AffineLayer,
  after: AffineLayer,
): string {
  const what = between.map((n) => (n.name ? `${n.op} (${n.name})` : n.op)).join(' then ');
  const blocker = between.find((n) => nonlinear.has(n.op));
  const why = blocker
    ? `${blocker.op} is not linear, so the two layers do not collapse into one`
    : 'only layers stacked directly are collapsed';
  return (
    `${what} sits between layer ${layerName(nodes, before)} and layer ` +
    `${layerName(nodes, after)}: ${why}.`
  );
}

function collapse(
  graph: Graph,
  labels: readonly string[],
  layers: readonly AffineLayer[],
  chain: readonly number[],
): CollapsedRun {
  const nodes = graph.nodes;
  const matmul = getOp('matmul');
  const add = getOp('add');
  const mm = (a: Tensor, b: Tensor): Tensor => matmul.forward([a, b], {});
  const plus = (a: Tensor, b: Tensor): Tensor => add.forward([a, b], {});
  const first = layers[chain[0]];
  let w = nodes[first.weight].value;
  let b: Tensor | null = first.bias !== null ? nodes[first.bias].value : null;
  const wNames = [labels[first.weight]];
  let bLatex: string | null = first.bias !== null ? labels[first.bias] : null;
  for (const j of chain.slice(1)) {
    const l = layers[j];
    const wj = nodes[l.weight].value;
    const bj = l.bias !== null ? nodes[l.bias].value : null;
    w = mm(w, wj);
    b = b ? mm(b, wj) : null;
    if (bj) b = b ? plus(b, bj) : bj;
    wNames.push(labels[l.weight]);
    const carried = bLatex !== null ? `${wrapSum(bLatex)} ${labels[l.weight]}` : null;
    const own = l.bias !== null ? labels[l.bias] : null;
    bLatex = carried && own ? `${carried} + ${own}` : (carried ?? own);
  }
  const x = nodes[first.input].value;
  let out = mm(x, w);
  if (b) out = plus(out, b);
  const real = nodes[layers[chain[chain.length - 1]].output].value;
  let diff = Number.POSITIVE_INFINITY;
  let scale = 1;
  if (out.size === real.size && out.rank === real.rank) {
    diff = 0;
    for (let i = 0; i < out.size; i++) {
      diff = Math.max(diff, Math.abs(out.data[i] - real.data[i]));
      scale = Math.max(scale, Math.abs(real.data[i]));
    }
  }
  return {
    layers: [...chain],
    weightLatex: `W = ${wNames.join(' ')}`,
    weightShape: [...w.shape],
    weight: plain(w),
    biasLatex: b && bLatex ? `b = ${bLatex}` : null,
    biasShape: b ? [...b.shape] : null,
    bias: b ? plain(b) : null,
    output: plain(out),
    maxAbsDifference: diff,
    equal: diff <= 1e-9 * scale,
  };
}
