/**
 * Backprop Notes: Check Gradients — every tensor with a gradient, in every model block of the
 * note (or the one block a CodeLens names), against central finite differences. One diagnostic
 * per tensor lands in the Problems panel on the line that defines it: information for good/ok,
 * warning for doubtful, error for wrong; kinks said as kinks. The results stay until the
 * document changes (then they describe other numbers) or closes.
 *
 * The check runs in a worker of its own, so typing (live insights) and the Explanation panel
 * never cancel it, nor it them.
 */
import * as vscode from 'vscode';
import { l10n } from 'vscode';
import type { CheckAnswer, InsightsQueryMessage } from '../editor-insights/requests';
import type { BlockCheck } from '../editor-insights/types';
import { diagnosticCollections } from './ids';
import { checkSettings } from './insight-settings';
import { toDiagnostic } from './live-diagnostics';
import type { InsightsEngine } from './live-insights';
import { sourceKindOf } from './target';

/** What the command resolves to (for other extensions and the tests); undefined when it could not run. */
export interface CheckGradientsResult {
  readonly uri: string;
  readonly version: number;
  readonly blocks: readonly BlockCheck[];
}

export interface CheckGradientsDependencies {
  /** The check's own worker, started on first use. */
  readonly engine: () => InsightsEngine;
  readonly log: vscode.LogOutputChannel;
  /** Called after a check, e.g. to show the Gradient check tab of an open panel on the same note. */
  readonly onChecked?: (uri: vscode.Uri, result: CheckGradientsResult) => void;
}

export class CheckGradients implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection(
    diagnosticCollections.gradientCheck,
  );
  /** Per document: each checked block's diagnostics, so checking one block keeps the others. */
  private readonly perBlock = new Map<string, Map<number, vscode.Diagnostic[]>>();
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly deps: CheckGradientsDependencies) {
    this.disposables = [
      this.collection,
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) this.clear(e.document.uri);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.clear(d.uri)),
    ];
  }

  /** The command: `uri` and `block` come from a CodeLens; from the palette, the active note. */
  async run(uri?: unknown, block?: unknown): Promise<CheckGradientsResult | undefined> {
    const document = await this.documentFor(uri instanceof vscode.Uri ? uri : undefined);
    if (!document) {
      void vscode.window.showInformationMessage(
        l10n.t(
          'Check Gradients works on the open note: open a Markdown note with a ```model block (or a .model file) and run it again.',
        ),
      );
      return undefined;
    }
    const { settings, problem } = checkSettings();
    if (problem) void vscode.window.showWarningMessage(problem);
    const kind = sourceKindOf(document.languageId, document.fileName);
    const blocks = typeof block === 'number' && Number.isInteger(block) ? [block] : null;
    const version = document.version;
    const query: InsightsQueryMessage = {
      type: 'check',
      text: document.getText(),
      kind,
      origin: { line: 0, column: 0 },
      settings,
      blocks,
    };
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: l10n.t('Checking gradients') },
      () => this.deps.engine().run(query),
    );
    if (outcome.status !== 'done') {
      if (outcome.status === 'failed') void vscode.window.showErrorMessage(outcome.message);
      return undefined;
    }
    const answer = outcome.answer as CheckAnswer;
    if (document.isClosed || document.version !== version) {
      void vscode.window.showInformationMessage(
        l10n.t(
          'The note changed while its gradients were being checked. Run Check Gradients again to check the new numbers.',
        ),
      );
      return undefined;
    }
    const key = document.uri.toString();
    const stored = this.perBlock.get(key) ?? new Map<number, vscode.Diagnostic[]>();
    if (blocks === null) stored.clear();
    for (const b of answer.blocks) stored.set(b.index, b.diagnostics.map(toDiagnostic));
    this.perBlock.set(key, stored);
    this.collection.set(document.uri, [...stored.values()].flat());
    const result: CheckGradientsResult = { uri: key, version, blocks: answer.blocks };
    this.report(document, result, answer.elapsedMs);
    this.deps.onChecked?.(document.uri, result);
    return result;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private clear(uri: vscode.Uri): void {
    if (this.perBlock.delete(uri.toString())) this.collection.delete(uri);
  }

  private report(document: vscode.TextDocument, result: CheckGradientsResult, ms: number): void {
    const checks = result.blocks.flatMap((b) => b.diagnostics);
    const name = document.uri.path.split('/').pop();
    this.deps.log.info(
      `check: ${name}: ${checks.length} tensors in ${result.blocks.length} blocks, ${ms.toFixed(0)} ms`,
    );
    if (checks.length === 0) {
      const notice = result.blocks.find((b) => b.notice)?.notice;
      void vscode.window.showInformationMessage(
        notice ??
          l10n.t('There is no model block to check. Write the network in a ```model block.'),
      );
      return;
    }
    const count = (grade: string) => checks.filter((c) => c.grade === grade).length;
    const gradeCounts: Record<string, (n: number) => string> = {
      good: (n) => l10n.t('{0} good', n),
      ok: (n) => l10n.t('{0} ok', n),
      doubtful: (n) => l10n.t('{0} doubtful', n),
      wrong: (n) => l10n.t('{0} wrong', n),
      kink: (n) => l10n.t('{0} at kinks', n),
      'not-comparable': (n) => l10n.t('{0} not comparable (NaN or ∞)', n),
    };
    const parts = Object.entries(gradeCounts)
      .map(([g, say]) => [count(g), say] as const)
      .filter(([n]) => n > 0)
      .map(([n, say]) => say(n));
    const text =
      checks.length === 1
        ? l10n.t(
            'Check Gradients: 1 tensor — {0}. Details in the Problems panel.',
            parts.join(', '),
          )
        : l10n.t(
            'Check Gradients: {0} tensors — {1}. Details in the Problems panel.',
            checks.length,
            parts.join(', '),
          );
    if (count('wrong') + count('doubtful') + count('not-comparable') > 0) {
      void vscode.window
        .showWarningMessage(text, l10n.t('Show Problems'))
        .then((c) =>
          c ? vscode.commands.executeCommand('workbench.actions.view.problems') : undefined,
        );
    } else {
      void vscode.window.setStatusBarMessage(text, 8000);
    }
  }

  private async documentFor(uri: vscode.Uri | undefined): Promise<vscode.TextDocument | undefined> {
    if (uri) {
      return (
        vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) ??
        (await vscode.workspace.openTextDocument(uri))
      );
    }
    return vscode.window.activeTextEditor?.document;
  }
}
