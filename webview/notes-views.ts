/**
 * The study-note tabs of the panel: Graph (the computation graph, left to right), Memory (what
 * backward keeps, op by op, and how it grows with the batch), Linearity (stacked affine layers
 * collapsed to one) and Train (the loss per gradient-descent step). Pure functions from data to
 * elements, like views.ts; the layout and plot geometry come from src/views/ (tested in Node).
 *
 * Hooks for tests: `.graph-node[data-node]` (the tensor's name) with `data-line` (1-based),
 * `#memory[data-saved-bytes]`, `.linear-run[data-equal]`, `#train[data-status][data-final-loss]`.
 */
import type { Explanation } from '../src/explain/explanation';
import { l10n } from '../src/l10n';
import type { TrainingRun, ViewSettings } from '../src/protocol';
import { bytesText, compactNumber, shapeText } from '../src/render/format';
import {
  type GraphDetail,
  type GraphLayout,
  graphMetrics,
  layoutGraph,
} from '../src/views/graph-layout';
import { type PlotModel, type PlotSeries, plotModel } from '../src/views/plot';
import { type Child, h } from './dom';
import { math, matrix } from './math';

/** What these tabs call back into (a part of views.ts's ViewContext). */
export interface NotesContext {
  readonly settings: ViewSettings;
  /** The latest training run of the panel's note, if any. */
  readonly training: TrainingRun | null;
  reveal(line: number, column: number): void;
  /** A tensor clicked in the graph: becomes the Backward tab's tensor. */
  selectTensor(name: string): void;
  trainAction(action: 'start' | 'cancel' | 'apply'): void;
  /** Draw again (after a local change such as the graph's detail). */
  redraw(): void;
}

const svgNs = 'http://www.w3.org/2000/svg';

type SvgAttrs = Record<string, string | number | null | undefined | ((event: Event) => void)>;

