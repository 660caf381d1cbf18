/** Shared by the editor-insights tests: the samples, and one block's insights by text. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BlockInsights,
  InsightsCache,
  type LiveSettings,
  defaultLiveSettings,
} from '../../src/editor-insights/index';

export const root = join(__dirname, '..', '..');

export function sample(name: string): string {
  return readFileSync(join(root, 'samples', name), 'utf8');
}

/** The insights of a `.model` text (one block), from a fresh cache. */
export function modelInsights(text: string, settings: Partial<LiveSettings> = {}): BlockInsights {
  const result = new InsightsCache().insights(text, 'model', {
    ...defaultLiveSettings,
    ...settings,
  });
  return result.blocks[0];
}

/** The text of `range` in `text` (0-based lines and columns). */
export function textAt(
  text: string,
  range: {
    start: { line: number; column: number };
    end: { line: number; column: number };
  },
): string {
  const lines = text.split('\n');
  if (range.start.line === range.end.line) {
    return lines[range.start.line].slice(range.start.column, range.end.column);
  }
  return [
    lines[range.start.line].slice(range.start.column),
    ...lines.slice(range.start.line + 1, range.end.line),
    lines[range.end.line].slice(0, range.end.column),
  ].join('\n');
}

/** `text` with `range` replaced by `replacement`. */
export function replaceRange(
  text: string,
  range: {
    start: { line: number; column: number };
    end: { line: number; column: number };
  },
  replacement: string,
): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; column: number }): number =>
    lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.column;
  return text.slice(0, offset(range.start)) + replacement + text.slice(offset(range.end));
}

/** Blocks without their cache ids (which differ between caches by design). */
export function withoutIds(blocks: readonly BlockInsights[]): Omit<BlockInsights, 'id'>[] {
  return blocks.map(({ id: _id, ...rest }) => rest);
}
