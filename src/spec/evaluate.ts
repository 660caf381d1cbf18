/**
 * The evaluator: parsed statements → an engine Graph, statement by statement, eagerly.
 *
 * What becomes what:
 * - A statement with a leaf role (`param`, `input`, `const`, `target`), or one that uses no other
 *   statement (`W = 0.1 * randn(2, 3)`, `X = [[1, 2]]`, `lr = 0.1`), is a value given directly:
 *   its right-hand side is computed once and becomes one named leaf. `param`, `input` and no
 *   role get a gradient; `const` and `target` do not.
 * - Any other statement adds op nodes; its top node gets the statement's name, intermediate
 *   subexpression nodes keep name null, and numbers or lists inside it become constant leaves
 *   (no gradient, no name).
 * - `A = W1` (an existing tensor as it is) makes no node: the statement shares W1's node.
 * - A plain number or list derived from another statement's shape (`N = X.shape[0]`) becomes a
 *   constant leaf: no gradient flows through a shape.
 * - `loss` must be a single value (a scalar, or any shape with one element).
 *
 * Errors: each statement either evaluates or records one error and leaves no nodes behind. A
 * later statement that uses a failed name is skipped silently (the failure was reported once);
 * independent statements after an error still evaluate. Redefining a name is allowed: the last
 * definition wins from there on.
 *
 * Random initializers without `seed=` draw from the block's stream once `np.random.seed(k)`
 * (NumPy's exact numbers) or `seed(k)` / `torch.manual_seed(k)` has run, and otherwise from a
 * stream seeded by the statement's name, so a note always shows the same numbers.
 *
 * Limits (limits.ts): no tensor over `maxElements` values is allocated, nor one that brings the
 * block's tensors over `maxTotalElements` values together; the matrix products of
 * the block together may not need more than `maxMultiplyAdds` multiply–adds, and a statement may
 * not sit at the end of a chain of more than `maxNesting` statements each computed from the one
 * before. Each is a `limit` error at the call, product or statement, before any work is done.
 */
import { Graph, type Node } from '../engine/graph';
import { type RandomSource, Xoshiro128, seedFromName } from '../engine/init';
import { type AttrValue, type Attrs, ShapeError } from '../engine/op';
import { getOp, hasOp } from '../engine/ops/index';
import { type Shape, Tensor, formatShape, sizeOf } from '../engine/tensor';
import type { BinaryOp, Expr, StatementAst } from './ast';
import {
  ATTRIBUTES,
  type Builtin,
  CONSTANTS,
  FUNCTIONS,
  IGNORED_KEYWORDS,
  METHODS,
  MODULES,
  bareFunctionNames,
  canonicalPath,
  namesInNamespace,
} from './builtins';
import { SkipStatement, SpecFailure, type SpecErrorCode, didYouMean, nearest } from './errors';
import {
  DEFAULT_LIMITS,
  type LimitOptions,
  type ResolvedLimits,
  formatCount,
  limitFailure,
  resolveLimits,
} from './limits';
import type { Role, SourceRange, SpecError, Statement } from './model';
import type { Dialect, ParsedBlock } from './parser';
import { type Arg, type Bound, type CallContext, type Value, describeValue } from './values';

export interface EvaluateOptions extends LimitOptions {
  readonly dialect: Dialect;
}

export interface EvaluatedBlock {
  readonly graph: Graph;
  readonly statements: Statement[];
  readonly errors: SpecError[];
  readonly root: Statement | null;
}

export const DEFAULT_MAX_ELEMENTS = DEFAULT_LIMITS.maxElements;

const OPERATOR_OPS: Readonly<Record<BinaryOp, string>> = {
  '+': 'add',
  '-': 'sub',
  '*': 'mul',
  '/': 'div',
  '**': 'pow',
  '@': 'matmul',
};

const LEAF_ROLES: ReadonlySet<string> = new Set(['param', 'input', 'const', 'target']);

/** In a Python file with no roles, the loss is the last scalar statement with one of these names. */
const PYTHON_LOSS_NAME = /^(loss|cost|l|j|total_loss|objective)$/i;

