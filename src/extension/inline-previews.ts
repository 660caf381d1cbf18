/**
 * Inline previews: the text after each softmax line (`⟶ [0.27 0.73] [0.64 0.36]  Σ=1`) and, when
 * asked, every statement's shape, drawn as after-line decorations in the theme's colours
 * (package.json `colors`: backpropNotes.preview.*). Also the command that turns them on and off.
 *
 * Decorations follow the live insights of each visible editor's document; a document whose
 * insights are cleared (closed, no longer a note, previews off) loses them.
 */
import * as vscode from 'vscode';
import { l10n } from 'vscode';
import type { PreviewItem } from '../editor-insights/types';
import { colorIds, commandIds } from './ids';
import { insightSettingKeys } from './insight-settings';
import type { LiveInsights } from './live-insights';
import { settingsSection } from './settings';

export function registerInlinePreviews(live: LiveInsights): vscode.Disposable {
  const after = (color: string): vscode.DecorationRenderOptions => ({
    after: { color: new vscode.ThemeColor(color), margin: '0 0 0 2em' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  const softmax = vscode.window.createTextEditorDecorationType(after(colorIds.previewForeground));
  const shape = vscode.window.createTextEditorDecorationType(after(colorIds.shapeForeground));

  const paint = (editor: vscode.TextEditor): void => {
    const insights = live.get(editor.document.uri);
    const items = insights?.blocks.flatMap((b) => b.previews) ?? [];
    const document = editor.document;
    const options = (item: PreviewItem): vscode.DecorationOptions | null => {
      if (item.line >= document.lineCount) return null; // an answer for a longer, older text
      const end = document.lineAt(item.line).range.end;
      return {
        range: new vscode.Range(end, end),
        renderOptions: { after: { contentText: item.text } },
      };
    };
    const of = (kind: PreviewItem['kind']) =>
      items.filter((i) => i.kind === kind).flatMap((i) => options(i) ?? []);
    editor.setDecorations(softmax, of('softmax'));
    editor.setDecorations(shape, of('shape'));
  };
  const paintDocument = (uri: vscode.Uri): void => {
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() === uri.toString()) paint(editor);
    }
  };

  return vscode.Disposable.from(
    softmax,
    shape,
    live.onDidUpdate(paintDocument),
    vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach(paint)),
    vscode.commands.registerCommand(commandIds.togglePreviews, togglePreviews),
  );
}

/** Flips `backpropNotes.previews.enabled` where it is set (workspace or user settings). */
async function togglePreviews(): Promise<boolean> {
  const config = vscode.workspace.getConfiguration(settingsSection);
  const key = insightSettingKeys.previewsEnabled;
  const inspected = config.inspect<boolean>(key);
  const on = config.get<boolean>(key) !== false;
  const target =
    inspected?.workspaceFolderValue !== undefined
      ? vscode.ConfigurationTarget.WorkspaceFolder
      : inspected?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
  await config.update(key, !on, target);
  void vscode.window.setStatusBarMessage(
    on
      ? l10n.t('Backprop Notes: inline previews off')
      : l10n.t('Backprop Notes: inline previews on'),
    3000,
  );
  return !on;
}
