// Extension-host tests of Backprop Notes: they run inside a real VS Code (1.100.3) with the real
// `vscode` API, the extension loaded as development extension, on a fresh copy of samples/.
// Declared in order: the first checks that nothing activated the extension yet.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BackpropNotesApi } from '../../../src/extension/extension';
import {
  commandIds,
  explanationViewType,
  extensionId,
  modelSpecLanguageId,
} from '../../../src/extension/ids';
import type { RenderedMessage } from '../../../src/protocol';
import { describe, it, waitFor } from './runner';
import { panelTabs, sampleUri } from './helpers';

/** Opens a document in the first column with the cursor on the first line matching `line`. */
async function openAt(uri: vscode.Uri, line: RegExp): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
  const index = document
    .getText()
    .split('\n')
    .findIndex((l) => line.test(l));
  assert.ok(index >= 0, `no line matching ${line} in ${uri.path}`);
  const position = new vscode.Position(index, 0);
  editor.selection = new vscode.Selection(position, position);
  return editor;
}

describe('Backprop Notes in the extension host', () => {
  let extension: vscode.Extension<BackpropNotesApi>;
  let api: BackpropNotesApi;

  /** Runs Explain Backprop and waits for the webview to draw its answer. */
  async function explainAndRender(): Promise<RenderedMessage> {
    const since = api.renderCount();
    await vscode.commands.executeCommand(commandIds.explainBackprop);
    return api.waitForRender(() => true, { since, timeoutMs: 30_000 });
  }

  it('is not active before it is used (lazy activation)', () => {
    const found = vscode.extensions.getExtension<BackpropNotesApi>(extensionId);
    assert.ok(found, `${extensionId} is not loaded as a development extension`);
    extension = found;
    // VS Code's Markdown extension activates every extension that contributes
    // `markdown.markdownItPlugins` when it starts itself (to collect the preview's plugins), so
    // once it runs, so do we (activate() starts no worker). Nothing else may activate us.
    if (extension.isActive) {
      const markdown = vscode.extensions.getExtension('vscode.markdown-language-features');
      assert.equal(
        markdown?.isActive,
        true,
        'something other than the Markdown extension activated the extension at start-up',
      );
    }
    const events = extension.packageJSON.activationEvents as string[];
    assert.ok(!events.includes('*'), 'activationEvents has "*"');
    assert.ok(events.includes(`onWebviewPanel:${explanationViewType}`), 'no restore activation');
  });

  it('activates and returns its API', async () => {
    api = await extension.activate();
    assert.equal(extension.isActive, true);
    assert.equal(typeof api.waitForRender, 'function');
  });

  it('registers every command it contributes, under the Backprop Notes category', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = extension.packageJSON.contributes.commands as {
      command: string;
      category: string;
    }[];
    assert.deepEqual(
      contributed.map((c) => c.command).sort(),
      Object.values(commandIds).sort(),
      'package.json and ids.ts name the same commands',
    );
    for (const c of contributed) {
      assert.ok(registered.has(c.command), `${c.command} is not registered`);
      assert.equal(c.category, 'Backprop Notes');
    }
  });

  it('knows .model files as the model-spec language', async () => {
    const document = await vscode.workspace.openTextDocument(sampleUri('xor.model'));
    assert.equal(document.languageId, modelSpecLanguageId);
  });

  it('opens one panel on the two-layer sample, showing W1 with no errors', async () => {
    const editor = await openAt(sampleUri('two-layer-network.md'), /^Z1 = X @ W1/);
    const render = await explainAndRender();
    await waitFor(() => panelTabs().length === 1, 'the Explanation panel tab');
    assert.equal(render.what, 'explanation');
    assert.equal(render.errors, 0, 'the sample explains without errors');
    assert.equal(render.leaf, 'W1', 'the first param is the focus');
    const source = api.panelSource();
    assert.ok(source?.uri?.endsWith('two-layer-network.md'));
    assert.deepEqual(source?.target, { kind: 'block', line: editor.selection.active.line });
    // The editor keeps the focus: the panel opened beside it without taking it.
    assert.equal(
      vscode.window.activeTextEditor?.document.uri.path.endsWith('two-layer-network.md'),
      true,
    );
    const tab = panelTabs()[0];
    assert.equal(tab.group.viewColumn, vscode.ViewColumn.Two, 'the panel is beside the editor');
  });

  it('reuses the panel when run again', async () => {
    const render = await explainAndRender();
    assert.equal(render.what, 'explanation');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(panelTabs().length, 1);
  });

  it('draws the same explanation again when the panel is shown after being hidden', async () => {
    const last = await api.waitForRender(() => true, { since: api.renderCount() - 1 });
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor);
    const column = panelTabs()[0].group.viewColumn;
    // Cover the panel with the note in its own group: the hidden webview is destroyed…
    await vscode.window.showTextDocument(editor.document, { viewColumn: column, preview: false });
    await waitFor(() => !panelTabs()[0].isActive, 'the panel to be hidden');
    const since = api.renderCount();
    // …and loads afresh when its tab is active again.
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await waitFor(() => panelTabs()[0]?.isActive, 'the panel to be shown again');
    const again = await api.waitForRender(() => true, { since, timeoutMs: 20_000 });
    assert.equal(again.requestId, last.requestId, 'the kept explanation, not a new run');
    assert.equal(again.what, 'explanation');
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
  });

  it('updates the open panel when the note is edited, and again when the edit is undone', async () => {
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor);
    const since = api.renderCount();
    // Rename the tensor H1 uses: its statement now names an unknown tensor.
    const z1 = editor.document
      .getText()
      .split('\n')
      .findIndex((l) => l.startsWith('Z1 = '));
    await editor.edit((edit) => edit.replace(new vscode.Range(z1, 0, z1, 2), 'Q1'));
    const broken = await api.waitForRender((m) => m.errors > 0, { since, timeoutMs: 30_000 });
    assert.equal(
      broken.what,
      'explanation',
      'spec errors are drawn with the rest, not as a failure',
    );
    const again = api.renderCount();
    await vscode.commands.executeCommand('undo');
    const fixed = await api.waitForRender((m) => m.errors === 0, {
      since: again,
      timeoutMs: 30_000,
    });
    assert.equal(fixed.leaf, 'W1', 'the picked leaf survives the edits');
    assert.equal(panelTabs().length, 1);
  });

  it('explains a selection as a snippet, and a snippet with an error does not throw', async () => {
    const editor = await openAt(sampleUri('two-layer-network.md'), /^H1 = relu\(Z1\)/);
    const start = editor.selection.start;
    editor.selection = new vscode.Selection(start, start.translate(0, 'H1 = relu(Z1)'.length));
    const render = await explainAndRender();
    assert.equal(render.what, 'explanation');
    assert.ok(render.errors > 0, 'Z1 is unknown inside the snippet');
    const source = api.panelSource();
    assert.equal((source?.target as { kind: string }).kind, 'selection');
  });

  it('explains a broken .model file without throwing, showing its errors', async () => {
    const document = await vscode.workspace.openTextDocument({
      language: modelSpecLanguageId,
      content: 'param W = randn(2, 3, seed=1)\nloss L = sum(W @ V)\n',
    });
    await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    const render = await explainAndRender();
    assert.equal(render.what, 'explanation');
    assert.ok(render.errors >= 1);
    assert.equal(panelTabs().length, 1);
  });

  it('says what to do, without a panel change, on a note with no model block', async () => {
    const document = await vscode.workspace.openTextDocument({
      language: 'markdown',
      content: '# Just prose\n\nNo model here.\n',
    });
    await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    const before = api.panelSource();
    await vscode.commands.executeCommand(commandIds.explainBackprop); // must not throw
    assert.deepEqual(api.panelSource(), before);
  });

  it('closes with its panel and reopens on the next command', async () => {
    const tab = panelTabs()[0];
    assert.ok(tab);
    await vscode.window.tabGroups.close(tab);
    await waitFor(() => panelTabs().length === 0, 'the panel to close');
    assert.equal(api.panelSource(), null);
    await openAt(sampleUri('xor.model'), /./);
    const render = await explainAndRender();
    assert.equal(render.what, 'explanation');
    await waitFor(() => panelTabs().length === 1, 'a new panel');
  });
});
