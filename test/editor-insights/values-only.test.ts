/**
 * The live path's values-only Explanation (`explainBlock(…, { detail: 'values' })`) against the
 * full one on random blocks: the same values, shapes, gradients, loss, errors, NaN/∞ report and
 * softmax → cross-entropy pairs, so the previews, hovers, diagnostics and CodeLens made from it
 * are the same as before (issue 5: the live path no longer builds the chain rule, memory and
 * linearity).
 *
 * Random blocks: layered networks over a menu of ops (affine layers with or without bias,
 * activations, +, −, * of two earlier tensors of one width, softmax / log_softmax, scaling by a
 * number), the first tensor an input, param or const, ending in one of several losses or none
 * (a non-scalar root, or an output); and the same programs with one character changed, which
 * makes spec errors, partly evaluated blocks and stray literals.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type ExplainOptions, explainBlock } from '../../src/explain/build';
import type { Explanation } from '../../src/explain/explanation';
import { diagnosticsOf } from '../../src/editor-insights/diagnostics';
import { hoversOf } from '../../src/editor-insights/hovers';
import { previewsOf } from '../../src/editor-insights/previews';
import { type LiveSettings, defaultLiveSettings } from '../../src/editor-insights/types';
import { blockInsights } from '../../src/editor-insights/block';
import { parseSource } from '../../src/spec/index';

/** What the live path explained with before the values-only mode (its full Explanation). */
const fullLive: ExplainOptions = { gradientCheck: false, maxJacobianEntries: 0, maxPaths: 1 };

interface Tensor2 {
  readonly name: string;
  readonly cols: number;
}

type Step =
  | {
      readonly kind: 'affine';
      readonly from: number;
      readonly width: number;
      readonly bias: boolean;
    }
  | { readonly kind: 'activation'; readonly from: number; readonly op: string }
  | { readonly kind: 'pair'; readonly a: number; readonly b: number; readonly op: string }
  | { readonly kind: 'softmax'; readonly from: number; readonly log: boolean }
  | { readonly kind: 'scale'; readonly from: number; readonly by: string };

const activations = ['relu', 'tanh', 'sigmoid', 'softplus', 'gelu', 'exp', 'abs', 'leaky_relu'];

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('affine' as const),
    from: fc.nat(),
    width: fc.integer({ min: 1, max: 4 }),
    bias: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('activation' as const),
    from: fc.nat(),
    op: fc.constantFrom(...activations),
  }),
  fc.record({
    kind: fc.constant('pair' as const),
    a: fc.nat(),
    b: fc.nat(),
    op: fc.constantFrom('+', '-', '*'),
  }),
  fc.record({ kind: fc.constant('softmax' as const), from: fc.nat(), log: fc.boolean() }),
  fc.record({
    kind: fc.constant('scale' as const),
    from: fc.nat(),
    by: fc.constantFrom('2', '0.5', '-1', '1e-3'),
  }),
);

const net = fc.record({
  rows: fc.integer({ min: 1, max: 4 }),
  features: fc.integer({ min: 1, max: 4 }),
  inputRole: fc.constantFrom('input', 'param', 'const'),
  seed: fc.integer({ min: 1, max: 50 }),
  steps: fc.array(step, { minLength: 0, maxLength: 8 }),
  loss: fc.constantFrom('mean-square', 'ce', 'fused', 'mse', 'sum', 'none', 'output'),
});

type Net = typeof net extends fc.Arbitrary<infer T> ? T : never;

/** A spec from a random recipe: every operand index is taken modulo the tensors there are. */
function spec(n: Net): string {
  const lines = [`${n.inputRole} X = randn(${n.rows}, ${n.features}, seed=${n.seed})`];
  const tensors: Tensor2[] = [{ name: 'X', cols: n.features }];
  let params = 0;
  const pick = (i: number) => tensors[i % tensors.length];
  n.steps.forEach((s, i) => {
    const name = `H${i + 1}`;
    let cols = 0;
    let rhs = '';
    switch (s.kind) {
      case 'affine': {
        const a = pick(s.from);
        params++;
        lines.push(`param W${params} = randn(${a.cols}, ${s.width}, seed=${n.seed + params})`);
        if (s.bias)
          lines.push(`param b${params} = randn(${s.width}, seed=${n.seed + 100 + params})`);
        rhs = `${a.name} @ W${params}${s.bias ? ` + b${params}` : ''}`;
        cols = s.width;
        break;
      }
      case 'activation': {
        const a = pick(s.from);
        rhs = `${s.op}(${a.name})`;
        cols = a.cols;
        break;
      }
      case 'pair': {
        const a = pick(s.a);
        // The second operand: one of the same width, else the first again (`A * A`).
        const same = tensors.filter((t) => t.cols === a.cols);
        const b = same[s.b % same.length];
        rhs = `${a.name} ${s.op} ${b.name}`;
        cols = a.cols;
        break;
      }
      case 'softmax': {
        const a = pick(s.from);
        rhs = `${s.log ? 'log_softmax' : 'softmax'}(${a.name})`;
        cols = a.cols;
        break;
      }
      case 'scale': {
        const a = pick(s.from);
        rhs = `${s.by} * ${a.name}`;
        cols = a.cols;
        break;
      }
    }
    lines.push(`${name} = ${rhs}`);
    tensors.push({ name, cols });
  });
  const last = tensors[tensors.length - 1];
  const labels = Array.from({ length: n.rows }, (_, r) => (r * 7) % last.cols).join(', ');
  switch (n.loss) {
    case 'mean-square':
      lines.push(`loss L = mean(${last.name} * ${last.name})`);
      break;
    case 'ce':
      lines.push(
        `target y = [${labels}]`,
        `P = softmax(${last.name})`,
        'loss L = cross_entropy(P, y)',
      );
      break;
    case 'fused':
      lines.push(`target y = [${labels}]`, `loss L = softmax_cross_entropy(${last.name}, y)`);
      break;
    case 'mse':
      lines.push(
        `target T = randn(${n.rows}, ${last.cols}, seed=${n.seed + 200})`,
        `loss L = mse(${last.name}, T)`,
      );
      break;
    case 'sum':
      lines.push(`loss L = sum(${last.name}) + 0.1 * sum(${tensors[0].name})`);
      break;
    case 'output':
      lines.push(`output Y = ${last.name}`);
      break;
    case 'none':
      break;
  }
  return lines.join('\n') + '\n';
}

