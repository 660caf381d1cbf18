// A throwaway extension used only to prove the e2e harness before the real extension exists:
// one command opens (or reveals) one webview panel; the webview says it is ready, the extension
// answers with the first line of the workspace's hello.txt, the webview shows it and reports back.
// Plain CommonJS, so it needs no build step.
/* global require, module, Buffer */
/* eslint-disable @typescript-eslint/no-require-imports -- an extension in CommonJS, like most */
'use strict';
const vscode = require('vscode');
const crypto = require('crypto');

const VIEW_TYPE = 'backpropNotesFixture.panel';

/** @type {vscode.WebviewPanel | undefined} */
let panel;
/** @type {Array<(text: string) => void>} */
let renderedWaiters = [];
/** @type {string | undefined} */
let lastRendered;

async function readGreeting() {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return 'No folder is open.';
  try {
    const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, 'hello.txt'));
    return Buffer.from(bytes).toString('utf8').split('\n')[0];
  } catch (error) {
    return `Could not read hello.txt: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function html(nonce, cspSource) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">body { color: var(--vscode-foreground); font-family: var(--vscode-font-family); }</style>
<title>Fixture Panel</title>
</head>
<body>
<h1>Fixture Panel</h1>
<p id="greeting">Waiting for the extension…</p>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
window.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'greeting') {
    document.getElementById('greeting').textContent = event.data.text;
    vscode.postMessage({ type: 'rendered', text: document.getElementById('greeting').textContent });
  }
});
vscode.postMessage({ type: 'ready' });
</script>
</body>
</html>`;
}

function showPanel() {
  if (panel) {
    panel.reveal(vscode.ViewColumn.Beside);
    return;
  }
  panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'Fixture Panel', vscode.ViewColumn.Beside, {
    enableScripts: true,
    localResourceRoots: [],
  });
  const nonce = crypto.randomBytes(16).toString('base64');
  panel.webview.html = html(nonce, panel.webview.cspSource);
  panel.webview.onDidReceiveMessage(async (message) => {
    if (message?.type === 'ready') {
      panel?.webview.postMessage({ type: 'greeting', text: await readGreeting() });
    } else if (message?.type === 'rendered' && typeof message.text === 'string') {
      lastRendered = message.text;
      const waiters = renderedWaiters;
      renderedWaiters = [];
      for (const resolve of waiters) resolve(message.text);
    }
  });
  panel.onDidDispose(() => {
    panel = undefined;
    lastRendered = undefined;
  });
}

function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('backpropNotesFixture.showPanel', showPanel),
  );
  // Read by the extension-host tests (fixture-extension/host/*.host.ts).
  return {
    viewType: VIEW_TYPE,
    /** The text the webview last showed, once it has shown one. */
    whenRendered: () =>
      lastRendered !== undefined
        ? Promise.resolve(lastRendered)
        : new Promise((resolve) => renderedWaiters.push(resolve)),
  };
}

function deactivate() {}

module.exports = { activate, deactivate };
