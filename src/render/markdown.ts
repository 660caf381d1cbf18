/**
 * The Explanation as Markdown with `$$` LaTeX: what a user pastes into their notes. Values are
 * `bmatrix`es (middle rows/columns elided with ⋯/⋮ beyond the limits), shapes go in tables.
 * Renders in VS Code's Markdown preview (KaTeX) and any `$$`-aware Markdown.
 */
import type { Nested } from '../engine/tensor';
import type { Explanation, ExplainedNode, GradientExplanation } from '../explain/explanation';
import { backpropNotFinite, notComparableWhy } from './not-comparable';
import {
  type RenderOptions,
  type Renderable,
  blocksOf,
  focusGradient,
  numericsLines,
  steps as stepsShown,
  wants,
} from './common';
import { bmatrix, bytesText, compactNumber, numberLatex, shapeText } from './format';

export interface MarkdownOptions extends RenderOptions {
  /** Heading level of each block's title (default 2: `##`). */
  readonly headingLevel?: number;
  /** The block's title instead of `Block 1 — L = 0.3054` (Insert Derivation names its tensor). */
  readonly title?: string;
  /**
   * Show the values (default true). False leaves the symbols only: the backprop steps without
   * their "With the numbers" block (a derivation to read before the numbers).
   */
  readonly numbers?: boolean;
}

export function renderMarkdown(x: Renderable, options: MarkdownOptions = {}): string {
  const blocks = blocksOf(x);
  if (blocks.length === 0) return '_No model blocks found._\n';
  return blocks.map((e) => renderBlock(e, options).join('\n')).join('\n\n') + '\n';
}

/** A display-math block. */
function math(latex: string): string[] {
  return ['$$', latex, '$$'];
}

/** `| a | b |` rows with a header separator; pipes inside cells escaped. */
function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const cell = (c: string): string => c.replace(/\|/g, '\\|');
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `|${header.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

const inline = (latex: string): string => `$${latex}$`;

/**
 * Plain text that may carry the note's own characters (an error message echoes the token it
 * stopped at, a string literal included) as Markdown that shows it literally: `& < >` as
 * entities, and every Markdown or math delimiter (`* _ [ ] ( ) $ \` …) backslash-escaped, so
 * it opens no tag, link, emphasis or `$` math where the Markdown is rendered (the preview, a
 * pasted note).
 */
export function markdownText(text: string): string {
  return text
    .replace(/[\\`*_{}[\]()#+!|$~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function renderBlock(e: Explanation, o: MarkdownOptions): string[] {
  const level = Math.min(5, Math.max(1, o.headingLevel ?? 2));
  const h = (k: number): string => '#'.repeat(level + k);
  const out: string[] = [];
  const title = e.root
    ? typeof e.root.value === 'number'
      ? `Block ${e.index + 1} — ${inline(`${e.root.label} = ${numberLatex(e.root.value, o.digits)}`)}`
      : `Block ${e.index + 1} — ${inline(e.root.label)} (${shapeText(e.root.shape)})`
    : `Block ${e.index + 1}`;
  out.push(`${h(0)} ${o.title ?? title}`);
  const section = (name: string, lines: string[]): void => {
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    if (lines.length === 0) return;
    out.push('', `${h(1)} ${name}`, '', ...lines);
  };
  if (wants(o, 'errors') && e.errors.length > 0) {
    section(
      'Errors',
      e.errors.map(
        (err) => `- line ${err.line}, column ${err.column}: ${markdownText(err.message)}`,
      ),
    );
  }
  if (wants(o, 'numerics')) {
    section(
      'Not finite (NaN or ∞)',
      numericsLines(e).map((l) => `- ${markdownText(l)}`),
    );
  }
  if (wants(o, 'forward')) section('Forward', forward(e, o));
  if (e.root !== null) {
    if (wants(o, 'gradients')) section('Gradients', gradients(e, o));
    const focus = focusGradient(e);
    if (wants(o, 'chain') && focus)
      section(`Chain rule for ${inline(focus.derivative)}`, chain(focus));
    if (wants(o, 'steps')) section('Backprop steps', steps(e, o));
    if (wants(o, 'softmax')) section('Softmax + cross-entropy', softmax(e, o));
    if (wants(o, 'memory')) section('Memory', memory(e));
    if (wants(o, 'linearity')) section('Linearity', linearity(e, o));
    if (wants(o, 'check') && e.gradientCheck) section('Gradient check', check(e));
  }
  if (wants(o, 'notices') && e.notices.length > 0) {
    out.push('', ...e.notices.map((n) => `> ${markdownText(n)}`));
  }
  return out;
}

