/**
 * Every id the extension contributes, in one place (package.json spells the same strings; the
 * extension-host tests check the two agree).
 */
export const commandIds = {
  /** Opens (or reuses) the Explanation panel on the selection, block or file. */
  explainBackprop: 'backpropNotes.explainBackprop',
  /** Shows the extension's output channel. */
  showLog: 'backpropNotes.showLog',
  /** Checks every gradient of the note (or one block) against finite differences, into Problems. */
  checkGradients: 'backpropNotes.checkGradients',
  /** Turns the inline previews (softmax probabilities, shapes) on or off. */
  togglePreviews: 'backpropNotes.togglePreviews',
  /** Inserts the derivation of a chosen tensor's gradient below the block, as Markdown. */
  insertDerivation: 'backpropNotes.insertDerivation',
  /** Runs gradient-descent steps on the block, plotting the loss in the panel. */
  train: 'backpropNotes.train',
  /** Stops the running training. */
  stopTraining: 'backpropNotes.stopTraining',
  /** Writes the finished training run's values into the block (one undoable edit). */
  applyTraining: 'backpropNotes.applyTraining',
  /** Opens the block as a PyTorch program in a new untitled Python editor. */
  exportPyTorch: 'backpropNotes.exportPyTorch',
  /** Opens the block as a NumPy program (its backward pass by hand) in a new untitled editor. */
  exportNumPy: 'backpropNotes.exportNumPy',
  /** Opens the two-layer sample note as a new untitled Markdown document to start from. */
  newStudyNote: 'backpropNotes.newStudyNote',
} as const;

/** Theme colours the extension contributes (package.json `colors`). */
export const colorIds = {
  /** The softmax preview after a line. */
  previewForeground: 'backpropNotes.preview.foreground',
  /** A statement's shape after its line. */
  shapeForeground: 'backpropNotes.preview.shapeForeground',
} as const;

/** Names of the diagnostic collections (shown nowhere, but kept apart per feature). */
export const diagnosticCollections = {
  /** Spec errors and the engine's notes, updated as the user types. */
  live: 'backpropNotes.live',
  /** Check Gradients' results, until the document changes. */
  gradientCheck: 'backpropNotes.gradientCheck',
} as const;

/** The documents the editor features work on: Markdown notes and `.model` files. */
export const noteSelector = [{ language: 'markdown' }, { language: 'model-spec' }] as const;

/** The Explanation panel's webview type (also in `onWebviewPanel:` of activationEvents). */
export const explanationViewType = 'backpropNotes.explanation';

/** The language of `.model` files. */
export const modelSpecLanguageId = 'model-spec';

/** The extension's id as VS Code knows it: publisher.name. */
export const extensionId = 'backprop-notes.backprop-notes';
