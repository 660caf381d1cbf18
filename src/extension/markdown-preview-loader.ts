/**
 * VS Code's Markdown preview calls `extendMarkdownIt(md)` on the API of every extension that
 * contributes `markdown.markdownItPlugins`. The plugin runs model blocks, so it needs the engine,
 * which dist/extension.js must not carry (test/extension/bundle.test.ts: the host bundle stays
 * small and engine-free). So the plugin is its own bundle, dist/markdown-preview.js
 * (src/notes/markdown-preview.ts), required here the first time the preview asks for it, and
 * never when no preview is opened. The web build swaps in markdown-preview-loader.web.ts.
 */
import * as vscode from 'vscode';

interface PreviewPlugin {
  extendMarkdownIt(md: unknown): unknown;
}

export function markdownPreviewPlugin(
  extensionUri: vscode.Uri,
  log: vscode.LogOutputChannel,
): (md: unknown) => unknown {
  let plugin: PreviewPlugin | undefined;
  return (md) => {
    try {
      const path = vscode.Uri.joinPath(extensionUri, 'dist', 'markdown-preview.js').fsPath;
      // A computed path: esbuild leaves this require alone, so the bundle is loaded at run time.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      plugin ??= require(path) as PreviewPlugin;
      const extended = plugin.extendMarkdownIt(md);
      log.info('markdown preview: model blocks are rendered with their values');
      return extended;
    } catch (error) {
      // The preview must still work without our part.
      log.error(`markdown preview: the plugin could not load: ${String(error)}`);
      return md;
    }
  };
}
