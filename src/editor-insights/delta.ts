/**
 * Answers that leave out what the asker already holds. A 50-block note changed in one block
 * needs one block's insights sent, not fifty: the query lists the block ids the extension holds
 * (`have`), and the answer refers to those (`BlockReference`) instead of repeating them. The
 * extension puts the blocks back together with `resolveBlocks`.
 *
 * Type imports only, so the extension host can use this without bundling the engine.
 */
import type {
  BlockCheck,
  BlockInsights,
  BlockReference,
  HoverEntry,
  InsightDiagnostic,
  SourceRange,
} from './types';

/** `blocks` with every block whose id is in `have` replaced by a reference to it. */
export function referToHeld(
  blocks: readonly BlockInsights[],
  have: ReadonlySet<number>,
): (BlockInsights | BlockReference)[] {
  return blocks.map((b) =>
    have.has(b.id) ? { reuse: b.id, index: b.index, startLine: b.range.start.line } : b,
  );
}

export function isReference(b: BlockInsights | BlockReference): b is BlockReference {
  return 'reuse' in b;
}

/**
 * The full blocks of an answer, references taken from `held` (moved to their new lines). Null
 * when a reference names a block not held: the caller asks again without `have`.
 */
export function resolveBlocks(
  blocks: readonly (BlockInsights | BlockReference)[],
  held: readonly BlockInsights[],
): BlockInsights[] | null {
  const byId = new Map(held.map((b) => [b.id, b]));
  const out: BlockInsights[] = [];
  for (const b of blocks) {
    if (!isReference(b)) {
      out.push(b);
      continue;
    }
    const known = byId.get(b.reuse);
    if (!known) return null;
    const delta = b.startLine - known.range.start.line;
    const moved = delta === 0 ? known : shiftInsights(known, delta);
    out.push(moved.index === b.index ? moved : { ...moved, index: b.index });
  }
  return out;
}

function shiftRange(range: SourceRange, delta: number): SourceRange {
  return {
    start: { line: range.start.line + delta, column: range.start.column },
    end: { line: range.end.line + delta, column: range.end.column },
  };
}

function shiftDiagnostic<D extends InsightDiagnostic>(diag: D, delta: number): D {
  return {
    ...diag,
    range: shiftRange(diag.range, delta),
    fix: diag.fix && { ...diag.fix, range: shiftRange(diag.fix.range, delta) },
  };
}

/** A block's live insights moved `delta` lines down (up when negative). */
export function shiftInsights(v: BlockInsights, delta: number): BlockInsights {
  return {
    ...v,
    range: shiftRange(v.range, delta),
    previews: v.previews.map((p) => ({ ...p, line: p.line + delta })),
    hovers: v.hovers.map((h: HoverEntry) => ({ ...h, range: shiftRange(h.range, delta) })),
    diagnostics: v.diagnostics.map((d) => shiftDiagnostic(d, delta)),
    lens: { ...v.lens, line: v.lens.line + delta },
  };
}

export function shiftCheck(c: BlockCheck, delta: number): BlockCheck {
  return {
    ...c,
    range: shiftRange(c.range, delta),
    diagnostics: c.diagnostics.map((d) => shiftDiagnostic(d, delta)),
  };
}
