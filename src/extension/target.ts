/**
 * What "Explain Backprop" explains, picked from the editor's state, and kept pointing at the same
 * text while the document is edited.
 *
 * No vscode import: the command hands in the document's text, language, selection and cursor as
 * plain data, so the rules are tested in plain Node (test/extension/target.test.ts).
 *
 * The rules, in order:
 * 1. A non-empty selection is explained as a snippet, in the document's own coordinates (a
 *    selection in a Markdown note that includes a ```model fence line means that block instead).
 * 2. In Markdown, the ```model block under the cursor (fence lines count as inside).
 * 3. A `.model` or `.py` file (or any other non-Markdown text): the whole file.
 * 4. In Markdown with the cursor outside every block: the first block.
 */
import type { SourceKind } from '../explain/explanation';
import { l10n } from '../l10n';
import type { ExplainTarget, LineRange, Position } from '../protocol';
import { findModelFences, kindFromFileName } from '../spec/sources';

/** The parts of an editor's document the rules read. */
export interface DocumentSnapshot {
  readonly text: string;
  /** VS Code's language id (`markdown`, `model-spec`, `python` …). */
  readonly languageId: string;
  readonly fileName: string;
}

/** One edit as VS Code reports it: `range` (in the text before the edit) replaced by `text`. */
export interface TextChange {
  readonly range: LineRange;
  readonly text: string;
}

/** The text the engine gets for a target, and where it is in the document. */
export interface ResolvedTarget {
  readonly text: string;
  readonly kind: SourceKind;
  /** Where `text` starts in the document (line 0, column 0 unless a selection). */
  readonly origin: { readonly line: number; readonly column: number };
  /** Which block of `text` parsed as `kind` to explain. */
  readonly blockIndex: number;
  readonly blockCount: number;
}

/** Why there is nothing to explain, in the user's words, and the line it is about if any. */
export interface NothingToExplain {
  readonly error: string;
  readonly line: number | null;
}

/** How the engine should read a document. */
export function sourceKindOf(languageId: string, fileName: string): SourceKind {
  switch (languageId) {
    case 'markdown':
      return 'markdown';
    case 'model-spec':
      return 'model';
    case 'python':
      return 'python';
    default:
      return kindFromFileName(fileName);
  }
}

const fenceLine = /^[ \t]*(`{3,}|~{3,})/;

/** Applies rules 1–4. */
export function pickTarget(
  doc: DocumentSnapshot,
  selection: LineRange,
  cursor: Position,
): ExplainTarget | NothingToExplain {
  const kind = sourceKindOf(doc.languageId, doc.fileName);
  const empty =
    selection.start.line === selection.end.line &&
    selection.start.character === selection.end.character;
  const selected = empty ? '' : textInRange(doc.text, selection);
  if (selected.trim() !== '') {
    if (kind === 'markdown') {
      // A selection spanning fences means "this block", not a snippet with ``` lines in it.
      const lines = selected.split('\n');
      const fenceAt = lines.findIndex((l) => fenceLine.test(l));
      if (fenceAt >= 0) return blockTarget(doc.text, selection.start.line + fenceAt);
    }
    return { kind: 'selection', range: selection };
  }
  if (kind !== 'markdown') return { kind: 'file' };
  return blockTarget(doc.text, cursor.line);
}

function blockTarget(text: string, line: number): ExplainTarget | NothingToExplain {
  const blocks = findModelFences(text);
  if (blocks.length === 0) return noBlocks();
  const inside = blocks.find((b) => b.range.start.line - 1 <= line && line <= b.range.end.line + 1);
  return { kind: 'block', line: inside ? line : blocks[0].range.start.line };
}

function noBlocks(): NothingToExplain {
  return {
    error: l10n.t(
      'This note has no ```model block. Write the network in a fenced block that starts with ```model, or select the lines to explain.',
    ),
    line: null,
  };
}

