/**
 * The PyTorch and NumPy exports as text, without running them (export-python.test.ts runs them):
 * what a reader of the two-layer sample's programs finds, names Python cannot take, the training
 * loop's settings, and the refusals — spec errors, an empty block, and an op or an argument the
 * export has no counterpart for — each with a message that says what and where.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Node } from '../../src/engine/graph';
import { allOps } from '../../src/engine/ops/index';
import { ExportError } from '../../src/render/export-common';
import { exportNumPy, numpyBackwardOps, numpyDialect } from '../../src/render/export-numpy';
import { exportPyTorch, pytorchDialect } from '../../src/render/export-pytorch';
import { parseSource } from '../../src/spec/index';
import type { ModelBlock } from '../../src/spec/model';

const samplePath = 'samples/two-layer-network.md';
const sampleText = readFileSync(samplePath, 'utf8');
const sample = (): ModelBlock => parseSource(sampleText, { fileName: samplePath })[0];
const model = (text: string): ModelBlock => parseSource(text, 'model')[0];

const exporters = [
  { name: 'PyTorch', run: exportPyTorch },
  { name: 'NumPy', run: exportNumPy },
] as const;

/** The float literals of `W = …(` up to the line that closes it, in order. */
function literalNumbers(program: string, variable: string): number[] {
  const start = program.indexOf(`\n${variable} = `);
  assert.ok(start >= 0, `no ${variable} = in the program`);
  const end = program.indexOf('\n', program.indexOf(')', start));
  return [...program.slice(start, end).matchAll(/-?\d+\.\d+(?:e-?\d+)?/g)].map((m) => Number(m[0]));
}

test('every engine op has a PyTorch rule, a NumPy rule and a NumPy backward rule', () => {
  const names = allOps().map((op) => op.name);
  const missing = (have: readonly string[]) => names.filter((n) => !have.includes(n));
  assert.deepEqual(missing(Object.keys(pytorchDialect.ops)), []);
  assert.deepEqual(missing(Object.keys(numpyDialect.ops)), []);
  assert.deepEqual(missing(numpyBackwardOps()), ['one_hot']); // its input never gets a gradient
});

