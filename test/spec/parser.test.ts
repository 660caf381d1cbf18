import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AssignStatement, Expr, StatementAst } from '../../src/spec/ast';
import type { SourceRange } from '../../src/spec/model';
import { parseBlock } from '../../src/spec/parser';

/** The range of the `nth` occurrence of `needle` in `text`, counted independently of the lexer. */
function at(text: string, needle: string, nth = 0, origin = { line: 0, column: 0 }): SourceRange {
  let offset = -1;
  for (let k = 0; k <= nth; k++) {
    offset = text.indexOf(needle, offset + 1);
    if (offset < 0) throw new Error(`'${needle}' not found`);
  }
  const pos = (o: number) => {
    const before = text.slice(0, o).split('\n');
    const line = before.length - 1;
    const column = before[line].length + (line === 0 ? origin.column : 0);
    return { line: line + origin.line, column };
  };
  return { start: pos(offset), end: pos(offset + needle.length) };
}

/** A compact prefix form of an expression, to check structure and precedence. */
function show(e: Expr | null): string {
  if (e === null) return '∅';
  switch (e.kind) {
    case 'number':
      return String(e.value);
    case 'string':
      return JSON.stringify(e.value);
    case 'constant':
      return String(e.value);
    case 'name':
      return e.name;
    case 'list':
      return `[${e.items.map(show).join(' ')}]`;
    case 'tuple':
      return `(tuple ${e.items.map(show).join(' ')})`;
    case 'unary':
      return `(${e.op} ${show(e.operand)})`;
    case 'binary':
      return `(${e.op} ${show(e.left)} ${show(e.right)})`;
    case 'attribute':
      return `${show(e.object)}.${e.name}`;
    case 'call':
      return `${show(e.callee)}(${[...e.args.map(show), ...e.keywords.map((k) => `${k.name}=${show(k.value)}`)].join(' ')})`;
    case 'index':
      return `${show(e.object)}[${show(e.index)}]`;
  }
}

function assign(st: StatementAst | undefined): AssignStatement {
  assert.ok(st && st.kind === 'assign', 'expected an assignment');
  return st;
}

function only(text: string): AssignStatement {
  const { statements } = parseBlock(text);
  assert.equal(statements.length, 1);
  const st = assign(statements[0]);
  assert.equal(st.error, null, st.error?.message);
  return st;
}

describe('statements and ranges', () => {
  test('role, name, value, comment and source, in file coordinates', () => {
    const text = 'param  W1 = randn(2, 3, seed=1)  # first layer';
    const origin = { line: 7, column: 0 };
    const [st] = parseBlock(text, origin).statements.map(assign);
    assert.equal(st.role, 'param');
    assert.deepEqual(st.roleRange, at(text, 'param', 0, origin));
    assert.equal(st.name, 'W1');
    assert.deepEqual(st.nameRange, at(text, 'W1', 0, origin));
    assert.deepEqual(st.range, at(text, 'param  W1 = randn(2, 3, seed=1)', 0, origin));
    assert.equal(st.source, 'randn(2, 3, seed=1)');
    assert.equal(st.comment, 'first layer');
    assert.equal(show(st.value), 'randn(2 3 seed=1)');
    assert.deepEqual(st.value!.range, at(text, 'randn(2, 3, seed=1)', 0, origin));
  });

  test('the origin column shifts only the first line', () => {
    const text = 'A = f(1,\n  2)';
    const origin = { line: 3, column: 10 };
    const [st] = parseBlock(text, origin).statements.map(assign);
    assert.deepEqual(st.range, { start: { line: 3, column: 10 }, end: { line: 4, column: 4 } });
    assert.deepEqual(st.nameRange, {
      start: { line: 3, column: 10 },
      end: { line: 3, column: 11 },
    });
  });

  test('every role word is read as a role; a role word alone before = is a name', () => {
    for (const role of ['param', 'input', 'const', 'target', 'loss', 'output']) {
      const st = only(`${role} X = 1`);
      assert.equal(st.role, role);
      assert.equal(st.name, 'X');
      const plain = only(`${role} = 1`);
      assert.equal(plain.role, null);
      assert.equal(plain.name, role);
    }
  });

  test('a preceding comment belongs to the next statement; a blank line breaks the link', () => {
    const text = '# the inputs\n# two samples\nX = 1\n\n# orphan\n\nY = 2\nZ = 3 # trailing\n';
    const sts = parseBlock(text).statements.map(assign);
    assert.deepEqual(
      sts.map((s) => s.comment),
      ['the inputs\ntwo samples', null, 'trailing'],
    );
  });

  test('brackets continue a statement over lines; the range and source span them', () => {
    const text = 'X = [[1.0, 2.0],   # row 1\n     [0.5, -1.0]]  # row 2\nY = X';
    const sts = parseBlock(text).statements.map(assign);
    assert.equal(sts.length, 2);
    assert.deepEqual(sts[0].range, { start: { line: 0, column: 0 }, end: { line: 1, column: 17 } });
    assert.equal(sts[0].source, '[[1.0, 2.0],   # row 1\n     [0.5, -1.0]]');
    assert.equal(sts[0].comment, 'row 2');
    assert.equal(show(sts[0].value), '[[1 2] [0.5 (- 1)]]');
    assert.equal(sts[1].range.start.line, 2);
  });

  test('a trailing backslash continues a line', () => {
    const text = 'Z = X + \\\n    Y\nW = 1';
    const sts = parseBlock(text).statements.map(assign);
    assert.equal(sts.length, 2);
    assert.equal(show(sts[0].value), '(+ X Y)');
    assert.deepEqual(sts[0].range, { start: { line: 0, column: 0 }, end: { line: 1, column: 5 } });
  });

  test('; separates statements on one line', () => {
    const sts = parseBlock('a = 1; b = a').statements.map(assign);
    assert.deepEqual(
      sts.map((s) => [s.name, show(s.value)]),
      [
        ['a', '1'],
        ['b', 'a'],
      ],
    );
  });

  test('CRLF line ends', () => {
    const sts = parseBlock('a = 1\r\nb = [1,\r\n 2]\r\n').statements.map(assign);
    assert.equal(sts.length, 2);
    assert.equal(sts[1].source, '[1,\n 2]');
    assert.deepEqual(sts[1].range.end, { line: 2, column: 3 });
  });
});

