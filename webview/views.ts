/**
 * Draws an Explanation: the header, the spec errors, and the Forward / Backward / Gradient check
 * tabs. Pure functions from data to elements; main.ts owns the state and the messages.
 *
 * Machine-readable hooks (for the UI tests and anyone scripting the panel): `data-*` attributes
 * carry names, shapes and full-precision values next to what KaTeX draws — e.g.
 * `#gradient[data-values]` holds the gradient as JSON, `.factor[data-of][data-wrt]` one chain
 * factor with its Jacobian and VJP shapes.
 */
import type { TensorCheck } from '../src/engine/gradcheck';
import type {
  BackpropStep,
  ChainFactor,
  ExplainedError,
  Explanation,
  GradientExplanation,
  SoftmaxCrossEntropyExplanation,
} from '../src/explain/explanation';
import type {
  ErrorMessage,
  ExplanationMessage,
  SourceInfo,
  TabId,
  ViewSettings,
} from '../src/protocol';
import { bmatrix, compactNumber, shapeOf } from '../src/render/format';
import {
  backpropNotFinite,
  notComparableWhy,
  worstElementText,
} from '../src/render/not-comparable';
import { l10n } from '../src/l10n';
import { type Child, h } from './dom';
import { type NotesContext, graphView, linearityView, memoryView, trainView } from './notes-views';
import { finite, math, matrix, shapeText } from './math';
import { numericsWarning } from './numerics-view';

/** What the views call back into. */
export interface ViewContext extends NotesContext {
  readonly settings: ViewSettings;
  /** Reveal a 0-based line/column of the explained document. */
  reveal(line: number, column: number): void;
  pickLeaf(leaf: string): void;
  pickTab(tab: TabId): void;
}

/** The key a leaf is picked by: its name, or `#id` for an unnamed tensor. */
export function leafKey(g: GradientExplanation): string {
  return g.name ?? `#${g.node}`;
}

/** The gradient to show: the picked leaf if it still exists, else the Explanation's focus. */
export function chosenGradient(e: Explanation, leaf: string | null): GradientExplanation | null {
  return (
    e.gradients.find((g) => leafKey(g) === leaf) ??
    e.gradients.find((g) => g.node === e.focus) ??
    e.gradients[0] ??
    null
  );
}

/** Tab titles in the display language (asked at draw time: the bundle arrives with the page). */
const tabTitles = (): Record<TabId, string> => ({
  forward: l10n.t('Forward'),
  backward: l10n.t('Backward'),
  check: l10n.t('Gradient check'),
  graph: l10n.t('Graph'),
  memory: l10n.t('Memory'),
  linearity: l10n.t('Linearity'),
  train: l10n.t('Train'),
});

/**
 * The explanation with its tabs. Only the tab shown is drawn at once (the first paint is what the
 * user waits for); the others are drawn when picked, or earlier by whoever runs `deferred` (main.ts
 * runs them when the webview is idle after the paint). Without `deferred`, every tab is drawn now.
 */
