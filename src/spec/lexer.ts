/**
 * The lexer: one block's text → tokens with ranges in the coordinates of the whole file.
 *
 * A block's text starts at `origin` in its file (for a Markdown fence, the line after the
 * opening fence, column 0). Every token has its range in file coordinates and its local column
 * (for the layout heuristics of the parser). The lexer never throws: what it cannot read becomes
 * an `error` token carrying the message, and the parser reports it with its statement.
 *
 * The tokens are stored as columns of numbers (`Tokens`), and a `Token` object is made only for
 * a token the parser looks at. A deep expression on one line (100,000 nested brackets, 200,000
 * tokens) is refused by the parser after a few hundred tokens (limits.ts, maxNesting), but all
 * of its tokens are read first to find where its statement ends; as objects they cost as much in
 * garbage collection as the lexing itself, and the refusal took over 100 ms.
 *
 * Newlines are tokens; the parser decides which ones end a statement (not those inside
 * brackets). A backslash at the end of a line joins it to the next and produces no token.
 * Python's string literals are read (including triple-quoted ones spanning lines), so the
 * docstrings and `dtype='float64'` of a student's file do not derail the lines after them.
 */
import type { SourcePosition, SourceRange } from './model';
import type { SpecErrorCode } from './errors';

export type TokenKind =
  'name' | 'number' | 'string' | 'op' | 'open' | 'close' | 'newline' | 'comment' | 'error';

/**
 * One token, as the parser sees it (made by `Tokens.token`). Its range in file coordinates is
 * computed when first asked for and then cached, so every reader gets the same object.
 */
export class Token {
  private cachedRange: SourceRange | undefined = undefined;

  constructor(
    readonly kind: TokenKind,
    /** The token's text as written (for a comment, including the `#`). */
    readonly text: string,
    /** Offsets into the block text. */
    readonly start: number,
    readonly end: number,
    /** 0-based line within the block, and the column within that line (before the origin shift). */
    readonly localLine: number,
    readonly localColumn: number,
    /** Where the block starts in its file (shared by all the block's tokens). */
    private readonly origin: SourcePosition,
    /** For `number`: its value; for every other kind NaN (a string's contents are in `str`). */
    readonly value: number,
    /** For `string`: the decoded contents. */
    readonly str: string | undefined,
    /** For `error`: what is wrong and what to do. */
    readonly message: string | undefined,
    readonly code: SpecErrorCode | undefined,
  ) {}

  /** In file coordinates. The end follows the token's own text, which may span lines (strings). */
  get range(): SourceRange {
    if (this.cachedRange === undefined) {
      const { origin, text, localLine, localColumn } = this;
      const lastBreak = text.lastIndexOf('\n');
      let endLine = localLine;
      let endColumn = localColumn + text.length;
      if (lastBreak >= 0) {
        for (let k = 0; k <= lastBreak; k++) if (text.charCodeAt(k) === 10) endLine++;
        endColumn = text.length - lastBreak - 1;
      }
      // Only the block's first line is shifted by the origin's column (a selection's start).
      const shift = (line: number): number => (line === 0 ? origin.column : 0);
      this.cachedRange = {
        start: { line: origin.line + localLine, column: localColumn + shift(localLine) },
        end: { line: origin.line + endLine, column: endColumn + shift(endLine) },
      };
    }
    return this.cachedRange;
  }
}

const KINDS: readonly TokenKind[] = [
  'name',
  'number',
  'string',
  'op',
  'open',
  'close',
  'newline',
  'comment',
  'error',
];
const KIND_CODE = new Map(KINDS.map((kind, code) => [kind, code]));

/** What only a string or an error token has. */
interface Extra {
  readonly str?: string;
  readonly message?: string;
  readonly code?: SpecErrorCode;
}

/**
 * A block's tokens, numbered from 0 in text order. Kind, offsets, line and column are kept in
 * typed arrays (no object per token, so no garbage-collection cost for a huge line); the text of
 * a token is sliced from the block, a number's value parsed from it, and `token(k)` makes the
 * full `Token` (once: later calls return the same object).
 */
export class Tokens {
  /** How many tokens there are. */
  count = 0;
  private kinds: Uint8Array;
  private starts: Int32Array;
  private ends: Int32Array;
  private lines: Int32Array;
  private columns: Int32Array;
  /** Decoded strings and error messages, by token number (few tokens have them). */
  private readonly extras = new Map<number, Extra>();
  private readonly made = new Map<number, Token>();

  constructor(
    /** The block's text. */
    readonly source: string,
    readonly origin: SourcePosition,
  ) {
    // Grown by doubling; a token is at least one character, so the text's length is a bound.
    const capacity = Math.max(16, Math.min(source.length, 1024));
    this.kinds = new Uint8Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.lines = new Int32Array(capacity);
    this.columns = new Int32Array(capacity);
  }