/** `h` for SVG elements. */
function s(
  tag: string,
  attrs: SvgAttrs = {},
  ...children: (SVGElement | string | null)[]
): SVGElement {
  const element = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

function empty(text: string): HTMLElement {
  return h('p', { class: 'empty' }, text);
}

// ---------------------------------------------------------------------------------------------
// Graph

/** Kept across redraws of the panel (not across reloads: a view preference, not note state). */
let detail: GraphDetail = 'tensors';
/** `fit`: the whole graph in the panel's width; `actual`: 100%, scrolling. */
let zoom: 'fit' | 'actual' = 'fit';
let selected: string | null = null;

export function graphView(e: Explanation, ctx: NotesContext, leaf: string | null): HTMLElement {
  if (e.nodes.length === 0) {
    return empty(l10n.t('Nothing evaluated yet: fix the error above and the graph appears here.'));
  }
  let layout: GraphLayout;
  try {
    layout = layoutGraph(e, detail);
  } catch (error) {
    return empty(
      l10n.t(
        'The graph could not be laid out ({0}). This is a bug in Backprop Notes; the other tabs still work.',
        error instanceof Error ? error.message : String(error),
      ),
    );
  }
  const current = selected ?? leaf;
  const m = graphMetrics;
  const arrows = layout.arrows.map((a) =>
    s('path', {
      class: 'graph-edge',
      d: a.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x} ${p.y}`).join(' '),
      'marker-end': 'url(#arrow)',
      'data-from': a.from,
      'data-to': a.to,
    }),
  );
  const boxes = layout.boxes.map((b) => {
    const key = b.name ?? `#${b.node}`;
    const lines = [b.op + ' · ' + b.shape, b.value, '∇ ' + b.gradient];
    const activate = () => {
      selected = key;
      if (b.name !== null) ctx.selectTensor(b.name);
      else ctx.redraw();
      if (b.reveal) ctx.reveal(b.reveal.line, b.reveal.column);
    };
    return s(
      'g',
      {
        class: `graph-node kind-${b.role}${b.isRoot ? ' is-root' : ''}${current === key ? ' is-selected' : ''}`,
        transform: `translate(${b.x} ${b.y})`,
        tabindex: 0,
        role: 'button',
        'data-node': key,
        'data-line': b.reveal ? b.reveal.line + 1 : null,
        'aria-label': `${b.title}: ${lines.join(', ')}`,
        onclick: activate,
        onkeydown: (event: Event) => {
          const k = (event as KeyboardEvent).key;
          if (k === 'Enter' || k === ' ') {
            event.preventDefault();
            activate();
          }
        },
      },
      s(
        'title',
        {},
        [
          `${b.title} (${b.op}, ${b.shape})`,
          l10n.t('value: {0}', b.valueDetail),
          l10n.t('gradient: {0}', b.gradientDetail),
          b.reveal ? l10n.t('Click to show line {0}.', b.reveal.line + 1) : '',
        ]
          .filter((x) => x !== '')
          .join('\n'),
      ),
      s('rect', { width: b.width, height: b.height, rx: 5, ry: 5 }),
      s('rect', { class: 'role-bar', width: 4, height: b.height, rx: 2, ry: 2 }),
      s('text', { class: 'title', x: m.padding + 2, y: m.padding + 11 }, b.title),
      ...lines.map((line, i) =>
        s(
          'text',
          { class: `line line-${i}`, x: m.padding + 2, y: m.padding + 11 + (i + 1) * m.lineHeight },
          line,
        ),
      ),
    );
  });
  // Fit: as wide as the panel, never wider than 100% nor narrower than half (then it scrolls),
  // by CSS, so it follows the panel when it is resized. Actual: 100%.
  const svg = s(
    'svg',
    {
      class: 'graph',
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      width: layout.width,
      height: layout.height,
      style:
        zoom === 'fit'
          ? `width: 100%; max-width: ${layout.width}px; min-width: ${Math.round(layout.width / 2)}px; height: auto`
          : null,
      role: 'img',
      'aria-label': l10n.t('Computation graph'),
    },
    s(
      'defs',
      {},
      s(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
        },
        s('path', { class: 'graph-arrowhead', d: 'M0 0 L10 5 L0 10 z' }),
      ),
    ),
    ...arrows,
    ...boxes,
  );
  const toggle = (value: GraphDetail, label: string) =>
    h(
      'vscode-button',
      {
        class: 'detail',
        secondary: detail !== value,
        'data-detail': value,
        onclick: () => {
          if (detail === value) return;
          detail = value;
          ctx.redraw();
        },
      },
      label,
    );
  return h(
    'div',
    { id: 'graph', 'data-detail': detail, 'data-zoom': zoom, 'data-nodes': layout.boxes.length },
    h(
      'div',
      { class: 'graph-toolbar' },
      toggle('tensors', l10n.t('Named tensors')),
      toggle('ops', l10n.t('Every op')),
      h(
        'vscode-button',
        {
          class: 'zoom',
          secondary: true,
          'data-zoom': zoom,
          onclick: () => {
            zoom = zoom === 'fit' ? 'actual' : 'fit';
            ctx.redraw();
          },
        },
        zoom === 'fit' ? l10n.t('Actual size') : l10n.t('Fit to width'),
      ),
      h(
        'span',
        { class: 'note' },
        l10n.t('Click a tensor to follow it in the Backward tab and show its line.'),
      ),
    ),
    h('div', { class: 'graph-scroll' }, svg),
    legend(),
  );
}

