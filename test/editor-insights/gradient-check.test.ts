/**
 * Check Gradients as diagnostics: one per tensor with a gradient, on its defining line, with the
 * severity of its grade, the worst element, analytic, numeric and h; kinks said as kinks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type CheckSettings,
  InsightsCache,
  defaultCheckSettings,
} from '../../src/editor-insights/index';
import { sample, textAt } from './helpers';

function check(
  text: string,
  settings: Partial<CheckSettings> = {},
  kind: 'model' | 'markdown' = 'model',
) {
  return new InsightsCache().check(text, kind, { ...defaultCheckSettings, ...settings });
}

test('the two-layer sample: one entry per tensor with a gradient, all good, on its name', () => {
  const text = sample('two-layer-network.md');
  const [block] = check(text, {}, 'markdown');
  assert.equal(block.notice, null);
  assert.deepEqual(
    block.diagnostics.map((d) => [d.tensor, d.grade, d.severity, textAt(text, d.range)]),
    [
      ['X', 'good', 'information', 'X'],
      ['W1', 'good', 'information', 'W1'],
      ['b1', 'good', 'information', 'b1'],
      ['W2', 'good', 'information', 'W2'],
      ['b2', 'good', 'information', 'b2'],
    ],
  );
  const w1 = block.diagnostics[1].message;
  assert.match(
    w1,
    /^∂L\/∂W1: good\. Worst relative error [\d.e-]+ at W1\[\d, \d\]: analytic -?[\d.e-]+, numeric -?[\d.e-]+, h = 1e-6; 6 of 6 elements checked \(2×3\)\.$/,
  );
});

test('the grade bands decide the severity: doubtful is a warning, wrong an error', () => {
  const text = 'param a = [0.3, -1.2]\nloss L = sum(exp(a) * a)\n';
  // Finite differences at h = 1e-3 carry ~1e-7 relative error here.
  const strict = check(text, { h: 1e-3, bands: { good: 1e-12, ok: 1e-11, doubtful: 1e-10 } });
  assert.deepEqual(
    strict[0].diagnostics.map((d) => [d.grade, d.severity]),
    [['wrong', 'error']],
  );
  assert.match(strict[0].diagnostics[0].message, /wrong — the backward rule/);
  const loose = check(text, { h: 1e-3, bands: { good: 1e-12, ok: 1e-11, doubtful: 1e-2 } });
  assert.deepEqual(
    loose[0].diagnostics.map((d) => [d.grade, d.severity]),
    [['doubtful', 'warning']],
  );
  assert.match(loose[0].diagnostics[0].message, /h = 0\.001/);
});

test('kinks are reported as kinks, not as failures', () => {
  const some = check('param a = [0.0, 1.5]\nloss L = sum(relu(a))\n');
  const [d] = some[0].diagnostics;
  assert.equal(d.grade, 'good');
  assert.equal(d.severity, 'information');
  assert.match(d.message, /; 1 at a kink \(a relu\/abs\/max input within h of its corner/);
  const all = check('param a = [0.0]\nloss L = sum(relu(a))\n');
  assert.equal(all[0].diagnostics[0].grade, 'kink');
  assert.equal(all[0].diagnostics[0].severity, 'information');
  assert.match(all[0].diagnostics[0].message, /every checked element sits at a kink/);
});

test('a block with nothing to check says why', () => {
  assert.match(check('const a = [1.0, 2.0]\nb = a * 2\n')[0].notice!, /no tensor gets a gradient/);
  assert.match(check('b = nope * 2\n')[0].notice!, /Fix the errors/);
});

test('only the blocks asked for are checked; a repeated check is served from the cache', () => {
  const text = sample('softmax.md');
  const cache = new InsightsCache();
  const two = cache.check(text, 'markdown', defaultCheckSettings, [2]);
  assert.deepEqual(
    two.map((b) => b.index),
    [2],
  );
  assert.equal(cache.checks, 1);
  const all = cache.check(text, 'markdown', defaultCheckSettings);
  assert.equal(all.length, 4);
  assert.equal(cache.checks, 4);
  assert.deepEqual(all[2], two[0]);
  const h = cache.check(text, 'markdown', { ...defaultCheckSettings, h: 1e-5 }, [2]);
  assert.equal(cache.checks, 5, 'another h is another check');
  assert.match(h[0].diagnostics[0].message, /h = 1e-5/);
});
