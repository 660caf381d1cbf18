/**
 * The parser: one block's tokens → statements, each with its own first error.
 *
 * Statements are found first (a newline ends one unless brackets are open; `;` also ends one),
 * then each is parsed on its own. So a syntax error costs only its statement, and every
 * statement of a block gets a chance: several mistakes in one block are all reported.
 *
 * An unclosed bracket would otherwise swallow the rest of the block as continuation lines. When
 * brackets are open and the next line looks like the start of a new statement (`NAME =` or
 * `role NAME =`, not indented deeper than the current statement, and not closing brackets
 * itself), the current statement ends there and its bracket is reported as never closed.
 *
 * Dialects: `model` is the spec language. `python` reads a student's NumPy/PyTorch file: lines
 * that are not `NAME = expression` (imports, `def`, `return`, `print(...)`, `x += 1`,
 * `self.w = …`, loops) are skipped without an error. `import …` / `from … import …` lines are
 * skipped in both dialects.
 */
import {
  type AssignStatement,
  type BinaryOp,
  type Expr,
  type Keyword,
  type StatementAst,
  spanning,
} from './ast';
import { SpecFailure, type SpecErrorCode, didYouMean, nearest } from './errors';
import { type Token, type TokenKind, type Tokens, lex } from './lexer';
import { type ResolvedLimits, formatCount, limitFailure, resolveLimits } from './limits';
import type { Role, SourcePosition, SourceRange } from './model';

export type Dialect = 'model' | 'python';

export const ROLES: readonly Role[] = ['param', 'input', 'const', 'target', 'loss', 'output'];

/** Python keywords that begin a line the model language does not have. */
const PYTHON_STATEMENT_WORDS = new Set([
  'def',
  'class',
  'return',
  'for',
  'while',
  'if',
  'elif',
  'else',
  'try',
  'except',
  'finally',
  'with',
  'pass',
  'break',
  'continue',
  'raise',
  'assert',
  'global',
  'nonlocal',
  'del',
  'yield',
  'async',
  'await',
  'lambda',
]);

const COMPARISONS = new Set(['==', '!=', '<', '>', '<=', '>=']);
const AUGMENTED = new Set(['+=', '-=', '*=', '/=', '@=', '**=', '//=', '%=']);

const CLOSER: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };

/**
 * One statement's tokens: their numbers in the block's `Tokens` (newlines and comments inside
 * brackets left out). A `Token` object is made only for those the parser looks at, so a statement
 * refused after its first few hundred tokens (maxNesting) costs little for the rest.
 */
class StatementTokens {
  constructor(
    private readonly all: Tokens,
    private readonly numbers: readonly number[],
  ) {}

  get length(): number {
    return this.numbers.length;
  }

  /** The `i`th token of the statement, or undefined when `i` is outside it (also for -1). */
  at(i: number): Token | undefined {
    return i >= 0 && i < this.numbers.length ? this.all.token(this.numbers[i]) : undefined;
  }
}

/** One statement's tokens before parsing, with the comments around it. */
interface Logical {
  readonly tokens: StatementTokens;
  /** The last comment seen inside the statement (trailing if it is on the statement's last line). */
  readonly comment: Token | null;
  /** Comment lines directly above the statement (no blank line between), joined by newlines. */
  readonly preceding: string | null;
}

export interface ParsedBlock {
  readonly statements: StatementAst[];
}

/**
 * Parses one block whose text starts at `origin` in its file. Never throws. Expressions nested
 * deeper than `limits.maxNesting` are a `limit` error (limits.ts).
 */
export function parseBlock(
  text: string,
  origin: SourcePosition = { line: 0, column: 0 },
  dialect: Dialect = 'model',
  limits: ResolvedLimits = resolveLimits(),
): ParsedBlock {
  const tokens = lex(text, origin);
  const statements: StatementAst[] = [];
  for (const logical of splitStatements(tokens, dialect)) {
    const st = parseStatement(logical, text, dialect, limits);
    if (st) statements.push(st);
  }
  return { statements };
}

