/**
 * The numerics report (src/explain/numerics.ts): a NaN or ±∞ is reported at the statement that
 * first produced it — forward and backward — with its count, first index, cause and the later
 * statements that depend on it, which are not reported themselves. Plus a property over random
 * chains of statements: the first statement that is not finite is always the first reported.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { explainBlock } from '../../src/explain/build';
import { noNumericProblems, numericsReport } from '../../src/explain/numerics';
import { parseSource } from '../../src/spec/index';
import type { ModelBlock } from '../../src/spec/model';

function block(text: string): ModelBlock {
  const [b] = parseSource(text, 'model');
  assert.deepEqual(b.errors, [], 'the spec evaluates');
  return b;
}

/** The report after backward, as explainBlock makes it (values-only: no check, no chain rule). */
function report(text: string) {
  const e = explainBlock(block(text), { detail: 'values' });
  assert.ok(e.numerics);
  return { e, r: e.numerics };
}

const OVERFLOW = `param Z = [[1000, 0, 1], [800, 2, 3]]
Z2 = exp(Z)
P = Z2 / sum(Z2, axis=-1, keepdims=True)
loss L = sum(P)`;

test('exp overflow: reported once, at Z2 (line 2), with count, first index and cause; P and L are dependents only', () => {
  const { e, r } = report(OVERFLOW);
  assert.equal(r.forward.length, 1);
  const [f] = r.forward;
  assert.equal(f.pass, 'forward');
  assert.equal(f.name, 'Z2');
  assert.equal(f.statementName, 'Z2');
  assert.equal(f.line, 2);
  assert.deepEqual(f.range, { start: { line: 1, column: 0 }, end: { line: 1, column: 11 } });
  assert.equal(f.op, 'exp');
  assert.equal(f.code, 'exp-overflow');
  assert.deepEqual(f.counts, { nan: 0, inf: 2, negInf: 0 });
  assert.equal(f.size, 6);
  assert.deepEqual(f.first, { kind: 'inf', index: [0, 0] });
  assert.deepEqual(f.dependents, ['P', 'L']);
  assert.equal(
    f.message,
    'Z2 has 2 ∞ values, the first at [0, 0]: exp overflows for inputs above 709.78 ' +
      '(largest here: 1000) — later statements P and L depend on it.',
  );
  // The gradients are all NaN, but only because of the forward value: no backward origin.
  assert.deepEqual(r.backward, []);
  assert.equal(r.gradientsFinite, false);
  // The values still show as they are: ∞ and NaN, never 0.
  const z2 = e.nodes.find((n) => n.name === 'Z2');
  assert.deepEqual(z2?.value, [
    [Infinity, 1, Math.E],
    [Infinity, Math.exp(2), Math.exp(3)],
  ]);
  const p = e.nodes.find((n) => n.name === 'P');
  assert.ok(Array.isArray(p?.value) && Number.isNaN((p.value as number[][])[0][0]));
});

test('an overflow inside a statement is reported at that statement, with the inner op’s cause', () => {
  const { r } = report(`param Z = [[1000, 0], [1, 2]]
P = exp(Z) / sum(exp(Z), axis=-1, keepdims=True)
loss L = sum(P * P)`);
  assert.equal(r.forward.length, 1);
  const [f] = r.forward;
  assert.equal(f.name, 'P');
  assert.equal(f.op, 'exp');
  assert.equal(f.code, 'exp-overflow');
  assert.deepEqual(f.counts, { nan: 1, inf: 0, negInf: 0 });
  assert.deepEqual(f.first, { kind: 'nan', index: [0, 0] });
  assert.match(f.message, /^P has one NaN value, at \[0, 0\]: exp overflows/);
  assert.deepEqual(f.dependents, ['L']);
  assert.match(f.message, /the later statement L depends on it\.$/);
});

test('two independent origins are both reported, in source order; the statement using both is not', () => {
  const { r } = report(`param X = [0, 1, 2]
param Y = [1, 2, 1000]
A = log(X)
B = exp(Y)
C = A + B
loss L = sum(C)`);
  assert.deepEqual(
    r.forward.map((f) => [f.statementName, f.code, f.first.kind, f.dependents]),
    [
      ['A', 'log-zero', '-inf', ['C', 'L']],
      ['B', 'exp-overflow', 'inf', ['C', 'L']],
    ],
  );
  assert.match(r.forward[0].message, /^A has one −∞ value, at \[0\]: log of 0 is −∞/);
});

