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

/** One token, as the parser sees it (made by `Tokens.token` for the tokens it reads). */
export interface Token {
  readonly kind: TokenKind;
  /** The token's text as written (for a comment, including the `#`). */
  readonly text: string;
  /** For `number`: its value; for `string`: NaN (the text is in `str`). */
  readonly value: number;
  /** For `string`: the decoded contents. */
  readonly str?: string;
  /** For `error`: what is wrong and what to do. */
  readonly message?: string;
  readonly code?: SpecErrorCode;
  /** Offsets into the block text. */
  readonly start: number;
  readonly end: number;
  /** 0-based line within the block, and the column within that line (before the origin shift). */
  readonly localLine: number;
  readonly localColumn: number;
  /** In file coordinates. */
  readonly range: SourceRange;
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
/** A kind's number in `Tokens` (a plain object: looked up once per token). */
const KIND_CODE = Object.fromEntries(KINDS.map((kind, code) => [kind, code])) as Record<
  TokenKind,
  number
>;

/** What only a string or an error token has. */
interface Extra {
  readonly str?: string;
  readonly message?: string;
  readonly code?: SpecErrorCode;
}

/**
 * A block's tokens, numbered from 0 in text order. Kind, offsets, line and column are kept in
 * one typed array (no object per token, so no garbage-collection cost for a huge line);
 * `token(k)` makes the full `Token` when the parser reads it (once: later calls return the same
 * object), slicing its text from the block and parsing a number's value from it.
 */
export class Tokens {
  /** How many tokens there are. */
  count = 0;
  /** Token k's kind code, start, end, line and column at k * FIELDS + KIND, START, … (one array, one allocation). */
  private rows: Int32Array;
  /** Decoded strings and error messages, by token number (few tokens have them). */
  private readonly extras = new Map<number, Extra>();
  /** The tokens made so far, by number (an array, not a Map: the parser reads a token often). */
  private readonly made: (Token | undefined)[] = [];

  constructor(
    /** The block's text. */
    readonly source: string,
    readonly origin: SourcePosition,
  ) {
    // Grown by doubling; a typical line has a token every 3–4 characters.
    this.rows = new Int32Array(Math.max(16, Math.min(source.length >> 2, 4096)) * FIELDS);
  }

  /** Appends a token (the lexer's only way in). */
  add(kind: TokenKind, start: number, end: number, line: number, column: number, extra?: Extra) {
    if ((this.count + 1) * FIELDS > this.rows.length) {
      const bigger = new Int32Array(this.rows.length * 2);
      bigger.set(this.rows);
      this.rows = bigger;
    }
    const k = this.count++;
    const row = k * FIELDS;
    this.rows[row + KIND] = KIND_CODE[kind];
    this.rows[row + START] = start;
    this.rows[row + END] = end;
    this.rows[row + LINE] = line;
    this.rows[row + COLUMN] = column;
    if (extra !== undefined) this.extras.set(k, extra);
  }

  kind(k: number): TokenKind {
    return KINDS[this.rows[k * FIELDS + KIND]];
  }

  start(k: number): number {
    return this.rows[k * FIELDS + START];
  }

  end(k: number): number {
    return this.rows[k * FIELDS + END];
  }

  /** The column within its line in the block (before the origin shift). */
  localColumn(k: number): number {
    return this.rows[k * FIELDS + COLUMN];
  }

  text(k: number): string {
    return this.source.slice(this.start(k), this.end(k));
  }

  /** Is token `k` the operator `op`? (Without slicing its text.) */
  isOp(k: number, op: string): boolean {
    const start = this.start(k);
    return (
      this.rows[k * FIELDS + KIND] === KIND_CODE.op &&
      this.end(k) - start === op.length &&
      this.source.startsWith(op, start)
    );
  }

  /** The full token `k` (0 ≤ k < count), made on first use. */
  token(k: number): Token {
    let t = this.made[k];
    if (t === undefined) {
      const kind = this.kind(k);
      const text = this.text(k);
      const extra = kind === 'string' || kind === 'error' ? this.extras.get(k) : undefined;
      const localLine = this.rows[k * FIELDS + LINE];
      const localColumn = this.localColumn(k);
      // The end follows the token's own text, which only a newline, a string or an error (a
      // string never closed) can take over lines.
      let endLine = localLine;
      let endColumn = localColumn + text.length;
      if (kind === 'newline' || kind === 'string' || kind === 'error') {
        for (let c = 0; c < text.length; c++) {
          if (text.charCodeAt(c) === 10) {
            endLine++;
            endColumn = text.length - c - 1;
          }
        }
      }
      t = {
        kind,
        text,
        value: kind === 'number' ? numberValue(text) : NaN,
        str: extra?.str,
        message: extra?.message,
        code: extra?.code,
        start: this.start(k),
        end: this.end(k),
        localLine,
        localColumn,
        range: {
          start: this.position(localLine, localColumn),
          end: this.position(endLine, endColumn),
        },
      };
      this.made[k] = t;
    }
    return t;
  }

  /** A block position in file coordinates: only the block's first line is shifted by the origin's column. */
  private position(line: number, column: number): SourcePosition {
    return {
      line: this.origin.line + line,
      column: column + (line === 0 ? this.origin.column : 0),
    };
  }
}

/** A valid number literal's value (`1_000` is 1000). */
function numberValue(text: string): number {
  return Number(text.includes('_') ? text.replace(/_/g, '') : text);
}

/** The layout of `Tokens.rows`. */
const FIELDS = 5;
const KIND = 0;
const START = 1;
const END = 2;
const LINE = 3;
const COLUMN = 4;

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
      // The word is sliced only when a quote follows (a prefix like r'…'): names stay offsets.
      const after = text[nameEnd];
      if (after === '"' || after === "'") {
        const word = text.slice(i, nameEnd);
        if (STRING_PREFIX.test(word)) {
          lexString(nameEnd, word);
          continue;
        }
      }
      push('name', nameEnd);
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
