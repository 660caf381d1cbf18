// Extension-host tests of workspaces (issue 7, goal 6): the extension declares untrusted and
// virtual workspaces supported — nothing in a note runs as code, and it reads notes only through
// VS Code's documents — and a note on a virtual file system (a FileSystemProvider of this test's
// own, scheme `bnmemfs`, holding a copy of samples/two-layer-network.md) gets everything a note on
// disk gets: live diagnostics and previews, hovers, CodeLens, Explain Backprop, Check Gradients,
// without a byte of it written back.
//
// Restricted Mode itself cannot be shown here: the harness starts VS Code with
// --disable-workspace-trust (every folder is trusted). What a restricted window would do with the
// extension is decided by the manifest's `capabilities`, checked here and in package.test.ts.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CheckGradientsResult } from '../../../src/extension/check-gradients';
import type { BackpropNotesApi } from '../../../src/extension/extension';
import { commandIds, explanationViewType, extensionId } from '../../../src/extension/ids';
import { after, before, describe, it, waitFor } from './runner';
import { codeOf, lineOf, ours } from './helpers';

const SCHEME = 'bnmemfs';
const SAMPLE = 'two-layer-network.md';

/** A file system in memory: files only under one folder, and a count of writes. */
class MemoryFileSystem implements vscode.FileSystemProvider {
  readonly files = new Map<string, { data: Uint8Array; mtime: number }>();
  writes = 0;
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const file = this.files.get(uri.path);
    if (file) {
      return { type: vscode.FileType.File, ctime: 0, mtime: file.mtime, size: file.data.length };
    }
    if ([...this.files.keys()].some((p) => p.startsWith(`${uri.path.replace(/\/$/, '')}/`))) {
      return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
    }
    throw vscode.FileSystemError.FileNotFound(uri);
  }

  readDirectory(uri: vscode.Uri): [string, vscode.FileType][] {
    const prefix = `${uri.path.replace(/\/$/, '')}/`;
    return [...this.files.keys()]
      .filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/'))
      .map((p) => [p.slice(prefix.length), vscode.FileType.File]);
  }

  readFile(uri: vscode.Uri): Uint8Array {
    const file = this.files.get(uri.path);
    if (!file) throw vscode.FileSystemError.FileNotFound(uri);
    return file.data;
  }

  writeFile(uri: vscode.Uri, content: Uint8Array): void {
    this.writes++;
    this.files.set(uri.path, { data: content, mtime: Date.now() });
    this.changed.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
}