function splitStatements(tokens: Tokens, dialect: Dialect): Logical[] {
  const out: Logical[] = [];
  let cur: number[] = [];
  let stack = 0;
  let comment: Token | null = null;
  let preceding: string | null = null;
  let pending: string[] = [];
  let lineHasComment = false;

  const flush = (): void => {
    if (cur.length > 0) {
      out.push({ tokens: new StatementTokens(tokens, cur), comment, preceding });
    }
    cur = [];
    stack = 0;
    comment = null;
    preceding = null;
  };

  for (let k = 0; k < tokens.count; k++) {
    const kind = tokens.kind(k);
    if (kind === 'comment') {
      if (cur.length === 0) pending.push(tokens.text(k).slice(1).trim());
      else comment = tokens.token(k);
      lineHasComment = true;
      continue;
    }
    if (kind === 'newline') {
      if (cur.length === 0) {
        if (!lineHasComment) pending = [];
      } else if (stack === 0 || startsNewStatement(tokens, k + 1, cur[0], dialect)) {
        flush();
      }
      lineHasComment = false;
      continue;
    }
    if (stack === 0 && tokens.isOp(k, ';')) {
      flush();
      continue;
    }
    if (cur.length === 0) {
      preceding = pending.length > 0 ? pending.join('\n') : null;
      pending = [];
    }
    cur.push(k);
    if (kind === 'open') stack++;
    else if (kind === 'close' && stack > 0) stack--;
  }
  flush();
  return out;
}

/**
 * Inside open brackets: does the next non-blank line look like a new statement? `first` is the
 * number of the statement's first token.
 */
function startsNewStatement(tokens: Tokens, k: number, first: number, dialect: Dialect): boolean {
  const kindIs = (j: number, kind: TokenKind): boolean =>
    j < tokens.count && tokens.kind(j) === kind;
  while (kindIs(k, 'newline') || kindIs(k, 'comment')) k++;
  const line: number[] = [];
  for (; k < tokens.count && !kindIs(k, 'newline'); k++) {
    if (!kindIs(k, 'comment')) line.push(k);
  }
  if (
    line.length < 2 ||
    tokens.kind(line[0]) !== 'name' ||
    tokens.localColumn(line[0]) > tokens.localColumn(first)
  )
    return false;
  let balance = 0;
  for (const j of line) {
    if (tokens.kind(j) === 'open') balance++;
    else if (tokens.kind(j) === 'close') balance--;
    if (balance < 0) return false;
  }
  // `seed=1,` on its own line is a keyword argument: statements never end with a comma.
  if (tokens.isOp(line[line.length - 1], ',')) return false;
  if (tokens.isOp(line[1], '=')) return true;
  if (tokens.kind(line[1]) === 'name' && line.length > 2 && tokens.isOp(line[2], '=')) return true;
  const word = tokens.text(line[0]);
  return dialect === 'python' && (PYTHON_STATEMENT_WORDS.has(word) || word === 'import');
}

