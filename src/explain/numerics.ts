/**
 * The numerics report: where a NaN or ±∞ first appeared in an evaluated block, so the editor,
 * the panel and the CLI can point at that statement instead of letting the value silently
 * spread into everything after it.
 *
 * Rules:
 * - **Forward.** A statement is reported when its value holds a NaN or ±∞ and some node of its
 *   own (its op nodes, or the leaf it gives) produced one from inputs that were all finite. A
 *   later statement that is not finite only because it reads a non-finite tensor is not
 *   reported; it is listed in the origin's `dependents` instead. Two independent origins are
 *   both reported, in source order.
 * - **Backward.** Walking backprop's own order (from the root down), an edge is an origin when
 *   its contribution to an operand's gradient is not finite although the upstream gradient and
 *   every operand's value are finite (so it is not a consequence of a forward origin). It is
 *   reported at the statement whose backward rule ran, naming the tensor whose gradient (its
 *   backprop step) became non-finite: the operand itself, or, for an unnamed subexpression,
 *   the tensor the statement reads below it.
 * - **Causes** come from the op (`OpDef.whyNonFinite`: `exp-overflow`, `log-zero` …) and are
 *   worded here; an op without one gets `overflow` (an ∞) or `invalid` (a NaN: 0·∞ or ∞ − ∞
 *   inside it). A leaf gets `given`.
 *
 * Works on the ModelBlock as evaluated (values) and, when backward ran, its gradients — it reads
 * `node.grad` / `node.inputGrads`, so call it right after `graph.backward(root)` (explainBlock
 * does) or on a block that never ran backward (then `backward` is empty). No vscode, no DOM.
 * Messages are in the display language (src/l10n.ts: English unless a bundle is in use).
 */
import type { Node } from '../engine/graph';
import type { NonFiniteCause } from '../engine/op';
import { getOp } from '../engine/ops/index';
import { type Tensor, stridesOf } from '../engine/tensor';
import { l10n } from '../l10n';
import type { ModelBlock, SourceRange, Statement } from '../spec/model';

export type NonFiniteKind = 'nan' | 'inf' | '-inf';

/** How many of each non-finite kind a tensor holds. */
export interface NonFiniteCounts {
  readonly nan: number;
  readonly inf: number;
  readonly negInf: number;
}

export interface NonFiniteFinding {
  /** `forward`: a statement's value; `backward`: a gradient backprop computed. */
  readonly pass: 'forward' | 'backward';
  /** The tensor with the non-finite numbers: the statement's value, or the tensor whose gradient it is. */
  readonly node: number;
  /** Its name (`Z2`), or `#id` for an unnamed tensor. */
  readonly name: string;
  /** Index into the block's statements of the statement where it happened (backward: whose rule ran). */
  readonly statement: number;
  /** That statement's name and whole range (0-based), and its 1-based line and column. */
  readonly statementName: string;
  readonly range: SourceRange;
  readonly line: number;
  readonly column: number;
  /** The graph node whose forward (or backward) produced the first non-finite number, and its op. */
  readonly origin: number;
  readonly op: string;
  readonly counts: NonFiniteCounts;
  /** Elements of the tensor (or gradient) in all. */
  readonly size: number;
  /** The first non-finite element in row-major order: its kind and its index ([] for a scalar). */
  readonly first: { readonly kind: NonFiniteKind; readonly index: readonly number[] };
  /** The cause's code (`exp-overflow`, `log-zero`, `divide-by-zero`, `overflow`, `invalid`, `given` …). */
  readonly code: string;
  /** The cause in the user's words: `exp overflows for inputs above 709.78 (largest here: 1000)`. */
  readonly cause: string;
  /**
   * Forward: later statements whose values are not finite because of this one. Backward: the
   * tensors whose gradients are not finite because of it. In order, names only.
   */
  readonly dependents: readonly string[];
  /** The whole report as one sentence: `Z2 has 3 ∞ values, first at [0, 1]: exp overflows …`. */
  readonly message: string;
}

