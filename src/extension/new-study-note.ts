/**
 * Backprop Notes: New Study Note — opens the two-layer sample (samples/two-layer-network.md,
 * bundled as text) as a new untitled Markdown note: a ```model block to explain, and the
 * questions a student asks about it, in Korean and English.
 */
import * as vscode from 'vscode';
import twoLayerNote from '../../samples/two-layer-network.md';

export async function newStudyNote(): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument({
    language: 'markdown',
    content: twoLayerNote,
  });
  return vscode.window.showTextDocument(document);
}