function parseStatement(
  logical: Logical,
  text: string,
  dialect: Dialect,
  limits: ResolvedLimits,
): StatementAst | null {
  const toks = logical.tokens;
  const t0 = toks.at(0)!;
  const t1 = toks.at(1);
  const t2 = toks.at(2);
  const isEq = (t: Token | undefined): boolean =>
    t !== undefined && t.kind === 'op' && t.text === '=';
  const last = toks.at(toks.length - 1)!;
  const range = spanning(t0.range, last.range);
  const comment =
    logical.comment && logical.comment.range.start.line === last.range.end.line
      ? logical.comment.text.slice(1).trim()
      : logical.preceding;
  const sourceFrom = (from: number): string =>
    from < toks.length ? text.slice(toks.at(from)!.start, last.end).replace(/\r/g, '') : '';

  if (t0.kind === 'name' && (t0.text === 'import' || t0.text === 'from') && !isEq(t1)) return null;
  if (t0.kind === 'op' && t0.text === '@' && dialect === 'python') return null; // a decorator
  if (t0.kind === 'name' && PYTHON_STATEMENT_WORDS.has(t0.text) && !isEq(t1)) {
    if (dialect === 'python') return null;
    return exprStatement(
      null,
      new SpecFailure(
        'unsupported',
        `'${t0.text}' is Python, not the model language — write one statement a line: [role] NAME = expression (functions, loops and conditions are not supported)`,
        t0.range,
      ),
    );
  }

  let role: string | null = null;
  let roleRange: SourceRange | null = null;
  let nameTok: Token | null = null;
  let rhs = 0;
  let headerError: SpecFailure | null = null;
  if (t0.kind === 'name' && isEq(t1)) {
    nameTok = t0;
    rhs = 2;
  } else if (t0.kind === 'name' && t1?.kind === 'name' && isEq(t2)) {
    role = t0.text;
    roleRange = t0.range;
    nameTok = t1;
    rhs = 3;
    if (!(ROLES as readonly string[]).includes(role)) headerError = unknownRole(t0);
  } else if (t0.kind === 'name' && (ROLES as readonly string[]).includes(t0.text)) {
    if (t1?.kind === 'name') {
      const after = t2 ?? t1;
      return {
        kind: 'assign',
        role: t0.text,
        roleRange: t0.range,
        name: t1.text,
        nameRange: t1.range,
        value: null,
        range,
        source: sourceFrom(2),
        comment,
        error: new SpecFailure(
          'syntax',
          `expected '=' after '${t0.text} ${t1.text}' — write ${t0.text} ${t1.text} = value`,
          after.range,
        ).error,
      };
    }
    if (t1 === undefined) {
      return exprStatement(
        null,
        new SpecFailure(
          'syntax',
          `'${t0.text}' is a role and needs a name and a value — write ${t0.text} NAME = value`,
          t0.range,
        ),
      );
    }
  }

  if (nameTok === null) {
    // A bare expression: `np.random.seed(0)`, or a mistake. Python skips what it cannot use.
    try {
      const parser = new ExprParser(toks, 0, limits);
      const value = parser.parseTopLevel(false);
      return exprStatement(value, null);
    } catch (e) {
      if (dialect === 'python') return null;
      return exprStatement(null, asFailure(e, last.range));
    }
  }

  let value: Expr | null = null;
  let error = headerError?.error ?? null;
  if (rhs >= toks.length) {
    error ??= new SpecFailure(
      'syntax',
      `'${nameTok.text} =' has no value — write an expression after '=', e.g. ${nameTok.text} = zeros(3)`,
      toks.at(rhs - 1)!.range,
    ).error;
  } else {
    try {
      value = new ExprParser(toks, rhs, limits).parseTopLevel(true);
    } catch (e) {
      error ??= asFailure(e, last.range).error;
      value = null;
    }
  }
  const statement: AssignStatement = {
    kind: 'assign',
    role,
    roleRange,
    name: nameTok.text,
    nameRange: nameTok.range,
    value: error ? null : value,
    range,
    source: sourceFrom(rhs),
    comment,
    error,
  };
  return statement;

  function exprStatement(value: Expr | null, failure: SpecFailure | null): StatementAst {
    return {
      kind: 'expr',
      value,
      range,
      source: sourceFrom(0),
      comment,
      error: failure?.error ?? null,
    };
  }
}

function unknownRole(t: Token): SpecFailure {
  const suggestion = nearest(t.text, ROLES);
  const roles = ROLES.join(', ');
  return new SpecFailure(
    'unknown-role',
    suggestion
      ? `unknown role '${t.text}'${didYouMean(suggestion)} A role is one of ${roles}.`
      : `'${t.text}' is not a role — a statement is [role] NAME = expression, with role one of ${roles} (or none)`,
    t.range,
    suggestion ?? undefined,
  );
}

function asFailure(e: unknown, fallback: SourceRange): SpecFailure {
  if (e instanceof SpecFailure) return e;
  // Anything else is a bug in the parser; still report it at the statement rather than crash.
  return new SpecFailure('syntax', `could not read this statement (${String(e)})`, fallback);
}

function where(t: Token): string {
  return `line ${t.range.start.line + 1}, column ${t.range.start.column + 1}`;
}

function describe(t: Token): string {
  if (t.kind === 'string') return 'a string';
  return `'${t.text}'`;
}

/** Recursive descent over one statement's tokens, with Python's precedence. */
class ExprParser {
  private nesting = 0;
  private readonly depthOf = new WeakMap<Expr, number>();

  constructor(
    private readonly toks: StatementTokens,
    private p: number,
    private readonly limits: ResolvedLimits,
  ) {}

  /** Parses an expression that must use up the rest of the statement. */
  parseTopLevel(isAssignment: boolean): Expr {
    const e = this.parseExpr();
    const t = this.peek();
    if (t) this.leftover(t, e, isAssignment);
    return e;
  }

  private peek(offset = 0): Token | undefined {
    return this.toks.at(this.p + offset);
  }

  private isOp(t: Token | undefined, ...ops: string[]): boolean {
    return t !== undefined && t.kind === 'op' && ops.includes(t.text);
  }

