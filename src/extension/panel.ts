/**
 * The Explanation panel: one webview beside the editor, reused by every Explain Backprop, kept
 * up to date while the explained document is edited, and restored after a window reload.
 *
 * Boundaries:
 * - The host posts to the webview only after the webview said `ready`. The newest message of
 *   each kind is kept; a webview that reloads (hidden and shown again) says `ready` again and
 *   gets them again (ready-gate.ts).
 * - Every run goes to the engine worker; a newer run supersedes an older one, whose answer is
 *   dropped. The first run after a command is immediate, runs after edits are debounced.
 * - Every failure ends up in the panel as a message (never a blank panel).
 */
import type { Explanation } from '../explain/explanation';
import { wrapNonFinite } from '../non-finite-wire';
import * as vscode from 'vscode';
import { l10n } from 'vscode';
import {
  type ExplainTarget,
  type HostMessage,
  type PanelState,
  type RenderedMessage,
  type RenderTiming,
  type SourceInfo,
  type TabId,
  type TrainActionMessage,
  type TrainingRun,
  assertNever,
  parseWebviewMessage,
} from '../protocol';
import type { EngineClient } from './engine-client';
import { makeNonce, webviewHtml } from './html';
import { ReadyGate } from './ready-gate';
import { explanationViewType } from './ids';
import { checkSettings, insightsAffected } from './insight-settings';
import { affects, engineSettings, viewSettings } from './settings';
import { type DocumentSnapshot, moveTarget, resolveTarget } from './target';

/** What the panel needs from the extension. */
export interface PanelDependencies {
  readonly extensionUri: vscode.Uri;
  readonly engine: EngineClient;
  readonly log: vscode.LogOutputChannel;
  /** Fired with every `rendered` message (the extension's API exposes it to tests). */
  readonly rendered: vscode.EventEmitter<RenderedMessage>;
  /** A button of the Train tab was pressed (notes-features.ts trains the panel's block). */
  readonly onTrainAction?: (action: TrainActionMessage['action'], panel: ExplanationPanel) => void;
}

/** Edits are explained this long after the last keystroke. */
const debounceMs = 300;

export class ExplanationPanel implements vscode.Disposable {
  private static current: ExplanationPanel | undefined;

  /** The open panel, if any. */
  static get instance(): ExplanationPanel | undefined {
    return ExplanationPanel.current;
  }

  /**
   * Shows the panel on `target` of `document`: creates it beside the editor the first time,
   * otherwise reuses it (and reveals it without taking the focus from the editor).
   */
  static show(
    deps: PanelDependencies,
    document: vscode.TextDocument,
    target: ExplainTarget,
    editorColumn: vscode.ViewColumn | undefined,
  ): ExplanationPanel {
    let panel = ExplanationPanel.current;
    if (panel) {
      panel.webviewPanel.reveal(undefined, true);
    } else {
      const webviewPanel = vscode.window.createWebviewPanel(
        explanationViewType,
        l10n.t('Backprop'),
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        webviewOptions(deps.extensionUri),
      );
      panel = new ExplanationPanel(webviewPanel, deps, document.uri, target, null);
    }
    panel.editorColumn = editorColumn ?? panel.editorColumn;
    panel.setSource(document.uri, target);
    return panel;
  }

  /** Brings back a panel VS Code restored after a reload, from the state its webview saved. */
  static revive(
    webviewPanel: vscode.WebviewPanel,
    deps: PanelDependencies,
    state: PanelState,
  ): ExplanationPanel {
    ExplanationPanel.current?.dispose();
    webviewPanel.webview.options = webviewOptions(deps.extensionUri);
    const panel = new ExplanationPanel(
      webviewPanel,
      deps,
      vscode.Uri.parse(state.uri),
      state.target,
      state.leaf,
    );
    void panel.explainNow();
    return panel;
  }

  /** A restored panel whose saved state cannot be used: it explains why, and how to reopen it. */
  static showUnrestorable(webviewPanel: vscode.WebviewPanel, deps: PanelDependencies): void {
    ExplanationPanel.current?.dispose();
    webviewPanel.webview.options = webviewOptions(deps.extensionUri);
    const panel = new ExplanationPanel(webviewPanel, deps, undefined, { kind: 'file' }, null);
    panel.post({
      type: 'error',
      requestId: panel.requestId,
      message: l10n.t(
        'This panel could not be restored after the reload. Open the note and run “Backprop Notes: Explain Backprop” again.',
      ),
      line: null,
      source: null,
    });
  }

