/**
 * The questions the extension asks the engine worker about a document while it is edited, and
 * their answers — plain data, so they cross `postMessage` unchanged. The worker keeps one
 * InsightsCache for its lifetime and answers with `answerInsights`.
 *
 * The whole document's text is sent each time (cheap to copy); the cache decides which blocks
 * need evaluating.
 */
import type { InsightsCache } from './cache';
import { referToHeld } from './delta';
import type {
  BlockCheck,
  BlockInsights,
  BlockReference,
  CheckSettings,
  LiveSettings,
  SourceKind,
} from './types';

interface DocumentText {
  /** The document's whole text (or a selection's). */
  readonly text: string;
  readonly kind: SourceKind;
  /** Where `text` starts in its document, 0-based. */
  readonly origin: { readonly line: number; readonly column: number };
}

/** Live insights of every block: previews, hovers, diagnostics, CodeLens. */
export interface InsightsQuery extends DocumentText {
  readonly type: 'insights';
  readonly settings: LiveSettings;
  /** Ids of the blocks the asker holds: the answer refers to those instead of repeating them. */
  readonly have?: readonly number[];
}

/** Check Gradients on some blocks (all when `blocks` is null). */
export interface CheckQuery extends DocumentText {
  readonly type: 'check';
  readonly settings: CheckSettings;
  readonly blocks: readonly number[] | null;
}

export type InsightsQueryMessage = InsightsQuery | CheckQuery;

export interface InsightsAnswer {
  readonly type: 'insights';
  /** Every block of the document, in order; those the asker holds as references (delta.ts). */
  readonly blocks: readonly (BlockInsights | BlockReference)[];
  /** Indices of the blocks evaluated for this answer; the rest were cached. */
  readonly evaluated: readonly number[];
  /** Milliseconds the worker spent, parse to answer. */
  readonly elapsedMs: number;
}

export interface CheckAnswer {
  readonly type: 'check';
  readonly blocks: readonly BlockCheck[];
  readonly elapsedMs: number;
}

export type InsightsAnswerMessage = InsightsAnswer | CheckAnswer;

export function answerInsights(
  cache: InsightsCache,
  query: InsightsQuery | CheckQuery,
): InsightsAnswerMessage {
  const started = performance.now();
  if (query.type === 'insights') {
    const result = cache.insights(query.text, query.kind, query.settings, query.origin);
    const blocks = query.have ? referToHeld(result.blocks, new Set(query.have)) : result.blocks;
    return {
      type: 'insights',
      blocks,
      evaluated: result.evaluated,
      elapsedMs: performance.now() - started,
    };
  }
  const blocks = cache.check(query.text, query.kind, query.settings, query.blocks, query.origin);
  return { type: 'check', blocks, elapsedMs: performance.now() - started };
}
