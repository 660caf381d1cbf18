// The host sends nothing before the webview is ready, and a webview that comes back (shown again
// after being hidden) gets the newest state again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadyGate } from '../../src/extension/ready-gate';

type M = { type: 'result' | 'busy'; n: number };

function gate() {
  const sent: M[] = [];
  const g = new ReadyGate<M>(
    (m) => sent.push(m),
    (m) => m.type,
  );
  return { g, sent };
}

describe('ReadyGate', () => {
  it('sends nothing before ready, then the newest of each slot in update order', () => {
    const { g, sent } = gate();
    g.post({ type: 'result', n: 1 });
    g.post({ type: 'busy', n: 2 });
    g.post({ type: 'result', n: 3 });
    assert.deepEqual(sent, []);
    g.ready();
    assert.deepEqual(sent, [
      { type: 'busy', n: 2 },
      { type: 'result', n: 3 },
    ]);
  });

  it('sends at once while ready', () => {
    const { g, sent } = gate();
    g.ready();
    g.post({ type: 'result', n: 1 });
    assert.deepEqual(sent, [{ type: 'result', n: 1 }]);
  });

  it('holds back while closed and repeats the newest state at the next ready', () => {
    const { g, sent } = gate();
    g.ready();
    g.post({ type: 'result', n: 1 });
    g.close();
    g.post({ type: 'result', n: 2 });
    assert.deepEqual(sent, [{ type: 'result', n: 1 }]);
    g.ready();
    assert.deepEqual(sent.at(-1), { type: 'result', n: 2 });
    // A webview that reloads says ready again, without a close in between: it gets it again.
    const before = sent.length;
    g.ready();
    assert.deepEqual(sent.slice(before), [{ type: 'result', n: 2 }]);
  });

  it('sends a postOnce message once: at once when ready, else at the next ready only', () => {
    const { g, sent } = gate();
    g.post({ type: 'result', n: 1 });
    g.postOnce({ type: 'busy', n: 2 });
    g.ready();
    assert.deepEqual(sent, [
      { type: 'result', n: 1 },
      { type: 'busy', n: 2 },
    ]);
    g.close();
    g.ready();
    assert.deepEqual(sent.slice(2), [{ type: 'result', n: 1 }], 'not again after a reload');
    g.postOnce({ type: 'busy', n: 3 });
    assert.deepEqual(sent.at(-1), { type: 'busy', n: 3 }, 'sent at once while ready');
    g.close();
    g.ready();
    assert.deepEqual(sent.at(-1), { type: 'result', n: 1 });
  });
});
