/**
 * The block's graph seen statement by statement: which nodes the user named, which unnamed
 * subexpressions each statement contains, and backward restricted to one statement.
 *
 * A *boundary* node is a leaf or a named node (a statement's value). Every other node is an
 * unnamed subexpression inside exactly one statement: the statement's *interior*. The chain rule
 * over named tensors treats a statement as one function of the boundary nodes it reads (its
 * *frontier*), so the factor ∂A/∂B is backward through A's interior only, stopping at B.
 */
import type { Graph, Node } from '../engine/graph';
import type { LatexContext } from '../engine/op';
import { getOp } from '../engine/ops/index';
import { Tensor } from '../engine/tensor';
import type { ModelBlock, Statement } from '../spec/model';
import { nameLatex, numberLatex, operandLatex } from './latex';

/** An operand edge inside a statement: operand `argument` of `via` is `to`. */
export interface Edge {
  readonly via: Node;
  readonly argument: number;
  readonly to: Node;
}

export interface BlockStructure {
  readonly graph: Graph;
  readonly statements: readonly Statement[];
  /** By node id: the statement index that defines or contains the node, or null. */
  readonly statementOf: readonly (number | null)[];
  /** By node id: the first statement whose value this node is. */
  readonly definedBy: readonly (Statement | null)[];
  readonly boundary: readonly boolean[];
  /** For each boundary op node: its unnamed subexpressions, highest id first. */
  readonly interior: ReadonlyMap<number, readonly Node[]>;
  /** For each boundary op node: every edge from it or its interior to a boundary node. */
  readonly frontierEdges: ReadonlyMap<number, readonly Edge[]>;
  /**
   * For each boundary op node: the distinct boundary nodes that take part in its gradient, in
   * reading order (left to right in the formula).
   */
  readonly frontier: ReadonlyMap<number, readonly Node[]>;
  /** By node id: the display LaTeX (`labelOf`). */
  readonly labels: readonly string[];
}

export function analyze(block: ModelBlock): BlockStructure {
  const graph = block.graph;
  const nodes = graph.nodes;
  const definedBy: (Statement | null)[] = nodes.map(() => null);
  const statementOf: (number | null)[] = nodes.map(() => null);
  block.statements.forEach((s, i) => {
    if (s.node.id < nodes.length && nodes[s.node.id] === s.node && definedBy[s.node.id] === null) {
      definedBy[s.node.id] = s;
      statementOf[s.node.id] = i;
    }
  });
  const boundary = nodes.map((n) => n.op === 'leaf' || n.name !== null || definedBy[n.id] !== null);

  const interior = new Map<number, Node[]>();
  const frontierEdges = new Map<number, Edge[]>();
  const frontier = new Map<number, Node[]>();
  for (const a of nodes) {
    if (!boundary[a.id] || a.op === 'leaf') continue;
    const inner: Node[] = [];
    const edges: Edge[] = [];
    const reading: Node[] = [];
    const seen = new Set<number>();
    // Depth-first over operands in argument order, so the frontier reads left to right.
    const visit = (n: Node): void => {
      n.inputs.forEach((input, argument) => {
        if (boundary[input.id]) {
          edges.push({ via: n, argument, to: input });
          if (!reading.includes(input)) reading.push(input);
        } else if (!seen.has(input.id)) {
          seen.add(input.id);
          inner.push(input);
          visit(input);
        }
      });
    };
    visit(a);
    inner.sort((x, y) => y.id - x.id);
    interior.set(a.id, inner);
    frontierEdges.set(a.id, edges);
    frontier.set(a.id, reading);
    const own = statementOf[a.id];
    for (const n of inner) if (statementOf[n.id] === null) statementOf[n.id] = own;
    for (const e of edges) {
      if (e.to.name === null && definedBy[e.to.id] === null && statementOf[e.to.id] === null) {
        statementOf[e.to.id] = own; // a literal written inside this statement
      }
    }
  }

  const labels: string[] = [];
  const structure: BlockStructure = {
    graph,
    statements: block.statements,
    statementOf,
    definedBy,
    boundary,
    interior,
    frontierEdges,
    frontier,
    labels,
  };
  for (const n of nodes) labels.push(computeLabel(structure, n));
  return structure;
}

function computeLabel(s: BlockStructure, n: Node): string {
  const name = n.name ?? s.definedBy[n.id]?.name ?? null;
  if (name !== null) return nameLatex(name);
  if (n.op === 'leaf') return literalLatex(n.value);
  return expressionLatex(s, n);
}

