/**
 * The fuzz driver: one text and its kind through every layer that reads a note, as the product
 * runs them — spec (parser + evaluator), explainer (with a small gradient check), renderers (text,
 * Markdown, JSON, PyTorch and NumPy export), the editor insights (live previews, hovers,
 * diagnostics, CodeLens, Check Gradients) and the notes features that take a block (Insert
 * Derivation, the Markdown preview, Train's plan and a two-step run).
 *
 * Per input it asserts:
 * - no exception escapes a layer, except the documented refusals (ExplainError for a `wrt` the
 *   block does not have, ExportError, TrainError), which are answers, not crashes;
 * - what the explainer and the insights hand on is plain JSON (no undefined, no class instance);
 * - every range and position a layer reports lies inside the text, in the coordinates the API
 *   documents: `range`s 0-based line/column (VS Code's; a line is what `\n` separates, without a
 *   trailing `\r`), `line`/`column`/`endLine`/`endColumn` 1-based, and start ≤ end;
 * - the whole input takes under `maxInputMs` (a hang must fail, not stall the run).
 *
 * Sizes: the layers the fuzzer sets a limit on evaluate under `maxElements`. Check Gradients,
 * Insert Derivation and Train always use the spec's full limit (10,000,000 values, explicit
 * commands run in the worker under its time limit), so they run only on inputs that stay under
 * `maxElements` — otherwise a mutation such as `randn(2000, 3000)` would time the machine, not
 * the code.
 */
import { performance } from 'node:perf_hooks';
import { ExplainError } from '../../src/explain/build';
import type { Explanation, SourceExplanation } from '../../src/explain/explanation';
import { explainBlocks } from '../../src/explain/source';
import {
  InsightsCache,
  answerInsights,
  defaultCheckSettings,
  defaultLiveSettings,
  hoverAt,
  isReference,
  type BlockInsights,
} from '../../src/editor-insights/index';
import { derivationFor } from '../../src/notes/derivation';
import { blockMarkdown } from '../../src/notes/markdown-preview';
import { TrainError, trainBlock, trainingPlan } from '../../src/notes/train';
import { ExportError } from '../../src/render/export-common';
import { exportNumPy } from '../../src/render/export-numpy';
import { exportPyTorch } from '../../src/render/export-pytorch';
import { renderJson, renderMarkdown, renderText } from '../../src/render/index';
import { type SourceKind, parseSource } from '../../src/spec/index';
import type { ModelBlock, SourceRange } from '../../src/spec/model';

export type { SourceKind };
export const KINDS: readonly SourceKind[] = ['markdown', 'model', 'python', 'snippet'];

export interface DriveLimits {
  /** The largest tensor the fuzzed layers may create (default 1,024 values). */
  readonly maxElements: number;
  /** Elements per tensor the gradient check looks at (default 8). */
  readonly checkElements: number;
  /**
   * The time beyond which an input is a hang and fails at once, all layers together (default
   * 10 s: ten times the 1 s goal, which run.ts measures, so a loaded machine does not fail it).
   */
  readonly maxInputMs: number;
}

export const defaultLimits: DriveLimits = {
  maxElements: 1024,
  checkElements: 8,
  maxInputMs: Number(process.env.FUZZ_HANG_MS ?? 10_000),
};

/** How far an input got. Each outcome includes the ones before it. */
export type Outcome = 'no-block' | 'errors-only' | 'evaluated' | 'explained' | 'rendered';
export const OUTCOMES: readonly Outcome[] = [
  'no-block',
  'errors-only',
  'evaluated',
  'explained',
  'rendered',
];

export interface DriveResult {
  readonly outcome: Outcome;
  /** Milliseconds the whole input took. */
  readonly ms: number;
  /** Layers that produced a result (not a refusal) for this input, by name. */
  readonly layers: readonly string[];
  /** Milliseconds per layer. */
  readonly times: Readonly<Record<string, number>>;
}

