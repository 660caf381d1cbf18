/**
 * Live diagnostics: spec errors as the user types (unknown name, shape mismatch, wrong arity …,
 * with the engine's message), dead ReLU units, the softmax → cross-entropy note and the live size
 * limit, in the Problems panel and underlined in the editor. A block that becomes valid loses
 * its errors with the next answer; a closed document loses all of them.
 */
import * as vscode from 'vscode';
import type { InsightDiagnostic, Severity, SourceRange } from '../editor-insights/types';
import { diagnosticCollections } from './ids';
import type { LiveInsights } from './live-insights';

/** The `source` of every diagnostic this extension reports. */
export const diagnosticSource = 'Backprop Notes';

const severities: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

export function toRange(r: SourceRange): vscode.Range {
  return new vscode.Range(r.start.line, r.start.column, r.end.line, r.end.column);
}

export function toDiagnostic(d: InsightDiagnostic): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(toRange(d.range), d.message, severities[d.severity]);
  diagnostic.source = diagnosticSource;
  diagnostic.code = d.code;
  return diagnostic;
}

export function registerLiveDiagnostics(live: LiveInsights): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection(diagnosticCollections.live);
  const update = (uri: vscode.Uri): void => {
    const insights = live.get(uri);
    if (!insights) {
      collection.delete(uri);
      return;
    }
    collection.set(
      uri,
      insights.blocks.flatMap((b) => b.diagnostics.map(toDiagnostic)),
    );
  };
  return vscode.Disposable.from(collection, live.onDidUpdate(update));
}