function legend(): HTMLElement {
  const item = (role: string, text: string) =>
    h('span', { class: `legend-item kind-${role}` }, h('span', { class: 'swatch' }), text);
  return h(
    'div',
    { class: 'graph-legend note' },
    item('param', l10n.t('parameter')),
    item('input', l10n.t('input')),
    item('target', l10n.t('target')),
    item('computed', l10n.t('computed')),
    item('loss', l10n.t('loss / where backward starts')),
    h(
      'span',
      {},
      l10n.t(
        'Each box: the name; op · shape; the values (smallest … largest); ∇ the gradient, likewise. Hover a box for the mean and norm.',
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Plots

interface PlotFrame {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Series name → legend text. */
  readonly legend: Readonly<Record<string, string>>;
  /** An x value to mark with a dashed line (the block's own batch size). */
  readonly markX?: { readonly value: number; readonly label: string };
}

function plotView(model: PlotModel, frame: PlotFrame, id: string): HTMLElement {
  const { area } = model;
  const grid = [
    ...model.yTicks.map((t) =>
      s('line', { class: 'grid', x1: area.left, x2: area.right, y1: t.at, y2: t.at }),
    ),
    ...model.xTicks.map((t) =>
      s('line', { class: 'grid', x1: t.at, x2: t.at, y1: area.top, y2: area.bottom }),
    ),
  ];
  const labels = [
    ...model.yTicks.map((t) =>
      s('text', { class: 'tick y', x: area.left - 6, y: t.at + 4, 'text-anchor': 'end' }, t.label),
    ),
    ...model.xTicks.map((t) =>
      s(
        'text',
        { class: 'tick x', x: t.at, y: area.bottom + 16, 'text-anchor': 'middle' },
        t.label,
      ),
    ),
    s(
      'text',
      {
        class: 'axis-label',
        x: (area.left + area.right) / 2,
        y: model.height - 2,
        'text-anchor': 'middle',
      },
      frame.xLabel,
    ),
  ];
  let mark: SVGElement | null = null;
  if (frame.markX) {
    const tick = model.xTicks.find((t) => t.value === frame.markX!.value);
    const at = tick?.at ?? markPosition(model, frame.markX.value);
    if (at !== null) {
      mark = s(
        'g',
        { class: 'mark' },
        s('line', { x1: at, x2: at, y1: area.top, y2: area.bottom }),
        s('text', { x: at + 4, y: area.top + 12 }, frame.markX.label),
      );
    }
  }
  const series = model.series.map((x, i) =>
    s(
      'g',
      { class: `series series-${i}`, 'data-series': x.name },
      s('path', { d: x.path }),
      ...(x.pixels.length <= 40
        ? x.pixels.map((p) => s('circle', { cx: p[0], cy: p[1], r: 2.5 }))
        : []),
    ),
  );
  return h(
    'figure',
    { class: 'plot', id },
    h('figcaption', {}, frame.title),
    s(
      'svg',
      {
        viewBox: `0 0 ${model.width} ${model.height}`,
        width: model.width,
        height: model.height,
        role: 'img',
        'aria-label': `${frame.title}: ${frame.yLabel} / ${frame.xLabel}`,
      },
      ...grid,
      s('rect', {
        class: 'frame',
        x: area.left,
        y: area.top,
        width: area.right - area.left,
        height: area.bottom - area.top,
      }),
      mark,
      ...series,
      ...labels,
    ),
    h(
      'div',
      { class: 'plot-legend' },
      h('span', { class: 'y-label' }, frame.yLabel + ':'),
      model.series.map((x, i) =>
        h(
          'span',
          { class: `legend-item series-${i}` },
          h('span', { class: 'swatch' }),
          frame.legend[x.name] ?? x.name,
        ),
      ),
      model.logY ? h('span', { class: 'note' }, l10n.t('(logarithmic scale)')) : null,
    ),
  );
}

/** Where an x value falls between the ticks of a log-2 axis (the batch axis). */
function markPosition(model: PlotModel, value: number): number | null {
  const ticks = model.xTicks;
  for (let i = 0; i + 1 < ticks.length; i++) {
    const a = ticks[i];
    const b = ticks[i + 1];
    if (value >= a.value && value <= b.value) {
      const f = Math.log(value / a.value) / Math.log(b.value / a.value);
      return a.at + f * (b.at - a.at);
    }
  }
  return null;
}

function plotWidth(): number {
  return Math.max(320, Math.min(720, window.innerWidth - 48));
}

// ---------------------------------------------------------------------------------------------
// Memory

export function memoryView(e: Explanation, ctx: NotesContext): HTMLElement {
  const m = e.memory;
  if (!m) {
    return empty(
      l10n.t(
        'Nothing evaluated, so there is no backward pass to keep memory for: fix the error above.',
      ),
    );
  }
  const inf = m.inference;
  const maxBytes = Math.max(1, ...m.ops.map((o) => o.newBytes));
  const rows = m.ops
    .filter((o) => o.saved.length > 0)
    .map((o) =>
      h(
        'tr',
        { 'data-op': o.op, 'data-node': o.node },
        h('td', { class: 'name' }, math(o.label), h('div', { class: 'meta' }, o.op)),
        h(
          'td',
          {},
          o.saved.map((t) =>
            h(
              'div',
              { class: t.counted ? 'saved' : 'saved repeat' },
              math(t.label),
              ` (${t.as}) `,
              h('span', { class: 'shape' }, shapeText(t.shape)),
              t.counted ? null : h('span', { class: 'note' }, ' ' + l10n.t('kept already')),
            ),
          ),
        ),
        h('td', { class: 'number' }, bytesText(o.newBytes)),
        h(
          'td',
          { class: 'bar-cell' },
          h('span', {
            class: 'bar',
            style: `width: ${Math.round((o.newBytes / maxBytes) * 100)}%`,
          }),
        ),
      ),
    );
  const nothingKept = m.ops.filter((o) => o.saved.length === 0).map((o) => o.op);
  return h(
    'div',
    {
      id: 'memory',
      'data-saved-bytes': m.savedBytes,
      'data-training-bytes': m.trainingBytes,
      'data-inference-bytes': inf.peakBytes,
    },
    h(
      'div',
      { class: 'cards' },
      card(
        l10n.t('Backward keeps'),
        bytesText(m.savedBytes),
        l10n.t('{0} of it activations', bytesText(m.savedActivationBytes)),
      ),
      card(
        l10n.t('Training needs at least'),
        bytesText(m.trainingBytes),
        l10n.t('leaves {0} + kept activations + the loss', bytesText(m.leafBytes)),
      ),
      card(
        l10n.t('Forward only (inference) peaks at'),
        bytesText(inf.peakBytes),
        l10n.t(
          'leaves {0} + {1} of values alive at once',
          bytesText(inf.leafBytes),
          bytesText(inf.peakActivationBytes),
        ),
      ),
    ),
    h(
      'p',
      { class: 'note' },
      l10n.t(
        'float64, 8 bytes a number. To compute gradients, backward needs some of the forward values again (the ReLU mask, the inputs of a matrix product …): training keeps them until backward has used them, while a forward-only run frees each value as soon as nothing reads it any more.',
      ),
    ),
    h('h2', {}, l10n.t('What each op keeps for backward')),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'memory-ops' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, l10n.t('Op')),
            h('th', {}, l10n.t('Keeps')),
            h('th', { class: 'number' }, l10n.t('New bytes')),
            h('th', {}, ''),
          ),
        ),
        h('tbody', {}, rows),
      ),
    ),
    nothingKept.length > 0
      ? h(
          'p',
          { class: 'note' },
          l10n.t(
            'Keep nothing (their gradients need no forward value): {0}.',
            [...new Set(nothingKept)].join(', '),
          ),
        )
      : null,
    batchView(e, ctx),
  );
}