/** A literal written in an expression: its number, or a short row of numbers, else a placeholder. */
function literalLatex(t: Tensor): string {
  if (t.size === 1) return numberLatex(t.data[0]);
  if (t.rank === 1 && t.size <= 4)
    return `\\left[${Array.from(t.data, (x) => numberLatex(x)).join(',\\ ')}\\right]`;
  return `\\mathrm{const}_{${t.shape.join('\\times')}}`;
}

/** How operand `argument` of `n` is written inside n's formula: its label, parenthesized if needed. */
export function operandLatexOf(s: BlockStructure, n: Node, argument: number): string {
  const input = n.inputs[argument];
  const label = s.labels[input.id] ?? computeLabel(s, input);
  return s.boundary[input.id] ? label : operandLatex(input.op, label, n.op, argument);
}

/** The LaTeX context an op's builders need for node `n`, with `grad` as the upstream gradient. */
export function latexContext(s: BlockStructure, n: Node, grad: string): LatexContext {
  return {
    args: n.inputs.map((_, i) => operandLatexOf(s, n, i)),
    out: s.labels[n.id] ?? '',
    grad,
    shapes: n.inputs.map((i) => i.value.shape),
    outShape: n.value.shape,
    attrs: n.attrs,
  };
}

/** The right-hand side of n's forward formula (`X W_{1} + b_{1}`), from the op's own LaTeX. */
export function expressionLatex(s: BlockStructure, n: Node): string {
  const ctx = latexContext(s, n, '');
  try {
    return getOp(n.op).latex.formula(ctx);
  } catch {
    return `\\operatorname{${n.op.replace(/_/g, '\\_')}}(${ctx.args.join(', ')})`;
  }
}

/** An op's local-derivative or VJP LaTeX, never throwing (a fallback names the op instead). */
export function opLatex(
  s: BlockStructure,
  n: Node,
  which: 'local' | 'vjp',
  argument: number,
  grad: string,
): string {
  const ctx = latexContext(s, n, grad);
  try {
    return getOp(n.op).latex[which](argument, ctx);
  } catch {
    const fn = `\\operatorname{${n.op.replace(/_/g, '\\_')}}`;
    return which === 'local'
      ? `\\frac{\\partial ${fn}}{\\partial ${ctx.args[argument]}}`
      : `${grad}\\, \\frac{\\partial ${fn}}{\\partial ${ctx.args[argument]}}`;
  }
}

/** Which operands of op node `n` take a gradient (the engine's own rule). */
export function needsOf(n: Node): boolean[] {
  const frozen = getOp(n.op).nonDifferentiable ?? [];
  return n.inputs.map((input, i) => input.requiresGrad && !frozen.includes(i));
}

/**
 * Backward through statement `a` only: given ∂L/∂a = g, the contribution reaching each frontier
 * node (by id), not propagated any further. This is what one chain-rule factor's VJP computes.
 */
export function statementVjp(s: BlockStructure, a: Node, g: Tensor): Map<number, Tensor> {
  const grads = new Map<number, Tensor>([[a.id, g]]);
  const out = new Map<number, Tensor>();
  const order = [a, ...(s.interior.get(a.id) ?? [])];
  for (const n of order) {
    const gn = grads.get(n.id);
    if (!gn || !n.requiresGrad) continue;
    const needs = needsOf(n);
    const results = getOp(n.op).backward(
      gn,
      { inputs: n.inputs.map((i) => i.value), output: n.value, attrs: n.attrs },
      needs,
    );
    n.inputs.forEach((input, i) => {
      const r = needs[i] ? results[i] : null;
      if (!r) return;
      const target = s.boundary[input.id] ? out : grads;
      const prev = target.get(input.id);
      target.set(input.id, prev ? addTensors(prev, r) : r);
    });
  }
  return out;
}

export function addTensors(a: Tensor, b: Tensor): Tensor {
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] + b.data[i];
  return new Tensor(a.shape, out);
}

/**
 * The routes inside statement `a` from `a` down to frontier node `b`: each a list of edges, from
 * `a` first. At most `limit` routes (a statement rarely has more than two).
 */
export function routes(s: BlockStructure, a: Node, b: Node, limit = 16): Edge[][] {
  const reaches = new Map<number, boolean>();
  const reach = (n: Node): boolean => {
    if (n === b) return true;
    if (s.boundary[n.id] && n !== a) return false;
    const known = reaches.get(n.id);
    if (known !== undefined) return known;
    const r = n.inputs.some((i) => reach(i));
    reaches.set(n.id, r);
    return r;
  };
  const out: Edge[][] = [];
  const walk = (n: Node, trail: Edge[]): void => {
    n.inputs.forEach((input, argument) => {
      if (out.length >= limit || !reach(input)) return;
      const next = [...trail, { via: n, argument, to: input }];
      if (input === b) out.push(next);
      else walk(input, next);
    });
  };
  walk(a, []);
  return out;
}
