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
import { type Child, h } from './dom';
import { finite, math, matrix, shapeText } from './math';

/** What the views call back into. */
export interface ViewContext {
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

const tabTitles: Record<TabId, string> = {
  forward: 'Forward',
  backward: 'Backward',
  check: 'Gradient check',
};

export function explanationView(
  message: ExplanationMessage,
  leaf: string | null,
  tab: TabId,
  ctx: ViewContext,
): HTMLElement {
  const e = message.explanation;
  const panels: Record<TabId, HTMLElement> = {
    forward: forwardView(e, ctx),
    backward: backwardView(e, chosenGradient(e, leaf), ctx),
    check: checkView(e, ctx),
  };
  const order: TabId[] = ['forward', 'backward', 'check'];
  const tabs = h(
    'vscode-tabs',
    {
      id: 'tabs',
      'selected-index': order.indexOf(tab),
      'onvsc-tabs-select': (event: Event) => {
        const index = (event as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
        ctx.pickTab(order[index] ?? 'backward');
      },
    },
    order.map((id) => [
      h(
        'vscode-tab-header',
        { slot: 'header', 'data-tab': id },
        tabTitles[id],
        id === 'check' && e.gradientCheck ? [' ', gradeBadge(e.gradientCheck.grade)] : null,
      ),
      h('vscode-tab-panel', { 'data-tab': id }, panels[id]),
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
      ? `selection, lines ${source.target.range.start.line + 1}–${source.target.range.end.line + 1}`
      : source.kind === 'markdown'
        ? `block ${source.blockIndex + 1} of ${source.blockCount}${e ? `, line ${e.line}` : ''}`
        : 'whole file';
  return h(
    'header',
    { class: 'source' },
    h('span', { class: 'file' }, source.fileName),
    h('span', { class: 'where' }, where),
    elapsedMs !== null ? h('span', { class: 'elapsed' }, `engine ${formatMs(elapsedMs)}`) : null,
    h('span', { id: 'busy', class: 'busy', hidden: true }, 'updating…'),
  );
}

function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

function revealButton(line: number, column: number, ctx: ViewContext): HTMLElement {
  return h(
    'vscode-button',
    {
      class: 'reveal',
      secondary: true,
      title: `Show line ${line + 1} in the editor`,
      onclick: () => ctx.reveal(line, column),
    },
    `Go to line ${line + 1}`,
  );
}

function errorsView(errors: readonly ExplainedError[], ctx: ViewContext): HTMLElement | null {
  if (errors.length === 0) return null;
  return h(
    'section',
    { id: 'errors', class: 'errors', role: 'alert' },
    h('h2', {}, errors.length === 1 ? 'Error in the spec' : `${errors.length} errors in the spec`),
    errors.map((err) =>
      h(
        'div',
        { class: 'error', 'data-line': err.line, 'data-column': err.column, 'data-code': err.code },
        h('span', { class: 'where' }, `Line ${err.line}, column ${err.column}`),
        h('span', { class: 'message' }, err.message),
        revealButton(err.range.start.line, err.range.start.column, ctx),
      ),
    ),
    h('p', { class: 'note' }, 'Everything before the first error is still explained below.'),
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
    return empty('Nothing evaluated yet: fix the error above and the forward pass appears here.');
  }
  const root = e.root;
  return h(
    'div',
    { class: 'forward' },
    root
      ? h(
          'p',
          { class: 'root' },
          'Backward starts at ',
          math(e.nodes[root.node].label),
          root.seed === 'scalar'
            ? ` (${root.role ?? 'the last statement'}), seeded with ∂${root.name}/∂${root.name} = 1.`
            : ` (${root.role ?? 'the last statement'}, not a scalar): seeded with ones, so each gradient is that of the sum of its elements.`,
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
            ['Tensor', 'Formula', 'Shape', 'Value'].map((t) => h('th', {}, t)),
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
                          title: `Show line ${n.line} in the editor`,
                          onclick: (event: Event) => {
                            event.preventDefault();
                            ctx.reveal(n.range!.start.line, n.range!.start.column);
                          },
                        },
                        `line ${n.line}`,
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
        ? 'Nothing here gets a gradient. Mark the tensors to differentiate with param or input (e.g. “param W1 = randn(2, 3)”).'
        : 'Nothing evaluated, so there is no backward pass yet: fix the error above.',
    );
  }
  const key = leafKey(g);
  const picker = h(
    'vscode-single-select',
    {
      id: 'leaf',
      'aria-label': 'Tensor to differentiate with respect to',
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
      h('label', { for: 'leaf' }, 'Gradient with respect to'),
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
    h('h2', {}, 'Chain rule'),
    h(
      'p',
      { class: 'note' },
      'Under each factor: the shape of its full Jacobian (J), and the shape of the vector–Jacobian product backprop actually computes (VJP).',
    ),
    paths.length === 0
      ? empty('This tensor is where backward starts: its gradient is 1.')
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
      ? h('p', { class: 'note' }, `Showing ${g.paths.length} of ${g.pathCount} paths.`)
      : null,
    g.pathCount > 1 && g.pathSumError !== null
      ? h(
          'p',
          { class: 'note' },
          `${g.pathCount} paths lead here (the multivariate chain rule adds them); their sum matches backprop to ${compactNumber(g.pathSumError, 2)}.`,
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
    h('summary', {}, 'Local derivatives'),
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
    ? ' (the gradient passes through unchanged)'
    : ' (the gradient passes through, summed over the broadcast axes)';
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
      { class: 'shape jacobian', title: `The full Jacobian has ${f.jacobianSize} entries` },
      h('abbr', { title: 'full Jacobian' }, 'J'),
      ' ',
      shapeText(f.jacobianShape),
    ),
    h(
      'div',
      {
        class: 'shape vjp',
        title: 'What backprop computes instead: a tensor shaped like the input',
      },
      h('abbr', { title: 'vector–Jacobian product' }, 'VJP'),
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
    h('h2', {}, 'Backprop, step by step'),
    h(
      'ol',
      {},
      steps.map((s) =>
        h(
          'li',
          { class: 'step', 'data-node': nodeName(e, s.node), 'data-kind': s.kind },
          h('div', { class: 'rule' }, math(s.latex)),
          s.simplified
            ? h('div', { class: 'simplified' }, 'which simplifies to ', math(s.simplified))
            : null,
          s.terms.length > 1
            ? h(
                'ul',
                { class: 'terms' },
                s.terms.map((t) =>
                  h(
                    'li',
                    {},
                    'from ',
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
    h('h2', {}, sc.fused ? 'Fused softmax + cross-entropy' : 'Softmax + cross-entropy'),
    math(sc.latex, true),
    h(
      'p',
      {},
      'with ',
      sc.probabilitiesValue !== null
        ? math(`P = ${bm(sc.probabilitiesValue, ctx.settings)}`)
        : null,
      ', the labels one-hot ',
      math(`Y = ${bm(sc.oneHot, ctx.settings)}`),
      ' and ',
      math(`N = ${sc.batch}`),
      ' rows:',
    ),
    math(`\\frac{1}{N}(P - Y) = ${bm(sc.value, ctx.settings)}`, true),
    h(
      'p',
      { class: sc.agrees ? 'agrees' : 'differs' },
      sc.agrees
        ? 'Backprop sends exactly this to the logits.'
        : `Backprop sent something else to the logits (largest difference ${compactNumber(sc.maxAbsDifference, 3)}).`,
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
    h('h2', {}, 'Gradient'),
    math(`${g.derivative} = ${bm(g.grad, ctx.settings)}`, true),
    h('p', { class: 'shape' }, `shape ${shapeText(g.shape)}`),
  );
}

function notationView(e: Explanation): HTMLElement | null {
  if (e.notation.length === 0) return null;
  return h(
    'details',
    { class: 'notation' },
    h('summary', {}, 'Notation'),
    h(
      'dl',
      {},
      e.notation.map((n) => [h('dt', {}, math(n.symbol)), h('dd', {}, math(n.meaning))]),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Gradient check

const gradeText: Record<string, string> = {
  good: 'good',
  ok: 'ok',
  doubtful: 'doubtful',
  wrong: 'wrong',
  kink: 'kink',
};

function gradeBadge(grade: string): HTMLElement {
  return h(
    'vscode-badge',
    { class: `grade grade-${grade}`, 'data-grade': grade },
    gradeText[grade] ?? grade,
  );
}

function checkView(e: Explanation, ctx: ViewContext): HTMLElement {
  const report = e.gradientCheck;
  if (!report) {
    return empty(
      e.root
        ? 'The gradient check did not run: it is turned off (setting backpropNotes.explain.gradientCheck).'
        : 'Nothing evaluated, so there is nothing to check yet: fix the error above.',
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
        ? 'Every analytic gradient matches central finite differences.'
        : 'Some gradients disagree with central finite differences.',
    ),
    h(
      'p',
      { class: 'note' },
      `Relative error |a − n| / max(|a|, |n|) with step h = ${compactNumber(report.h, 2)}: good ≤ ${compactNumber(bands.good, 1)}, ok ≤ ${compactNumber(bands.ok, 1)}, doubtful ≤ ${compactNumber(bands.doubtful, 1)}, else wrong; a kink is an element where relu (or another corner) switches piece within h.`,
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
            h('th', {}, 'Tensor'),
            h('th', {}, 'Grade'),
            h('th', { class: 'number', title: 'of the worst element' }, 'Rel. error'),
            h('th', { class: 'number' }, 'Analytic'),
            h('th', { class: 'number' }, 'Numeric'),
            h('th', {}, 'At'),
            h('th', { class: 'number' }, 'Kinks'),
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

function checkRow(t: TensorCheck, ctx: ViewContext): HTMLElement {
  const w = t.worst;
  const d = ctx.settings.digits;
  return h(
    'tr',
    { class: `grade-${t.grade}`, 'data-tensor': t.name, 'data-grade': t.grade },
    h(
      'td',
      { class: 'name' },
      t.name,
      h(
        'div',
        { class: 'meta' },
        shapeText(t.shape),
        ', ',
        t.sampled ? `${t.elements.length} of ${t.total} checked` : `${t.total} checked`,
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