test('0/0 and x/0 in one statement: mixed kinds counted, the cause is 0/0', () => {
  const { r } = report(`param x = [0, 1, 2]
y = [0, 0, 1]
q = x / y
loss L = sum(q)`);
  const [f] = r.forward;
  assert.equal(f.statementName, 'q');
  assert.equal(f.code, 'zero-over-zero');
  assert.deepEqual(f.counts, { nan: 1, inf: 1, negInf: 0 });
  assert.match(
    f.message,
    /^q has 2 non-finite values \(1 ∞, 1 NaN\), the first at \[0\]: 0\/0 is NaN/,
  );
});

test('backward: cross_entropy at a probability of 0 — forward at L, and ∂L/∂P reported at L’s statement', () => {
  const { r } = report(`param W = [[0.5, 0.5]]
P = W * [[0, 1]]
loss L = cross_entropy(P, [0])`);
  assert.deepEqual(
    r.forward.map((f) => [f.statementName, f.code, f.first.kind]),
    [['L', 'cross-entropy-zero', 'inf']],
  );
  assert.equal(r.backward.length, 1);
  const [b] = r.backward;
  assert.equal(b.pass, 'backward');
  assert.equal(b.name, 'P', 'the tensor whose gradient went non-finite');
  assert.equal(b.statementName, 'L', 'the statement whose backward rule ran');
  assert.equal(b.line, 3);
  assert.equal(b.code, 'cross-entropy-slope-at-zero');
  assert.deepEqual(b.first, { kind: '-inf', index: [0, 0] });
  assert.deepEqual(b.dependents, ['W']);
  assert.match(
    b.message,
    /^Backward, in L: ∂L\/∂P has one −∞ value, at \[0, 0\]: cross_entropy’s gradient divides/,
  );
  assert.match(b.message, /the gradient of W depends on it\.$/);
  assert.equal(r.gradientsFinite, false);
});

test('backward only: sqrt at 0 has a finite value but an infinite slope', () => {
  const { r } = report(`param x = [0, 1, 4]
y = sqrt(x)
loss L = sum(y)`);
  assert.deepEqual(r.forward, []);
  assert.equal(r.backward.length, 1);
  const [b] = r.backward;
  assert.equal(b.name, 'x');
  assert.equal(b.statementName, 'y');
  assert.equal(b.code, 'sqrt-slope-at-zero');
  assert.deepEqual(b.counts, { nan: 0, inf: 1, negInf: 0 });
  assert.equal(
    b.message,
    'Backward, in y: ∂L/∂x has one ∞ value, at [0]: the gradient of sqrt at 0 is 1/(2·0) = ∞.',
  );
});

test('an overflowing product, and a number given directly beyond float64', () => {
  const product = report(`param x = [1e300, 2]
y = x * x
loss L = mean(y)`).r;
  assert.equal(product.forward[0].code, 'overflow');
  assert.match(
    product.forward[0].message,
    /^y has one ∞ value, at \[0\]: the result of \* is beyond ±1\.8e308/,
  );
  const given = report(`param x = [1e309, 2]
loss L = sum(x)`).r;
  assert.deepEqual(
    given.forward.map((f) => [f.statementName, f.code, f.op, f.dependents]),
    [['x', 'given', 'leaf', ['L']]],
  );
});

test('all finite: the empty report, in both details, and without backward', () => {
  const text = `param W = [[1, 2], [3, 4]]
H = sigmoid(W @ [[1000], [-1000]])
loss L = sum(softmax(H, axis=0))`;
  assert.deepEqual(report(text).r, noNumericProblems);
  assert.deepEqual(explainBlock(block(text)).numerics, noNumericProblems);
  // Never ran backward: only the forward part can be reported.
  const b = block(OVERFLOW);
  const r = numericsReport(b);
  assert.equal(r.forward.length, 1);
  assert.deepEqual(r.backward, []);
  assert.equal(r.gradientsFinite, true);
});

// ---------------------------------------------------------------------------------------------
// Property: random chains of statements

const UNARY = ['exp', 'log', 'sqrt', 'sigmoid', 'softplus', 'tanh', 'abs'] as const;

interface Line {
  readonly kind: 'unary' | 'binary';
  readonly op: string;
  readonly a: number;
  readonly b: number;
}

const specArb = fc.record({
  values: fc.array(fc.constantFrom(0, 1, -1, 2.5, -3, 800, -800, 1e200, -1e200, 1e308), {
    minLength: 3,
    maxLength: 3,
  }),
  lines: fc.array(
    fc.record({
      kind: fc.constantFrom<'unary' | 'binary'>('unary', 'binary'),
      op: fc.constantFrom(...UNARY, '+', '-', '*', '/'),
      a: fc.nat(),
      b: fc.nat(),
    }),
    { minLength: 1, maxLength: 8 },
  ),
});