export function explanationView(
  message: ExplanationMessage,
  leaf: string | null,
  tab: TabId,
  ctx: ViewContext,
  deferred?: (() => void)[],
): HTMLElement {
  const e = message.explanation;
  const views: Record<TabId, () => HTMLElement> = {
    forward: () => withNumerics(e, 'forward', forwardView(e, ctx), ctx),
    backward: () => withNumerics(e, 'backward', backwardView(e, chosenGradient(e, leaf), ctx), ctx),
    // A NaN or ∞ gradient cannot be checked: the warning of where it first appeared goes on top.
    check: () => withNumerics(e, 'backward', checkView(e, ctx), ctx),
    graph: () => graphView(e, ctx, leaf),
    memory: () => memoryView(e, ctx),
    linearity: () => linearityView(e, ctx),
    train: () => trainView(e, ctx, message.source.blockIndex, message.source.uri),
  };
  const order: TabId[] = ['forward', 'backward', 'check', 'graph', 'memory', 'linearity', 'train'];
  const panels = new Map(order.map((id) => [id, h('vscode-tab-panel', { 'data-tab': id })]));
  const drawn = new Set<TabId>();
  /** Draws a tab's content once (picked, or its turn in `deferred`). */
  const fill = (id: TabId) => {
    if (drawn.has(id)) return;
    drawn.add(id);
    let content: HTMLElement;
    try {
      content = views[id]();
    } catch (error) {
      // A bug in one tab must not blank it silently (the other tabs still work).
      console.error(error);
      content = h(
        'div',
        { class: 'error', role: 'alert' },
        l10n.t(
          'The panel could not draw this explanation ({0}). This is a bug in Backprop Notes; the command “Backprop Notes: Show Log” has details.',
          error instanceof Error ? error.message : String(error),
        ),
      );
    }
    panels.get(id)!.replaceChildren(content);
  };
  fill(tab);
  for (const id of order) {
    if (deferred) deferred.push(() => fill(id));
    else fill(id);
  }
  const tabs = h(
    'vscode-tabs',
    {
      id: 'tabs',
      'selected-index': order.indexOf(tab),
      'onvsc-tabs-select': (event: Event) => {
        const index = (event as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
        const picked = order[index] ?? 'backward';
        fill(picked);
        ctx.pickTab(picked);
      },
    },
    order.map((id) => [
      h(
        'vscode-tab-header',
        { slot: 'header', 'data-tab': id },
        tabTitles()[id],
        id === 'check' && e.gradientCheck ? [' ', gradeBadge(e.gradientCheck.grade)] : null,
      ),
      panels.get(id)!,
    ]),
  );
  return h(
    'div',
    { class: 'explanation', 'data-request': message.requestId },
    header(message.source, e, message.elapsedMs),
    errorsView(e.errors, ctx),
    e.notices.length > 0
      ? h(
          'ul',
          { class: 'notices' },
          e.notices.map((n) => h('li', {}, n)),
        )
      : null,
    tabs,
  );
}

/** A run that failed as a whole: the message, and the line it is about when there is one. */
export function failureView(message: ErrorMessage, ctx: ViewContext): HTMLElement {
  return h(
    'div',
    { class: 'failure', 'data-request': message.requestId },
    message.source ? header(message.source, null, null) : null,
    h(
      'section',
      { id: 'errors', class: 'errors', role: 'alert' },
      h(
        'div',
        { class: 'error', 'data-line': message.line === null ? null : message.line + 1 },
        h('span', { class: 'message' }, message.message),
        message.line !== null ? revealButton(message.line, 0, ctx) : null,
      ),
    ),
  );
}

function header(source: SourceInfo, e: Explanation | null, elapsedMs: number | null): HTMLElement {
  const where =
    source.target.kind === 'selection'
      ? l10n.t(
          'selection, lines {0}–{1}',
          source.target.range.start.line + 1,
          source.target.range.end.line + 1,
        )
      : source.kind === 'markdown'
        ? e
          ? l10n.t('block {0} of {1}, line {2}', source.blockIndex + 1, source.blockCount, e.line)
          : l10n.t('block {0} of {1}', source.blockIndex + 1, source.blockCount)
        : l10n.t('whole file');
  return h(
    'header',
    { class: 'source' },
    h('span', { class: 'file' }, source.fileName),
    h('span', { class: 'where' }, where),
    elapsedMs !== null
      ? h('span', { class: 'elapsed' }, l10n.t('engine {0}', formatMs(elapsedMs)))
      : null,
    h('span', { id: 'busy', class: 'busy', hidden: true }, l10n.t('updating…')),
  );
}

function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** A tab's content under the warning of where its NaN or ∞ first appeared, if any. */
function withNumerics(
  e: Explanation,
  pass: 'forward' | 'backward',
  view: HTMLElement,
  ctx: ViewContext,
): HTMLElement {
  const warning = numericsWarning(e.numerics, pass, (line, column) =>
    revealButton(line, column, ctx),
  );
  return warning ? h('div', { class: 'with-numerics' }, warning, view) : view;
}

function revealButton(line: number, column: number, ctx: ViewContext): HTMLElement {
  return h(
    'vscode-button',
    {
      class: 'reveal',
      secondary: true,
      title: l10n.t('Show line {0} in the editor', line + 1),
      onclick: () => ctx.reveal(line, column),
    },
    l10n.t('Go to line {0}', line + 1),
  );
}

function errorsView(errors: readonly ExplainedError[], ctx: ViewContext): HTMLElement | null {
  if (errors.length === 0) return null;
  return h(
    'section',
    { id: 'errors', class: 'errors', role: 'alert' },
    h(
      'h2',
      {},
      errors.length === 1
        ? l10n.t('Error in the spec')
        : l10n.t('{0} errors in the spec', errors.length),
    ),
    errors.map((err) =>
      h(
        'div',
        { class: 'error', 'data-line': err.line, 'data-column': err.column, 'data-code': err.code },
        h('span', { class: 'where' }, l10n.t('Line {0}, column {1}', err.line, err.column)),
        h('span', { class: 'message' }, err.message),
        revealButton(err.range.start.line, err.range.start.column, ctx),
      ),
    ),
    h(
      'p',
      { class: 'note' },
      l10n.t('Everything before the first error is still explained below.'),
    ),
  );
}

function empty(text: string): HTMLElement {
  return h('p', { class: 'empty' }, text);
}

// ---------------------------------------------------------------------------------------------
// Forward

function forwardView(e: Explanation, ctx: ViewContext): HTMLElement {
  const named = e.nodes.filter((n) => n.name !== null);
  if (named.length === 0) {
    return empty(
      l10n.t('Nothing evaluated yet: fix the error above and the forward pass appears here.'),
    );
  }
  const root = e.root;
  return h(
    'div',
    { class: 'forward' },
    root
      ? h(
          'p',
          { class: 'root' },
          l10n.t('Backward starts at '),
          math(e.nodes[root.node].label),
          root.seed === 'scalar'
            ? l10n.t(
                ' ({0}), seeded with ∂{1}/∂{1} = 1.',
                root.role ?? l10n.t('the last statement'),
                root.name,
              )
            : l10n.t(
                ' ({0}, not a scalar): seeded with ones, so each gradient is that of the sum of its elements.',
                root.role ?? l10n.t('the last statement'),
              ),
        )
      : null,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'nodes' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [l10n.t('Tensor'), l10n.t('Formula'), l10n.t('Shape'), l10n.t('Value')].map((t) =>
              h('th', {}, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          named.map((n) =>
            h(
              'tr',
              {
                'data-node': n.name,
                class: root && n.id === root.node ? 'is-root' : null,
              },
              h(
                'td',
                { class: 'name' },
                math(n.label),
                h(
                  'div',
                  { class: 'meta' },
                  h('span', { class: `role role-${n.role}` }, n.role),
                  n.range && n.line !== null
                    ? h(
                        'a',
                        {
                          class: 'line',
                          href: '#',
                          title: l10n.t('Show line {0} in the editor', n.line),
                          onclick: (event: Event) => {
                            event.preventDefault();
                            ctx.reveal(n.range!.start.line, n.range!.start.column);
                          },
                        },
                        l10n.t('line {0}', n.line),
                      )
                    : null,
                ),
              ),
              h(
                'td',
                { class: 'formula' },
                n.formula ? math(n.formula) : h('code', {}, n.source ?? ''),
                n.comment ? h('div', { class: 'comment' }, `# ${n.comment}`) : null,
              ),
              h('td', { class: 'shape' }, shapeText(n.shape)),
              h('td', { class: 'value' }, matrix(n.value, ctx.settings)),
            ),
          ),
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Backward

function backwardView(
  e: Explanation,
  g: GradientExplanation | null,
  ctx: ViewContext,
): HTMLElement {
  if (!g) {
    return empty(
      e.root
        ? l10n.t(
            'Nothing here gets a gradient. Mark the tensors to differentiate with param or input (e.g. “param W1 = randn(2, 3)”).',
          )
        : l10n.t('Nothing evaluated, so there is no backward pass yet: fix the error above.'),
    );
  }
  const key = leafKey(g);
  const picker = h(
    'vscode-single-select',
    {
      id: 'leaf',
      'aria-label': l10n.t('Tensor to differentiate with respect to'),
      onchange: (event: Event) => {
        const value = (event.target as HTMLElement & { value: string }).value;
        if (value) ctx.pickLeaf(value);
      },
    },
    e.gradients.map((x) =>
      h(
        'vscode-option',
        { value: leafKey(x), selected: leafKey(x) === key, description: x.role },
        leafKey(x),
      ),
    ),
  );
  const steps = g.steps.map((i) => e.steps[i]).filter((s): s is BackpropStep => s !== undefined);
  return h(
    'div',
    { class: 'backward', 'data-leaf': key },
    h(
      'div',
      { class: 'picker' },
      h('label', { for: 'leaf' }, l10n.t('Gradient with respect to')),
      picker,
      h('span', { class: 'shape' }, shapeText(g.shape)),
    ),
    chainView(e, g),
    stepsView(e, steps, ctx),
    e.softmaxCrossEntropy.map((sc) => softmaxCrossEntropyView(sc, ctx)),
    gradientView(g, key, ctx),
    notationView(e),
  );
}

function nodeName(e: Explanation, id: number): string {
  const node = e.nodes[id];
  return node ? (node.name ?? `#${id}`) : `#${id}`;
}

function chainView(e: Explanation, g: GradientExplanation): HTMLElement {
  const paths = g.paths.filter((p) => p.factors.length > 0);
  return h(
    'section',
    { class: 'chain', 'data-leaf': leafKey(g), 'data-path-count': g.pathCount },
    h('h2', {}, l10n.t('Chain rule')),
    h(
      'p',
      { class: 'note' },
      l10n.t(
        'Under each factor: the shape of its full Jacobian (J), and the shape of the vector–Jacobian product backprop actually computes (VJP).',
      ),
    ),
    paths.length === 0
      ? empty(l10n.t('This tensor is where backward starts: its gradient is 1.'))
      : h(
          'div',
          { class: 'equation' },
          h(
            'div',
            { class: 'lhs' },
            math(`\\displaystyle ${g.derivative}`),
            h('span', { class: 'op' }, '='),
          ),
          paths.map((p, i) => [
            i > 0 ? h('span', { class: 'op plus' }, '+') : null,
            h(
              'div',
              { class: 'path', 'data-path': i },
              p.factors.map((f) => factorView(e, f)),
            ),
          ]),
        ),
    localsView(paths.flatMap((p) => p.factors)),
    g.truncated
      ? h('p', { class: 'note' }, l10n.t('Showing {0} of {1} paths.', g.paths.length, g.pathCount))
      : null,
    g.pathCount > 1 && g.pathSumError !== null
      ? h(
          'p',
          { class: 'note' },
          l10n.t(
            '{0} paths lead here (the multivariate chain rule adds them); their sum matches backprop to {1}.',
            g.pathCount,
            compactNumber(g.pathSumError, 2),
          ),
        )
      : null,
  );
}

/** Each distinct factor's local derivative, from the ops' own formulas. */
function localsView(factors: readonly ChainFactor[]): HTMLElement | null {
  const seen = new Set<string>();
  const distinct = factors.filter((f) => {
    const key = `${f.of}/${f.wrt}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (distinct.length === 0) return null;
  return h(
    'details',
    { class: 'locals', open: true },
    h('summary', {}, l10n.t('Local derivatives')),
    h(
      'table',
      {},
      h(
        'tbody',
        {},
        distinct.map((f) =>
          h(
            'tr',
            {},
            h('td', {}, math(f.latex)),
            h('td', { class: 'op' }, '='),
            h(
              'td',
              {},
              f.local === 'I'
                ? [math('I'), h('span', { class: 'note' }, identityNote(f))]
                : math(f.local),
            ),
          ),
        ),
      ),
    ),
  );
}

/** What an identity factor does to the gradient: nothing, or a sum over broadcast axes. */
function identityNote(f: ChainFactor): string {
  const ofShape = f.jacobianShape.slice(0, f.jacobianShape.length - f.vjpShape.length);
  return ofShape.join(',') === f.vjpShape.join(',')
    ? l10n.t(' (the gradient passes through unchanged)')
    : l10n.t(' (the gradient passes through, summed over the broadcast axes)');
}

function factorView(e: Explanation, f: ChainFactor): HTMLElement {
  return h(
    'div',
    {
      class: 'factor',
      'data-of': nodeName(e, f.of),
      'data-wrt': nodeName(e, f.wrt),
      'data-jacobian-shape': f.jacobianShape.join(','),
      'data-vjp-shape': f.vjpShape.join(','),
    },
    h('div', { class: 'factor-math' }, math(`\\displaystyle ${f.latex}`)),
    h(
      'div',
      {
        class: 'shape jacobian',
        title: l10n.t('The full Jacobian has {0} entries', f.jacobianSize),
      },
      h('abbr', { title: l10n.t('full Jacobian') }, 'J'),
      ' ',
      shapeText(f.jacobianShape),
    ),
    h(
      'div',
      {
        class: 'shape vjp',
        title: l10n.t('What backprop computes instead: a tensor shaped like the input'),
      },
      h('abbr', { title: l10n.t('vector–Jacobian product') }, 'VJP'),
      ' ',
      shapeText(f.vjpShape),
    ),
  );
}

function bm(value: unknown, settings: ViewSettings): string {
  return bmatrix(finite(value), {
    maxRows: settings.maxRows,
    maxCols: settings.maxColumns,
    digits: settings.digits,
  });
}

function stepsView(e: Explanation, steps: readonly BackpropStep[], ctx: ViewContext): HTMLElement {
  return h(
    'section',
    { class: 'steps' },
    h('h2', {}, l10n.t('Backprop, step by step')),
    h(
      'ol',
      {},
      steps.map((s) =>
        h(
          'li',
          { class: 'step', 'data-node': nodeName(e, s.node), 'data-kind': s.kind },
          h('div', { class: 'rule' }, math(s.latex)),
          s.simplified
            ? h('div', { class: 'simplified' }, l10n.t('which simplifies to '), math(s.simplified))
            : null,
          s.terms.length > 1
            ? h(
                'ul',
                { class: 'terms' },
                s.terms.map((t) =>
                  h(
                    'li',
                    {},
                    l10n.t('from '),
                    math(e.nodes[t.from]?.label ?? '?'),
                    ': ',
                    math(`${t.rule} = ${bm(t.value, ctx.settings)}`),
                  ),
                ),
              )
            : null,
          // The scalar seed's rule already ends in its value (= 1).
          s.kind === 'seed' && s.shape.length === 0
            ? null
            : h(
                'div',
                { class: 'value' },
                math(`${s.symbol} = ${bm(s.value, ctx.settings)}`),
                h('span', { class: 'shape' }, shapeText(s.shape)),
              ),
        ),
      ),
    ),
  );
}

function softmaxCrossEntropyView(
  sc: SoftmaxCrossEntropyExplanation,
  ctx: ViewContext,
): HTMLElement {
  return h(
    'section',
    { class: 'softmax-ce', 'data-agrees': String(sc.agrees) },
    h(
      'h2',
      {},
      sc.fused ? l10n.t('Fused softmax + cross-entropy') : l10n.t('Softmax + cross-entropy'),
    ),
    math(sc.latex, true),
    h(
      'p',
      {},
      l10n.t('with '),
      sc.probabilitiesValue !== null
        ? math(`P = ${bm(sc.probabilitiesValue, ctx.settings)}`)
        : null,
      l10n.t(', the labels one-hot '),
      math(`Y = ${bm(sc.oneHot, ctx.settings)}`),
      l10n.t(' and '),
      math(`N = ${sc.batch}`),
      l10n.t(' rows:'),
    ),
    math(`\\frac{1}{N}(P - Y) = ${bm(sc.value, ctx.settings)}`, true),
    h(
      'p',
      { class: sc.agrees ? 'agrees' : 'differs' },
      sc.agrees
        ? l10n.t('Backprop sends exactly this to the logits.')
        : l10n.t(
            'Backprop sent something else to the logits (largest difference {0}).',
            compactNumber(sc.maxAbsDifference, 3),
          ),
    ),
  );
}

function gradientView(g: GradientExplanation, key: string, ctx: ViewContext): HTMLElement {
  return h(
    'section',
    {
      id: 'gradient',
      class: 'gradient',
      'data-leaf': key,
      'data-shape': g.shape.join(','),
      'data-values': JSON.stringify(g.grad),
      // False when the tensor was too large to send whole (only the drawn window is here).
      'data-complete': String(shapeOf(g.grad).join(',') === g.shape.join(',')),
    },
    h('h2', {}, l10n.t('Gradient')),
    math(`${g.derivative} = ${bm(g.grad, ctx.settings)}`, true),
    h('p', { class: 'shape' }, l10n.t('shape {0}', shapeText(g.shape))),
  );
}

function notationView(e: Explanation): HTMLElement | null {
  if (e.notation.length === 0) return null;
  return h(
    'details',
    { class: 'notation' },
    h('summary', {}, l10n.t('Notation')),
    h(
      'dl',
      {},
      e.notation.map((n) => [h('dt', {}, math(n.symbol)), h('dd', {}, math(n.meaning))]),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Gradient check

/** A grade as shown (`data-grade` keeps the English name for scripts). */
function gradeText(grade: string): string {
  switch (grade) {
    case 'good':
      return l10n.t('good');
    case 'ok':
      return l10n.t('ok');
    case 'doubtful':
      return l10n.t('doubtful');
    case 'wrong':
      return l10n.t('wrong');
    case 'kink':
      return l10n.t('kink');
    case 'not-comparable':
      return l10n.t('not comparable');
    default:
      return grade;
  }
}

function gradeBadge(grade: string): HTMLElement {
  return h(
    'vscode-badge',
    { class: `grade grade-${grade}`, 'data-grade': grade },
    gradeText(grade),
  );
}

function checkView(e: Explanation, ctx: ViewContext): HTMLElement {
  const report = e.gradientCheck;
  if (!report) {
    return empty(
      e.root
        ? l10n.t(
            'The gradient check did not run: it is turned off (setting backpropNotes.explain.gradientCheck).',
          )
        : l10n.t('Nothing evaluated, so there is nothing to check yet: fix the error above.'),
    );
  }
  const bands = report.bands;
  return h(
    'div',
    { class: 'check', 'data-grade': report.grade },
    h(
      'p',
      { class: 'summary' },
      gradeBadge(report.grade),
      ' ',
      report.passed
        ? l10n.t('Every analytic gradient matches central finite differences.')
        : report.tensors.some((t) => t.grade === 'wrong')
          ? l10n.t('Some gradients disagree with central finite differences.')
          : l10n.t(
              'Some gradients are NaN or ∞, so they cannot be compared with central finite differences.',
            ),
    ),
    notComparableView(
      report.tensors,
      report.h,
      e.numerics !== undefined && !e.numerics.gradientsFinite,
    ),
    h(
      'p',
      { class: 'note' },
      l10n.t(
        'Relative error |a − n| / max(|a|, |n|) with step h = {0}: good ≤ {1}, ok ≤ {2}, doubtful ≤ {3}, else wrong; a kink is an element where relu (or another corner) switches piece within h; not comparable when either side is NaN or ∞.',
        compactNumber(report.h, 2),
        compactNumber(bands.good, 1),
        compactNumber(bands.ok, 1),
        compactNumber(bands.doubtful, 1),
      ),
    ),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'checks' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, l10n.t('Tensor')),
            h('th', {}, l10n.t('Grade')),
            h(
              'th',
              { class: 'number', title: l10n.t('of the worst element') },
              l10n.t('Rel. error'),
            ),
            h('th', { class: 'number' }, l10n.t('Analytic')),
            h('th', { class: 'number' }, l10n.t('Numeric')),
            h('th', {}, l10n.t('At')),
            h('th', { class: 'number' }, l10n.t('Kinks')),
          ),
        ),
        h(
          'tbody',
          {},
          report.tensors.map((t) => checkRow(t, ctx)),
        ),
      ),
    ),
  );
}

/**
 * The tensors whose check could not compare (a NaN or ∞ on a side): which side, that it is not a
 * wrong backward rule, and where to look — the warning above the table for backprop's own NaN or
 * ∞, a smaller step when only the finite difference is not finite. Null when there are none.
 */
function notComparableView(
  tensors: readonly TensorCheck[],
  step: number,
  warningAbove: boolean,
): HTMLElement | null {
  const found = tensors.filter((t) => t.grade === 'not-comparable' && t.worst?.notFinite);
  if (found.length === 0) return null;
  const backprop = found.some((t) => backpropNotFinite(t.worst!.notFinite!));
  const stepOnly = found.some((t) => !backpropNotFinite(t.worst!.notFinite!));
  return h(
    'div',
    { class: 'not-comparable' },
    h(
      'ul',
      {},
      found.map((t) =>
        h(
          'li',
          { 'data-tensor': t.name },
          `${worstElementText(t)}: ${notComparableWhy(t.worst!.notFinite!)}.`,
        ),
      ),
    ),
    backprop
      ? h(
          'p',
          {},
          warningAbove
            ? l10n.t(
                'A NaN or ∞ cannot be compared with finite differences: this is not a wrong backward rule, but the gradient is not usable. The warning above says which statement first produced it.',
              )
            : l10n.t(
                'A NaN or ∞ cannot be compared with finite differences: this is not a wrong backward rule, but the gradient is not usable.',
              ),
        )
      : null,
    stepOnly
      ? h(
          'p',
          {},
          l10n.t(
            'Where only the finite difference is not finite, the gradient was not checked: the step h = {0} reaches where the loss is not finite. Try a smaller step (setting backpropNotes.gradientCheck.step).',
            compactNumber(step, 2),
          ),
        )
      : null,
  );
}

function checkRow(t: TensorCheck, ctx: ViewContext): HTMLElement {
  const w = t.worst;
  const d = ctx.settings.digits;
  return h(
    'tr',
    {
      class: `grade-${t.grade}`,
      'data-tensor': t.name,
      'data-grade': t.grade,
      ...(w?.notFinite ? { title: notComparableWhy(w.notFinite) } : {}),
    },
    h(
      'td',
      { class: 'name' },
      t.name,
      h(
        'div',
        { class: 'meta' },
        shapeText(t.shape),
        ', ',
        t.sampled
          ? l10n.t('{0} of {1} checked', t.elements.length, t.total)
          : l10n.t('{0} checked', t.total),
      ),
    ),
    h('td', {}, gradeBadge(t.grade)),
    h('td', { class: 'number' }, w ? compactNumber(w.relativeError, 2) : '—'),
    h('td', { class: 'number' }, w ? compactNumber(w.analytic, d) : '—'),
    h('td', { class: 'number' }, w ? compactNumber(w.numeric, d) : '—'),
    h('td', { class: 'number' }, w ? `[${w.position.join(', ')}]` : '—'),
    h('td', { class: 'number' }, String(t.kinks)),
  );
}

export type { Child };