/** A failure of one input: the layer, what went wrong, and the input itself to replay. */
export class FuzzFailure extends Error {
  override name = 'FuzzFailure';
  constructor(
    readonly layer: string,
    readonly detail: string,
    readonly text: string,
    readonly kind: SourceKind,
  ) {
    super(`[${layer}] ${detail}\n  kind: ${kind}\n  input: ${JSON.stringify(text.slice(0, 2000))}`);
  }
}

/** Line lengths of `text` as VS Code counts them: split on `\n`, a trailing `\r` not counted. */
function lineLengths(text: string): number[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.length - 1 : l.length));
}

class Checker {
  readonly lines: number[];
  layer = 'spec';
  /** Milliseconds per layer, this input. */
  readonly times: Record<string, number> = {};
  constructor(
    readonly text: string,
    readonly kind: SourceKind,
  ) {
    this.lines = lineLengths(text);
  }

  fail(detail: string): never {
    throw new FuzzFailure(this.layer, detail, this.text, this.kind);
  }

  /** 0-based, VS Code's coordinates. */
  position(line: unknown, column: unknown, what: string): void {
    if (
      typeof line !== 'number' ||
      typeof column !== 'number' ||
      !Number.isInteger(line) ||
      !Number.isInteger(column) ||
      line < 0 ||
      line >= this.lines.length ||
      column < 0 ||
      column > this.lines[line]
    ) {
      this.fail(`${what}: position ${line}:${column} is outside the text`);
    }
  }

  range(r: SourceRange, what: string): void {
    if (!r || !r.start || !r.end) this.fail(`${what}: not a range: ${JSON.stringify(r)}`);
    this.position(r.start.line, r.start.column, `${what} start`);
    this.position(r.end.line, r.end.column, `${what} end`);
    const ordered =
      r.start.line < r.end.line || (r.start.line === r.end.line && r.start.column <= r.end.column);
    if (!ordered) this.fail(`${what}: range ${JSON.stringify(r)} ends before it starts`);
  }

  /** A 0-based line (a CodeLens, a preview's end of line). */
  line(line: unknown, what: string): void {
    if (
      typeof line !== 'number' ||
      !Number.isInteger(line) ||
      line < 0 ||
      line >= this.lines.length
    ) {
      this.fail(`${what}: line ${String(line)} is outside the text (${this.lines.length} lines)`);
    }
  }

  /**
   * Every range, and every 1-based line/column quadruple, anywhere in a JSON-like value: what a
   * layer hands on is checked whatever its record type. Also that the value is plain JSON, as
   * the Explanation and the insights promise (they cross postMessage): no undefined, no class
   * instances. Arrays of numbers (tensor values) are skipped whole.
   */
  walk(value: unknown, path: string): void {
    if (value === undefined) this.fail(`${path} is undefined (the records are plain JSON)`);
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      if (value.length === 0 || typeof value[0] === 'number') return;
      value.forEach((v, i) => this.walk(v, `${path}[${i}]`));
      return;
    }
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto !== Object.prototype && proto !== null) {
      this.fail(
        `${path} is a ${proto.constructor.name}, not a plain object (the records are plain JSON)`,
      );
    }
    const o = value as Record<string, unknown>;
    for (const [key, v] of Object.entries(o)) {
      if ((key === 'range' || key === 'nameRange') && v !== null && typeof v === 'object') {
        this.range(v as SourceRange, `${path}.${key}`);
      } else {
        this.walk(v, `${path}.${key}`);
      }
    }
    if (
      typeof o.line === 'number' &&
      typeof o.column === 'number' &&
      typeof o.endLine === 'number' &&
      typeof o.endColumn === 'number'
    ) {
      // 1-based: the same checks on the 0-based numbers, and they must agree with `range`.
      this.range(
        {
          start: { line: o.line - 1, column: o.column - 1 },
          end: { line: o.endLine - 1, column: o.endColumn - 1 },
        },
        `${path} (1-based)`,
      );
      const r = o.range as SourceRange | undefined;
      if (r && (r.start.line + 1 !== o.line || r.start.column + 1 !== o.column)) {
        this.fail(
          `${path}: 1-based ${o.line}:${o.column} disagrees with range ${JSON.stringify(r)}`,
        );
      }
    }
  }

  /** Runs one layer: an exception other than the allowed refusals is a failure of that layer. */
  run<T>(
    layer: string,
    f: () => T,
    refusals: readonly (new (...a: never[]) => Error)[] = [],
  ): T | null {
    this.layer = layer;
    const t0 = performance.now();
    try {
      return f();
    } catch (err) {
      if (err instanceof FuzzFailure) throw err;
      if (refusals.some((r) => err instanceof r)) return null;
      const e = err as Error;
      return this.fail(
        `threw ${e?.name ?? typeof err}: ${e?.message ?? String(err)}\n${e?.stack ?? ''}`,
      );
    } finally {
      this.times[layer] = (this.times[layer] ?? 0) + performance.now() - t0;
    }
  }
}

