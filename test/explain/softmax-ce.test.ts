/**
 * The two-layer network of the notes (DESIGN.md §2): softmax then cross-entropy, explained and
 * checked against the textbook backward pass computed here in plain arrays:
 * δ2 = (P − Y)/N, ∂L/∂W2 = H1ᵀ δ2, ∂L/∂b2 = Σrows δ2, δ1 = δ2 W2ᵀ ⊙ 1[Z1 > 0], ∂L/∂W1 = Xᵀ δ1.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Nested } from '../../src/engine/tensor';
import { type Explanation, explainBlock } from '../../src/explain/index';
import { explainSource } from '../../src/explain/source';
import { renderText } from '../../src/render/index';
import { BlockBuilder, type Matrix, addRow, maxDiff, mm, sumRows, tr, zip } from './block';
import { W1, W2, X, b1, b2 } from './nets';

const labels = [0, 1];

function softmaxRows(z: Matrix): Matrix {
  return z.map((row) => {
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
}

/** The network with `P = softmax(Z2); loss L = cross_entropy(P, y)`, or the fused loss. */
function network(fused: boolean, y: Nested = labels) {
  const b = new BlockBuilder();
  const x = b.leaf('input', 'X', X);
  const w1 = b.leaf('param', 'W1', W1);
  const bb1 = b.leaf('param', 'b1', b1);
  const w2 = b.leaf('param', 'W2', W2);
  const bb2 = b.leaf('param', 'b2', b2);
  const target = b.leaf('target', 'y', y);
  const z1 = b.let(null, 'Z1', b.op('add', [b.op('matmul', [x, w1]), bb1]), 'X @ W1 + b1');
  const h1 = b.let(null, 'H1', b.op('relu', [z1]), 'relu(Z1)');
  const z2 = b.let(null, 'Z2', b.op('add', [b.op('matmul', [h1, w2]), bb2]), 'H1 @ W2 + b2');
  if (fused) {
    b.let('loss', 'L', b.op('softmax_cross_entropy', [z2, target]), 'softmax_cross_entropy(Z2, y)');
  } else {
    const p = b.let(null, 'P', b.op('softmax', [z2]), 'softmax(Z2)');
    b.let('loss', 'L', b.op('cross_entropy', [p, target]), 'cross_entropy(P, y)');
  }
  return b.block();
}

function textbook() {
  const Z1 = addRow(mm(X, W1), b1);
  const H1 = Z1.map((r) => r.map((v) => Math.max(0, v)));
  const Z2 = addRow(mm(H1, W2), b2);
  const P = softmaxRows(Z2);
  const N = P.length;
  const Y = P.map((row, i) => row.map((_, j) => (j === labels[i] ? 1 : 0)));
  const L = -P.reduce((s, row, i) => s + Math.log(row[labels[i]]), 0) / N;
  const d2 = zip(P, Y, (p, q) => (p - q) / N);
  const dW2 = mm(tr(H1), d2);
  const db2 = sumRows(d2);
  const d1 = zip(mm(d2, tr(W2)), Z1, (g, z) => (z > 0 ? g : 0));
  const dW1 = mm(tr(X), d1);
  const db1 = sumRows(d1);
  return { P, Y, L, d2, dW2, db2, d1, dW1, db1 };
}

const node = (e: Explanation, name: string) => {
  const n = e.nodes.find((x) => x.name === name);
  assert.ok(n, name);
  return n;
};

