/**
 * The limits on what one model block may ask for, and the `limit` errors that name them.
 *
 * A note is evaluated on every pause in typing, so a spec must never be able to allocate
 * gigabytes, run for minutes, or overflow the stack. Each limit is checked from shapes and
 * token counts alone, before the memory or the work it guards is spent:
 *
 * - `maxElements`: the values in any one tensor (creating it, or an op's result).
 * - `maxTotalElements`: the values of all the tensors a block's forward pass creates together
 *   (every one is kept: backward needs them), so many large tensors cannot add up to gigabytes.
 * - `maxMultiplyAdds`: the multiply–adds of all the matrix products of a block's forward pass
 *   together (the "long chain of matmuls" limit; backward costs about twice as much again).
 * - `maxNesting`: how deeply a formula may nest — brackets, signs and chained operators inside
 *   one expression, and statements each computed from the one before. The parser, the evaluator
 *   and the explainer recurse that deep, so this also keeps them off the stack's end.
 *
 * How the user raises a limit depends on where the spec runs (a setting in VS Code, a flag in
 * the CLI), so callers pass `limitHints`; the message then reads "… over the limit of 10,000,000
 * (setting backpropNotes.limits.maxElements) — use smaller sizes, or raise the limit".
 */
import { SpecFailure } from './errors';
import type { SourceRange } from './model';

export interface SpecLimits {
  /** The largest tensor a spec may create, in values. */
  readonly maxElements: number;
  /** The values of all the tensors a block creates, together. */
  readonly maxTotalElements: number;
  /** Multiply–adds of a block's matrix products, all together (forward pass). */
  readonly maxMultiplyAdds: number;
  /** How deeply a formula may nest (inside an expression, and through a chain of statements). */
  readonly maxNesting: number;
}

export type LimitName = keyof SpecLimits;

/**
 * How the user raises each limit, written into the message after the limit, e.g.
 * `setting backpropNotes.limits.maxElements` or `option --max-elements`. A limit without a hint
 * is named by its option (`the maxElements option`).
 */
export type LimitHints = Partial<Readonly<Record<LimitName, string>>>;

/** The limits a caller may set; each one left out takes its default. */
export interface LimitOptions {
  readonly maxElements?: number;
  readonly maxTotalElements?: number;
  readonly maxMultiplyAdds?: number;
  readonly maxNesting?: number;
  readonly limitHints?: LimitHints;
}

/**
 * The defaults, also those of the `backpropNotes.limits.*` settings and the CLI:
 * - 10,000,000 values = 80 MB of float64 for one tensor.
 * - 50,000,000 values = 400 MB for the whole block, five tensors of the largest size: backward
 *   (a gradient per tensor) and the explainer's copies about double it. Typed arrays live
 *   outside V8's heap, so the worker's heap limit would not stop them.
 * - 2,000,000,000 multiply–adds: the float64 kernel does about 1e9 a second (2 GFLOP/s, bench/
 *   RESULTS.md), so the forward pass takes ~2 s and forward plus backward ~6 s: slow but done well
 *   inside the engine's 30 s time limit. The old per-product limit (20 × maxElements = 2e8)
 *   allowed ten such products per block without bound on their number.
 * - 256 levels: no hand-written formula comes near it (a 20-layer network written out is ~60
 *   statements deep), and 256 levels of recursive descent stay far from the stack's end.
 */
export const DEFAULT_LIMITS: SpecLimits = {
  maxElements: 10_000_000,
  maxTotalElements: 50_000_000,
  maxMultiplyAdds: 2_000_000_000,
  maxNesting: 256,
};

/**
 * maxNesting is clamped to this: the parser's recursive descent overflows Node's default stack
 * (~1 MB) somewhere above 800 nested brackets, and the explainer's work grows with the cube of a
 * statement's depth (256 nested calls: ~1 s; 500: ~8 s).
 */
export const MAX_NESTING_CEILING = 500;

/** The hints the CLI prints (its flags). */
export const CLI_LIMIT_HINTS: LimitHints = {
  maxElements: 'option --max-elements',
  maxTotalElements: 'option --max-total-elements',
  maxMultiplyAdds: 'option --max-multiply-adds',
  maxNesting: 'option --max-nesting',
};

export interface ResolvedLimits extends SpecLimits {
  readonly limitHints: LimitHints;
}

/** `options`' limits with the defaults filled in; nonsense (NaN, ≤ 0) falls back to the default. */
export function resolveLimits(options: LimitOptions = {}): ResolvedLimits {
  const pick = (name: LimitName): number => {
    const v = options[name];
    return typeof v === 'number' && v > 0 ? v : DEFAULT_LIMITS[name];
  };
  return {
    maxElements: pick('maxElements'),
    maxTotalElements: pick('maxTotalElements'),
    maxMultiplyAdds: pick('maxMultiplyAdds'),
    maxNesting: Math.min(Math.floor(pick('maxNesting')), MAX_NESTING_CEILING),
    limitHints: options.limitHints ?? {},
  };
}

export function formatCount(n: number): string {
  // Grouped by hand: the first toLocaleString in a process loads ICU's number data (~25 ms),
  // more than a quarter of the 100 ms a refusal may take in a fresh worker.
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

/**
 * The `limit` error: `what` happened (`randn: a tensor of shape 100000×100000 would hold
 * 10,000,000,000 values`), the limit and how to raise it, and `fix` (what to change instead).
 */
export function limitFailure(
  name: LimitName,
  limits: ResolvedLimits,
  what: string,
  fix: string,
  range: SourceRange,
): SpecFailure {
  const hint = limits.limitHints[name] ?? `the ${name} option`;
  return new SpecFailure(
    'limit',
    `${what}, over the limit of ${formatCount(limits[name])} (${hint}) — ${fix}, or raise the limit`,
    range,
  );
}
