/**
 * Training a model block with gradient descent (Backprop Notes: Train): N steps of
 * p ← p − lr · ∂L/∂p on every `param` the loss depends on, with the engine's compiled training
 * step (src/engine/train.ts), and the text edits that write the trained values back into the
 * block as literal lists.
 *
 * Boundaries:
 * - The block must have a scalar root (a `loss`); the parameters are its `param` leaves that the
 *   loss depends on. Inputs and targets stay as written.
 * - Settings come from the block (`# train: lr=0.5 steps=200`, or a fence's info string
 *   ```` ```model {lr=0.5 steps=200} ````), else from the caller.
 * - Write-back edits replace each parameter's right-hand side (its initializer, `xavier(2, 4,
 *   seed=3)`) with the trained numbers, written so they read back bit for bit (JavaScript's
 *   shortest round-trip form); everything else in the block is untouched.
 *
 * No vscode, no DOM. Positions are 0-based, in the document's coordinates.
 */
import { compileTrainingStep } from '../engine/train';
import type { Nested } from '../engine/tensor';
import { parseSource } from '../spec/index';
import type { ModelBlock, SourcePosition, SourceRange } from '../spec/model';
import type { SourceKind } from '../spec/sources';

export interface TrainSettings {
  readonly learningRate?: number;
  readonly steps?: number;
}

/** The largest number of steps one run may take (a typo of an extra zero or two still runs). */
export const maxSteps = 1_000_000;

/**
 * `lr=` (or `learning_rate=`) and `steps=` from a `# train:` comment in the block's text, or
 * from the fence's info string. Invalid values (not positive, not finite) are left out.
 */
