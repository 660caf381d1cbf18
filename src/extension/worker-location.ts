/**
 * Where the engine worker's script is — the Node side: dist/worker.js as a file path. The web
 * build swaps this file for worker-location.web.ts (scripts/build.mjs).
 */
import * as vscode from 'vscode';

export function engineWorkerLocation(extensionUri: vscode.Uri): string {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'worker.js').fsPath;
}
