/**
 * **Backprop Notes: Export as PyTorch** and **Export as NumPy**: the model block under the cursor
 * (or the selection, or the `.model` file; a CodeLens names its block) as a runnable Python
 * program, opened in a new untitled Python editor beside the note.
 *
 * The program is written in the engine worker (src/render/export-request.ts), never here: the
 * host bundle carries no engine code. A worker of its own, started on first use, so an export
 * never cancels an explanation or a live preview, nor is cancelled by one.
 *
 * Both commands resolve to the opened document (undefined when nothing was exported), so tests
 * and other extensions can read the program.
 */
import * as vscode from 'vscode';
import { l10n } from 'vscode';
import type { ExplainTarget } from '../protocol';
import type { ExportQuery, ExportResponse } from '../render/export-request';
import { findModelFences } from '../spec/sources';
import { EngineClient } from './engine-client';
import { commandIds, noteSelector } from './ids';
import { pickTarget, resolveTarget } from './target';
import type { WorkerTroubleNotice } from './worker-trouble';

type ExportOk = Extract<ExportResponse, { ok: true }>;
type Target = ExportQuery['to'];

export interface ExportCommandsOptions {
  /** The engine worker (dist/worker.js, or its URL on the web). */
  readonly workerPath: string;
  readonly timeLimitMs: () => number;
  readonly log: vscode.LogOutputChannel;
  /** Tells the user when the worker crashed or got stuck on an export (the one notice). */
  readonly trouble: WorkerTroubleNotice;
}

export function registerExportCommands(options: ExportCommandsOptions): vscode.Disposable {
  let client: EngineClient<ExportQuery, ExportOk> | undefined;
  const engine = () =>
    (client ??= new EngineClient<ExportQuery, ExportOk>({
      workerPath: options.workerPath,
      timeLimitMs: options.timeLimitMs,
      log: (line) => options.log.info(`export: ${line}`),
      // A crash or a stuck run is told with the failed export below (outcome.trouble); the
      // client restarts the worker for the next export by itself.
    }));

  async function exportProgram(
    to: Target,
    uriArg?: unknown,
    lineArg?: unknown,
  ): Promise<vscode.TextDocument | undefined> {
    const found = await findTarget(uriArg, lineArg);
    if (!found) return undefined;
    const { document, target } = found;
    const resolved = resolveTarget(
      { text: document.getText(), languageId: document.languageId, fileName: document.fileName },
      target,
    );
    if ('error' in resolved) {
      void vscode.window.showWarningMessage(resolved.error);
      return undefined;
    }
    const source = document.isUntitled
      ? document.uri.path
      : vscode.workspace.asRelativePath(document.uri, false);
    const outcome = await engine().run({
      type: 'export',
      to,
      text: resolved.text,
      kind: resolved.kind,
      origin: resolved.origin,
      blockIndex: resolved.blockIndex,
      source,
    });
    if (outcome.status === 'superseded') return undefined;
    if (outcome.status === 'failed' && outcome.trouble) {
      options.trouble.report('export', outcome.trouble, { asked: true });
      return undefined;
    }
    if (outcome.status === 'failed') {
      options.log.info(`export: ${to} of ${source} refused: ${outcome.message}`);
      void vscode.window.showWarningMessage(outcome.message);
      return undefined;
    }
    const program = await vscode.workspace.openTextDocument({
      language: 'python',
      content: outcome.response.program,
    });
    await vscode.window.showTextDocument(program, {
      viewColumn: vscode.ViewColumn.Beside,
      preview: false,
    });
    options.log.info(
      `export: ${to} of ${source}, block ${outcome.response.blockIndex + 1} (${program.lineCount} lines)`,
    );
    return program;
  }

  const lenses: vscode.CodeLensProvider = {
    provideCodeLenses(document) {
      const at = (fence: number, line: number): vscode.CodeLens[] => {
        const range = new vscode.Range(fence, 0, fence, 0);
        return [
          new vscode.CodeLens(range, {
            title: l10n.t('Export as PyTorch'),
            tooltip: l10n.t('Open this block as a PyTorch program in a new editor'),
            command: commandIds.exportPyTorch,
            arguments: [document.uri, line],
          }),
          new vscode.CodeLens(range, {
            title: l10n.t('Export as NumPy'),
            tooltip: l10n.t(
              'Open this block as a NumPy program, its backward pass written out, in a new editor',
            ),
            command: commandIds.exportNumPy,
            arguments: [document.uri, line],
          }),
        ];
      };
      if (document.languageId !== 'markdown') return at(0, 0);
      return findModelFences(document.getText()).flatMap((b) =>
        at(Math.max(0, b.range.start.line - 1), b.range.start.line),
      );
    },
  };

  return vscode.Disposable.from(
    vscode.commands.registerCommand(commandIds.exportPyTorch, (uri?: unknown, line?: unknown) =>
      exportProgram('pytorch', uri, line),
    ),
    vscode.commands.registerCommand(commandIds.exportNumPy, (uri?: unknown, line?: unknown) =>
      exportProgram('numpy', uri, line),
    ),
    vscode.languages.registerCodeLensProvider(noteSelector, lenses),
    { dispose: () => client?.dispose() },
  );
}

/**
 * The document and what of it to export: the note and block a CodeLens names, else the active
 * editor's selection, block under the cursor, or file (target.ts's rules, as Explain Backprop).
 */
async function findTarget(
  uriArg: unknown,
  lineArg: unknown,
): Promise<{ document: vscode.TextDocument; target: ExplainTarget } | undefined> {
  if (uriArg instanceof vscode.Uri) {
    const document = await vscode.workspace.openTextDocument(uriArg);
    const line = typeof lineArg === 'number' ? lineArg : 0;
    return {
      document,
      target: document.languageId === 'markdown' ? { kind: 'block', line } : { kind: 'file' },
    };
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage(
      l10n.t(
        'Export works on the open note: open a Markdown note with a ```model block (or a .model file), put the cursor in the block, and run it again.',
      ),
    );
    return undefined;
  }
  const document = editor.document;
  const { start, end, active } = editor.selection;
  const picked = pickTarget(
    { text: document.getText(), languageId: document.languageId, fileName: document.fileName },
    {
      start: { line: start.line, character: start.character },
      end: { line: end.line, character: end.character },
    },
    { line: active.line, character: active.character },
  );
  if ('error' in picked) {
    void vscode.window.showWarningMessage(picked.error);
    return undefined;
  }
  return { document, target: picked };
}