export function trainSettings(blockText: string, info = ''): TrainSettings {
  const comment = /#\s*train\s*:(.*)$/im.exec(blockText);
  const sources = [info, comment ? comment[1] : ''];
  let learningRate: number | undefined;
  let steps: number | undefined;
  for (const text of sources) {
    const lr = /(?:^|[\s{,])(?:lr|learning_rate)\s*=\s*([0-9.eE+-]+)/.exec(text);
    const st = /(?:^|[\s{,])(?:steps|epochs)\s*=\s*([0-9_]+)/.exec(text);
    const lrValue = lr ? Number(lr[1]) : NaN;
    const stValue = st ? Number(st[1].replace(/_/g, '')) : NaN;
    if (Number.isFinite(lrValue) && lrValue > 0) learningRate ??= lrValue;
    if (Number.isInteger(stValue) && stValue > 0 && stValue <= maxSteps) steps ??= stValue;
  }
  return {
    ...(learningRate !== undefined ? { learningRate } : {}),
    ...(steps !== undefined ? { steps } : {}),
  };
}

export interface TrainRequest {
  readonly text: string;
  readonly kind: SourceKind;
  readonly origin?: SourcePosition;
  readonly blockIndex: number;
  readonly learningRate: number;
  readonly steps: number;
}

export interface TrainedParam {
  readonly name: string;
  readonly shape: readonly number[];
  readonly value: Nested;
}

/** One replacement in the document: `range` (0-based) becomes `text`. */
export interface TextEdit {
  readonly range: SourceRange;
  readonly text: string;
}

export interface TrainProgress {
  /** Steps done. */
  readonly done: number;
  /** The loss before each step done, in order. */
  readonly losses: readonly number[];
}

export interface TrainResult {
  readonly params: readonly TrainedParam[];
  /** The loss before each step. */
  readonly losses: readonly number[];
  /** The loss after the last update. */
  readonly finalLoss: number;
  /** Writes the trained values into the block (one edit per parameter). */
  readonly edits: readonly TextEdit[];
}

/** A block that cannot be trained; the message says why and what to do. */
export class TrainError extends Error {
  override name = 'TrainError';
  constructor(
    message: string,
    /** The 0-based line it is about, if any. */
    readonly line: number | null = null,
  ) {
    super(message);
  }
}

/** The block a request is about, its settings, and what would be trained, without training. */
export function trainingPlan(
  text: string,
  kind: SourceKind,
  blockIndex: number,
  origin?: SourcePosition,
): { block: ModelBlock; settings: TrainSettings; params: string[] } {
  const blocks = parseSource(text, kind, origin ? { origin } : {});
  if (blocks.length === 0) {
    throw new TrainError(
      'There is no model block to train. Write the network in a ```model block with a loss.',
    );
  }
  const block = blocks[Math.min(Math.max(blockIndex, 0), blocks.length - 1)];
  if (block.errors.length > 0) {
    const first = block.errors[0];
    throw new TrainError(
      `The block has an error on line ${first.range.start.line + 1} (${first.message}). Fix it before training.`,
      first.range.start.line,
    );
  }
  const root = block.root;
  if (!root || root.role !== 'loss' || root.node.value.size !== 1) {
    throw new TrainError(
      'Training needs a loss: a statement such as “loss L = mse(p, y)” that gives one number.',
      block.range.start.line,
    );
  }
  const ancestors = new Set(block.graph.ancestors(root.node));
  const params = block.statements.filter(
    (s) => s.role === 'param' && s.node.op === 'leaf' && ancestors.has(s.node),
  );
  if (params.length === 0) {
    throw new TrainError(
      'Nothing to train: mark the weights the loss depends on with param (e.g. “param W1 = randn(2, 3)”).',
      block.range.start.line,
    );
  }
  const blockText = blockLines(text, block, origin);
  return {
    block,
    settings: trainSettings(blockText, block.info ?? ''),
    params: params.map((p) => p.name),
  };
}

/** The block's own lines of `text` (for its `# train:` comment). */
function blockLines(text: string, block: ModelBlock, origin?: SourcePosition): string {
  const first = origin?.line ?? 0;
  return text
    .split('\n')
    .slice(block.range.start.line - first, block.range.end.line - first + 1)
    .join('\n');
}

/**
 * Runs the steps. `onProgress` is called about every `progressMs` milliseconds (and not after
 * the last step); it may throw to stop the run. Throws TrainError for a block that cannot train.
 */
export function trainBlock(
  request: TrainRequest,
  onProgress?: (progress: TrainProgress) => void,
  progressMs = 100,
): TrainResult {
  const { learningRate, steps } = request;
  if (!(Number.isFinite(learningRate) && learningRate > 0)) {
    throw new TrainError(`The learning rate must be a positive number, not ${learningRate}.`);
  }
  if (!(Number.isInteger(steps) && steps > 0 && steps <= maxSteps)) {
    throw new TrainError(
      `The number of steps must be a whole number from 1 to ${maxSteps}, not ${steps}.`,
    );
  }
  const { block } = trainingPlan(request.text, request.kind, request.blockIndex, request.origin);
  const root = block.root!;
  const ancestors = new Set(block.graph.ancestors(root.node));
  const statements = block.statements.filter(
    (s) => s.role === 'param' && s.node.op === 'leaf' && ancestors.has(s.node),
  );
  // A param written twice (redefined) is trained as its last definition, which the graph uses.
  const params = [...new Set(statements.map((s) => s.node))];
  const step = compileTrainingStep(block.graph, root.node, params, { learningRate });
  const losses: number[] = [];
  let last = Date.now();
  for (let i = 0; i < steps; i++) {
    losses.push(step.step());
    if (onProgress && i + 1 < steps && Date.now() - last >= progressMs) {
      last = Date.now();
      onProgress({ done: i + 1, losses });
    }
  }
  const finalLoss = step.computeGradients();
  const trained = params.map((node) => {
    const value = step.value(node);
    return { name: node.name ?? '', shape: [...value.shape], value: value.toNested() };
  });
  const byNode = new Map(params.map((node, i) => [node, trained[i]]));
  const edits: TextEdit[] = [];
  for (const s of statements) {
    // Only the definition the graph uses: an earlier one of the same name is left alone.
    if (block.statements.filter((t) => t.name === s.name).at(-1) !== s) continue;
    const value = byNode.get(s.node)!;
    edits.push(initializerEdit(request.text, s.range, s.nameRange, value.value, request.origin));
  }
  return { params: trained, losses, finalLoss, edits };
}

/**
 * The edit that replaces a statement's right-hand side (from the first character after the `=`
 * that follows the name, to the statement's end) with `value` as a literal.
 */
export function initializerEdit(
  text: string,
  statement: SourceRange,
  name: SourceRange,
  value: Nested,
  origin?: SourcePosition,
): TextEdit {
  const lines = text.split('\n');
  const first = origin?.line ?? 0;
  const local = (p: SourcePosition): { line: number; column: number } => ({
    line: p.line - first,
    column: p.line === first ? p.column - (origin?.column ?? 0) : p.column,
  });
  // From the end of the name, find `=`, then the first non-blank character after it.
  let { line, column } = local(name.end);
  let seenEquals = false;
  for (;;) {
    const row = lines[line] ?? '';
    if (column >= row.length) {
      line++;
      column = 0;
      if (line >= lines.length) break;
      continue;
    }
    const ch = row[column];
    if (!seenEquals) {
      if (ch === '=') seenEquals = true;
    } else if (ch !== ' ' && ch !== '\t' && ch !== '\\') {
      break;
    }
    column++;
  }
  const start = {
    line: line + first,
    column: line === 0 ? column + (origin?.column ?? 0) : column,
  };
  return {
    range: { start, end: statement.end },
    text: literal(value, start.column),
  };
}

/** A number as the spec reads it back exactly. */
export function numberText(x: number): string {
  if (!Number.isFinite(x)) {
    throw new TrainError(
      'Training diverged (a value became NaN or infinite): nothing was written. Lower the learning rate and train again.',
    );
  }
  return Object.is(x, -0) ? '0' : String(x);
}

/**
 * A tensor as a list literal: one line when short, else one row per line aligned under the
 * opening bracket at `column` (newlines inside brackets continue a statement).
 */
export function literal(value: Nested, column = 0): string {
  if (!Array.isArray(value)) return numberText(value);
  const flat = (v: Nested): string =>
    Array.isArray(v) ? `[${v.map(flat).join(', ')}]` : numberText(v);
  const one = flat(value);
  if (one.length + column <= 100 || !value.every(Array.isArray)) return one;
  const pad = ' '.repeat(column + 1);
  return `[${value.map(flat).join(`,\n${pad}`)}]`;
}
