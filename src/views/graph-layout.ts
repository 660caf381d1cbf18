/**
 * The Graph tab's picture, as data: which boxes and arrows the computation graph of an
 * Explanation has, what each box says, and where dagre puts them, left to right. The webview
 * turns this into SVG (webview/notes-views.ts); tests read it in plain Node.
 *
 * Two levels of detail:
 * - `tensors` (the default): one box per tensor the user named (a statement, or a leaf) — the
 *   unnamed ops inside a statement (`X @ W1` inside `Z1 = X @ W1 + b1`) and its literals are
 *   folded into the statement's box, whose op line lists them in order (`matmul → add`). This is
 *   the graph the chain rule walks.
 * - `ops`: one box per graph node, unnamed subexpressions and literals included.
 *
 * No DOM, no vscode, no engine: only the Explanation's plain data and the layout library.
 */
import dagre from '@dagrejs/dagre';
import type { ExplainedNode, Explanation, TensorStats } from '../explain/explanation';
import { compactNumber, shapeText } from '../render/format';

export type GraphDetail = 'tensors' | 'ops';

export interface GraphBox {
  /** The graph node this box stands for (the statement's named node at `tensors` detail). */
  readonly node: number;
  /** Every graph node folded into this box, the named one last. */
  readonly members: readonly number[];
  /** The user's name, or the op (`matmul`) for an unnamed node. */
  readonly title: string;
  /** The user's name, or null. */
  readonly name: string | null;
  readonly role: ExplainedNode['role'];
  /** `param` / `input` … for a leaf; the ops, in order, for a computed tensor. */
  readonly op: string;
  readonly shape: string;
  /** `= 0.6931` for one number, the numbers themselves for up to three, else the range. */
  readonly value: string;
  /** Range, mean and norm of the value (for a tooltip). */
  readonly valueDetail: string;
  /** The same for the gradient. */
  readonly gradientDetail: string;
  /** The same for the gradient, `none` where backward computes none. */
  readonly gradient: string;
  readonly isRoot: boolean;
  /** 0-based line and column of the statement, to reveal in the editor; null for strays. */
  readonly reveal: { readonly line: number; readonly column: number } | null;
  /** Top-left corner and size, in pixels. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface GraphArrow {
  readonly from: number;
  readonly to: number;
  /** The polyline dagre routed, from the source box's edge to the target box's. */
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface GraphLayout {
  readonly detail: GraphDetail;
  readonly width: number;
  readonly height: number;
  readonly boxes: readonly GraphBox[];
  readonly arrows: readonly GraphArrow[];
}

/** Box metrics; the webview's stylesheet uses the same font size. */
export const graphMetrics = {
  lineHeight: 15,
  padding: 8,
  /** Average advance of a character of the 11px monospace font the lines use. */
  charWidth: 6.7,
  minWidth: 96,
  maxWidth: 210,
  lines: 4,
} as const;

/** A tensor's values in a few characters, from its whole-tensor summary. */
export function summary(stats: TensorStats | null, value: unknown, digits = 2): string {
  if (stats === null) return 'none';
  const n = (x: number) => compactNumber(x, digits);
  if (stats.count === 0) return 'empty';
  if (stats.count === 1) return `= ${compactNumber(stats.mean, 4)}`;
  const flat = flatten(value);
  if (stats.count <= 3 && flat.length === stats.count) return `[${flat.map(n).join(', ')}]`;
  if (stats.min === stats.max) return `all ${n(stats.min)}`;
  return `${n(stats.min)} … ${n(stats.max)}`;
}

/** The whole summary, for a tooltip: range, mean and norm. */
export function fullSummary(stats: TensorStats | null): string {
  if (stats === null) return 'none';
  const n = (x: number) => compactNumber(x, 4);
  if (stats.count === 1) return n(stats.mean);
  return `min ${n(stats.min)}, max ${n(stats.max)}, mean ${n(stats.mean)}, norm ${n(stats.norm)} (${stats.count} values)`;
}

function flatten(x: unknown): number[] {
  if (Array.isArray(x)) return x.flatMap(flatten);
  return [typeof x === 'number' ? x : NaN];
}

/** Which box each node belongs to at the given detail (a node id → the box's node id). */
export function boxOwners(e: Explanation, detail: GraphDetail): number[] {
  if (detail === 'ops') return e.nodes.map((n) => n.id);
  // The named node of each statement owns the statement's unnamed nodes.
  const named = new Map<number, number>();
  for (const n of e.nodes) {
    if (n.name !== null && n.statement !== null && n.nameRange !== null)
      named.set(n.statement, n.id);
  }
  return e.nodes.map((n) => {
    if (n.name !== null || n.statement === null) return n.id;
    return named.get(n.statement) ?? n.id;
  });
}

/** Lays the graph out left to right. */
export function layoutGraph(e: Explanation, detail: GraphDetail = 'tensors'): GraphLayout {
  const owner = boxOwners(e, detail);
  const members = new Map<number, number[]>();
  for (const n of e.nodes) {
    const list = members.get(owner[n.id]) ?? [];
    list.push(n.id);
    members.set(owner[n.id], list);
  }
  const rootId = e.root?.node ?? null;
  const boxes = [...members.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([id, ids]) => describe(e, id, ids, rootId));

  const g = new dagre.graphlib.Graph<object, { width: number; height: number }>({
    multigraph: false,
  });
  g.setGraph({ rankdir: 'LR', nodesep: 12, ranksep: 26, edgesep: 6, marginx: 4, marginy: 4 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const b of boxes) g.setNode(String(b.node), { width: b.width, height: b.height });
  const arrows: { from: number; to: number }[] = [];
  const seen = new Set<string>();
  for (const n of e.nodes) {
    for (const input of n.inputs) {
      const from = owner[input];
      const to = owner[n.id];
      const key = `${from}>${to}`;
      if (from === to || seen.has(key)) continue;
      seen.add(key);
      arrows.push({ from, to });
      g.setEdge(String(from), String(to));
    }
  }
  dagre.layout(g);
  const graph = g.graph() as { width?: number; height?: number };
  return {
    detail,
    width: Math.ceil(graph.width ?? 0),
    height: Math.ceil(graph.height ?? 0),
    boxes: boxes.map((b) => {
      const placed = g.node(String(b.node)) as unknown as { x: number; y: number };
      // dagre gives the centre.
      return { ...b, x: placed.x - b.width / 2, y: placed.y - b.height / 2 };
    }),
    arrows: arrows.map((a) => {
      const edge = g.edge(String(a.from), String(a.to)) as { points?: { x: number; y: number }[] };
      return { ...a, points: (edge.points ?? []).map((p) => ({ x: p.x, y: p.y })) };
    }),
  };
}

function describe(
  e: Explanation,
  id: number,
  ids: readonly number[],
  rootId: number | null,
): Omit<GraphBox, 'x' | 'y'> {
  const n = e.nodes[id];
  const ops = ids.map((m) => e.nodes[m].op).filter((op) => op !== 'leaf');
  const op =
    n.op === 'leaf'
      ? n.role === 'literal'
        ? 'literal'
        : n.role === 'leaf'
          ? 'leaf'
          : n.role
      : ops.join(' → ');
  const title = n.name ?? (n.op === 'leaf' ? summary(n.valueStats, n.value) : n.op);
  const lines = [
    title,
    `${op} · ${shapeText(n.shape)}`,
    summary(n.valueStats, n.value),
    `∇ ${summary(n.gradStats, n.grad)}`,
  ];
  const m = graphMetrics;
  const longest = Math.max(...lines.map((l) => [...l].length));
  const width = Math.round(
    Math.min(m.maxWidth, Math.max(m.minWidth, longest * m.charWidth + 2 * m.padding)),
  );
  return {
    node: id,
    members: [...ids.filter((m) => m !== id), id],
    title,
    name: n.name,
    role: n.role,
    op,
    shape: shapeText(n.shape),
    value: summary(n.valueStats, n.value),
    gradient: summary(n.gradStats, n.grad),
    valueDetail: fullSummary(n.valueStats),
    gradientDetail: fullSummary(n.gradStats),
    isRoot: id === rootId,
    reveal: n.range ? { line: n.range.start.line, column: n.range.start.column } : null,
    width,
    height: m.lines * m.lineHeight + 2 * m.padding,
  };
}
