// Helpers shared by the extension-host suites (*.host.ts). Not a suite itself: build-host-tests
// bundles only *.host.ts files as suites, and they import these.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { explanationViewType } from '../../../src/extension/ids';

/** A file of the workspace (the fresh copy of samples/ the suite runs on). */
export function sampleUri(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, name);
}

/** The Explanation panel's tabs in every editor group (a webview tab's viewType carries a prefix). */
export function panelTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter(
      (tab) =>
        tab.input instanceof vscode.TabInputWebview &&
        tab.input.viewType.endsWith(explanationViewType),
    );
}

/** This extension's diagnostics of a document, live ones and gradient-check ones. */
export function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Backprop Notes');
}

/** A diagnostic's code as text. */
export const codeOf = (d: vscode.Diagnostic): string =>
  String(typeof d.code === 'object' ? d.code.value : d.code);

/** The 0-based line of the first line starting with `prefix`. */
export function lineOf(document: vscode.TextDocument, prefix: string): number {
  const index = document
    .getText()
    .split('\n')
    .findIndex((l) => l.startsWith(prefix));
  assert.ok(index >= 0, `no line starting with "${prefix}"`);
  return index;
}