/** The text of a document for a target, as the engine should read it. */
export function resolveTarget(
  doc: DocumentSnapshot,
  target: ExplainTarget,
): ResolvedTarget | NothingToExplain {
  const kind = sourceKindOf(doc.languageId, doc.fileName);
  switch (target.kind) {
    case 'file':
      return { text: doc.text, kind, origin: { line: 0, column: 0 }, blockIndex: 0, blockCount: 1 };
    case 'selection': {
      const range = clampRange(doc.text, target.range);
      const text = textInRange(doc.text, range);
      if (text.trim() === '') {
        return {
          error: l10n.t(
            'The selected lines are empty now. Select the statements to explain and run Explain Backprop again.',
          ),
          line: range.start.line,
        };
      }
      return {
        text,
        kind: 'snippet',
        origin: { line: range.start.line, column: range.start.character },
        blockIndex: 0,
        blockCount: 1,
      };
    }
    case 'block': {
      if (kind !== 'markdown') {
        return {
          text: doc.text,
          kind,
          origin: { line: 0, column: 0 },
          blockIndex: 0,
          blockCount: 1,
        };
      }
      const blocks = findModelFences(doc.text);
      if (blocks.length === 0) return noBlocks();
      // The block holding the line, else the nearest one (its fences may have been edited away).
      let best = 0;
      let bestDistance = Infinity;
      blocks.forEach((b, i) => {
        const first = b.range.start.line - 1;
        const last = b.range.end.line + 1;
        const distance =
          target.line < first ? first - target.line : target.line > last ? target.line - last : 0;
        if (distance < bestDistance) {
          best = i;
          bestDistance = distance;
        }
      });
      return {
        text: doc.text,
        kind,
        origin: { line: 0, column: 0 },
        blockIndex: best,
        blockCount: blocks.length,
      };
    }
  }
}

/** The target after `changes` (applied in order), so it keeps pointing at the same text. */
export function moveTarget(target: ExplainTarget, changes: readonly TextChange[]): ExplainTarget {
  switch (target.kind) {
    case 'file':
      return target;
    case 'block': {
      let at: Position = { line: target.line, character: 0 };
      for (const change of changes) at = movePosition(at, change, 'before');
      return at.line === target.line ? target : { kind: 'block', line: at.line };
    }
    case 'selection': {
      let { start, end } = target.range;
      for (const change of changes) {
        start = movePosition(start, change, 'before');
        // Text typed at the end of the selection belongs to it: the user is extending the snippet.
        end = movePosition(end, change, 'after');
      }
      return { kind: 'selection', range: { start, end } };
    }
  }
}

function compare(a: Position, b: Position): number {
  return a.line !== b.line ? a.line - b.line : a.character - b.character;
}

/**
 * Where a position ends up after one change. Text inserted exactly at the position goes after
 * it (`before`: the position stays) or before it (`after`: the position moves past it).
 */
export function movePosition(
  pos: Position,
  change: TextChange,
  gravity: 'before' | 'after',
): Position {
  const { start, end } = change.range;
  const inserted = change.text.split('\n');
  const k = inserted.length - 1;
  const lastLength = inserted[k].replace(/\r$/, '').length;
  const endOfInsert: Position = {
    line: start.line + k,
    character: k === 0 ? start.character + lastLength : lastLength,
  };
  const beforeStart = compare(pos, start);
  if (beforeStart < 0 || (beforeStart === 0 && gravity === 'before')) return pos;
  const afterEnd = compare(pos, end);
  if (afterEnd < 0) return gravity === 'before' ? start : endOfInsert; // inside the replaced text
  if (pos.line === end.line) {
    return {
      line: endOfInsert.line,
      character: endOfInsert.character + (pos.character - end.character),
    };
  }
  return { line: pos.line + k - (end.line - start.line), character: pos.character };
}

/** Start offsets of each line of `text`. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineLength(text: string, starts: number[], line: number): number {
  const begin = starts[line];
  let finish = line + 1 < starts.length ? starts[line + 1] - 1 : text.length;
  if (finish > begin && text[finish - 1] === '\r') finish--;
  return finish - begin;
}

/** The range limited to the document (lines that no longer exist, columns past a line's end). */
export function clampRange(text: string, range: LineRange): LineRange {
  const starts = lineStarts(text);
  const clamp = (p: Position): Position => {
    const line = Math.min(Math.max(p.line, 0), starts.length - 1);
    const beyond = p.line > starts.length - 1;
    const length = lineLength(text, starts, line);
    return { line, character: beyond ? length : Math.min(Math.max(p.character, 0), length) };
  };
  const start = clamp(range.start);
  const end = clamp(range.end);
  return compare(start, end) <= 0 ? { start, end } : { start: end, end: start };
}

/** The text between two positions, as `TextDocument.getText(range)` gives it. */
export function textInRange(text: string, range: LineRange): string {
  const starts = lineStarts(text);
  const { start, end } = clampRange(text, range);
  return text.slice(starts[start.line] + start.character, starts[end.line] + end.character);
}