function specText(values: readonly number[], lines: readonly Line[]): string {
  const out = [`param x = [${values.map(String).join(', ')}]`];
  const names = ['x'];
  lines.forEach((l, i) => {
    const a = names[l.a % names.length];
    const b = names[l.b % names.length];
    const unary = (UNARY as readonly string[]).includes(l.op);
    const rhs =
      l.kind === 'unary' || !unary
        ? unary
          ? `${l.op}(${a})`
          : `${a} ${l.op} ${b}`
        : `${l.op}(${a}) * ${b}`;
    out.push(`s${i} = ${rhs}`);
    names.push(`s${i}`);
  });
  out.push(`loss L = sum(${names[names.length - 1]})`);
  return out.join('\n');
}

test('property: the first statement that is not finite is the first reported; every other non-finite statement is reported or a dependent', () => {
  fc.assert(
    fc.property(specArb, ({ values, lines }) => {
      const b = block(specText(values, lines));
      const { r } = { r: explainBlock(b, { detail: 'values' }).numerics ?? noNumericProblems };
      const bad = b.statements.filter((s) => s.node.value.data.some((v) => !Number.isFinite(v)));
      if (bad.length === 0) {
        assert.deepEqual(r.forward, []);
      } else {
        assert.ok(r.forward.length > 0, 'something is reported');
        assert.equal(r.forward[0].statementName, bad[0].name);
        assert.equal(r.forward[0].line, bad[0].range.start.line + 1);
        const explained = new Set(r.forward.flatMap((f) => [f.statementName, ...f.dependents]));
        for (const s of bad) assert.ok(explained.has(s.name), `${s.name} is accounted for`);
        // Reported statements are not finite, and none is a dependent of an earlier one unless
        // it has an origin of its own (its own first report precedes no one else's).
        for (const f of r.forward) {
          assert.ok(bad.some((s) => s.name === f.statementName));
          assert.ok(f.counts.nan + f.counts.inf + f.counts.negInf > 0);
          assert.ok(f.message.startsWith(f.name));
        }
      }
      const gradsBad = b.graph.nodes.some((n) => n.grad?.data.some((v) => !Number.isFinite(v)));
      assert.equal(r.gradientsFinite, !gradsBad);
      // A gradient that is not finite while every value is: backward says where it began.
      if (
        gradsBad &&
        bad.length === 0 &&
        b.graph.nodes.every((n) => n.value.data.every(Number.isFinite))
      ) {
        assert.ok(r.backward.length > 0, 'the backward origin is reported');
      }
    }),
    { numRuns: 300 },
  );
});

test('two finite gradient contributions that add up past the largest float64 are reported where they meet (fuzz counterexample)', () => {
  // Found by the property above (seed −658835771): ∂L/∂s1 gets 1.3e308 through softplus and
  // 7.3e307 through the product; each is finite, their sum is ∞, and no op's rule is to blame.
  const { r } = report(`param x = [0, 0, 1e+308]
s1 = tanh(x)
s2 = softplus(s1) * s1
s6 = x * s2
loss L = sum(s6 - x)`);
  assert.deepEqual(r.forward, []);
  assert.equal(r.gradientsFinite, false);
  assert.equal(r.backward.length, 1);
  const [b] = r.backward;
  assert.equal(b.name, 's1');
  assert.equal(b.statementName, 's1');
  assert.equal(b.line, 2);
  assert.equal(b.code, 'gradient-sum-overflow');
  assert.equal(b.op, 'add');
  assert.deepEqual(b.counts, { nan: 0, inf: 1, negInf: 0 });
  assert.deepEqual(b.first, { kind: 'inf', index: [2] });
  assert.deepEqual(b.dependents, ['x']);
  assert.equal(
    b.message,
    'Backward, in s1: ∂L/∂s1 has one ∞ value, at [2]: the 2 gradient contributions it receives ' +
      'are each finite but add up past ±1.8e308, the largest float64 — the gradient of x depends on it.',
  );
});

test('a use whose own rule sends back ∞ is blamed, not the sum it goes into', () => {
  // x is used twice: sqrt's slope at 0 is ∞, the other use sends back 1. The sum is ∞ because
  // one contribution already is: the cause is sqrt's rule, not the accumulation.
  const { r } = report(`param x = [0, 1]
y = sqrt(x) + x
loss L = sum(y)`);
  assert.equal(r.backward.length, 1);
  assert.equal(r.backward[0].name, 'x');
  assert.equal(r.backward[0].code, 'sqrt-slope-at-zero');
  assert.equal(r.backward[0].op, 'sqrt');
});
