/**
 * Builds the Explanation of one evaluated model block: runs backward (and, if asked, the
 * gradient check), then reads the graph into plain data. See explanation.ts for what each field
 * means; this file is how they are computed.
 *
 * Side effect: the block's graph is left with the gradients of `graph.backward(root)` (seeded
 * as `RootInfo.seed` says), so hovers reading `node.grad` afterwards see the same numbers.
 */
import { plain, stats } from './nested';
import { type GradientCheckOptions, gradientCheck } from '../engine/gradcheck';
import type { Node } from '../engine/graph';
import { jacobian } from '../engine/jacobian';
import { type Nested, Tensor } from '../engine/tensor';
import type { ModelBlock } from '../spec/model';
import type {
  BackpropStep,
  ChainFactor,
  ChainPath,
  ExplainedError,
  ExplainedNode,
  Explanation,
  GradientExplanation,
  LocalDerivative,
  NodeRole,
  NotationEntry,
  RootInfo,
  SoftmaxCrossEntropyExplanation,
  StepTerm,
} from './explanation';
import { adjointLatex, partial, wrapFactor } from './latex';
import { linearityReport } from './linearity';
import { batchLeaves, memoryReport } from './memory';
import { type NumericsReport, numericsReport } from './numerics';
import { softmaxCrossEntropy } from './softmax-ce';
import {
  type BlockStructure,
  addTensors,
  analyze,
  expressionLatex,
  needsOf,
  opLatex,
  routes,
  statementVjp,
} from './structure';

export interface ExplainOptions {
  /**
   * The tensor to explain first (`focus`): a name with a gradient — a leaf, or a computed tensor.
   * An unknown name, or one without a gradient, throws an ExplainError naming the ones that have.
   */
  readonly wrt?: string | null;
  /**
   * Run the numerical gradient check (default true). `true` checks at most
   * `explainCheckSample` elements per tensor (a seeded sample beyond: an overview that stays
   * fast); pass the check's own options (even `{}`) for its defaults, as `check` does.
   */
  readonly gradientCheck?: boolean | GradientCheckOptions;
  /** Jacobians with more entries than this are described by shape only (default 256). */
  readonly maxJacobianEntries?: number;
  /** Chain-rule paths listed per tensor at most (default 32); the count is always exact. */
  readonly maxPaths?: number;
  /**
   * `full` (the default): everything. `values`: only what the editor shows while typing — the
   * errors, the root, every node (value, gradient, shape, formula …), the focus, the
   * softmax → cross-entropy pairs and the notices — with `gradients`, `steps` and `notation`
   * empty, `memory` and `gradientCheck` null and `linearity` empty (no chain rule, Jacobians,
   * memory or linearity analysis and no gradient check, whatever `gradientCheck` says). Every
   * field it fills is the same as in `full`.
   */
  readonly detail?: 'full' | 'values';
}

/** A request the block cannot answer (an unknown `wrt`); the message says what to use instead. */
export class ExplainError extends Error {
  override name = 'ExplainError';
}

export const defaultMaxJacobianEntries = 256;
export const defaultMaxPaths = 32;
/** Elements per tensor the gradient check of `gradientCheck: true` looks at. */
export const explainCheckSample = 256;

/** Ops whose input is a pre-activation: the gradient there is written δ. */
const activationOps = new Set([
  'relu',
  'leaky_relu',
  'sigmoid',
  'tanh',
  'softplus',
  'gelu',
  'softmax',
  'log_softmax',
  'softmax_cross_entropy',
]);