export interface NumericsReport {
  /** Forward origins, in source order (usually none, else one). */
  readonly forward: readonly NonFiniteFinding[];
  /** Backward origins, in backprop order. */
  readonly backward: readonly NonFiniteFinding[];
  /**
   * False when any gradient backward computed holds a NaN or ±∞ (also when that only follows
   * from a forward origin). True when backward did not run.
   */
  readonly gradientsFinite: boolean;
}

export const noNumericProblems: NumericsReport = {
  forward: [],
  backward: [],
  gradientsFinite: true,
};

/** True when every element is finite (the common case: one pass, no allocation). */
export function allFinite(t: Tensor): boolean {
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return false;
  return true;
}

function countNonFinite(t: Tensor): { counts: NonFiniteCounts; first: number } {
  let nan = 0;
  let inf = 0;
  let negInf = 0;
  let first = -1;
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (Number.isFinite(v)) continue;
    if (first < 0) first = i;
    if (Number.isNaN(v)) nan++;
    else if (v > 0) inf++;
    else negInf++;
  }
  return { counts: { nan, inf, negInf }, first };
}

function kindOf(v: number): NonFiniteKind {
  return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
}

/** How a kind is written: NaN, ∞, −∞. */
export function kindSymbol(kind: NonFiniteKind): string {
  return kind === 'nan' ? 'NaN' : kind === 'inf' ? '∞' : '−∞';
}

function indexOf(flat: number, shape: readonly number[]): number[] {
  const strides = stridesOf(shape);
  return strides.map((s, k) => Math.floor(flat / s) % shape[k]);
}

/** Which statement owns each node: a statement's nodes are the ones made while it evaluated. */
function owners(block: ModelBlock): (number | null)[] {
  const owner: (number | null)[] = block.graph.nodes.map(() => null);
  let done = -1;
  block.statements.forEach((s, i) => {
    const top = s.node.id;
    if (top <= done || top >= owner.length) return; // `A = W1`: shares an earlier node
    for (let id = done + 1; id <= top; id++) owner[id] = i;
    done = top;
  });
  return owner;
}

export function numericsReport(block: ModelBlock): NumericsReport {
  const nodes = block.graph.nodes;
  if (nodes.length === 0) return noNumericProblems;
  const owner = owners(block);
  const finite = nodes.map((n) => allFinite(n.value));
  if (finite.every(Boolean) && nodes.every((n) => n.grad === null || allFinite(n.grad))) {
    return noNumericProblems;
  }
  const forward = forwardOrigins(block, owner, finite);
  const backward = backwardOrigins(block, owner, finite);
  const gradientsFinite = nodes.every((n) => n.grad === null || allFinite(n.grad));
  return { forward, backward, gradientsFinite };
}

// ---------------------------------------------------------------------------------------------
// Forward

function forwardOrigins(
  block: ModelBlock,
  owner: readonly (number | null)[],
  finite: readonly boolean[],
): NonFiniteFinding[] {
  const nodes = block.graph.nodes;
  const out: NonFiniteFinding[] = [];
  const reported = new Set<number>();
  for (const n of nodes) {
    const at = owner[n.id];
    if (finite[n.id] || at === null || reported.has(at)) continue;
    if (!n.inputs.every((input) => finite[input.id])) continue;
    const statement = block.statements[at];
    // An overflow inside a statement that a later op of it absorbs (sigmoid(∞) = 1) leaves its
    // value finite: nothing to see, and backward reports any consequence.
    if (finite[statement.node.id]) continue;
    reported.add(at);
    const cause = n.op === 'leaf' ? { code: 'given' } : causeOf(n, 'forward');
    const dependents = laterDependents(block, owner, finite, statement, at);
    out.push(finding('forward', statement, at, statement.node, n, cause, dependents, block));
  }
  return out;
}

