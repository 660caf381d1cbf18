/**
 * The live scheduler with a fake engine that behaves like EngineClient (a newer run supersedes the
 * one in flight): first edit at once, later ones throttled, the newest version always evaluated,
 * documents never cancelling each other, closed documents forgotten.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LiveScheduler, type RunOutcome } from '../../src/extension/live-scheduler';

interface Query {
  key: string;
  version: number;
}

/** An engine whose runs finish when the test says, superseding like EngineClient does. */
class FakeEngine {
  started: Query[] = [];
  private current: { query: Query; resolve: (o: RunOutcome<string>) => void } | null = null;

  run = (query: Query): Promise<RunOutcome<string>> => {
    this.current?.resolve({ status: 'superseded' });
    this.started.push(query);
    return new Promise((resolve) => {
      this.current = { query, resolve };
    });
  };

  /** Gives up the running query, as EngineClient.cancel() does. */
  cancel = (): void => {
    this.cancels++;
    this.current?.resolve({ status: 'superseded' });
    this.current = null;
  };
  cancels = 0;

  get running(): Query | null {
    return this.current?.query ?? null;
  }

  finish(outcome?: RunOutcome<string>): void {
    const c = this.current;
    assert.ok(c, 'nothing is running');
    this.current = null;
    c.resolve(outcome ?? { status: 'done', answer: `${c.query.key}@${c.query.version}` });
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function setup(delayMs = 30) {
  const engine = new FakeEngine();
  const results: string[] = [];
  const failures: string[] = [];
  const scheduler = new LiveScheduler<Query, string>({
    run: engine.run,
    delayMs: () => delayMs,
    onResult: (key, version, answer) => results.push(`${key}@${version}=${answer}`),
    onFailure: (key, version, message) => failures.push(`${key}@${version}: ${message}`),
  });
  const schedule = (key: string, version: number) =>
    scheduler.schedule(key, version, { key, version });
  return { engine, results, failures, scheduler, schedule };
}

test('the first edit runs at once; edits during the cooldown collapse into one trailing run', async () => {
  const { engine, results, scheduler, schedule } = setup(30);
  schedule('a', 1);
  assert.deepEqual(engine.running, { key: 'a', version: 1 }, 'no wait for the first edit');
  engine.finish();
  await tick();
  schedule('a', 2);
  schedule('a', 3);
  schedule('a', 4);
  assert.equal(engine.started.length, 1, 'within the cooldown: not yet');
  await sleep(45);
  assert.deepEqual(engine.running, { key: 'a', version: 4 });
  engine.finish();
  await tick();
  assert.deepEqual(results, ['a@1=a@1', 'a@4=a@4']);
  await scheduler.settled('a');
  scheduler.dispose();
});

test('a newer version of the running document supersedes it; another document waits its turn', async () => {
  const { engine, results, scheduler, schedule } = setup(0);
  schedule('a', 1);
  schedule('b', 1);
  assert.deepEqual(engine.started, [{ key: 'a', version: 1 }], 'b waits for a');
  await sleep(5);
  schedule('a', 2); // cooldown over: supersedes a@1 at once
  assert.deepEqual(engine.running, { key: 'a', version: 2 });
  engine.finish();
  await tick();
  assert.deepEqual(engine.running, { key: 'b', version: 1 });
  engine.finish();
  await tick();
  assert.deepEqual(results, ['a@2=a@2', 'b@1=b@1']);
  scheduler.dispose();
});

test('settled() waits for the newest version; a failure settles too and is reported', async () => {
  const { engine, failures, scheduler, schedule } = setup(0);
  schedule('a', 1);
  let settled = false;
  void scheduler.settled('a').then(() => (settled = true));
  await tick();
  assert.equal(settled, false);
  engine.finish({ status: 'failed', message: 'too slow' });
  await tick();
  assert.equal(settled, true);
  assert.deepEqual(failures, ['a@1: too slow']);
  scheduler.dispose();
});

test('a forgotten document gets no result, and its waiters are released', async () => {
  const { engine, results, scheduler, schedule } = setup(0);
  schedule('a', 1);
  const waiting = scheduler.settled('a');
  scheduler.forget('a');
  await waiting;
  engine.finish();
  await tick();
  assert.deepEqual(results, []);
  assert.equal(scheduler.busy, false);
  scheduler.dispose();
});

test('forgetting (closing) the running document cancels its run; the next document starts at once', async () => {
  const engine = new FakeEngine();
  const results: string[] = [];
  const scheduler = new LiveScheduler<Query, string>({
    run: engine.run,
    cancel: engine.cancel,
    delayMs: () => 0,
    onResult: (key, version, answer) => results.push(`${key}@${version}=${answer}`),
  });
  scheduler.schedule('a', 1, { key: 'a', version: 1 });
  scheduler.schedule('b', 1, { key: 'b', version: 1 });
  await tick();
  assert.deepEqual(engine.running, { key: 'a', version: 1 }, 'b waits for a');
  assert.equal(scheduler.forget('b'), false, 'not running: nothing to cancel');
  assert.equal(engine.cancels, 0);
  scheduler.schedule('b', 2, { key: 'b', version: 2 });
  assert.equal(scheduler.forget('a'), true);
  assert.equal(engine.cancels, 1, 'a’s run was cancelled');
  await tick();
  assert.deepEqual(engine.running, { key: 'b', version: 2 }, 'b no longer waits for a');
  engine.finish();
  await tick();
  assert.deepEqual(results, ['b@2=b@2'], 'nothing delivered for the closed a');
  assert.equal(scheduler.busy, false);
  scheduler.dispose();
});

test('random interleavings: every document’s newest version is delivered, versions only grow', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('edit' as const), doc: fc.constantFrom('a', 'b', 'c') }),
          fc.record({ op: fc.constant('finish' as const) }),
          fc.record({ op: fc.constant('wait' as const) }),
        ),
        { maxLength: 30 },
      ),
      async (steps) => {
        const { engine, results, scheduler, schedule } = setup(2);
        const versions = new Map<string, number>();
        for (const step of steps) {
          if (step.op === 'edit') {
            const v = (versions.get(step.doc) ?? 0) + 1;
            versions.set(step.doc, v);
            schedule(step.doc, v);
          } else if (step.op === 'finish') {
            if (engine.running) engine.finish();
            await tick();
          } else {
            await sleep(3);
          }
        }
        // Drain: finish whatever runs until nothing is left.
        for (let i = 0; i < 200 && scheduler.busy; i++) {
          if (engine.running) engine.finish();
          await sleep(3);
        }
        assert.equal(scheduler.busy, false);
        const delivered = new Map<string, number[]>();
        for (const r of results) {
          const [, key, v] = /^(\w)@(\d+)=/.exec(r)!;
          delivered.set(key, [...(delivered.get(key) ?? []), Number(v)]);
        }
        for (const [doc, newest] of versions) {
          const got = delivered.get(doc) ?? [];
          assert.equal(got.at(-1), newest, `${doc}: newest delivered`);
          for (let i = 1; i < got.length; i++) assert.ok(got[i] > got[i - 1]);
        }
        scheduler.dispose();
      },
    ),
    { numRuns: 40 },
  );
});

test('asking again for the same version (settings changed) delivers the new answer', async () => {
  const { engine, results, scheduler, schedule } = setup(0);
  schedule('a', 7);
  engine.finish({ status: 'done', answer: 'old settings' });
  await sleep(2);
  schedule('a', 7);
  const settled = scheduler.settled('a');
  engine.finish({ status: 'done', answer: 'new settings' });
  await settled;
  assert.deepEqual(results, ['a@7=old settings', 'a@7=new settings']);
  scheduler.dispose();
});
