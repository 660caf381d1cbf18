import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { editDistance, nearest } from '../../src/spec/errors';
import { parseSource } from '../../src/spec/index';
import type { SourceRange, SpecError } from '../../src/spec/model';

/** The range of the `nth` occurrence of `needle` (found by plain string search, not the lexer). */
function at(text: string, needle: string, nth = 0): SourceRange {
  let offset = -1;
  for (let k = 0; k <= nth; k++) {
    offset = text.indexOf(needle, offset + 1);
    if (offset < 0) throw new Error(`'${needle}' not found`);
  }
  const pos = (o: number) => {
    const lines = text.slice(0, o).split('\n');
    return { line: lines.length - 1, column: lines[lines.length - 1].length };
  };
  return { start: pos(offset), end: pos(offset + needle.length) };
}

function errorsOf(text: string, maxElements?: number): SpecError[] {
  const [b] = parseSource(text, 'model', maxElements === undefined ? {} : { maxElements });
  return [...b.errors];
}

function one(text: string, maxElements?: number): SpecError {
  const errs = errorsOf(text, maxElements);
  assert.equal(errs.length, 1, JSON.stringify(errs.map((e) => e.message)));
  return errs[0];
}

describe('suggestions', () => {
  test('Damerau–Levenshtein distance counts a swap of neighbours as one edit', () => {
    assert.equal(editDistance('W12', 'W21'), 1);
    assert.equal(editDistance('softmx', 'softmax'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  test('nearest prefers a case-only difference, and refuses far-off words', () => {
    assert.equal(nearest('w1', ['W2', 'W1']), 'W1');
    assert.equal(nearest('W3', ['X', 'W2', 'b1']), 'W2');
    assert.equal(nearest('completely', ['W1', 'W2']), null);
  });
});

describe('evaluation errors: code, range, message', () => {
  test('unknown name with the nearest defined name', () => {
    const text = 'param W2 = zeros(2, 2)\nX = ones(1, 2)\nZ = X @ W3';
    const e = one(text);
    assert.equal(e.code, 'unknown-name');
    assert.equal(e.message, "unknown name 'W3' — did you mean 'W2'?");
    assert.equal(e.suggestion, 'W2');
    assert.deepEqual(e.range, at(text, 'W3'));
  });

  test('unknown name with nothing near', () => {
    const text = 'a = 1\nZ = a * mystery';
    const e = one(text);
    assert.equal(e.code, 'unknown-name');
    assert.equal(e.suggestion, undefined);
    assert.equal(
      e.message,
      "unknown name 'mystery' — define it first, e.g. param mystery = randn(2, 3). The names defined so far: a.",
    );
    assert.deepEqual(e.range, at(text, 'mystery'));
  });

  test('a name defined further down', () => {
    const text = 'Z = X * 2\nX = 1';
    const e = one(text);
    assert.equal(e.code, 'used-before-defined');
    assert.equal(
      e.message,
      "'X' is used before it is defined (on line 2) — move that statement above this one",
    );
    assert.deepEqual(e.range, at(text, 'X'));
  });

  test('a function used as a value', () => {
    const text = 'H = relu';
    const e = one(text);
    assert.equal(e.code, 'unknown-name');
    assert.equal(e.message, "'relu' is a function — call it with its arguments: relu(…)");
  });

  test('unknown function with a suggestion, also inside a namespace', () => {
    let text = 'H = softmx([1.0, 2.0])';
    let e = one(text);
    assert.equal(e.code, 'unknown-function');
    assert.equal(e.message, "unknown function 'softmx' — did you mean 'softmax'?");
    assert.deepEqual(e.range, at(text, 'softmx'));
    text = 'H = np.exq([1.0])';
    e = one(text);
    assert.equal(e.message, "unknown function 'np.exq' — did you mean 'np.exp'?");
    assert.deepEqual(e.range, at(text, 'np.exq'));
    text = 'x = [1.0]\nH = x.summ()';
    e = one(text);
    assert.equal(e.code, 'unknown-function');
    assert.deepEqual(e.range, at(text, 'summ'));
    assert.match(e.message, /^a tensor has no method '\.summ' — did you mean 'sum'\?/);
  });

  test('shape mismatch points at the @ expression', () => {
    const text = 'X = ones(2, 3)\nW = ones(2, 2)\nZ = relu(X @ W) + 1';
    const e = one(text);
    assert.equal(e.code, 'shape');
    assert.deepEqual(e.range, at(text, 'X @ W'));
    assert.equal(
      e.message,
      "(2×3) @ (2×2): inner sizes 3 and 2 differ — the left side's last size must equal the right side's first; check the shapes, or transpose one side with .T",
    );
  });

  test('broadcast mismatch points at the whole binary expression', () => {
    const text = 'a = ones(2, 3)\nb = ones(2)\nc = a + b';
    const e = one(text);
    assert.equal(e.code, 'shape');
    assert.deepEqual(e.range, at(text, 'a + b'));
    assert.match(e.message, /^\(2×3\) \+ \(2\): shapes do not broadcast/);
  });

  test('wrong arity: too many (range on the extras) and too few (range on the call)', () => {
    let text = 'H = relu([1.0], 2, 3)';
    let e = one(text);
    assert.equal(e.code, 'arity');
    assert.equal(e.message, 'relu takes 1 argument (x), got 3 — remove the extra ones');
    assert.deepEqual(e.range, at(text, '2, 3'));
    text = 'L = cross_entropy([0.5, 0.5])';
    e = one(text);
    assert.equal(e.code, 'arity');
    assert.equal(e.message, 'cross_entropy needs 2 arguments (P, y), got 1 — add y');
    assert.deepEqual(e.range, at(text, 'cross_entropy([0.5, 0.5])'));
  });

  test('bad keyword, with the nearest one', () => {
    const text = 'S = sum([1.0, 2.0], axs=0)';
    const e = one(text);
    assert.equal(e.code, 'argument');
    assert.equal(
      e.message,
      "sum has no keyword 'axs' — did you mean 'axis'? Its arguments: x, axis, keepdims.",
    );
    assert.deepEqual(e.range, at(text, 'axs'));
  });

  test('an argument given twice', () => {
    const text = 'S = sum([1.0], 0, axis=0)';
    const e = one(text);
    assert.equal(e.code, 'arity');
    assert.deepEqual(e.range, at(text, 'axis=0'));
  });

  test('bad argument values', () => {
    let text = 'a = zeros(2.5)';
    let e = one(text);
    assert.equal(e.code, 'argument');
    assert.equal(
      e.message,
      'zeros: each size of the shape must be a whole number ≥ 0, got 2.5 — change it to one',
    );
    assert.deepEqual(e.range, at(text, '2.5'));
    text = 'a = sum([1.0], keepdims=[1])';
    e = one(text);
    assert.equal(e.code, 'argument');
    assert.deepEqual(e.range, at(text, '[1]', 0));
  });

  test('ragged and non-numeric lists point at the offending row or item', () => {
    let text = 'X = [[1, 2], [3]]';
    let e = one(text);
    assert.equal(e.code, 'literal');
    assert.equal(
      e.message,
      'ragged list: this row has 1 item but the first has 2 — give every row the same length',
    );
    assert.deepEqual(e.range, at(text, '[3]'));
    text = 'X = [[1, 2], 3]';
    e = one(text);
    assert.equal(e.code, 'literal');
    assert.deepEqual(e.range, at(text, '3'));
    text = 'w = 1\nX = [w, 2]';
    e = one(text);
    assert.equal(e.code, 'literal');
    assert.deepEqual(e.range, at(text, 'w', 1));
    assert.match(e.message, /a list holds numbers only, but this item is a tensor/);
  });

  test('the size limit is checked before allocating, with the limit named', () => {
    const text = 'A = randn(4000, 4000)';
    const e = one(text);
    assert.equal(e.code, 'limit');
    assert.equal(
      e.message,
      'randn: a tensor of shape 4000×4000 would hold 16,000,000 values, over the limit of 10,000,000 (the maxElements option) — use smaller sizes, or raise the limit',
    );
    assert.deepEqual(e.range, at(text, 'randn(4000, 4000)'));
    const small = one('A = ones(10, 10)\nB = A @ A', 50);
    assert.equal(small.code, 'limit');
    assert.match(small.message, /over the limit of 50/);
    assert.equal(one('A = arange(1e300)').code, 'limit');
    const outer = 'a = ones(4000, 1)\nb = ones(1, 4000)\nc = a * b';
    assert.deepEqual(one(outer).range, at(outer, 'a * b'));
  });

  test('a matrix product that would take too long is refused', () => {
    // Each operand and the product fit 10,000 values, but 100³ multiply–adds exceed 100,000.
    const text = 'A = ones(100, 100)\nC = A @ A';
    const [e] = parseSource(text, 'model', { maxMultiplyAdds: 100_000 })[0].errors;
    assert.equal(e.code, 'limit');
    assert.match(e.message, /multiply–adds, over the limit of 100,000/);
  });

  test('loss must be a scalar', () => {
    const text = 'x = [1.0, 2.0]\nloss L = x * 2';
    const e = one(text);
    assert.equal(e.code, 'shape');
    assert.equal(
      e.message,
      'the loss must be a scalar, but L has shape 2 — reduce it, e.g. loss L = mean(…) or sum(…)',
    );
    assert.deepEqual(e.range, at(text, 'x * 2'));
  });

  test('a bare expression is not a statement (except a seed call)', () => {
    const text = 'x = 1\nx * 2\nnp.random.seed(1)';
    const e = one(text);
    assert.equal(e.code, 'statement');
    assert.deepEqual(e.range, at(text, 'x * 2'));
  });

  test('indexing a tensor is explained', () => {
    const e = one('P = ones(2, 2)\np = P[0]');
    assert.equal(e.code, 'unsupported');
    assert.match(e.message, /indexing a tensor/);
  });

  test('np.maximum of two tensors is not ReLU', () => {
    const e = one('a = [1.0]\nb = np.maximum(a, a)');
    assert.equal(e.code, 'unsupported');
    assert.match(e.message, /ReLU only/);
  });

  test('a label out of range is reported at the loss', () => {
    const text = 'P = [[0.5, 0.5], [0.25, 0.75]]\ny = [0, 2]\nloss L = cross_entropy(P, y)';
    const e = one(text);
    assert.equal(e.code, 'label');
    assert.deepEqual(e.range, at(text, 'cross_entropy(P, y)'));
    assert.match(e.message, /^label 2 .*out of range.* — fix that label$/);
  });

  test('every message says what to do', () => {
    const texts = [
      'Z = X @ W3',
      'H = softmx([1.0])',
      'H = relu(1, 2)',
      'X = [[1, 2], [3]]',
      'A = 1.2.3',
      'A = f(1',
      'parm W = 1',
      'loss L = [1.0, 2.0]',
      'A = randn(5000, 5000)',
      'x = 1\nx * 2',
      'A = zeros(-1)',
      'A = sum([1.0], axs=1)',
      'A = 1 > 2',
    ];
    for (const t of texts) {
      for (const e of errorsOf(t)) assert.match(e.message, / — |\? /, `${t}: ${e.message}`);
    }
  });
});
