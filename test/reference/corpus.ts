/**
 * The spec corpus that the PyTorch reference fixtures are made from, shared by the exporter
 * (scripts/fixtures/export-graphs.ts) and the test that compares against the fixtures
 * (test/reference/torch.test.ts), so both read the specs the same way.
 *
 * Layout: test/fixtures/specs/NAME.model|NAME.md → test/fixtures/graphs/NAME.json (the engine's
 * graph, the input of torch_reference.py) → test/fixtures/torch/NAME.json (torch's values and
 * gradients).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Node } from '../../src/engine/graph';
import type { ModelBlock } from '../../src/spec/model';
import { parseSource } from '../../src/spec/index';

export const specsDir = 'test/fixtures/specs';
export const graphsDir = 'test/fixtures/graphs';
export const torchDir = 'test/fixtures/torch';

/** How to regenerate the fixtures (also in scripts/fixtures/README.md). */
export const regenerateCommand =
  'npx tsx scripts/fixtures/export-graphs.ts && /usr/bin/python3 scripts/fixtures/torch_reference.py';

export interface CorpusSpec {
  /** The file name without its extension: the fixtures' name. */
  readonly name: string;
  /** Relative to the repository root, with forward slashes. */
  readonly path: string;
}

export function corpusSpecs(): CorpusSpec[] {
  return readdirSync(specsDir)
    .filter((f) => f.endsWith('.model') || f.endsWith('.md'))
    .sort()
    .map((f) => ({ name: basename(f, extname(f)), path: `${specsDir}/${f}` }));
}

/** Parses and evaluates a spec file as the CLI would, then runs backward from each block's root. */
export function evaluateSpec(spec: CorpusSpec): ModelBlock[] {
  const text = readFileSync(spec.path, 'utf8');
  const blocks = parseSource(text, { fileName: spec.path });
  for (const block of blocks) {
    if (block.root) block.graph.backward(block.root.node);
  }
  return blocks;
}

/** A spec error as `path:line:col: message` (1-based), for failure messages. */
export function formatErrors(spec: CorpusSpec, blocks: readonly ModelBlock[]): string[] {
  return blocks.flatMap((b) =>
    b.errors.map(
      (e) => `${spec.path}:${e.range.start.line + 1}:${e.range.start.column + 1}: ${e.message}`,
    ),
  );
}

/** One node of the exported graph: everything torch needs to rebuild it, nothing explained. */
export interface ExportedNode {
  readonly id: number;
  readonly name: string | null;
  readonly op: string;
  readonly inputs: readonly number[];
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly requiresGrad: boolean;
  readonly shape: readonly number[];
  /** Row-major values; for leaves only (torch recomputes every other node). */
  readonly value: readonly number[] | null;
}

export interface ExportedBlock {
  readonly index: number;
  /** Id of the node backward starts from, seeded with ones. */
  readonly root: number;
  readonly nodes: readonly ExportedNode[];
}

export interface ExportedGraph {
  readonly spec: string;
  readonly blocks: readonly ExportedBlock[];
}

function exportNode(node: Node): ExportedNode {
  return {
    id: node.id,
    name: node.name,
    op: node.op,
    inputs: node.inputs.map((n) => n.id),
    attrs: node.attrs,
    requiresGrad: node.requiresGrad,
    shape: [...node.value.shape],
    value: node.op === 'leaf' ? Array.from(node.value.data) : null,
  };
}

export function exportGraph(spec: CorpusSpec, blocks: readonly ModelBlock[]): ExportedGraph {
  return {
    spec: spec.path,
    blocks: blocks.map((b) => {
      if (!b.root) throw new Error(`${spec.path} block ${b.index}: nothing evaluated`);
      return { index: b.index, root: b.root.node.id, nodes: b.graph.nodes.map(exportNode) };
    }),
  };
}

/** What torch_reference.py writes for one node. */
export interface ReferenceNode {
  readonly id: number;
  readonly name: string | null;
  readonly op: string;
  readonly shape: readonly number[];
  readonly value: readonly number[];
  readonly grad: readonly number[] | null;
}

export interface ReferenceFixture {
  readonly spec: string;
  readonly reference: string;
  readonly blocks: readonly { index: number; root: number; nodes: readonly ReferenceNode[] }[];
}

export function fixturePath(spec: CorpusSpec, dir = torchDir): string {
  return join(dir, `${spec.name}.json`);
}
