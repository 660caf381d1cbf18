/**
 * The extension's entry (bundled to dist/extension.js). A thin adapter: the engine, the spec
 * language and the explainer run in the worker (dist/worker.js), the drawing in the webview
 * (dist/webview.js); this file wires commands, the panel and its serializer, and the editor
 * features (editor-features.ts: previews, diagnostics, hovers, CodeLens, Check Gradients).
 *
 * Activation is lazy (package.json: the commands, the restored panel, a `.model` file or a
 * Markdown note; the worker starts only for a note with a ```model block). A failure
 * while activating is shown to the user, not only logged.
 */
import * as vscode from 'vscode';
import { l10n } from 'vscode';
import { l10n as sharedL10n } from '../l10n';
import { type RenderedMessage, parsePanelState } from '../protocol';
import type { DocumentInsights } from './live-insights';
import { registerEditorFeatures } from './editor-features';
import { registerExportCommands } from './export-command';
import { EngineClient } from './engine-client';
import { explainBackprop } from './explain-command';
import { newStudyNote } from './new-study-note';
// dist/worker.js's path in Node; the web build swaps in dist/web/worker.js's URL.
import { engineWorkerLocation } from './worker-location';
import { commandIds, explanationViewType } from './ids';
import { ExplanationPanel, type PanelDependencies } from './panel';
import { markdownPreviewPlugin } from './markdown-preview-loader';
import { registerNotesFeatures, trainActionCommand } from './notes-features';
import type { TrainingRun } from '../protocol';
import { WorkerTroubleNotice, troubleMessage } from './worker-trouble';
import { engineSettings, specLimits } from './settings';

/** What `activate` returns: used by the extension-host tests, stable for other extensions too. */
export interface BackpropNotesApi {
  /**
   * Resolves with the first `rendered` message from the panel's webview, counting from the
   * `since`-th one (0: including those already drawn), that `accept` accepts.
   */
  waitForRender(
    accept: (m: RenderedMessage) => boolean,
    options?: { since?: number; timeoutMs?: number },
  ): Promise<RenderedMessage>;
  /** How many `rendered` messages arrived so far. */
  renderCount(): number;
  /** The explained document (as a URI string), target and picked leaf; null with no panel. */
  panelSource(): { uri: string | undefined; target: unknown; leaf: string | null } | null;
  /** A document's live insights once its current text is evaluated (undefined: not a note). */
  liveInsights(uri: vscode.Uri): Promise<DocumentInsights | undefined>;
  /** Milliseconds from each edit to its live answer (previews, diagnostics), newest last. */
  liveLatencies(): readonly number[];
  /** The latest training run (Backprop Notes: Train), or null. */
  training(): TrainingRun | null;
  /** VS Code's Markdown preview calls this (`markdown.markdownItPlugins`): model blocks with values. */
  extendMarkdownIt(md: unknown): unknown;
  /** How long activate() took, ms (bench/extension.ts reports it; goal ≤ 15 ms). */
  readonly activationMs: number;
}

export function activate(context: vscode.ExtensionContext): BackpropNotesApi | undefined {
  try {
    return activateOrThrow(context);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(
      l10n.t(
        'Backprop Notes could not start: {0}. Reload the window; if it happens again, reinstall the extension and report the message.',
        detail,
      ),
    );
    throw error;
  }
}

