// Issue 7, goal 3: a crashed or stuck engine worker is restarted and the user told once, not on
// every keystroke; a closed note's run is cancelled. The notice on its own (with a fake clock),
// then the real engine worker (built from source) crashing for real — out of memory under a small
// heap limit — and getting stuck on a slow block past the time limit, several times in a row;
// and its thread running at a lower priority than the editor's.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { EngineClient, type EngineOutcome } from '../../src/extension/engine-client';
import type { NotesQuery, NotesResponse } from '../../src/notes/worker';
import type { ExportQuery, ExportResponse } from '../../src/render/export-request';
import {
  type WorkerName,
  type WorkerTrouble,
  WorkerTroubleNotice,
  troubleMessage,
} from '../../src/extension/worker-trouble';

const root = join(import.meta.dirname, '..', '..');

type NotesOk = Extract<NotesResponse, { ok: true }>;
type ExportOk = Extract<ExportResponse, { ok: true }>;

describe('WorkerTroubleNotice', () => {
  it('tells once per quiet period, whichever worker and trouble, and logs every report', () => {
    let now = 0;
    const told: WorkerTrouble[] = [];
    const logged: string[] = [];
    const notice = new WorkerTroubleNotice({
      tell: (t) => told.push(t),
      log: (line) => logged.push(line),
      quietMs: 60_000,
      now: () => now,
    });
    const live = notice.for('live');
    const panel = notice.for('panel');
    live.onCrash(new Error('out of memory'));
    assert.equal(told.length, 1);
    assert.equal(told[0].kind, 'crashed');
    for (let i = 0; i < 20; i++) {
      now += 1000;
      live.onCrash(new Error('out of memory'));
      live.onTimeLimit(30_000);
      panel.onCrash(new Error('again'));
    }
    assert.equal(told.length, 1, '60 reports within a minute: still one message');
    assert.equal(logged.length, 61, 'every report is logged');
    assert.match(logged[2], /^live: a run went past the time limit of 30000 ms/);
    now += 60_000;
    assert.equal(notice.report('live', { kind: 'stuck', limitMs: 30_000 }), true);
    assert.deepEqual(told[1], { kind: 'stuck', limitMs: 30_000 });
    assert.equal(notice.told, 2);
    assert.equal(notice.reports, 62);
  });

  it('a command the user waits on (Train, Export) is told every time, and quiets the live workers', () => {
    let now = 0;
    const told: [WorkerName, WorkerTrouble['kind']][] = [];
    const notice = new WorkerTroubleNotice({
      tell: (t, worker) => told.push([worker, t.kind]),
      quietMs: 60_000,
      now: () => now,
    });
    const crash = { kind: 'crashed', error: new Error('out of memory') } as const;
    assert.equal(notice.report('live', crash), true);
    now += 1000;
    // Within the quiet period, but the user pressed Export and waits: silence would read as
    // "nothing happened".
    assert.equal(notice.report('export', crash, { asked: true }), true);
    now += 1000;
    // The live previews failing on the same block right after: not told again …
    assert.equal(notice.report('live', crash), false);
    now += 58_000;
    // … for a whole quiet period counted from the export's message (60 s after the first one).
    assert.equal(notice.report('live', { kind: 'stuck', limitMs: 30_000 }), false);
    assert.equal(notice.report('train', crash, { asked: true }), true);
    assert.deepEqual(told, [
      ['live', 'crashed'],
      ['export', 'crashed'],
      ['train', 'crashed'],
    ]);
    assert.equal(notice.reports, 5);
  });

  it('says what happened and what to do, for each worker', () => {
    const crash = { kind: 'crashed', error: new Error('JS heap out of memory') } as const;
    assert.equal(
      troubleMessage('train', crash),
      'Training stopped: the Backprop Notes engine crashed (JS heap out of memory). The losses so far stay in the Train tab. Run Train again to start a fresh engine; if it crashes again, make the block’s tensors smaller.',
    );
    assert.equal(
      troubleMessage('export', crash),
      'The export stopped: the Backprop Notes engine crashed (JS heap out of memory) and was restarted. Export again; if it crashes again, make the block’s tensors smaller.',
    );
    assert.equal(
      troubleMessage('export', { kind: 'stuck', limitMs: 30_000 }),
      'The export took longer than 30 s and was stopped; the engine was restarted. Export again, make the block’s tensors smaller, or raise the setting backpropNotes.engine.timeLimitSeconds.',
    );
    assert.match(
      troubleMessage('notes', crash),
      /^The command stopped: .*\(JS heap out of memory\)/,
    );
    assert.match(troubleMessage('notes', { kind: 'stuck', limitMs: 5000 }), /longer than 5 s/);
    // The typing workers keep the message they had.
    assert.match(troubleMessage('live', crash), /^The Backprop Notes engine stopped unexpectedly/);
    assert.match(
      troubleMessage('panel', { kind: 'stuck', limitMs: 30_000 }),
      /took longer than 30 s on a model block while you typed/,
    );
  });
});

