/**
 * The in-editor features, wired together: live insights (from a worker of their own) feeding
 * inline previews, diagnostics, the unknown-name quick fix, hovers and CodeLens; and Check
 * Gradients (another worker, started on first use). extension.ts calls this once.
 *
 * Separate workers, because EngineClient keeps only the newest request alive: sharing one with
 * the Explanation panel would let typing cancel an explanation, or a gradient check cancel the
 * previews.
 */
import * as vscode from 'vscode';
import type { InsightsAnswerMessage, InsightsQueryMessage } from '../editor-insights/requests';
import { CheckGradients, type CheckGradientsResult } from './check-gradients';
import { registerCodeLens } from './code-lens';
import { EngineClient } from './engine-client';
import type { InsightsResponse } from './engine-protocol';
import { registerHovers } from './hover-provider';
import { commandIds } from './ids';
import { registerInlinePreviews } from './inline-previews';
import { registerLiveDiagnostics } from './live-diagnostics';
import type { WorkerTroubleNotice } from './worker-trouble';
import { type DocumentInsights, type InsightsEngine, LiveInsights } from './live-insights';
import { registerQuickFix } from './quick-fix';

export interface EditorFeaturesOptions {
  /** dist/worker.js. */
  readonly workerPath: string;
  readonly timeLimitMs: () => number;
  readonly log: vscode.LogOutputChannel;
  /** Called after Check Gradients ran on a document. */
  readonly onChecked?: (uri: vscode.Uri, result: CheckGradientsResult) => void;
  /** Where a crashed or stuck worker is reported (the user is told once); else only logged. */
  readonly trouble?: WorkerTroubleNotice;
}

export interface EditorFeatures extends vscode.Disposable {
  /** The document's live insights once its current text is evaluated (undefined: not a note). */
  liveInsights(uri: vscode.Uri): Promise<DocumentInsights | undefined>;
  /** Milliseconds from each edit to its live answer, newest last. */
  liveLatencies(): readonly number[];
}

/** An EngineClient for the editor's questions, seen as an InsightsEngine. */
function insightsEngine(
  name: string,
  options: EditorFeaturesOptions,
): InsightsEngine & vscode.Disposable {
  // Only the live previews notify: Check Gradients shows its own failure (crash or time limit)
  // as the answer to the command; the previews have nowhere else to say it.
  const trouble = name === 'live' ? options.trouble?.for(name) : undefined;
  const client = new EngineClient<InsightsQueryMessage, InsightsResponse>({
    workerPath: options.workerPath,
    timeLimitMs: options.timeLimitMs,
    log: (line) => options.log.info(`${name}: ${line}`),
    onCrash:
      trouble?.onCrash ??
      ((error) => options.log.error(`${name}: the worker crashed: ${error.message}`)),
    onTimeLimit: trouble?.onTimeLimit,
  });
  return {
    run: async (query) => {
      const outcome = await client.run(query);
      return outcome.status === 'done'
        ? { status: 'done', answer: outcome.response.answer satisfies InsightsAnswerMessage }
        : outcome;
    },
    cancel: () => client.cancel(),
    dispose: () => client.dispose(),
  };
}

export function registerEditorFeatures(options: EditorFeaturesOptions): EditorFeatures {
  const liveEngine = insightsEngine('live', options);
  const live = new LiveInsights(liveEngine, options.log);
  let checkEngine: (InsightsEngine & vscode.Disposable) | undefined;
  const check = new CheckGradients({
    engine: () => (checkEngine ??= insightsEngine('check', options)),
    log: options.log,
    onChecked: options.onChecked,
  });
  const disposable = vscode.Disposable.from(
    liveEngine,
    live,
    registerInlinePreviews(live),
    registerLiveDiagnostics(live),
    registerQuickFix(live),
    registerHovers(live),
    registerCodeLens(live),
    check,
    vscode.commands.registerCommand(commandIds.checkGradients, (uri?: unknown, block?: unknown) =>
      check.run(uri, block),
    ),
    { dispose: () => checkEngine?.dispose() },
  );
  return {
    dispose: () => disposable.dispose(),
    liveInsights: async (uri) => {
      const document = vscode.workspace.textDocuments.find(
        (d) => d.uri.toString() === uri.toString(),
      );
      return document ? live.current(document) : undefined;
    },
    liveLatencies: () => live.latencies,
  };
}