  /** Appends a token (the lexer's only way in). */
  add(kind: TokenKind, start: number, end: number, line: number, column: number, extra?: Extra) {
    if (this.count === this.kinds.length) this.grow();
    const k = this.count++;
    this.kinds[k] = KIND_CODE.get(kind)!;
    this.starts[k] = start;
    this.ends[k] = end;
    this.lines[k] = line;
    this.columns[k] = column;
    if (extra !== undefined) this.extras.set(k, extra);
  }

  kind(k: number): TokenKind {
    return KINDS[this.kinds[k]];
  }

  start(k: number): number {
    return this.starts[k];
  }

  end(k: number): number {
    return this.ends[k];
  }

  /** The column within its line in the block (before the origin shift). */
  localColumn(k: number): number {
    return this.columns[k];
  }

  text(k: number): string {
    return this.source.slice(this.starts[k], this.ends[k]);
  }

  /** Is token `k` the operator `op`? (Without slicing its text.) */
  isOp(k: number, op: string): boolean {
    return (
      this.kinds[k] === OP_CODE &&
      this.ends[k] - this.starts[k] === op.length &&
      this.source.startsWith(op, this.starts[k])
    );
  }

  /** The full token `k` (0 ≤ k < count), made on first use. */
  token(k: number): Token {
    let t = this.made.get(k);
    if (t === undefined) {
      const kind = this.kind(k);
      const text = this.text(k);
      const extra = this.extras.get(k);
      t = new Token(
        kind,
        text,
        this.starts[k],
        this.ends[k],
        this.lines[k],
        this.columns[k],
        this.origin,
        kind === 'number' ? Number(text.replace(/_/g, '')) : NaN,
        extra?.str,
        extra?.message,
        extra?.code,
      );
      this.made.set(k, t);
    }
    return t;
  }

  private grow(): void {
    const size = this.kinds.length * 2;
    const bigger = <A extends Uint8Array | Int32Array>(a: A, make: new (n: number) => A): A => {
      const b = new make(size);
      b.set(a);
      return b;
    };
    this.kinds = bigger(this.kinds, Uint8Array);
    this.starts = bigger(this.starts, Int32Array);
    this.ends = bigger(this.ends, Int32Array);
    this.lines = bigger(this.lines, Int32Array);
    this.columns = bigger(this.columns, Int32Array);
  }
}

const OP_CODE = KIND_CODE.get('op')!;

const OPERATORS = [
  '**=',
  '//=',
  '...',
  '**',
  '//',
  '==',
  '!=',
  '<=',
  '>=',
  '->',
  '+=',
  '-=',
  '*=',
  '/=',
  '@=',
  '%=',
  ':=',
  '<<',
  '>>',
  '+',
  '-',
  '*',
  '/',
  '@',
  '%',
  '=',
  ',',
  '.',
  ':',
  ';',
  '<',
  '>',
  '~',
  '&',
  '|',
  '^',
  '!',
];

/** The operators by their first character, longest first, so the lexer tries only a few. */
const OPERATORS_BY_FIRST = new Map<number, string[]>();
for (const op of OPERATORS) {
  const first = op.charCodeAt(0);
  OPERATORS_BY_FIRST.set(first, [...(OPERATORS_BY_FIRST.get(first) ?? []), op]);
}

/** The longest operator starting at `i`, or undefined. */
function operatorAt(text: string, i: number): string | undefined {
  const candidates = OPERATORS_BY_FIRST.get(text.charCodeAt(i));
  if (candidates === undefined) return undefined;
  for (const op of candidates) if (text.startsWith(op, i)) return op;
  return undefined;
}

