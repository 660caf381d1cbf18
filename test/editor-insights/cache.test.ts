/**
 * The block cache: an edit to one block of a 50-block note evaluates that block only; lines added
 * above a block move its results without evaluating it; whatever the edits, the cached answer is
 * the answer a fresh evaluation gives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { withoutIds } from './helpers';
import {
  InsightsCache,
  answerInsights,
  defaultCheckSettings,
  defaultLiveSettings,
  splitBlocks,
} from '../../src/editor-insights/index';

/** A note of `n` blocks, each a small softmax network with its own numbers. */
function note(n: number, tweak: (i: number) => string = () => ''): string {
  const parts = ['# Fifty blocks', ''];
  for (let i = 0; i < n; i++) {
    parts.push(
      `Block ${i}:`,
      '',
      '```model',
      `param W = [[${i / 10}, 1.0], [0.5, -${i / 20}]]`,
      'input X = [[1.0, 2.0], [3.0, -1.0]]',
      'target y = [0, 1]',
      `P = softmax(X @ W${tweak(i)})`,
      'loss L = cross_entropy(P, y)',
      '```',
      '',
    );
  }
  return parts.join('\n');
}

test('changing one block of 50 evaluates that block only', () => {
  const cache = new InsightsCache();
  const first = cache.insights(note(50), 'markdown', defaultLiveSettings);
  assert.equal(first.blocks.length, 50);
  assert.equal(first.evaluated.length, 50);
  assert.equal(cache.evaluations, 50);

  const edited = note(50, (i) => (i === 17 ? ' * 2' : ''));
  const second = cache.insights(edited, 'markdown', defaultLiveSettings);
  assert.deepEqual(second.evaluated, [17]);
  assert.equal(cache.evaluations, 51);
  assert.notEqual(second.blocks[17].previews[0].text, first.blocks[17].previews[0].text);
  assert.deepEqual(second.blocks[16], first.blocks[16]);

  const third = cache.insights(edited, 'markdown', defaultLiveSettings);
  assert.deepEqual(third.evaluated, [], 'the same text again costs nothing');
  assert.deepEqual(third.blocks, second.blocks);
});

