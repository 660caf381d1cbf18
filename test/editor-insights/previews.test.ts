/**
 * Inline previews: the softmax probabilities after each softmax line equal what the CLI prints
 * for that tensor, every lane sums to 1, and the settings shape the text.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { runCli } from '../../src/cli/run';
import {
  InsightsCache,
  defaultLiveSettings,
  fixed,
  probabilityText,
} from '../../src/editor-insights/index';
import type { SourceExplanation } from '../../src/explain/explanation';
import { parseSource } from '../../src/spec/index';
import { modelInsights, root, sample } from './helpers';

/** `explain FILE --format json` in-process, as the CLI prints it. */
function cliJson(file: string): SourceExplanation {
  let out = '';
  const code = runCli(
    ['explain', file, '--format', 'json'],
    {
      stdout: (t) => (out += t),
      stderr: () => undefined,
      readFile: () => sample(file.split('/').pop()!),
      readStdin: () => '',
    },
    { parse: (text, kind) => parseSource(text, kind), version: '0' },
  );
  assert.equal(code, 0);
  return JSON.parse(out) as SourceExplanation;
}

test('the softmax preview of the two-layer sample shows the CLI’s P, rounded, and Σ=1', () => {
  const text = sample('two-layer-network.md');
  const { blocks } = new InsightsCache().insights(text, 'markdown', defaultLiveSettings);
  assert.equal(blocks.length, 1);
  const [preview, ...others] = blocks[0].previews;
  assert.equal(others.length, 0, 'only the softmax statement gets a preview by default');
  assert.equal(preview.kind, 'softmax');
  assert.equal(preview.name, 'P');
  assert.match(text.split('\n')[preview.line], /^P\s+= softmax\(Z2\)/);

  const cli = cliJson(join(root, 'samples', 'two-layer-network.md'));
  const p = cli.blocks[0].nodes.find((n) => n.name === 'P');
  assert.ok(p);
  const rows = p.value as number[][];
  assert.deepEqual(preview.rows, rows, 'the same float64 numbers as the CLI');
  const expected = `⟶ ${rows.map((r) => `[${r.map((x) => x.toFixed(2)).join(' ')}]`).join(' ')}  Σ=1`;
  assert.equal(preview.text, expected);
  for (const s of preview.sums) assert.ok(Math.abs(s - 1) < 1e-12);
});

test('every softmax and log_softmax statement of the softmax note gets its own preview', () => {
  const text = sample('softmax.md');
  const { blocks } = new InsightsCache().insights(text, 'markdown', defaultLiveSettings);
  const lines = text.split('\n');
  const previews = blocks.flatMap((b) => b.previews);
  assert.deepEqual(
    previews.map((p) => p.name),
    ['P', 'T', 'P_big', 'LP_big', 'P'],
  );
  for (const p of previews) {
    assert.match(lines[p.line], new RegExp(`^${p.name}\\s*=\\s*(log_)?softmax\\(`));
    for (const s of p.sums) assert.ok(Math.abs(s - 1) < 1e-12, `${p.name} sums to 1`);
  }
  // log_softmax shows the probabilities exp(log P), equal to softmax of the same logits.
  const lp = previews.find((p) => p.name === 'LP_big')!;
  const pb = previews.find((p) => p.name === 'P_big')!;
  assert.ok(lp.text.startsWith('⟶ exp ['));
  lp.rows[0].forEach((x, i) => assert.ok(Math.abs(x - pb.rows[0][i]) < 1e-15));
  // Large logits stay finite: softmax([1000, 1001, 1002]) = softmax([0, 1, 2]).
  const e = [1, Math.E, Math.E ** 2];
  const z = e[0] + e[1] + e[2];
  pb.rows[0].forEach((x, i) => assert.ok(Math.abs(x - e[i] / z) < 1e-15));
});

