/**
 * NaN and ∞ in the editor: one warning at the statement that first produced them (forward, and
 * backward when a gradient goes non-finite first), none on the statements that only depend on
 * it; ranges in the note's own coordinates; the message in the display language.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  type InsightDiagnostic,
  InsightsCache,
  defaultCheckSettings,
  defaultLiveSettings,
} from '../../src/editor-insights/index';
import { l10n, parseBundle } from '../../src/l10n';
import { modelInsights, root, textAt } from './helpers';

const OVERFLOW = `param Z = [[1000, 0, 1], [800, 2, 3]]
Z2 = exp(Z)
P = Z2 / sum(Z2, axis=-1, keepdims=True)
loss L = sum(P)
`;

const nonFinite = (ds: readonly InsightDiagnostic[]) => ds.filter((d) => d.code === 'non-finite');

test('exp overflow: one warning, on Z2’s statement; P and L (NaN because of it) get none', () => {
  const b = modelInsights(OVERFLOW);
  const ds = nonFinite(b.diagnostics);
  assert.equal(ds.length, 1);
  const [d] = ds;
  assert.equal(d.severity, 'warning');
  assert.equal(d.fix, null);
  assert.equal(textAt(OVERFLOW, d.range), 'Z2 = exp(Z)');
  assert.equal(
    d.message,
    'Z2 has 2 ∞ values, the first at [0, 0]: exp overflows for inputs above 709.78 ' +
      '(largest here: 1000) — later statements P and L depend on it.',
  );
  // Nothing else about it: no error, no second warning further down.
  assert.deepEqual(
    b.diagnostics.filter((x) => x.severity !== 'information').map((x) => x.code),
    ['non-finite'],
  );
});

test('in a Markdown note the warning sits on the note’s own line', () => {
  const note = `# Overflow\n\nText.\n\n\`\`\`model\n${OVERFLOW}\`\`\`\n`;
  const { blocks } = new InsightsCache().insights(note, 'markdown', defaultLiveSettings);
  const [d] = nonFinite(blocks[0].diagnostics);
  assert.equal(d.range.start.line, 6);
  assert.equal(textAt(note, d.range), 'Z2 = exp(Z)');
});

test('backward: a gradient that is not finite first gets its own warning, at the statement whose rule made it', () => {
  const text = 'param x = [0, 1, 4]\ny = sqrt(x)\nloss L = sum(y)\n';
  const ds = nonFinite(modelInsights(text).diagnostics);
  assert.equal(ds.length, 1);
  assert.equal(textAt(text, ds[0].range), 'y = sqrt(x)');
  assert.match(ds[0].message, /^Backward, in y: ∂L\/∂x has one ∞ value, at \[0\]/);
});

test('a block with finite numbers only has no such warning (samples included)', () => {
  assert.deepEqual(
    nonFinite(modelInsights('param W = [[1, 2]]\nloss L = sum(exp(W))\n').diagnostics),
    [],
  );
  const text = readFileSync(join(root, 'samples', 'two-layer-network.md'), 'utf8');
  const { blocks } = new InsightsCache().insights(text, 'markdown', defaultLiveSettings);
  for (const b of blocks) assert.deepEqual(nonFinite(b.diagnostics), []);
});

test('Check Gradients on NaN gradients: not comparable, not “the backward rule does not match”', () => {
  const [check] = new InsightsCache().check(OVERFLOW, 'model', defaultCheckSettings, [0]);
  const [d] = check.diagnostics;
  assert.equal(d.tensor, 'Z');
  assert.match(d.message, /^∂L\/∂Z: not comparable — a NaN or ∞ here, not a wrong backward rule/);
  assert.doesNotMatch(d.message, /does not match/);
  assert.equal(d.grade, 'not-comparable');
  assert.equal(d.severity, 'warning', 'the numbers, not a failure of backprop');
});

test('Check Gradients where only the finite difference is not finite: which side, and a smaller step', () => {
  const text = 'param x = [1e-7, 1]\nloss L = sum(log(x))\n';
  const [check] = new InsightsCache().check(text, 'model', defaultCheckSettings, [0]);
  const [d] = check.diagnostics;
  assert.equal(d.grade, 'not-comparable');
  assert.match(
    d.message,
    /^∂L\/∂x: not comparable — the numerical gradient is NaN: the loss is not finite at x ± h, not a wrong backward rule: try a smaller step \(setting backpropNotes\.gradientCheck\.step\)\. Worst relative error NaN at x\[0\]: analytic 1e\+7, numeric NaN/,
  );
});

test('in Korean', () => {
  const ko = parseBundle(
    JSON.parse(readFileSync(join(root, 'l10n', 'bundle.l10n.ko.json'), 'utf8')),
  );
  l10n.useBundle(ko);
  try {
    const [d] = nonFinite(modelInsights(OVERFLOW).diagnostics);
    assert.equal(
      d.message,
      'Z2에 ∞ 값이 2개 있고, 첫 번째는 [0, 0]입니다: exp는 입력이 709.78을 넘으면 오버플로합니다' +
        '(여기서 가장 큰 값: 1000) — 뒤의 문장 P 및 L이(가) 이 값에 의존합니다.',
    );
  } finally {
    l10n.useBundle(undefined);
  }
});
