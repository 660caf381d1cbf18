/**
 * NaN and ±∞ through JSON (src/non-finite-wire.ts): what the panel receives is what the
 * engine computed — an ∞ stays ∞, not null and not NaN — and a message of finite numbers is
 * passed through untouched (the same object).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { explainBlock } from '../../src/explain/build';
import { unwrapNonFinite, wrapNonFinite } from '../../src/non-finite-wire';
import { parseSource } from '../../src/spec/index';

const viaJson = (x: unknown): unknown =>
  unwrapNonFinite(JSON.parse(JSON.stringify(wrapNonFinite(x))));

/** JSON-like values with non-finite numbers among them (no −0: JSON has none either). */
const number = fc.oneof(
  fc.double({ noDefaultInfinity: false }).filter((x) => !Object.is(x, -0)),
  fc.constantFrom(NaN, Infinity, -Infinity),
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    number,
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
}));

test('property: wrap → JSON → unwrap gives back the same value, NaN and ±∞ included', () => {
  fc.assert(
    fc.property(value, (x) => {
      assert.deepStrictEqual(viaJson(x), x);
    }),
    { numRuns: 500 },
  );
});

test('finite values are passed through as the same object (nothing copied)', () => {
  fc.assert(
    fc.property(value, (x) => {
      const hasNonFinite = JSON.stringify(x, (_k, v: unknown) =>
        typeof v === 'number' && !Number.isFinite(v) ? '\u0000' : v,
      ).includes('\\u0000');
      if (!hasNonFinite) assert.equal(wrapNonFinite(x), x);
    }),
    { numRuns: 300 },
  );
});

test('an Explanation with exp(1000) keeps its ∞ and NaN values after JSON', () => {
  const [b] = parseSource(
    'param Z = [[1000, 0]]\nZ2 = exp(Z)\nloss L = sum(Z2 / sum(Z2))\n',
    'model',
  );
  const e = explainBlock(b, { detail: 'values' });
  const back = viaJson({ type: 'explanation', explanation: e }) as { explanation: typeof e };
  assert.deepEqual(back.explanation.nodes.find((n) => n.name === 'Z2')?.value, [[Infinity, 1]]);
  assert.ok(Number.isNaN(back.explanation.root?.value));
  assert.deepStrictEqual(back.explanation, e);
  // Without the wrapping, JSON loses them: the reason this exists.
  const plain = JSON.parse(JSON.stringify(e)) as typeof e;
  assert.deepEqual(plain.nodes.find((n) => n.name === 'Z2')?.value, [[null, 1]]);
});
