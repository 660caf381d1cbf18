// The Explanation panel closed and opened again, several times in one window: each new panel
// must draw its explanation. Before KaTeX's fonts were bundled as data: URLs, a panel closed
// while a font was still being fetched left that fetch pending in VS Code's webview service
// worker (answered only at its 30 s timeout), and the next panel's webview could not start until
// then (its new service-worker version waits for the old one to finish its pending events): from
// the second re-creation on, ~31 s of blank panel. The bound below (20 s) is far above a normal
// new panel (≈1–5 s on these loaded 2-core machines) and below that 30 s timeout.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BackpropNotesApi } from '../../../src/extension/extension';
import { commandIds, extensionId } from '../../../src/extension/ids';
import { after, describe, it, waitFor } from './runner';
import { panelTabs } from './helpers';

/** Longest wait for a new panel's first explanation: a hang, not slowness, must fail. */
const hangMs = 20_000;

describe('The Explanation panel, closed and opened again', () => {
  after(async () => {
    await vscode.window.tabGroups.close(panelTabs());
  });

  async function openNote(): Promise<BackpropNotesApi> {
    const extension = vscode.extensions.getExtension<BackpropNotesApi>(extensionId);
    assert.ok(extension, `${extensionId} is not loaded`);
    const api = await extension.activate();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder is open');
    const uri = vscode.Uri.joinPath(folder.uri, 'two-layer-network.md');
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    const line = document
      .getText()
      .split('\n')
      .findIndex((l) => /^Z1 = /.test(l));
    assert.ok(line >= 0, 'no Z1 line in the sample');
    editor.selection = new vscode.Selection(line, 0, line, 0);
    return api;
  }

  /** Explain Backprop in a new panel; resolves with the ms to its first drawn explanation. */
  async function explainInNewPanel(api: BackpropNotesApi): Promise<number> {
    assert.equal(panelTabs().length, 0, 'the panel is closed before');
    const since = api.renderCount();
    const started = Date.now();
    await vscode.commands.executeCommand(commandIds.explainBackprop);
    const render = await api.waitForRender((m) => m.what === 'explanation', {
      since,
      timeoutMs: hangMs,
    });
    assert.equal(render.errors, 0, 'the sample explains without errors');
    assert.equal(render.leaf, 'W1');
    return Date.now() - started;
  }

  async function closePanel(): Promise<void> {
    await vscode.window.tabGroups.close(panelTabs());
    await waitFor(() => panelTabs().length === 0, 'the panel to close');
  }

  it('draws an explanation each of 3 times it is closed right after drawing and opened again', async () => {
    const api = await openNote();
    await closePanel();
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      times.push(await explainInNewPanel(api));
      await closePanel(); // at once: whatever the webview still loads is cut off
    }
    console.log(`panel-reopen: new panel → explanation drawn: ${times.join(', ')} ms`);
  });
});
