// The engine worker answering the editor's questions (live insights, Check Gradients) through
// an EngineClient, built from source: the block cache lives in the worker across requests, and
// explaining in between does not disturb it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import {
  type BlockInsights,
  type InsightsAnswer,
  isReference,
  resolveBlocks,
  type CheckAnswer,
  type InsightsQueryMessage,
  defaultCheckSettings,
  defaultLiveSettings,
} from '../../src/editor-insights/index';
import { EngineClient } from '../../src/extension/engine-client';
import type { InsightsResponse } from '../../src/extension/engine-protocol';

const root = join(import.meta.dirname, '..', '..');
const sample = readFileSync(join(root, 'samples', 'two-layer-network.md'), 'utf8');
const origin = { line: 0, column: 0 };

describe('the engine worker answers live insights and gradient checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'backprop-notes-insights-worker-'));
  let client: EngineClient<InsightsQueryMessage, InsightsResponse>;

  before(async () => {
    await esbuild.build({
      entryPoints: [join(root, 'src', 'extension', 'engine-worker.ts')],
      outfile: join(dir, 'worker.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      logLevel: 'error',
    });
    client = new EngineClient({ workerPath: join(dir, 'worker.js') });
  });
  after(() => {
    client.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  async function ask<T>(query: InsightsQueryMessage): Promise<T> {
    const outcome = await client.run(query);
    assert.equal(outcome.status, 'done', JSON.stringify(outcome));
    if (outcome.status !== 'done') throw new Error('unreachable');
    return outcome.response.answer as T;
  }

  it('evaluates a note once, then serves the unchanged blocks from its cache', async () => {
    const first = await ask<InsightsAnswer>({
      type: 'insights',
      text: sample,
      kind: 'markdown',
      origin,
      settings: defaultLiveSettings,
    });
    assert.equal(first.type, 'insights');
    assert.deepEqual(first.evaluated, [0]);
    assert.equal(
      (first.blocks[0] as BlockInsights).previews[0].text,
      '⟶ [0.96 0.04] [0.44 0.56]  Σ=1',
    );
    const held = first.blocks as BlockInsights[];
    const again = await ask<InsightsAnswer>({
      type: 'insights',
      text: `Intro line.\n${sample}`,
      kind: 'markdown',
      origin,
      settings: defaultLiveSettings,
      have: held.map((b) => b.id),
    });
    assert.deepEqual(again.evaluated, [], 'moved, not changed: from the cache');
    assert.ok(isReference(again.blocks[0]), 'a block the extension holds is referred to');
    const [moved] = resolveBlocks(again.blocks, held)!;
    assert.equal(moved.previews[0].line, held[0].previews[0].line + 1);
  });

  it('checks gradients on request, one diagnostic per tensor with a gradient', async () => {
    const answer = await ask<CheckAnswer>({
      type: 'check',
      text: sample,
      kind: 'markdown',
      origin,
      settings: defaultCheckSettings,
      blocks: null,
    });
    assert.equal(answer.type, 'check');
    assert.deepEqual(
      answer.blocks[0].diagnostics.map((d) => [d.tensor, d.grade]),
      [
        ['X', 'good'],
        ['W1', 'good'],
        ['b1', 'good'],
        ['W2', 'good'],
        ['b2', 'good'],
      ],
    );
  });
});