export function explainBlock(block: ModelBlock, options: ExplainOptions = {}): Explanation {
  const maxJacobianEntries = options.maxJacobianEntries ?? defaultMaxJacobianEntries;
  const maxPaths = Math.max(1, options.maxPaths ?? defaultMaxPaths);
  const s = analyze(block);
  const graph = block.graph;
  const nodes = graph.nodes;
  const labels = s.labels;
  const notices: string[] = [];
  const rootNode = block.root ? block.root.node : null;

  if (rootNode) graph.backward(rootNode);
  // Read now: the Jacobians below run backward again.
  const numerics = numericsReport(block);
  // Snapshots: Jacobians below run backward again and would overwrite these.
  const grads: (Tensor | null)[] = nodes.map((n) => n.grad);
  const edgeGrads: (Tensor | null)[][] = nodes.map((n) => [...n.inputGrads]);
  const onRoot = new Set(rootNode ? graph.ancestors(rootNode).map((n) => n.id) : []);
  const gradLeaves = nodes.filter(
    (n) => n.op === 'leaf' && n.requiresGrad && onRoot.has(n.id) && grads[n.id] !== null,
  );

  let root: RootInfo | null = null;
  if (rootNode && block.root) {
    const scalar = rootNode.value.size === 1;
    root = {
      node: rootNode.id,
      name: block.root.name,
      label: labels[rootNode.id],
      role: block.root.role,
      shape: [...rootNode.value.shape],
      value: plain(rootNode.value),
      seed: scalar ? 'scalar' : 'ones',
    };
    if (!scalar) {
      notices.push(
        `${block.root.name} is not a scalar (${rootNode.value.shape.join('×')}), so backward starts ` +
          `from ones of its shape: every gradient shown is that of the sum of its elements. ` +
          `Make it a loss (a scalar) to differentiate that instead.`,
      );
    }
  }

  const full = options.detail !== 'values';
  const check =
    full && rootNode && options.gradientCheck !== false && gradLeaves.length > 0
      ? gradientCheck(
          graph,
          rootNode,
          gradLeaves,
          typeof options.gradientCheck === 'object'
            ? options.gradientCheck
            : { maxElementsPerTensor: explainCheckSample },
        )
      : null;

  const explainedNodes = nodes.map((n) => explainNode(s, n, grads[n.id]));
  const rootLabel = rootNode ? labels[rootNode.id] : 'L';

  const focus = resolveFocus(block, s, grads, gradLeaves, options.wrt ?? null, rootNode);
  const sce = rootNode ? softmaxCrossEntropy(s, grads, edgeGrads, rootLabel) : [];
  // What the editor shows while typing ends here (`detail: 'values'`).
  if (!full) {
    return explanationOf(block, root, explainedNodes, focus, sce, notices, numerics);
  }

  // The chain-rule graph over named tensors: which operands of a statement receive a gradient.
  const carries = (a: Node): Node[] => {
    if (a.op === 'leaf' || grads[a.id] === null) return [];
    const edges = s.frontierEdges.get(a.id) ?? [];
    return (s.frontier.get(a.id) ?? []).filter((b) =>
      edges.some((e) => e.to === b && edgeGrads[e.via.id][e.argument] != null),
    );
  };
  const children = nodes.map((n) => (s.boundary[n.id] && onRoot.has(n.id) ? carries(n) : []));

  // --- symbols: δ for pre-activations, bars for other computed tensors, ∂L/∂· for leaves
  const symbols = gradientSymbols(s, grads, rootNode);
  const notation: NotationEntry[] = [];
  for (const n of nodes) {
    const symbol = symbols.get(n.id);
    if (symbol && symbol !== '1' && n.op !== 'leaf') {
      const seed = n === rootNode ? (n.value.size === 1 ? ' = 1' : ' = \\mathbf{1}') : '';
      notation.push({ symbol, meaning: partial(rootLabel, labels[n.id]) + seed, node: n.id });
    }
  }

  // --- backprop steps, in the order backprop completes each gradient
  const steps: BackpropStep[] = [];
  const stepOf = new Map<number, number>();
  if (rootNode && grads[rootNode.id]) {
    const scalar = rootNode.value.size === 1;
    const derivative = partial(rootLabel, rootLabel);
    const rule = scalar ? '1' : '\\mathbf{1}';
    stepOf.set(rootNode.id, 0);
    steps.push({
      index: 0,
      node: rootNode.id,
      kind: 'seed',
      symbol: scalar ? derivative : (symbols.get(rootNode.id) ?? derivative),
      derivative,
      rule,
      latex: scalar ? `${derivative} = 1` : `${symbols.get(rootNode.id)} = ${derivative} = ${rule}`,
      terms: [],
      simplified: null,
      shape: [...rootNode.value.shape],
      value: plain(grads[rootNode.id] as Tensor),
    });
    const remaining = new Map<number, number>();
    const pending = new Map<number, StepTerm[]>();
    for (const n of nodes)
      for (const b of children[n.id]) remaining.set(b.id, (remaining.get(b.id) ?? 0) + 1);
    for (let id = rootNode.id; id >= 0; id--) {
      const a = nodes[id];
      if (children[id].length === 0) continue;
      const terms = statementTerms(s, a, symbols, edgeGrads);
      const completed: Node[] = [];
      for (const b of children[id]) {
        const t = terms.get(b.id);
        if (t) pending.set(b.id, [...(pending.get(b.id) ?? []), { from: a.id, ...t }]);
        const left = (remaining.get(b.id) ?? 1) - 1;
        remaining.set(b.id, left);
        if (left === 0) completed.push(b);
      }
      completed.sort((x, y) =>
        x.op === 'leaf' && y.op === 'leaf'
          ? x.id - y.id
          : x.op === 'leaf'
            ? -1
            : y.op === 'leaf'
              ? 1
              : y.id - x.id,
      );
      for (const b of completed) {
        const termList = pending.get(b.id) ?? [];
        const derivative = partial(rootLabel, labels[b.id]);
        const symbol = symbols.get(b.id) ?? derivative;
        const rule = termList.map((t) => t.rule).join(' + ') || '0';
        const simplifiedBy = sce.find((x) => x.logits === b.id && x.upstream === 1 && x.agrees);
        const simplified =
          simplifiedBy && termList.length === 1 && sceIsSoleRoute(s, simplifiedBy, edgeGrads)
            ? sceSimplified(simplifiedBy, labels)
            : null;
        const index = steps.length;
        stepOf.set(b.id, index);
        const head = b.op === 'leaf' ? derivative : `${symbol} = ${derivative}`;
        steps.push({
          index,
          node: b.id,
          kind: termList.length > 1 ? 'sum' : 'chain',
          symbol,
          derivative,
          rule,
          latex: `${head} = ${rule}${simplified ? ` = ${simplified}` : ''}`,
          terms: termList,
          simplified,
          shape: [...b.value.shape],
          value: plain(grads[b.id] ?? new Tensor(b.value.shape)),
        });
      }
    }
  }

  // --- chain rule per tensor
  const targets = [...gradLeaves];
  if (focus !== null && !targets.includes(nodes[focus])) targets.push(nodes[focus]);
  const factorCache = new Map<string, ChainFactor>();
  const factor = (a: Node, b: Node): ChainFactor => {
    const key = `${a.id}:${b.id}`;
    let f = factorCache.get(key);
    if (!f) {
      f = makeFactor(s, a, b, maxJacobianEntries);
      factorCache.set(key, f);
    }
    return f;
  };
  const gradients: GradientExplanation[] = [];
  if (rootNode) {
    const seed = grads[rootNode.id] ?? Tensor.filled(rootNode.value.shape, 1);
    const fromRoot = new Set<number>([rootNode.id]);
    for (let id = rootNode.id; id >= 0; id--) {
      if (fromRoot.has(id)) for (const b of children[id]) fromRoot.add(b.id);
    }
    for (const t of targets) {
      gradients.push(
        chainFor(t, rootNode, seed, {
          s,
          children,
          grads,
          factor,
          maxPaths,
          rootLabel,
          fromRoot,
          stepOf,
          notices,
        }),
      );
    }
    if (rootNode.value.size > 1) {
      // Explicit Jacobians of a non-scalar root; `jacobian` runs backward per row, so restore after.
      gradients.forEach((g, i) => {
        const j = jacobian(graph, rootNode, nodes[g.node], maxJacobianEntries);
        gradients[i] = { ...g, jacobian: j ? plain(j) : null };
      });
      graph.backward(rootNode);
    }
  }

  return {
    ...explanationOf(block, root, explainedNodes, focus, sce, notices, numerics),
    gradients,
    steps,
    notation,
    memory: rootNode ? memoryReport(graph, rootNode, labels, batchLeaves(block)) : null,
    linearity: linearityReport(graph, labels),
    gradientCheck: check,
  };
}

