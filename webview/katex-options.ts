/**
 * The options of every formula the panel draws (webview/math.ts), with the limits an untrusted
 * formula needs: `trust: false` (no \href, \url, \htmlClass …), `maxExpand` and `maxSize` so a
 * hostile or huge macro cannot hang or blow up the page, `throwOnError: false` so a bad formula
 * shows as red source text instead of breaking the panel. No DOM here, so plain-Node tests
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
};
