/**
 * Where model blocks come from: every ```model fence of a Markdown note, a whole `.model` file,
 * a Python file, or a selected snippet. Each block keeps the position of its first character in
 * the file, so every range the parser makes is in the file's own lines and columns.
 */
import type { SourcePosition, SourceRange } from './model';

export type SourceKind = 'markdown' | 'model' | 'python' | 'snippet';

/** One block's text, before parsing. */
export interface RawBlock {
  readonly text: string;
  /** Where `text` starts in its file. */
  readonly origin: SourcePosition;
  /** The range of the block's content in its file (for a fence: the lines between the fences). */
  readonly range: SourceRange;
  /** A fence's info string after the language word (`{wrt=W1}` for ```model {wrt=W1}); '' if none. */
  readonly info: string;
}

/** Language words that mark a model fence (the VS Code language id is `model-spec`). */
const MODEL_LANGUAGES = new Set(['model', 'model-spec']);

/**
 * Every ```model (or ~~~model) fence of a Markdown text, in order, following CommonMark's
 * fence rules: a fence opens with three or more backticks or tildes (backtick fences' info string
 * has no backtick), closes with a line of at least as many of the same character and nothing
 * else, and runs to the end of the document when never closed. Fences of other languages are
 * skipped whole, so a ```model inside a ````markdown example is not a block. Indented fences
 * (inside list items) count too.
 */
export function findModelFences(text: string): RawBlock[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const blocks: RawBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const open = /^[ \t]*(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!open || (open[1][0] === '`' && open[2].includes('`'))) {
      i++;
      continue;
    }
    const fence = open[1];
    const info = open[2].trim();
    const lang = /^([^\s{]*)(.*)$/.exec(info)!;
    let close = i + 1;
    while (close < lines.length && !closes(lines[close], fence)) close++;
    if (MODEL_LANGUAGES.has(lang[1])) {
      const first = i + 1;
      const lastLine = Math.min(close, lines.length) - 1;
      const content = lines.slice(first, lastLine + 1);
      // An empty block sits at the start of the line after the fence, or at the end of the
      // opening fence when the note ends there.
      const start: SourcePosition =
        first < lines.length ? { line: first, column: 0 } : { line: i, column: lines[i].length };
      const end: SourcePosition =
        lastLine >= first ? { line: lastLine, column: lines[lastLine].length } : start;
      blocks.push({
        text: content.join('\n'),
        origin: start,
        range: { start, end },
        info: lang[2].trim(),
      });
    }
    i = close + 1;
  }
  return blocks;
}

function closes(line: string, fence: string): boolean {
  const m = /^[ \t]*(`{3,}|~{3,})[ \t]*$/.exec(line);
  return m !== null && m[1][0] === fence[0] && m[1].length >= fence.length;
}

/** A whole text as one block starting at `origin`. */
export function wholeText(text: string, origin: SourcePosition = { line: 0, column: 0 }): RawBlock {
  const lines = text.split('\n');
  const lastIndex = lines.length - 1;
  const last = lines[lastIndex].replace(/\r$/, '');
  const end: SourcePosition = {
    line: origin.line + lastIndex,
    column: last.length + (lastIndex === 0 ? origin.column : 0),
  };
  return { text, origin, range: { start: origin, end }, info: '' };
}

/** Does a snippet look like Python (imports, defs, prints) rather than the model language? */
export function looksLikePython(text: string): boolean {
  return /^[ \t]*(import\s|from\s+\S+\s+import\s|def\s|class\s|print\(|return\b|for\s|if\s|with\s)/m.test(
    text,
  );
}

/** The kind a file's name implies: `.md`/`.markdown` → markdown, `.model` → model, `.py` → python. */
export function kindFromFileName(fileName: string): SourceKind {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.md') || lower.endsWith('.markdown')) return 'markdown';
  if (lower.endsWith('.model')) return 'model';
  if (lower.endsWith('.py') || lower.endsWith('.ipy')) return 'python';
  return 'snippet';
}
