/**
 * What the PyTorch and NumPy exports (export-pytorch.ts, export-numpy.ts) share: the rules that
 * make a model block a Python program, and the machinery both use.
 *
 * The program is built from the block's engine graph, not from its text, so it computes exactly
 * what the notes computed:
 * - every statement becomes one line under the user's name (a name Python cannot take — a
 *   keyword, or one the program itself uses such as `F` or `np` — gets a trailing `_`; a name
 *   defined twice gets `_2` for its second definition, because the backward pass needs both);
 * - leaves are written out with their values (float64 literals in Python's shortest round-trip
 *   form, so they read back bit for bit), zeros and ones as `zeros(…)`/`ones(…)`; a random
 *   initializer is named in a comment, since the notes' seeded generator is not PyTorch's;
 * - unnamed subexpressions stay inline, as the user wrote them; a literal too large to inline
 *   becomes a constant named after its statement (`L_const`);
 * - class labels used only as labels are written as integers (`torch.tensor([0, 1])`);
 * - the block's comments are kept where they were (with the source text), else each
 *   statement's own comment.
 *
 * A block with spec errors, or one using an op or an argument the export cannot map, is refused
 * with an ExportError saying which and where — never half a program.
 */
import type { Node } from '../engine/graph';
import type { AttrValue } from '../engine/op';
import { type Shape, type Tensor, broadcastIndex, normalizeAxis } from '../engine/tensor';
import { type BlockStructure, analyze } from '../explain/structure';
import type { ModelBlock, SourcePosition, Statement } from '../spec/model';

export type ExportTarget = 'pytorch' | 'numpy';

/** Plain gradient descent as the Train command runs it. */
export interface TrainingSettings {
  readonly learningRate: number;
  readonly steps: number;
}

/**
 * What the Train command proposes when a block sets nothing (notes-features.ts asks with these
 * filled in); a block's `# train: lr=… steps=…` comment or fence info overrides them, as in Train.
 */
export const defaultTraining: TrainingSettings = { learningRate: 0.1, steps: 200 };

export interface ExportOptions {
  /** The file the block came from, as the program's header names it (`samples/two-layer-network.md`). */
  readonly source?: string;
  /**
   * The text the block was parsed from (the whole note, or a selection with `origin`): lets the
   * program keep every comment of the block where it was. Without it, each statement's own comment.
   */
  readonly text?: string;
  /** Where `text` starts in its file, 0-based (a selection's start); default line 0. */
  readonly origin?: SourcePosition;
  /**
   * The training loop's settings (PyTorch). Default: the block's own (`# train: lr=0.5
   * steps=300`, or the fence's `{lr=… steps=…}`), else `defaultTraining`.
   */
  readonly training?: TrainingSettings;
}

/**
 * Why a block cannot be exported, in the user's words. `line` is 0-based in the source's
 * coordinates when the reason is at one place.
 */