test('PyTorch: the two-layer sample as the notes wrote it', () => {
  const block = sample();
  const program = exportPyTorch(block, {
    source: samplePath,
    text: sampleText,
    training: { learningRate: 0.05, steps: 250 },
  });
  assert.match(program, /^"""two-layer network from the notes\n/);
  assert.ok(
    program.includes('Exported by Backprop Notes from samples/two-layer-network.md (block 1).'),
  );
  assert.ok(program.includes('torch.set_default_dtype(torch.float64)'));
  // input: a tensor with a gradient, the note's comment kept; targets as integer labels.
  assert.ok(
    program.includes(
      'X = torch.tensor([[1.0, 2.0], [0.5, -1.0]], requires_grad=True)  # 2 samples x 2 features',
    ),
  );
  assert.ok(program.includes('y = torch.tensor([0, 1])\n'));
  assert.ok(program.includes('b1 = torch.nn.Parameter(torch.zeros(3))'));
  assert.ok(program.includes('W1 = torch.nn.Parameter(torch.tensor(['));
  assert.match(program, /# W1 = randn\(2, 3, seed=1\) in the notes: random numbers/);
  // The values are the engine's, bit for bit.
  const w1 = block.graph.nodes.find((n) => n.name === 'W1')!;
  assert.deepEqual(literalNumbers(program, 'W1'), [...w1.value.data]);
  for (const line of [
    'Z1 = X @ W1 + b1',
    'H1 = torch.relu(Z1)',
    'Z2 = H1 @ W2 + b2',
    'P = torch.softmax(Z2, dim=-1)',
    'L = F.nll_loss(torch.log(P), y)  # L = cross_entropy(P, y) in the notes',
    'L.backward()',
    'gradients = {"X": X.grad, "W1": W1.grad, "b1": b1.grad, "W2": W2.grad, "b2": b2.grad}',
    '# optimizer = torch.optim.SGD([W1, b1, W2, b2], lr=0.05)',
    '# for step in range(250):',
    '#     Z1 = X @ W1 + b1',
    '#     L.backward()',
    '#     optimizer.step()',
  ]) {
    assert.ok(program.includes(`${line}\n`), `missing: ${line}\n${program}`);
  }
  assert.ok(program.includes('learning rate 0.05, 250 steps'));
});

test('NumPy: the two-layer sample with the backward pass written out, step by step', () => {
  const program = exportNumPy(sample(), { source: samplePath, text: sampleText });
  const expected = [
    'H1 = np.maximum(0, Z1)',
    'P = softmax(Z2)',
    'L = -np.log(P[np.arange(2), y]).mean()  # L = cross_entropy(P, y) in the notes',
    '# δ2 = ∂L/∂Z2 = P ⊙ (P̄ - (P̄ ⊙ P)𝟏𝟏ᵀ) = (1/N)(P - Y)',
    'Y = np.eye(2)[y]  # y as one-hot rows',
    'dZ2 = (P - Y) / 2',
    '# ∂L/∂W2 = H1ᵀ δ2',
    'dW2 = H1.T @ dZ2',
    'db2 = dZ2.sum(axis=0)',
    'dH1 = dZ2 @ W2.T',
    '# δ1 = ∂L/∂Z1 = H̄1 ⊙ 𝟙[Z1 > 0]',
    'dZ1 = dH1 * (Z1 > 0)',
    'dW1 = X.T @ dZ1',
    'db1 = dZ1.sum(axis=0)',
    'gradients = {"X": dX, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2}',
  ];
  for (const line of expected)
    assert.ok(program.includes(`${line}\n`), `missing: ${line}\n${program}`);
  // The steps in the order backprop completes them: δ2 before W2's gradient before δ1 before W1's.
  const at = (s: string) => program.indexOf(s);
  assert.ok(at('dZ2 =') < at('dW2 =') && at('dW2 =') < at('dZ1 =') && at('dZ1 =') < at('dW1 ='));
  assert.doesNotMatch(program, /import torch/);
});

test('names Python or the program keeps get a trailing _; a name defined twice gets _2', () => {
  const block = model(
    'param in = [1.0, 2.0]\nparam F = [0.5, 0.25]\nZ = in * F\nZ = Z + 1\nA = Z\nloss L = sum(A)\n',
  );
  for (const { run } of exporters) {
    const program = run(block);
    assert.ok(program.includes('in_ = '), program);
    assert.ok(program.includes('F_ = '), program);
    assert.ok(program.includes('Z = in_ * F_\n'), program);
    assert.ok(
      program.includes('# Z again (defined a second time in the notes), here Z_2\nZ_2 = Z + 1'),
    );
    assert.ok(program.includes('A = Z_2\n'));
    // The JSON keys stay the user's names.
    assert.match(program, /"in": /);
    assert.match(program, /"F": /);
  }
});

test('a non-scalar output is seeded with ones; with no param there is nothing to train', () => {
  const block = model('input x = [1.0, -2.0]\noutput y = tanh(x) * 2\n');
  const torch = exportPyTorch(block);
  assert.ok(torch.includes('y.backward(torch.ones_like(y))'));
  assert.ok(torch.includes('nothing to train'));
  const np = exportNumPy(block);
  assert.ok(np.includes('dy = np.ones_like(y)'), np);
  assert.ok(np.includes('dx = dy * 2 * (1 - np.tanh(x) ** 2)') || np.includes('dx ='), np);
});

test('a block with spec errors is refused, every error listed with its line', () => {
  const block = model('param W = [[1.0, 2.0]]\nZ = W @ Q\nV = W + R\nloss L = sum(W)\n');
  for (const { run } of exporters) {
    assert.throws(
      () => run(block),
      (e: unknown) =>
        e instanceof ExportError &&
        e.code === 'spec-errors' &&
        e.line === 1 &&
        /2 errors/.test(e.message) &&
        /line 2: unknown name 'Q'/.test(e.message) &&
        /fix them first/.test(e.message),
    );
  }
});

test('an empty block is refused with what to write', () => {
  const block = parseSource('```model\n# nothing yet\n```\n', 'markdown')[0];
  for (const { run } of exporters) {
    assert.throws(
      () => run(block),
      (e: unknown) =>
        e instanceof ExportError && e.code === 'empty' && /no statements/.test(e.message),
    );
  }
});

test('an op with no counterpart is refused by name and line, not written as broken code', () => {
  for (const { name, run } of exporters) {
    const block = model('param W = [[1.0, -2.0]]\nZ = relu(W)\nloss L = sum(Z)\n');
    // An op the engine might grow that the export does not know: a cumulative sum.
    const relu = block.graph.nodes.find((n) => n.op === 'relu') as { op: string };
    relu.op = 'cumsum';
    assert.throws(
      () => run(block),
      (e: unknown) =>
        e instanceof ExportError &&
        e.code === 'unsupported' &&
        e.line === 1 &&
        e.message.includes(`The op 'cumsum' (line 2: Z = relu(W)) has no ${name} counterpart`) &&
        /rewrite that step with other ops/.test(e.message),
    );
  }
});

test('an op argument the export does not know is refused, not dropped', () => {
  for (const { run } of exporters) {
    const block = model('param W = [[1.0, -2.0]]\nS = softmax(W)\nloss L = sum(S * W)\n');
    const softmax = block.graph.nodes.find((n) => n.op === 'softmax') as Node & {
      attrs: Record<string, unknown>;
    };
    (softmax as { attrs: unknown }).attrs = { axis: -1, temperature: 2 };
    assert.throws(
      () => run(block),
      (e: unknown) =>
        e instanceof ExportError && e.code === 'unsupported' && /'temperature'/.test(e.message),
    );
  }
});

test('class labels used only as labels are integers; labels also used as numbers are converted', () => {
  const only = model(
    'param Z = [[1.0, 2.0], [0.5, 0.0]]\ntarget y = [1, 0]\nloss L = softmax_cross_entropy(Z, y)\n',
  );
  assert.ok(exportPyTorch(only).includes('y = torch.tensor([1, 0])\n'));
  assert.ok(exportPyTorch(only).includes('L = F.cross_entropy(Z, y)'));
  assert.ok(exportNumPy(only).includes('y = np.array([1, 0])\n'));
  const both = model(
    'param Z = [[1.0, 2.0], [0.5, 0.0]]\ntarget y = [1, 0]\nloss L = softmax_cross_entropy(Z, y) + sum(y * 0.5)\n',
  );
  assert.ok(exportPyTorch(both).includes('y = torch.tensor([1.0, 0.0])\n'));
  assert.ok(exportPyTorch(both).includes('F.cross_entropy(Z, y.long())'));
  assert.ok(exportNumPy(both).includes('y.astype(int)'));
});

test('float literals read back to the same float64, whatever their size', () => {
  const values = [0.1, -2.5e-7, 1e21, 123456789.123, -0, 5e-324, 1 / 3];
  const block = model(
    `param v = [${values.map((v) => (Object.is(v, -0) ? '-0.0' : String(v))).join(', ')}]\nloss L = sum(v * v)\n`,
  );
  const program = exportNumPy(block);
  const line = program.split('\n').find((l) => l.startsWith('v = np.array('))!;
  const written = line.slice('v = np.array(['.length, -2).split(', ');
  assert.deepEqual(written.map(Number), values);
  assert.ok(
    written.every((w) => /[.e]/.test(w)),
    'every literal is a float in Python',
  );
});