/** The fields both details fill the same way; the chain rule and the analyses left empty. */
function explanationOf(
  block: ModelBlock,
  root: RootInfo | null,
  nodes: ExplainedNode[],
  focus: number | null,
  sce: SoftmaxCrossEntropyExplanation[],
  notices: string[],
  numerics: NumericsReport,
): Explanation {
  return {
    version: 1,
    index: block.index,
    range: block.range,
    line: block.range.start.line + 1,
    errors: block.errors.map(explainError),
    root,
    nodes,
    gradients: [],
    focus,
    steps: [],
    notation: [],
    softmaxCrossEntropy: sce,
    memory: null,
    linearity: { layers: [], runs: [], blocked: [] },
    gradientCheck: null,
    notices,
    numerics,
  };
}

export function explainError(e: ModelBlock['errors'][number]): ExplainedError {
  return {
    ...e,
    line: e.range.start.line + 1,
    column: e.range.start.column + 1,
    endLine: e.range.end.line + 1,
    endColumn: e.range.end.column + 1,
  };
}

function explainNode(s: BlockStructure, n: Node, grad: Tensor | null): ExplainedNode {
  const stmt = s.definedBy[n.id];
  const statementIndex = s.statementOf[n.id];
  const containing = statementIndex === null ? null : s.statements[statementIndex];
  const role: NodeRole = stmt
    ? (stmt.role ?? (n.op === 'leaf' ? 'leaf' : 'computed'))
    : n.op === 'leaf'
      ? n.name !== null
        ? 'leaf'
        : 'literal'
      : n.name !== null
        ? 'computed'
        : 'subexpression';
  const label = s.labels[n.id];
  let formula: string | null = null;
  if (n.op !== 'leaf') formula = s.boundary[n.id] ? `${label} = ${expressionLatex(s, n)}` : label;
  return {
    id: n.id,
    name: n.name ?? stmt?.name ?? null,
    label,
    op: n.op,
    inputs: n.inputs.map((i) => i.id),
    // Absent attrs (undefined) are dropped, as JSON would.
    attrs: Object.fromEntries(Object.entries(n.attrs).filter(([, v]) => v !== undefined)),
    role,
    requiresGrad: n.requiresGrad,
    shape: [...n.value.shape],
    value: plain(n.value),
    grad: grad ? plain(grad) : null,
    formula,
    statement: statementIndex,
    range: containing ? containing.range : null,
    nameRange: stmt ? stmt.nameRange : null,
    line: containing ? containing.range.start.line + 1 : null,
    source: stmt ? stmt.source : null,
    comment: stmt ? stmt.comment : null,
    valueStats: stats(n.value),
    gradStats: grad ? stats(grad) : null,
  };
}