function checkBlocks(c: Checker, blocks: readonly ModelBlock[]): void {
  for (const b of blocks) {
    c.range(b.range, `block ${b.index}`);
    for (const e of b.errors) {
      if (!(typeof e.message === 'string' && e.message.length > 0 && e.code.length > 0)) {
        c.fail(`an error without message or code: ${JSON.stringify(e)}`);
      }
      c.range(e.range, `error '${e.message}'`);
    }
    for (const s of b.statements) {
      c.range(s.range, `statement ${s.name}`);
      c.range(s.nameRange, `name of ${s.name}`);
      if (b.graph.nodes[s.node.id] !== s.node)
        c.fail(`statement ${s.name}'s node is not in the graph`);
    }
    b.graph.nodes.forEach((n, i) => {
      if (n.id !== i) c.fail(`graph node ${i} has id ${n.id}`);
    });
  }
}

/**
 * How many layers an input goes through. `spec`: parser and evaluator. `live`: that, and what
 * the editor runs on every keystroke — the insights (previews, hovers, diagnostics, CodeLens,
 * each block explained without the check) and the text rendering. `full`: every layer, the
 * gradient check, all renderers and exports, Check Gradients and the notes features included.
 */
export type Depth = 'spec' | 'live' | 'full';

/**
 * Drives `text` through the layers `depth` says. Throws FuzzFailure (with the layer and the
 * input) on the first problem; otherwise says how far the input got.
 */
