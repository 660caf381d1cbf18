// The engine client: newest request wins, stale answers are dropped, a long superseded run is
// cut short by restarting the worker, crashes and time limits fail one run and recover.
// First with a scripted stand-in worker, then with the real engine worker built from source.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { EngineClient, type EngineOutcome } from '../../src/extension/engine-client';
import type { Explanation } from '../../src/explain/explanation';

const fakeWorker = join(import.meta.dirname, 'fixtures', 'fake-engine-worker.mjs');
const request = (text: string) => ({
  text,
  kind: 'snippet' as const,
  origin: { line: 0, column: 0 },
  blockIndex: 0,
  gradientCheck: false,
  view: null,
  partialAfterMs: 100,
});

function textOf(outcome: EngineOutcome): string {
  assert.equal(outcome.status, 'done', JSON.stringify(outcome));
  if (outcome.status !== 'done') throw new Error('unreachable');
  return (outcome.response.explanation as unknown as { text: string }).text;
}

describe('EngineClient with a scripted worker', () => {
  it('answers a request', async () => {
    const client = new EngineClient({ workerPath: fakeWorker });
    try {
      assert.equal(textOf(await client.run(request('a'))), 'a');
      assert.equal(textOf(await client.run(request('b'))), 'b');
      assert.equal(client.starts, 1, 'one worker serves consecutive requests');
    } finally {
      client.dispose();
    }
  });

  it('settles a superseded call at once and answers only the newest', async () => {
    const client = new EngineClient({ workerPath: fakeWorker, supersedeBudgetMs: 10_000 });
    try {
      const first = client.run(request('sleep:300'));
      await new Promise((r) => setTimeout(r, 50));
      const second = client.run(request('second'));
      const third = client.run(request('third'));
      assert.deepEqual(await first, { status: 'superseded' });
      assert.deepEqual(await second, { status: 'superseded' });
      assert.equal(textOf(await third), 'third');
      // Within the budget the running request was awaited, not killed.
      assert.equal(client.starts, 1);
    } finally {
      client.dispose();
    }
  });

  it('restarts the worker when a superseded run exceeds the budget', async () => {
    const client = new EngineClient({ workerPath: fakeWorker, supersedeBudgetMs: 100 });
    try {
      const started = Date.now();
      const slow = client.run(request('sleep:5000'));
      await new Promise((r) => setTimeout(r, 20));
      const fast = client.run(request('fast'));
      assert.deepEqual(await slow, { status: 'superseded' });
      assert.equal(textOf(await fast), 'fast');
      assert.ok(
        Date.now() - started < 3000,
        `took ${Date.now() - started} ms: the slow run was not cut`,
      );
      assert.equal(client.starts, 2);
    } finally {
      client.dispose();
    }
  });

  it('fails a run over the time limit and recovers', async () => {
    // The limit counts a fresh worker's start too: generous for the run after the restart (a
    // loaded machine may take over a second to start a thread).
    let limit = 1000;
    const client = new EngineClient({ workerPath: fakeWorker, timeLimitMs: () => limit });
    try {
      const outcome = await client.run(request('sleep:4000'));
      assert.equal(outcome.status, 'failed');
      assert.match(outcome.status === 'failed' ? outcome.message : '', /longer than/);
      limit = 30_000;
      assert.equal(textOf(await client.run(request('after'))), 'after');
      assert.equal(client.starts, 2);
    } finally {
      client.dispose();
    }
  });

  it('reports a crash once per crash, fails that run, and restarts for the next', async () => {
    const crashes: Error[] = [];
    const client = new EngineClient({ workerPath: fakeWorker, onCrash: (e) => crashes.push(e) });
    try {
      const outcome = await client.run(request('crash'));
      assert.equal(outcome.status, 'failed');
      assert.match(outcome.status === 'failed' ? outcome.message : '', /stopped unexpectedly/);
      assert.equal(crashes.length, 1);
      assert.match(crashes[0].message, /code 3/);
      assert.equal(textOf(await client.run(request('again'))), 'again');
      assert.equal(crashes.length, 1);
    } finally {
      client.dispose();
    }
  });

  it("passes the worker's own failure through", async () => {
    const client = new EngineClient({ workerPath: fakeWorker });
    try {
      assert.deepEqual(await client.run(request('fail')), {
        status: 'failed',
        message: 'failed on purpose',
        line: 4,
      });
    } finally {
      client.dispose();
    }
  });

  it('passes a partial answer on, then settles with the full one', async () => {
    const client = new EngineClient({ workerPath: fakeWorker });
    try {
      const partials: unknown[] = [];
      const outcome = await client.run(request('partial:100'), (r) => partials.push(r.explanation));
      assert.equal(partials.length, 1);
      assert.deepEqual(
        { ...(partials[0] as object), threadId: 0 },
        { text: 'partial:100', threadId: 0, partial: true },
      );
      assert.equal(outcome.status, 'done');
      assert.equal(outcome.status === 'done' && outcome.response.partial, false);
    } finally {
      client.dispose();
    }
  });

  it('fails a run whose full answer exceeds the time limit after its partial one', async () => {
    let limit = 30_000;
    const client = new EngineClient({ workerPath: fakeWorker, timeLimitMs: () => limit });
    try {
      assert.equal(textOf(await client.run(request('up'))), 'up'); // started, however slowly
      limit = 1000;
      let partials = 0;
      const outcome = await client.run(request('partial:4000'), () => partials++);
      assert.equal(partials, 1);
      assert.equal(outcome.status, 'failed');
    } finally {
      client.dispose();
    }
  });

  it('drops the partial answer of a superseded run', async () => {
    const client = new EngineClient({ workerPath: fakeWorker, supersedeBudgetMs: 10_000 });
    try {
      let stalePartials = 0;
      const first = client.run(request('sleep:200'), () => stalePartials++);
      const second = client.run(request('partial:50'));
      assert.deepEqual(await first, { status: 'superseded' });
      assert.equal(textOf(await second), 'partial:50');
      assert.equal(stalePartials, 0);
    } finally {
      client.dispose();
    }
  });

  it('cancel(): the running and the waiting call settle at once; a quick run keeps its worker', async () => {
    const client = new EngineClient({ workerPath: fakeWorker, supersedeBudgetMs: 10_000 });
    try {
      client.cancel(); // nothing running: nothing happens
      const running = client.run(request('sleep:200'));
      await new Promise((r) => setTimeout(r, 20));
      const waiting = client.run(request('waiting'));
      client.cancel();
      assert.deepEqual(await running, { status: 'superseded' });
      assert.deepEqual(await waiting, { status: 'superseded' });
      assert.equal(textOf(await client.run(request('after'))), 'after');
      assert.equal(client.starts, 1, 'within the budget the run was let finish, not killed');
    } finally {
      client.dispose();
    }
  });

  it('cancel(): a run still going at the budget has its worker stopped; later calls are answered', async () => {
    const client = new EngineClient({ workerPath: fakeWorker, supersedeBudgetMs: 100 });
    try {
      const running = client.run(request('sleep:5000'));
      await new Promise((r) => setTimeout(r, 20));
      client.cancel();
      assert.deepEqual(await running, { status: 'superseded' });
      const deadline = Date.now() + 4000; // the fake run would go on for 5 s
      while (client.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(client.running, false, 'stopped at the budget, not after 5 s');
      assert.equal(textOf(await client.run(request('after'))), 'after');
      assert.equal(client.starts, 2);
    } finally {
      client.dispose();
    }
  });

  it('settles everything as superseded on dispose', async () => {
    const client = new EngineClient({ workerPath: fakeWorker });
    const running = client.run(request('sleep:2000'));
    const waiting = client.run(request('next'));
    client.dispose();
    assert.deepEqual(await running, { status: 'superseded' });
    assert.deepEqual(await waiting, { status: 'superseded' });
    assert.deepEqual(await client.run(request('late')), { status: 'superseded' });
  });
});

describe('EngineClient with the real engine worker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'backprop-notes-worker-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  before(async () => {
    await esbuild.build({
      entryPoints: [join(import.meta.dirname, '..', '..', 'src', 'extension', 'engine-worker.ts')],
      outfile: join(dir, 'worker.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      logLevel: 'error',
    });
  });

  it('explains the two-layer sample block off the main thread', async () => {
    const workerPath = join(dir, 'worker.js');
    const text = readFileSync(
      join(import.meta.dirname, '..', '..', 'samples', 'two-layer-network.md'),
      'utf8',
    );
    const client = new EngineClient({ workerPath });
    try {
      const outcome = await client.run({ ...request(text), kind: 'markdown', gradientCheck: true });
      assert.equal(outcome.status, 'done', JSON.stringify(outcome));
      if (outcome.status !== 'done') return;
      const e = outcome.response.explanation;
      assert.equal(outcome.response.blockCount, 1);
      assert.ok(
        e.gradients.some((g) => g.name === 'W1'),
        'W1 has a gradient',
      );
      assert.ok(e.gradientCheck, 'the gradient check ran');
      const fence = text.split('\n').indexOf('```model');
      assert.equal(e.range.start.line, fence + 1, 'ranges are in the note’s own lines');
    } finally {
      client.dispose();
    }
  });

  it('answers first without, then with the gradient check, windowing large tensors', async () => {
    const text = [
      'input X = randn(200, 300, seed=1)',
      'param W = randn(300, 40, seed=2)',
      'loss L = mean(tanh(X @ W))',
    ].join('\n');
    const client = new EngineClient({ workerPath: join(dir, 'worker.js') });
    try {
      const partials: Explanation[] = [];
      const outcome = await client.run(
        {
          ...request(text),
          kind: 'model',
          gradientCheck: { maxElementsPerTensor: 4 },
          view: { maxRows: 6, maxColumns: 6 },
          partialAfterMs: 0, // always answer partially first
        },
        (r) => partials.push(r.explanation),
      );
      assert.equal(outcome.status, 'done', JSON.stringify(outcome).slice(0, 300));
      if (outcome.status !== 'done') return;
      const final = outcome.response.explanation;
      assert.ok(final.gradientCheck, 'the final answer has the check');
      assert.ok(final.gradientCheck.tensors.every((t) => t.elements.length <= 4));
      assert.equal(partials.length, 1);
      assert.equal(partials[0].gradientCheck, null, 'the partial answer has no check');
      assert.deepEqual(partials[0].gradients, final.gradients, 'and the same gradients');
      // X (200×300) travels as a 7×7 window: 6 shown and 2 placeholders… minus one each way.
      const x = final.nodes.find((n) => n.name === 'X')!;
      assert.deepEqual(x.shape, [200, 300]);
      assert.equal((x.value as number[][]).length, 7);
      assert.equal((x.value as number[][])[0].length, 7);
    } finally {
      client.dispose();
    }
  });
});