const close = (a: Nested, b: Nested, tol = 1e-12): void => {
  assert.ok(maxDiff(a, b) <= tol, `expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
};

for (const fused of [false, true]) {
  const name = fused ? 'fused softmax_cross_entropy' : 'softmax then cross_entropy';

  test(`${name}: gradients and steps match the textbook backward pass`, () => {
    const e = explainBlock(network(fused), { gradientCheck: false });
    const ref = textbook();
    close(e.root?.value as Nested, ref.L);
    close(node(e, 'W1').grad as Nested, ref.dW1);
    close(node(e, 'b1').grad as Nested, ref.db1);
    close(node(e, 'W2').grad as Nested, ref.dW2);
    close(node(e, 'b2').grad as Nested, ref.db2);
    const z2 = e.steps.find((s) => s.node === node(e, 'Z2').id);
    assert.ok(z2);
    assert.equal(z2.symbol, '\\delta_{2}');
    close(z2.value, ref.d2);
    const z1 = e.steps.find((s) => s.node === node(e, 'Z1').id);
    assert.equal(z1?.symbol, '\\delta_{1}');
    close(z1?.value as Nested, ref.d1);
    const w1 = e.steps.find((s) => s.node === node(e, 'W1').id);
    assert.equal(w1?.rule, 'X^\\top \\delta_{1}');
  });

  test(`${name}: the gradient at the logits simplifies to (P − Y)/N, checked against backprop`, () => {
    const e = explainBlock(network(fused), { gradientCheck: false });
    const ref = textbook();
    assert.equal(e.softmaxCrossEntropy.length, 1);
    const x = e.softmaxCrossEntropy[0];
    assert.equal(x.fused, fused);
    assert.equal(x.logits, node(e, 'Z2').id);
    assert.equal(x.probabilities, fused ? null : node(e, 'P').id);
    assert.equal(x.labels, node(e, 'y').id);
    assert.equal(x.batch, 2);
    assert.equal(x.upstream, 1);
    close(x.oneHot, ref.Y);
    close(x.probabilitiesValue, ref.P);
    close(x.value, ref.d2);
    close(x.backprop, ref.d2);
    assert.ok(x.maxAbsDifference < 1e-15);
    assert.equal(x.agrees, true);
    assert.match(x.latex, /^\\frac\{\\partial L\}\{\\partial Z_\{2\}\} = \\frac\{1\}\{N\}\\left\(/);
    assert.match(x.latex, /N = 2/);
    const step = e.steps.find((s) => s.node === x.logits);
    assert.equal(
      step?.simplified,
      fused
        ? '\\frac{1}{N}\\left(\\operatorname{softmax}(Z_{2}) - Y\\right)'
        : '\\frac{1}{N}\\left(P - Y\\right)',
    );
    assert.ok(step?.latex.endsWith(` = ${step.simplified}`));
  });
}

test('one-hot labels give the same simplification', () => {
  const e = explainBlock(
    network(false, [
      [1, 0],
      [0, 1],
    ]),
    { gradientCheck: false },
  );
  const x = e.softmaxCrossEntropy[0];
  assert.ok(x);
  close(x.value, textbook().d2);
  assert.equal(x.agrees, true);
  assert.match(x.latex, /Y = y/);
});

test('a loss scaled after the cross-entropy: the upstream factor is carried, no step simplification', () => {
  const b = new BlockBuilder();
  const z = b.leaf('param', 'Z', [
    [1, 2, 3],
    [0, -1, 2],
  ]);
  const y = b.leaf('target', 'y', [2, 0]);
  const p = b.let(null, 'P', b.op('softmax', [z]), 'softmax(Z)');
  const ce = b.let(null, 'C', b.op('cross_entropy', [p, y]), 'cross_entropy(P, y)');
  b.let('loss', 'L', b.op('mul', [ce, b.literal(3)]), 'C * 3');
  const e = explainBlock(b.block(), { gradientCheck: false });
  const x = e.softmaxCrossEntropy[0];
  assert.equal(x.upstream, 3);
  assert.equal(x.agrees, true);
  const P = softmaxRows([
    [1, 2, 3],
    [0, -1, 2],
  ]);
  const expected = zip(
    P,
    [
      [0, 0, 1],
      [1, 0, 0],
    ],
    (a, c) => (3 * (a - c)) / 2,
  );
  close(x.value, expected);
  close(node(e, 'Z').grad as Nested, expected);
});

const design = `\`\`\`model
# two-layer network from the notes
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
\`\`\`
`;

test('the DESIGN.md §2 note through the spec layer: chain, steps, simplification, check', () => {
  const source = explainSource(design, 'markdown', { wrt: 'W1' });
  assert.equal(source.blocks.length, 1);
  const e = source.blocks[0];
  assert.deepEqual(e.errors, []);
  const g = e.gradients.find((x) => x.node === e.focus);
  assert.ok(g);
  // ∂L/∂W1 = ∂L/∂P · ∂P/∂Z2 · ∂Z2/∂H1 · ∂H1/∂Z1 · ∂Z1/∂W1
  assert.deepEqual(
    g.paths[0].nodes.map((id) => e.nodes[id].name),
    ['L', 'P', 'Z2', 'H1', 'Z1', 'W1'],
  );
  assert.deepEqual(
    g.paths[0].factors.map((f) => f.jacobianShape),
    [
      [2, 2],
      [2, 2, 2, 2],
      [2, 2, 2, 3],
      [2, 3, 2, 3],
      [2, 3, 2, 3],
    ],
  );
  assert.equal(e.softmaxCrossEntropy[0]?.agrees, true);
  assert.equal(e.gradientCheck?.passed, true);
  const text = renderText(source, { focusOnly: true });
  assert.ok(text.includes('∂L/∂W1 =       ∂L/∂P'));
  assert.ok(text.includes('δ2 = ∂L/∂Z2 ='));
  assert.ok(text.includes('(1/N)(P - Y)'));
});