function valueLatex(value: Nested, o: MarkdownOptions): string {
  return bmatrix(value, o);
}

function forward(e: Explanation, o: MarkdownOptions): string[] {
  const named = e.nodes.filter((n) => n.name !== null);
  const rows = named.map((n) => [
    inline(n.label),
    roleText(n),
    shapeText(n.shape),
    n.formula ? inline(n.formula) : n.source !== null ? `\`${clip(n.source)}\`` : '',
  ]);
  const out = mdTable(['tensor', 'role', 'shape', 'computed as'], rows);
  const lines = named.map((n) => {
    const head = n.formula ?? n.label;
    return `${head} &= ${valueLatex(n.value, o)}`;
  });
  if (lines.length > 0) {
    out.push('', ...math(`\\begin{aligned}\n${lines.join(' \\\\[4pt]\n')}\n\\end{aligned}`));
  }
  return out;
}

function roleText(n: ExplainedNode): string {
  return n.role === 'computed' || n.role === 'subexpression'
    ? ''
    : n.role === 'leaf'
      ? 'leaf'
      : n.role;
}

function clip(s: string, max = 48): string {
  const one = s.replace(/\s+/g, ' ').replace(/`/g, "'").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function gradients(e: Explanation, o: MarkdownOptions): string[] {
  const shown = o.focusOnly ? e.gradients.filter((g) => g.node === e.focus) : e.gradients;
  if (shown.length === 0) return ['_No tensor gets a gradient._'];
  const lines = shown.map((g) => `${g.derivative} &= ${valueLatex(g.grad, o)}`);
  return math(`\\begin{aligned}\n${lines.join(' \\\\[4pt]\n')}\n\\end{aligned}`);
}

function chain(g: GradientExplanation): string[] {
  if (g.paths.length === 0) return ['_No path from the root reaches this tensor._'];
  const out = math(g.latex);
  if (g.paths.length > 1) {
    out.push(
      '',
      `${g.pathCount} paths reach ${inline(g.label)}; the multivariate chain rule adds their contributions.`,
    );
  }
  const seen = new Set<string>();
  const rows: string[][] = [];
  for (const p of g.paths) {
    for (const f of p.factors) {
      const key = `${f.of}:${f.wrt}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push([
        inline(f.latex),
        shapeText(f.jacobianShape),
        shapeText(f.vjpShape),
        inline(f.local),
      ]);
    }
  }
  out.push(
    '',
    ...mdTable(['factor', 'full Jacobian', 'VJP backprop computes', 'local derivative'], rows),
  );
  return out;
}

function steps(e: Explanation, o: MarkdownOptions): string[] {
  const shown = stepsShown(e, o);
  const legend = e.notation.map((n) => inline(`${n.symbol} = ${n.meaning}`)).join(', ');
  const out: string[] = [];
  if (legend) out.push(`Notation: ${legend}.`, '');
  const rules = shown.map((s) => s.latex.replace(/ = /, ' &= '));
  out.push(...math(`\\begin{aligned}\n${rules.join(' \\\\\n')}\n\\end{aligned}`));
  const values = shown
    .filter((s) => s.kind !== 'seed' && o.numbers !== false)
    .map((s) => `${s.symbol} &= ${valueLatex(s.value, o)}`);
  if (values.length > 0) {
    out.push(
      '',
      'With the numbers:',
      '',
      ...math(`\\begin{aligned}\n${values.join(' \\\\[4pt]\n')}\n\\end{aligned}`),
    );
  }
  return out;
}

function softmax(e: Explanation, o: MarkdownOptions): string[] {
  const out: string[] = [];
  for (const x of e.softmaxCrossEntropy) {
    const at = e.nodes[x.logits].label;
    out.push(
      ...math(x.latex),
      '',
      ...math(
        `\\frac{\\partial ${e.root ? e.root.label : 'L'}}{\\partial ${at}} = ${valueLatex(x.value, o)}`,
      ),
      '',
      x.agrees
        ? `Backprop computed the same (largest difference ${compactNumber(x.maxAbsDifference, 2)}).`
        : `**Backprop computed something else** (largest difference ${compactNumber(x.maxAbsDifference, 2)}).`,
      '',
    );
  }
  return out;
}