export function evaluateBlock(parsed: ParsedBlock, options: EvaluateOptions): EvaluatedBlock {
  return new Evaluator(parsed.statements, options).run();
}

class Evaluator {
  private readonly graph = new Graph();
  private readonly env = new Map<string, Node>();
  private readonly failed = new Set<string>();
  /** For each name, the indices of the statements that define it. */
  private readonly definitions = new Map<string, number[]>();
  private readonly statements: Statement[] = [];
  private readonly errors: SpecError[] = [];
  private readonly limits: ResolvedLimits;
  /** Multiply–adds of the matrix products evaluated so far (statements that failed excluded). */
  private work = 0;
  /** Values of the tensors created so far (statements that failed excluded). */
  private held = 0;
  /**
   * By node id, for statements' values: the longest chain of statements, each computed from the
   * one before, that ends there (1 for a statement that uses no other).
   */
  private readonly chain = new Map<number, number>();
  /** The longest chain among the names the statement being evaluated has used. */
  private usedChain = 0;

  private current = 0;
  private statementName = '';
  private statementRng: RandomSource | null = null;
  private blockRng: RandomSource | null = null;
  /** Whether the statement being evaluated has used another statement's value. */
  private usedNames = false;

  constructor(
    private readonly asts: readonly StatementAst[],
    private readonly options: EvaluateOptions,
  ) {
    this.limits = resolveLimits(options);
    asts.forEach((st, i) => {
      if (st.kind !== 'assign') return;
      const list = this.definitions.get(st.name) ?? [];
      list.push(i);
      this.definitions.set(st.name, list);
    });
  }

  run(): EvaluatedBlock {
    this.asts.forEach((st, i) => this.statement(st, i));
    return {
      graph: this.graph,
      statements: this.statements,
      errors: this.errors,
      root: this.root(),
    };
  }

  private root(): Statement | null {
    const last = (pred: (s: Statement) => boolean): Statement | undefined => {
      for (let i = this.statements.length - 1; i >= 0; i--) {
        if (pred(this.statements[i])) return this.statements[i];
      }
      return undefined;
    };
    return (
      last((s) => s.role === 'loss') ??
      last((s) => s.role === 'output') ??
      (this.options.dialect === 'python'
        ? last((s) => PYTHON_LOSS_NAME.test(s.name) && s.node.value.size === 1)
        : undefined) ??
      this.statements[this.statements.length - 1] ??
      null
    );
  }

  private statement(st: StatementAst, index: number): void {
    this.current = index;
    this.statementName = st.kind === 'assign' ? st.name : '';
    this.statementRng = null;
    this.usedNames = false;
    this.usedChain = 0;
    const before = this.graph.nodes.length;
    const workBefore = this.work;
    const heldBefore = this.held;
    try {
      if (st.error) {
        this.errors.push(st.error);
        if (st.kind === 'assign') this.failed.add(st.name);
        return;
      }
      if (st.kind === 'expr') {
        this.expressionStatement(st.value!, st.range);
        return;
      }
      const value = this.evaluate(st.value!);
      const node = this.define(st.name, st.role as Role | null, value, before, st.value!.range);
      this.chainTo(node, st.value!.range);
      this.statements.push({
        name: st.name,
        role: st.role as Role | null,
        node,
        range: st.range,
        nameRange: st.nameRange,
        source: st.source,
        comment: st.comment,
      });
      this.env.set(st.name, node);
      this.failed.delete(st.name);
    } catch (err) {
      // The statement leaves nothing behind: ids stay equal to positions in graph.nodes.
      this.graph.nodes.length = before;
      this.work = workBefore;
      this.held = heldBefore;
      if (err instanceof SpecFailure) {
        this.errors.push(err.error);
      } else if (!(err instanceof SkipStatement)) {
        this.errors.push({
          code: 'op',
          message: `could not evaluate this statement (${err instanceof Error ? err.message : String(err)}) — simplify it, and please report this`,
          range: st.range,
        });
      }
      if (st.kind === 'assign') this.failed.add(st.name);
    }
  }

