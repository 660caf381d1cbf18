/** Hovers: shape, the statement, a values table, the gradient; found by name in the right block. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InsightsCache, defaultLiveSettings, hoverAt } from '../../src/editor-insights/index';
import { explainSource } from '../../src/explain/source';
import { compactNumber } from '../../src/render/format';
import { modelInsights, sample, textAt } from './helpers';

test('every named tensor of the two-layer sample has a hover at its definition', () => {
  const text = sample('two-layer-network.md');
  const { blocks } = new InsightsCache().insights(text, 'markdown', defaultLiveSettings);
  const names = blocks[0].hovers.map((h) => h.name);
  assert.deepEqual(names, ['X', 'W1', 'b1', 'W2', 'b2', 'y', 'Z1', 'H1', 'Z2', 'P', 'L']);
  for (const h of blocks[0].hovers) assert.equal(textAt(text, h.range), h.name);
});

test('a hover shows role, shape, the statement, the values and the gradient as computed', () => {
  const text = sample('two-layer-network.md');
  const { blocks } = new InsightsCache().insights(text, 'markdown', defaultLiveSettings);
  const explained = explainSource(text, 'markdown', { gradientCheck: false }).blocks[0];
  const w1 = explained.nodes.find((n) => n.name === 'W1')!;
  const md = blocks[0].hovers.find((h) => h.name === 'W1')!.markdown;
  assert.match(md, /^\*\*W1\*\* · parameter · `2×3`/);
  assert.ok(md.includes('```model-spec\nparam W1 = randn(2, 3, seed=1)\n```'));
  assert.ok(md.includes('**∂L/∂W1** · `2×3`'));
  const values = w1.value as number[][];
  const grads = w1.grad as number[][];
  const [valueTable, gradTable] = md.split('**∂L/∂W1**');
  for (const row of values)
    for (const x of row) assert.ok(valueTable.includes(compactNumber(x, 4)));
  for (const row of grads) for (const x of row) assert.ok(gradTable.includes(compactNumber(x, 4)));
  // One table row per matrix row, with its index.
  assert.match(valueTable, /\| \*\*0\*\* \|.*\n\| \*\*1\*\* \|/);
});

test('hovers say why a target has no gradient and where backward starts', () => {
  const text = sample('two-layer-network.md');
  const { blocks } = new InsightsCache().insights(text, 'markdown', defaultLiveSettings);
  const hover = (name: string) => blocks[0].hovers.find((h) => h.name === name)!.markdown;
  assert.match(hover('y'), /No gradient: a target is held fixed\./);
  assert.match(hover('L'), /Backward starts here: ∂L\/∂L = 1\./);
  assert.match(hover('L'), /`0\.3054`/);
  assert.match(hover('Z1'), /\*\*Z1\*\* · computed · add · `2×3`/);
});

test('big values are elided in the hover table, and a comment is shown', () => {
  const b = modelInsights('A = ones(20, 30)  # a big one\nS = sum(A)\n', {
    hoverRows: 4,
    hoverColumns: 5,
  });
  const md = b.hovers.find((h) => h.name === 'A')!.markdown;
  assert.ok(md.includes('*a big one*'));
  const table = md.split('\n').filter((l) => l.startsWith('|'));
  // header, rule, 4 rows (one of them ⋮), then the gradient's table the same size
  assert.equal(table.length, 12);
  assert.equal(table[0], '| | 0 | 1 | … | 28 | 29 |');
  assert.ok(table.some((l) => l.includes('⋮')));
});

test('hoverAt finds the name in the block that holds the line, not in another block', () => {
  const text = sample('softmax.md');
  const { blocks } = new InsightsCache().insights(text, 'markdown', defaultLiveSettings);
  const first = blocks[0];
  const third = blocks[2];
  const inFirst = hoverAt(blocks, first.range.start.line + 1, 'Z');
  const inThird = hoverAt(blocks, third.range.start.line + 1, 'Z');
  assert.ok(inFirst && inThird);
  assert.match(inFirst.markdown, /leaf/);
  assert.match(inThird.markdown, /parameter/);
  assert.equal(hoverAt(blocks, first.range.start.line - 3, 'Z'), null, 'outside every block');
  assert.equal(hoverAt(blocks, first.range.start.line + 1, 'nothing'), null);
});