export function drive(
  text: string,
  kind: SourceKind,
  depth: Depth = 'full',
  limits: DriveLimits = defaultLimits,
): DriveResult {
  const t0 = performance.now();
  const c = new Checker(text, kind);
  const layers: string[] = [];
  const done = (outcome: Outcome): DriveResult => {
    const ms = performance.now() - t0;
    if (ms > limits.maxInputMs) {
      c.layer = 'time';
      const slow = Object.entries(c.times)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v.toFixed(0)} ms`)
        .join(', ');
      c.fail(`took ${ms.toFixed(0)} ms (limit ${limits.maxInputMs} ms): ${slow}`);
    }
    return { outcome, ms, layers, times: c.times };
  };

  // --- spec: parser + evaluator
  const blocks = c.run('spec', () => parseSource(text, kind, { maxElements: limits.maxElements }))!;
  checkBlocks(c, blocks);
  layers.push('spec');
  const evaluated = blocks.some((b) => b.statements.length > 0);
  const specOutcome: Outcome =
    blocks.length === 0 ? 'no-block' : evaluated ? 'evaluated' : 'errors-only';
  if (depth === 'spec') return done(specOutcome);

  // --- live: the editor's insights, every block explained as the editor does, as text
  const small = !blocks.some((b) => b.errors.some((e) => e.code === 'limit'));
  insights(c, limits, layers, depth === 'full' && small);
  if (kind !== 'markdown') selection(c, limits, layers);
  if (blocks.length === 0) return done('no-block');
  const full = depth === 'full';
  const source = c.run('explain', () =>
    explainBlocks(blocks, kind, {
      gradientCheck: full ? { maxElementsPerTensor: limits.checkElements } : false,
      maxJacobianEntries: full ? 64 : 0,
      maxPaths: full ? 4 : 1,
    }),
  )!;
  c.walk(source, 'explanation');
  layers.push('explain');
  const explained = source.blocks.some((e) => e.root !== null);
  const text_ = c.run('render text', () =>
    renderText(source, { digits: 4, maxRows: 4, maxCols: 4 }),
  )!;
  if (typeof text_ !== 'string') c.fail('renderText gave no string');
  if (!full) return done(explained ? 'explained' : specOutcome);

  // --- full: a focus, the other renderers, the exports, the notes features
  // With `wrt` naming the last statement: the focus path (an unknown or gradient-less name is a
  // refusal, ExplainError).
  const wrt = blocks.flatMap((b) => b.statements.map((s) => s.name)).at(-1);
  if (wrt !== undefined) {
    const focused = c.run(
      'explain wrt',
      () =>
        explainBlocks(blocks, kind, {
          wrt,
          gradientCheck: false,
          maxJacobianEntries: 16,
          maxPaths: 2,
        }),
      [ExplainError],
    );
    if (focused) c.walk(focused, 'explanation(wrt)');
  }
  render(c, source, layers);
  exports(c, text, blocks, layers);
  notes(c, blocks, source, small, layers);
  return done(explained ? 'rendered' : specOutcome);
}

/**
 * The text as a selection (Explain on selected lines): inside a document, starting at line 2,
 * column 5. Every range must then lie in the document, at or after the selection's start.
 */
function selection(c: Checker, limits: DriveLimits, layers: string[]): void {
  const origin = { line: 2, column: 5 };
  const doc = new Checker(`\n\n     ${c.text}`, c.kind);
  doc.layer = 'selection';
  const before = (r: SourceRange, what: string): void => {
    const p = r.start;
    if (p.line < origin.line || (p.line === origin.line && p.column < origin.column)) {
      doc.fail(
        `${what}: ${JSON.stringify(r)} starts before the selection (${JSON.stringify(origin)})`,
      );
    }
  };
  const blocks = c.run('selection', () =>
    parseSource(c.text, c.kind, { origin, maxElements: limits.maxElements }),
  )!;
  try {
    checkBlocks(doc, blocks);
    for (const b of blocks) {
      before(b.range, 'block');
      for (const e of b.errors) before(e.range, `error '${e.message}'`);
    }
    const settings = { ...defaultLiveSettings, maxElements: limits.maxElements };
    const answer = c.run('selection insights', () =>
      answerInsights(new InsightsCache(), {
        type: 'insights',
        text: c.text,
        kind: c.kind,
        origin,
        settings,
      }),
    )!;
    doc.walk(answer, 'selection insights');
  } catch (err) {
    // Report it as this input's failure (the document is the text shifted by the origin).
    if (err instanceof FuzzFailure)
      c.fail(`as a selection at ${JSON.stringify(origin)}: ${err.detail}`);
    throw err;
  }
  layers.push('selection');
}

function render(c: Checker, source: SourceExplanation, layers: string[]): void {
  const md = c.run('render markdown', () => renderMarkdown(source, { maxRows: 4, maxCols: 4 }))!;
  if (typeof md !== 'string') c.fail('renderMarkdown gave no string');
  const json = c.run('render json', () => renderJson(source))!;
  c.run('render json', () => JSON.parse(json) as unknown);
  layers.push('render');
}

function exports(c: Checker, text: string, blocks: readonly ModelBlock[], layers: string[]): void {
  for (const block of blocks) {
    for (const [name, f] of [
      ['export pytorch', exportPyTorch],
      ['export numpy', exportNumPy],
    ] as const) {
      const program = c.run(name, () => f(block, { text, source: 'fuzz' }), [ExportError]);
      if (program !== null) {
        if (typeof program !== 'string' || program.length === 0) c.fail('an empty program');
        layers.push(name);
      } else {
        // A refusal names a line inside the text, if any.
        c.layer = name;
        try {
          f(block, { text, source: 'fuzz' });
        } catch (err) {
          const line = (err as ExportError).line;
          if (line !== null) c.line(line, 'ExportError.line');
        }
      }
    }
  }
}

/** Live insights twice (the second answered from the cache), then Check Gradients when `check`. */
function insights(c: Checker, limits: DriveLimits, layers: string[], check: boolean): void {
  const cache = new InsightsCache();
  const settings = {
    ...defaultLiveSettings,
    previewStatements: 'all' as const,
    maxElements: limits.maxElements,
  };
  const origin = { line: 0, column: 0 };
  const answer = c.run('insights', () =>
    answerInsights(cache, { type: 'insights', text: c.text, kind: c.kind, origin, settings }),
  )!;
  if (answer.type !== 'insights') c.fail('an insights query answered as a check');
  const blocks = answer.blocks.filter((b) => !isReference(b)) as BlockInsights[];
  c.walk(blocks, 'insights');
  for (const b of blocks) {
    c.line(b.lens.line, `block ${b.index} lens`);
    for (const p of b.previews) c.line(p.line, `preview of ${p.name}`);
    for (const h of b.hovers) {
      if (hoverAt(blocks, h.range.start.line, h.name) === null)
        c.fail(`no hover for ${h.name} at its own line`);
    }
  }
  // The same document again: everything from the cache, nothing evaluated twice.
  const again = c.run('insights (cached)', () =>
    answerInsights(cache, {
      type: 'insights',
      text: c.text,
      kind: c.kind,
      origin,
      settings,
      have: blocks.map((b) => b.id),
    }),
  )!;
  if (again.type === 'insights' && again.evaluated.length > 0) {
    c.fail(`the unchanged document evaluated blocks ${again.evaluated.join(', ')} again`);
  }
  layers.push('insights');
  if (!check) return;
  const checked = c.run('check gradients', () =>
    answerInsights(cache, {
      type: 'check',
      text: c.text,
      kind: c.kind,
      origin,
      settings: defaultCheckSettings,
      blocks: null,
    }),
  )!;
  c.walk(checked, 'check');
  layers.push('check gradients');
}

function notes(
  c: Checker,
  blocks: readonly ModelBlock[],
  source: SourceExplanation,
  small: boolean,
  layers: string[],
): void {
  // The Markdown preview takes each fence's content and info.
  if (c.kind === 'markdown') {
    const lines = c.text.split('\n');
    for (const b of blocks) {
      const content = lines.slice(b.range.start.line, b.range.end.line + 1).join('\n');
      const md = c.run('markdown preview', () => blockMarkdown(content, b.info ?? ''))!;
      if (typeof md !== 'string') c.fail('blockMarkdown gave no string');
    }
    layers.push('markdown preview');
  }
  if (!small) return;
  const lineCount = c.lines.length;
  source.blocks.forEach((e: Explanation, blockIndex) => {
    if (e.root === null) return;
    const answer = c.run(
      'derivation',
      () => derivationFor({ text: c.text, kind: c.kind, blockIndex, wrt: null, numbers: true }),
      [ExplainError],
    );
    if (answer) {
      if (!(answer.line >= 0 && answer.line <= lineCount)) {
        c.fail(`derivation goes at line ${answer.line} of ${lineCount}`);
      }
      layers.push('derivation');
    }
    const plan = c.run('train plan', () => trainingPlan(c.text, c.kind, blockIndex), [TrainError]);
    if (plan) {
      const result = c.run(
        'train',
        () => trainBlock({ text: c.text, kind: c.kind, blockIndex, learningRate: 0.01, steps: 2 }),
        [TrainError],
      );
      if (result) {
        for (const edit of result.edits)
          c.range(edit.range, `train edit of ${edit.text.slice(0, 20)}`);
        layers.push('train');
      }
    }
  });
}
