/**
 * Where the engine worker's script is — the web side: dist/web/worker.js as a URL the browser's
 * extension host can start a Web Worker from. Swapped in for worker-location.ts by the web build.
 */
import * as vscode from 'vscode';
import type * as NodeSide from './worker-location';

export function engineWorkerLocation(extensionUri: vscode.Uri): string {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'web', 'worker.js').toString(true);
}

engineWorkerLocation satisfies typeof NodeSide.engineWorkerLocation;
