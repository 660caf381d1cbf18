/**
 * The lexer's tokens (src/spec/lexer.ts). They are kept as columns of numbers and a `Token` object
 * is made only when the parser reads one, its range computed from the stored line and column; so
 * the ranges are checked here against positions counted from scratch in the text, and a deep
 * statement that is refused (maxNesting) must still leave the rest of its block read as before.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { lex } from '../../src/spec/lexer';
import { parseBlock } from '../../src/spec/parser';
import type { SourcePosition, SourceRange } from '../../src/spec/model';

/** The file position of `offset` in a block starting at `origin`, by counting newlines. */
function positionOf(text: string, offset: number, origin: SourcePosition): SourcePosition {
  const lines = text.slice(0, offset).split('\n');
  const line = lines.length - 1;
  const column = lines[line].length + (line === 0 ? origin.column : 0);
  return { line: origin.line + line, column };
}

function rangeOf(text: string, from: number, to: number, origin: SourcePosition): SourceRange {
  return { start: positionOf(text, from, origin), end: positionOf(text, to, origin) };
}

/** Pieces that exercise every branch of the lexer, including strings and comments over lines. */
const piece = fc.constantFrom(
  'a',
  'W1',
  '한글',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\u3000',
  '(',
  ')',
  '[',
  ']',
  '{',
  '+',
  '**',
  '**=',
  '=',
  ',',
  '.',
  '.5',
  '1e3',
  '1_000',
  '2x',
  '1.2.3',
  "'",
  '"',
  "'''",
  'r"',
  '\\',
  '\\\n',
  '# note',
  '→',
  '😀',
);
const blockText = fc.array(piece, { maxLength: 40 }).map((ps) => ps.join(''));
const origin = fc.record({ line: fc.nat(50), column: fc.nat(20) });

describe('tokens', () => {
  test('each token’s text, offsets, line, column and range agree with the text', () => {
    fc.assert(
      fc.property(blockText, origin, (text, at) => {
        const tokens = lex(text, at);
        let previousEnd = 0;
        for (let k = 0; k < tokens.count; k++) {
          const t = tokens.token(k);
          assert.equal(t.kind, tokens.kind(k));
          assert.ok(t.start >= previousEnd && t.end > t.start, `token ${k} overlaps or is empty`);
          previousEnd = t.end;
          assert.equal(t.text, text.slice(t.start, t.end));
          assert.deepEqual(t.range, rangeOf(text, t.start, t.end, at), `token ${k} '${t.text}'`);
          const local = positionOf(text, t.start, { line: 0, column: 0 });
          assert.deepEqual([t.localLine, t.localColumn], [local.line, local.column]);
          assert.equal(tokens.localColumn(k), t.localColumn);
          assert.equal(t.kind === 'number', !Number.isNaN(t.value));
          assert.equal(tokens.token(k), t, 'the same object each time');
        }
      }),
    );
  });

  test('a number’s value, a string’s contents and an error’s message come with the token', () => {
    const tokens = lex("x = 1_000 + .5e1 + 'it\\'s' + 2x");
    const all = Array.from({ length: tokens.count }, (_, k) => tokens.token(k));
    assert.deepEqual(
      all.map((t) => [t.kind, t.text]),
      [
        ['name', 'x'],
        ['op', '='],
        ['number', '1_000'],
        ['op', '+'],
        ['number', '.5e1'],
        ['op', '+'],
        ['string', "'it\\'s'"],
        ['op', '+'],
        ['error', '2x'],
      ],
    );
    assert.equal(all[2].value, 1000);
    assert.equal(all[4].value, 5);
    assert.equal(all[6].str, "it's");
    assert.equal(all[8].code, 'literal');
    assert.equal(all[8].message, "'2x' is not a number — to multiply, write 2 * x");
  });

  test('an operator is its longest spelling', () => {
    const tokens = lex('a **= b ** c // d ... e -> f');
    const ops = Array.from({ length: tokens.count }, (_, k) => tokens.token(k))
      .filter((t) => t.kind === 'op')
      .map((t) => t.text);
    assert.deepEqual(ops, ['**=', '**', '//', '...', '->']);
    assert.ok(tokens.isOp(1, '**=') && !tokens.isOp(1, '**') && !tokens.isOp(0, 'a'));
  });
});

describe('a refused deep statement and the rest of its block', () => {
  test('the rest of the line and the lines after it are read as before', (t) => {
    const N = 100_000;
    const deep = 'x = (' + '('.repeat(N) + 'a' + ')'.repeat(N) + ')';
    const text = `${deep}; y = 1 +\nz = (2 # open\nw = [1,\n  2]\nv = 3 # done`;
    const at = { line: 3, column: 4 };
    const started = performance.now();
    const { statements } = parseBlock(text, at);
    t.diagnostic(`${(performance.now() - started).toFixed(1)} ms for ${text.length} chars`);
    assert.deepEqual(
      statements.map((s) => [s.kind === 'assign' ? s.name : null, s.error?.code ?? null]),
      [
        ['x', 'limit'],
        ['y', 'syntax'],
        ['z', 'syntax'],
        ['v', null],
      ],
    );
    const [x, y, z, v] = statements;
    // The 257th bracket is refused; the statement still spans its whole run of brackets.
    assert.deepEqual(x.error?.range, rangeOf(text, 4 + 256, 4 + 257, at));
    assert.deepEqual(x.range, rangeOf(text, 0, deep.length, at));
    assert.equal(x.source, deep.slice(4));
    const yAt = deep.length + 2;
    assert.deepEqual(y.range, rangeOf(text, yAt, yAt + 'y = 1 +'.length, at));
    assert.deepEqual(y.error?.range, rangeOf(text, yAt + 6, yAt + 7, at));
    const zAt = text.indexOf('z = (');
    // z's open bracket takes in `w = [1,` (a line ending with ',' continues) up to `2]`: the
    // error is the missing ',' before w.
    const wAt = text.indexOf('w = [');
    assert.deepEqual(z.error?.range, rangeOf(text, wAt, wAt + 1, at));
    assert.deepEqual(z.range, rangeOf(text, zAt, text.indexOf('2]') + 2, at));
    const vAt = text.indexOf('v = 3');
    assert.deepEqual(v.range, rangeOf(text, vAt, vAt + 'v = 3'.length, at));
    assert.equal(v.comment, 'done');
  });
});
