/**
 * End to end: the two-layer network of DESIGN.md §2, as written there, through parseSource, with
 * its forward values and gradients recomputed here by plain loops and the textbook formulas.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Xoshiro128, randn } from '../../src/engine/init';
import { parseMarkdown, parseSource } from '../../src/spec/index';
import type { ModelBlock } from '../../src/spec/model';

const spec = `# two-layer network from the notes
input  X  = [[1.0, 2.0], [0.5, -1.0]]     # 2 samples x 2 features
param  W1 = randn(2, 3, seed=1)
param  b1 = zeros(3)
param  W2 = randn(3, 2, seed=2)
param  b2 = zeros(2)
target y  = [0, 1]

Z1 = X @ W1 + b1
H1 = relu(Z1)
Z2 = H1 @ W2 + b2
P  = softmax(Z2)
loss L = cross_entropy(P, y)
`;

type M = number[][];
const matmul = (a: M, b: M): M =>
  a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const T = (a: M): M => a[0].map((_, j) => a.map((row) => row[j]));
const addRow = (a: M, r: number[]): M => a.map((row) => row.map((v, j) => v + r[j]));

function get(block: ModelBlock, name: string) {
  const st = block.statements.find((s) => s.name === name);
  assert.ok(st, `statement ${name} missing`);
  return st;
}

function near(actual: unknown, expected: number | M | number[], tol = 1e-12): void {
  const a = JSON.stringify(actual);
  const flatA = (Array.isArray(actual) ? (actual as unknown[]).flat(2) : [actual]) as number[];
  const flatE = (
    Array.isArray(expected) ? (expected as unknown[]).flat(2) : [expected]
  ) as number[];
  assert.equal(flatA.length, flatE.length, a);
  flatA.forEach((v, i) =>
    assert.ok(
      Math.abs(v - flatE[i]) <= tol * Math.max(1, Math.abs(flatE[i])),
      `${a} vs ${JSON.stringify(expected)}`,
    ),
  );
}

test('the design card’s two-layer network: every statement, a finite scalar loss, textbook values and gradients', () => {
  const [block] = parseSource(spec, 'model');
  assert.deepEqual(
    block.errors.map((e) => e.message),
    [],
  );
  assert.deepEqual(
    block.statements.map((s) => [s.role, s.name]),
    [
      ['input', 'X'],
      ['param', 'W1'],
      ['param', 'b1'],
      ['param', 'W2'],
      ['param', 'b2'],
      ['target', 'y'],
      [null, 'Z1'],
      [null, 'H1'],
      [null, 'Z2'],
      [null, 'P'],
      ['loss', 'L'],
    ],
  );
  assert.equal(block.root?.name, 'L');
  assert.equal(get(block, 'X').comment, '2 samples x 2 features');
  assert.equal(get(block, 'Z1').source, 'X @ W1 + b1');
  assert.deepEqual(get(block, 'W1').nameRange, {
    start: { line: 2, column: 7 },
    end: { line: 2, column: 9 },
  });

  // The seeded initializers are the generator's own draws.
  const W1 = get(block, 'W1').node.value.toNested() as M;
  const W2 = get(block, 'W2').node.value.toNested() as M;
  assert.deepEqual(W1, randn([2, 3], new Xoshiro128(1)).toNested());
  assert.deepEqual(W2, randn([3, 2], new Xoshiro128(2)).toNested());

  // Forward, by hand.
  const X: M = [
    [1.0, 2.0],
    [0.5, -1.0],
  ];
  const y = [0, 1];
  const Z1 = addRow(matmul(X, W1), [0, 0, 0]);
  const H1 = Z1.map((r) => r.map((v) => Math.max(0, v)));
  const Z2 = addRow(matmul(H1, W2), [0, 0]);
  const P = Z2.map((r) => {
    const m = Math.max(...r);
    const e = r.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
  const L = -(Math.log(P[0][y[0]]) + Math.log(P[1][y[1]])) / 2;
  near(get(block, 'Z1').node.value.toNested(), Z1);
  near(get(block, 'H1').node.value.toNested(), H1);
  near(get(block, 'Z2').node.value.toNested(), Z2);
  near(get(block, 'P').node.value.toNested(), P);
  const loss = get(block, 'L').node.value;
  assert.deepEqual(loss.shape, []);
  assert.ok(Number.isFinite(loss.data[0]));
  near(loss.data[0], L);

  // Backward from the loss, against δ2 = (P − Y)/N, ∂L/∂W2 = H1ᵀ δ2, δ1 = δ2 W2ᵀ ⊙ 1[Z1 > 0], ∂L/∂W1 = Xᵀ δ1.
  block.graph.backward(block.root!.node);
  const Y = y.map((k) => [0, 1].map((j) => (j === k ? 1 : 0)));
  const d2 = P.map((r, i) => r.map((v, j) => (v - Y[i][j]) / 2));
  const d1 = matmul(d2, T(W2)).map((r, i) => r.map((v, j) => (Z1[i][j] > 0 ? v : 0)));
  near(get(block, 'W2').node.grad?.toNested(), matmul(T(H1), d2), 1e-10);
  near(
    get(block, 'b2').node.grad?.toNested(),
    [0, 1].map((j) => d2[0][j] + d2[1][j]),
    1e-10,
  );
  near(get(block, 'W1').node.grad?.toNested(), matmul(T(X), d1), 1e-10);
  near(
    get(block, 'b1').node.grad?.toNested(),
    [0, 1, 2].map((j) => d1[0][j] + d1[1][j]),
    1e-10,
  );
  assert.ok(get(block, 'X').node.grad !== null, 'an input gets a gradient');
  assert.equal(get(block, 'y').node.grad, null, 'a target does not');
});

test('the same network inside a note: same values, ranges shifted to the note’s lines', () => {
  const note = `# 2층 신경망\n\n설명.\n\n\`\`\`model\n${spec}\`\`\`\n`;
  const [block] = parseMarkdown(note);
  const [alone] = parseSource(spec, 'model');
  assert.equal(block.errors.length, 0);
  assert.deepEqual(
    block.statements.map((s) => [s.name, s.range.start.line - 5, s.node.value.toNested()]),
    alone.statements.map((s) => [s.name, s.range.start.line, s.node.value.toNested()]),
  );
});
