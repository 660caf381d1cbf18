// Issue 7, goal 7 (data safety), in the extension host: the user's notes are never changed except
// by an explicit insert command, each one undo step, and an insert that cannot be made leaves the
// note as it was.
//
// - Every command package.json contributes is run on every sample (each block of each note);
//   afterwards every sample's text, version, dirty state and bytes on disk are as they were.
//   A command added to package.json without a line in `readOnlyRuns`/`inserts` fails the test.
// - Insert Derivation on every block that has a gradient and Write Trained Values: each changes
//   the note, and one Undo gives it back byte for byte.
// - New Study Note opens a new untitled note and touches no sample.
// - Refused inserts leave the note alone: a block with an error, an unknown tensor, a note that
//   is not Markdown, and a note edited while the derivation was asked for (or since training).
//
// It runs first of the host suites (files run in name order) on the fresh copy of samples/, and
// leaves the extension's state as it found it (previews toggled twice, editors closed unchanged).
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BackpropNotesApi } from '../../../src/extension/extension';
import { commandIds, extensionId } from '../../../src/extension/ids';
import type { TrainingRun } from '../../../src/protocol';
import { after, before, describe, it, waitFor } from './runner';

interface Sample {
  readonly name: string;
  readonly uri: vscode.Uri;
  /** The bytes on disk before any command ran. */
  readonly bytes: Uint8Array;
  /** 0-based first content line of each ```model block (Markdown), or [0] for a whole file. */
  readonly blocks: readonly number[];
}

function folder(): vscode.Uri {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'no workspace folder is open');
  return f.uri;
}

