import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Nested } from '../../src/engine/tensor';
import { ExplainError, type Explanation, explainBlock } from '../../src/explain/index';
import { explainBlocks } from '../../src/explain/source';
import { BlockBuilder, addRow, maxDiff, mm, tr, zip } from './block';
import { W1, W2, X, all, b1, b2, linear, textbook, twoLayer, twoPaths } from './nets';

const byName = (e: Explanation, name: string) => {
  const n = e.nodes.find((x) => x.name === name);
  assert.ok(n, `node ${name}`);
  return n;
};

const stepFor = (e: Explanation, name: string) => {
  const id = byName(e, name).id;
  const s = e.steps.find((x) => x.node === id);
  assert.ok(s, `step for ${name}`);
  return s;
};

const close = (a: Nested, b: Nested, tol = 1e-12): void => {
  assert.ok(maxDiff(a, b) <= tol, `expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
};

test('forward nodes: names, labels, roles, formulas, lines and values in order', () => {
  const e = explainBlock(twoLayer(10), { gradientCheck: false });
  const ref = textbook();
  assert.equal(e.version, 1);
  e.nodes.forEach((n, i) => assert.equal(n.id, i));
  const z1 = byName(e, 'Z1');
  assert.equal(z1.label, 'Z_{1}');
  assert.equal(z1.formula, 'Z_{1} = X W_{1} + b_{1}');
  assert.equal(z1.role, 'computed');
  assert.equal(z1.line, 17);
  assert.deepEqual(z1.range?.start, { line: 16, column: 0 });
  close(z1.value, ref.Z1);
  assert.equal(byName(e, 'W1').role, 'param');
  assert.equal(byName(e, 'W1').formula, null);
  assert.equal(byName(e, 'T').role, 'target');
  assert.equal(byName(e, 'T').grad, null);
  // The unnamed X @ W1 inside Z1's statement: its formula is its label, its line Z1's.
  const sub = e.nodes[z1.inputs[0]];
  assert.equal(sub.name, null);
  assert.equal(sub.role, 'subexpression');
  assert.equal(sub.label, 'X W_{1}');
  assert.equal(sub.line, 17);
  assert.ok(e.root);
  assert.equal(e.root.name, 'L');
  assert.equal(e.root.seed, 'scalar');
  close(e.root.value, ref.L);
});

test('gradients and backprop steps match the textbook formulas computed independently', () => {
  const e = explainBlock(twoLayer(), { gradientCheck: false });
  const ref = textbook();
  close(byName(e, 'W1').grad as Nested, ref.dW1);
  close(byName(e, 'b1').grad as Nested, ref.db1);
  close(byName(e, 'W2').grad as Nested, ref.dW2);
  close(byName(e, 'b2').grad as Nested, ref.db2);
  close(byName(e, 'X').grad as Nested, ref.dX);

  // δ2 = ∂L/∂Z2, ∂L/∂W2 = H1ᵀ δ2, ∂L/∂b2 = Σrows δ2, ∂L/∂H1 = δ2 W2ᵀ, δ1 = H̄1 ⊙ 1[Z1 > 0], ∂L/∂W1 = Xᵀ δ1.
  const z2 = stepFor(e, 'Z2');
  close(z2.value, ref.dZ2);
  const w2 = stepFor(e, 'W2');
  assert.equal(w2.rule, `H_{1}^\\top ${z2.symbol}`);
  close(w2.value, ref.dW2);
  const bb2 = stepFor(e, 'b2');
  assert.match(bb2.rule, /\\sum_\{\\text\{rows\}\}/);
  close(bb2.value, ref.db2);
  const h1 = stepFor(e, 'H1');
  assert.equal(h1.symbol, '\\bar{H}_{1}');
  assert.equal(h1.rule, `${z2.symbol}\\, W_{2}^\\top`);
  close(h1.value, ref.dH1);
  const z1 = stepFor(e, 'Z1');
  assert.equal(z1.symbol, '\\delta_{1}', 'Z1 feeds relu: a pre-activation, written δ1');
  assert.equal(z1.rule, '\\bar{H}_{1} \\odot \\mathbb{1}[Z_{1} > 0]');
  assert.equal(z1.latex, `\\delta_{1} = \\frac{\\partial L}{\\partial Z_{1}} = ${z1.rule}`);
  close(z1.value, ref.dZ1);
  const w1 = stepFor(e, 'W1');
  assert.equal(w1.rule, 'X^\\top \\delta_{1}');
  assert.equal(w1.symbol, '\\frac{\\partial L}{\\partial W_{1}}');
  close(w1.value, ref.dW1);

  // Order: the seed first, then each gradient as soon as backprop has completed it.
  assert.equal(e.steps[0].kind, 'seed');
  assert.equal(e.steps[0].node, e.root?.node);
  const order = e.steps.map((s) => e.nodes[s.node].name);
  assert.deepEqual(order, ['L', 'D', 'Z2', 'W2', 'b2', 'H1', 'Z1', 'X', 'W1', 'b1']);
  e.steps.forEach((s, i) => assert.equal(s.index, i));
  // Every term's value sums to the step's value.
  for (const s of e.steps.filter((x) => x.kind !== 'seed')) {
    assert.ok(s.terms.length >= 1);
  }
  // The notation lists δ1 = ∂L/∂Z1.
  assert.ok(
    e.notation.some(
      (n) => n.symbol === '\\delta_{1}' && n.meaning === '\\frac{\\partial L}{\\partial Z_{1}}',
    ),
  );
});

test('chain rule for W1: one path through the named tensors, factor and VJP shapes', () => {
  const e = explainBlock(twoLayer(), { gradientCheck: false, wrt: 'W1' });
  assert.equal(e.focus, byName(e, 'W1').id);
  const g = e.gradients.find((x) => x.node === e.focus);
  assert.ok(g);
  assert.equal(g.pathCount, 1);
  assert.equal(g.truncated, false);
  const path = g.paths[0];
  assert.deepEqual(
    path.nodes.map((id) => e.nodes[id].name),
    ['L', 'D', 'Z2', 'H1', 'Z1', 'W1'],
  );
  assert.deepEqual(
    path.factors.map((f) => f.latex),
    [
      '\\frac{\\partial L}{\\partial D}',
      '\\frac{\\partial D}{\\partial Z_{2}}',
      '\\frac{\\partial Z_{2}}{\\partial H_{1}}',
      '\\frac{\\partial H_{1}}{\\partial Z_{1}}',
      '\\frac{\\partial Z_{1}}{\\partial W_{1}}',
    ],
  );
  // Full Jacobian: out.shape ++ in.shape; VJP: the input's shape.
  assert.deepEqual(
    path.factors.map((f) => f.jacobianShape),
    [
      [2, 2],
      [2, 2, 2, 2],
      [2, 2, 2, 3],
      [2, 3, 2, 3],
      [2, 3, 2, 3],
    ],
  );
  assert.deepEqual(
    path.factors.map((f) => f.vjpShape),
    [
      [2, 2],
      [2, 2],
      [2, 3],
      [2, 3],
      [2, 3],
    ],
  );
  assert.equal(path.latex, path.factors.map((f) => f.latex).join('\\, '));
  assert.equal(g.latex, `\\frac{\\partial L}{\\partial W_{1}} = ${path.latex}`);
  // The folded add + matmul of Z1's statement: only matmul's local derivative is informative.
  const last = path.factors[4];
  assert.deepEqual(
    last.locals.map((l) => l.op),
    ['add', 'matmul'],
  );
  assert.match(last.local, /X_\{ik\}/);
  assert.equal(path.factors[3].local, '\\operatorname{diag}(\\mathbb{1}[Z_{1} > 0])');
  // The one path's value is the gradient.
  close(path.value, textbook().dW1);
  assert.equal(g.pathSumError, 0);
  // Its steps: the seed, D, Z2, H1, Z1, W1.
  assert.deepEqual(
    g.steps.map((i) => e.nodes[e.steps[i].node].name),
    ['L', 'D', 'Z2', 'H1', 'Z1', 'W1'],
  );
});

test('small factor Jacobians are explicit and agree with the VJP backprop computes', () => {
  const e = explainBlock(twoLayer(), { gradientCheck: false });
  const g = e.gradients.find((x) => e.nodes[x.node].name === 'W1');
  assert.ok(g);
  const f = g.paths[0].factors[4]; // ∂Z1/∂W1, 2×3×2×3
  assert.ok(f.jacobian);
  // ∂Z1[i][j]/∂W1[k][l] = X[i][k] δ(j,l)
  const J = f.jacobian as number[][][][];
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 3; j++)
      for (let k = 0; k < 2; k++)
        for (let l = 0; l < 3; l++) assert.equal(J[i][j][k][l], j === l ? X[i][k] : 0);
  // Above the limit only the shape is given.
  const small = explainBlock(twoLayer(), { gradientCheck: false, maxJacobianEntries: 10 });
  const g2 = small.gradients.find((x) => small.nodes[x.node].name === 'W1');
  assert.equal(g2?.paths[0].factors[4].jacobian, null);
  assert.equal(g2?.paths[0].factors[4].jacobianSize, 36);
});

test('several paths to one leaf are listed, summed, and each step adds the terms', () => {
  const { block, Xv, Wv } = twoPaths();
  const e = explainBlock(block, { gradientCheck: false, wrt: 'x' });
  // Textbook: A = xW, H = relu(A), S = H + x, dS = 2S, dx = dS + (dS ⊙ 1[A>0]) Wᵀ.
  const A = mm(Xv, Wv);
  const S = zip(
    A.map((r) => r.map((v) => Math.max(0, v))),
    Xv,
    (h, x) => h + x,
  );
  const dS = S.map((r) => r.map((v) => 2 * v));
  const viaH = mm(
    zip(dS, A, (g, a) => (a > 0 ? g : 0)),
    tr(Wv),
  );
  const dx = zip(dS, viaH, (p, q) => p + q);

  const g = e.gradients.find((x) => x.node === e.focus);
  assert.ok(g);
  assert.equal(g.name, 'x');
  assert.equal(g.role, 'leaf');
  assert.equal(g.pathCount, 2);
  assert.equal(g.paths.length, 2);
  const routes = g.paths.map((p) => p.nodes.map((id) => e.nodes[id].name).join('→'));
  assert.deepEqual(routes.sort(), ['L→S→H→x', 'L→S→x']);
  const direct = g.paths.find((p) => p.nodes.length === 3);
  const throughH = g.paths.find((p) => p.nodes.length === 4);
  close(direct!.value, dS);
  close(throughH!.value, viaH);
  close(g.grad, dx);
  assert.ok((g.pathSumError ?? 1) < 1e-12);
  assert.match(g.latex, /^\\frac\{\\partial L\}\{\\partial x\} = .+ \+ .+$/);

  const step = e.steps.find((s) => s.node === g.node);
  assert.ok(step);
  assert.equal(step.kind, 'sum');
  assert.equal(step.terms.length, 2);
  assert.deepEqual(
    step.terms.map((t) => e.nodes[t.from].name),
    ['S', 'H'],
  );
  close(step.terms[0].value, dS);
  close(step.terms[1].value, viaH);
  assert.equal(step.rule, `${step.terms[0].rule} + ${step.terms[1].rule}`);
  close(step.value, dx);
  // S feeds nothing that is an activation: its gradient is written with a bar.
  assert.equal(e.steps.find((s) => e.nodes[s.node].name === 'S')?.symbol, '\\bar{S}');
  // d(S*S)/dS inside one statement: two routes, summed in the local derivative.
  const ls = g.paths[0].factors[0];
  assert.equal(e.nodes[ls.wrt].name, 'S');
  assert.match(ls.local, / \+ /);
});

test('maxPaths cuts the listing, not the count', () => {
  const { block } = twoPaths();
  const e = explainBlock(block, { gradientCheck: false, wrt: 'x', maxPaths: 1 });
  const g = e.gradients.find((x) => x.node === e.focus);
  assert.equal(g?.pathCount, 2);
  assert.equal(g?.paths.length, 1);
  assert.equal(g?.truncated, true);
  assert.equal(g?.pathSumError, null);
  assert.match(g?.latex ?? '', /\\cdots$/);
  assert.ok(e.notices.some((n) => n.includes('2 chain-rule paths')));
});

test('wrt: unknown names and tensors without a gradient are clear errors naming the choices', () => {
  assert.throws(
    () => explainBlock(twoLayer(), { gradientCheck: false, wrt: 'W3' }),
    (err: unknown) =>
      err instanceof ExplainError &&
      /no tensor named W3/.test(err.message) &&
      /X, W1, b1, W2, b2/.test(err.message),
  );
  assert.throws(
    () => explainBlock(twoLayer(), { gradientCheck: false, wrt: 'T' }),
    /T is a target, so backprop computes no gradient for it; tensors with a gradient here: X, W1, b1, W2, b2/,
  );
  // A computed tensor is fine: its own chain rule.
  const e = explainBlock(twoLayer(), { gradientCheck: false, wrt: 'H1' });
  const g = e.gradients.find((x) => x.node === e.focus);
  assert.equal(g?.name, 'H1');
  assert.deepEqual(
    g?.paths[0].nodes.map((id) => e.nodes[id].name),
    ['L', 'D', 'Z2', 'H1'],
  );
  // Default focus: the first param.
  assert.equal(e.nodes[explainBlock(twoLayer(), { gradientCheck: false }).focus!].name, 'W1');
});

test('explainBlocks: a wrt missing from one block falls back there with a notice', () => {
  const other = new BlockBuilder(30);
  const a = other.leaf('param', 'a', [1, 2]);
  other.let('loss', 'M', other.op('sum', [other.op('mul', [a, a])], all), 'sum(a * a)');
  const both = explainBlocks([twoLayer(), other.block(1)], 'markdown', {
    wrt: 'W1',
    gradientCheck: false,
  });
  assert.equal(both.blocks.length, 2);
  assert.equal(both.blocks[1].nodes[both.blocks[1].focus!].name, 'a');
  assert.ok(both.blocks[1].notices.some((n) => n.includes('W1')));
  assert.throws(
    () => explainBlocks([twoLayer(), other.block(1)], 'markdown', { wrt: 'nope' }),
    ExplainError,
  );
});

test('linearity: stacked affine layers collapse to W = W1 W2, b = b1 W2 + b2 with the same output', () => {
  const e = explainBlock(linear(false), { gradientCheck: false });
  const l = e.linearity;
  assert.equal(l.layers.length, 2);
  assert.equal(l.runs.length, 1);
  assert.equal(l.blocked.length, 0);
  const run = l.runs[0];
  assert.equal(run.weightLatex, 'W = W_{1} W_{2}');
  assert.equal(run.biasLatex, 'b = b_{1} W_{2} + b_{2}');
  const W = mm(W1, W2);
  const bias = mm([b1], W2)[0].map((v, j) => v + b2[j]);
  close(run.weight, W);
  close(run.bias as Nested, bias);
  assert.deepEqual(run.weightShape, [2, 2]);
  const out = addRow(mm(X, W), bias);
  close(run.output, out);
  const z2 = addRow(mm(addRow(mm(X, W1), b1), W2), b2);
  close(run.output, z2, 1e-12);
  assert.ok(run.maxAbsDifference < 1e-12);
  assert.equal(run.equal, true);
});

test('linearity: an activation between two layers is named as what blocks the collapse', () => {
  const e = explainBlock(linear(true), { gradientCheck: false });
  const l = e.linearity;
  assert.equal(l.layers.length, 2);
  assert.equal(l.runs.length, 0);
  assert.equal(l.blocked.length, 1);
  assert.deepEqual(
    l.blocked[0].ops.map((o) => o.op),
    ['relu'],
  );
  assert.match(l.blocked[0].message, /relu \(H1\) sits between layer Z1 and layer Z2/);
  assert.match(l.blocked[0].message, /not linear/);
});

test('memory: bytes each op keeps, each tensor once, and the forward-only peak', () => {
  // Z1 = X @ W1 + b1 (2×3); H1 = relu(Z1); L = sum(H1).
  const b = new BlockBuilder();
  const x = b.leaf('input', 'X', X); // 4 values
  const w1 = b.leaf('param', 'W1', W1); // 6
  const bb1 = b.leaf('param', 'b1', b1); // 3
  const z1 = b.let(null, 'Z1', b.op('add', [b.op('matmul', [x, w1]), bb1]), 'X @ W1 + b1');
  const h1 = b.let(null, 'H1', b.op('relu', [z1]), 'relu(Z1)');
  const m = b.let(null, 'M', b.op('mul', [h1, h1]), 'H1 * H1');
  b.let('loss', 'L', b.op('sum', [m], all), 'sum(M)');
  const e = explainBlock(b.block(), { gradientCheck: false });
  const mem = e.memory;
  assert.ok(mem);
  const byOp = new Map(mem.ops.map((o) => [o.label, o]));
  // matmul saves X and W1: (4 + 6) × 8.
  assert.equal(byOp.get('X W_{1}')?.bytes, 80);
  assert.equal(byOp.get('Z_{1}')?.bytes, 0); // add keeps nothing
  assert.equal(byOp.get('H_{1}')?.bytes, 48); // relu keeps its output
  // mul keeps both operands — the same H1, listed once, already counted by relu.
  const mul = byOp.get('M');
  assert.equal(mul?.saved.length, 1);
  assert.equal(mul?.saved[0].counted, false);
  assert.equal(mul?.newBytes, 0);
  assert.equal(mem.savedBytes, 80 + 48);
  assert.equal(mem.savedActivationBytes, 48);
  assert.equal(mem.leafBytes, (4 + 6 + 3) * 8);
  // Forward only: X@W1 (48) and Z1 (48) alive together is the peak; later at most two 2×3 values.
  assert.equal(mem.inference.peakActivationBytes, 96);
  assert.equal(mem.inference.peakBytes, 96 + 104);
});

test('a non-scalar output is seeded with ones, says so, and small Jacobians are given', () => {
  const b = new BlockBuilder();
  const x = b.leaf('param', 'x', [1, 2]);
  b.let('output', 'y', b.op('mul', [x, x]), 'x * x');
  const e = explainBlock(b.block(), { gradientCheck: false });
  assert.equal(e.root?.seed, 'ones');
  assert.ok(e.notices.some((n) => n.includes('not a scalar')));
  const g = e.gradients[0];
  assert.deepEqual(g.grad, [2, 4]);
  assert.deepEqual(g.jacobian, [
    [2, 0],
    [0, 4],
  ]);
  // The graph is left with backward's gradients, not the Jacobian's last row.
  assert.deepEqual(b.graph.nodes[0].grad?.toNested(), [2, 4]);
});

test('the gradient check is included, and spec errors come through 1-based', () => {
  const b = new BlockBuilder(4);
  const x = b.leaf('param', 'x', [1, 2]);
  b.error('unknown name q — did you mean x?');
  b.let('loss', 'L', b.op('sum', [b.op('mul', [x, x])], all), 'sum(x * x)');
  const e = explainBlock(b.block(), {});
  assert.ok(e.gradientCheck);
  assert.equal(e.gradientCheck.passed, true);
  assert.deepEqual(
    e.gradientCheck.tensors.map((t) => t.name),
    ['x'],
  );
  assert.equal(e.errors.length, 1);
  assert.deepEqual(
    [e.errors[0].line, e.errors[0].column, e.errors[0].endLine, e.errors[0].endColumn],
    [6, 5, 6, 10],
  );
  assert.equal(e.errors[0].code, 'unknown-name');
  assert.equal(explainBlock(b.block(), { gradientCheck: false }).gradientCheck, null);
});

test('a block where nothing evaluated still explains: no root, no gradients', () => {
  const b = new BlockBuilder();
  b.error('bad literal');
  const e = explainBlock(b.block(), {});
  assert.equal(e.root, null);
  assert.deepEqual(e.nodes, []);
  assert.deepEqual(e.gradients, []);
  assert.equal(e.focus, null);
  assert.equal(e.memory, null);
  assert.equal(e.gradientCheck, null);
});

/** Walks a value and fails on anything JSON cannot carry faithfully. */
function assertPlain(v: unknown, path = '$'): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    assert.ok(Number.isFinite(v), `${path} is not finite`);
    return;
  }
  assert.notEqual(v, undefined, `${path} is undefined`);
  if (Array.isArray(v)) {
    v.forEach((x, i) => assertPlain(x, `${path}[${i}]`));
    return;
  }
  assert.equal(typeof v, 'object', `${path} is a ${typeof v}`);
  const proto = Object.getPrototypeOf(v);
  assert.ok(proto === Object.prototype, `${path} is a class instance`);
  for (const [k, x] of Object.entries(v as object)) assertPlain(x, `${path}.${k}`);
}

test('the Explanation is plain JSON data: it survives a JSON round trip unchanged', () => {
  for (const block of [twoLayer(), twoPaths().block, linear(false)]) {
    const e = explainBlock(block);
    assertPlain(e);
    assert.deepEqual(JSON.parse(JSON.stringify(e)), e);
  }
});