  /** A bare expression may only be a seed call (`np.random.seed(0)`); Python skips any other. */
  private expressionStatement(value: Expr, range: SourceRange): void {
    if (value.kind === 'call') {
      const path = dottedPath(value.callee);
      const builtin = path ? this.builtinFor(path) : undefined;
      if (builtin?.seeds) {
        this.evaluate(value);
        return;
      }
    }
    if (this.options.dialect === 'python') return;
    throw new SpecFailure(
      'statement',
      'this line computes a value but gives it no name — write NAME = in front of it (or a role too: output Y = …)',
      range,
    );
  }

  /**
   * Records how long a chain of statements ends at `node`, refusing one longer than maxNesting:
   * the explainer walks such chains recursively, and no hand-written note comes near the limit.
   */
  private chainTo(node: Node, range: SourceRange): void {
    if (this.chain.has(node.id)) return; // `A = W1`: the same node, with W1's chain
    // A leaf (`param W = …`, `N = X.shape[0]`) has no edges back: a chain starts again there.
    const length = this.usedNames && node.op !== 'leaf' ? this.usedChain + 1 : 1;
    if (length > this.limits.maxNesting) {
      throw limitFailure(
        'maxNesting',
        this.limits,
        `this statement ends a chain of ${formatCount(length)} statements, each computed from the one before`,
        'compute it in fewer steps',
        range,
      );
    }
    this.chain.set(node.id, length);
  }

  private builtinFor(path: readonly string[]): Builtin | undefined {
    if (path.length === 1) return FUNCTIONS.get(path[0]);
    if (MODULES.has(path[0]) && !this.env.has(path[0]) && !this.failed.has(path[0])) {
      return FUNCTIONS.get(canonicalPath(path));
    }
    return undefined;
  }

  /** Turns a statement's value into its node (see the rules at the top of this file). */
  private define(
    name: string,
    role: Role | null,
    value: Value,
    before: number,
    rhs: SourceRange,
  ): Node {
    let node: Node;
    const given = (role !== null && LEAF_ROLES.has(role)) || !this.usedNames;
    if (!given && value.kind === 'tensor' && value.node.id < before) {
      node = value.node; // the same tensor under a second name
    } else if (!given && value.kind === 'tensor' && value.node.op !== 'leaf') {
      node = value.node;
      node.name = name;
    } else {
      const tensor = this.toTensor(value, `${name}'s value`);
      this.graph.nodes.length = before;
      const requiresGrad = given ? role !== 'const' && role !== 'target' : false;
      node = this.graph.leaf(tensor, { name, requiresGrad });
    }
    if (role === 'loss' && node.value.size !== 1) {
      throw new SpecFailure(
        'shape',
        `the loss must be a scalar, but ${name} has shape ${formatShape(node.value.shape)} — reduce it, e.g. loss ${name} = mean(…) or sum(…)`,
        rhs,
      );
    }
    return node;
  }

  // ---------------------------------------------------------------------------------------------
  // Expressions

  private evaluate(e: Expr): Value {
    switch (e.kind) {
      case 'number':
        return { kind: 'number', value: e.value, range: e.range };
      case 'string':
        return { kind: 'string', value: e.value, range: e.range };
      case 'constant':
        return e.value === null
          ? { kind: 'none', range: e.range }
          : { kind: 'bool', value: e.value, range: e.range };
      case 'name':
        return this.name(e.name, e.range);
      case 'list':
      case 'tuple':
        return {
          kind: 'seq',
          items: e.items.map((item) => this.evaluate(item)),
          tuple: e.kind === 'tuple',
          range: e.range,
        };
      case 'unary': {
        const v = this.evaluate(e.operand);
        if (e.op === '+') return { ...v, range: e.range };
        if (v.kind === 'number') return { kind: 'number', value: -v.value, range: e.range };
        return this.apply('neg', [this.toNode(v)], {}, e.range, '-');
      }
      case 'binary': {
        const l = this.evaluate(e.left);
        const r = this.evaluate(e.right);
        if (l.kind === 'number' && r.kind === 'number' && e.op !== '@') {
          return { kind: 'number', value: foldNumbers(e.op, l.value, r.value), range: e.range };
        }
        return this.apply(OPERATOR_OPS[e.op], [this.toNode(l), this.toNode(r)], {}, e.range, e.op);
      }
      case 'attribute':
        return this.attribute(e);
      case 'call':
        return this.call(e);
      case 'index':
        return this.index(e);
    }
  }

