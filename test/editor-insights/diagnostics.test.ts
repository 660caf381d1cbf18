/**
 * Live diagnostics: spec errors at their ranges with a quick fix that repairs an unknown name,
 * dead ReLU units, softmax → cross-entropy, the live size limit, and the CodeLens data.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  InsightsCache,
  type InsightDiagnostic,
  defaultLiveSettings,
} from '../../src/editor-insights/index';
import { modelInsights, replaceRange, sample, textAt } from './helpers';

const errorsOf = (ds: readonly InsightDiagnostic[]) => ds.filter((d) => d.severity === 'error');

test('the samples have no errors', () => {
  for (const name of ['two-layer-network.md', 'softmax.md', 'activations.md']) {
    const { blocks } = new InsightsCache().insights(sample(name), 'markdown', defaultLiveSettings);
    assert.ok(blocks.length > 0);
    for (const b of blocks) assert.deepEqual(errorsOf(b.diagnostics), [], name);
  }
  const model = new InsightsCache().insights(sample('xor.model'), 'model', defaultLiveSettings);
  assert.deepEqual(errorsOf(model.blocks[0].diagnostics), []);
});

test('a typo gives one error on the name, and its quick fix repairs the block', () => {
  const text = sample('two-layer-network.md');
  const typo = text.replace('Z2 = H1 @ W2 + b2', 'Z2 = H1 @ W3 + b2');
  const { blocks } = new InsightsCache().insights(typo, 'markdown', defaultLiveSettings);
  const errors = errorsOf(blocks[0].diagnostics);
  assert.equal(errors.length, 1);
  const [e] = errors;
  assert.equal(e.code, 'unknown-name');
  assert.equal(textAt(typo, e.range), 'W3');
  assert.match(e.message, /unknown name 'W3'/);
  assert.ok(e.fix);
  assert.equal(e.fix.title, "Change to 'W2'");
  const fixed = replaceRange(typo, e.fix.range, e.fix.text);
  assert.equal(fixed, text);
  const again = new InsightsCache().insights(fixed, 'markdown', defaultLiveSettings);
  assert.deepEqual(errorsOf(again.blocks[0].diagnostics), []);
});

test('shape mismatch and wrong arity are errors with the engine’s message and no quick fix', () => {
  const text = 'X = ones(2, 3)\nW = ones(2, 2)\nZ = X @ W\nH = relu(X, W)\n';
  const b = modelInsights(text);
  const errors = errorsOf(b.diagnostics);
  assert.deepEqual(
    errors.map((e) => [e.code, e.range.start.line, e.fix]),
    [
      ['shape', 2, null],
      ['arity', 3, null],
    ],
  );
  assert.match(errors[0].message, /inner sizes 3 and 2 differ/);
  // The statements before an error still evaluate: X and W have hovers.
  assert.deepEqual(
    b.hovers.map((h) => h.name),
    ['X', 'W'],
  );
});

test('a ReLU dead for every sample is a warning naming the dead columns only', () => {
  const text = [
    'input X = [[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]]',
    'param W = [[1.0, -1.0, 0.5, -2.0], [0.5, -1.0, -1.0, -0.1]]',
    'Z = X @ W',
    'H = relu(Z)',
    'loss L = sum(H)',
  ].join('\n');
  // Z columns: 0 → 2, 0, 2 (alive); 1 → -3, 0.5, -2 (alive in sample 1); 2 → -1.5, 1.25, 1
  // (alive); 3 → -2.2, -0.9, -4 (dead).
  const b = modelInsights(text);
  const dead = b.diagnostics.filter((d) => d.code === 'dead-relu');
  assert.equal(dead.length, 1);
  assert.equal(dead[0].severity, 'warning');
  assert.equal(dead[0].range.start.line, 3);
  assert.match(dead[0].message, /^Dead ReLU: unit Z\[:, 3\] is ≤ 0 for all 3 samples/);
  assert.doesNotMatch(dead[0].message, /Z\[:, [012]\]/);
});

test('the two-layer sample’s third hidden unit is dead, and its gradients are zero', () => {
  const text = sample('two-layer-network.md');
  const { blocks } = new InsightsCache().insights(text, 'markdown', defaultLiveSettings);
  const dead = blocks[0].diagnostics.filter((d) => d.code === 'dead-relu');
  assert.equal(dead.length, 1);
  assert.match(textAt(text, dead[0].range), /^H1 = relu\(Z1\)/);
  assert.match(dead[0].message, /Z1\[:, 2\]/);
  const w1 = blocks[0].hovers.find((h) => h.name === 'W1')!.markdown.split('**∂L/∂W1**')[1];
  // The third column of ∂L/∂W1 is exactly zero in both rows.
  for (const row of w1.split('\n').filter((l) => /^\| \*\*\d/.test(l))) {
    assert.equal(row.split('|')[4].trim(), '0');
  }
});

test('no dead-ReLU warning with one sample, or when every unit fires for some sample', () => {
  assert.deepEqual(
    modelInsights('Z = [[-1.0, 2.0]]\nH = relu(Z)\n').diagnostics.filter(
      (d) => d.code === 'dead-relu',
    ),
    [],
  );
  assert.deepEqual(
    modelInsights('Z = [[-1.0, 2.0], [1.0, -2.0]]\nH = relu(Z)\n').diagnostics.filter(
      (d) => d.code === 'dead-relu',
    ),
    [],
  );
  const all = modelInsights('Z = [[-1.0, -2.0], [-1.0, 0.0]]\nH = relu(Z)\n').diagnostics;
  assert.match(
    all.find((d) => d.code === 'dead-relu')!.message,
    /^Dead ReLU: every unit is ≤ 0 for all 2 samples, so relu passes no gradient back through them/,
  );
});

test('softmax then cross_entropy is an information on the loss; the fused form is not', () => {
  const text = sample('softmax.md');
  const { blocks } = new InsightsCache().insights(text, 'markdown', defaultLiveSettings);
  const notes = blocks.map((b) => b.diagnostics.filter((d) => d.code === 'softmax-cross-entropy'));
  assert.deepEqual(
    notes.map((n) => n.length),
    [0, 0, 1, 0],
  );
  const [note] = notes[2];
  assert.equal(note.severity, 'information');
  assert.match(textAt(text, note.range), /^loss L = cross_entropy\(P, y\)/);
  assert.match(note.message, /∂L\/∂Z = \(P − Y\)\/N/);
  assert.match(note.message, /N = 2 rows/);
  assert.match(note.message, /softmax_cross_entropy\(Z, y\)/);
  assert.match(note.message, /agrees to/);
});

test('a block over the live size limit is a notice, not evaluated; a larger limit evaluates it', () => {
  const text = 'param W = randn(400, 400, seed=1)\nx = ones(1, 400)\nP = softmax(x @ W)\n';
  const small = modelInsights(text, { maxElements: 100_000 });
  assert.equal(small.evaluated, false);
  assert.deepEqual(small.previews, []);
  assert.deepEqual(small.hovers, []);
  assert.deepEqual(
    small.diagnostics.map((d) => [d.code, d.severity, d.range.start.line]),
    [['live-limit', 'information', 0]],
  );
  assert.match(small.diagnostics[0].message, /160,000 values/);
  assert.match(small.diagnostics[0].message, /backpropNotes\.live\.maxElements is 100,000/);
  const large = modelInsights(text, { maxElements: 200_000 });
  assert.equal(large.evaluated, true);
  assert.equal(large.previews.length, 1);
});

test('CodeLens data: the fence line and the loss value; none without a scalar root', () => {
  const text = sample('softmax.md');
  const { blocks } = new InsightsCache().insights(text, 'markdown', defaultLiveSettings);
  const lines = text.split('\n');
  for (const b of blocks) assert.match(lines[b.lens.line], /^```model/);
  assert.equal(blocks[0].lens.loss, null, 'T is not a scalar');
  const loss = blocks[2].lens.loss!;
  assert.equal(loss.name, 'L');
  // −(log p[0, 0] + log p[1, 2]) / 2 for the logits of the note.
  const lse = (z: number[]) => Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
  const expected = (lse([2, 1, 0.1]) - 2 + (lse([0.5, 0.5, 3]) - 3)) / 2;
  assert.ok(Math.abs(loss.value - expected) < 1e-14);
  assert.equal(loss.text, `L = ${expected.toPrecision(4)}`);
  const model = new InsightsCache().insights(sample('xor.model'), 'model', defaultLiveSettings);
  assert.equal(model.blocks[0].lens.line, 0);
});
