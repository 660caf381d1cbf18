/**
 * Answers that refer to held blocks: put back together, they equal the full answer, whatever
 * the edits; a reference to a block not held is refused rather than guessed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type BlockInsights,
  InsightsCache,
  answerInsights,
  defaultLiveSettings,
  isReference,
  resolveBlocks,
} from '../../src/editor-insights/index';
import { sample, withoutIds } from './helpers';

const origin = { line: 0, column: 0 };

function ask(cache: InsightsCache, text: string, have?: readonly number[]) {
  const answer = answerInsights(cache, {
    type: 'insights',
    text,
    kind: 'markdown',
    origin,
    settings: defaultLiveSettings,
    have,
  });
  assert.equal(answer.type, 'insights');
  if (answer.type !== 'insights') throw new Error('unreachable');
  return answer;
}

test('an edit to one of 50 blocks sends one block; the rest are references', () => {
  const body = sample('two-layer-network.md').split('```model\n')[1].split('```')[0];
  const note = (changed: number) =>
    Array.from(
      { length: 50 },
      (_, i) =>
        `## ${i}\n\n\`\`\`model\n${body.replace('seed=2)', `seed=${i === 17 ? changed : i + 10})`)}\`\`\`\n`,
    ).join('\n');
  const cache = new InsightsCache();
  const first = ask(cache, note(27));
  const held = first.blocks as BlockInsights[];
  assert.ok(held.every((b) => !isReference(b)));
  const second = ask(
    cache,
    note(99),
    held.map((b) => b.id),
  );
  assert.deepEqual(
    second.blocks.flatMap((b, i) => (isReference(b) ? [] : [i])),
    [17],
  );
  const full = JSON.stringify(second.blocks).length;
  const all = JSON.stringify(ask(new InsightsCache(), note(99)).blocks).length;
  assert.ok(full * 20 < all, `the answer is ${full} characters, the full one ${all}`);
  const resolved = resolveBlocks(second.blocks, held)!;
  assert.equal(resolved.length, 50);
  assert.deepEqual(resolved[16], held[16]);
  assert.notDeepEqual(resolved[17].previews, held[17].previews);
});

test('references resolve to what a full answer says, after any sequence of edits', () => {
  const pieces = [
    '```model\nZ = [[1.0, 2.0], [0.5, 0.1]]\nP = softmax(Z)\n```\n',
    '```model\nparam W = [[0.1, -0.2], [0.3, 0.4]]\nX = [[1.0, 2.0]]\nloss L = sum(relu(X @ W))\n```\n',
    'Some prose.\n\n',
    '```model\nB = A * 2\nA = [1.0]\n```\n',
    '```model\nZ = [[3.0, 1.0, 0.0]]\nP = log_softmax(Z)\n```\n',
  ];
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.integer({ min: 0, max: pieces.length - 1 }), { maxLength: 7 }), {
        minLength: 1,
        maxLength: 6,
      }),
      (documents) => {
        const cache = new InsightsCache(64);
        let held: BlockInsights[] = [];
        for (const doc of documents) {
          const text = doc.map((i) => pieces[i]).join('');
          const answer = ask(
            cache,
            text,
            held.map((b) => b.id),
          );
          const resolved = resolveBlocks(answer.blocks, held);
          assert.ok(resolved);
          const fresh = ask(cache, text).blocks as BlockInsights[];
          // Ids may differ: a block with spec errors that moved is evaluated afresh.
          assert.deepEqual(withoutIds(resolved), withoutIds(fresh));
          held = resolved;
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('a reference to a block not held is refused', () => {
  const cache = new InsightsCache();
  const text = sample('softmax.md');
  const first = ask(cache, text).blocks as BlockInsights[];
  const again = ask(
    cache,
    text,
    first.map((b) => b.id),
  );
  assert.ok(again.blocks.every(isReference));
  assert.equal(resolveBlocks(again.blocks, first.slice(1)), null);
  assert.deepEqual(resolveBlocks(again.blocks, first), first);
});
