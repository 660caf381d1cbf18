/**
 * The lexer: one block's text → tokens with ranges in the coordinates of the whole file.
 *
 * A block's text starts at `origin` in its file (for a Markdown fence, the line after the
 * opening fence, column 0). Every token carries its range in file coordinates and its local
 * column (for the layout heuristics of the parser). The lexer never throws: what it cannot read
 * becomes an `error` token carrying the message, and the parser reports it with its statement.
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

const NAME = /[\p{L}\p{Nl}_][\p{L}\p{N}\p{Mn}\p{Mc}_]*/uy;
/** A number's maximal run: digits, letters, dots, underscores, and a sign right after an exponent. */
const NUMBER_RUN = /(?:\d|\.\d)(?:[\p{L}\p{N}_.]|(?<=\d[eE])[+-])*/uy;
const VALID_NUMBER =
  /^(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const STRING_PREFIX = /^(?:[rRbBuUfF]|[rR][bBfF]|[bBfF][rR])$/;
/** Whitespace besides space and tab that editors let in: CR, NBSP, the ideographic space of Korean IMEs. */
const EXTRA_SPACE = /[\r\f\v\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]/;

export function lex(text: string, origin: SourcePosition = { line: 0, column: 0 }): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 0;
  let lineStart = 0;
  // Line and line start at an arbitrary offset ≥ the current one (strings may span lines).
  const pos = (offset: number): SourcePosition => {
    let l = line;
    let ls = lineStart;
    for (let k = i; k < offset; k++) {
      if (text.charCodeAt(k) === 10) {
        l++;
        ls = k + 1;
      }
    }
    return { line: origin.line + l, column: offset - ls + (l === 0 ? origin.column : 0) };
  };
  const push = (
    kind: TokenKind,
    end: number,
    extra: { value?: number; str?: string; message?: string; code?: SpecErrorCode } = {},
  ): void => {
    const start = pos(i);
    const stop = pos(end);
    tokens.push({
      kind,
      text: text.slice(i, end),
      value: extra.value ?? NaN,
      str: extra.str,
      message: extra.message,
      code: extra.code,
      start: i,
      end,
      localLine: line,
      localColumn: i - lineStart,
      range: { start, end: stop },
    });
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
        push('number', i + run.length, { value: Number(run.replace(/_/g, '')) });
      } else {
        push('error', i + run.length, {
          code: 'literal',
          message: badNumberMessage(run),
        });
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
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op) {
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
function afterValue(tokens: readonly Token[]): boolean {
  const last = tokens[tokens.length - 1];
  return (
    last !== undefined &&
    (last.kind === 'name' ||
      last.kind === 'number' ||
      last.kind === 'close' ||
      last.kind === 'string')
  );
}

function badNumberMessage(run: string): string {
  const lead = /^(\d+(?:\.\d*)?)([\p{L}_]\w*)$/u.exec(run);
  if (lead && !/^[eE]\d*$/.test(lead[2])) {
    return `'${run}' is not a number — to multiply, write ${lead[1]} * ${lead[2]}`;
  }
  return `'${run}' is not a number — write a number like 2, 1.5, .5 or 1e-3`;
}