  private name(name: string, range: SourceRange): Value {
    if (this.failed.has(name)) throw new SkipStatement();
    const node = this.env.get(name);
    if (node) {
      this.usedNames = true;
      this.usedChain = Math.max(this.usedChain, this.chain.get(node.id) ?? 1);
      return { kind: 'tensor', node, range };
    }
    if (MODULES.has(name)) {
      throw new SpecFailure(
        'unknown-name',
        `'${name}' is a library — call one of its functions, like ${name}.exp(x)`,
        range,
      );
    }
    if (FUNCTIONS.has(name)) {
      throw new SpecFailure(
        'unknown-name',
        `'${name}' is a function — call it with its arguments: ${name}(…)`,
        range,
      );
    }
    const later = (this.definitions.get(name) ?? []).find((i) => i > this.current);
    if (later !== undefined) {
      const at = this.asts[later].range.start.line + 1;
      throw new SpecFailure(
        'used-before-defined',
        `'${name}' is used before it is defined (on line ${at}) — move that statement above this one`,
        range,
      );
    }
    const defined = [...this.env.keys()].reverse();
    const suggestion = nearest(name, defined);
    if (suggestion !== null) {
      throw new SpecFailure(
        'unknown-name',
        `unknown name '${name}'${didYouMean(suggestion)}`,
        range,
        suggestion,
      );
    }
    const fn = nearest(name, bareFunctionNames());
    const known =
      defined.length > 0
        ? ` The names defined so far: ${[...this.env.keys()].slice(0, 12).join(', ')}.`
        : '';
    throw new SpecFailure(
      'unknown-name',
      fn !== null
        ? `unknown name '${name}' — did you mean the function '${fn}'? Call it: ${fn}(…)`
        : `unknown name '${name}' — define it first, e.g. param ${name} = randn(2, 3).${known}`,
      range,
    );
  }

  private attribute(e: Extract<Expr, { kind: 'attribute' }>): Value {
    const path = dottedPath(e);
    if (path && MODULES.has(path[0]) && !this.env.has(path[0]) && !this.failed.has(path[0])) {
      const key = canonicalPath(path);
      const written = path.join('.');
      const constant = CONSTANTS.get(key);
      if (constant !== undefined) return { kind: 'number', value: constant, range: e.range };
      if (FUNCTIONS.has(key)) {
        throw new SpecFailure(
          'argument',
          `'${written}' is a function — call it with its arguments: ${written}(…)`,
          e.range,
        );
      }
      const suggestion = nearest(key, [...namesInNamespace(key), ...CONSTANTS.keys()]);
      throw new SpecFailure(
        'unknown-name',
        `unknown name '${written}'${didYouMean(suggestion)}`,
        e.nameRange,
      );
    }
    const obj = this.evaluate(e.object);
    switch (e.name) {
      case 'T':
        return this.apply('transpose', [this.toNode(obj)], { axes: null }, e.range, '.T');
      case 'shape': {
        const shape = this.toNode(obj).value.shape;
        return {
          kind: 'seq',
          tuple: true,
          items: shape.map((d) => ({ kind: 'number', value: d, range: e.range })),
          range: e.range,
        };
      }
      case 'ndim':
        return { kind: 'number', value: this.toNode(obj).value.shape.length, range: e.range };
      case 'size':
        return { kind: 'number', value: this.toNode(obj).value.size, range: e.range };
    }
    if (METHODS.has(e.name)) {
      throw new SpecFailure(
        'argument',
        `'.${e.name}' is a method — call it: .${e.name}(…)`,
        e.nameRange,
      );
    }
    const suggestion = nearest(e.name, [...ATTRIBUTES, ...METHODS.keys()]);
    throw new SpecFailure(
      'unknown-name',
      `a tensor has no attribute '.${e.name}'${didYouMean(suggestion)} Tensors have .T and .shape, and methods like .sum(), .mean(), .reshape(), .exp().`,
      e.nameRange,
    );
  }

