// Windowing large tensors for the webview: the matrix drawn from the window is exactly the one
// drawn from the full tensor, and a large explanation shrinks to a size a webview can take.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { trimForView, trimTensor } from '../../src/extension/view-trim';
import { explainBlock } from '../../src/explain/index';
import { bmatrix } from '../../src/render/format';
import { parseSource } from '../../src/spec/index';

const limits = fc.record({
  maxRows: fc.integer({ min: 2, max: 12 }),
  maxColumns: fc.integer({ min: 2, max: 12 }),
});

function filled(rows: number, cols: number, seed: number): number[][] {
  return Array.from({ length: rows }, (_, r) =>
    Array.from({ length: cols }, (_, c) => Math.sin(seed + r * 31 + c * 7) * 10 ** ((r + c) % 5)),
  );
}

describe('view-trim', () => {
  it('draws a windowed matrix exactly as the full one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer(),
        limits,
        (rows, cols, seed, l) => {
          const full = filled(rows, cols, seed);
          const options = { maxRows: l.maxRows, maxCols: l.maxColumns, digits: 4 };
          const trimmed = trimTensor(full, l) as number[][];
          assert.equal(bmatrix(trimmed, options), bmatrix(full, options));
          assert.ok(trimmed.length <= Math.max(rows <= l.maxRows ? rows : l.maxRows + 1, 1));
        },
      ),
    );
  });

  it('draws a windowed vector exactly as the full one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer(), limits, (n, seed, l) => {
        const full = filled(1, n, seed)[0];
        const options = { maxRows: l.maxRows, maxCols: l.maxColumns };
        assert.equal(bmatrix(trimTensor(full, l) as number[], options), bmatrix(full, options));
      }),
    );
  });

  it('leaves scalars, small tensors and rank-3 tensors alone', () => {
    const l = { maxRows: 4, maxColumns: 4 };
    assert.equal(trimTensor(3, l), 3);
    const small = filled(4, 4, 1);
    assert.equal(trimTensor(small, l), small);
    const cube = [filled(9, 9, 1), filled(9, 9, 2)];
    assert.equal(trimTensor(cube, l), cube);
  });

  it('shrinks a large explanation and keeps its shapes, names and small tensors', () => {
    const [block] = parseSource(
      [
        'input X = randn(64, 100, seed=1)',
        'param W = randn(100, 30, seed=2)',
        'param b = zeros(30)',
        'loss L = mean(relu(X @ W + b))',
      ].join('\n'),
      'model',
    );
    const e = explainBlock(block, { gradientCheck: false });
    const trimmed = trimForView(e, { maxRows: 8, maxColumns: 8 });
    const before = JSON.stringify(e).length;
    const after = JSON.stringify(trimmed).length;
    assert.ok(after * 10 < before, `${before} → ${after} bytes`);
    assert.deepEqual(
      trimmed.nodes.map((n) => [n.name, n.shape]),
      e.nodes.map((n) => [n.name, n.shape]),
    );
    assert.equal(trimmed.root?.value, e.root?.value, 'the scalar loss is untouched');
    const w = trimmed.gradients.find((g) => g.name === 'W')!;
    const full = e.gradients.find((g) => g.name === 'W')!;
    assert.equal(
      bmatrix(w.grad, { maxRows: 8, maxCols: 8 }),
      bmatrix(full.grad, { maxRows: 8, maxCols: 8 }),
    );
    // b (30 values) keeps the 7 shown and 2 placeholders for the elided middle.
    assert.equal((trimmed.gradients.find((g) => g.name === 'b')!.grad as number[]).length, 9);
  });
});
