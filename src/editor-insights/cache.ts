/**
 * The insights of a whole document, re-evaluating only the blocks whose text changed.
 *
 * A document splits into blocks (every ```model fence of a note; a `.model`, `.py` file or
 * snippet is one block). Each block's result is cached under its text, the document kind, its
 * start column and the settings — not its line — so typing in one block of a 50-block note
 * evaluates that block alone, and lines added above a block only move its results down.
 *
 * One exception: spec error messages may name lines (`used before it is defined (on line 7)`),
 * so a block with errors that moved is evaluated again rather than shifted.
 *
 * The cache is bounded (least recently used entries go first) and shared by every document the
 * worker sees: two notes with the same block share its entry.
 */
import { limitsFor } from '../spec/index';
import type { SourcePosition } from '../spec/model';
import { findModelFences, wholeText } from '../spec/sources';
import { type BlockText, blockCheck, blockInsights } from './block';
import { shiftCheck, shiftInsights } from './delta';
import type {
  BlockCheck,
  BlockInsights,
  CheckSettings,
  InsightDiagnostic,
  LiveSettings,
  SourceKind,
} from './types';

export interface InsightsResult {
  /** Every block of the document, in order, in the document's coordinates. */
  readonly blocks: readonly BlockInsights[];
  /** Indices of the blocks evaluated for this call (the others came from the cache). */
  readonly evaluated: readonly number[];
}

interface Entry<T> {
  /** The line the block started at when evaluated. */
  readonly line: number;
  readonly value: T;
  /** True when the value's messages may name lines (spec errors): not shifted, re-evaluated. */
  readonly pinned: boolean;
}

export class InsightsCache {
  private readonly entries = new Map<string, Entry<BlockInsights | BlockCheck>>();

  /** The last `BlockInsights.id` given. */
  private ids = 0;

  /** Blocks evaluated (live) and checked so far: the work done, for tests and logs. */
  evaluations = 0;
  checks = 0;

  constructor(private readonly capacity = 512) {}

  /** Live insights of every block of `text`. */
  insights(
    text: string,
    kind: SourceKind,
    settings: LiveSettings,
    origin: SourcePosition = { line: 0, column: 0 },
  ): InsightsResult {
    const evaluated: number[] = [];
    // The process's spec limits too (the extension's settings, spec/index.ts): a changed limit
    // changes the answer.
    const settingsKey = JSON.stringify([settings, limitsFor()]);
    const blocks = splitBlocks(text, kind, origin).map((block) => {
      const key = `live\0${kind}\0${block.origin.column}\0${block.lensLine - block.origin.line}\0${settingsKey}\0${block.text}`;
      const cached = this.lookup(key, block, shiftInsights);
      if (cached) return cached;
      evaluated.push(block.index);
      this.evaluations++;
      const value: BlockInsights = { ...blockInsights(block, kind, settings), id: ++this.ids };
      this.store(key, block, value, value.diagnostics.some(isSpecError));
      return value;
    });
    return { blocks, evaluated };
  }

  /** Check Gradients on the blocks of `text` listed in `which` (all of them when null). */
  check(
    text: string,
    kind: SourceKind,
    settings: CheckSettings,
    which: readonly number[] | null = null,
    origin: SourcePosition = { line: 0, column: 0 },
  ): BlockCheck[] {
    // The process's spec limits too (the extension's settings, spec/index.ts): a changed limit
    // changes the answer.
    const settingsKey = JSON.stringify([settings, limitsFor()]);
    return splitBlocks(text, kind, origin)
      .filter((block) => which === null || which.includes(block.index))
      .map((block) => {
        const key = `check\0${kind}\0${block.origin.column}\0${settingsKey}\0${block.text}`;
        const cached = this.lookup(key, block, shiftCheck);
        if (cached) return cached;
        this.checks++;
        const value = blockCheck(block, kind, settings);
        this.store(key, block, value, false);
        return value;
      });
  }

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  private lookup<T extends BlockInsights | BlockCheck>(
    key: string,
    block: BlockText,
    shift: (value: T, delta: number) => T,
  ): T | null {
    const entry = this.entries.get(key) as Entry<T> | undefined;
    if (!entry) return null;
    const delta = block.origin.line - entry.line;
    if (delta !== 0 && entry.pinned) return null;
    // Refresh its place in the LRU order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    const value = delta === 0 ? entry.value : shift(entry.value, delta);
    return { ...value, index: block.index };
  }

  private store(
    key: string,
    block: BlockText,
    value: BlockInsights | BlockCheck,
    pinned: boolean,
  ): void {
    this.entries.delete(key);
    this.entries.set(key, { line: block.origin.line, value, pinned });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}

/** Spec errors come from the evaluator; the rest of the diagnostics are this layer's own. */
const ownCodes = new Set(['dead-relu', 'softmax-cross-entropy', 'live-limit', 'engine']);
function isSpecError(d: InsightDiagnostic): boolean {
  return !ownCodes.has(d.code);
}

/** The blocks of a document, each with where it starts and where its CodeLens goes. */
export function splitBlocks(
  text: string,
  kind: SourceKind,
  origin: SourcePosition = { line: 0, column: 0 },
): BlockText[] {
  if (kind !== 'markdown') {
    const raw = wholeText(text, origin);
    return [{ text: raw.text, origin: raw.origin, index: 0, lensLine: origin.line }];
  }
  return findModelFences(text).map((raw, index) => ({
    text: raw.text,
    origin: raw.origin,
    index,
    // The opening fence is the line before the content, except for a block that is empty
    // because the note ends right after its fence (its content starts at the fence's end).
    lensLine: raw.origin.column > 0 ? raw.origin.line : raw.origin.line - 1,
  }));
}