describe('expressions', () => {
  const cases: [string, string][] = [
    ['X @ W1 + b1', '(+ (@ X W1) b1)'],
    ['a + b * c - d / e', '(- (+ a (* b c)) (/ d e))'],
    ['a @ b * c', '(* (@ a b) c)'],
    ['-x ** 2', '(- (** x 2))'],
    ['2 ** -1', '(** 2 (- 1))'],
    ['a ** b ** c', '(** a (** b c))'],
    ['-a * b', '(* (- a) b)'],
    ['--a', '(- (- a))'],
    ['+a', '(+ a)'],
    ['(a + b) * c', '(* (+ a b) c)'],
    ['x.T @ W', '(@ x.T W)'],
    ['x.reshape(2, 3).sum(axis=0)', 'x.reshape(2 3).sum(axis=0)'],
    ['np.random.randn(2, 3)', 'np.random.randn(2 3)'],
    ['sum(x, axis=1, keepdims=True)', 'sum(x axis=1 keepdims=true)'],
    ['f(a, b,)', 'f(a b)'],
    ['f()', 'f()'],
    ['F.softmax(x, dim=1)', 'F.softmax(x dim=1)'],
    ['[[1, 2], [3, 4]]', '[[1 2] [3 4]]'],
    ['[]', '[]'],
    ['(2, 3)', '(tuple 2 3)'],
    ['(2,)', '(tuple 2)'],
    ['()', '(tuple )'],
    ['zeros((2, 3))', 'zeros((tuple 2 3))'],
    ['None', 'null'],
    ['False', 'false'],
    ['X.shape[0]', 'X.shape[0]'],
    ["f(x, reduction='mean')", 'f(x reduction="mean")'],
  ];
  for (const [src, want] of cases) {
    test(src, () => assert.equal(show(only(`A = ${src}`).value), want));
  }

  test('number spellings', () => {
    const values = ['1e-3', '.5', '5.', '1_000', '2E+2', '0.25', '007'].map((n) => {
      const v = only(`A = ${n}`).value!;
      assert.equal(v.kind, 'number');
      return v.kind === 'number' ? v.value : NaN;
    });
    assert.deepEqual(values, [0.001, 0.5, 5, 1000, 200, 0.25, 7]);
  });

  test('binary and call ranges cover exactly what was written', () => {
    const text = 'Z = relu(X @ W1) + b';
    const v = only(text).value!;
    assert.equal(v.kind, 'binary');
    if (v.kind !== 'binary') return;
    assert.deepEqual(v.range, at(text, 'relu(X @ W1) + b'));
    assert.deepEqual(v.opRange, at(text, '+'));
    assert.deepEqual(v.left.range, at(text, 'relu(X @ W1)'));
    assert.equal(v.left.kind, 'call');
    if (v.left.kind === 'call') assert.deepEqual(v.left.args[0].range, at(text, 'X @ W1'));
  });

  test('a parenthesized expression widens to its parentheses, a parenthesized name does not', () => {
    const text = 'Z = (a + b) * (c)';
    const v = only(text).value!;
    assert.ok(v.kind === 'binary');
    if (v.kind !== 'binary') return;
    assert.deepEqual(v.left.range, at(text, '(a + b)'));
    assert.deepEqual(v.right.range, at(text, 'c'));
  });

  test('unicode names (Korean notes)', () => {
    const st = only('가중치 = [1.0]');
    assert.equal(st.name, '가중치');
  });
});

