/**
 * CodeLens above every model block: **Explain Backprop · Check Gradients**, and the loss value
 * when the block has one (`L = 0.3054`), from the live insights of the document.
 */
import * as vscode from 'vscode';
import { l10n } from 'vscode';
import { commandIds, noteSelector } from './ids';
import type { LiveInsights } from './live-insights';

export function registerCodeLens(live: LiveInsights): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  const provider: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    async provideCodeLenses(document, token) {
      const insights = await live.current(document);
      if (!insights || token.isCancellationRequested) return [];
      return insights.blocks.flatMap((block) => {
        if (block.lens.line >= document.lineCount) return [];
        const range = new vscode.Range(block.lens.line, 0, block.lens.line, 0);
        const lenses = [
          new vscode.CodeLens(range, {
            title: l10n.t('Explain Backprop'),
            tooltip: l10n.t('Explain this block’s backward pass in the Explanation panel'),
            command: commandIds.explainBackprop,
            arguments: [document.uri, block.range.start.line],
          }),
          new vscode.CodeLens(range, {
            title: l10n.t('Check Gradients'),
            tooltip: l10n.t('Compare every gradient of this block with finite differences'),
            command: commandIds.checkGradients,
            arguments: [document.uri, block.index],
          }),
        ];
        if (block.lens.loss) {
          // No command: a lens with an empty one is shown as plain text.
          lenses.push(
            new vscode.CodeLens(range, {
              title: block.lens.loss.text,
              tooltip: l10n.t(
                'The loss {0} for the numbers written in the block',
                block.lens.loss.name,
              ),
              command: '',
            }),
          );
        }
        return lenses;
      });
    },
  };
  return vscode.Disposable.from(
    changed,
    live.onDidUpdate(() => changed.fire()),
    vscode.languages.registerCodeLensProvider(noteSelector, provider),
  );
}