  private index(e: Extract<Expr, { kind: 'index' }>): Value {
    const obj = this.evaluate(e.object);
    if (obj.kind !== 'seq') {
      throw new SpecFailure(
        'unsupported',
        'indexing a tensor (x[…]) is not supported — the model language works on whole tensors; to pick each sample’s class probability use cross_entropy(P, y)',
        e.range,
      );
    }
    const idx = this.evaluate(e.index);
    const n = obj.items.length;
    if (idx.kind !== 'number' || !Number.isInteger(idx.value) || idx.value < -n || idx.value >= n) {
      throw new SpecFailure(
        'argument',
        `the index must be a whole number from ${-n} to ${n - 1} — this ${obj.tuple ? 'tuple' : 'list'} has ${n} items`,
        e.index.range,
      );
    }
    return { ...obj.items[idx.value < 0 ? idx.value + n : idx.value], range: e.range };
  }

  private call(e: Extract<Expr, { kind: 'call' }>): Value {
    const callee = e.callee;
    const path = dottedPath(callee);
    if (path && path.length === 1) {
      const name = path[0];
      const builtin = FUNCTIONS.get(name);
      if (builtin) return this.invoke(builtin, name, e, null);
      if (this.failed.has(name)) throw new SkipStatement();
      if (this.env.has(name)) {
        throw new SpecFailure(
          'argument',
          `'${name}' is a tensor, not a function — remove the parentheses, or use an operator like * or @`,
          callee.range,
        );
      }
      const suggestion = nearest(name, bareFunctionNames());
      throw new SpecFailure(
        'unknown-function',
        suggestion
          ? `unknown function '${name}'${didYouMean(suggestion)}`
          : `unknown function '${name}' — the model language has ops like matmul, relu, sigmoid, softmax, sum, mean and initializers like zeros, randn, xavier`,
        callee.range,
      );
    }
    if (path && MODULES.has(path[0]) && !this.env.has(path[0]) && !this.failed.has(path[0])) {
      const key = canonicalPath(path);
      const written = path.join('.');
      const builtin = FUNCTIONS.get(key);
      if (builtin) return this.invoke(builtin, written, e, null);
      const suggestion = nearest(key, namesInNamespace(key));
      throw new SpecFailure(
        'unknown-function',
        suggestion
          ? `unknown function '${written}'${didYouMean(suggestion)}`
          : `unknown function '${written}' — it is not one the model language understands; write it with the ops (matmul, relu, softmax, sum …)`,
        callee.range,
      );
    }
    if (callee.kind === 'attribute') {
      const receiver = this.evaluate(callee.object);
      const method = METHODS.get(callee.name);
      if (!method) {
        const suggestion = nearest(callee.name, [...METHODS.keys()]);
        throw new SpecFailure(
          'unknown-function',
          `a tensor has no method '.${callee.name}'${didYouMean(suggestion)} Methods: .sum() .mean() .max() .reshape() .transpose() .exp() .log() …`,
          callee.nameRange,
        );
      }
      return this.invoke(method, `.${callee.name}`, e, {
        value: receiver,
        range: callee.object.range,
      });
    }
    throw new SpecFailure(
      'unsupported',
      'only functions can be called — use an operator like * or @ between values',
      callee.range,
    );
  }

