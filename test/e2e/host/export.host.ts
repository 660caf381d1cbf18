// Extension-host tests of Export as PyTorch / Export as NumPy: each command opens the program in
// a new untitled Python editor (and resolves to it), from the block under the cursor or from the
// block a CodeLens names; a block with an error opens nothing; the note is left as it was. They
// run after extension.host.ts (files run in name order), on the same fresh copy of samples/.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BackpropNotesApi } from '../../../src/extension/extension';
import { commandIds, extensionId } from '../../../src/extension/ids';
import { before, describe, it } from './runner';
import { sampleUri } from './helpers';

/** Opens a document in the first column with the cursor on the first line starting with `prefix`. */
async function openAt(uri: vscode.Uri, prefix: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
  const line = document
    .getText()
    .split('\n')
    .findIndex((l) => l.startsWith(prefix));
  assert.ok(line >= 0, `no line starting with "${prefix}" in ${uri.path}`);
  editor.selection = new vscode.Selection(line, 0, line, 0);
  return editor;
}

/** Untitled Python documents open now. */
const untitledPython = () =>
  vscode.workspace.textDocuments.filter((d) => d.isUntitled && d.languageId === 'python');

describe('Export as PyTorch / NumPy', () => {
  before(async () => {
    const extension = vscode.extensions.getExtension<BackpropNotesApi>(extensionId);
    assert.ok(extension);
    await extension.activate();
  });

  it('contributes both commands under Backprop Notes', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(registered.has(commandIds.exportPyTorch));
    assert.ok(registered.has(commandIds.exportNumPy));
  });

  it('Export as PyTorch opens the block under the cursor as an untitled Python program', async () => {
    const editor = await openAt(sampleUri('two-layer-network.md'), 'Z2 = H1 @ W2');
    const before = editor.document.getText();
    const program = await vscode.commands.executeCommand<vscode.TextDocument | undefined>(
      commandIds.exportPyTorch,
    );
    assert.ok(program, 'the command resolved to no document');
    assert.equal(program.isUntitled, true);
    assert.equal(program.languageId, 'python');
    const text = program.getText();
    assert.match(text, /^"""two-layer network from the notes/);
    assert.ok(text.includes('Exported by Backprop Notes from two-layer-network.md (block 1).'));
    assert.ok(text.includes('W1 = torch.nn.Parameter(torch.tensor(['));
    assert.ok(text.includes('L = F.nll_loss(torch.log(P), y)'));
    assert.ok(text.includes('\nL.backward()\n'));
    assert.ok(text.includes('# optimizer = torch.optim.SGD([W1, b1, W2, b2], lr='));
    // Shown beside the note, which is unchanged.
    assert.equal(vscode.window.activeTextEditor?.document, program);
    assert.notEqual(vscode.window.activeTextEditor?.viewColumn, vscode.ViewColumn.One);
    assert.equal(editor.document.getText(), before);
    assert.equal(editor.document.isDirty, false);
  });

  it('a file whose loss is named loss exports with loss.backward()', async () => {
    await openAt(sampleUri('numpy-forward.py'), 'Z1 = ');
    const program = await vscode.commands.executeCommand<vscode.TextDocument | undefined>(
      commandIds.exportPyTorch,
    );
    assert.ok(program);
    assert.equal(program.languageId, 'python');
    assert.ok(program.getText().includes('\nloss.backward()\n'), program.getText());
  });

  it('Export as NumPy from a CodeLens exports the block it names, whatever the cursor', async () => {
    const uri = sampleUri('softmax.md');
    const document = (await openAt(uri, '# logits of 2 samples')).document;
    // The CodeLens of the third block carries the note and that block's first line.
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      uri,
    );
    const numpy = lenses.filter((l) => l.command?.command === commandIds.exportNumPy);
    const torch = lenses.filter((l) => l.command?.command === commandIds.exportPyTorch);
    assert.equal(numpy.length, 4, 'one Export as NumPy lens per block');
    assert.equal(torch.length, 4, 'one Export as PyTorch lens per block');
    const third = numpy[2].command!;
    const program = await vscode.commands.executeCommand<vscode.TextDocument | undefined>(
      third.command,
      ...(third.arguments ?? []),
    );
    assert.ok(program);
    const text = program.getText();
    assert.ok(text.includes('Exported by Backprop Notes from softmax.md (block 3).'), text);
    assert.ok(text.includes('dZ = (P - Y) / 2\n'), text);
    assert.doesNotMatch(text, /import torch/);
    assert.equal(document.isDirty, false);
  });

  it('a block with an error opens nothing (a warning says what to fix)', async () => {
    const note = await vscode.workspace.openTextDocument({
      language: 'markdown',
      content: '# Broken\n\n```model\nparam W = [[1.0, 2.0]]\nZ = W @ Q\nloss L = sum(W)\n```\n',
    });
    const editor = await vscode.window.showTextDocument(note, vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(4, 0, 4, 0);
    const count = untitledPython().length;
    const program = await vscode.commands.executeCommand<vscode.TextDocument | undefined>(
      commandIds.exportNumPy,
    );
    assert.equal(program, undefined);
    assert.equal(untitledPython().length, count, 'no new Python document');
  });
});