test('a softmax along axis 0 previews each column as a lane', () => {
  const text = [
    'import torch.nn.functional as F',
    'Z = [[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]]',
    'P = F.softmax(Z, dim=0)',
    '',
  ].join('\n');
  const { blocks } = new InsightsCache().insights(text, 'python', defaultLiveSettings);
  const [p] = blocks[0].previews;
  assert.equal(p.line, 2);
  const col = (xs: number[]) =>
    xs.map((x) => Math.exp(x) / xs.reduce((s, v) => s + Math.exp(v), 0));
  const expected = [col([1, 3, 0]), col([2, 0, 0])];
  assert.equal(p.rows.length, 2);
  p.rows.forEach((row, j) =>
    row.forEach((x, i) => assert.ok(Math.abs(x - expected[j][i]) < 1e-15)),
  );
});

test('previewStatements: all adds every statement’s shape; previews: false shows none', () => {
  const text = 'X = [[1, 2, 3], [4, 5, 6]]\nW = ones(3, 4)\nZ = X @ W\nP = softmax(Z)\n';
  const all = modelInsights(text, { previewStatements: 'all' });
  assert.deepEqual(
    all.previews.map((p) => [p.line, p.kind, p.text.split(' ⟶')[0]]),
    [
      [0, 'shape', 'X: 2×3'],
      [1, 'shape', 'W: 3×4'],
      [2, 'shape', 'Z: 2×4'],
      [3, 'softmax', 'P: 2×4'],
    ],
  );
  assert.equal(all.previews[3].text, 'P: 2×4 ⟶ [0.25 0.25 0.25 0.25] [0.25 0.25 0.25 0.25]  Σ=1');
  assert.deepEqual(modelInsights(text, { previews: false }).previews, []);
  assert.equal(
    modelInsights(text, { precision: 4 }).previews[0].text,
    '⟶ [0.2500 0.2500 0.2500 0.2500] [0.2500 0.2500 0.2500 0.2500]  Σ=1',
  );
});

test('probabilityText elides rows and columns past the limits and shows unequal sums', () => {
  const settings = { precision: 2, previewRows: 2, previewColumns: 5 };
  const row = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.4];
  assert.equal(
    probabilityText([row, row, row], [1, 1, 1], false, settings),
    '⟶ [0.10 0.10 … 0.10 0.40] [0.10 0.10 … 0.10 0.40] … +1 row  Σ=1',
  );
  assert.equal(
    probabilityText(
      [
        [0.5, 0.4],
        [0.5, 0.5],
      ],
      [0.9, 1],
      false,
      settings,
    ),
    '⟶ [0.50 0.40] [0.50 0.50]  Σ=[0.9 1]',
  );
});

test('fixed: the given decimals, no negative zero, non-finite values spelled out', () => {
  assert.equal(fixed(-0.001, 2), '0.00');
  assert.equal(fixed(0.275, 1), '0.3');
  assert.equal(fixed(NaN, 2), 'NaN');
  assert.equal(fixed(-Infinity, 2), '-inf');
  fc.assert(
    fc.property(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.integer({ min: 0, max: 8 }),
      (x, d) => {
        const s = fixed(x, d);
        assert.ok(Math.abs(Number(s) - x) <= 0.5 * 10 ** -d * (1 + 1e-9) + Math.abs(x) * 1e-15);
        assert.equal(s.includes('.') ? s.split('.')[1].length : 0, d);
      },
    ),
  );
});

test('random softmax inputs: each previewed lane is a distribution and the text has one [..] per lane', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { minLength: 30, maxLength: 30 }),
      (rows, cols, pool) => {
        const z = Array.from({ length: rows }, (_, i) =>
          Array.from({ length: cols }, (_, j) => pool[i * cols + j]),
        );
        const insights = modelInsights(`Z = ${JSON.stringify(z)}\nP = softmax(Z)\n`, {
          previewRows: 10,
        });
        const [p] = insights.previews;
        assert.equal(p.rows.length, rows);
        for (let i = 0; i < rows; i++) {
          assert.ok(Math.abs(p.sums[i] - 1) < 1e-12);
          for (const x of p.rows[i]) assert.ok(x >= 0 && x <= 1);
        }
        assert.equal(p.text.match(/\[/g)?.length, rows);
        assert.ok(p.text.endsWith('Σ=1'));
      },
    ),
    { numRuns: 60 },
  );
});