/** The `wrt` tensor, checked, or the default focus (the first param, else the first leaf). */
function resolveFocus(
  block: ModelBlock,
  s: BlockStructure,
  grads: readonly (Tensor | null)[],
  gradLeaves: readonly Node[],
  wrt: string | null,
  rootNode: Node | null,
): number | null {
  if (wrt === null || wrt === '') {
    const param = gradLeaves.find((n) => s.definedBy[n.id]?.role === 'param');
    return (param ?? gradLeaves[0])?.id ?? null;
  }
  const withGrad = gradLeaves.map((n) => n.name ?? s.definedBy[n.id]?.name ?? `#${n.id}`);
  const choices =
    withGrad.length > 0
      ? `tensors with a gradient here: ${withGrad.join(', ')}`
      : 'no tensor gets a gradient in this block';
  const where = `block ${block.index + 1}`;
  const defining = [...block.statements].reverse().find((st) => st.name === wrt);
  if (!defining) {
    throw new ExplainError(`--wrt ${wrt}: no tensor named ${wrt} in ${where}; ${choices}.`);
  }
  const node = defining.node;
  if (grads[node.id] === null) {
    let why: string;
    if (defining.role === 'const' || defining.role === 'target') {
      why = `${wrt} is a ${defining.role}, so backprop computes no gradient for it`;
    } else if (!rootNode) {
      why = `nothing in ${where} evaluated far enough to run backward`;
    } else if (node === rootNode) {
      why = `${wrt} is where backward starts`;
    } else {
      why = `${block.root?.name ?? 'the output'} does not depend on ${wrt}`;
    }
    throw new ExplainError(`--wrt ${wrt}: ${why}; ${choices}.`);
  }
  return node.id;
}

