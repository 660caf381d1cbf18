/**
 * Quick fix for an unknown name: replace it with the nearest defined name the engine suggested
 * (`unknown name 'W3' — did you mean 'W2'?`). Offered only while the live answer is for the
 * document's current text, so the edit never lands on moved text.
 */
import * as vscode from 'vscode';
import type { QuickFix } from '../editor-insights/types';
import { diagnosticSource, toRange } from './live-diagnostics';
import type { LiveInsights } from './live-insights';
import { noteSelector } from './ids';

export function registerQuickFix(live: LiveInsights): vscode.Disposable {
  return vscode.languages.registerCodeActionsProvider(noteSelector, new UnknownNameFix(live), {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
  });
}

/** Quick fix: an unknown name → the nearest defined name the engine suggested. */
class UnknownNameFix implements vscode.CodeActionProvider {
  constructor(private readonly live: LiveInsights) {}

  provideCodeActions(
    document: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const insights = this.live.get(document.uri);
    if (!insights || insights.version !== document.version) return []; // stale: no edit to offer
    const fixes = insights.blocks.flatMap((b) =>
      b.diagnostics.flatMap((d) => (d.fix ? [{ diagnostic: d, fix: d.fix }] : [])),
    );
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== diagnosticSource) continue;
      const match = fixes.find(
        (f) =>
          f.diagnostic.message === diagnostic.message &&
          toRange(f.diagnostic.range).isEqual(diagnostic.range),
      );
      if (match) actions.push(fixAction(document, diagnostic, match.fix));
    }
    return actions;
  }
}

function fixAction(
  document: vscode.TextDocument,
  diagnostic: vscode.Diagnostic,
  fix: QuickFix,
): vscode.CodeAction {
  const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
  action.diagnostics = [diagnostic];
  action.isPreferred = true;
  action.edit = new vscode.WorkspaceEdit();
  action.edit.replace(document.uri, toRange(fix.range), fix.text);
  return action;
}