function memory(e: Explanation): string[] {
  const m = e.memory;
  if (!m) return [];
  const rows: string[][] = [];
  for (const op of m.ops) {
    if (op.saved.length === 0) continue;
    for (const t of op.saved) {
      rows.push([
        `${inline(op.label)} (${op.op})`,
        `${inline(t.label)} (${t.as})`,
        shapeText(t.shape),
        t.counted ? bytesText(t.bytes) : `kept already`,
      ]);
    }
  }
  const inf = m.inference;
  return [
    ...mdTable(['op', 'keeps for backward', 'shape', 'bytes'], rows),
    '',
    `Backward keeps **${bytesText(m.savedBytes)}** (float64, each tensor counted once; ` +
      `${bytesText(m.savedActivationBytes)} of it activations). A forward-only run peaks at ` +
      `**${bytesText(inf.peakBytes)}** (${bytesText(inf.leafBytes)} of leaves + ` +
      `${bytesText(inf.peakActivationBytes)} of values alive at once).`,
  ];
}

function linearity(e: Explanation, o: MarkdownOptions): string[] {
  const l = e.linearity;
  const out: string[] = [];
  const layer = (i: number): string => inline(e.nodes[l.layers[i].output].label);
  for (const run of l.runs) {
    out.push(
      `Layers ${run.layers.map(layer).join(', ')} are stacked with nothing between them, so they are one affine layer:`,
      '',
    );
    const lines = [`${run.weightLatex} &= ${valueLatex(run.weight, o)}`];
    if (run.biasLatex !== null && run.bias !== null)
      lines.push(`${run.biasLatex} &= ${valueLatex(run.bias, o)}`);
    out.push(...math(`\\begin{aligned}\n${lines.join(' \\\\[4pt]\n')}\n\\end{aligned}`), '');
    const x = e.nodes[l.layers[run.layers[0]].input].label;
    out.push(
      run.equal
        ? `$${x} W + b$ gives the same output (largest difference ${compactNumber(run.maxAbsDifference, 2)}).`
        : `$${x} W + b$ differs from the real output by up to ${compactNumber(run.maxAbsDifference, 2)}.`,
      '',
    );
  }
  for (const b of l.blocked) out.push(`- ${markdownText(b.message)}`);
  return out;
}

function check(e: Explanation): string[] {
  const r = e.gradientCheck!;
  const rows = r.tensors.map((t) => [
    t.name,
    shapeText(t.shape),
    `${t.elements.length}${t.sampled ? ` of ${t.total}` : ''}`,
    t.worst ? compactNumber(t.worst.relativeError, 2) : '—',
    t.worst ? compactNumber(t.worst.analytic, 6) : '—',
    t.worst ? compactNumber(t.worst.numeric, 6) : '—',
    (t.grade === 'not-comparable' ? 'not comparable' : t.grade) +
      (t.kinks > 0 ? ` (${t.kinks} kinks)` : ''),
  ]);
  // A NaN or ±∞ on a side: why it is not graded, and where to look (text.ts says the same).
  const notComparable = r.tensors.flatMap((t) => {
    const w = t.worst;
    if (t.grade !== 'not-comparable' || !w?.notFinite) return [];
    const at = t.shape.length === 0 ? t.name : `${t.name}[${w.position.join(', ')}]`;
    const next = backpropNotFinite(w.notFinite)
      ? 'a NaN or ∞ cannot be compared with finite differences: this is not a wrong backward rule, but the gradient is not usable' +
        (numericsLines(e).length > 0 ? ' (“Not finite” above says where it first appeared)' : '')
      : `so it was not checked; the step h = ${compactNumber(r.h, 2)} reaches where the loss is not finite — try a smaller step`;
    return [
      `- ${markdownText(`${at} is not comparable: ${notComparableWhy(w.notFinite)}; ${next}.`)}`,
    ];
  });
  return [
    `Central differences with $h = ${numberLatex(r.h)}$; relative error $|a - n| / \\max(|a|, |n|)$, ` +
      `good $\\le ${numberLatex(r.bands.good)}$, ok $\\le ${numberLatex(r.bands.ok)}$, ` +
      `doubtful $\\le ${numberLatex(r.bands.doubtful)}$, wrong above; not comparable when a side is NaN or ∞.`,
    '',
    ...mdTable(
      ['tensor', 'shape', 'checked', 'worst rel. error', 'analytic', 'numeric', 'grade'],
      rows,
    ),
    ...(notComparable.length > 0 ? ['', ...notComparable] : []),
  ];
}
