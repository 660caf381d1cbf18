/**
 * Backprop Notes: Explain Backprop — explains the selection, the ```model block under the
 * cursor, or the file (see target.ts for the rules) in the Explanation panel. A CodeLens passes
 * the note and a line of its block instead: that block is explained, whatever the cursor.
 */
import * as vscode from 'vscode';
import { l10n } from 'vscode';
import type { ExplainTarget } from '../protocol';
import { ExplanationPanel, type PanelDependencies } from './panel';
import { pickTarget } from './target';

/** Languages the command reads without being asked twice. */
const noteLanguages = new Set(['markdown', 'model-spec', 'python']);

export async function explainBackprop(
  deps: PanelDependencies,
  uri?: vscode.Uri,
  line?: number,
): Promise<void> {
  if (uri && line !== undefined) {
    const document = await vscode.workspace.openTextDocument(uri);
    const visible = vscode.window.visibleTextEditors.find(
      (e) => e.document.uri.toString() === uri.toString(),
    );
    const target: ExplainTarget =
      document.languageId === 'markdown' ? { kind: 'block', line } : { kind: 'file' };
    ExplanationPanel.show(deps, document, target, visible?.viewColumn);
    return;
  }
  const editor = editorFor(uri);
  if (!editor) {
    // The panel itself may have the focus: then the command explains its document again.
    const panel = ExplanationPanel.instance;
    if (panel?.source.uri) {
      panel.setSource(panel.source.uri, panel.source.target);
      return;
    }
    void vscode.window.showInformationMessage(
      l10n.t(
        'Explain Backprop works on the open note: open a Markdown note with a ```model block (or a .model file), put the cursor in the block, and run it again.',
      ),
    );
    return;
  }
  const document = editor.document;
  const target = pickTarget(
    { text: document.getText(), languageId: document.languageId, fileName: document.fileName },
    {
      start: { line: editor.selection.start.line, character: editor.selection.start.character },
      end: { line: editor.selection.end.line, character: editor.selection.end.character },
    },
    { line: editor.selection.active.line, character: editor.selection.active.character },
  );
  if ('error' in target) {
    void vscode.window.showWarningMessage(target.error);
    return;
  }
  ExplanationPanel.show(deps, document, target, editor.viewColumn);
}

/** The editor to read: the one for `uri` (context menu), else the active one, else a visible note. */
function editorFor(uri: vscode.Uri | undefined): vscode.TextEditor | undefined {
  const editors = vscode.window.visibleTextEditors;
  if (uri) {
    const forUri = editors.find((e) => e.document.uri.toString() === uri.toString());
    if (forUri) return forUri;
  }
  return (
    vscode.window.activeTextEditor ?? editors.find((e) => noteLanguages.has(e.document.languageId))
  );
}