  private fail(code: SpecErrorCode, message: string, range: SourceRange): never {
    throw new SpecFailure(code, message, range);
  }

  private leftover(t: Token, before: Expr, isAssignment: boolean): never {
    if (t.kind === 'error')
      this.fail(
        t.code === 'literal' ? 'literal' : 'syntax',
        t.message ?? 'unexpected text',
        t.range,
      );
    if (this.isOp(t, '=')) {
      if (isAssignment)
        this.fail('syntax', "only one '=' a statement — define one name per line", t.range);
      this.fail(
        'statement',
        "the left side of '=' must be a single name, like W1 — write NAME = expression",
        t.range,
      );
    }
    if (t.kind === 'op' && COMPARISONS.has(t.text)) {
      this.fail(
        'unsupported',
        `comparison '${t.text}' is not part of the model language — compute with ops instead (max(0, x) is relu(x))`,
        t.range,
      );
    }
    if (t.kind === 'op' && AUGMENTED.has(t.text)) {
      this.fail(
        'unsupported',
        `'${t.text}' is not supported — write NAME = NAME ${t.text.slice(0, -1)} …`,
        t.range,
      );
    }
    if (this.isOp(t, ',')) {
      this.fail(
        'syntax',
        "unexpected ',' — a statement defines one value; for a vector write a list like [1, 2]",
        t.range,
      );
    }
    if (t.kind === 'close') this.unmatched(t);
    if (t.kind === 'name' || t.kind === 'number' || t.kind === 'open') {
      const left = this.toks.at(this.p - 1)!;
      this.fail(
        'syntax',
        `missing operator between '${left.text}' and '${t.text}' — write an operator like * or @ between them`,
        spanning(before.range, t.range),
      );
    }
    this.fail(
      'syntax',
      `unexpected ${t.kind === 'string' ? 'string' : describe(t)} after the expression — remove it or finish the expression`,
      t.range,
    );
  }

  private unmatched(t: Token): never {
    this.fail(
      'syntax',
      `unmatched '${t.text}' — remove it, or add the opening bracket it closes`,
      t.range,
    );
  }

  private enter(range: SourceRange): void {
    if (++this.nesting > this.limits.maxNesting) {
      throw limitFailure(
        'maxNesting',
        this.limits,
        `this expression nests brackets or signs ${formatCount(this.nesting)} levels deep`,
        'split it into several statements',
        range,
      );
    }
  }

  /** Records a node's depth and refuses trees so deep that evaluating them would overflow the stack. */
  private made<E extends Expr>(e: E, ...children: Expr[]): E {
    let d = 0;
    for (const c of children) d = Math.max(d, this.depthOf.get(c) ?? 1);
    if (d + 1 > this.limits.maxNesting) {
      throw limitFailure(
        'maxNesting',
        this.limits,
        `this expression is too long: its operations nest ${formatCount(d + 1)} levels deep`,
        'split it into several statements',
        e.range,
      );
    }
    this.depthOf.set(e, d + 1);
    return e;
  }

  private parseExpr(): Expr {
    return this.parseSum();
  }

  private parseSum(): Expr {
    let left = this.parseTerm();
    for (;;) {
      const t = this.peek();
      if (!this.isOp(t, '+', '-')) return left;
      this.p++;
      const right = this.parseTerm();
      left = this.binary(t!.text as BinaryOp, left, right, t!);
    }
  }