describe('syntax errors', () => {
  function errors(text: string) {
    return parseBlock(text).statements.flatMap((s) => (s.error ? [s.error] : []));
  }

  test('several mistakes in one block are all reported, each at its place', () => {
    const text = 'A = 1 +\nB = [1 2]\nC = 3\nD = )\nE = 1.2.3\nF = f(1, 2';
    const errs = errors(text);
    assert.deepEqual(
      errs.map((e) => [e.code, e.range]),
      [
        ['syntax', at(text, '+')],
        ['syntax', at(text, '2')],
        ['syntax', at(text, ')')],
        ['literal', at(text, '1.2.3')],
        ['unclosed', at(text, '(')],
      ],
    );
    // C parsed fine between them.
    assert.ok(
      parseBlock(text).statements.some(
        (s) => s.kind === 'assign' && s.name === 'C' && s.error === null,
      ),
    );
  });

  test('unclosed bracket: range at the opener, message says which and where; the next line recovers', () => {
    const text = 'X = [[1, 2],\n     [3, 4]\nparam W = zeros(2)\nY = W';
    const sts = parseBlock(text).statements.map(assign);
    assert.equal(sts.length, 3);
    assert.equal(sts[0].error?.code, 'unclosed');
    assert.deepEqual(sts[0].error?.range, at(text, '['));
    assert.equal(
      sts[0].error?.message,
      "'[' at line 1, column 5 is never closed — add the matching ']'",
    );
    assert.equal(sts[1].name, 'W');
    assert.equal(sts[1].error, null);
    assert.equal(sts[2].error, null);
  });

  test('a keyword argument on a continuation line is not mistaken for a new statement', () => {
    const text = 'W = randn(2, 3,\nseed=1)';
    const sts = parseBlock(text).statements.map(assign);
    assert.equal(sts.length, 1);
    assert.equal(sts[0].error, null);
    assert.equal(show(sts[0].value), 'randn(2 3 seed=1)');
  });

  test('a keyword argument line ending with a comma continues the call', () => {
    const text = 'W = randn(2, 3,\nseed=1,\n)';
    const sts = parseBlock(text).statements.map(assign);
    assert.equal(sts.length, 1);
    assert.equal(sts[0].error, null);
  });

  test('mismatched closer', () => {
    const text = 'A = f(1]';
    const [e] = errors(text);
    assert.equal(e.code, 'syntax');
    assert.deepEqual(e.range, at(text, ']'));
    assert.equal(
      e.message,
      "expected ')' to close the '(' at line 1, column 6, but found ']' — make the brackets match",
    );
  });

  const messages: [string, string, string | [string, number], string][] = [
    // text, code, the erroneous substring, message
    ['A = 3W', 'literal', '3W', "'3W' is not a number — to multiply, write 3 * W"],
    ['A = 1e', 'literal', '1e', "'1e' is not a number — write a number like 2, 1.5, .5 or 1e-3"],
    [
      'A = X W',
      'syntax',
      'X W',
      "missing operator between 'X' and 'W' — write an operator like * or @ between them",
    ],
    [
      'A = 1 > 2',
      'unsupported',
      '>',
      "comparison '>' is not part of the model language — compute with ops instead (max(0, x) is relu(x))",
    ],
    ['A = a // b', 'unsupported', '//', "'//' is not supported — use '/' for division"],
    [
      'A = 1, 2',
      'syntax',
      ',',
      "unexpected ',' — a statement defines one value; for a vector write a list like [1, 2]",
    ],
    ['A = b = 1', 'syntax', ['=', 1], "only one '=' a statement — define one name per line"],
    [
      'A = $',
      'syntax',
      '$',
      "unexpected character '$' — remove it (the model language uses plain ASCII operators like * and @)",
    ],
    ['A =', 'syntax', '=', "'A =' has no value — write an expression after '=', e.g. A = zeros(3)"],
    ['param W1', 'syntax', 'W1', "expected '=' after 'param W1' — write param W1 = value"],
    [
      'x.y = 2',
      'statement',
      '=',
      "the left side of '=' must be a single name, like W1 — write NAME = expression",
    ],
    [
      'A = x[:, 0]',
      'unsupported',
      ':',
      "slices (':') are not supported — the model language works on whole tensors; compute on the whole tensor instead",
    ],
    [
      'A = f(x=1, 2)',
      'syntax',
      '2',
      'a positional argument after a keyword argument — put positional arguments first',
    ],
    ["A = 'abc", 'literal', "'abc", "this string is never closed — add the closing '"],
    [
      'def f(x):',
      'unsupported',
      'def',
      "'def' is Python, not the model language — write one statement a line: [role] NAME = expression (functions, loops and conditions are not supported)",
    ],
    ['A = {1: 2}', 'unsupported', '{', "'{' (a dict or set) is not supported — use [ ] for lists"],
  ];
  for (const [text, code, where, message] of messages) {
    test(`${text} → ${code}`, () => {
      const errs = errors(text);
      assert.equal(errs.length, 1, JSON.stringify(errs));
      assert.equal(errs[0].code, code);
      assert.equal(errs[0].message, message);
      const [needle, nth] = typeof where === 'string' ? [where, 0] : where;
      assert.deepEqual(errs[0].range, at(text, needle, nth));
    });
  }

  test('unknown role words get a suggestion', () => {
    const text = 'parm W = 1\nweights V = 2';
    const errs = errors(text);
    assert.deepEqual(
      errs.map((e) => [e.code, e.suggestion, e.range]),
      [
        ['unknown-role', 'param', at(text, 'parm')],
        ['unknown-role', undefined, at(text, 'weights')],
      ],
    );
    assert.equal(
      errs[0].message,
      "unknown role 'parm' — did you mean 'param'? A role is one of param, input, const, target, loss, output.",
    );
    // The statement still names what it would have defined, so its dependents are skipped, not unknown.
    assert.equal(assign(parseBlock(text).statements[0]).name, 'W');
  });

  test('deep nesting is refused with a message, not a stack overflow', () => {
    const deep = 'A = ' + '['.repeat(5000) + ']'.repeat(5000);
    const [e] = errors(deep);
    assert.equal(e.code, 'limit');
    assert.match(e.message, /nests brackets or signs 257 levels deep, over the limit of 256/);
    const long = 'A = ' + Array.from({ length: 5000 }, (_, i) => `x${i}`).join(' + ');
    const [e2] = errors(long);
    assert.equal(e2.code, 'limit');
    assert.match(e2.message, /too long/);
  });
});