  /** Matches arguments to parameters (before evaluating any), evaluates them, and runs the builtin. */
  private invoke(
    b: Builtin,
    name: string,
    e: Extract<Expr, { kind: 'call' }>,
    receiver: Arg | null,
  ): Value {
    const params = b.params;
    const slots = new Map<string, (Expr | Arg)[]>();
    let pi = 0;
    if (receiver) {
      slots.set(params[0].name, [receiver]);
      pi = 1;
    }
    const own = params.slice(receiver ? 1 : 0);
    const positional = own.filter((p) => !p.keywordOnly && !p.rest);
    const signature = own
      .filter((p) => !p.keywordOnly)
      .map((p) => (p.rest ? `${p.name}…` : p.optional ? `${p.name}?` : p.name))
      .join(', ');
    e.args.forEach((arg, k) => {
      while (pi < params.length && params[pi].keywordOnly) pi++;
      const p = params[pi];
      if (p === undefined) {
        const extra = e.args.slice(k);
        throw new SpecFailure(
          'arity',
          `${name} takes ${positional.length} argument${positional.length === 1 ? '' : 's'} (${signature}), got ${e.args.length} — remove the extra one${extra.length === 1 ? '' : 's'}`,
          { start: extra[0].range.start, end: extra[extra.length - 1].range.end },
        );
      }
      if (p.rest) {
        slots.set(p.name, [...(slots.get(p.name) ?? []), arg]);
      } else {
        slots.set(p.name, [arg]);
        pi++;
      }
    });
    for (const kw of e.keywords) {
      if (IGNORED_KEYWORDS.has(kw.name)) continue;
      const p = own.find((q) => q.name === kw.name || (q.aliases ?? []).includes(kw.name));
      if (!p) {
        const names = own.flatMap((q) => [q.name, ...(q.aliases ?? [])]);
        const suggestion = nearest(kw.name, names);
        const listed = own.map((q) => q.name).join(', ');
        throw new SpecFailure(
          'argument',
          `${name} has no keyword '${kw.name}'${didYouMean(suggestion)}${listed ? ` Its arguments: ${listed}.` : ' It takes no keywords.'}`,
          kw.nameRange,
        );
      }
      if ((slots.get(p.name) ?? []).length > 0) {
        throw new SpecFailure(
          'arity',
          `${name} got '${p.name}' twice (by position and by keyword) — keep one`,
          kw.range,
        );
      }
      slots.set(p.name, [kw.value]);
    }
    const missing = own.filter((p) => !p.optional && !p.rest && !slots.has(p.name));
    if (missing.length > 0) {
      const given = e.args.length + e.keywords.length;
      throw new SpecFailure(
        'arity',
        `${name} needs ${positional.length} argument${positional.length === 1 ? '' : 's'} (${signature}), got ${given} — add ${missing.map((p) => p.name).join(' and ')}`,
        e.range,
      );
    }

    // Evaluate in the order written.
    const evaluated = new Map<Expr | Arg, Arg>();
    const order: (Expr | Arg)[] = [
      ...(receiver ? [receiver] : []),
      ...e.args,
      ...e.keywords.filter((k) => !IGNORED_KEYWORDS.has(k.name)).map((k) => k.value),
    ];
    for (const item of order) {
      evaluated.set(item, isArg(item) ? item : { value: this.evaluate(item), range: item.range });
    }
    const bound: Bound = {
      one: (n) => {
        const s = slots.get(n);
        return s && s.length > 0 ? evaluated.get(s[0]) : undefined;
      },
      all: (n) => (slots.get(n) ?? []).map((s) => evaluated.get(s)!),
    };
    return b.impl(bound, this.context(name, e.range));
  }

