// Memory against the batch size: each point the report predicts for batch size B is what the
// report says for the same block written with B rows; the batch axis is followed through ops.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { explainBlock } from '../../src/explain/index';
import type { Explanation } from '../../src/explain/explanation';
import { parseSource } from '../../src/spec/index';

function explain(spec: string): Explanation {
  const [block] = parseSource(spec, 'model');
  assert.deepEqual(
    block.errors.map((e) => e.message),
    [],
  );
  return explainBlock(block, { gradientCheck: false, maxJacobianEntries: 0, maxPaths: 1 });
}

interface Net {
  features: number;
  hidden: number;
  classes: number;
  activation: string;
  loss: 'mse' | 'ce' | 'fused' | 'mean-square';
  /** Extra statements that must not grow (Xᵀ Z1, a sum over the batch) or must (a transpose). */
  extras: boolean;
}

function spec(net: Net, batch: number): string {
  const labels = Array.from({ length: batch }, (_, i) => i % net.classes);
  const lines = [
    `input X = randn(${batch}, ${net.features}, seed=1)`,
    net.loss === 'mse'
      ? `target y = randn(${batch}, ${net.classes}, seed=2)`
      : `target y = [${labels.join(', ')}]`,
    `param W1 = randn(${net.features}, ${net.hidden}, seed=3)`,
    `param b1 = zeros(${net.hidden})`,
    `param W2 = randn(${net.hidden}, ${net.classes}, seed=4)`,
    `param b2 = zeros(${net.classes})`,
    'Z1 = X @ W1 + b1',
    `H1 = ${net.activation}(Z1)`,
    'Z2 = H1 @ W2 + b2',
  ];
  if (net.extras) {
    lines.push('G = X.T @ Z1', 'S = sum(H1, axis=0)', 'T = Z2.T', 'E = sum(G) + sum(S) + sum(T)');
  }
  const extra = net.extras ? ' + 0.01 * E' : '';
  switch (net.loss) {
    case 'mse':
      lines.push(`loss L = mse(Z2, y)${extra}`);
      break;
    case 'ce':
      lines.push('P = softmax(Z2)', `loss L = cross_entropy(P, y)${extra}`);
      break;
    case 'fused':
      lines.push(`loss L = softmax_cross_entropy(Z2, y)${extra}`);
      break;
    case 'mean-square':
      lines.push(`loss L = mean(Z2 * Z2)${extra}`);
      break;
  }
  return lines.join('\n');
}

const nets = fc.record({
  features: fc.integer({ min: 1, max: 5 }),
  hidden: fc.integer({ min: 1, max: 6 }),
  classes: fc.integer({ min: 2, max: 4 }),
  activation: fc.constantFrom('relu', 'tanh', 'sigmoid'),
  loss: fc.constantFrom('mse', 'ce', 'fused', 'mean-square') as fc.Arbitrary<Net['loss']>,
  extras: fc.boolean(),
});

test('every batch point is the report of the same block written with that many rows', () => {
  fc.assert(
    fc.property(nets, fc.integer({ min: 1, max: 6 }), (net, n) => {
      const e = explain(spec(net, n));
      const batch = e.memory?.batch;
      assert.ok(batch, 'a block with an input has a batch report');
      assert.equal(batch.size, n);
      for (const point of batch.points.filter((p) => p.batch <= 8)) {
        const actual = explain(spec(net, point.batch)).memory!;
        assert.deepEqual(
          {
            batch: point.batch,
            saved: point.savedBytes,
            training: point.trainingBytes,
            inference: point.inferenceBytes,
          },
          {
            batch: point.batch,
            saved: actual.savedBytes,
            training: actual.trainingBytes,
            inference: actual.inference.peakBytes,
          },
        );
      }
      // The point at the block's own size is the report itself.
      const own = batch.points.find((p) => p.batch === n);
      assert.equal(own?.trainingBytes, e.memory!.trainingBytes);
      // The lines are exact.
      for (const p of batch.points) {
        assert.equal(
          p.trainingBytes,
          batch.training.fixedBytes + batch.training.perSampleBytes * p.batch,
        );
        assert.equal(p.savedBytes, batch.saved.fixedBytes + batch.saved.perSampleBytes * p.batch);
      }
    }),
    { numRuns: 25 },
  );
});

test('parameters and products over the batch do not grow; activations and transposes do', () => {
  // hidden = batch = 3, so only the op-by-op axis tracking (not the shapes) can tell them apart.
  const e = explain(
    spec({ features: 3, hidden: 3, classes: 3, activation: 'relu', loss: 'ce', extras: true }, 3),
  );
  const grows = new Set(e.memory!.batch!.scaling.map((id) => e.nodes[id].name ?? `#${id}`));
  for (const name of ['X', 'y', 'Z1', 'H1', 'Z2', 'P', 'T']) assert.ok(grows.has(name), name);
  for (const name of ['W1', 'b1', 'W2', 'b2', 'G', 'S', 'E', 'L'])
    assert.ok(!grows.has(name), name);
  assert.deepEqual(
    e.memory!.batch!.sources.map((id) => e.nodes[id].name),
    ['X', 'y'],
  );
});

test('a block without an input has no batch report; summaries cover whole tensors', () => {
  const e = explain('param w = [[1.0, -2.0], [3.0, 4.0]]\nloss L = sum(w * w)');
  assert.equal(e.memory?.batch, null);
  const w = e.nodes.find((n) => n.name === 'w')!;
  assert.deepEqual(w.valueStats, { count: 4, min: -2, max: 4, mean: 1.5, norm: Math.sqrt(30) });
  assert.deepEqual(w.gradStats, { count: 4, min: -4, max: 8, mean: 3, norm: 2 * Math.sqrt(30) });
});