test('a line added above moves the blocks below without evaluating them', () => {
  const cache = new InsightsCache();
  const text = note(5);
  cache.insights(text, 'markdown', defaultLiveSettings);
  const moved = text.replace('# Fifty blocks\n', '# Fifty blocks\n\nAn added paragraph.\n');
  const result = cache.insights(moved, 'markdown', defaultLiveSettings);
  assert.deepEqual(result.evaluated, []);
  const fresh = new InsightsCache().insights(moved, 'markdown', defaultLiveSettings);
  assert.deepEqual(withoutIds(result.blocks), withoutIds(fresh.blocks));
  const lines = moved.split('\n');
  for (const b of result.blocks) {
    assert.match(lines[b.lens.line], /^```model/);
    assert.match(lines[b.previews[0].line], /^P = softmax/);
  }
});

test('a block with an error that moves is evaluated again, so its message names the right line', () => {
  const text = '```model\nZ = A + 1\nA = [1.0]\n```\n';
  const cache = new InsightsCache();
  const before = cache.insights(text, 'markdown', defaultLiveSettings);
  assert.match(before.blocks[0].diagnostics[0].message, /on line 3/);
  const after = cache.insights(`\n\n${text}`, 'markdown', defaultLiveSettings);
  assert.deepEqual(after.evaluated, [0]);
  assert.match(after.blocks[0].diagnostics[0].message, /on line 5/);
  assert.equal(after.blocks[0].diagnostics[0].range.start.line, 3);
});

test('changed settings evaluate every block again; the cache keeps at most its capacity', () => {
  const cache = new InsightsCache(8);
  cache.insights(note(6), 'markdown', defaultLiveSettings);
  const again = cache.insights(note(6), 'markdown', { ...defaultLiveSettings, precision: 3 });
  assert.equal(again.evaluated.length, 6);
  assert.match(again.blocks[0].previews[0].text, /\[0\.\d{3} /);
  assert.equal(cache.size, 8);
  // The 8 most recent entries: the first run's blocks 4 and 5, then the six precision-3 ones.
  const fence = (i: number) => `\`\`\`model\n${splitBlocks(note(6), 'markdown')[i].text}\n\`\`\`\n`;
  assert.deepEqual(
    cache.insights(fence(5) + fence(4), 'markdown', defaultLiveSettings).evaluated,
    [],
  );
  assert.deepEqual(cache.insights(fence(3), 'markdown', defaultLiveSettings).evaluated, [0]);
  assert.equal(cache.size, 8);
});

test('whatever the edits, the cache answers as a fresh evaluation does', () => {
  const pieces = [
    '```model\nZ = [[1.0, 2.0], [0.5, 0.1]]\nP = softmax(Z)\n```\n',
    '```model\nparam W = [[0.1, -0.2], [0.3, 0.4]]\nX = [[1.0, 2.0]]\nloss L = sum(relu(X @ W))\n```\n',
    '```model\nZ = [[1.0, 2.0]]\nQ = softmax(Z @ W)\n```\n',
    'Some prose.\n',
    '\n',
    '```model\nZ = [[3.0, 1.0, 0.0], [0.0, 0.0, 0.0]]\nP = log_softmax(Z)\nS = sum(P)\n```\n',
    '```model\nB = A * 2\nA = [1.0]\n```\n',
  ];
  const cache = new InsightsCache(16);
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.integer({ min: 0, max: pieces.length - 1 }), { maxLength: 8 }), {
        minLength: 1,
        maxLength: 6,
      }),
      (documents) => {
        for (const doc of documents) {
          const text = doc.map((i) => pieces[i]).join('');
          const cached = cache.insights(text, 'markdown', defaultLiveSettings);
          const fresh = new InsightsCache().insights(text, 'markdown', defaultLiveSettings);
          assert.deepEqual(withoutIds(cached.blocks), withoutIds(fresh.blocks));
        }
      },
    ),
    { numRuns: 40 },
  );
});

test('splitBlocks: fences of a note with their lens lines; any other kind is one block', () => {
  const text = 'a\n```model\nx = 1\n```\n```python\ny = 2\n```\n~~~model\n~~~\n```model';
  const blocks = splitBlocks(text, 'markdown');
  assert.deepEqual(
    blocks.map((b) => [b.index, b.lensLine, b.origin.line, b.text]),
    [
      [0, 1, 2, 'x = 1'],
      [1, 7, 8, ''],
      [2, 9, 9, ''],
    ],
  );
  assert.deepEqual(
    splitBlocks('x = 1\ny = 2', 'snippet', { line: 4, column: 2 }).map((b) => [
      b.lensLine,
      b.origin,
    ]),
    [[4, { line: 4, column: 2 }]],
  );
});

test('answerInsights answers both questions, as plain data that survives JSON', () => {
  const cache = new InsightsCache();
  const text = note(3);
  const origin = { line: 0, column: 0 };
  const live = answerInsights(cache, {
    type: 'insights',
    text,
    kind: 'markdown',
    origin,
    settings: defaultLiveSettings,
  });
  assert.equal(live.type, 'insights');
  assert.equal(live.blocks.length, 3);
  assert.ok(live.elapsedMs >= 0);
  assert.deepEqual(JSON.parse(JSON.stringify(live.blocks)), live.blocks);
  const checked = answerInsights(cache, {
    type: 'check',
    text,
    kind: 'markdown',
    origin,
    settings: defaultCheckSettings,
    blocks: [1],
  });
  assert.equal(checked.type, 'check');
  assert.deepEqual(
    checked.blocks.map((b) => b.diagnostics.map((d) => d.tensor)),
    [['W', 'X']],
  );
  assert.deepEqual(JSON.parse(JSON.stringify(checked.blocks)), checked.blocks);
});