  private parseTerm(): Expr {
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      if (this.isOp(t, '//', '%')) {
        this.fail('unsupported', `'${t!.text}' is not supported — use '/' for division`, t!.range);
      }
      if (!this.isOp(t, '*', '/', '@')) return left;
      this.p++;
      const right = this.parseUnary();
      left = this.binary(t!.text as BinaryOp, left, right, t!);
    }
  }

  private binary(op: BinaryOp, left: Expr, right: Expr, t: Token): Expr {
    return this.made(
      {
        kind: 'binary',
        op,
        left,
        right,
        range: spanning(left.range, right.range),
        opRange: t.range,
      },
      left,
      right,
    );
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (this.isOp(t, '-', '+')) {
      this.p++;
      this.enter(t!.range);
      const operand = this.parseUnary();
      this.nesting--;
      return this.made(
        {
          kind: 'unary',
          op: t!.text as '-' | '+',
          operand,
          range: spanning(t!.range, operand.range),
        },
        operand,
      );
    }
    if (this.isOp(t, '~', '!')) {
      this.fail(
        'unsupported',
        `'${t!.text}' is not supported — for a negative write '-'`,
        t!.range,
      );
    }
    return this.parsePower();
  }

  private parsePower(): Expr {
    const base = this.parsePostfix();
    const t = this.peek();
    if (!this.isOp(t, '**')) return base;
    this.p++;
    this.enter(t!.range);
    // Right-associative, and the exponent may carry its own sign: 2 ** -1, a ** b ** c.
    const exponent = this.parseUnary();
    this.nesting--;
    return this.binary('**', base, exponent, t!);
  }

  private parsePostfix(): Expr {
    let e = this.parseAtom();
    for (;;) {
      const t = this.peek();
      if (this.isOp(t, '.')) {
        this.p++;
        const n = this.peek();
        if (!n || n.kind !== 'name') {
          this.fail(
            'syntax',
            "expected a name after '.', like x.T or x.sum(axis=0)",
            n?.range ?? t!.range,
          );
        }
        this.p++;
        e = this.made(
          {
            kind: 'attribute',
            object: e,
            name: n.text,
            nameRange: n.range,
            range: spanning(e.range, n.range),
          },
          e,
        );
      } else if (t?.kind === 'open' && t.text === '(') {
        e = this.parseCall(e, t);
      } else if (t?.kind === 'open' && t.text === '[') {
        this.p++;
        this.enter(t.range);
        const index = this.parseIndex(t);
        const close = this.expectClose(t, index.kind === 'tuple' ? 'an index' : 'an index');
        this.nesting--;
        e = this.made(
          { kind: 'index', object: e, index, range: spanning(e.range, close.range) },
          e,
          index,
        );
      } else {
        return e;
      }
    }
  }

  private parseIndex(open: Token): Expr {
    const items: Expr[] = [];
    for (;;) {
      const t = this.peek();
      if (this.isOp(t, ':')) {
        this.fail(
          'unsupported',
          "slices (':') are not supported — the model language works on whole tensors; compute on the whole tensor instead",
          t!.range,
        );
      }
      if (t?.kind === 'close') break;
      items.push(this.parseExpr());
      if (!this.isOp(this.peek(), ',')) break;
      this.p++;
    }
    if (items.length === 1) return items[0];
    const end = this.peek();
    return this.made(
      { kind: 'tuple', items, range: spanning(open.range, end?.range ?? open.range) },
      ...items,
    );
  }

  private parseCall(callee: Expr, open: Token): Expr {
    this.p++;
    this.enter(open.range);
    const args: Expr[] = [];
    const keywords: Keyword[] = [];
    for (;;) {
      const t = this.peek();
      if (t?.kind === 'close') break;
      if (this.isOp(t, '*', '**')) {
        this.fail(
          'unsupported',
          `'${t!.text}' unpacking is not supported — pass the arguments one by one`,
          t!.range,
        );
      }
      if (t?.kind === 'name' && this.isOp(this.peek(1), '=')) {
        this.p += 2;
        if (keywords.some((k) => k.name === t.text)) {
          this.fail('syntax', `keyword '${t.text}' is given twice — keep one`, t.range);
        }
        const value = this.parseExpr();
        keywords.push({
          name: t.text,
          nameRange: t.range,
          value,
          range: spanning(t.range, value.range),
        });
      } else {
        if (t === undefined) break;
        const value = this.parseExpr();
        if (keywords.length > 0) {
          this.fail(
            'syntax',
            'a positional argument after a keyword argument — put positional arguments first',
            value.range,
          );
        }
        args.push(value);
      }
      if (!this.isOp(this.peek(), ',')) break;
      this.p++;
    }
    const close = this.expectClose(open, 'an argument');
    this.nesting--;
    return this.made(
      { kind: 'call', callee, args, keywords, range: spanning(callee.range, close.range) },
      callee,
      ...args,
      ...keywords.map((k) => k.value),
    );
  }

  /** After the items of a bracket: the matching closer, or a message that says which bracket is open. */
  private expectClose(open: Token, what: string): Token {
    const want = CLOSER[open.text];
    const t = this.peek();
    if (t === undefined) {
      this.fail(
        'unclosed',
        `'${open.text}' at ${where(open)} is never closed — add the matching '${want}'`,
        open.range,
      );
    }
    if (t.kind === 'close') {
      if (t.text !== want) {
        this.fail(
          'syntax',
          `expected '${want}' to close the '${open.text}' at ${where(open)}, but found '${t.text}' — make the brackets match`,
          t.range,
        );
      }
      this.p++;
      return t;
    }
    if (t.kind === 'error')
      this.fail(
        t.code === 'literal' ? 'literal' : 'syntax',
        t.message ?? 'unexpected text',
        t.range,
      );
    const prev = this.toks.at(this.p - 1)!;
    if (t.kind === 'name' || t.kind === 'number' || t.kind === 'open') {
      this.fail(
        'syntax',
        `expected ',' or '${want}' after ${what}, found '${t.text}' — add a comma between '${prev.text}' and '${t.text}', or an operator`,
        t.range,
      );
    }
    if (this.isOp(t, '=')) {
      this.fail(
        'syntax',
        `unexpected '=' — keyword arguments are written name=value with a plain name before '='`,
        t.range,
      );
    }
    if (t.kind === 'op' && COMPARISONS.has(t.text)) {
      this.fail(
        'unsupported',
        `comparison '${t.text}' is not part of the model language — compute with ops instead`,
        t.range,
      );
    }
    this.fail(
      'syntax',
      `expected ',' or '${want}' after ${what}, found ${describe(t)} — add the missing ',' or '${want}'`,
      t.range,
    );
  }

  private parseAtom(): Expr {
    const t = this.peek();
    if (t === undefined) {
      const prev = this.toks.at(this.p - 1)!;
      this.fail(
        'syntax',
        `the statement ends after '${prev.text}' — add the missing value`,
        prev.range,
      );
    }
    switch (t.kind) {
      case 'number':
        this.p++;
        return this.made({ kind: 'number', value: t.value, range: t.range });
      case 'string':
        this.p++;
        return this.made({ kind: 'string', value: t.str ?? '', range: t.range });
      case 'error':
        this.fail(
          t.code === 'literal' ? 'literal' : 'syntax',
          t.message ?? 'unexpected text',
          t.range,
        );
      // falls through: fail never returns
      case 'name': {
        this.p++;
        if (t.text === 'True' || t.text === 'False')
          return this.made({ kind: 'constant', value: t.text === 'True', range: t.range });
        if (t.text === 'None') return this.made({ kind: 'constant', value: null, range: t.range });
        if (t.text === 'lambda' || t.text === 'not' || t.text === 'yield' || t.text === 'await') {
          this.fail(
            'unsupported',
            `'${t.text}' is not supported in the model language — write the computation as plain statements`,
            t.range,
          );
        }
        return this.made({ kind: 'name', name: t.text, range: t.range });
      }
      case 'open':
        return this.parseBracket(t);
      case 'close':
        this.unmatched(t);
      // falls through: unmatched never returns
      default: {
        const prev = this.toks.at(this.p - 1);
        const after = prev ? ` after '${prev.text}'` : '';
        this.fail(
          'syntax',
          `expected a value${after} but found '${t.text}' — write a number, a name, a list or a call here`,
          t.range,
        );
      }
    }
  }

  private parseBracket(open: Token): Expr {
    this.p++;
    this.enter(open.range);
    if (open.text === '{') {
      this.fail(
        'unsupported',
        "'{' (a dict or set) is not supported — use [ ] for lists",
        open.range,
      );
    }
    const items: Expr[] = [];
    let sawComma = false;
    for (;;) {
      const t = this.peek();
      if (t?.kind === 'close' || t === undefined) break;
      items.push(this.parseExpr());
      if (!this.isOp(this.peek(), ',')) break;
      sawComma = true;
      this.p++;
    }
    const close = this.expectClose(open, open.text === '[' ? 'a list item' : 'an expression');
    this.nesting--;
    const range = spanning(open.range, close.range);
    if (open.text === '[') return this.made({ kind: 'list', items, range }, ...items);
    if (items.length === 1 && !sawComma) {
      // A parenthesized expression: the same node, its range widened to the parentheses (a bare
      // name keeps its own range, so a quick fix replaces just the name).
      const inner = items[0];
      return inner.kind === 'name' ? inner : this.made({ ...inner, range }, inner);
    }
    return this.made({ kind: 'tuple', items, range }, ...items);
  }
}