const NAME = /[\p{L}\p{Nl}_][\p{L}\p{N}\p{Mn}\p{Mc}_]*/uy;
/** A number's maximal run: digits, letters, dots, underscores, and a sign right after an exponent. */
const NUMBER_RUN = /(?:\d|\.\d)(?:[\p{L}\p{N}_.]|(?<=\d[eE])[+-])*/uy;
const VALID_NUMBER =
  /^(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const STRING_PREFIX = /^(?:[rRbBuUfF]|[rR][bBfF]|[bBfF][rR])$/;
/** Whitespace besides space and tab that editors let in: CR, NBSP, the ideographic space of Korean IMEs. */
const EXTRA_SPACE = /[\r\f\v\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]/;

export function lex(text: string, origin: SourcePosition = { line: 0, column: 0 }): Tokens {
  const tokens = new Tokens(text, origin);
  let i = 0;
  let line = 0;
  let lineStart = 0;
  const push = (kind: TokenKind, end: number, extra?: Extra): void => {
    tokens.add(kind, i, end, line, i - lineStart, extra);
    // Advance the line counters over whatever the token spanned.
    for (let k = i; k < end; k++) {
      if (text.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
    i = end;
  };

  while (i < text.length) {
    const ch = text[i];
    const code = text.charCodeAt(i);
    if (code === 32 || code === 9 || ((code === 13 || code > 127) && EXTRA_SPACE.test(ch))) {
      i++;
      continue;
    }
    if (ch === '\n') {
      push('newline', i + 1);
      continue;
    }
    if (ch === '#') {
      let end = text.indexOf('\n', i);
      if (end < 0) end = text.length;
      if (text[end - 1] === '\r') end--;
      push('comment', end);
      continue;
    }
    if (ch === '\\') {
      // A backslash followed only by spaces up to the end of the line continues the line.
      let k = i + 1;
      while (k < text.length && (text[k] === ' ' || text[k] === '\t' || text[k] === '\r')) k++;
      if (k >= text.length || text[k] === '\n') {
        const end = k < text.length ? k + 1 : k;
        for (let m = i; m < end; m++) {
          if (text.charCodeAt(m) === 10) {
            line++;
            lineStart = m + 1;
          }
        }
        i = end;
        continue;
      }
      push('error', i + 1, {
        code: 'syntax',
        message:
          "unexpected '\\' — a backslash is only allowed at the very end of a line, to continue it",
      });
      continue;
    }
    if (isDigit(code) || (code === 46 && isDigit(text.charCodeAt(i + 1)) && !afterValue(tokens))) {
      NUMBER_RUN.lastIndex = i;
      const m = NUMBER_RUN.exec(text);
      const run = m ? m[0] : ch;
      if (VALID_NUMBER.test(run)) {
        push('number', i + run.length); // its value is parsed when the parser asks (Tokens.token)
      } else {
        push('error', i + run.length, { code: 'literal', message: badNumberMessage(run) });
      }
      continue;
    }
    let nameEnd = i;
    if (isAsciiNameStart(code)) {
      // The common case without the Unicode regex: ASCII letters, digits and underscores.
      nameEnd = i + 1;
      while (nameEnd < text.length && isAsciiNamePart(text.charCodeAt(nameEnd))) nameEnd++;
      if (nameEnd < text.length && text.charCodeAt(nameEnd) > 127) nameEnd = -1;
    }
    if (nameEnd === -1 || (nameEnd === i && code > 127)) {
      nameEnd = i;
      NAME.lastIndex = i;
      const m = NAME.exec(text);
      if (m) nameEnd = i + m[0].length;
    }
    if (nameEnd > i) {
      const word = text.slice(i, nameEnd);
      const after = text[i + word.length];
      if ((after === '"' || after === "'") && STRING_PREFIX.test(word)) {
        lexString(i + word.length, word);
        continue;
      }
      push('name', i + word.length);
      continue;
    }
    if (ch === '"' || ch === "'") {
      lexString(i, '');
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') {
      push('open', i + 1);
      continue;
    }
    if (ch === ')' || ch === ']' || ch === '}') {
      push('close', i + 1);
      continue;
    }
    const op = operatorAt(text, i);
    if (op !== undefined) {
      push('op', i + op.length);
      continue;
    }
    const cp = text.codePointAt(i) ?? 0;
    const width = cp > 0xffff ? 2 : 1;
    push('error', i + width, {
      code: 'syntax',
      message: `unexpected character '${String.fromCodePoint(cp)}' — remove it (the model language uses plain ASCII operators like * and @)`,
    });
  }
  return tokens;

  function lexString(quoteAt: number, prefix: string): void {
    const q = text[quoteAt];
    const triple = text.startsWith(q + q + q, quoteAt);
    const raw = /[rR]/.test(prefix);
    let k = quoteAt + (triple ? 3 : 1);
    let out = '';
    for (;;) {
      if (k >= text.length || (!triple && text[k] === '\n')) {
        // The error ends where the line does: before a CRLF's '\r', which is not on the line.
        push('error', k > quoteAt + 1 && text[k - 1] === '\r' ? k - 1 : k, {
          code: 'literal',
          message: `this string is never closed — add the closing ${triple ? q + q + q : q}`,
        });
        return;
      }
      if (triple ? text.startsWith(q + q + q, k) : text[k] === q) {
        push('string', k + (triple ? 3 : 1), { str: out });
        return;
      }
      if (text[k] === '\\' && !raw && k + 1 < text.length) {
        out += text[k + 1];
        k += 2;
        continue;
      }
      out += text[k];
      k++;
    }
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAsciiNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isAsciiNamePart(c: number): boolean {
  return isAsciiNameStart(c) || isDigit(c);
}

/** True when the previous token ends a value, so a following `.` is an attribute dot. */
function afterValue(tokens: Tokens): boolean {
  if (tokens.count === 0) return false;
  const last = tokens.kind(tokens.count - 1);
  return last === 'name' || last === 'number' || last === 'close' || last === 'string';
}

function badNumberMessage(run: string): string {
  const lead = /^(\d+(?:\.\d*)?)([\p{L}_]\w*)$/u.exec(run);
  if (lead && !/^[eE]\d*$/.test(lead[2])) {
    return `'${run}' is not a number — to multiply, write ${lead[1]} * ${lead[2]}`;
  }
  return `'${run}' is not a number — write a number like 2, 1.5, .5 or 1e-3`;
}