function card(title: string, value: string, detailText: string): HTMLElement {
  return h(
    'div',
    { class: 'card' },
    h('div', { class: 'card-title' }, title),
    h('div', { class: 'card-value' }, value),
    h('div', { class: 'card-detail note' }, detailText),
  );
}

function batchView(e: Explanation, _ctx: NotesContext): HTMLElement {
  const b = e.memory?.batch ?? null;
  if (!b) {
    return h(
      'section',
      { class: 'batch' },
      h('h2', {}, l10n.t('Batch size')),
      empty(
        l10n.t(
          'This block has no input, so there is no batch to grow: mark the data with input (e.g. “input X = …”).',
        ),
      ),
    );
  }
  const series: PlotSeries[] = [
    { name: 'training', points: b.points.map((p) => [p.batch, p.trainingBytes]) },
    { name: 'saved', points: b.points.map((p) => [p.batch, p.savedBytes]) },
    { name: 'inference', points: b.points.map((p) => [p.batch, p.inferenceBytes]) },
  ];
  const model = plotModel(series, {
    width: plotWidth(),
    height: 240,
    logX: true,
    logY: true,
    logBaseY: 2,
    formatX: (x) => String(x),
    formatY: (y) => bytesText(y),
  });
  const sources = b.sources.map((id) => e.nodes[id]?.name ?? `#${id}`).join(', ');
  return h(
    'section',
    { class: 'batch', 'data-batch': b.size },
    h('h2', {}, l10n.t('As the batch grows')),
    plotView(
      model,
      {
        title: l10n.t('Memory against the batch size B'),
        xLabel: l10n.t('batch size B'),
        yLabel: l10n.t('bytes'),
        legend: {
          training: l10n.t('training (forward + backward)'),
          saved: l10n.t('kept for backward'),
          inference: l10n.t('forward only'),
        },
        markX: { value: b.size, label: l10n.t('this block: B = {0}', b.size) },
      },
      'batch-plot',
    ),
    h(
      'p',
      {},
      l10n.t(
        'Training memory = {0} + {1} × B: the parameters stay the same, while {2} and every activation computed from them grow with the batch.',
        bytesText(b.training.fixedBytes),
        bytesText(b.training.perSampleBytes),
        sources,
      ),
    ),
    h(
      'p',
      { class: 'note' },
      l10n.t(
        'How it is computed: the batch axis (the first axis of {0}, B = {1} here) is followed through every op; a tensor that carries it has B/{1} times its bytes, and the same rules are applied again at each B.',
        sources,
        b.size,
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Linearity

const whyNonlinear: Record<string, () => string> = {
  relu: () =>
    l10n.t(
      'relu zeroes the negative entries, and which ones depends on the input: no single matrix does that for every input.',
    ),
  leaky_relu: () =>
    l10n.t(
      'leaky_relu scales the negative entries by α and the others by 1, depending on the input: no single matrix does that for every input.',
    ),
  sigmoid: () =>
    l10n.t('sigmoid bends every value: σ(a + b) ≠ σ(a) + σ(b), so it is no matrix product.'),
  tanh: () =>
    l10n.t('tanh bends every value: tanh(a + b) ≠ tanh(a) + tanh(b), so it is no matrix product.'),
  softmax: () =>
    l10n.t('softmax divides by a sum of exponentials of the row: not linear in the row.'),
};

export function linearityView(e: Explanation, ctx: NotesContext): HTMLElement {
  const l = e.linearity;
  const layerLabel = (i: number) => e.nodes[l.layers[i].output]?.label ?? '?';
  const runs = l.runs.map((run, k) => {
    const first = l.layers[run.layers[0]];
    const last = l.layers[run.layers[run.layers.length - 1]];
    const x = e.nodes[first.input];
    const real = e.nodes[last.output];
    return h(
      'section',
      { class: 'linear-run', 'data-run': k, 'data-equal': String(run.equal) },
      h(
        'h2',
        {},
        l10n.t(
          'Layers {0} collapse into one',
          run.layers
            .map((i) => e.nodes[l.layers[i].output]?.name ?? `#${l.layers[i].output}`)
            .join(', '),
        ),
      ),
      h(
        'p',
        {},
        run.layers.map((i, j) => [j > 0 ? ', ' : null, math(layerLabel(i))]),
        ' ',
        l10n.t(
          'are affine layers stacked with no activation between them. Their composition is one affine layer, computed from your weights:',
        ),
      ),
      h(
        'div',
        { class: 'collapsed' },
        h(
          'div',
          {},
          math(`${run.weightLatex} = `),
          matrix(run.weight, ctx.settings),
          h('span', { class: 'shape' }, shapeText(run.weightShape)),
        ),
        run.biasLatex !== null && run.bias !== null
          ? h(
              'div',
              {},
              math(`${run.biasLatex} = `),
              matrix(run.bias, ctx.settings),
              h('span', { class: 'shape' }, shapeText(run.biasShape ?? [])),
            )
          : null,
      ),
      h(
        'div',
        { class: 'side-by-side' },
        h(
          'div',
          { class: 'real' },
          h('h3', {}, l10n.t('Layer by layer')),
          math(real.formula ?? real.label),
          h('div', {}, matrix(real.value, ctx.settings)),
        ),
        h(
          'div',
          { class: 'single' },
          h('h3', {}, l10n.t('One layer')),
          math(`${x.label} W${run.biasLatex !== null ? ' + b' : ''}`),
          h('div', {}, matrix(run.output, ctx.settings)),
        ),
      ),
      h(
        'p',
        { class: run.equal ? 'agrees' : 'differs' },
        run.equal
          ? l10n.t(
              'The same output (largest difference {0}): stacking them added no expressive power.',
              compactNumber(run.maxAbsDifference, 2),
            )
          : l10n.t('They differ by up to {0}.', compactNumber(run.maxAbsDifference, 2)),
      ),
    );
  });
  const blocked = l.blocked.map((b) => {
    const reasons = b.ops
      .map((o) => whyNonlinear[o.op])
      .filter((f): f is () => string => f !== undefined)
      .map((f) => f());
    return h(
      'section',
      { class: 'linear-blocked', 'data-ops': b.ops.map((o) => o.op).join(',') },
      h(
        'h2',
        {},
        l10n.t(
          '{0} keeps {1} and {2} apart',
          b.ops.map((o) => o.op).join(' → '),
          nameOf(e, l.layers[b.before].output),
          nameOf(e, l.layers[b.after].output),
        ),
      ),
      h('p', {}, b.message),
      reasons.length > 0 ? h('p', { class: 'why' }, [...new Set(reasons)].join(' ')) : null,
      maskView(e, b.ops, ctx),
      h(
        'p',
        { class: 'note' },
        l10n.t(
          'Take the activation out and the two layers would be one matrix: the activation is what lets a deeper network represent more.',
        ),
      ),
    );
  });
  const children: Child[] = [...runs, ...blocked];
  if (children.length === 0) {
    children.push(
      empty(
        l.layers.length === 0
          ? l10n.t('No affine layer (x @ W + b) in this block.')
          : l10n.t('One affine layer, with nothing stacked on it: there is nothing to collapse.'),
      ),
    );
  }
  return h(
    'div',
    { id: 'linearity', 'data-runs': l.runs.length, 'data-blocked': l.blocked.length },
    children,
  );
}

/** For a relu between the layers: its mask on these inputs, which differs from row to row. */
function maskView(
  e: Explanation,
  ops: readonly { readonly node: number; readonly op: string }[],
  ctx: NotesContext,
): HTMLElement | null {
  const relu = ops.find((o) => o.op === 'relu');
  const input = relu ? e.nodes[e.nodes[relu.node]?.inputs[0] ?? -1] : undefined;
  if (!relu || !input || !Array.isArray(input.value)) return null;
  const mask = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(mask) : (x as number) > 0 ? 1 : 0;
  return h(
    'div',
    { class: 'mask' },
    math(`\\mathbb{1}[${input.label} > 0] = `),
    matrix(mask(input.value), ctx.settings),
    h(
      'span',
      { class: 'note' },
      l10n.t(
        'Each row (sample) gets its own mask: layer by layer, each row goes through a different matrix.',
      ),
    ),
  );
}

function nameOf(e: Explanation, id: number): string {
  return e.nodes[id]?.name ?? `#${id}`;
}

// ---------------------------------------------------------------------------------------------
// Train

export function trainView(
  e: Explanation,
  ctx: NotesContext,
  blockIndex: number,
  uri: string,
): HTMLElement {
  const run =
    ctx.training && ctx.training.uri === uri && ctx.training.blockIndex === blockIndex
      ? ctx.training
      : null;
  const start = h(
    'vscode-button',
    { id: 'train-start', onclick: () => ctx.trainAction('start') },
    run ? l10n.t('Train again…') : l10n.t('Train…'),
  );
  const intro = h(
    'p',
    { class: 'note' },
    l10n.t(
      'Gradient descent on this block: every step runs forward and backward, then moves each param against its gradient, p ← p − lr · ∂L/∂p. Set the learning rate and the steps in the block with a comment such as “# train: lr=0.5 steps=200”, or answer when asked.',
    ),
  );
  if (!run) {
    return h(
      'div',
      { id: 'train', 'data-status': 'none' },
      intro,
      e.root && e.root.seed === 'scalar'
        ? start
        : empty(l10n.t('Training needs a loss: a scalar, e.g. “loss L = mse(p, y)”.')),
    );
  }
  const first = run.losses.length > 0 ? run.losses[0][1] : null;
  const last =
    run.finalLoss ?? (run.losses.length > 0 ? run.losses[run.losses.length - 1][1] : null);
  const n = (x: number | null) => (x === null ? '—' : compactNumber(x, 4));
  const model = plotModel([{ name: 'loss', points: run.losses as [number, number][] }], {
    width: plotWidth(),
    height: 240,
    logY: 'auto',
    formatX: (x) => String(x),
    formatY: (y) => compactNumber(y, 3),
  });
  const status: Record<TrainingRun['status'], string> = {
    running: l10n.t('Training: step {0} of {1}', run.done, run.steps),
    done: l10n.t('Trained {0} steps: the loss went from {1} to {2}.', run.steps, n(first), n(last)),
    cancelled: l10n.t(
      'Stopped after {0} of {1} steps (loss {2}); nothing was written into the note.',
      run.done,
      run.steps,
      n(last),
    ),
    failed: run.message ?? l10n.t('Training failed.'),
  };
  return h(
    'div',
    {
      id: 'train',
      'data-status': run.status,
      'data-steps': run.done,
      'data-first-loss': first ?? '',
      'data-final-loss': run.finalLoss ?? '',
      'data-applied': String(run.applied),
    },
    h('p', { class: `train-status status-${run.status}` }, status[run.status]),
    h(
      'p',
      { class: 'note' },
      l10n.t('lr = {0}, {1} steps, params {2}', run.learningRate, run.steps, run.params.join(', ')),
    ),
    plotView(
      model,
      {
        title: l10n.t('Loss per step'),
        xLabel: l10n.t('step'),
        yLabel: l10n.t('loss'),
        legend: { loss: l10n.t('loss before the step') },
      },
      'loss-plot',
    ),
    h(
      'div',
      { class: 'train-actions' },
      run.status === 'running'
        ? h(
            'vscode-button',
            { id: 'train-cancel', secondary: true, onclick: () => ctx.trainAction('cancel') },
            l10n.t('Stop'),
          )
        : start,
      run.status === 'done' && !run.applied
        ? h(
            'vscode-button',
            { id: 'train-apply', secondary: true, onclick: () => ctx.trainAction('apply') },
            l10n.t('Write trained values into the note'),
          )
        : null,
      run.applied
        ? h(
            'span',
            { class: 'note' },
            l10n.t('The trained values are in the note (Undo takes them out).'),
          )
        : null,
    ),
  );
}