  private context(name: string, range: SourceRange): CallContext {
    const fail = (code: SpecErrorCode, message: string, at: SourceRange = range): never => {
      throw new SpecFailure(code, message, at);
    };
    const num = (a: Arg, what: string): number => {
      const v = a.value;
      if (v.kind === 'number') return v.value;
      if (v.kind === 'tensor' && v.node.value.size === 1) return v.node.value.data[0];
      return fail(
        'argument',
        `${name}: ${what} must be a number, but this is ${describeValue(v)} — write a number here`,
        a.range,
      );
    };
    const int = (a: Arg, what: string, min = 0): number => {
      const n = num(a, what);
      if (!Number.isInteger(n) || n < min) {
        fail(
          'argument',
          `${name}: ${what} must be a whole number${Number.isFinite(min) ? ` ≥ ${min}` : ''}, got ${n} — change it to one`,
          a.range,
        );
      }
      return n;
    };
    return {
      name,
      range,
      fail,
      num,
      int,
      node: (a) => this.toNode(a.value),
      bool: (a, what) => {
        const v = a.value;
        if (v.kind === 'bool') return v.value;
        if (v.kind === 'number' && (v.value === 0 || v.value === 1)) return v.value === 1;
        return fail(
          'argument',
          `${name}: ${what} must be True or False, but this is ${describeValue(v)} — write True or False`,
          a.range,
        );
      },
      axis: (a, fallback): AttrValue => {
        if (!a) return fallback;
        const v = a.value;
        if (v.kind === 'none') return null;
        if (v.kind === 'number') return int(a, 'the axis', -Infinity);
        if (v.kind === 'seq')
          return v.items.map((item) =>
            int({ value: item, range: item.range }, 'each axis', -Infinity),
          );
        return fail(
          'argument',
          `${name}: the axis must be a whole number, a tuple of them, or None — this is ${describeValue(v)}`,
          a.range,
        );
      },
      shape: (args, what = 'the shape') => {
        // Only a shape to create must be ≥ 0; a new shape may hold -1, axes may count from the end.
        const min = what === 'the shape' ? 0 : -Infinity;
        const first = args.length === 1 ? args[0].value : null;
        if (first?.kind === 'seq') {
          return first.items.map((item) =>
            int({ value: item, range: item.range }, `each size of ${what}`, min),
          );
        }
        return args.map((a) => int(a, `each size of ${what}`, min));
      },
      apply: (op, inputs, attrs = {}) => this.apply(op, inputs, attrs, range, name),
      create: (shape, make) => {
        this.checkSize(shape, name, range);
        const node = this.graph.leaf(make(), { requiresGrad: false });
        return { kind: 'tensor', node, range };
      },
      rng: (seed) => {
        if (seed && seed.value.kind !== 'none') return new Xoshiro128(int(seed, 'the seed'));
        if (this.blockRng) return this.blockRng;
        this.statementRng ??= new Xoshiro128(seedFromName(this.statementName));
        return this.statementRng;
      },
      setBlockRng: (rng) => {
        this.blockRng = rng;
      },
    };
  }

  private checkSize(shape: Shape, what: string, range: SourceRange): void {
    const size = sizeOf(shape);
    if (!(size <= this.limits.maxElements)) {
      throw limitFailure(
        'maxElements',
        this.limits,
        `${what}: a tensor of shape ${formatShape(shape)} would hold ${formatCount(size)} values`,
        'use smaller sizes',
        range,
      );
    }
    const total = this.held + size;
    if (!(total <= this.limits.maxTotalElements)) {
      throw limitFailure(
        'maxTotalElements',
        this.limits,
        `${what}: a tensor of shape ${formatShape(shape)} (${formatCount(size)} values) would bring the block's tensors to ${formatCount(total)} values`,
        'use smaller sizes or fewer tensors',
        range,
      );
    }
    this.held = total;
  }

  /** Counts a matrix product's multiply–adds against the block's budget, before running it. */
  private checkWork(work: number, operands: readonly Shape[], range: SourceRange): void {
    const total = this.work + work;
    if (!(total <= this.limits.maxMultiplyAdds)) {
      const product = `(${formatShape(operands[0])}) @ (${formatShape(operands[1])}) needs ${formatCount(work)} multiply–adds`;
      throw this.work === 0 || !(work <= this.limits.maxMultiplyAdds)
        ? limitFailure('maxMultiplyAdds', this.limits, product, 'use smaller sizes', range)
        : limitFailure(
            'maxMultiplyAdds',
            this.limits,
            `${product}, which brings the block's matrix products to ${formatCount(total)}`,
            'use smaller sizes or fewer products',
            range,
          );
    }
    this.work = total;
  }

  /** Adds an op node, translating the engine's errors into errors at `range`. */
  private apply(
    op: string,
    inputs: readonly Node[],
    attrs: Attrs,
    range: SourceRange,
    written: string,
  ): Value {
    if (!hasOp(op)) {
      throw new SpecFailure(
        'unsupported',
        `${written}: the op '${op}' is not available in this build — rewrite this step with other ops`,
        range,
      );
    }
    const shapes = inputs.map((n) => n.value.shape);
    let outShape: Shape;
    try {
      outShape = getOp(op).inferShape(shapes, attrs);
    } catch (err) {
      throw this.opFailure(err, op, range);
    }
    this.checkSize(outShape, written, range);
    if (op === 'matmul' && shapes[0].length > 0) {
      this.checkWork(sizeOf(outShape) * shapes[0][shapes[0].length - 1], shapes, range);
    }
    try {
      return { kind: 'tensor', node: this.graph.apply(op, inputs, attrs), range };
    } catch (err) {
      throw this.opFailure(err, op, range);
    }
  }

