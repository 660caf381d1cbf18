/**
 * Every spec of the corpus against PyTorch: the engine's value and gradient of every node must
 * match torch float64's (fixtures made by scripts/fixtures/torch_reference.py from the engine's
 * graph, rebuilt with torch's own ops) to a relative error of 1e-9.
 *
 * Elements whose true value is zero carry only rounding noise, so a pair also passes when the
 * absolute difference is at most 1e-12.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { allOps } from '../../src/engine/ops/index';
import type { Tensor } from '../../src/engine/tensor';
import {
  type CorpusSpec,
  type ReferenceFixture,
  type ReferenceNode,
  corpusSpecs,
  evaluateSpec,
  fixturePath,
  formatErrors,
  regenerateCommand,
  torchDir,
} from './corpus';

const relativeTolerance = 1e-9;
const absoluteFloor = 1e-12;
/** Mismatching elements listed per failure before the rest are only counted. */
const shownMismatches = 12;

function loadFixture(spec: CorpusSpec): ReferenceFixture {
  const path = fixturePath(spec);
  assert.ok(
    existsSync(path),
    `no PyTorch fixture ${path} for ${spec.path}; run: ${regenerateCommand}`,
  );
  return JSON.parse(readFileSync(path, 'utf8')) as ReferenceFixture;
}

/** Lines describing each element of `actual` that differs from `expected` beyond tolerance. */
function mismatches(what: string, actual: Tensor, expected: readonly number[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual.data[i];
    const e = expected[i];
    const diff = Math.abs(a - e);
    const scale = Math.max(Math.abs(a), Math.abs(e));
    if (diff <= absoluteFloor || diff <= relativeTolerance * scale) continue;
    out.push(
      `${what}[${i}]: engine ${a}, torch ${e}, relative error ${(diff / scale).toExponential(2)}`,
    );
  }
  return out;
}

function compareNode(
  label: string,
  engine: { value: Tensor; grad: Tensor | null },
  ref: ReferenceNode,
): string[] {
  const shape = [...engine.value.shape];
  if (shape.join() !== ref.shape.join()) {
    return [
      `${label}: shape ${JSON.stringify(shape)} in the engine, ${JSON.stringify(ref.shape)} in torch`,
    ];
  }
  const problems = mismatches(`${label} value`, engine.value, ref.value);
  if (ref.grad === null && engine.grad !== null) {
    problems.push(`${label}: the engine has a gradient, torch has none`);
  } else if (ref.grad !== null && engine.grad === null) {
    problems.push(`${label}: torch has a gradient, the engine has none`);
  } else if (ref.grad !== null && engine.grad !== null) {
    problems.push(...mismatches(`${label} grad`, engine.grad, ref.grad));
  }
  return problems;
}

const specs = corpusSpecs();

for (const spec of specs) {
  test(`${spec.name}: values and gradients match PyTorch float64`, () => {
    const fixture = loadFixture(spec);
    const blocks = evaluateSpec(spec);
    assert.deepEqual(formatErrors(spec, blocks), [], `${spec.path} has spec errors`);
    assert.equal(
      blocks.length,
      fixture.blocks.length,
      `${spec.path}: ${blocks.length} block(s) now, ${fixture.blocks.length} in the fixture; run: ${regenerateCommand}`,
    );
    const problems: string[] = [];
    for (const refBlock of fixture.blocks) {
      const block = blocks[refBlock.index];
      const nodes = block.graph.nodes;
      // The fixture was made from the engine's graph; a different graph means it is stale.
      const stale =
        nodes.length !== refBlock.nodes.length ||
        block.root?.node.id !== refBlock.root ||
        refBlock.nodes.some((r) => nodes[r.id].op !== r.op || nodes[r.id].name !== r.name);
      assert.ok(
        !stale,
        `${spec.path} block ${refBlock.index}: the engine builds a different graph than the ` +
          `fixture was made from; run: ${regenerateCommand}`,
      );
      for (const ref of refBlock.nodes) {
        const label = `block ${refBlock.index} node ${ref.id} ${ref.name ?? '(unnamed)'} = ${ref.op}`;
        problems.push(...compareNode(label, nodes[ref.id], ref));
      }
    }
    if (problems.length > 0) {
      const shown = problems.slice(0, shownMismatches);
      const more = problems.length - shown.length;
      assert.fail(
        `${spec.path}: ${problems.length} mismatch(es) with PyTorch\n  ` +
          shown.join('\n  ') +
          (more > 0 ? `\n  … and ${more} more` : ''),
      );
    }
  });
}

test('the corpus uses every op the engine has', () => {
  const used = new Set<string>();
  for (const spec of specs) {
    for (const block of evaluateSpec(spec)) for (const n of block.graph.nodes) used.add(n.op);
  }
  const missing = allOps()
    .map((op) => op.name)
    .filter((name) => !used.has(name));
  assert.deepEqual(missing, [], `ops with no spec in ${specs[0]?.path.replace(/\/[^/]*$/, '')}`);
});

test('every fixture belongs to a spec of the corpus', () => {
  const names = new Set(specs.map((s) => s.name));
  const orphans = readdirSync(torchDir)
    .filter((f) => f.endsWith('.json'))
    .filter((f) => !names.has(f.replace(/\.json$/, '')));
  assert.deepEqual(orphans, [], `fixtures in ${torchDir} whose spec is gone: delete them`);
});
