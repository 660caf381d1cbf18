/**
 * The HTML page of the Explanation webview, and its Content Security Policy.
 *
 * No vscode import: the host passes in the URIs it made with `webview.asWebviewUri` and the
 * webview's `cspSource`, so this is tested in plain Node (test/extension/html.test.ts).
 *
 * The policy:
 * - `default-src 'none'`: nothing loads unless a directive below allows it.
 * - `script-src 'nonce-…'`: only the one bundled script tagged with this page's nonce runs; no
 *   inline handlers, no eval (the bundle has none; a test greps it).
 * - `style-src ${cspSource} 'unsafe-inline'`: our stylesheet (KaTeX's bundled in) comes from the
 *   extension's own files; 'unsafe-inline' because KaTeX positions every glyph with inline
 *   `style` attributes (heights, vertical offsets of fractions and matrices) and the UI
 *   components adopt constructed stylesheets. Styles cannot run code.
 * - `font-src ${cspSource} data:`: KaTeX's fonts, as data: URLs inside dist/webview.css (fonts
 *   fetched one by one as formulas need them were still loading when a panel was closed, and VS
 *   Code's webview service worker then held the next panel for 30 s; data: fonts are never
 *   fetched). Fonts cannot run code.
 * - `img-src ${cspSource} data:`: KaTeX draws some delimiters as inline SVG data.
 */

import { type L10nBundle, l10n } from '../l10n';

export interface WebviewPage {
  /** `webview.cspSource`: the origin the webview loads the extension's own files from. */
  readonly cspSource: string;
  /** A fresh random nonce for this page (see makeNonce). */
  readonly nonce: string;
  /** `asWebviewUri` of dist/webview.js. */
  readonly scriptUri: string;
  /** `asWebviewUri` of dist/webview.css (KaTeX's stylesheet and fonts bundled in). */
  readonly styleUri: string;
  /** The `lang` of the page (VS Code's display language, e.g. `en`, `ko`). */
  readonly language: string;
  /**
   * The display language's translations (`vscode.l10n.bundle`; omitted or `{}` for English): the
   * webview draws every label through them (src/l10n.ts). In the page as a data attribute, which
   * is data, not script, so the CSP is unchanged.
   */
  readonly l10n?: L10nBundle;
}

/** The Content-Security-Policy the page declares. */
export function contentSecurityPolicy(page: Pick<WebviewPage, 'cspSource' | 'nonce'>): string {
  const source = page.cspSource;
  return [
    "default-src 'none'",
    `script-src 'nonce-${page.nonce}'`,
    `style-src ${source} 'unsafe-inline'`,
    `font-src ${source} data:`,
    `img-src ${source} data:`,
  ].join('; ');
}

/** 32 characters from [A-Za-z0-9], from the given random source (crypto in production). */
export function makeNonce(random: (n: number) => Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(random(32), (b) => alphabet[b % alphabet.length]).join('');
}

/** Escapes text for an HTML attribute value or element content. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * The whole page. The body holds only a placeholder that the script replaces on its first
 * message, so a panel whose script failed to load still says something rather than nothing.
 */
export function webviewHtml(page: WebviewPage): string {
  const e = escapeHtml;
  if (!/^[A-Za-z0-9]{16,}$/.test(page.nonce)) {
    throw new Error('The webview nonce must be at least 16 letters or digits.');
  }
  return `<!DOCTYPE html>
<html lang="${e(page.language)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${e(contentSecurityPolicy(page))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${e(page.styleUri)}">
<title>Backprop Notes</title>
</head>
<body data-l10n="${e(JSON.stringify(page.l10n ?? {}))}">
<main id="app" aria-live="polite"><p class="placeholder">${e(l10n.t('Explaining…'))}</p></main>
<script nonce="${page.nonce}" src="${e(page.scriptUri)}"></script>
</body>
</html>
`;
}
