/**
 * The fuzzer in CI: 100,000 inputs (grammar-shaped programs, well-typed networks, token soups,
 * character/token and byte-level mutations of the samples) through every layer of the product
 * (driver.ts), split over two worker threads. Every 128th input goes through every layer (the
 * gradient check, all renderers and exports, Check Gradients, Insert Derivation, the Markdown
 * preview, Train), every 32nd through the live ones (insights, explain, text), the rest — most
 * of them, and the cheapest — through the parser and evaluator.
 *
 * Fixed seed, so CI is reproducible: FUZZ_SEED=<n> explores other inputs, FUZZ_INPUTS=<n> sets
 * the count. A failure prints the seed and the input; `npm run soak -- --seed <n>` writes it
 * to test/fuzz/regressions/, which the last test replays.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sampleFiles } from './arbitraries';
import { drive } from './driver';
import {
  DEFAULT_SEED,
  GOAL_MS,
  fuzzParallel,
  readRegression,
  regressionsDir,
  summary,
} from './run';
import { parseSource } from '../../src/spec/index';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : DEFAULT_SEED;
const INPUTS = process.env.FUZZ_INPUTS ? Number(process.env.FUZZ_INPUTS) : 100_000;

describe('fuzzing every layer', () => {
  test(`${INPUTS.toLocaleString('en-US')} inputs, seed ${SEED}`, async (t) => {
    const tally = await fuzzParallel(SEED, INPUTS, { lanes: 2 });
    for (const line of summary(tally, SEED)) t.diagnostic(line);
    for (const s of tally.slow) t.diagnostic(`over ${GOAL_MS} ms: #${s.index} ${s.detail}`);
    const shown = tally.failures
      .slice(0, 5)
      .map(
        (f) =>
          `#${f.index} (${f.family}, ${f.kind}) [${f.layer}] ${f.detail}\n  input: ${JSON.stringify(f.text.slice(0, 1500))}`,
      );
    assert.equal(
      tally.failures.length,
      0,
      `${tally.failures.length} of ${tally.inputs} inputs failed (seed ${SEED}: replay with ` +
        `FUZZ_SEED=${SEED} node scripts/test.mjs test/fuzz/fuzz.test.ts, or ` +
        `npm run soak -- --seed ${SEED} --inputs ${INPUTS} to write them to test/fuzz/regressions/):\n` +
        shown.join('\n'),
    );
    assert.equal(tally.inputs, INPUTS);
    // The generators must keep reaching the deep layers, or the run tests only the parser.
    const deep = tally.outcomes.explained + tally.outcomes.rendered;
    assert.ok(
      deep >= INPUTS / 100,
      `only ${deep} inputs were explained (${JSON.stringify(tally.outcomes)})`,
    );
    assert.ok((tally.layers['export pytorch'] ?? 0) > 0 && (tally.layers.derivation ?? 0) > 0);
  });

  test('every input kept in test/fuzz/regressions/ goes through every layer', (t) => {
    let files: string[] = [];
    try {
      files = readdirSync(regressionsDir).filter((f) => f.endsWith('.txt'));
    } catch {
      // no regressions kept yet
    }
    for (const file of files.sort()) {
      const { text, kind } = readRegression(readFileSync(join(regressionsDir, file), 'utf8'));
      const r = drive(text, kind, 'full');
      t.diagnostic(`${file}: ${r.outcome} in ${r.ms.toFixed(0)} ms`);
    }
    t.diagnostic(`${files.length} regression inputs replayed`);
  });

  // Found by the fuzzer: the error ran over the '\r' of a CRLF, past the end of the line.
  test("an unclosed string's error ends where its line does, CRLF or not", () => {
    for (const [text, end] of [
      ["x = 'ab\r\ny = 1", 7],
      ["x = 'ab\ny = 1", 7],
      ['x = """ab\r', 9],
      ["x = '\r\n", 5],
    ] as const) {
      const [block] = parseSource(text, 'model');
      const e = block.errors.find((x) => x.code === 'literal');
      assert.ok(e, JSON.stringify(text));
      assert.deepEqual(e.range.end, { line: 0, column: end }, JSON.stringify(text));
    }
  });

  test('the unmutated samples go through every layer without spec errors', () => {
    assert.ok(sampleFiles.length >= 5);
    for (const f of sampleFiles) {
      const blocks = parseSource(f.text, f.kind);
      assert.ok(blocks.length > 0, f.name);
      for (const b of blocks) assert.deepEqual(b.errors, [], f.name);
      const r = drive(f.text, f.kind, 'full');
      assert.equal(r.outcome, 'rendered', f.name);
    }
  });
});