describe('python dialect', () => {
  test('non-statement lines are skipped without errors', () => {
    const text = [
      'import numpy as np',
      'from torch import nn',
      '"""A docstring',
      'spanning lines: x = 1 +"""',
      'def forward(X):',
      '    Z = X @ W',
      '    return Z',
      'print(Z)',
      'x += 1',
      'self.w = 3',
      'for i in range(3):',
      '    pass',
      '@decorator',
      'a, b = 1, 2',
      'Y = 2',
    ].join('\n');
    const sts = parseBlock(text, undefined, 'python').statements;
    assert.deepEqual(
      sts.map((s) => (s.kind === 'assign' ? s.name : `expr:${s.source}`)),
      ['expr:"""A docstring\nspanning lines: x = 1 +"""', 'Z', 'expr:print(Z)', 'Y'],
    );
    assert.ok(sts.every((s) => s.error === null));
  });

  test('an assignment that does not parse is still an error in Python', () => {
    const sts = parseBlock('m = Z > 0', undefined, 'python').statements;
    assert.equal(sts.length, 1);
    assert.equal(sts[0].error?.code, 'unsupported');
  });

  test('import lines are skipped in the model language too', () => {
    assert.deepEqual(
      parseBlock('import numpy as np\nA = 1').statements.map((s) => s.kind),
      ['assign'],
    );
  });
});
