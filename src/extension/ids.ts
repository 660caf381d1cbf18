/**
 * Every id the extension contributes, in one place (package.json spells the same strings; the
 * extension-host tests check the two agree).
 */
export const commandIds = {
  /** Opens (or reuses) the Explanation panel on the selection, block or file. */
  explainBackprop: 'backpropNotes.explainBackprop',
  /** Shows the extension's output channel. */
  showLog: 'backpropNotes.showLog',
} as const;

/** The Explanation panel's webview type (also in `onWebviewPanel:` of activationEvents). */
export const explanationViewType = 'backpropNotes.explanation';

/** The language of `.model` files. */
export const modelSpecLanguageId = 'model-spec';

/** The extension's id as VS Code knows it: publisher.name. */
export const extensionId = 'backprop-notes.backprop-notes';