  private opFailure(err: unknown, op: string, range: SourceRange): SpecFailure {
    const message = err instanceof Error ? err.message : String(err);
    // The loss ops throw LabelError (a ShapeError) for labels out of range or not whole numbers.
    if (err instanceof Error && err.name === 'LabelError') {
      return new SpecFailure('label', withHint(message, op), range);
    }
    if (err instanceof ShapeError) return new SpecFailure('shape', withHint(message, op), range);
    return new SpecFailure('op', withHint(message, op), range);
  }

  // ---------------------------------------------------------------------------------------------
  // Values → tensors

  private toNode(v: Value): Node {
    if (v.kind === 'tensor') return v.node;
    return this.graph.leaf(this.toTensor(v, 'this value'), { requiresGrad: false });
  }

  private toTensor(v: Value, what: string): Tensor {
    switch (v.kind) {
      case 'tensor':
        return v.node.value;
      case 'number':
        return Tensor.scalar(v.value);
      case 'seq':
        return literal(v);
      case 'bool':
        throw new SpecFailure(
          'argument',
          `${what} is a boolean, not a number — write 1.0 or 0.0`,
          v.range,
        );
      case 'none':
        throw new SpecFailure(
          'argument',
          `${what} is None, not a number — write a number, a list or a call like zeros(3)`,
          v.range,
        );
      case 'string':
        throw new SpecFailure(
          'argument',
          `${what} is a string, not a number — remove the quotes`,
          v.range,
        );
    }
  }
}

function isArg(x: Expr | Arg): x is Arg {
  return 'value' in x && 'range' in x && !('kind' in x);
}

function foldNumbers(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '**':
      return a ** b;
    case '@':
      return a * b;
  }
}

/** `np.random.randn` → ['np', 'random', 'randn']; null when the callee is not a chain of names. */
function dottedPath(e: Expr): string[] | null {
  if (e.kind === 'name') return [e.name];
  if (e.kind === 'attribute') {
    const base = dottedPath(e.object);
    return base ? [...base, e.name] : null;
  }
  return null;
}

/** A nested list of numbers → tensor, with the row that breaks the shape pointed at. */
function literal(v: Extract<Value, { kind: 'seq' }>): Tensor {
  const shape: number[] = [];
  let probe: Value = v;
  while (probe.kind === 'seq') {
    shape.push(probe.items.length);
    if (probe.items.length === 0) break;
    probe = probe.items[0];
  }
  const data = new Float64Array(sizeOf(shape));
  let k = 0;
  const walk = (item: Value, depth: number): void => {
    if (depth === shape.length) {
      if (item.kind === 'number') {
        data[k++] = item.value;
        return;
      }
      if (item.kind === 'seq') {
        throw new SpecFailure(
          'literal',
          'ragged list: this item is a list where a number is expected — give every row the same depth',
          item.range,
        );
      }
      throw new SpecFailure(
        'literal',
        `a list holds numbers only, but this item is ${describeValue(item)} — lists are constants; combine tensors with ops instead`,
        item.range,
      );
    }
    if (item.kind !== 'seq') {
      throw new SpecFailure(
        'literal',
        `ragged list: this item is ${describeValue(item)} where a row of ${shape[depth]} is expected — give every row the same length`,
        item.range,
      );
    }
    if (item.items.length !== shape[depth]) {
      throw new SpecFailure(
        'literal',
        `ragged list: this row has ${item.items.length} item${item.items.length === 1 ? '' : 's'} but the first has ${shape[depth]} — give every row the same length`,
        item.range,
      );
    }
    for (const child of item.items) walk(child, depth + 1);
  };
  walk(v, 0);
  return new Tensor(shape, data);
}

/** Ensures an engine message also says what to do. */
function withHint(message: string, op: string): string {
  if (message.includes(' — ')) return message;
  if (op === 'matmul' && /inner sizes/.test(message)) {
    return `${message} — the left side's last size must equal the right side's first; check the shapes, or transpose one side with .T`;
  }
  if (/label/i.test(message)) return `${message} — fix that label`;
  return `${message} — check the shapes and values of the operands`;
}
