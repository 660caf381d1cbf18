/**
 * The Explanation webview's script (bundled to dist/webview.js): receives messages from the host,
 * validates them, draws them, and keeps the little state a reload needs with setState.
 *
 * It posts `ready` once listening; the host sends nothing before. Every message it draws is
 * acknowledged with `rendered`.
 */
// First: its `script` mark is taken before the other modules run.
import { afterPaint, mark, markPage, startDraw, takeMarks } from './timing';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import {
  type ErrorMessage,
  type ExplanationMessage,
  type PanelState,
  type RenderedMessage,
  type TabId,
  type TrainingRun,
  type ViewSettings,
  type WebviewMessage,
  assertNever,
  parseHostMessage,
  parsePanelState,
} from '../src/protocol';
import { unwrapNonFinite } from '../src/non-finite-wire';
import { l10n, parseBundle } from '../src/l10n';
import { h } from './dom';
import { trainView } from './notes-views';
import { type ViewContext, chosenGradient, explanationView, failureView, leafKey } from './views';

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;
// The display language's translations, put in the page by the host (html.ts).
l10n.useBundle(readBundle(document.body.dataset.l10n));

function readBundle(json: string | undefined): ReturnType<typeof parseBundle> {
  try {
    return parseBundle(json ? JSON.parse(json) : {});
  } catch {
    return {}; // English rather than a broken panel
  }
}

const restored = parsePanelState(vscode.getState());
let tab: TabId = restored?.tab ?? 'backward';
let leaf: string | null = restored?.leaf ?? null;
/** The last explanation or failure drawn. */
let shown: ExplanationMessage | ErrorMessage | null = null;
/** The state of the last explanation, kept when a later failure has no source. */
let saved: PanelState | null = restored;
let settings: ViewSettings = { maxRows: 8, maxColumns: 8, digits: 4 };
let busy = false;
/** The latest training run the host told about (the Train tab shows it when it is this note's). */
let training: TrainingRun | null = null;

function post(message: WebviewMessage): void {
  vscode.postMessage(message);
}

function save(): void {
  if (shown?.source) {
    saved = { version: 1, uri: shown.source.uri, target: shown.source.target, leaf, tab };
  } else if (saved) {
    saved = { ...saved, leaf, tab };
  }
  if (saved) vscode.setState(saved);
}

const context: ViewContext = {
  get settings() {
    return settings;
  },
  reveal: (line, column) => post({ type: 'revealLine', line, column }),
  pickLeaf: (picked) => {
    if (picked === leaf) return;
    leaf = picked;
    post({ type: 'selectLeaf', leaf: picked });
    draw();
  },
  pickTab: (picked) => {
    tab = picked;
    save();
  },
  get training() {
    return training;
  },
  selectTensor: (name) => {
    leaf = name;
    // A computed tensor has a gradient entry only when it was explained as `wrt`.
    const known =
      shown?.type === 'explanation' && shown.explanation.gradients.some((g) => leafKey(g) === name);
    post({ type: 'selectLeaf', leaf: name, ...(known ? {} : { explain: true }) });
    draw();
  },
  trainAction: (action) => post({ type: 'trainAction', action }),
  redraw: () => draw(),
};

/** Counts draws: the hidden tabs of an older draw are not drawn any more. */
let drawCount = 0;

/**
 * Runs the hidden tabs' drawing one at a time when the page is idle, after the shown tab was
 * painted (so they never delay what the user waits for).
 */
function drawWhenIdle(tasks: (() => void)[], count: number): void {
  const next = () => {
    if (count !== drawCount) return;
    const task = tasks.shift();
    if (!task) return;
    task();
    idle(next);
  };
  idle(next);
}

function idle(task: () => void): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(task, { timeout: 1000 });
  else setTimeout(task, 16);
}

/** Redraws what is shown, keeping the scroll position (updates come while the user reads). */
function draw(): void {
  if (!shown) return;
  const count = ++drawCount;
  const deferred: (() => void)[] = [];
  const scroll = window.scrollY;
  let content: HTMLElement;
  let drawnLeaf: string | null = null;
  let errors = 0;
  try {
    if (shown.type === 'explanation') {
      content = explanationView(shown, leaf, tab, context, deferred);
      const g = chosenGradient(shown.explanation, leaf);
      drawnLeaf = g ? leafKey(g) : null;
      errors = shown.explanation.errors.length;
    } else {
      content = failureView(shown, context);
      errors = 1;
    }
  } catch (error) {
    // A bug in drawing must not leave a blank panel.
    content = h(
      'section',
      { id: 'errors', class: 'errors', role: 'alert' },
      h(
        'div',
        { class: 'error' },
        l10n.t(
          'The panel could not draw this explanation ({0}). This is a bug in Backprop Notes; the command “Backprop Notes: Show Log” has details.',
          error instanceof Error ? error.message : String(error),
        ),
      ),
    );
    console.error(error);
  }
  app.replaceChildren(content);
  setBusy(busy);
  window.scrollTo(0, scroll);
  save();
  mark('drawn');
  const acknowledged: RenderedMessage = {
    type: 'rendered',
    requestId: shown.requestId,
    what: shown.type,
    leaf: drawnLeaf,
    errors,
    tab,
  };
  // Acknowledged once on screen with its fonts: "rendered" means painted (what the latency goal
  // counts, and what the user sees).
  afterPaint(() => {
    post({ ...acknowledged, timing: takeMarks() });
    drawWhenIdle(deferred, count);
  });
}

/** Redraws only the Train tab (training updates come several times a second). */
function refreshTrain(): void {
  if (shown?.type !== 'explanation') return;
  const panel = app.querySelector('vscode-tab-panel[data-tab="train"]');
  if (!panel) return;
  const { explanation, source } = shown;
  panel.replaceChildren(trainView(explanation, context, source.blockIndex, source.uri));
}

function setBusy(value: boolean): void {
  busy = value;
  const indicator = document.getElementById('busy');
  if (indicator) indicator.hidden = !value;
  app.classList.toggle('is-busy', value);
}

window.addEventListener('message', (event: MessageEvent) => {
  // NaN and ±∞ come wrapped: the JSON that carries messages has no such numbers.
  const parsed = parseHostMessage(unwrapNonFinite(event.data));
  if (!parsed.ok) {
    console.warn(`Backprop Notes webview: ${parsed.reason}`);
    return;
  }
  const message = parsed.value;
  switch (message.type) {
    case 'explanation':
      startDraw();
      shown = message;
      settings = message.settings;
      if (message.leaf !== null) leaf = message.leaf;
      busy = false;
      draw();
      break;
    case 'error':
      startDraw();
      shown = message;
      busy = false;
      draw();
      break;
    case 'busy':
      setBusy(message.busy);
      break;
    case 'showTab':
      tab = message.tab;
      draw();
      break;
    case 'training':
      training = message.run;
      refreshTrain();
      break;
    default:
      assertNever(message);
  }
});

markPage('ready');
post({ type: 'ready' });