describe('Workspaces: trust declared, a note on a virtual file system', () => {
  const memfs = new MemoryFileSystem();
  const uri = vscode.Uri.from({ scheme: SCHEME, path: `/notes/${SAMPLE}` });
  let registration: vscode.Disposable;
  let api: BackpropNotesApi;
  let document: vscode.TextDocument;
  let original: Uint8Array;

  before(async () => {
    const extension = vscode.extensions.getExtension<BackpropNotesApi>(extensionId);
    assert.ok(extension);
    api = await extension.activate();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder is open');
    original = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, SAMPLE));
    memfs.files.set(uri.path, { data: original, mtime: Date.now() });
    registration = vscode.workspace.registerFileSystemProvider(SCHEME, memfs, {
      isCaseSensitive: true,
    });
  });

  after(async () => {
    const panels = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter(
        (t) =>
          (t.input instanceof vscode.TabInputWebview &&
            t.input.viewType.endsWith(explanationViewType)) ||
          (t.input instanceof vscode.TabInputText && t.input.uri.scheme === SCHEME),
      );
    await vscode.window.tabGroups.close(panels);
    registration?.dispose();
  });

  it('the manifest declares virtual workspaces, and Restricted Mode with the limits kept to the user', () => {
    const extension = vscode.extensions.getExtension(extensionId);
    assert.ok(extension);
    const { capabilities } = extension.packageJSON as {
      capabilities: {
        untrustedWorkspaces: {
          supported: unknown;
          description: string;
          restrictedConfigurations: string[];
        };
        virtualWorkspaces: unknown;
      };
    };
    assert.equal(capabilities.virtualWorkspaces, true);
    const untrusted = capabilities.untrustedWorkspaces;
    assert.equal(untrusted.supported, 'limited');
    assert.match(untrusted.description, /Restricted Mode/, 'the description, localized');
    // Each restricted key is a setting VS Code knows (a typo would restrict nothing).
    const config = vscode.workspace.getConfiguration();
    for (const key of untrusted.restrictedConfigurations) {
      assert.notEqual(config.inspect(key)?.defaultValue, undefined, `${key} is a setting`);
    }
    assert.equal(vscode.workspace.isTrusted, true, 'the harness trusts its folder');
  });

  it('the note opens from the virtual file system as a Markdown note', async () => {
    // The workbench tells the extension host about a new provider a moment after registration
    // (as it would about GitHub Repositories', registered long before a note opens).
    await waitFor(
      () => vscode.workspace.fs.isWritableFileSystem(SCHEME) === true,
      'the extension host to know the bnmemfs provider',
    );
    document = await vscode.workspace.openTextDocument(uri);
    assert.equal(document.languageId, 'markdown');
    assert.equal(document.getText(), new TextDecoder().decode(original));
    await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
  });

  it('live insights: the diagnostics and the softmax preview of a note on disk', async () => {
    const insights = await api.liveInsights(document.uri);
    assert.ok(insights, 'the note on bnmemfs gets live insights');
    assert.deepEqual(
      insights.blocks.flatMap((b) => b.previews).map((p) => p.text),
      ['⟶ [0.96 0.04] [0.44 0.56]  Σ=1'],
    );
    await waitFor(() => ours(document.uri).length > 0, 'live diagnostics on the bnmemfs note');
    const diagnostics = ours(document.uri);
    assert.deepEqual(
      diagnostics.filter((d) => d.severity === vscode.DiagnosticSeverity.Error),
      [],
    );
    const dead = diagnostics.find((d) => codeOf(d) === 'dead-relu');
    assert.ok(dead, 'the dead-ReLU warning');
    assert.equal(dead.range.start.line, lineOf(document, 'H1 = relu(Z1)'));
  });

  it('hovering W1 shows its shape, statement and gradient', async () => {
    const line = lineOf(document, 'Z1 = X @ W1');
    const column = document.lineAt(line).text.indexOf('W1');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      document.uri,
      new vscode.Position(line, column + 1),
    );
    const text = hovers
      .flatMap((h) => h.contents)
      .map((c) => (typeof c === 'string' ? c : c.value))
      .join('\n');
    assert.match(text, /\*\*W1\*\* · parameter · `2×3`/);
    assert.match(text, /param W1 = randn\(2, 3, seed=1\)/);
    assert.match(text, /\*\*∂L\/∂W1\*\* · `2×3`/);
  });

  it('CodeLens above the block: Explain Backprop · Check Gradients and the loss', async () => {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      document.uri,
    );
    const fence = lineOf(document, '```model');
    const mine = ['Explain Backprop', 'Check Gradients', 'L = 0.3054'];
    assert.deepEqual(
      lenses
        .filter((l) => l.range.start.line === fence && mine.includes(l.command?.title ?? ''))
        .map((l) => l.command?.title),
      mine,
    );
  });

  it('Explain Backprop: the panel opens on the note and draws its explanation, no error', async () => {
    const since = api.renderCount();
    const line = lineOf(document, 'P  = softmax');
    await vscode.commands.executeCommand(commandIds.explainBackprop, document.uri, line);
    const shown = await api.waitForRender(() => true, { since, timeoutMs: 30_000 });
    assert.equal(shown.what, 'explanation');
    assert.equal(shown.errors, 0);
    const source = api.panelSource()?.uri ?? '';
    assert.ok(source.startsWith(`${SCHEME}:`) && source.endsWith(SAMPLE), source);
  });

  it('Check Gradients: five good checks in the Problems panel', async () => {
    const result = await vscode.commands.executeCommand<CheckGradientsResult | undefined>(
      commandIds.checkGradients,
      document.uri,
    );
    assert.ok(result, 'the command ran');
    assert.equal(result.uri, document.uri.toString());
    const checks = ours(document.uri).filter((d) => codeOf(d) === 'gradient-check');
    assert.deepEqual(checks.map((d) => document.getText(d.range)).sort(), [
      'W1',
      'W2',
      'X',
      'b1',
      'b2',
    ]);
    for (const d of checks.filter((c) => document.getText(c.range) !== 'X')) {
      assert.equal(d.severity, vscode.DiagnosticSeverity.Information, d.message);
    }
  });

  it('nothing was written to the virtual file system; the note is byte for byte the same', () => {
    assert.equal(memfs.writes, 0);
    assert.deepEqual(memfs.files.get(uri.path)?.data, original);
    assert.equal(document.isDirty, false);
  });
});