/** A block with a chain of 50 products (200×100)·(100×100): about a second of engine work. */
function slowBlock(layers = 50): string {
  const lines = ['input  X = randn(200, 100, seed=1)', 'param  W = randn(100, 100, seed=2)'];
  let previous = 'X';
  for (let i = 1; i <= layers; i++) {
    lines.push(`H${i} = relu(${previous} @ W)`);
    previous = `H${i}`;
  }
  lines.push(`loss L = sum(${previous})`);
  return lines.join('\n') + '\n';
}

const request = (text: string) => ({
  text,
  kind: 'model' as const,
  origin: { line: 0, column: 0 },
  blockIndex: 0,
  gradientCheck: false,
  view: null,
  partialAfterMs: 100,
});

const small = request('input x = [1, 2]\nloss L = sum(x)\n');

function assertAnswered(outcome: EngineOutcome): void {
  assert.equal(outcome.status, 'done', JSON.stringify(outcome).slice(0, 500));
}

describe('the real engine worker, crashing, stuck and cancelled', () => {
  const dir = mkdtempSync(join(tmpdir(), 'backprop-notes-worker-trouble-'));
  const workerPath = join(dir, 'worker.js');

  before(async () => {
    await esbuild.build({
      entryPoints: [join(root, 'src', 'extension', 'engine-worker.ts')],
      outfile: workerPath,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      logLevel: 'error',
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('crashes three times in a row (out of memory): three restarts, one message, then answers', async () => {
    const told: WorkerTrouble[] = [];
    const notice = new WorkerTroubleNotice({ tell: (t) => told.push(t) });
    // 16 MB of heap: the explanation of a 300×300 product (its values as arrays) does not fit,
    // a small block does. A real crash of the worker thread, no test hook in the engine.
    const client = new EngineClient({ workerPath, maxHeapMb: 16, ...notice.for('live') });
    try {
      const big = request(
        'input X = randn(300, 300, seed=1)\nparam W = randn(300, 300, seed=2)\nloss L = sum(relu(X @ W))\n',
      );
      for (let i = 1; i <= 3; i++) {
        const outcome = await client.run(big);
        assert.equal(outcome.status, 'failed', `crash ${i}`);
        assert.match(outcome.status === 'failed' ? outcome.message : '', /stopped unexpectedly/);
      }
      assert.equal(notice.reports, 3, 'each crash reported');
      assert.equal(told.length, 1, 'the user told once');
      assert.equal(told[0].kind, 'crashed');
      assert.match(told[0].kind === 'crashed' ? told[0].error.message : '', /memory/);
      assertAnswered(await client.run(small));
      assert.equal(client.starts, 4, 'a fresh worker after each crash');
    } finally {
      client.dispose();
    }
  });

  it('stuck past the time limit three times: stopped and restarted each time, one message, then answers', async () => {
    const told: WorkerTrouble[] = [];
    const notice = new WorkerTroubleNotice({ tell: (t) => told.push(t) });
    // A short limit for the slow block only: a fresh worker's start counts against it too.
    let limitMs = 30_000;
    const client = new EngineClient({
      workerPath,
      timeLimitMs: () => limitMs,
      ...notice.for('live'),
    });
    try {
      assertAnswered(await client.run(small)); // the worker is up: the limit times the block
      limitMs = 200;
      for (let i = 1; i <= 3; i++) {
        // Left to finish, the block would be answered (`done`): it was stopped.
        const outcome = await client.run(request(slowBlock()));
        assert.equal(outcome.status, 'failed', `run ${i} was not stopped`);
        assert.match(outcome.status === 'failed' ? outcome.message : '', /longer than 0\.2 s/);
      }
      assert.equal(notice.reports, 3);
      assert.deepEqual(told, [{ kind: 'stuck', limitMs: 200 }]);
      limitMs = 30_000;
      assertAnswered(await client.run(small));
      assert.equal(client.starts, 4, 'the first worker, then one per stuck run');
    } finally {
      client.dispose();
    }
  });

  // Train's and Export's workers (the same worker script, asked `notes` and `export` requests):
  // an out-of-memory crash fails the command with `trouble`, which the command tells through the
  // notice (asked), and the next command gets a fresh worker. (notes-features.ts and
  // export-command.ts do the telling; these are the parts of it that need no VS Code.)
  const bigBlock = (n: number) =>
    `input X = randn(${n}, ${n}, seed=1)\nparam W = randn(${n}, ${n}, seed=2)\nloss L = sum(relu(X @ W))\n`;
  const smallBlock = 'input x = [1, 2]\nparam w = [0.5, -1]\nloss L = sum(x * w * w)\n';

  it('Train: an out-of-memory crash fails the run with the trouble and one message; Train again trains', async () => {
    const told: [WorkerName, WorkerTrouble][] = [];
    const notice = new WorkerTroubleNotice({ tell: (t, worker) => told.push([worker, t]) });
    const train = (text: string) => ({
      type: 'notes' as const,
      what: 'train' as const,
      text,
      kind: 'model' as const,
      blockIndex: 0,
      learningRate: 0.01,
      steps: 3,
    });
    // As notes-features.ts does: a client per run, no time limit, 16 MB of heap here so that a
    // 600×600 product's training does not fit (a real crash, no hook in the engine).
    const crashing = new EngineClient<NotesQuery, NotesOk>({
      workerPath,
      maxHeapMb: 16,
      timeLimitMs: 24 * 3600 * 1000,
    });
    let outcome: EngineOutcome<NotesOk>;
    try {
      outcome = await crashing.run(train(bigBlock(600)));
    } finally {
      crashing.dispose();
    }
    assert.equal(outcome.status, 'failed');
    const trouble = outcome.status === 'failed' ? outcome.trouble : undefined;
    assert.equal(trouble?.kind, 'crashed');
    assert.match(trouble?.kind === 'crashed' ? trouble.error.message : '', /memory/);
    assert.equal(notice.report('train', trouble!, { asked: true }), true);
    // The live previews crash on the same block a moment later: no second message.
    notice.for('live').onCrash(new Error('out of memory'));
    assert.equal(told.length, 1);
    assert.match(troubleMessage(told[0][0], told[0][1]), /^Training stopped: .*out of memory/);

    const fresh = new EngineClient<NotesQuery, NotesOk>({ workerPath, maxHeapMb: 16 });
    try {
      const again = await fresh.run(train(smallBlock));
      assert.equal(again.status, 'done', JSON.stringify(again).slice(0, 300));
      const answer = again.status === 'done' ? again.response.answer : null;
      assert.equal(answer?.what, 'train');
    } finally {
      fresh.dispose();
    }
  });

  it('Export: an out-of-memory crash fails the export with the trouble; the same client exports next', async () => {
    const exportOf = (text: string) => ({
      type: 'export' as const,
      to: 'pytorch' as const,
      text,
      kind: 'model' as const,
      origin: { line: 0, column: 0 },
      blockIndex: 0,
      source: 'x.model',
    });
    const told: WorkerName[] = [];
    const notice = new WorkerTroubleNotice({ tell: (_t, worker) => told.push(worker) });
    // As export-command.ts does: one client kept for every export (16 MB of heap here).
    const client = new EngineClient<ExportQuery, ExportOk>({ workerPath, maxHeapMb: 16 });
    try {
      for (let i = 1; i <= 2; i++) {
        const outcome = await client.run(exportOf(bigBlock(300)));
        assert.equal(outcome.status, 'failed', `crash ${i}`);
        const trouble = outcome.status === 'failed' ? outcome.trouble : undefined;
        assert.equal(trouble?.kind, 'crashed', `crash ${i}`);
        notice.report('export', trouble!, { asked: true });
      }
      assert.deepEqual(told, ['export', 'export'], 'each export the user ran is answered');
      const after = await client.run(exportOf(smallBlock));
      assert.equal(after.status, 'done', JSON.stringify(after).slice(0, 300));
      assert.match(after.status === 'done' ? after.response.program : '', /import torch/);
      assert.equal(client.starts, 3, 'a fresh worker after each crash');
    } finally {
      client.dispose();
    }
  });

  it('a failure of the engine itself (not the worker) carries no trouble: the command shows it', async () => {
    const client = new EngineClient<ExportQuery, ExportOk>({ workerPath });
    try {
      const outcome = await client.run({
        type: 'export',
        to: 'numpy',
        text: 'no model here\n',
        kind: 'markdown',
        origin: { line: 0, column: 0 },
        blockIndex: 0,
        source: 'x.md',
      });
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.status === 'failed' ? outcome.trouble : 'x', undefined);
      assert.equal(client.starts, 1);
    } finally {
      client.dispose();
    }
  });

  it(
    'the engine thread yields to the editor: on Linux 10 nice levels lower, that thread alone',
    {
      skip: process.platform === 'linux' ? false : 'per-thread priority is Linux only',
    },
    async () => {
      const niceOf = (tid: string) =>
        Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
      const threads = () => readdirSync('/proc/self/task');
      const main = niceOf(String(process.pid));
      const before = new Set(threads());
      const client = new EngineClient({ workerPath });
      try {
        assertAnswered(await client.run(small));
        const started = threads().filter((tid) => !before.has(tid));
        const lowered = started.filter((tid) => niceOf(tid) === Math.min(19, main + 10));
        assert.equal(
          lowered.length,
          1,
          `one thread lowered; new threads' nice: ${started.map(niceOf)}`,
        );
        assert.equal(niceOf(String(process.pid)), main, 'the host’s own thread keeps its priority');
        assert.ok(
          threads().every((tid) => started.includes(tid) || niceOf(tid) === main),
          'no other thread changed',
        );
      } finally {
        client.dispose();
      }
    },
  );

  it('cancel(): a closed note’s slow run settles at once and its worker is stopped at the budget', async (t) => {
    const client = new EngineClient({ workerPath, supersedeBudgetMs: 200 });
    try {
      assertAnswered(await client.run(small));
      const slow = client.run(request(slowBlock()));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(client.running, true);
      const cancelledAt = Date.now();
      client.cancel();
      assert.deepEqual(await slow, { status: 'superseded' });
      while (client.running) await new Promise((r) => setTimeout(r, 10));
      t.diagnostic(`the cancelled run was given up ${Date.now() - cancelledAt} ms after cancel()`);
      assertAnswered(await client.run(small));
      // Had the block run to its end (a second or more), the worker would have been kept.
      assert.equal(client.starts, 2, 'the busy worker was stopped and replaced');
    } finally {
      client.dispose();
    }
  });
});