export class ExportError extends Error {
  override name = 'ExportError';
  constructor(
    message: string,
    readonly code: 'spec-errors' | 'empty' | 'unsupported',
    readonly line: number | null = null,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Python expressions with just enough precedence to parenthesize correctly

export const Prec = { compare: 50, add: 60, mul: 70, unary: 80, power: 90, atom: 100 } as const;

/** A Python expression and the precedence of its outermost operator. */
export interface Py {
  readonly code: string;
  readonly prec: number;
  /** The outermost binary operator, if any. */
  readonly op?: BinaryOperator;
}

export const atom = (code: string): Py => ({ code, prec: Prec.atom });

/** `e` as an operand that needs at least precedence `min`. */
export function operand(e: Py, min: number): string {
  return e.prec >= min ? e.code : `(${e.code})`;
}

export type BinaryOperator = '+' | '-' | '*' | '/' | '@' | '**' | '>' | '==';

export function binary(op: BinaryOperator, a: Py, b: Py): Py {
  switch (op) {
    case '**': // right-associative, and tighter than a unary minus on its left
      return { code: `${operand(a, Prec.atom)} ** ${operand(b, Prec.unary)}`, prec: Prec.power };
    case '*':
    case '/':
    case '@': {
      // Python reads `a * b @ c` left to right, but a reader may not: a matrix product next to
      // an elementwise one gets its parentheses.
      const mixed = a.prec === Prec.mul && (a.op === '@') !== (op === '@');
      const left = mixed ? `(${a.code})` : operand(a, Prec.mul);
      return { code: `${left} ${op} ${operand(b, Prec.unary)}`, prec: Prec.mul, op };
    }
    case '+':
    case '-':
      return { code: `${operand(a, Prec.add)} ${op} ${operand(b, Prec.mul)}`, prec: Prec.add, op };
    default:
      return { code: `${operand(a, Prec.add)} ${op} ${operand(b, Prec.add)}`, prec: Prec.compare };
  }
}

export function negate(a: Py): Py {
  if (a.prec === Prec.unary && a.code.startsWith('-')) return atom(a.code.slice(1).trimStart());
  return { code: `-${operand(a, Prec.power)}`, prec: Prec.unary };
}

/** `fn(a, b, dim=1)`: Py arguments, or raw text for keywords. */
export function call(fn: string, ...args: (Py | string)[]): Py {
  return atom(`${fn}(${args.map((a) => (typeof a === 'string' ? a : a.code)).join(', ')})`);
}

/** `obj.name(args…)`. */
export function method(obj: Py, name: string, ...args: (Py | string)[]): Py {
  return call(`${operand(obj, Prec.atom)}.${name}`, ...args);
}

/** `obj.name`. */
export function attribute(obj: Py, name: string): Py {
  return atom(`${operand(obj, Prec.atom)}.${name}`);
}

/** `obj[index]`. */
export function subscript(obj: Py, index: string): Py {
  return atom(`${operand(obj, Prec.atom)}[${index}]`);
}

// ---------------------------------------------------------------------------------------------
// Numbers and literals

/** A float64 as a Python float literal that reads back to the same bits (`2.0`, `1e-07`, `-0.5`). */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'float("nan")';
  if (x === Infinity) return 'float("inf")';
  if (x === -Infinity) return '-float("inf")';
  if (Object.is(x, -0)) return '-0.0';
  // JavaScript's String is the shortest round-trip form, as Python's repr is.
  const s = String(x);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

export function pyNumber(x: number): Py {
  const code = pyFloat(x);
  return { code, prec: code.startsWith('-') ? Prec.unary : Prec.atom };
}

/**
 * A number written in an expression next to a tensor: whole numbers as Python ints (`x ** 3`,
 * `2 * Z` — the tensor keeps its float64 dtype), others as floats.
 */
export function pyScalar(x: number): Py {
  if (Number.isInteger(x) && Math.abs(x) < 1e15 && !Object.is(x, -0)) return pyInt(x);
  return pyNumber(x);
}

/** A whole number as Python writes it (`2`, `-1`). */
export function pyInt(x: number): Py {
  return { code: String(x), prec: x < 0 ? Prec.unary : Prec.atom };
}

/** A shape as a Python tuple: `(2, 3)`, `(3,)`, `()`. */
export function pyTuple(items: readonly number[]): string {
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** An axis or axes: `1`, `(0, 2)`. */
export function pyAxes(axes: readonly number[]): string {
  return axes.length === 1 ? String(axes[0]) : pyTuple(axes);
}

const LINE_WIDTH = 96;

/**
 * A tensor's values as nested Python lists: on one line when it fits in `width` after `indent`,
 * else one row per line (and long rows wrapped), with trailing commas as Black writes them.
 */
export function nestedList(
  t: Tensor,
  format: (x: number) => string,
  indent = '',
  width = LINE_WIDTH,
): string {
  const items = Array.from(t.data, format);
  const rank = t.shape.length;
  if (rank === 0) return items[0];
  const strides: number[] = [];
  let step = 1;
  for (let k = rank - 1; k >= 0; k--) {
    strides[k] = step;
    step *= t.shape[k];
  }
  const oneLine = (depth: number, offset: number): string => {
    if (depth === rank) return items[offset];
    const parts: string[] = [];
    for (let i = 0; i < t.shape[depth]; i++)
      parts.push(oneLine(depth + 1, offset + i * strides[depth]));
    return `[${parts.join(', ')}]`;
  };
  const render = (depth: number, offset: number, pad: string): string => {
    const flat = oneLine(depth, offset);
    if (pad.length + flat.length <= width) return flat;
    const inner = `${pad}    `;
    if (depth === rank - 1) {
      // A long row: its numbers wrapped over several lines.
      const lines: string[] = [];
      let line = '';
      for (let i = 0; i < t.shape[depth]; i++) {
        const item = `${items[offset + i]},`;
        if (line !== '' && inner.length + line.length + 1 + item.length > width) {
          lines.push(inner + line);
          line = item;
        } else {
          line = line === '' ? item : `${line} ${item}`;
        }
      }
      if (line !== '') lines.push(inner + line);
      return `[\n${lines.join('\n')}\n${pad}]`;
    }
    const rows: string[] = [];
    for (let i = 0; i < t.shape[depth]; i++) {
      rows.push(`${inner}${render(depth + 1, offset + i * strides[depth], inner)},`);
    }
    return `[\n${rows.join('\n')}\n${pad}]`;
  };
  return render(0, 0, indent);
}

export function allEqual(t: Tensor, x: number): boolean {
  if (t.size === 0) return false;
  for (const v of t.data) if (!Object.is(v, x)) return false;
  return true;
}

export function allIntegers(t: Tensor): boolean {
  for (const v of t.data) if (!Number.isInteger(v)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Names

const PYTHON_KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except ' +
    'finally for from global if import in is lambda nonlocal not or pass raise return try while ' +
    'with yield match case type'
  ).split(' '),
);

/** Names the programs use themselves (modules, builtins they call, helpers, loop variables). */
const PROGRAM_NAMES = new Set(
  (
    'torch F np json math print float int len range sum max min abs list dict tuple str ' +
    'gradients name grad optimizer step softmax log_softmax logsumexp sigmoid gelu gelu_slope ' +
    'normal_cdf first_max_mask max_first erfc'
  ).split(' '),
);

/** Hands out Python identifiers, each once. */
export class Namer {
  private readonly used = new Set<string>();

  /** `want` itself when free, else `want_`, `want_2`, `want_3` … */
  claim(want: string): string {
    let base = want.replace(/[^A-Za-z0-9_]/g, '_');
    if (base === '' || /^[0-9]/.test(base)) base = `_${base}`;
    if (PYTHON_KEYWORDS.has(base) || PROGRAM_NAMES.has(base)) base = `${base}_`;
    let name = base;
    for (let k = 2; this.used.has(name) || PROGRAM_NAMES.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  has(name: string): boolean {
    return this.used.has(name);
  }
}

// ---------------------------------------------------------------------------------------------
// What a dialect supplies

/** What an op's forward rule gets: its operands as Python and what is known about them. */
export interface OpContext {
  readonly node: Node;
  /** The operands' expressions, in argument order. */
  readonly args: readonly Py[];
  readonly shapes: readonly Shape[];
  readonly outShape: Shape;
  /** Operand `i` as whole-number class labels (an integer leaf as it is, else converted). */
  labels(i: number): Py;
  /** Asks for a helper function of the program (written once, before the tensors); returns its name. */
  helper(name: string): string;
  /** Refuses the op: `why` in the user's words. */
  fail(why: string): never;
}

export type ForwardRule = (c: OpContext) => Py;

/** Python's own operators: the same spelling in the NumPy and the PyTorch program. */
export const operatorRules: Readonly<Record<string, ForwardRule>> = {
  add: (c) => binary('+', c.args[0], c.args[1]),
  sub: (c) => binary('-', c.args[0], c.args[1]),
  mul: (c) => binary('*', c.args[0], c.args[1]),
  div: (c) => binary('/', c.args[0], c.args[1]),
  pow: (c) => binary('**', c.args[0], c.args[1]),
  neg: (c) => negate(c.args[0]),
  matmul: (c) => binary('@', c.args[0], c.args[1]),
};

/** How a dialect writes leaves and literals; the op rules come separately. */
export interface Dialect {
  readonly target: ExportTarget;
  /** The library's name in messages: `PyTorch`, `NumPy`. */
  readonly library: string;
  readonly ops: Readonly<Record<string, ForwardRule>>;
  /** A leaf's value: literal lists, or zeros/ones. `grad`: a tensor that gets a gradient. */
  leafValue(t: Tensor, how: LeafKind, indent: string): string;
  /** A small literal inside an expression. */
  literal(t: Tensor): Py;
  /** A tensor of class labels as integers, for a label that is not an integer leaf. */
  asLabels(e: Py): Py;
}

/** How a leaf is written: a trained parameter, another tensor with a gradient, a constant, or labels. */
export type LeafKind = 'param' | 'grad' | 'const' | 'labels';

/** The arguments each op may carry; anything else is refused (its meaning is unknown here). */
const KNOWN_ATTRS: Readonly<Record<string, readonly string[]>> = {
  transpose: ['axes'],
  reshape: ['shape'],
  leaky_relu: ['alpha'],
  softmax: ['axis'],
  log_softmax: ['axis'],
  logsumexp: ['axis', 'keepdims'],
  sum: ['axis', 'keepdims'],
  mean: ['axis', 'keepdims'],
  max: ['axis', 'keepdims'],
  one_hot: ['classes'],
};

// ---------------------------------------------------------------------------------------------
// The plan of a program: names, leaves, comments, the forward pass

/** A line of the program with its comment lines above and trailing comment. */
export interface ProgramLine {
  readonly before: readonly string[];
  readonly code: string;
  readonly trailing: string | null;
  /** A blank line before this one (the source had one). */
  readonly blank: boolean;
}

/** One statement's lines: constants and temporaries it needs first, then its own line. */
export interface StatementLines {
  readonly statement: Statement;
  readonly node: Node;
  readonly kind: 'leaf' | 'op' | 'alias';
  /** The constants (and shared subexpressions) this statement needs, before its line. */
  readonly setup: readonly { readonly code: string; readonly constant: boolean }[];
  readonly line: ProgramLine;
}

/** A leaf whose gradient the program prints: the engine computed one for it. */
export interface GradientLeaf {
  readonly node: Node;
  /** The user's name (the JSON key). */
  readonly name: string;
  /** Its Python variable. */
  readonly variable: string;
}

export class ProgramPlan {
  readonly nodes: readonly Node[];
  readonly structure: BlockStructure;
  readonly root: Statement | null;
  readonly names = new Namer();
  /** Python variable of each named node and each constant or shared temporary. */
  readonly vars = new Map<number, string>();
  /** Leaves written as integer class labels. */
  readonly labelLeaves = new Set<number>();
  /** Consumers of each node: (node, argument) pairs. */
  readonly consumers: { readonly node: Node; readonly argument: number }[][];
  /** Helper functions asked for, in the order first asked. */
  readonly helpers: string[] = [];
  /** The nodes the root depends on. */
  readonly onRoot: ReadonlySet<number>;
  readonly gradients: readonly GradientLeaf[];
  /** The user's name of each statement node (first definition). */
  readonly statementName = new Map<number, string>();
  private readonly exprMemo = new Map<number, Py>();
  /** Nodes of a second (third …) statement with a name already used. */
  private readonly redefinitions = new Set<number>();
  private readonly header: string[] = [];
  private readonly lines: StatementLines[] = [];
  private readonly textLines: readonly string[] | null;
  private readonly originLine: number;

  constructor(
    readonly block: ModelBlock,
    readonly dialect: Dialect,
    readonly options: ExportOptions,
  ) {
    if (block.errors.length > 0) {
      const listed = block.errors
        .slice(0, 5)
        .map((e) => `  line ${e.range.start.line + 1}: ${e.message}`)
        .join('\n');
      const more = block.errors.length > 5 ? `\n  … and ${block.errors.length - 5} more` : '';
      throw new ExportError(
        `The model block has ${block.errors.length} error${block.errors.length === 1 ? '' : 's'}; fix ${block.errors.length === 1 ? 'it' : 'them'} first, then export again:\n${listed}${more}`,
        'spec-errors',
        block.errors[0].range.start.line,
      );
    }
    if (block.statements.length === 0 || !block.root) {
      throw new ExportError(
        'The model block has no statements to export — write the model in it first (e.g. param W = randn(2, 3)).',
        'empty',
        block.range.start.line,
      );
    }
    this.nodes = block.graph.nodes;
    this.root = block.root;
    this.structure = analyze(block);
    this.textLines = options.text !== undefined ? options.text.split('\n') : null;
    this.originLine = options.origin?.line ?? 0;
    this.consumers = this.nodes.map(() => []);
    for (const n of this.nodes) {
      n.inputs.forEach((input, argument) => this.consumers[input.id].push({ node: n, argument }));
    }
    this.onRoot = new Set(block.graph.ancestors(block.root.node).map((n) => n.id));
    this.checkOps();
    this.findLabelLeaves();
    // The user's names first, in statement order, so no temporary takes one of them.
    const seen = new Set<number>();
    const defined = new Set<string>();
    for (const st of block.statements) {
      if (seen.has(st.node.id)) continue;
      seen.add(st.node.id);
      if (defined.has(st.name)) this.redefinitions.add(st.node.id);
      defined.add(st.name);
      this.vars.set(st.node.id, this.names.claim(st.name));
      this.statementName.set(st.node.id, st.name);
    }
    // Which leaves get a gradient: the engine's own answer, from backward at the root.
    block.graph.backward(block.root.node);
    this.gradients = this.nodes
      .filter(
        (n) =>
          n.op === 'leaf' &&
          n.requiresGrad &&
          n.grad !== null &&
          this.onRoot.has(n.id) &&
          this.statementName.has(n.id),
      )
      .map((n) => ({
        node: n,
        name: this.statementName.get(n.id)!,
        variable: this.vars.get(n.id)!,
      }));
    this.buildLines();
  }

  /** Every op node must have a rule, and every argument a known meaning. */
  private checkOps(): void {
    for (const n of this.nodes) {
      if (n.op === 'leaf') continue;
      const where = this.statementOfNode(n);
      const line = where ? where.range.start.line : null;
      const at = where
        ? ` (line ${where.range.start.line + 1}: ${where.name} = ${where.source})`
        : '';
      if (!(n.op in this.dialect.ops)) {
        throw new ExportError(
          `The op '${n.op}'${at} has no ${this.dialect.library} counterpart in the export, so the block cannot be exported as ${this.dialect.library} — rewrite that step with other ops, or export as ${this.dialect.target === 'numpy' ? 'PyTorch' : 'NumPy'}.`,
          'unsupported',
          line,
        );
      }
      const known = KNOWN_ATTRS[n.op] ?? [];
      for (const key of Object.keys(n.attrs)) {
        if (!known.includes(key)) {
          throw new ExportError(
            `The op '${n.op}'${at} has an argument '${key}' that the ${this.dialect.library} export does not know how to write — leave it out, or export the block another way.`,
            'unsupported',
            line,
          );
        }
      }
    }
  }

  /** The statement a node belongs to (defines or sits inside), for messages. */
  statementOfNode(n: Node): Statement | null {
    const i = this.structure.statementOf[n.id];
    return i === null || i === undefined ? null : this.block.statements[i];
  }

  /** Leaves used only as class labels, holding whole numbers: written as integers. */
  private findLabelLeaves(): void {
    for (const n of this.nodes) {
      if (n.op !== 'leaf' || n.value.size === 0 || !allIntegers(n.value)) continue;
      const uses = this.consumers[n.id];
      if (uses.length === 0 || n === this.root?.node) continue;
      if (uses.every((u) => isLabelUse(u.node, u.argument))) this.labelLeaves.add(n.id);
    }
  }

  /** The expression of a node in the forward pass: its variable, a literal, or its formula. */
  expr(n: Node): Py {
    const v = this.vars.get(n.id);
    if (v !== undefined) return atom(v);
    const memo = this.exprMemo.get(n.id);
    if (memo) return memo;
    const e =
      n.op === 'leaf'
        ? this.inlineScalar(n)
          ? pyScalar(n.value.data[0])
          : this.dialect.literal(n.value)
        : this.definition(n);
    this.exprMemo.set(n.id, e);
    return e;
  }

  /** An op node's formula from its operands' expressions (never its own variable). */
  definition(n: Node): Py {
    return this.dialect.ops[n.op](this.opContext(n));
  }

  /** A literal number inline as a Python float: only as an operand of arithmetic with a tensor. */
  private inlineScalar(n: Node): boolean {
    if (n.value.size !== 1 || n.value.shape.length !== 0) return false;
    return this.consumers[n.id].every(({ node, argument }) => {
      if (!ARITHMETIC.has(node.op)) return false;
      // Two plain numbers would make a Python number, not a tensor.
      const other = node.inputs[1 - argument];
      return other.value.shape.length > 0 || this.vars.has(other.id) || other.op !== 'leaf';
    });
  }

  opContext(n: Node): OpContext {
    const fail = (why: string): never => {
      const st = this.statementOfNode(n);
      throw new ExportError(
        `${st ? `line ${st.range.start.line + 1} (${st.name} = ${st.source}): ` : ''}${why}`,
        'unsupported',
        st ? st.range.start.line : null,
      );
    };
    return {
      node: n,
      args: n.inputs.map((i) => this.expr(i)),
      shapes: n.inputs.map((i) => i.value.shape),
      outShape: n.value.shape,
      labels: (i) => {
        const input = n.inputs[i];
        const e = this.expr(input);
        return this.labelLeaves.has(input.id) ? e : this.dialect.asLabels(e);
      },
      helper: (name) => this.helper(name),
      fail,
    };
  }

  helper(name: string): string {
    if (!this.helpers.includes(name)) this.helpers.push(name);
    return name;
  }

  // --- comments from the source text

  private sourceLine(line: number): string | null {
    if (!this.textLines) return null;
    const k = line - this.originLine;
    return k >= 0 && k < this.textLines.length ? this.textLines[k].replace(/\r$/, '') : null;
  }

  /** Comment lines (without `#`) between two source lines, exclusive, and whether a blank line is there. */
  private commentsBetween(from: number, to: number): { comments: string[]; blank: boolean } {
    const comments: string[] = [];
    let blank = false;
    for (let line = from; line < to; line++) {
      const text = this.sourceLine(line);
      if (text === null) continue;
      const m = /^\s*#\s?(.*)$/.exec(text);
      if (m) comments.push(m[1].trimEnd());
      else if (text.trim() === '') {
        blank = true;
        if (comments.length > 0) comments.push(''); // keeps paragraphs of comments apart
      }
    }
    while (comments.length > 0 && comments[comments.length - 1] === '') comments.pop();
    return { comments, blank };
  }

  private trailingComment(st: Statement): string | null {
    if (!this.textLines) return st.comment;
    const text = this.sourceLine(st.range.end.line);
    if (text === null) return st.comment;
    // A selection's first line starts at its origin's column, not at column 0.
    const shift = st.range.end.line === this.originLine ? (this.options.origin?.column ?? 0) : 0;
    const m = /^\s*#\s?(.*)$/.exec(text.slice(st.range.end.column - shift));
    return m ? m[1].trimEnd() : null;
  }

  /** The block's own lines of the source text (null without the text). */
  get blockText(): string | null {
    if (!this.textLines) return null;
    const lines: string[] = [];
    for (let line = this.block.range.start.line; line <= this.block.range.end.line; line++) {
      lines.push(this.sourceLine(line) ?? '');
    }
    return lines.join('\n');
  }

  /** Comment lines above the first statement (the block's title, usually). */
  get headerComments(): readonly string[] {
    return this.header;
  }

  get statementLines(): readonly StatementLines[] {
    return this.lines;
  }

  // --- the lines of each statement

  private buildLines(): void {
    const statements = this.block.statements;
    let previousEnd = this.block.range.start.line;
    const emitted = new Set<number>();
    statements.forEach((st, i) => {
      const around = this.textLines
        ? this.commentsBetween(previousEnd + (i === 0 ? 0 : 1), st.range.start.line)
        : { comments: [], blank: false };
      previousEnd = st.range.end.line;
      let before = around.comments;
      if (i === 0) {
        this.header.push(...before);
        before = [];
      }
      const trailing = this.trailingComment(st);
      const node = st.node;
      if (emitted.has(node.id)) {
        // The same tensor under a second name: a plain Python alias.
        const alias = this.names.claim(st.name);
        this.lines.push({
          statement: st,
          node,
          kind: 'alias',
          setup: [],
          line: {
            before,
            code: `${alias} = ${this.vars.get(node.id)}`,
            trailing,
            blank: around.blank,
          },
        });
        return;
      }
      emitted.add(node.id);
      const variable = this.vars.get(node.id)!;
      if (this.redefinitions.has(node.id)) {
        before = [
          ...before,
          `${st.name} again (defined a second time in the notes), here ${variable}`,
        ];
      }
      if (node.op === 'leaf') {
        const kind = this.leafKind(node, st);
        const value = this.dialect.leafValue(node.value, kind, '');
        const notes = this.initializerComment(st, node);
        this.lines.push({
          statement: st,
          node,
          kind: 'leaf',
          setup: [],
          line: {
            before: [...before, ...notes],
            code: `${variable} = ${value}`,
            trailing,
            blank: around.blank,
          },
        });
        return;
      }
      const setup = this.setupFor(node, variable);
      const rhs = this.definition(node);
      // Where the library's spelling departs from the notes' (the losses), the notes' line too.
      const rewritten = [node, ...(this.structure.interior.get(node.id) ?? [])].some((n) =>
        REWRITTEN.has(n.op),
      );
      const notes = `${st.name} = ${st.source.replace(/\s+/g, ' ')} in the notes`;
      this.lines.push({
        statement: st,
        node,
        kind: 'op',
        setup,
        line: {
          before: rewritten && trailing !== null ? [...before, notes] : before,
          code: `${variable} = ${rhs.code}`,
          trailing: rewritten && trailing === null ? notes : trailing,
          blank: around.blank,
        },
      });
    });
  }

  leafKind(node: Node, st: Statement | null): LeafKind {
    if (this.labelLeaves.has(node.id)) return 'labels';
    if (st?.role === 'param') return 'param';
    return node.requiresGrad ? 'grad' : 'const';
  }

  /**
   * Constants too large to inline, and unnamed subexpressions used twice, inside this statement:
   * defined before its line under names taken from the statement (`L_const`, `Z_part`).
   */
  private setupFor(top: Node, variable: string): { code: string; constant: boolean }[] {
    const out: { code: string; constant: boolean }[] = [];
    const inner = [...(this.structure.interior.get(top.id) ?? [])].sort((a, b) => a.id - b.id);
    const literals = (this.structure.frontierEdges.get(top.id) ?? [])
      .map((e) => e.to)
      .filter((n) => n.op === 'leaf' && !this.vars.has(n.id) && !this.statementName.has(n.id));
    const candidates = [...new Set([...literals, ...inner])].sort((a, b) => a.id - b.id);
    for (const n of candidates) {
      if (this.vars.has(n.id)) continue;
      if (n.op === 'leaf') {
        if (this.inlineScalar(n) || n.value.size <= 4) continue;
        const name = this.names.claim(`${variable}_const`);
        this.vars.set(n.id, name);
        out.push({
          code: `${name} = ${this.dialect.leafValue(n.value, 'const', '')}`,
          constant: true,
        });
      } else if (this.consumers[n.id].length > 1) {
        const rhs = this.definition(n);
        const name = this.names.claim(`${variable}_part`);
        this.vars.set(n.id, name);
        out.push({ code: `${name} = ${rhs.code}`, constant: false });
      }
    }
    return out;
  }

  /** For a leaf given by an initializer rather than numbers: what the notes wrote, and why values follow. */
  private initializerComment(st: Statement, node: Node): string[] {
    const source = st.source.trim().replace(/\s+/g, ' ');
    // The numbers themselves, bare or in np.array(…) / torch.tensor(…).
    const bare = /^(?:(?:np|numpy|torch)\.(?:array|asarray|tensor)\(([^()]*)\))$/.exec(source);
    if (/^[-+\s\d.eE[\](),]*$/.test(bare ? bare[1] : source)) return [];
    if (/^(?:np|numpy)\.random\./.test(source)) {
      return [
        `${st.name} = ${source} in the notes: NumPy's random numbers, written out so this program`,
        "computes the notes' own numbers.",
      ];
    }
    if (RANDOM.test(source)) {
      const fresh = /\brandn\b/.test(source)
        ? `torch.randn(${node.value.shape.join(', ')})`
        : /\brand\b/.test(source)
          ? `torch.rand(${node.value.shape.join(', ')})`
          : null;
      const suggestion =
        fresh && this.dialect.target === 'pytorch' ? `; ${fresh} would draw fresh ones` : '';
      return [
        `${st.name} = ${source} in the notes: random numbers from Backprop Notes' seeded generator,`,
        `written out so this program computes the notes' own numbers${suggestion}.`,
      ];
    }
    if (allEqual(node.value, 0) || allEqual(node.value, 1) || source.length > 70) return [];
    return [`${st.name} = ${source} in the notes`];
  }
}

const RANDOM = /\b(randn|rand|uniform|normal|xavier|he|random|standard_normal|random_sample)\s*\(/;

/** Ops the libraries spell differently from the notes: their statements carry the notes' line. */
const REWRITTEN = new Set(['cross_entropy', 'softmax_cross_entropy', 'mse', 'bce', 'one_hot']);

/** Ops whose operands may be plain Python numbers. */
const ARITHMETIC = new Set(['add', 'sub', 'mul', 'div', 'pow']);

/** Whether operand `argument` of `n` is read as class indices. */
export function isLabelUse(n: Node, argument: number): boolean {
  if (n.op === 'one_hot') return argument === 0;
  if (n.op === 'cross_entropy' || n.op === 'softmax_cross_entropy') {
    return argument === 1 && labelLayout(n) === 'index';
  }
  return false;
}

/** How the labels of a cross-entropy line up with its scores. */
export function labelLayout(n: Node): 'index' | 'dense' {
  const [p, y] = n.inputs.map((i) => i.value.shape);
  return p.length === y.length && p.every((d, k) => d === y[k]) ? 'dense' : 'index';
}

/** Rows a cross-entropy averages over (1 for a single row). */
export function labelRows(n: Node): number {
  const p = n.inputs[0].value.shape;
  return p.length === 2 ? p[0] : 1;
}

/** Classes of a cross-entropy (the scores' last size). */
export function labelClasses(n: Node): number {
  const p = n.inputs[0].value.shape;
  return p[p.length - 1];
}

// ---------------------------------------------------------------------------------------------
// Attributes, read as the engine reads them

/** The reduced axes of sum/mean/max, normalized and ascending (empty: reduces nothing). */
export function reducedAxes(shape: Shape, axis: AttrValue | undefined): number[] {
  const rank = shape.length;
  if (rank === 0) return [];
  if (axis === null || axis === undefined) return shape.map((_, a) => a);
  const given = typeof axis === 'number' ? [axis] : (axis as readonly number[]);
  return [...new Set(given.map((a) => normalizeAxis(a, rank) ?? a))].sort((x, y) => x - y);
}

/** The axis of softmax/log_softmax/logsumexp as written (default −1). */
export function laneAxis(attrs: Readonly<Record<string, AttrValue>>): number {
  const a = attrs.axis;
  return typeof a === 'number' ? a : -1;
}

/** The permutation of a transpose (reversed axes when none are given). */
export function permutationOf(shape: Shape, axes: AttrValue | undefined): number[] {
  const rank = shape.length;
  if (axes === null || axes === undefined)
    return Array.from({ length: rank }, (_, i) => rank - 1 - i);
  return (axes as readonly number[]).map((a) => normalizeAxis(a, rank) ?? a);
}

export function isIdentity(perm: readonly number[]): boolean {
  return perm.every((p, i) => p === i);
}

export function inverse(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Whether some slice of a max has its maximum more than once (then the tie-break matters). */
export function maxHasTies(n: Node): boolean {
  const x = n.inputs[0].value;
  const axes = reducedAxes(x.shape, n.attrs.axis);
  if (axes.length === 0) return false;
  const kept = x.shape.map((d, a) => (axes.includes(a) ? 1 : d));
  const index = broadcastIndex(kept, x.shape);
  const counts = new Int32Array(n.value.size);
  for (let i = 0; i < index.length; i++) {
    if (x.data[i] === n.value.data[index[i]]) counts[index[i]]++;
  }
  return counts.some((c) => c > 1);
}

// ---------------------------------------------------------------------------------------------
// Writing the program

/** The first paragraph of the block's header comments: the program's title. */
function titleLines(plan: ProgramPlan): string[] {
  const lines = plan.headerComments;
  const first = lines.findIndex((c) => c.trim() !== '');
  if (first < 0) return [];
  const end = lines.indexOf('', first);
  return lines.slice(first, end < 0 ? lines.length : end);
}

/** The program's header docstring. */
export function docstring(plan: ProgramPlan, summary: readonly string[]): string[] {
  const titled = titleLines(plan);
  const title =
    titled.length > 0
      ? titled
      : [
          `Model block ${plan.block.index + 1}${plan.options.source ? ` of ${plan.options.source}` : ''}`,
        ];
  const from = plan.options.source
    ? `${plan.options.source}${plan.block.index > 0 || plan.options.source.endsWith('.md') ? ` (block ${plan.block.index + 1})` : ''}`
    : `model block ${plan.block.index + 1}`;
  return [
    `"""${escapeDocstring(title[0])}`,
    ...title.slice(1).map(escapeDocstring),
    '',
    `Exported by Backprop Notes from ${escapeDocstring(from)}.`,
    '',
    ...summary.map(escapeDocstring),
    '"""',
  ];
}

function escapeDocstring(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"');
}

/** Lines with their comments: `# …` above, `  # …` after. */
export function renderLine(line: ProgramLine, indent = ''): string[] {
  const out: string[] = [];
  for (const c of line.before) out.push(c === '' ? `${indent}#` : `${indent}# ${c}`);
  const code = line.code
    .split('\n')
    .map((l) => indent + l)
    .join('\n');
  out.push(line.trailing ? `${code}  # ${line.trailing}` : code);
  return out;
}

/** A section title comment. */
export function section(title: string): string {
  return `# ${title}`;
}

/** The comment lines of the block's header after the title. */
export function headerRest(plan: ProgramPlan): string[] {
  const lines = [...plan.headerComments];
  const first = lines.findIndex((c) => c.trim() !== '');
  if (first >= 0) lines.splice(0, first + titleLines(plan).length);
  while (lines.length > 0 && lines[0] === '') lines.shift();
  return lines.map((c) => (c === '' ? '#' : `# ${c}`));
}

/** The tensors section: every leaf statement. */
export function tensorLines(plan: ProgramPlan): string[] {
  const out: string[] = [];
  for (const s of plan.statementLines) {
    if (s.kind !== 'leaf') continue;
    if (s.line.blank && out.length > 0 && out[out.length - 1] !== '') out.push('');
    out.push(...renderLine(s.line));
  }
  return out;
}

/** The forward section: every computed statement (and alias) in order, constants first. */
export function forwardLines(plan: ProgramPlan): string[] {
  const out: string[] = [];
  for (const s of plan.statementLines) {
    if (s.kind === 'leaf') continue;
    if (s.line.blank && out.length > 0 && out[out.length - 1] !== '') out.push('');
    out.push(...s.setup.map((x) => x.code));
    out.push(...renderLine(s.line));
  }
  return out;
}

/** `{"X": X.grad, …}` as a Python dict literal, over several lines when `indent` + it is long. */
export function dictLiteral(entries: readonly (readonly [string, string])[], indent = 12): string {
  if (entries.length === 0) return '{}';
  const items = entries.map(([k, v]) => `${JSON.stringify(k)}: ${v}`);
  const one = `{${items.join(', ')}}`;
  if (indent + one.length <= LINE_WIDTH) return one;
  return `{\n${items.map((i) => `    ${i},`).join('\n')}\n}`;
}