function activateOrThrow(context: vscode.ExtensionContext): BackpropNotesApi {
  const activationStarted = performance.now();
  // The vscode-free modules and the worker translate with the same bundle (src/l10n.ts).
  sharedL10n.useBundle(vscode.l10n.bundle);
  const log = vscode.window.createOutputChannel('Backprop Notes', { log: true });
  const rendered = new vscode.EventEmitter<RenderedMessage>();
  const renders: RenderedMessage[] = [];
  // One notification for a crashed or stuck worker, whichever (worker-trouble.ts): not one per
  // keystroke while a note keeps crashing the live previews' worker.
  const trouble = new WorkerTroubleNotice({
    log: (line) => log.error(line),
    tell: (t, worker) =>
      void vscode.window
        .showWarningMessage(troubleMessage(worker, t), l10n.t('Show Log'))
        .then((choice) => (choice ? log.show() : undefined)),
  });
  EngineClient.limits = specLimits;
  const engine = new EngineClient({
    workerPath: engineWorkerLocation(context.extensionUri),
    timeLimitMs: () => engineSettings().timeLimitMs,
    log: (line) => log.info(line),
    // A run past the time limit is reported in the panel itself: only crashes notify.
    onCrash: trouble.for('panel').onCrash,
  });
  const deps: PanelDependencies = {
    extensionUri: context.extensionUri,
    engine,
    log,
    rendered,
    // The Train tab's buttons run the same commands as the palette.
    onTrainAction: (action, panel) => {
      const { uri, target } = panel.source;
      const args =
        action === 'start' && uri
          ? [uri, target.kind === 'block' ? target.line : target.kind === 'file' ? 0 : undefined]
          : [];
      void vscode.commands.executeCommand(trainActionCommand(action), ...args);
    },
  };
  const notesFeatures = registerNotesFeatures({
    trouble,
    workerPath: engineWorkerLocation(context.extensionUri),
    timeLimitMs: () => engineSettings().timeLimitMs,
    log,
    panel: () => deps,
  });
  const editorFeatures = registerEditorFeatures({
    trouble,
    workerPath: engineWorkerLocation(context.extensionUri),
    timeLimitMs: () => engineSettings().timeLimitMs,
    log,
    // The Gradient check tab of a panel on the same note shows the same check.
    onChecked: (uri) => {
      const panel = ExplanationPanel.instance;
      if (panel?.source.uri?.toString() === uri.toString()) panel.showGradientCheck();
    },
  });

  context.subscriptions.push(
    log,
    rendered,
    rendered.event((m) => renders.push(m)),
    { dispose: () => engine.dispose() },
    { dispose: () => ExplanationPanel.instance?.dispose() },
    vscode.commands.registerCommand(commandIds.explainBackprop, (uri?: unknown, line?: unknown) =>
      explainBackprop(
        deps,
        uri instanceof vscode.Uri ? uri : undefined,
        typeof line === 'number' ? line : undefined,
      ),
    ),
    editorFeatures,
    notesFeatures,
    registerExportCommands({
      trouble,
      workerPath: engineWorkerLocation(context.extensionUri),
      timeLimitMs: () => engineSettings().timeLimitMs,
      log,
    }),
    vscode.commands.registerCommand(commandIds.showLog, () => log.show()),
    vscode.commands.registerCommand(commandIds.newStudyNote, newStudyNote),
    vscode.window.registerWebviewPanelSerializer(explanationViewType, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        const parsed = parsePanelState(state);
        log.info(`panel: restoring after reload (${parsed ? parsed.uri : 'unusable state'})`);
        if (parsed) ExplanationPanel.revive(panel, deps, parsed);
        else ExplanationPanel.showUnrestorable(panel, deps);
      },
    }),
  );
  const activationMs = performance.now() - activationStarted;
  log.info(`activated in ${activationMs.toFixed(1)} ms (VS Code ${vscode.version})`);

  return {
    activationMs,
    training: () => notesFeatures.training,
    extendMarkdownIt: markdownPreviewPlugin(context.extensionUri, log),
    liveInsights: (uri) => editorFeatures.liveInsights(uri),
    liveLatencies: () => editorFeatures.liveLatencies(),
    renderCount: () => renders.length,
    panelSource: () => {
      const panel = ExplanationPanel.instance;
      if (!panel) return null;
      const { uri, target, leaf } = panel.source;
      return { uri: uri?.toString(), target, leaf };
    },
    waitForRender: (accept, options = {}) =>
      new Promise((resolve, reject) => {
        const seen = renders.slice(options.since ?? 0).find(accept);
        if (seen) return resolve(seen);
        const timer = setTimeout(() => {
          listener.dispose();
          reject(new Error(`No matching render within ${options.timeoutMs ?? 20_000} ms.`));
        }, options.timeoutMs ?? 20_000);
        const listener = rendered.event((m) => {
          if (!accept(m)) return;
          clearTimeout(timer);
          listener.dispose();
          resolve(m);
        });
      }),
  };
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
