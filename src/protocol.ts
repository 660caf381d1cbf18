/**
 * The messages between the extension host and the Explanation webview, in both directions.
 *
 * Both sides import this file (the host's bundle and the webview's), so a message is typed once.
 * Rules of the exchange:
 *
 * - **The webview speaks first.** When its script has loaded it posts `ready`; the host sends
 *   nothing before that (what it would have sent is kept, and only the latest of each kind is
 *   delivered). A reloaded webview posts `ready` again and gets the current state again.
 * - **Every message is validated on arrival** with `parseHostMessage` / `parseWebviewMessage`.
 *   Something that is not one of the messages below (a wrong `type`, a missing or mistyped field)
 *   is dropped and logged by the receiver, never acted on: the webview is a web page and the host
 *   must not trust it blindly, and a stale webview after an upgrade may speak an older dialect.
 * - **A `switch` on `type` with `assertNever` in the default branch** handles them, so adding a
 *   message without handling it is a compile error on both sides.
 * - Positions are 0-based (VS Code's); the Explanation's 1-based `line` fields are for display.
 *
 * No vscode, no DOM, no Node here: plain data and plain functions.
 */
import type { Explanation, SourceKind } from './explain/explanation';

/** The tabs of the panel. */
export type TabId = 'forward' | 'backward' | 'check' | 'graph' | 'memory' | 'linearity' | 'train';
export const tabIds: readonly TabId[] = [
  'forward',
  'backward',
  'check',
  'graph',
  'memory',
  'linearity',
  'train',
];

/** A 0-based line/character position, as VS Code counts. */
export interface Position {
  readonly line: number;
  readonly character: number;
}

export interface LineRange {
  readonly start: Position;
  readonly end: Position;
}

/**
 * Which part of a document the panel explains. It is kept in the coordinates of the document and
 * moved along when lines are inserted or deleted above it, so live updates keep explaining the
 * same thing.
 *
 * - `block`: the ```model block of a Markdown note that contains `line` (or, when the line is in
 *   no block any more, the block nearest to it).
 * - `file`: the whole document (a `.model` or `.py` file).
 * - `selection`: the text in `range`, explained as a snippet; its errors and ranges keep the
 *   document's own line numbers.
 */
export type ExplainTarget =
  | { readonly kind: 'block'; readonly line: number }
  | { readonly kind: 'file' }
  | { readonly kind: 'selection'; readonly range: LineRange };

/** How the webview draws numbers (from the `backpropNotes.matrix.*` settings). */
export interface ViewSettings {
  /** Rows of a matrix shown before the middle ones are elided with ⋮. */
  readonly maxRows: number;
  /** Columns shown before the middle ones are elided with ⋯. */
  readonly maxColumns: number;
  /** Significant digits of every number shown. */
  readonly digits: number;
}

/** Where the explained text comes from. */
export interface SourceInfo {
  /** The document's URI, as `Uri.toString()` writes it. */
  readonly uri: string;
  /** The document's base name, for display. */
  readonly fileName: string;
  /** How the text was read. */
  readonly kind: SourceKind;
  readonly target: ExplainTarget;
  /** 0-based index of the explained block among the blocks of the source. */
  readonly blockIndex: number;
  /** How many model blocks the source has (1 for a file or a selection). */
  readonly blockCount: number;
}

/**
 * What the webview keeps with `setState`, and what VS Code hands the panel serializer after a
 * window reload: enough to explain the same thing again, not the Explanation itself (that can be
 * large, and is recomputed from the document anyway).
 */
export interface PanelState {
  readonly version: 1;
  readonly uri: string;
  readonly target: ExplainTarget;
  /** The leaf picked in the Backward tab (a tensor name), or null for the Explanation's focus. */
  readonly leaf: string | null;
  readonly tab: TabId;
}

// ---------------------------------------------------------------------------------------------
// Host → webview

/** A finished explanation of the source. Replaces whatever the panel showed. */
export interface ExplanationMessage {
  readonly type: 'explanation';
  /** Increases with every run; `rendered` echoes it. */
  readonly requestId: number;
  readonly explanation: Explanation;
  readonly source: SourceInfo;
  /** The leaf to show in the Backward tab (the user's last pick), or null for `explanation.focus`. */
  readonly leaf: string | null;
  /**
   * How to draw numbers. The Explanation's large tensors were windowed for these limits (see
   * src/extension/view-trim.ts): new limits need a new explanation, not just a redraw.
   */
  readonly settings: ViewSettings;
  /** How long the engine took, for the footer. */
  readonly elapsedMs: number;
}

