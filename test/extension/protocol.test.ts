// The host ↔ webview protocol: well-formed messages pass unchanged, anything else is dropped
// with a reason; the persisted panel state is validated before a reload uses it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type HostMessage,
  type WebviewMessage,
  parseHostMessage,
  parsePanelState,
  parseWebviewMessage,
} from '../../src/protocol';

const source = {
  uri: 'file:///notes/a.md',
  fileName: 'a.md',
  kind: 'markdown',
  target: { kind: 'block', line: 12 },
  blockIndex: 0,
  blockCount: 2,
};
const settings = { maxRows: 8, maxColumns: 8, digits: 4 };
const explanation = {
  version: 1,
  index: 0,
  errors: [],
  nodes: [],
  gradients: [],
  steps: [],
  notation: [],
  softmaxCrossEntropy: [],
  notices: [],
  focus: null,
  root: null,
  gradientCheck: null,
};

const goodHost: HostMessage[] = [
  {
    type: 'explanation',
    requestId: 3,
    explanation: explanation as never,
    source: source as never,
    leaf: 'W1',
    settings,
    elapsedMs: 12.5,
  },
  { type: 'error', requestId: 4, message: 'no block', line: null, source: null },
  { type: 'error', requestId: 5, message: 'crashed', line: 7, source: source as never },
  { type: 'busy', busy: true },
  { type: 'showTab', tab: 'check' },
  { type: 'showTab', tab: 'graph' },
  { type: 'training', run: null },
  {
    type: 'training',
    run: {
      id: 1,
      uri: 'file:///notes/xor.model',
      blockIndex: 0,
      learningRate: 0.5,
      steps: 200,
      params: ['W1', 'b1'],
      losses: [
        [0, 0.69],
        [1, 0.68],
      ],
      done: 2,
      finalLoss: null,
      status: 'running',
      message: null,
      applied: false,
    },
  },
];

const goodWebview: WebviewMessage[] = [
  { type: 'ready' },
  { type: 'selectLeaf', leaf: 'X' },
  { type: 'selectLeaf', leaf: 'Z1', explain: true },
  { type: 'trainAction', action: 'apply' },
  { type: 'revealLine', line: 31, column: 5 },
  { type: 'rendered', requestId: 2, what: 'explanation', leaf: 'W1', errors: 0, tab: 'backward' },
  {
    type: 'rendered',
    requestId: 3,
    what: 'explanation',
    leaf: null,
    errors: 0,
    tab: 'forward',
    timing: { page: 1764400000000.5, received: 1764400000310, 'ms.katex': 12.5 },
  },
];

describe('protocol', () => {
  it('accepts every well-formed host message as it is', () => {
    for (const m of goodHost) assert.deepEqual(parseHostMessage(m), { ok: true, value: m });
  });

  it('accepts every well-formed webview message as it is', () => {
    for (const m of goodWebview) assert.deepEqual(parseWebviewMessage(m), { ok: true, value: m });
  });

  it('drops messages of an unknown type, with the type in the reason', () => {
    const result = parseWebviewMessage({ type: 'runShell', command: 'rm -rf /' });
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /'runShell'.*unknown type/);
    assert.equal(parseHostMessage({ type: 'eval', code: '1' }).ok, false);
    assert.equal(parseHostMessage({ type: 'settings', settings }).ok, false);
  });

  it('drops malformed fields', () => {
    const bad: unknown[] = [
      null,
      42,
      'ready',
      [{ type: 'ready' }],
      {},
      { type: 'selectLeaf' },
      { type: 'selectLeaf', leaf: '' },
      { type: 'selectLeaf', leaf: 7 },
      { type: 'revealLine', line: -1, column: 0 },
      { type: 'revealLine', line: 1.5, column: 0 },
      { type: 'revealLine', line: '3', column: 0 },
      { type: 'rendered', requestId: 1, what: 'other', leaf: null, errors: 0, tab: 'check' },
      { type: 'rendered', requestId: 1, what: 'error', leaf: null, errors: 0, tab: 'plot' },
      { type: 'trainAction', action: 'delete' },
      // Timing marks: numbers only, finite, a bounded number of short names.
      { ...goodWebview[5], timing: { page: '1' } },
      { ...goodWebview[5], timing: { page: null } },
      { ...goodWebview[5], timing: [1, 2] },
      { ...goodWebview[5], timing: { ['x'.repeat(41)]: 1 } },
      {
        ...goodWebview[5],
        timing: Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`m${i}`, i])),
      },
    ];
    for (const m of bad) assert.equal(parseWebviewMessage(m).ok, false, JSON.stringify(m));
    const badHost: unknown[] = [
      { ...goodHost[0], explanation: { ...explanation, version: 2 } },
      { ...goodHost[0], explanation: { ...explanation, nodes: 'x' } },
      { ...goodHost[0], source: { ...source, target: { kind: 'block' } } },
      { ...goodHost[0], settings: { ...settings, maxRows: 0 } },
      { ...goodHost[0], leaf: 3 },
      { type: 'training', run: { ...(goodHost[7] as { run: object }).run, status: 'paused' } },
      { type: 'training', run: { ...(goodHost[7] as { run: object }).run, losses: [[0]] } },
      { type: 'error', requestId: 1, message: 5, line: null, source: null },
      { type: 'busy', busy: 'yes' },
      { type: 'showTab', tab: 'debugger' },
      { type: 'showTab' },
    ];
    for (const m of badHost) assert.equal(parseHostMessage(m).ok, false, JSON.stringify(m));
  });

  it('never throws, whatever arrives', () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        const a = parseWebviewMessage(x);
        const b = parseHostMessage(x);
        return typeof a.ok === 'boolean' && typeof b.ok === 'boolean';
      }),
    );
    // …including objects that claim a known type with random fields.
    const types = [
      'ready',
      'selectLeaf',
      'revealLine',
      'rendered',
      'explanation',
      'error',
      'busy',
      'showTab',
      'settings',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.dictionary(fc.string(), fc.anything()),
        (type, rest) => {
          const m = { ...rest, type };
          const a = parseWebviewMessage(m);
          const b = parseHostMessage(m);
          // What passes is well-formed: re-parsing its value gives the same value.
          if (a.ok) assert.deepEqual(parseWebviewMessage(a.value), a);
          if (b.ok) assert.deepEqual(parseHostMessage(b.value), b);
        },
      ),
    );
  });

  it('reads a persisted panel state, defaulting what is missing, rejecting what is unusable', () => {
    const state = {
      version: 1,
      uri: 'file:///a.md',
      target: { kind: 'file' },
      leaf: 'b1',
      tab: 'check',
    };
    assert.deepEqual(parsePanelState(state), state);
    assert.deepEqual(parsePanelState({ ...state, leaf: undefined, tab: 'nope' }), {
      ...state,
      leaf: null,
      tab: 'backward',
    });
    assert.equal(parsePanelState(undefined), null);
    assert.equal(parsePanelState({ ...state, version: 2 }), null);
    assert.equal(parsePanelState({ ...state, uri: '' }), null);
    assert.equal(parsePanelState({ ...state, target: { kind: 'selection', range: {} } }), null);
  });
});
