/**
 * Looking things up in a document's insights, for the extension host: type imports only, so the
 * host bundle stays free of the engine (the insights themselves are computed in the worker).
 */
import type { BlockInsights, HoverEntry } from './types';

/** The hover for `name` at `line` of a document: the entry of the block holding that line. */
export function hoverAt(
  blocks: readonly BlockInsights[],
  line: number,
  name: string,
): HoverEntry | null {
  const block = blocks.find((b) => b.range.start.line <= line && line <= b.range.end.line);
  return block?.hovers.find((h) => h.name === name) ?? null;
}
