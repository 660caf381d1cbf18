import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../../src/engine/graph';
import { Tensor } from '../../src/engine/tensor';

test('backward accumulates over every path: d(x*x + x)/dx = 2x + 1', () => {
  const g = new Graph();
  const x = g.leaf(Tensor.fromNested([1, -2, 3]), { name: 'x', requiresGrad: true });
  const y = g.apply('add', [g.apply('mul', [x, x]), x]);
  g.backward(y);
  assert.deepEqual(x.grad?.toNested(), [3, -3, 7]);
});

test('broadcast gradients are summed back to the operand shape', () => {
  const g = new Graph();
  const a = g.leaf(
    Tensor.fromNested([
      [1, 2, 3],
      [4, 5, 6],
    ]),
    { name: 'a', requiresGrad: true },
  );
  const b = g.leaf(Tensor.fromNested([10, 20, 30]), { name: 'b', requiresGrad: true });
  const y = g.apply('mul', [a, b]);
  g.backward(y);
  assert.deepEqual(b.grad?.toNested(), [5, 7, 9]);
  assert.deepEqual(a.grad?.toNested(), [
    [10, 20, 30],
    [10, 20, 30],
  ]);
});