  private readonly disposables: vscode.Disposable[] = [];
  /** Sends only to a ready webview, and again whenever it reloads (ready-gate.ts). */
  private readonly gate = new ReadyGate<HostMessage>(
    (message) => this.deliver(message),
    // The explanation and the error replace each other: only the newest result matters. Busy
    // and tab requests have slots of their own.
    (message) =>
      message.type === 'explanation' || message.type === 'error' ? 'result' : message.type,
  );
  private disposed = false;
  private requestId = 0;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  /** The block index of the last run, for the Train command. */
  private explainedBlock: number | null = null;
  /** The column of the editor the explained document was in, for revealing lines. */
  private editorColumn: vscode.ViewColumn | undefined;
  /**
   * The host's marks for the latency benchmark (RenderedMessage.timing): the panel's own (sent
   * with its first render), and per run, the newest few.
   */
  private panelMarks: Record<string, number> | null = {};
  private readonly runMarks = new Map<number, Record<string, number>>();

  private constructor(
    readonly webviewPanel: vscode.WebviewPanel,
    private readonly deps: PanelDependencies,
    /** The explained document; undefined for a panel that only shows an error. */
    private uri: vscode.Uri | undefined,
    private target: ExplainTarget,
    /** The leaf the user picked in the Backward tab (kept across runs). */
    private leaf: string | null,
  ) {
    ExplanationPanel.current = this;
    const webview = webviewPanel.webview;
    this.panelMarks!['host.created'] = Date.now();
    webview.html = this.html(webview);
    this.panelMarks!['host.htmlSet'] = Date.now();
    this.disposables.push(
      webviewPanel.onDidDispose(() => this.dispose()),
      // A hidden webview is destroyed (no retainContextWhenHidden): hold messages until it is
      // shown again and says ready.
      webviewPanel.onDidChangeViewState(() => {
        if (!webviewPanel.visible) this.gate.close();
      }),
      webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      vscode.workspace.onDidChangeTextDocument((e) => this.documentChanged(e)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        // The matrix limits shape what the worker sends (large tensors are windowed for them),
        // so a change to any of the settings means explaining again.
        if (affects(e) || insightsAffected(e).check) void this.explainNow();
      }),
    );
  }

  /** The explained document and target, for tests and the command's refresh. */
  get source(): { uri: vscode.Uri | undefined; target: ExplainTarget; leaf: string | null } {
    return { uri: this.uri, target: this.target, leaf: this.leaf };
  }

  /**
   * After Check Gradients on the panel's note: explain it again (with the check's settings) and
   * show the Gradient check tab.
   */
  showGradientCheck(): void {
    void this.explainNow().then(() => {
      if (!this.disposed) this.gate.postOnce({ type: 'showTab', tab: 'check' });
    });
  }

  /** Shows a training run in the Train tab (null clears it). */
  postTraining(run: TrainingRun | null): void {
    this.post({ type: 'training', run });
  }

  /** Switches the panel to a tab, once. */
  showTab(tab: TabId): void {
    if (!this.disposed) this.gate.postOnce({ type: 'showTab', tab });
  }

  /** The block the panel explains, 0-based among the note's blocks (null before the first run). */
  get blockIndex(): number | null {
    return this.explainedBlock;
  }

  /** Explains `target` of the document at `uri` now. */
  setSource(uri: vscode.Uri, target: ExplainTarget): void {
    this.uri = uri;
    this.target = target;
    void this.explainNow();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (ExplanationPanel.current === this) ExplanationPanel.current = undefined;
    clearTimeout(this.debounce);
    // Closed: its explanation in flight is given up (the worker is stopped if it goes on past
    // the supersede budget). The engine serves only the one panel there is.
    this.deps.engine.cancel();
    this.webviewPanel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private html(webview: vscode.Webview): string {
    const dist = vscode.Uri.joinPath(this.deps.extensionUri, 'dist');
    const uri = (...path: string[]) =>
      webview.asWebviewUri(vscode.Uri.joinPath(dist, ...path)).toString();
    return webviewHtml({
      cspSource: webview.cspSource,
      // Web Crypto: in the Node extension host and the browser's alike (no node:crypto on the web).
      nonce: makeNonce((n) => crypto.getRandomValues(new Uint8Array(n))),
      scriptUri: uri('webview.js'),
      styleUri: uri('webview.css'),
      language: vscode.env.language,
      l10n: vscode.l10n.bundle,
    });
  }

  private post(message: HostMessage): void {
    // Wrapped: the webview gets messages as JSON, which would turn ∞ into null (non-finite-wire.ts).
    if (!this.disposed) this.gate.post(wrapNonFinite(message));
  }

  private markRun(requestId: number, name: string): void {
    let marks = this.runMarks.get(requestId);
    if (!marks) {
      marks = {};
      this.runMarks.set(requestId, marks);
      for (const old of this.runMarks.keys()) if (old < requestId - 8) this.runMarks.delete(old);
    }
    marks[`host.${name}`] ??= Date.now();
  }

  /** The webview's marks of a render with the host's (the panel's, the first time). */
  private timing(message: RenderedMessage): RenderTiming {
    const marks = {
      ...message.timing,
      ...this.panelMarks,
      ...this.runMarks.get(message.requestId),
    };
    this.panelMarks = null;
    return marks;
  }

  private deliver(message: HostMessage): void {
    if (message.type === 'explanation' || message.type === 'error')
      this.markRun(message.requestId, 'posted');
    void this.webviewPanel.webview.postMessage(message).then(
      (delivered) => {
        if (!delivered)
          this.deps.log.debug(`panel: '${message.type}' not delivered (webview gone)`);
      },
      (error: unknown) =>
        this.deps.log.warn(`panel: posting '${message.type}' failed: ${String(error)}`),
    );
  }

  private receive(raw: unknown): void {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.deps.log.warn(`panel: ${parsed.reason}`);
      return;
    }
    const message = parsed.value;
    switch (message.type) {
      case 'ready':
        if (this.panelMarks) this.panelMarks['host.ready'] ??= Date.now();
        this.gate.ready();
        break;
      case 'selectLeaf':
        this.leaf = message.leaf;
        // A tensor without a gradient entry yet (clicked in the graph): explain it as `wrt`.
        if (message.explain) void this.explainNow();
        break;
      case 'trainAction':
        this.deps.onTrainAction?.(message.action, this);
        break;
      case 'revealLine':
        void this.reveal(message.line, message.column);
        break;
      case 'rendered':
        this.deps.log.debug(
          `panel: rendered ${message.what} #${message.requestId} (leaf ${message.leaf ?? '-'}, ${message.errors} errors)`,
        );
        this.deps.rendered.fire({ ...message, timing: this.timing(message) });
        break;
      default:
        assertNever(message);
    }
  }

  private documentChanged(e: vscode.TextDocumentChangeEvent): void {
    if (!this.uri || e.document.uri.toString() !== this.uri.toString()) return;
    if (e.contentChanges.length === 0) return;
    this.target = moveTarget(
      this.target,
      e.contentChanges.map((c) => ({
        range: {
          start: { line: c.range.start.line, character: c.range.start.character },
          end: { line: c.range.end.line, character: c.range.end.character },
        },
        text: c.text,
      })),
    );
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.explainNow(), debounceMs);
  }

  /** Runs the engine on the current source and posts the result (or why there is none). */
  private async explainNow(): Promise<void> {
    clearTimeout(this.debounce);
    const uri = this.uri;
    if (!uri || this.disposed) return;
    const requestId = ++this.requestId;
    this.markRun(requestId, 'explain');
    let document: vscode.TextDocument;
    try {
      document = await vscode.workspace.openTextDocument(uri);
    } catch (error) {
      if (requestId !== this.requestId) return;
      this.post({
        type: 'error',
        requestId,
        message: l10n.t(
          'Could not open {0} ({1}). Open the note again and run Explain Backprop.',
          uri.scheme === 'file' ? uri.fsPath : uri.toString(),
          error instanceof Error ? error.message : String(error),
        ),
        line: null,
        source: null,
      });
      return;
    }
    if (requestId !== this.requestId || this.disposed) return;
    // The URI's path, not node:path on fileName: the same on the web, where there is no Node.
    const fileName = document.uri.path.split('/').pop() || document.fileName;
    this.webviewPanel.title = l10n.t('Backprop: {0}', fileName);
    const snapshot: DocumentSnapshot = {
      text: document.getText(),
      languageId: document.languageId,
      fileName: document.fileName,
    };
    const resolved = resolveTarget(snapshot, this.target);
    if ('error' in resolved) {
      this.post({
        type: 'error',
        requestId,
        message: resolved.error,
        line: resolved.line,
        source: null,
      });
      return;
    }
    this.explainedBlock = resolved.blockIndex;
    this.post({ type: 'busy', busy: true });
    const engine = engineSettings();
    const view = viewSettings();
    const source = (blockCount: number): SourceInfo => ({
      uri: uri.toString(),
      fileName,
      kind: resolved.kind,
      target: this.target,
      blockIndex: resolved.blockIndex,
      blockCount,
    });
    const show = (explanation: Explanation, blockCount: number, elapsedMs: number) =>
      this.post({
        type: 'explanation',
        requestId,
        explanation,
        source: source(blockCount),
        leaf: this.leaf,
        settings: view,
        elapsedMs,
      });
    // A slow block is shown before its gradient check is done; the check then replaces it.
    const partial: {
      shown: { explanation: Explanation; blockCount: number; elapsedMs: number } | null;
    } = { shown: null };
    const started = Date.now();
    this.markRun(requestId, 'engineStart');
    const outcome = await this.deps.engine.run(
      {
        text: resolved.text,
        kind: resolved.kind,
        origin: resolved.origin,
        blockIndex: resolved.blockIndex,
        // The step and bands of Check Gradients, so the tab and the Problems panel agree.
        gradientCheck: engine.gradientCheck
          ? { maxElementsPerTensor: engine.gradientCheckElements, ...checkSettings().settings }
          : false,
        view: { maxRows: view.maxRows, maxColumns: view.maxColumns },
        // The tensor picked in the Backward tab (or clicked in the graph) gets its chain rule.
        wrt: this.leaf,
        // Blocks that explain within this get their check in the same (only) answer.
        partialAfterMs: 100,
      },
      (response) => {
        if (requestId !== this.requestId || this.disposed) return;
        this.markRun(requestId, 'enginePartial');
        partial.shown = response;
        show(response.explanation, response.blockCount, response.elapsedMs);
        this.post({ type: 'busy', busy: true }); // the gradient check is still running
      },
    );
    if (outcome.status === 'superseded' || requestId !== this.requestId || this.disposed) return;
    this.markRun(requestId, 'engineEnd');
    this.post({ type: 'busy', busy: false });
    if (outcome.status === 'failed') {
      this.deps.log.warn(`panel: run #${requestId} failed: ${outcome.message}`);
      const shown = partial.shown;
      if (shown) {
        // Everything but the check was shown: keep it, and say why the check is missing.
        const { explanation, blockCount, elapsedMs } = shown;
        show(
          { ...explanation, notices: [...explanation.notices, outcome.message] },
          blockCount,
          elapsedMs,
        );
      } else {
        this.post({
          type: 'error',
          requestId,
          message: outcome.message,
          line: outcome.line,
          source: source(resolved.blockCount),
        });
      }
      return;
    }
    const { explanation, blockCount, elapsedMs } = outcome.response;
    this.deps.log.info(
      `panel: explained ${fileName} block ${resolved.blockIndex + 1}/${blockCount} in ${Math.round(elapsedMs)} ms (round trip ${Date.now() - started} ms, ${explanation.errors.length} errors)`,
    );
    show(explanation, blockCount, elapsedMs);
  }

  /** Shows a line of the explained document in an editor, with the cursor on it. */
  private async reveal(line: number, column: number): Promise<void> {
    if (!this.uri) return;
    try {
      const document = await vscode.workspace.openTextDocument(this.uri);
      const visible = vscode.window.visibleTextEditors.find(
        (e) => e.document.uri.toString() === document.uri.toString(),
      );
      const editor = await vscode.window.showTextDocument(document, {
        viewColumn: visible?.viewColumn ?? this.editorColumn ?? vscode.ViewColumn.One,
        preserveFocus: false,
      });
      const safeLine = Math.min(line, document.lineCount - 1);
      const position = new vscode.Position(
        safeLine,
        Math.min(column, document.lineAt(safeLine).text.length),
      );
      editor.selection = new vscode.Selection(position, position);
      editor.revealRange(
        new vscode.Range(position, position),
        vscode.TextEditorRevealType.InCenterIfOutsideViewport,
      );
    } catch (error) {
      void vscode.window.showWarningMessage(
        l10n.t(
          'Could not show line {0}: {1}',
          line + 1,
          error instanceof Error ? error.message : String(error),
        ),
      );
    }
  }
}

/** Scripts on; files only from dist/ (the bundles, KaTeX's styles and fonts). */
function webviewOptions(
  extensionUri: vscode.Uri,
): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableFindWidget: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')],
  };
}