/** Content lines of the ```model / ~~~model fences of a Markdown note. */
function blockLines(text: string): number[] {
  const lines = text.split('\n');
  return lines.flatMap((l, i) => (/^ {0,3}(`{3,}|~{3,})\s*model\b/.test(l) ? [i + 1] : []));
}

async function show(uri: vscode.Uri): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(document, vscode.ViewColumn.One);
}

/** Undo in the note's editor (undo acts on the active editor), waiting for `expected`. */
async function undoTo(document: vscode.TextDocument, expected: string): Promise<void> {
  await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
  await vscode.commands.executeCommand('undo');
  await waitFor(() => document.getText() === expected, 'one undo to restore the note', 5_000);
}

/** Closes the active editor, throwing its changes away (an untitled document of our own). */
async function discardActive(document: vscode.TextDocument): Promise<void> {
  await vscode.window.showTextDocument(document);
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
}

/**
 * Runs Insert Derivation without a tensor, so it asks which one, and answers with the first
 * offered (the block's focus) once the pick is there. `meanwhile` runs while the question is open.
 */
async function insertFirstOffered(
  uri: vscode.Uri,
  line: number,
  meanwhile?: () => Promise<void>,
): Promise<boolean> {
  let settled = false;
  const pending = vscode.commands.executeCommand<boolean>(
    commandIds.insertDerivation,
    uri,
    line,
    undefined,
    true,
  );
  void pending.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  await meanwhile?.();
  const deadline = Date.now() + 15_000;
  while (!settled && Date.now() < deadline) {
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (!settled) {
    // Never hang the suite: dismissing the question makes the command return.
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    throw new Error('Insert Derivation’s question could not be answered');
  }
  return pending;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

describe('Data safety: commands never change a note unasked', () => {
  let api: BackpropNotesApi;
  const samples: Sample[] = [];
  /** Each sample's document text and version before the commands. */
  const texts = new Map<string, { text: string; version: number; dirty: boolean }>();

  /** The user's files.autoSave before the suite (restored after). */
  let autoSave: string | undefined;

  before(async () => {
    // VS Code for the Web (this harness) saves 1 s after an edit by default; the desktop does not.
    // Off, so that what is on disk tells whether anything was saved (and an insert followed by its
    // undo is not written twice).
    const files = vscode.workspace.getConfiguration('files');
    autoSave = files.inspect<string>('autoSave')?.globalValue;
    await files.update('autoSave', 'off', vscode.ConfigurationTarget.Global);
    const extension = vscode.extensions.getExtension<BackpropNotesApi>(extensionId);
    assert.ok(extension);
    api = await extension.activate();
    const entries = await vscode.workspace.fs.readDirectory(folder());
    for (const [name, type] of entries.sort(([a], [b]) => a.localeCompare(b))) {
      if (type !== vscode.FileType.File || !/\.(md|model|py)$/.test(name)) continue;
      const uri = vscode.Uri.joinPath(folder(), name);
      const bytes = await vscode.workspace.fs.readFile(uri);
      const text = new TextDecoder().decode(bytes);
      const blocks = name.endsWith('.md') ? blockLines(text) : [0];
      samples.push({ name, uri, bytes, blocks });
    }
    assert.deepEqual(
      samples.map((s) => s.name),
      ['activations.md', 'numpy-forward.py', 'softmax.md', 'two-layer-network.md', 'xor.model'],
    );
    for (const s of samples) {
      const document = await vscode.workspace.openTextDocument(s.uri);
      texts.set(s.name, {
        text: document.getText(),
        version: document.version,
        dirty: document.isDirty,
      });
    }
  });

  after(async () => {
    await vscode.commands.executeCommand(commandIds.stopTraining);
    await vscode.workspace
      .getConfiguration('files')
      .update('autoSave', autoSave, vscode.ConfigurationTarget.Global);
  });

  /** Every sample as it was: text, version, dirty state, and its bytes on disk. */
  async function assertSamplesUnchanged(what: string, versions = true, disk = true): Promise<void> {
    for (const s of samples) {
      const document = await vscode.workspace.openTextDocument(s.uri);
      const was = texts.get(s.name)!;
      assert.equal(document.getText(), was.text, `${what}: ${s.name}'s text changed`);
      if (versions) {
        assert.equal(document.version, was.version, `${what}: ${s.name} was edited (and reverted)`);
      }
      assert.equal(document.isDirty, was.dirty, `${what}: ${s.name}'s dirty state changed`);
      if (!disk) continue;
      const bytes = await vscode.workspace.fs.readFile(s.uri);
      if (!sameBytes(bytes, s.bytes)) {
        const now = new TextDecoder().decode(bytes);
        const at = [...now].findIndex((c, i) => c !== was.text[i]);
        assert.fail(
          `${what}: ${s.name} changed on disk (${s.bytes.length} → ${bytes.length} bytes; ` +
            `first difference at ${at}: ${JSON.stringify(now.slice(Math.max(0, at - 20), at + 60))})`,
        );
      }
    }
  }

  it(
    'every contributed command, on every block of every sample, leaves every sample byte for byte',
    async () => {
      const extension = vscode.extensions.getExtension<BackpropNotesApi>(extensionId)!;
      const contributed = (extension.packageJSON.contributes.commands as { command: string }[]).map(
        (c) => c.command,
      );
      const exportAndDiscard = async (command: string, s: Sample, line: number) => {
        const program = await vscode.commands.executeCommand<vscode.TextDocument | undefined>(
          command,
          s.uri,
          line,
        );
        if (program) {
          assert.equal(program.isUntitled, true, 'an export opens a new document');
          await discardActive(program);
        }
      };
      /**
       * How each command is run on one block (its arguments answer its questions): on every
       * block, on the first one, or on the first one with a loss (where Train is offered).
       */
      const runs: Record<
        string,
        {
          on?: 'first' | 'loss' | 'once' | 'before';
          run: (s: Sample, line: number) => Promise<void>;
        }
      > = {
        [commandIds.explainBackprop]: {
          run: async (s, line) => {
            await vscode.commands.executeCommand(commandIds.explainBackprop, s.uri, line);
          },
        },
        // An editor each (opened, then thrown away): the first block only, and all before the
        // panel opens (each editor beside it would hide it, and showing it again redraws it).
        [commandIds.exportPyTorch]: {
          on: 'before',
          run: (s, line) => exportAndDiscard(commandIds.exportPyTorch, s, line),
        },
        [commandIds.exportNumPy]: {
          on: 'before',
          run: (s, line) => exportAndDiscard(commandIds.exportNumPy, s, line),
        },
        // A few steps (given: no question); not written.
        [commandIds.train]: {
          on: 'loss',
          run: async (s, line) => {
            const run = await vscode.commands.executeCommand<TrainingRun | null>(
              commandIds.train,
              s.uri,
              line,
              { learningRate: 0.01, steps: 5 },
            );
            assert.equal(run?.status, 'done', `Train on ${s.name}:${line + 1}`);
            assert.equal(run?.applied, false);
          },
        },
        [commandIds.checkGradients]: {
          on: 'first',
          run: async (s) => {
            await vscode.commands.executeCommand(commandIds.checkGradients, s.uri);
          },
        },
        [commandIds.showLog]: {
          on: 'once',
          run: async () => {
            await vscode.commands.executeCommand(commandIds.showLog);
          },
        },
        // Twice: the setting ends as it was (a setting, not the note's: once, for time).
        [commandIds.togglePreviews]: {
          on: 'once',
          run: async () => {
            await vscode.commands.executeCommand(commandIds.togglePreviews);
            await vscode.commands.executeCommand(commandIds.togglePreviews);
          },
        },
        [commandIds.stopTraining]: {
          on: 'once',
          run: async () => {
            await vscode.commands.executeCommand(commandIds.stopTraining);
          },
        },
      };
      // The explicit inserts (their own tests below: Write Trained Values writes what the Train
      // runs here computed, when asked) and New Study Note (a new document; below).
      const elsewhere = new Set<string>([
        commandIds.insertDerivation,
        commandIds.applyTraining,
        commandIds.newStudyNote,
      ]);
      const uncovered = contributed.filter((c) => !(c in runs) && !elsewhere.has(c));
      assert.deepEqual(uncovered, [], 'commands this test does not run yet: add them');
      assert.ok(contributed.length >= 11, `${contributed.length} commands`);

      // Before any training run there is nothing to write: refused, nothing changes.
      assert.equal(await vscode.commands.executeCommand(commandIds.applyTraining), false);
      await assertSamplesUnchanged('Write Trained Values with no run');
      let count = 0;
      const started = Date.now();
      const spent = new Map<string, number>();
      for (const [command, how] of Object.entries(runs)) {
        if (how.on !== 'before') continue;
        const t0 = Date.now();
        for (const s of samples) {
          await how.run(s, s.blocks[0]);
          count++;
        }
        await assertSamplesUnchanged(command);
        spent.set(command, Date.now() - t0);
      }
      for (const s of samples) {
        const since = api.renderCount();
        const text = texts.get(s.name)!.text;
        const withLoss = s.blocks.filter((line) => {
          const body = s.name.endsWith('.md')
            ? text
                .split('\n')
                .slice(line)
                .join('\n')
                .split(/^ {0,3}(?:```|~~~)/m)[0]
            : text;
          return /^[ \t]*loss[ \t]+\w+[ \t]*=/m.test(body);
        });
        // With the note active and the cursor in its block, as from the palette.
        const editor = await show(s.uri);
        editor.selection = new vscode.Selection(s.blocks[0], 0, s.blocks[0], 0);
        // The palette form (no arguments) of Explain Backprop.
        await vscode.commands.executeCommand(commandIds.explainBackprop);
        for (const [command, how] of Object.entries(runs)) {
          const t0 = Date.now();
          const lines =
            how.on === 'before'
              ? []
              : how.on === 'once'
                ? s === samples[0]
                  ? [s.blocks[0]]
                  : []
                : how.on === 'first'
                  ? [s.blocks[0]]
                  : how.on === 'loss'
                    ? withLoss.slice(0, 1)
                    : s.blocks;
          for (const line of lines) {
            await how.run(s, line);
            count++;
          }
          await assertSamplesUnchanged(`${command} on ${s.name}`, true, false);
          spent.set(command, (spent.get(command) ?? 0) + Date.now() - t0);
        }
        await assertSamplesUnchanged(`the commands on ${s.name}`);
        console.log(`    ${s.name}: ${Date.now() - started} ms so far`);
        // Explain Backprop drew this note (the exports' editors may hide the panel meanwhile).
        await api.waitForRender(() => true, { since, timeoutMs: 30_000 });
      }
      const times = [...spent].map(([c, ms]) => `${c.replace('backpropNotes.', '')} ${ms}`);
      console.log(
        `    ${count} command runs on ${samples.length} samples in ${Date.now() - started} ms, ` +
          `no byte changed (ms per command: ${times.join(', ')})`,
      );
    },
    { timeout: 90_000 },
  );

  it('New Study Note opens a new untitled note and changes no sample', async () => {
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>(commandIds.newStudyNote);
    assert.ok(editor);
    assert.equal(editor.document.isUntitled, true);
    assert.match(editor.document.getText(), /```model/);
    await discardActive(editor.document);
    await assertSamplesUnchanged('New Study Note');
    const entries = await vscode.workspace.fs.readDirectory(folder());
    assert.equal(
      entries.filter(([, t]) => t === vscode.FileType.File).length,
      samples.length,
      'no file was created in the workspace',
    );
  });

  it('Insert Derivation on every block with a gradient: one undo step each, byte for byte', async () => {
    let inserted = 0;
    for (const s of samples.filter((x) => x.name.endsWith('.md'))) {
      const editor = await show(s.uri);
      const document = editor.document;
      const was = texts.get(s.name)!;
      for (const line of s.blocks) {
        // The first tensor the command offers (the block's focus).
        const result = await insertFirstOffered(s.uri, line);
        if (!result) {
          assert.equal(document.getText(), was.text, `${s.name}:${line + 1} refused, unchanged`);
          continue;
        }
        inserted++;
        const after = document.getText();
        assert.ok(after.length > was.text.length && after.includes('Derivation of'));
        // Only added: the text before and after the insertion point is the note's own.
        let prefix = 0;
        while (prefix < was.text.length && after[prefix] === was.text[prefix]) prefix++;
        const added = after.length - was.text.length;
        assert.equal(after.slice(prefix + added), was.text.slice(prefix), 'nothing else changed');
        await undoTo(document, was.text);
        assert.equal(document.isDirty, was.dirty);
      }
    }
    assert.ok(inserted >= 4, `${inserted} derivations inserted`);
    await assertSamplesUnchanged('Insert Derivation and Undo', false);
  });

  it('an Insert Derivation that cannot be made leaves the note as it was', async () => {
    // A block with an error, and a tensor that is not in the block.
    const broken = await vscode.workspace.openTextDocument({
      language: 'markdown',
      content: '# broken\n\n```model\nparam W = [[1.0, 2.0]]\nloss L = sum(W * <)\n```\n',
    });
    await vscode.window.showTextDocument(broken);
    const brokenText = broken.getText();
    assert.equal(
      await vscode.commands.executeCommand(commandIds.insertDerivation, broken.uri, 3, 'W', true),
      false,
    );
    assert.equal(await insertFirstOffered(broken.uri, 3), false);
    assert.equal(broken.getText(), brokenText);
    await discardActive(broken);
    const note = sampleUri('two-layer-network.md');
    const noteDocument = await vscode.workspace.openTextDocument(note);
    const versionBefore = noteDocument.version;
    const line = samples.find((s) => s.name === 'two-layer-network.md')!.blocks[0];
    assert.equal(
      await vscode.commands.executeCommand(commandIds.insertDerivation, note, line, 'nope', true),
      false,
    );
    // Not Markdown: nowhere to write a derivation.
    assert.equal(
      await vscode.commands.executeCommand(
        commandIds.insertDerivation,
        sampleUri('xor.model'),
        0,
        'W1',
        true,
      ),
      false,
    );
    // Not even an edit that was taken back (earlier tests' inserts and undos moved the versions).
    assert.equal(noteDocument.version, versionBefore);
    await assertSamplesUnchanged('refused inserts', false);
  });

  it('a note edited while Insert Derivation waits is left with the edit only (version check)', async () => {
    const uri = sampleUri('two-layer-network.md');
    const editor = await show(uri);
    const document = editor.document;
    const was = texts.get('two-layer-network.md')!;
    const line = samples.find((s) => s.name === 'two-layer-network.md')!.blocks[0];
    // No tensor given: the command asks which one; the user types while the question is open,
    // then picks.
    let edited = '';
    const inserted = await insertFirstOffered(uri, line, async () => {
      const end = document.lineAt(document.lineCount - 1).range.end;
      assert.ok(await editor.edit((e) => e.insert(end, '\nan edit of my own\n')));
      edited = document.getText();
    });
    assert.equal(inserted, false, 'the insert is refused');
    assert.equal(document.getText(), edited, 'the note holds the user’s edit and nothing else');
    await undoTo(document, was.text);
    await assertSamplesUnchanged('the refused insert', false);
  });

  it(
    'Write Trained Values: one undo step; refused after an edit since training',
    async () => {
      const uri = sampleUri('xor.model');
      const editor = await show(uri);
      const document = editor.document;
      const was = texts.get('xor.model')!;
      const train = () =>
        vscode.commands.executeCommand<TrainingRun | null>(commandIds.train, uri, 0, {
          learningRate: 1,
          steps: 50,
        });
      let run = await train();
      assert.equal(run?.status, 'done');
      assert.equal(document.getText(), was.text, 'training alone writes nothing');
      // An edit after training: the values would land in the wrong places, so none are written.
      assert.ok(await editor.edit((e) => e.insert(new vscode.Position(0, 0), '# my edit\n')));
      const edited = document.getText();
      assert.equal(await vscode.commands.executeCommand(commandIds.applyTraining), false);
      assert.equal(document.getText(), edited);
      await undoTo(document, was.text);
      // Trained again on the note as it is: written in one edit, taken out by one Undo.
      run = await train();
      assert.equal(run?.status, 'done');
      assert.equal(await vscode.commands.executeCommand(commandIds.applyTraining), true);
      assert.notEqual(document.getText(), was.text);
      await undoTo(document, was.text);
      assert.equal(document.isDirty, was.dirty);
      await assertSamplesUnchanged('Write Trained Values and Undo', false);
    },
    { timeout: 60_000 },
  );
});

function sampleUri(name: string): vscode.Uri {
  return vscode.Uri.joinPath(folder(), name);
}