/**
 * The run failed as a whole (no model block to explain, the engine crashed or ran out of time).
 * Errors in the spec itself are not this: they are part of an Explanation, shown next to what did
 * evaluate.
 */
export interface ErrorMessage {
  readonly type: 'error';
  readonly requestId: number;
  /** What happened and what to do. */
  readonly message: string;
  /** The 0-based line the problem is about, when there is one (a button reveals it). */
  readonly line: number | null;
  readonly source: SourceInfo | null;
}

/** The engine started (true) or finished (false) a run for this panel. */
export interface BusyMessage {
  readonly type: 'busy';
  readonly busy: boolean;
}

/** Switch the panel to a tab (Check Gradients shows the Gradient check tab of the same note). */
export interface ShowTabMessage {
  readonly type: 'showTab';
  readonly tab: TabId;
}

/**
 * A training run of the panel's note (Backprop Notes: Train): sent when it starts, as it
 * progresses (at most a few times a second), and when it ends. `run: null` clears the Train tab.
 */
export interface TrainingMessage {
  readonly type: 'training';
  readonly run: TrainingRun | null;
}

export interface TrainingRun {
  /** Increases with every run of the session. */
  readonly id: number;
  /** The trained document (as `Uri.toString()` writes it) and its block, 0-based. */
  readonly uri: string;
  readonly blockIndex: number;
  readonly learningRate: number;
  /** Steps asked for. */
  readonly steps: number;
  /** The names of the parameters trained. */
  readonly params: readonly string[];
  /**
   * `[step, loss]` before that step's update, ascending; at most a couple of thousand points
   * (long runs are sampled evenly, the first and last steps always kept).
   */
  readonly losses: readonly (readonly [number, number])[];
  /** Steps done so far. */
  readonly done: number;
  /** The loss after the last update (when the run finished), else null. */
  readonly finalLoss: number | null;
  readonly status: 'running' | 'done' | 'cancelled' | 'failed';
  /** Why it failed (what to do), when it did. */
  readonly message: string | null;
  /** True once the trained values were written into the note. */
  readonly applied: boolean;
}

export type HostMessage =
  ExplanationMessage | ErrorMessage | BusyMessage | ShowTabMessage | TrainingMessage;

// ---------------------------------------------------------------------------------------------
// Webview → host

/** The webview's script has loaded and listens: the host may send now. */
export interface ReadyMessage {
  readonly type: 'ready';
}

/** The user picked a leaf in the Backward tab; the host keeps it for the next explanations. */
export interface SelectLeafMessage {
  readonly type: 'selectLeaf';
  readonly leaf: string;
  /**
   * True when the explanation shown has no gradient entry for this tensor (a computed one,
   * clicked in the Graph tab): the host explains again with it as `wrt`.
   */
  readonly explain?: boolean;
}

/** Show this 0-based line (and column) of the explained document in its editor. */
export interface RevealLineMessage {
  readonly type: 'revealLine';
  readonly line: number;
  readonly column: number;
}

/**
 * The webview has drawn a message and it is on screen: sent after the next frame and the fonts
 * it asked for (for tests and the latency benchmark; a hidden webview sends it at once).
 */
export interface RenderedMessage {
  readonly type: 'rendered';
  /** The `requestId` of the explanation or error drawn. */
  readonly requestId: number;
  readonly what: 'explanation' | 'error';
  /** The leaf the Backward tab shows, or null when none. */
  readonly leaf: string | null;
  /** How many spec errors the panel lists. */
  readonly errors: number;
  /** The tab shown. */
  readonly tab: TabId;
  /**
   * When things happened, for the latency benchmark (bench/extension.ts): mark name → wall-clock
   * milliseconds since the epoch (`performance.timeOrigin + performance.now()` in the webview,
   * `Date.now()`-based in the host, one clock on one machine). The webview's marks (page start,
   * script start, ready, message received, drawn, painted …) come with the message; the host adds
   * its own (`host.*`) before handing it to tests. Absent from older webviews.
   */
  readonly timing?: RenderTiming;
}

/** Mark name → epoch milliseconds (see RenderedMessage.timing). At most 40 marks. */
export type RenderTiming = Readonly<Record<string, number>>;

/**
 * A button of the Train tab: train the panel's block (asking for the settings the block does not
 * give), stop the running training, or write the finished run's values into the note.
 */
export interface TrainActionMessage {
  readonly type: 'trainAction';
  readonly action: 'start' | 'cancel' | 'apply';
}