/**
 * The symbol of ∂L/∂n for every computed named tensor with a gradient: `\delta_{k}` for
 * pre-activations, `\bar{T}` otherwise. Leaves get none (their steps write ∂L/∂W out).
 */
function gradientSymbols(
  s: BlockStructure,
  grads: readonly (Tensor | null)[],
  rootNode: Node | null,
): Map<number, string> {
  const nodes = s.graph.nodes;
  const symbols = new Map<number, string>();
  const pre = new Set<number>();
  for (const n of nodes) {
    if (activationOps.has(n.op) && n.inputs.length > 0) pre.add(n.inputs[0].id);
  }
  const candidates = nodes.filter(
    (n) => s.boundary[n.id] && n.op !== 'leaf' && grads[n.id] !== null && n !== rootNode,
  );
  const digits = (n: Node): string | null => {
    const name = n.name ?? s.definedBy[n.id]?.name ?? '';
    const m = /^[A-Za-z]+(\d+)$/.exec(name);
    return m ? m[1] : null;
  };
  const preNodes = candidates.filter((n) => pre.has(n.id));
  const counts = new Map<string, number>();
  for (const n of preNodes) {
    const d = digits(n);
    if (d !== null) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  for (const n of candidates) {
    if (pre.has(n.id)) {
      const d = digits(n);
      symbols.set(
        n.id,
        d !== null && counts.get(d) === 1 ? `\\delta_{${d}}` : `\\delta_{${s.labels[n.id]}}`,
      );
    } else {
      symbols.set(n.id, adjointLatex(s.labels[n.id]));
    }
  }
  // A scalar root's gradient is the seed 1, which the ops' rules drop (`-\frac{1}{N} Y \oslash P`,
  // not `\bar{L}\, …`); a non-scalar root keeps its symbol for the ones it is seeded with.
  if (rootNode) {
    symbols.set(rootNode.id, rootNode.value.size === 1 ? '1' : adjointLatex(s.labels[rootNode.id]));
  }
  return symbols;
}

/**
 * For statement `a`: the rule (composed from the ops' VJP LaTeX through the statement's
 * unnamed subexpressions) and the value (the engine's own edge gradients) it sends to each
 * operand it reads.
 */
function statementTerms(
  s: BlockStructure,
  a: Node,
  symbols: ReadonlyMap<number, string>,
  edgeGrads: readonly (readonly (Tensor | null)[])[],
): Map<number, { rule: string; value: Nested }> {
  const gradLatex = new Map<number, string>([
    [a.id, symbols.get(a.id) ?? adjointLatex(s.labels[a.id])],
  ]);
  const rules = new Map<number, string[]>();
  const values = new Map<number, Tensor>();
  for (const n of [a, ...(s.interior.get(a.id) ?? [])]) {
    const g = gradLatex.get(n.id);
    if (g === undefined || !n.requiresGrad) continue;
    const needs = needsOf(n);
    n.inputs.forEach((input, i) => {
      if (!needs[i]) return;
      const rule = opLatex(s, n, 'vjp', i, n === a ? g : wrapFactor(g));
      if (s.boundary[input.id]) {
        rules.set(input.id, [...(rules.get(input.id) ?? []), rule]);
        const v = edgeGrads[n.id][i];
        if (v) {
          const prev = values.get(input.id);
          values.set(input.id, prev ? addTensors(prev, v) : v);
        }
      } else {
        const prev = gradLatex.get(input.id);
        gradLatex.set(input.id, prev === undefined ? rule : `${prev} + ${rule}`);
      }
    });
  }
  const out = new Map<number, { rule: string; value: Nested }>();
  for (const [id, list] of rules) {
    const value = values.get(id) ?? new Tensor(s.graph.nodes[id].value.shape);
    out.set(id, { rule: list.join(' + '), value: plain(value) });
  }
  return out;
}

function makeFactor(s: BlockStructure, a: Node, b: Node, maxEntries: number): ChainFactor {
  const labels = s.labels;
  const found = routes(s, a, b);
  const locals: LocalDerivative[] = [];
  const routeLatex = found.map((route) => {
    const parts: string[] = [];
    for (const e of route) {
      const latex = opLatex(s, e.via, 'local', e.argument, '');
      if (!locals.some((l) => l.node === e.via.id && l.argument === e.argument)) {
        locals.push({ node: e.via.id, op: e.via.op, argument: e.argument, latex });
      }
      if (latex.trim() !== 'I') parts.push(latex);
    }
    if (parts.length === 0) return 'I';
    // A local written as an equation (matmul's index form) is bracketed when it is one of several.
    return parts.length === 1
      ? parts[0]
      : parts.map((p) => (p.includes('=') ? `\\left[${p}\\right]` : p)).join(' \\cdot ');
  });
  const local =
    routeLatex.length <= 1
      ? (routeLatex[0] ?? 'I')
      : routeLatex.map((r) => (r.includes('=') ? `\\left[${r}\\right]` : r)).join(' + ');
  const jacobianShape = [...a.value.shape, ...b.value.shape];
  const jacobianSize = a.value.size * b.value.size;
  let jac: Tensor | null = null;
  if (jacobianSize <= maxEntries) {
    const data = new Float64Array(jacobianSize);
    for (let row = 0; row < a.value.size; row++) {
      const seed = new Tensor(a.value.shape);
      seed.data[row] = 1;
      const g = statementVjp(s, a, seed).get(b.id);
      if (g) data.set(g.data, row * b.value.size);
    }
    jac = new Tensor(jacobianShape, data);
  }
  return {
    of: a.id,
    wrt: b.id,
    latex: partial(labels[a.id], labels[b.id]),
    local,
    locals,
    jacobianShape,
    jacobianSize,
    vjpShape: [...b.value.shape],
    jacobian: jac ? plain(jac) : null,
  };
}

interface ChainContext {
  readonly s: BlockStructure;
  readonly children: readonly (readonly Node[])[];
  readonly grads: readonly (Tensor | null)[];
  readonly factor: (a: Node, b: Node) => ChainFactor;
  readonly maxPaths: number;
  readonly rootLabel: string;
  readonly fromRoot: ReadonlySet<number>;
  readonly stepOf: ReadonlyMap<number, number>;
  readonly notices: string[];
}

function chainFor(t: Node, rootNode: Node, seed: Tensor, c: ChainContext): GradientExplanation {
  const { s, children } = c;
  // Number of paths from each named node down to t (children have lower ids: one ascending sweep).
  const count = new Map<number, number>([[t.id, 1]]);
  for (let id = t.id + 1; id <= rootNode.id; id++) {
    let k = 0;
    for (const b of children[id]) k += count.get(b.id) ?? 0;
    if (k > 0) count.set(id, k);
  }
  const pathCount = count.get(rootNode.id) ?? 0;
  const paths: ChainPath[] = [];
  const walk = (a: Node, g: Tensor, trail: Node[]): void => {
    if (paths.length >= c.maxPaths) return;
    if (a === t) {
      const factors = trail.slice(1).map((b, i) => c.factor(trail[i], b));
      paths.push({
        nodes: trail.map((n) => n.id),
        factors,
        latex: factors.map((f) => f.latex).join('\\, '),
        value: plain(g),
      });
      return;
    }
    const next = children[a.id].filter((b) => count.has(b.id));
    if (next.length === 0) return;
    const sent = statementVjp(s, a, g);
    for (const b of next) walk(b, sent.get(b.id) ?? new Tensor(b.value.shape), [...trail, b]);
  };
  if (pathCount > 0) walk(rootNode, seed, [rootNode]);

  const grad = c.grads[t.id] ?? new Tensor(t.value.shape);
  const truncated = paths.length < pathCount;
  let pathSumError: number | null = null;
  if (!truncated && paths.length > 0) {
    const sum = new Float64Array(grad.size);
    for (const p of paths) {
      const v = Tensor.fromNested(p.value);
      for (let i = 0; i < sum.length; i++) sum[i] += v.data[i];
    }
    pathSumError = 0;
    for (let i = 0; i < sum.length; i++) {
      pathSumError = Math.max(pathSumError, Math.abs(sum[i] - grad.data[i]));
    }
  }
  const label = s.labels[t.id];
  const name = t.name ?? s.definedBy[t.id]?.name ?? null;
  if (truncated) {
    c.notices.push(
      `${name ?? label} has ${pathCount} chain-rule paths; the first ${paths.length} are listed.`,
    );
  }
  const derivative = partial(c.rootLabel, label);
  const sum = paths.map((p) => p.latex).join(' + ') + (truncated ? ' + \\cdots' : '');
  const onPath = (id: number): boolean => count.has(id) && c.fromRoot.has(id);
  const steps = [...c.stepOf.entries()]
    .filter(([id]) => onPath(id))
    .map(([, index]) => index)
    .sort((x, y) => x - y);
  const stmt = s.definedBy[t.id];
  return {
    node: t.id,
    name,
    label,
    role: stmt
      ? (stmt.role ?? (t.op === 'leaf' ? 'leaf' : 'computed'))
      : t.op === 'leaf'
        ? 'leaf'
        : 'computed',
    shape: [...t.value.shape],
    grad: plain(grad),
    derivative,
    latex: `${derivative} = ${sum || '0'}`,
    paths,
    pathCount,
    truncated,
    pathSumError,
    steps,
    jacobian: null,
  };
}

/** True when the softmax output reaches the loss only through this cross-entropy. */
function sceIsSoleRoute(
  s: BlockStructure,
  x: SoftmaxCrossEntropyExplanation,
  edgeGrads: readonly (readonly (Tensor | null)[])[],
): boolean {
  if (x.fused || x.probabilities === null) return true;
  const p = x.probabilities;
  let routes = 0;
  for (const n of s.graph.nodes) {
    n.inputs.forEach((input, i) => {
      if (input.id === p && edgeGrads[n.id][i]) routes++;
    });
  }
  return routes === 1;
}

function sceSimplified(x: SoftmaxCrossEntropyExplanation, labels: readonly string[]): string {
  const p =
    x.probabilities !== null
      ? labels[x.probabilities]
      : `\\operatorname{softmax}(${labels[x.logits]})`;
  return `\\frac{1}{N}\\left(${p} - Y\\right)`;
}
