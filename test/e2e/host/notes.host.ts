// Extension-host tests of the study-note features: Insert Derivation (one undoable edit), the
// Markdown preview's rendering of model blocks (through VS Code's own markdown.api.render, with
// its KaTeX), and Train (loss down on XOR, cancel stops it, write-back only when asked).
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BackpropNotesApi } from '../../../src/extension/extension';
import { commandIds, extensionId } from '../../../src/extension/ids';
import type { TrainingRun } from '../../../src/protocol';
import { after, describe, it, waitFor } from './runner';
import { sampleUri } from './helpers';

/** 0-based index of the first line matching `pattern`. */
function lineOf(document: vscode.TextDocument, pattern: RegExp): number {
  const index = document
    .getText()
    .split('\n')
    .findIndex((l) => pattern.test(l));
  assert.ok(index >= 0, `no line matching ${pattern}`);
  return index;
}

/** Shows a document and puts the cursor on its first line (undo acts on the active editor). */
async function show(uri: vscode.Uri): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(document, vscode.ViewColumn.One);
}

describe('Backprop Notes study-note features', () => {
  let api: BackpropNotesApi;

  after(async () => {
    await vscode.commands.executeCommand(commandIds.stopTraining);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Insert Derivation inserts the chain below the block, and one Undo takes it out', async () => {
    const extension = vscode.extensions.getExtension<BackpropNotesApi>(extensionId)!;
    api = await extension.activate();
    const uri = sampleUri('two-layer-network.md');
    const editor = await show(uri);
    const document = editor.document;
    const before = document.getText();
    const fence = lineOf(document, /^```model/);
    const started = Date.now();
    const inserted = await vscode.commands.executeCommand<boolean>(
      commandIds.insertDerivation,
      uri,
      fence + 1,
      'W1',
      true,
    );
    assert.equal(inserted, true);
    const after = document.getText();
    assert.notEqual(after, before);
    // Right after the closing fence: the derivation, with its $$ math.
    const lines = after.split('\n');
    const close = lines.findIndex((l, i) => i > fence && l === '```');
    assert.equal(lines[close + 1], '');
    assert.match(
      lines[close + 2],
      /^### Derivation of \$\\frac\{\\partial L\}\{\\partial W_\{1\}\}\$/,
    );
    assert.match(after, /X\^\\top \\delta_\{1\}/);
    assert.match(after, /With the numbers/);
    // Everything else is where it was.
    const added = after.length - before.length;
    assert.equal(
      after.slice(0, after.indexOf('### Derivation') - 1),
      before.slice(0, before.indexOf('```', before.indexOf('```model') + 3) + 4),
    );
    assert.ok(added > 500, `added ${added} characters`);
    console.log(`    insert derivation: ${Date.now() - started} ms (worker start included)`);
    // One undo restores the note byte for byte.
    await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('undo');
    await waitFor(() => document.getText() === before, 'the undo to restore the note', 5_000);
    assert.equal(document.getText(), before);
    // (Not its dirty flag: earlier suites edit and restore this note, and the web workbench's
    // auto-save may write it at any moment — data-safety.host.ts checks the bytes on disk.)
  });

  it('CodeLens: Insert Derivation and Train sit on the fence line, next to Explain Backprop', async () => {
    const uri = sampleUri('two-layer-network.md');
    const document = await vscode.workspace.openTextDocument(uri);
    const fence = lineOf(document, /^```model/);
    const lenses = await waitFor(async () => {
      const all = await vscode.commands.executeCommand<vscode.CodeLens[]>(
        'vscode.executeCodeLensProvider',
        uri,
      );
      return all.some((l) => l.command?.title === 'Explain Backprop') ? all : undefined;
    }, 'the CodeLens of the note');
    const onFence = lenses.filter((l) => l.range.start.line === fence).map((l) => l.command);
    const derivation = onFence.find((c) => c?.command === commandIds.insertDerivation);
    const train = onFence.find((c) => c?.command === commandIds.train);
    assert.equal(derivation?.title, 'Insert Derivation');
    assert.equal(train?.title, 'Train');
    assert.deepEqual(derivation?.arguments?.[1], fence + 1);
    // A block without a loss can be derived but not trained (activations.md's first block).
    const other = sampleUri('activations.md');
    const otherFence = lineOf(await vscode.workspace.openTextDocument(other), /^```model/);
    const otherLenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      other,
    );
    const titles = otherLenses
      .filter((l) => l.range.start.line === otherFence)
      .map((l) => l.command?.title);
    assert.ok(titles.includes('Insert Derivation'));
    assert.ok(!titles.includes('Train'));
  });

  it('Insert Derivation of the symbols only, for a computed tensor', async () => {
    const uri = sampleUri('two-layer-network.md');
    const editor = await show(uri);
    const before = editor.document.getText();
    const fence = lineOf(editor.document, /^```model/);
    assert.equal(
      await vscode.commands.executeCommand(
        commandIds.insertDerivation,
        uri,
        fence + 1,
        'Z2',
        false,
      ),
      true,
    );
    const text = editor.document.getText();
    assert.match(text, /Derivation of \$\\frac\{\\partial L\}\{\\partial Z_\{2\}\}\$/);
    assert.doesNotMatch(text, /With the numbers/);
    await vscode.commands.executeCommand('undo');
    await waitFor(() => editor.document.getText() === before, 'the undo', 5_000);
  });

  it('the Markdown preview shows each model block’s forward values and loss, with KaTeX', async () => {
    const note = new TextDecoder().decode(
      await vscode.workspace.fs.readFile(sampleUri('two-layer-network.md')),
    );
    const started = Date.now();
    const html = await vscode.commands.executeCommand<string>('markdown.api.render', note);
    console.log(`    markdown.api.render of the note: ${Date.now() - started} ms`);
    const at = html.indexOf('class="backprop-notes-preview"');
    assert.ok(at > 0, 'the model block is followed by its values');
    const preview = html.slice(at);
    // The loss, drawn by KaTeX (VS Code's markdown-math): L = 0.305406.
    assert.match(preview, /<strong>Loss:<\/strong>/);
    assert.match(preview, /class="katex/);
    assert.match(preview, /0\.305406/);
    // Forward values of P (softmax of Z2) as KaTeX matrices: its first entry, 0.9609.
    assert.match(preview, /0\.9609/);
    assert.match(preview, /Z<\/mi><mn>1<\/mn>|Z_\{1\}/);
    // The chain rule with {wrt=W1}.
    const withChain = await vscode.commands.executeCommand<string>(
      'markdown.api.render',
      note.replace('```model', '```model {wrt=W1}'),
    );
    assert.match(withChain, /Backprop to W1/);
  });

  it('Train lowers the loss on XOR; the values go into the file only when asked, in one undoable edit', async () => {
    const uri = sampleUri('xor.model');
    const editor = await show(uri);
    const before = editor.document.getText();
    const started = Date.now();
    const run = await vscode.commands.executeCommand<TrainingRun | null>(commandIds.train, uri, 0, {
      learningRate: 1,
      steps: 600,
    });
    console.log(`    train XOR 600 steps: ${Date.now() - started} ms`);
    assert.ok(run, 'the run finished');
    assert.equal(run.status, 'done');
    assert.equal(run.done, 600);
    const first = run.losses[0][1];
    assert.ok(first > 0.6, `starts near log 2: ${first}`);
    assert.ok(run.finalLoss !== null && run.finalLoss < 0.02, `trains to ${run.finalLoss}`);
    assert.deepEqual(run.params, ['W1', 'b1', 'W2', 'b2']);
    // Training alone writes nothing.
    assert.equal(editor.document.getText(), before);
    assert.equal(await vscode.commands.executeCommand(commandIds.applyTraining), true);
    const written = editor.document.getText();
    assert.notEqual(written, before);
    assert.doesNotMatch(written, /xavier\(2, 4/);
    assert.match(written, /^param\s+W1 = \[\[-?\d/m);
    assert.equal(api.training()?.applied, true);
    // The file now explains to the trained loss.
    const insights = await waitFor(
      async () => {
        const i = await api.liveInsights(uri);
        const loss = i?.blocks[0]?.lens.loss;
        return loss ? loss : undefined;
      },
      'the live loss of the trained file',
      15_000,
    );
    // The same number the run ended with: the written literals read back exactly.
    assert.equal(insights.value, run.finalLoss);
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('undo');
    await waitFor(
      () => editor.document.getText() === before,
      'one undo to restore the file',
      5_000,
    );
  });

  it('Stop Training stops a long run at once, leaving the file alone', async () => {
    const uri = sampleUri('xor.model');
    const editor = await show(uri);
    const before = editor.document.getText();
    const training = vscode.commands.executeCommand<TrainingRun | null>(commandIds.train, uri, 0, {
      learningRate: 0.1,
      steps: 1_000_000,
    });
    await waitFor(
      () => {
        const r = api.training();
        return r && r.status === 'running' && r.done > 0;
      },
      'the long run to report progress',
      20_000,
    );
    const stopAt = Date.now();
    assert.equal(await vscode.commands.executeCommand(commandIds.stopTraining), true);
    const run = await training;
    console.log(`    stop → settled: ${Date.now() - stopAt} ms`);
    assert.ok(Date.now() - stopAt < 3_000);
    assert.ok(run);
    assert.equal(run.status, 'cancelled');
    assert.ok(run.done > 0 && run.done < 1_000_000, `stopped after ${run.done} steps`);
    assert.equal(editor.document.getText(), before);
    // Nothing to write from a stopped run.
    assert.equal(await vscode.commands.executeCommand(commandIds.applyTraining), false);
  });
});
