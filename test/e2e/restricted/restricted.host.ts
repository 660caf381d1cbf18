// Runs inside the extension host of a window in Restricted Mode (restricted-mode.test.ts): the
// folder is untrusted and its .vscode/settings.json sets backpropNotes.limits.maxElements to 5
// (a restricted setting: ignored until trusted) and previews.precision to 4 (not restricted:
// applied). The extension must work as in a trusted folder, with the user's limits.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CheckGradientsResult } from '../../../src/extension/check-gradients';
import type { BackpropNotesApi } from '../../../src/extension/extension';
import { commandIds, extensionId } from '../../../src/extension/ids';
import { before, describe, it, waitFor } from '../host/runner';

const SAMPLE = 'two-layer-network.md';

function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Backprop Notes');
}

describe('Restricted Mode', () => {
  let api: BackpropNotesApi;
  let document: vscode.TextDocument;

  before(async () => {
    const extension = vscode.extensions.getExtension<BackpropNotesApi>(extensionId);
    assert.ok(extension, 'the extension is enabled in Restricted Mode');
    api = await extension.activate();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder is open');
    document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, SAMPLE));
    await vscode.window.showTextDocument(document);
  });

  it('the folder is untrusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it("the folder's limit setting is ignored, its other settings apply", () => {
    const config = vscode.workspace.getConfiguration('backpropNotes');
    assert.equal(config.get('previews.precision'), 4, 'the folder settings are read');
    assert.equal(
      config.get('limits.maxElements'),
      config.inspect('limits.maxElements')?.defaultValue,
      'limits.maxElements: 5 from the untrusted folder is not used',
    );
  });

  it('live insights run with the user’s limits: no limit error, the preview at 4 digits', async () => {
    const insights = await api.liveInsights(document.uri);
    assert.ok(insights);
    const previews = insights.blocks.flatMap((b) => b.previews).map((p) => p.text);
    assert.equal(previews.length, 1);
    assert.match(previews[0], /^⟶ \[\d\.\d{4} \d\.\d{4}\]/);
    await waitFor(() => ours(document.uri).length > 0, 'live diagnostics');
    assert.deepEqual(
      ours(document.uri)
        .filter((d) => d.severity === vscode.DiagnosticSeverity.Error)
        .map((d) => d.message),
      [],
    );
  });

  it('Explain Backprop and Check Gradients work', async () => {
    const since = api.renderCount();
    const line = document
      .getText()
      .split('\n')
      .findIndex((l) => l.startsWith('P  = softmax'));
    await vscode.commands.executeCommand(commandIds.explainBackprop, document.uri, line);
    const shown = await api.waitForRender(() => true, { since, timeoutMs: 30_000 });
    assert.equal(shown.what, 'explanation');
    assert.equal(shown.errors, 0);
    const result = await vscode.commands.executeCommand<CheckGradientsResult | undefined>(
      commandIds.checkGradients,
      document.uri,
    );
    assert.ok(result);
    assert.equal(result.blocks[0].diagnostics.length, 5);
  });
});
