/**
 * LaTeX → KaTeX, with the limits an untrusted formula needs: `trust: false` (no \href, \url,
 * \htmlClass …), `maxExpand` and `maxSize` so a hostile or huge macro cannot hang or blow up the
 * page, `throwOnError: false` so a bad formula shows as red source text instead of breaking the
 * panel. The formulas come from our own engine, but they embed names the user wrote.
 */
import katex from 'katex';
import type { Nested } from '../src/engine/tensor';
import type { ViewSettings } from '../src/protocol';
import { bmatrix, shapeText } from '../src/render/format';
import { katexOptions, katexOptionsFor } from './katex-options';
import { addDuration } from './timing';

export { katexOptions };

/**
 * Formulas already drawn, by display mode and LaTeX: a redraw (an edit, a picked tensor, the
 * Explain command again) keeps most formulas as they were, and copying KaTeX's DOM is far cheaper
 * than laying the formula out again. Emptied when it grows past `cacheLimit`.
 */
const drawnFormulas = new Map<string, HTMLElement>();
const cacheLimit = 4000;

/** A formula as an inline (or display) element. */
export function math(latex: string, display = false): HTMLElement {
  const key = `${display ? 'D' : 'I'}${latex}`;
  const cached = drawnFormulas.get(key);
  if (cached) return cached.cloneNode(true) as HTMLElement;
  const element = document.createElement(display ? 'div' : 'span');
  element.className = display ? 'math display' : 'math';
  const started = performance.now();
  try {
    katex.render(latex, element, katexOptionsFor(display));
  } catch {
    // Only non-ParseErrors reach here (throwOnError is off): show the source, not nothing.
    element.textContent = latex;
  }
  addDuration('katex', performance.now() - started);
  if (drawnFormulas.size >= cacheLimit) drawnFormulas.clear();
  // A pristine copy: callers may add classes to the element they get.
  drawnFormulas.set(key, element.cloneNode(true) as HTMLElement);
  return element;
}

/**
 * JSON (which VS Code uses to deliver messages) turns NaN and ±Infinity into null: read them
 * back as NaN so they print as NaN, not as 0 or "null".
 */
export function finite(value: unknown): Nested {
  if (Array.isArray(value)) return value.map(finite) as Nested;
  return typeof value === 'number' ? value : NaN;
}

/** A tensor value as a KaTeX matrix, elided with ⋯ ⋮ beyond the settings. */
export function matrix(value: unknown, settings: ViewSettings): HTMLElement {
  const latex = bmatrix(finite(value), {
    maxRows: settings.maxRows,
    maxCols: settings.maxColumns,
    digits: settings.digits,
  });
  const element = math(latex, false);
  element.classList.add('matrix');
  return element;
}

export { shapeText };