/** Later statements whose values are not finite and that read (through anything) this one. */
function laterDependents(
  block: ModelBlock,
  owner: readonly (number | null)[],
  finite: readonly boolean[],
  statement: Statement,
  at: number,
): string[] {
  const nodes = block.graph.nodes;
  const tainted = new Uint8Array(nodes.length);
  tainted[statement.node.id] = 1;
  const names: string[] = [];
  for (let id = statement.node.id + 1; id < nodes.length; id++) {
    if (!nodes[id].inputs.some((i) => tainted[i.id])) continue;
    tainted[id] = 1;
  }
  block.statements.forEach((s, i) => {
    if (i <= at || !tainted[s.node.id] || finite[s.node.id] || owner[s.node.id] !== i) return;
    if (!names.includes(s.name)) names.push(s.name);
  });
  return names;
}

// ---------------------------------------------------------------------------------------------
// Backward

function backwardOrigins(
  block: ModelBlock,
  owner: readonly (number | null)[],
  finite: readonly boolean[],
): NonFiniteFinding[] {
  const nodes = block.graph.nodes;
  const root = block.root?.node;
  if (!root) return [];
  const boundary = new Set<number>(nodes.filter((n) => n.op === 'leaf').map((n) => n.id));
  for (const s of block.statements) boundary.add(s.node.id);
  const nameOf = new Map<number, string>();
  for (const s of block.statements) if (!nameOf.has(s.node.id)) nameOf.set(s.node.id, s.name);

  // Every gradient contribution a node receives: one per use of it as an op's input.
  const contributions: (Tensor | null)[][] = nodes.map(() => []);
  for (const n of nodes)
    n.inputs.forEach((m, i) => contributions[m.id].push(n.inputGrads[i] ?? null));

  const out: NonFiniteFinding[] = [];
  const reported = new Set<number>();
  for (let id = root.id; id >= 0; id--) {
    const n = nodes[id];
    // A gradient whose contributions are each finite but whose sum is not: the accumulation
    // itself overflowed (two uses of s1 each sending 1e308 back). No op's rule is to blame.
    const sum = contributions[id].filter((g): g is Tensor => g !== null);
    if (
      id !== root.id &&
      sum.length > 1 &&
      n.grad !== null &&
      !allFinite(n.grad) &&
      sum.every(allFinite)
    ) {
      const target = visibleGradient(n, boundary);
      const at = target === null ? null : owner[target.id];
      if (target !== null && at !== null && !reported.has(target.id)) {
        reported.add(target.id);
        const dependents = ancestorsWithBadGradients(target, boundary, nameOf);
        const cause = { code: 'gradient-sum-overflow', value: sum.length };
        const statement = block.statements[at];
        out.push(finding('backward', statement, at, target, n, cause, dependents, block, 'add'));
      }
    }
    if (n.op === 'leaf' || n.grad === null || !allFinite(n.grad)) continue;
    if (!n.inputs.every((input) => finite[input.id])) continue;
    const at = owner[id];
    if (at === null) continue;
    n.inputGrads.forEach((g, i) => {
      if (g === null || allFinite(g)) return;
      const target = visibleGradient(n.inputs[i], boundary);
      if (target === null || reported.has(target.id)) return;
      reported.add(target.id);
      const dependents = ancestorsWithBadGradients(target, boundary, nameOf);
      const statement = block.statements[at];
      out.push(
        finding('backward', statement, at, target, n, causeOf(n, 'backward'), dependents, block),
      );
    });
  }
  return out;
}

/**
 * The tensor whose gradient the user sees go non-finite: `input` itself when it is a leaf or a
 * statement's value, else (an unnamed subexpression) the first such tensor below it, in backprop
 * order, whose gradient is not finite. Null when the NaN was absorbed before reaching one.
 */
function visibleGradient(input: Node, boundary: ReadonlySet<number>): Node | null {
  if (boundary.has(input.id)) return input.grad !== null && !allFinite(input.grad) ? input : null;
  const found: Node[] = [];
  const seen = new Set<number>();
  const visit = (n: Node): void => {
    for (const m of n.inputs) {
      if (seen.has(m.id)) continue;
      seen.add(m.id);
      if (boundary.has(m.id)) {
        if (m.grad !== null && !allFinite(m.grad)) found.push(m);
      } else visit(m);
    }
  };
  visit(input);
  found.sort((a, b) => b.id - a.id);
  return found[0] ?? null;
}

