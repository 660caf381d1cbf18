/**
 * The web side of markdown-preview-loader.ts: the browser's extension host cannot `require` a
 * second bundle, and carrying the engine in the web extension's own bundle would load it for
 * every note, so on the web the preview shows model blocks as code only.
 */
import type * as vscode from 'vscode';

export function markdownPreviewPlugin(
  _extensionUri: vscode.Uri,
  log: vscode.LogOutputChannel,
): (md: unknown) => unknown {
  return (md) => {
    log.info('markdown preview: model blocks are shown without values on the web');
    return md;
  };
}