export type WebviewMessage =
  ReadyMessage | SelectLeafMessage | RevealLineMessage | RenderedMessage | TrainActionMessage;

// ---------------------------------------------------------------------------------------------
// Validation

/** A message that passed validation, or why it did not. */
export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** For the default branch of a `switch` over a union: a forgotten case does not compile. */
export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}

type Obj = Record<string, unknown>;

function isObject(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

function isPosition(x: unknown): x is Position {
  return isObject(x) && isCount(x.line) && isCount(x.character);
}

/** The message's `type`, for log lines about a dropped message. */
function describe(x: unknown): string {
  if (!isObject(x)) return Array.isArray(x) ? 'an array' : `a ${x === null ? 'null' : typeof x}`;
  return typeof x.type === 'string' ? `'${x.type.slice(0, 40)}'` : 'an object without a type';
}

function fail<T>(x: unknown, why: string): Parsed<T> {
  return { ok: false, reason: `${describe(x)} message dropped: ${why}` };
}

export function isTarget(x: unknown): x is ExplainTarget {
  if (!isObject(x)) return false;
  switch (x.kind) {
    case 'block':
      return isCount(x.line);
    case 'file':
      return true;
    case 'selection':
      return isObject(x.range) && isPosition(x.range.start) && isPosition(x.range.end);
    default:
      return false;
  }
}

const sourceKinds: readonly string[] = ['markdown', 'model', 'python', 'snippet'];

function isSourceInfo(x: unknown): x is SourceInfo {
  return (
    isObject(x) &&
    typeof x.uri === 'string' &&
    typeof x.fileName === 'string' &&
    typeof x.kind === 'string' &&
    sourceKinds.includes(x.kind) &&
    isTarget(x.target) &&
    isCount(x.blockIndex) &&
    isCount(x.blockCount)
  );
}

function isSettings(x: unknown): x is ViewSettings {
  return (
    isObject(x) &&
    isCount(x.maxRows) &&
    x.maxRows >= 1 &&
    isCount(x.maxColumns) &&
    x.maxColumns >= 1 &&
    isCount(x.digits) &&
    x.digits >= 1
  );
}

/**
 * The parts of an Explanation the webview relies on to draw at all. Deeper fields are produced by
 * our own engine in the same extension version; checking every number of every tensor would cost
 * more than drawing them.
 */
function isExplanation(x: unknown): x is Explanation {
  return (
    isObject(x) &&
    x.version === 1 &&
    isCount(x.index) &&
    Array.isArray(x.errors) &&
    Array.isArray(x.nodes) &&
    Array.isArray(x.gradients) &&
    Array.isArray(x.steps) &&
    Array.isArray(x.notation) &&
    Array.isArray(x.softmaxCrossEntropy) &&
    Array.isArray(x.notices) &&
    (x.focus === null || isCount(x.focus)) &&
    (x.root === null || isObject(x.root)) &&
    (x.gradientCheck === null || isObject(x.gradientCheck))
  );
}

const trainingStatuses: readonly string[] = ['running', 'done', 'cancelled', 'failed'];

function isTrainingRun(x: unknown): x is TrainingRun {
  return (
    isObject(x) &&
    isCount(x.id) &&
    typeof x.uri === 'string' &&
    isCount(x.blockIndex) &&
    typeof x.learningRate === 'number' &&
    isCount(x.steps) &&
    isCount(x.done) &&
    Array.isArray(x.params) &&
    x.params.every((p) => typeof p === 'string') &&
    Array.isArray(x.losses) &&
    // Losses may be NaN/∞ (a diverging run), which JSON turns into null.
    x.losses.every(
      (p) =>
        Array.isArray(p) &&
        p.length === 2 &&
        isCount(p[0]) &&
        (typeof p[1] === 'number' || p[1] === null),
    ) &&
    (x.finalLoss === null || typeof x.finalLoss === 'number') &&
    typeof x.status === 'string' &&
    trainingStatuses.includes(x.status) &&
    (x.message === null || typeof x.message === 'string') &&
    typeof x.applied === 'boolean'
  );
}

/** Up to 40 marks with short names and finite times (RenderedMessage.timing). */
function isTiming(x: unknown): x is RenderTiming {
  if (!isObject(x)) return false;
  const entries = Object.entries(x);
  return (
    entries.length <= 40 &&
    entries.every(([k, v]) => k.length <= 40 && typeof v === 'number' && Number.isFinite(v))
  );
}

function isTab(x: unknown): x is TabId {
  return typeof x === 'string' && (tabIds as readonly string[]).includes(x);
}

/** Validates a message the webview received. */
export function parseHostMessage(x: unknown): Parsed<HostMessage> {
  if (!isObject(x)) return fail(x, 'not an object');
  switch (x.type) {
    case 'explanation':
      if (!isCount(x.requestId)) return fail(x, 'requestId is not a count');
      if (!isExplanation(x.explanation))
        return fail(x, 'explanation is not a version-1 Explanation');
      if (!isSourceInfo(x.source)) return fail(x, 'source is malformed');
      if (!(x.leaf === null || typeof x.leaf === 'string')) return fail(x, 'leaf is not a string');
      if (!isSettings(x.settings)) return fail(x, 'settings are malformed');
      if (typeof x.elapsedMs !== 'number') return fail(x, 'elapsedMs is not a number');
      return { ok: true, value: x as unknown as ExplanationMessage };
    case 'error':
      if (!isCount(x.requestId)) return fail(x, 'requestId is not a count');
      if (typeof x.message !== 'string') return fail(x, 'message is not a string');
      if (!(x.line === null || isCount(x.line))) return fail(x, 'line is not a count');
      if (!(x.source === null || isSourceInfo(x.source))) return fail(x, 'source is malformed');
      return { ok: true, value: x as unknown as ErrorMessage };
    case 'busy':
      if (typeof x.busy !== 'boolean') return fail(x, 'busy is not a boolean');
      return { ok: true, value: { type: 'busy', busy: x.busy } };
    case 'showTab':
      if (!isTab(x.tab)) return fail(x, 'tab is unknown');
      return { ok: true, value: { type: 'showTab', tab: x.tab } };
    case 'training':
      if (!(x.run === null || isTrainingRun(x.run))) return fail(x, 'run is malformed');
      return { ok: true, value: x as unknown as TrainingMessage };
    default:
      return fail(x, 'unknown type');
  }
}

/** Validates a message the host received from the webview. */
export function parseWebviewMessage(x: unknown): Parsed<WebviewMessage> {
  if (!isObject(x)) return fail(x, 'not an object');
  switch (x.type) {
    case 'ready':
      return { ok: true, value: { type: 'ready' } };
    case 'selectLeaf':
      if (typeof x.leaf !== 'string' || x.leaf.length === 0 || x.leaf.length > 200)
        return fail(x, 'leaf is not a tensor name');
      return {
        ok: true,
        value: {
          type: 'selectLeaf',
          leaf: x.leaf,
          ...(x.explain === true ? { explain: true } : {}),
        },
      };
    case 'revealLine':
      if (!isCount(x.line) || !isCount(x.column)) return fail(x, 'line/column are not counts');
      return { ok: true, value: { type: 'revealLine', line: x.line, column: x.column } };
    case 'rendered':
      if (!isCount(x.requestId)) return fail(x, 'requestId is not a count');
      if (x.what !== 'explanation' && x.what !== 'error') return fail(x, 'what is unknown');
      if (!(x.leaf === null || typeof x.leaf === 'string')) return fail(x, 'leaf is not a string');
      if (!isCount(x.errors)) return fail(x, 'errors is not a count');
      if (!isTab(x.tab)) return fail(x, 'tab is unknown');
      if (!(x.timing === undefined || isTiming(x.timing))) return fail(x, 'timing is malformed');
      return {
        ok: true,
        value: {
          type: 'rendered',
          requestId: x.requestId,
          what: x.what,
          leaf: x.leaf,
          errors: x.errors,
          tab: x.tab,
          ...(x.timing === undefined ? {} : { timing: x.timing }),
        },
      };
    case 'trainAction':
      if (x.action !== 'start' && x.action !== 'cancel' && x.action !== 'apply')
        return fail(x, 'action is unknown');
      return { ok: true, value: { type: 'trainAction', action: x.action } };
    default:
      return fail(x, 'unknown type');
  }
}

/**
 * Validates the state VS Code hands back after a reload (written by an earlier webview, possibly
 * of an older version of the extension). Null when it cannot be used.
 */
export function parsePanelState(x: unknown): PanelState | null {
  if (!isObject(x) || x.version !== 1) return null;
  if (typeof x.uri !== 'string' || x.uri.length === 0) return null;
  if (!isTarget(x.target)) return null;
  const leaf = typeof x.leaf === 'string' ? x.leaf : null;
  const tab = isTab(x.tab) ? x.tab : 'backward';
  return { version: 1, uri: x.uri, target: x.target, leaf, tab };
}