/** Both explanations of a text's first block, each from its own parse (explaining runs backward). */
function both(text: string): { full: Explanation; values: Explanation } | null {
  const [a] = parseSource(text, 'model');
  const [b] = parseSource(text, 'model');
  if (!a || !b) return null;
  return {
    full: explainBlock(a, fullLive),
    values: explainBlock(b, { detail: 'values' }),
  };
}

/** Everything the values-only mode fills must be what the full one says. */
function assertSameValues(text: string): void {
  const pair = both(text);
  if (!pair) return;
  const { full, values } = pair;
  const where = `in\n${text}`;
  assert.deepEqual(values.errors, full.errors, `errors ${where}`);
  assert.deepEqual(values.root, full.root, `root (loss value, shape, seed) ${where}`);
  assert.equal(values.nodes.length, full.nodes.length, where);
  values.nodes.forEach((node, i) => {
    const f = full.nodes[i];
    assert.deepEqual(node.shape, f.shape, `shape of node ${i} ${where}`);
    assert.deepEqual(node.value, f.value, `value of node ${i} ${where}`);
    assert.deepEqual(node.grad, f.grad, `gradient of node ${i} ${where}`);
    assert.deepEqual(node, f, `node ${i} ${where}`);
  });
  assert.equal(values.focus, full.focus, where);
  assert.deepEqual(values.softmaxCrossEntropy, full.softmaxCrossEntropy, where);
  // Where a NaN or ±∞ first appeared (src/explain/numerics.ts): read from values and gradients.
  assert.deepEqual(values.numerics, full.numerics, `numerics ${where}`);
  assert.deepEqual(values.notices, full.notices.slice(0, values.notices.length), where);
  // The rest is left out, and says so by being empty.
  assert.deepEqual(
    [values.gradients, values.steps, values.notation, values.memory, values.gradientCheck],
    [[], [], [], null, null],
  );
  // What the editor shows is made from it alone: the same as from the full Explanation.
  const settings: LiveSettings = { ...defaultLiveSettings, previewStatements: 'all' };
  assert.deepEqual(previewsOf(values, settings), previewsOf(full, settings), `previews ${where}`);
  assert.deepEqual(hoversOf(values, settings), hoversOf(full, settings), `hovers ${where}`);
  assert.deepEqual(diagnosticsOf(values), diagnosticsOf(full), `diagnostics ${where}`);
}

test('values-only = full explanation on random networks: values, shapes, gradients, loss, insights', () => {
  let withLoss = 0;
  fc.assert(
    fc.property(net, (n) => {
      const text = spec(n);
      const pair = both(text);
      assert.ok(pair);
      // The generator makes valid blocks: a failure to evaluate is the generator's bug.
      assert.deepEqual(
        pair.full.errors.map((e) => e.message),
        [],
        text,
      );
      if (pair.values.root?.seed === 'scalar') withLoss++;
      assertSameValues(text);
    }),
    { numRuns: 100 },
  );
  assert.ok(withLoss > 30, `only ${withLoss} of 100 blocks had a scalar loss`);
});

test('values-only = full explanation on blocks with one character changed (errors, partial blocks)', () => {
  const alphabet = ['', ' ', 'x', '(', ')', '@', '*', '1', '0', '-', ',', '=', 'q', '.', '#'];
  fc.assert(
    fc.property(net, fc.nat(), fc.constantFrom(...alphabet), (n, at, c) => {
      const text = spec(n);
      const i = at % text.length;
      assertSameValues(text.slice(0, i) + c + text.slice(i + 1));
    }),
    { numRuns: 100 },
  );
});

test('a block with every live feature (dead ReLU, softmax → cross-entropy, loss lens) is the same', () => {
  // A block with a softmax → cross-entropy pair, a dead ReLU and a loss: every live feature.
  const text = [
    'input X = [[1.0, -2.0], [0.5, -1.0], [2.0, -0.5]]',
    'param W = [[1.0, -1.0, 0.5], [1.0, 1.0, -0.5]]',
    'target y = [0, 1, 2]',
    'Z = X @ W',
    'H = relu(Z)',
    'P = softmax(H)',
    'loss L = cross_entropy(P, y)',
    '',
  ].join('\n');
  assertSameValues(text);
  const live = blockInsights(
    { text, origin: { line: 0, column: 0 }, index: 0, lensLine: 0 },
    'model',
    defaultLiveSettings,
  );
  const codes = live.diagnostics.map((d) => d.code);
  assert.ok(codes.includes('dead-relu') && codes.includes('softmax-cross-entropy'), `${codes}`);
  assert.equal(live.lens.loss?.name, 'L');
  assert.equal(live.hovers.length, 7);
});