/** Named tensors below `target` whose gradients are not finite, in backprop order. */
function ancestorsWithBadGradients(
  target: Node,
  boundary: ReadonlySet<number>,
  nameOf: ReadonlyMap<number, string>,
): string[] {
  const seen = new Set<number>([target.id]);
  const stack = [...target.inputs];
  const hits: Node[] = [];
  while (stack.length > 0) {
    const n = stack.pop() as Node;
    if (seen.has(n.id)) continue;
    seen.add(n.id);
    if (boundary.has(n.id) && n.grad !== null && !allFinite(n.grad)) hits.push(n);
    stack.push(...n.inputs);
  }
  hits.sort((a, b) => b.id - a.id);
  const names: string[] = [];
  for (const n of hits) {
    const name = nameOf.get(n.id) ?? n.name;
    if (name && !names.includes(name)) names.push(name);
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Causes and messages

function causeOf(n: Node, pass: 'forward' | 'backward'): NonFiniteCause {
  const op = getOp(n.op);
  const inputs = n.inputs.map((i) => i.value);
  const known = op.whyNonFinite?.(pass, inputs, n.attrs) ?? null;
  if (known) return known;
  const produced = pass === 'forward' ? n.value : n.inputGrads.find((g) => g && !allFinite(g));
  const onlyNan = produced ? countNonFinite(produced).counts : null;
  return { code: onlyNan && onlyNan.inf + onlyNan.negInf === 0 ? 'invalid' : 'overflow' };
}

/** Ops the user writes as operators, written so in causes. */
const OPERATORS: Readonly<Record<string, string>> = {
  add: '+',
  sub: '-',
  mul: '*',
  div: '/',
  pow: '**',
  matmul: '@',
  neg: '-',
};

/** The cause in words. `op` is the op's name as the user wrote it (`exp`, `matmul` …). */
export function causeText(cause: NonFiniteCause, op: string): string {
  const v = cause.value === undefined ? '' : formatValue(cause.value);
  switch (cause.code) {
    case 'exp-overflow':
      return l10n.t('exp overflows for inputs above 709.78 (largest here: {0})', v);
    case 'log-zero':
      return l10n.t('log of 0 is −∞');
    case 'log-negative':
      return l10n.t('log of a negative number is NaN (smallest here: {0})', v);
    case 'log-slope-at-zero':
      return l10n.t('the gradient of log at 0 is 1/0 = ∞');
    case 'sqrt-negative':
      return l10n.t('sqrt of a negative number is NaN (smallest here: {0})', v);
    case 'sqrt-zero':
    case 'sqrt-slope-at-zero':
      return l10n.t('the gradient of sqrt at 0 is 1/(2·0) = ∞');
    case 'divide-by-zero':
      return l10n.t('division by 0');
    case 'zero-over-zero':
      return l10n.t('0/0 is NaN');
    case 'pow-zero-base':
      return l10n.t('0 to a negative power is ∞');
    case 'pow-negative-base':
      return l10n.t('a negative number to a fractional power is NaN');
    case 'cross-entropy-zero':
      return l10n.t(
        'a true class has probability 0 and log 0 = −∞ (softmax_cross_entropy on the logits never takes that log)',
      );
    case 'cross-entropy-slope-at-zero':
      return l10n.t(
        'cross_entropy’s gradient divides by the probability of the true class, which is 0 (softmax_cross_entropy on the logits avoids it)',
      );
    case 'cross-entropy-negative':
      return l10n.t('a probability is negative, so its log is NaN');
    case 'gradient-sum-overflow':
      return l10n.t(
        'the {0} gradient contributions it receives are each finite but add up past ±1.8e308, the largest float64',
        v,
      );
    case 'given':
      return l10n.t('the value given here is not finite (beyond ±1.8e308, the largest float64)');
    case 'invalid':
      return l10n.t(
        '{0} gave NaN from finite numbers (0·∞ or ∞ − ∞ after an overflow inside it)',
        op,
      );
    default:
      return l10n.t('the result of {0} is beyond ±1.8e308, the largest float64 (overflow)', op);
  }
}

/** A number as the report shows it: 4 significant digits, ∞/NaN spelled as such. */
function formatValue(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '∞' : '−∞';
  return Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-4)
    ? v.toExponential(3).replace(/\.?0+e/, 'e')
    : String(Number(v.toPrecision(6)));
}

/** The names written out: `P`, `P and L`, `P, Q and L` (at most six, then “…”). */
function nameList(names: readonly string[]): string {
  const shown = names.length > 6 ? [...names.slice(0, 6), '…'] : [...names];
  if (shown.length <= 1) return shown.join('');
  return l10n.t('{0} and {1}', shown.slice(0, -1).join(', '), shown[shown.length - 1]);
}

function countsText(counts: NonFiniteCounts): string {
  const parts: string[] = [];
  if (counts.inf > 0) parts.push(`${counts.inf} ∞`);
  if (counts.negInf > 0) parts.push(`${counts.negInf} −∞`);
  if (counts.nan > 0) parts.push(`${counts.nan} NaN`);
  return parts.join(', ');
}

function finding(
  pass: 'forward' | 'backward',
  statement: Statement,
  at: number,
  target: Node,
  origin: Node,
  cause: NonFiniteCause,
  dependents: readonly string[],
  block: ModelBlock,
  op: string = origin.op,
): NonFiniteFinding {
  const t = pass === 'forward' ? target.value : (target.grad as Tensor);
  const { counts, first } = countNonFinite(t);
  const kind = kindOf(t.data[first]);
  const index = indexOf(first, t.shape);
  const name = nameOfNode(target, block);
  const subject = pass === 'forward' ? name : `∂${block.root?.name ?? 'L'}/∂${name}`;
  const why = causeText(cause, OPERATORS[op] ?? op);
  const total = counts.nan + counts.inf + counts.negInf;
  const mixed = [counts.nan, counts.inf, counts.negInf].filter((c) => c > 0).length > 1;
  let head: string;
  if (t.size === 1) head = l10n.t('{0} is {1}: {2}', subject, kindSymbol(kind), why);
  else if (mixed)
    head = l10n.t(
      '{0} has {1} non-finite values ({2}), the first at [{3}]: {4}',
      subject,
      total,
      countsText(counts),
      index.join(', '),
      why,
    );
  else if (total === 1)
    head = l10n.t(
      '{0} has one {1} value, at [{2}]: {3}',
      subject,
      kindSymbol(kind),
      index.join(', '),
      why,
    );
  else
    head = l10n.t(
      '{0} has {1} {2} values, the first at [{3}]: {4}',
      subject,
      total,
      kindSymbol(kind),
      index.join(', '),
      why,
    );
  let tail = '';
  if (dependents.length > 0) {
    const list = nameList(dependents);
    tail =
      pass === 'forward'
        ? dependents.length === 1
          ? l10n.t(' — the later statement {0} depends on it', list)
          : l10n.t(' — later statements {0} depend on it', list)
        : dependents.length === 1
          ? l10n.t(' — the gradient of {0} depends on it', list)
          : l10n.t(' — the gradients of {0} depend on it', list);
  }
  const message =
    pass === 'forward'
      ? `${head}${tail}.`
      : l10n.t('Backward, in {0}: {1}', statement.name, `${head}${tail}.`);
  return {
    pass,
    node: target.id,
    name,
    statement: at,
    statementName: statement.name,
    range: statement.range,
    line: statement.range.start.line + 1,
    column: statement.range.start.column + 1,
    origin: origin.id,
    op,
    counts,
    size: t.size,
    first: { kind, index },
    code: cause.code,
    cause: why,
    dependents,
    message,
  };
}

function nameOfNode(n: Node, block: ModelBlock): string {
  const s = block.statements.find((st) => st.node === n);
  return s?.name ?? n.name ?? `#${n.id}`;
}
