// Extension-host test of the limits on what a model block may ask for (issue 7, goal 2): a
// `backpropNotes.limits.*` setting in the workspace configuration reaches the engine worker, and
// a block over it gets an error that names the setting — live in the editor and in Explain
// Backprop. Runs after insights.host.ts (name order), on the same fresh copy of samples/.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BackpropNotesApi } from '../../../src/extension/extension';
import { commandIds, extensionId } from '../../../src/extension/ids';
import type { RenderedMessage } from '../../../src/protocol';
import { describe, it, waitFor } from './runner';
import { codeOf, sampleUri } from './helpers';

/** This extension's `limit` diagnostics of a document. */
function limitErrors(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === 'Backprop Notes' && codeOf(d) === 'limit');
}

describe('Limits: a block over a backpropNotes.limits setting gets an error naming it', () => {
  it('limits.maxElements set low in the workspace: the live error and Explain Backprop obey and name it; restored after', async () => {
    const extension = vscode.extensions.getExtension<BackpropNotesApi>(extensionId);
    assert.ok(extension);
    const api = await extension.activate();
    const document = await vscode.workspace.openTextDocument(sampleUri('two-layer-network.md'));
    const editor = await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    const w1Line = document
      .getText()
      .split('\n')
      .findIndex((l) => l.startsWith('param  W1'));
    assert.ok(w1Line >= 0);
    editor.selection = new vscode.Selection(w1Line, 0, w1Line, 0);
    const explain = async (): Promise<RenderedMessage> => {
      const since = api.renderCount();
      await vscode.commands.executeCommand(commandIds.explainBackprop);
      return api.waitForRender(() => true, { since, timeoutMs: 30_000 });
    };
    assert.equal(limitErrors(document.uri).length, 0, 'no limit error before the setting');

    const config = vscode.workspace.getConfiguration('backpropNotes');
    const target = vscode.ConfigurationTarget.Workspace;
    // W1 = randn(2, 3) holds 6 values: over 4.
    await config.update('limits.maxElements', 4, target);
    try {
      const [error] = await waitFor(() => {
        const found = limitErrors(document.uri);
        return found.length > 0 ? found : undefined;
      }, 'a live limit error after the setting changed');
      assert.equal(error.severity, vscode.DiagnosticSeverity.Error);
      assert.equal(error.range.start.line, w1Line, 'at randn(2, 3, seed=1)');
      assert.equal(
        document.getText(error.range),
        'randn(2, 3, seed=1)',
        'the range is the call that asked for the tensor',
      );
      assert.match(error.message, /would hold 6 values, over the limit of 4/);
      assert.match(error.message, /\(setting backpropNotes\.limits\.maxElements\)/);
      assert.match(error.message, /raise the limit/);
      const render = await explain();
      assert.equal(render.what, 'explanation');
      assert.ok(render.errors >= 1, 'Explain Backprop lists the limit error');
    } finally {
      await config.update('limits.maxElements', undefined, target);
    }
    await waitFor(
      () => limitErrors(document.uri).length === 0,
      'the limit error to go once the setting is removed',
    );
    const render = await explain();
    assert.equal(render.errors, 0, 'the sample explains again without errors');
  });
});
