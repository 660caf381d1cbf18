// What one window of the extension benchmark reports (bench/extension-host.ts, inside VS Code's
// extension host) to bench/extension.ts (plain Node), as one log line: `${RESULT_MARKER} {json}`.

export const RESULT_MARKER = 'BENCH_EXTENSION_RESULT';

/** What one window measured (milliseconds). */
export interface WindowResult {
  activationMs: number;
  /** Command → `rendered` from the webview, first run in this window (workers and webview cold). */
  coldExplainMs: number;
  /** Again with the panel open (the webview is reused, the worker warm). */
  warmOpenPanelMs: number[];
  /** Again after closing the panel (a new webview, the worker warm). */
  warmNewPanelMs: number[];
  /** Per edit of the 60-statement block: the worker's own time for the answer. */
  editEngineMs: number[];
  /** Per edit: edit → live answer delivered to the host (the scheduler's round trip). */
  editLatencyMs: number[];
  /** The statement count of the edited block (60). */
  statements: number;
  /**
   * Per Explain Backprop above, where its time went: the marks of its `rendered` message (the
   * webview's and the panel's, RenderedMessage.timing) and the bench's own, as milliseconds
   * after the command was run (`command` = 0, `rendered` = when the host got the message).
   */
  timelines?: Timeline[];
}

export interface Timeline {
  readonly kind: 'cold' | 'open' | 'new';
  /** Mark name → ms after the command. */
  readonly marks: Record<string, number>;
}
