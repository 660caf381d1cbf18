/**
 * The options of every formula the panel draws (webview/math.ts), with the limits an untrusted
 * formula needs: `trust: false` (no \href, \url, \htmlClass …), `maxExpand` and `maxSize` so a
 * hostile or huge macro cannot hang or blow up the page, `throwOnError: false` so a bad formula
 * shows as red source text instead of breaking the panel. Every option KaTeX reads is set here
 * (macros per call, in math.ts), none left to its default: KaTeX before 0.18.2 read options
 * through the prototype chain, so a polluted Object.prototype could change an unset one (the
 * advisory fixed there; we ship 0.19). Kept as defence in depth and so that a default changed
 * by a later KaTeX cannot change what the panel draws unnoticed. No DOM here, so plain-Node tests
 * (test/extension/webview-security.test.ts) import it without the webview's DOM types.
 */
import type katex from 'katex';

export const katexOptions: Readonly<katex.KatexOptions> = {
  throwOnError: false,
  trust: false,
  strict: 'ignore',
  maxExpand: 1000,
  maxSize: 20,
  output: 'htmlAndMathml',
  errorColor: 'var(--vscode-errorForeground)',
  displayMode: false,
  leqno: false,
  fleqn: false,
  minRuleThickness: 0.04,
  colorIsTextColor: false,
  globalGroup: false,
};

/** The options for one formula: a fresh `macros` each time, so a \gdef cannot outlive it. */
export function katexOptionsFor(displayMode: boolean): katex.KatexOptions {
  return { ...katexOptions, displayMode, macros: {} };
}
