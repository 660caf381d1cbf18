/**
 * The Markdown preview plugin (bundled alone to dist/markdown-preview.js, loaded by the
 * extension only when VS Code's preview calls `extendMarkdownIt`): every ```model fence of a
 * note is shown as its spec, followed by its forward values and its loss, with `$$` math that the
 * preview's KaTeX draws. A fence option names a tensor whose chain rule and backprop steps are
 * shown too: ```` ```model {wrt=W1} ```` or ```` ```model chain=W1 ````.
 *
 * The preview's markdown-it runs in the extension host, synchronously, on every keystroke of the
 * previewed note, so:
 * - a block longer than `maxBlockChars`, or creating a tensor over `maxElements` values, is shown
 *   with a note instead of being run; the gradient check never runs here;
 * - results are cached by the fence's text (the same block is not run twice);
 * - nothing here throws into the preview: a failure becomes a note under the block.
 *
 * The generated Markdown is rendered by the same markdown-it (so the preview's own math plugin,
 * VS Code's markdown-math, draws the `$$` blocks, and follows its setting). No vscode here.
 */
import type MarkdownIt from 'markdown-it';
import { ExplainError, explainBlock } from '../explain/build';
import type { Explanation } from '../explain/explanation';
import { infoWrt } from '../explain/source';
import { parseSource } from '../spec/index';
import { bmatrix, numberLatex, shapeLatex, shapeText } from '../render/format';
import { markdownText, renderMarkdown } from '../render/markdown';

/** Blocks longer than this are not run in the preview. */
export const maxBlockChars = 20_000;
/** The largest tensor (in values) a previewed block may create. */
export const maxElements = 200_000;
/**
 * The limits of a previewed block (src/spec/limits.ts), far below the engine worker's: its
 * matrix products together ~10 ms, formulas nested 64 deep at most (explaining a 256-deep one
 * takes a second, on the host's thread).
 */
const previewLimits = {
  maxElements,
  maxTotalElements: 10 * maxElements,
  maxMultiplyAdds: 10_000_000,
  maxNesting: 64,
  limitHints: {
    maxElements: 'in the Markdown preview; Explain Backprop runs larger blocks',
    maxTotalElements: 'in the Markdown preview; Explain Backprop runs larger blocks',
    maxMultiplyAdds: 'in the Markdown preview; Explain Backprop runs larger blocks',
    maxNesting: 'in the Markdown preview; Explain Backprop runs deeper formulas',
  },
};

const languages = new Set(['model', 'model-spec']);

/** `chain=NAME` or `wrt=NAME` from a fence's info string, or null. */
export function chainOption(info: string): string | null {
  const chain = /(?:^|[\s{,])chain\s*=\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(info);
  return chain ? chain[1] : infoWrt(info);
}

const matrixOptions = { digits: 4, maxRows: 8, maxCols: 8 } as const;

/** The Markdown shown under a model fence. */
export function blockMarkdown(content: string, info: string): string {
  if (content.length > maxBlockChars) {
    return `> _Backprop Notes: this block is ${content.length} characters long, more than the preview runs (${maxBlockChars}). Use Explain Backprop to see its values._\n`;
  }
  const [block] = parseSource(content, 'model', previewLimits);
  if (!block) return '';
  const wrt = chainOption(info);
  let e: Explanation;
  const notes: string[] = [];
  try {
    e = explainBlock(block, { gradientCheck: false, wrt, maxJacobianEntries: 0, maxPaths: 8 });
  } catch (error) {
    if (!(error instanceof ExplainError)) throw error;
    notes.push(error.message);
    e = explainBlock(block, { gradientCheck: false, maxJacobianEntries: 0, maxPaths: 8 });
  }
  const out: string[] = [];
  for (const err of e.errors) {
    out.push(`> **Line ${err.line}:** ${markdownText(err.message)}`, '>');
  }
  if (out.length > 0) out.pop();
  // Forward values: computed tensors, and leaves not written out as numbers (randn, zeros …).
  const shown = e.nodes.filter(
    (n) =>
      n.name !== null && (n.op !== 'leaf' || (n.source !== null && !/^\s*[[\d.+-]/.test(n.source))),
  );
  if (shown.length > 0) {
    const lines = shown.map(
      (n) =>
        `${n.formula ?? n.label} &= ${bmatrix(n.value, matrixOptions)} && (${shapeLatex(n.shape)})`,
    );
    if (out.length > 0) out.push('');
    out.push('$$', `\\begin{aligned}\n${lines.join(' \\\\[4pt]\n')}\n\\end{aligned}`, '$$');
  }
  if (e.root) {
    const value = e.root.value;
    out.push(
      '',
      typeof value === 'number'
        ? `**${e.root.role === 'loss' ? 'Loss' : 'Result'}:** $${e.root.label} = ${numberLatex(value, 6)}$`
        : `**${e.root.role === 'loss' ? 'Loss' : 'Result'}:** $${e.root.label}$ (${shapeText(e.root.shape)}), shown above`,
    );
  }
  if (wrt !== null && e.root) {
    const g = e.gradients.find((x) => x.node === e.focus);
    if (g && g.name === wrt) {
      out.push(
        '',
        renderMarkdown(e, {
          focusOnly: true,
          sections: ['chain', 'steps', 'gradients'],
          headingLevel: 4,
          title: `Backprop to ${g.name}`,
          ...matrixOptions,
        }).trim(),
      );
    }
  }
  for (const n of [...notes, ...e.notices]) out.push('', `> _${markdownText(n)}_`);
  return out.join('\n') + '\n';
}

/** The HTML under a fence: the block's Markdown rendered by the preview's own markdown-it. */
function blockHtml(md: MarkdownIt, content: string, info: string): string {
  let markdown: string;
  try {
    markdown = blockMarkdown(content, info);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    markdown = `> _Backprop Notes could not run this block (${markdownText(detail)}). This is a bug; Explain Backprop may still work._\n`;
  }
  // The nested render's `data-line`s count lines of the generated text: drop them, or the
  // preview's scroll sync would jump to wrong lines of the note.
  const html = md.render(markdown, {}).replace(/ data-line="\d+"/g, '');
  return `<div class="backprop-notes-preview">${html}</div>\n`;
}

const cacheSize = 64;

/** Adds the model-fence rendering to the preview's markdown-it; returns it (VS Code's contract). */
export function extendMarkdownIt(md: MarkdownIt): MarkdownIt {
  const cache = new Map<string, string>();
  const fallback: NonNullable<MarkdownIt['renderer']['rules']['fence']> =
    md.renderer.rules.fence ??
    ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
  md.renderer.rules.fence = (tokens, idx, options, env, self) => {
    const code = fallback(tokens, idx, options, env, self);
    const token = tokens[idx];
    const info = token.info.trim();
    const language = info.split(/[\s{]/)[0];
    if (!languages.has(language)) return code;
    const options_ = info.slice(language.length).trim();
    const key = `${options_}\u0000${token.content}`;
    let html = cache.get(key);
    if (html === undefined) {
      html = blockHtml(md, token.content, options_);
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
      cache.set(key, html);
    }
    return code + html;
  };
  return md;
}
