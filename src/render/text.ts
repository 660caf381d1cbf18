/**
 * The Explanation as terminal text: forward values as aligned matrices, the chain rule with
 * the shapes under each factor, the backprop steps with their numbers, and the gradient-check
 * table. Math is written in Unicode (∂L/∂W1, δ2, H1ᵀ, ⊙), numbers with 4 significant digits.
 */
import type { TensorCheck } from '../engine/gradcheck';
import type { Nested } from '../engine/tensor';
import type { Explanation, ExplainedNode, GradientExplanation } from '../explain/explanation';
import { backpropNotFinite, notComparableWhy, worstElementText } from './not-comparable';
import {
  type RenderOptions,
  type Renderable,
  blocksOf,
  focusGradient,
  gradeMark,
  numericsLines,
  steps as stepsShown,
  table,
  wants,
  width,
} from './common';
import { bytesText, compactNumber, matrixLines, shapeText } from './format';
import { latexToText } from './latex-text';

export function renderText(x: Renderable, options: RenderOptions = {}): string {
  const blocks = blocksOf(x);
  if (blocks.length === 0) return 'No model blocks found.\n';
  return blocks.map((e) => renderBlock(e, options).join('\n')).join('\n\n') + '\n';
}

function renderBlock(e: Explanation, o: RenderOptions): string[] {
  const out: string[] = [heading(e)];
  const section = (title: string, lines: string[]): void => {
    if (lines.length === 0) return;
    out.push('', title, ...lines);
  };
  if (wants(o, 'errors') && e.errors.length > 0) {
    section(
      'Errors',
      e.errors.map((err) => `  line ${err.line}:${err.column}: ${err.message}`),
    );
  }
  if (wants(o, 'numerics')) {
    section(
      'Not finite (NaN or ∞)',
      numericsLines(e).map((l) => `  ${l}`),
    );
  }
  if (wants(o, 'forward')) section('Forward', forward(e, o));
  if (e.root === null) {
    if (wants(o, 'notices'))
      section(
        'Notes',
        e.notices.map((n) => `  ${n}`),
      );
    return out;
  }
  if (wants(o, 'gradients')) section('Gradients', gradients(e, o));
  const focus = focusGradient(e);
  if (wants(o, 'chain') && focus) section(`Chain rule for ${text(focus.derivative)}`, chain(focus));
  if (wants(o, 'steps')) section(stepsTitle(e), stepLines(e, o));
  if (wants(o, 'softmax')) section('Softmax + cross-entropy', softmax(e, o));
  if (wants(o, 'memory')) section('Memory (float64: 8 bytes a value)', memory(e));
  if (wants(o, 'linearity')) section('Linearity', linearity(e, o));
  if (wants(o, 'check') && e.gradientCheck) section(checkTitle(e), check(e));
  if (wants(o, 'notices'))
    section(
      'Notes',
      e.notices.map((n) => `  ${n}`),
    );
  return out;
}

const text = latexToText;

function heading(e: Explanation): string {
  const lines = e.nodes.filter((n) => n.line !== null).map((n) => n.line as number);
  const span =
    lines.length > 0 ? `lines ${Math.min(...lines)}–${Math.max(...lines)}` : `line ${e.line}`;
  const parts = [`Block ${e.index + 1}`, span];
  if (e.root) {
    const what = e.root.role === 'loss' ? 'loss' : e.root.role === 'output' ? 'output' : 'result';
    parts.push(
      typeof e.root.value === 'number'
        ? `${what} ${e.root.name} = ${compactNumber(e.root.value)}`
        : `${what} ${e.root.name} (${shapeText(e.root.shape)})`,
    );
  }
  if (e.errors.length > 0)
    parts.push(`${e.errors.length} error${e.errors.length === 1 ? '' : 's'}`);
  const title = parts.join(' · ');
  return `${title}\n${'═'.repeat(width(title))}`;
}

function nameOf(n: ExplainedNode): string {
  return n.name ?? text(n.label);
}

/** The value under a heading, indented; a scalar goes on the heading line instead. */
function valued(headingText: string, value: Nested, o: RenderOptions, indent = '    '): string[] {
  if (!Array.isArray(value)) return [`${headingText} = ${compactNumber(value, o.digits)}`];
  return [headingText, ...matrixLines(value, o).map((l) => indent + l)];
}

function clip(s: string, max = 60): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function forward(e: Explanation, o: RenderOptions): string[] {
  const out: string[] = [];
  for (const n of e.nodes) {
    if (n.name === null) continue;
    const role =
      n.role === 'computed' ||
      n.role === 'leaf' ||
      n.role === 'literal' ||
      n.role === 'subexpression'
        ? ''
        : `${n.role} `;
    const rhs = n.source !== null ? clip(n.source) : n.formula ? text(n.formula) : '';
    out.push(...valued(`  ${role}${n.name} = ${rhs}   (${shapeText(n.shape)})`, n.value, o));
  }
  return out;
}

function gradients(e: Explanation, o: RenderOptions): string[] {
  const shown = o.focusOnly ? e.gradients.filter((g) => g.node === e.focus) : e.gradients;
  const out: string[] = [];
  for (const g of shown) {
    out.push(...valued(`  ${text(g.derivative)}   (${shapeText(g.shape)})`, g.grad, o));
  }
  if (out.length === 0) out.push('  (no tensor gets a gradient)');
  return out;
}

function chain(g: GradientExplanation): string[] {
  const out: string[] = [];
  if (g.paths.length === 0) return ['  (no path from the root reaches this tensor)'];
  const lhs = `${text(g.derivative)} =`;
  g.paths.forEach((p, k) => {
    const lead = k === 0 ? lhs : ' '.repeat(width(lhs) - 1) + '+';
    const rows = [
      [lead, ...p.factors.flatMap((f, i) => (i === 0 ? [text(f.latex)] : ['·', text(f.latex)]))],
      [
        'full Jacobian',
        ...p.factors.flatMap((f, i) =>
          i === 0 ? [shapeText(f.jacobianShape)] : ['', shapeText(f.jacobianShape)],
        ),
      ],
      [
        'VJP computes',
        ...p.factors.flatMap((f, i) =>
          i === 0 ? [shapeText(f.vjpShape)] : ['', shapeText(f.vjpShape)],
        ),
      ],
    ];
    if (k > 0) out.push('');
    out.push(...table(rows));
  });
  if (g.truncated) out.push(`  + … (${g.pathCount - g.paths.length} more paths)`);
  if (g.paths.length > 1) {
    out.push(
      '',
      `  ${g.pathCount} paths: the multivariate chain rule adds their contributions` +
        (g.pathSumError !== null
          ? ` (they sum to the gradient within ${compactNumber(g.pathSumError, 2)}).`
          : '.'),
    );
  }
  const seen = new Set<string>();
  const locals: string[][] = [];
  for (const p of g.paths) {
    for (const f of p.factors) {
      const key = `${f.of}:${f.wrt}`;
      if (seen.has(key)) continue;
      seen.add(key);
      locals.push([`${text(f.latex)}:`, text(f.local)]);
    }
  }
  out.push('', '  Local derivatives', ...table(locals, '    '));
  return out;
}

function stepsTitle(e: Explanation): string {
  const l = e.root ? text(e.root.label) : 'L';
  const delta = e.notation.some((n) => n.symbol.startsWith('\\delta'));
  const legend = `${delta ? `δ = ∂${l}/∂(pre-activation), ` : ''}T̄ = ∂${l}/∂T`;
  return `Backprop steps, in the order backprop computes them (${legend})`;
}

function stepLines(e: Explanation, o: RenderOptions): string[] {
  const out: string[] = [];
  stepsShown(e, o).forEach((s, k) => {
    const headingText = `  ${k + 1}. ${text(s.latex)}   (${shapeText(s.shape)})`;
    if (s.kind === 'seed') {
      out.push(headingText);
    } else if (s.kind === 'sum') {
      out.push(headingText);
      s.terms.forEach((t, i) => {
        const from = e.nodes[t.from];
        out.push(
          ...valued(
            `       ${i === 0 ? ' ' : '+'} via ${nameOf(from)}: ${text(t.rule)}`,
            t.value,
            o,
            '         ',
          ),
        );
      });
      out.push(...valued('       = sum', s.value, o, '         '));
    } else {
      out.push(...valued(headingText, s.value, o, '       '));
    }
  });
  return out;
}

function softmax(e: Explanation, o: RenderOptions): string[] {
  const out: string[] = [];
  for (const x of e.softmaxCrossEntropy) {
    const how = x.fused
      ? `fused softmax_cross_entropy (${nameOf(e.nodes[x.loss])})`
      : `softmax ${nameOf(e.nodes[x.probabilities as number])} → cross-entropy ${nameOf(e.nodes[x.loss])}`;
    out.push(`  ${how}: the gradient at the logits simplifies to`);
    out.push(...valued(`    ${text(x.latex)}`, x.value, o, '      '));
    out.push(
      x.agrees
        ? `    ✓ backprop computed the same (largest difference ${compactNumber(x.maxAbsDifference, 2)})`
        : `    ✗ backprop computed something else (largest difference ${compactNumber(x.maxAbsDifference, 2)})`,
    );
  }
  return out;
}

function memory(e: Explanation): string[] {
  const m = e.memory;
  if (!m) return [];
  const rows: string[][] = [['op', 'keeps for backward', 'shape', 'bytes']];
  for (const op of m.ops) {
    const name = `${text(op.label)} (${op.op})`;
    if (op.saved.length === 0) {
      rows.push([name, 'nothing', '', '0 B']);
      continue;
    }
    op.saved.forEach((t, i) => {
      rows.push([
        i === 0 ? name : '',
        `${text(t.label)} (${t.as})`,
        shapeText(t.shape),
        t.counted ? bytesText(t.bytes) : `(${bytesText(t.bytes)}, kept already)`,
      ]);
    });
  }
  const out = table(rows);
  const inf = m.inference;
  out.push(
    '',
    `  Backward keeps ${bytesText(m.savedBytes)} (each tensor once; ${bytesText(m.savedActivationBytes)} of it activations).`,
    `  Forward only: peak ${bytesText(inf.peakBytes)} = ${bytesText(inf.leafBytes)} of leaves + ` +
      `${bytesText(inf.peakActivationBytes)} of values alive at once` +
      (inf.peakAt !== null ? ` (while computing ${nameOf(e.nodes[inf.peakAt])}).` : '.'),
  );
  return out;
}

function linearity(e: Explanation, o: RenderOptions): string[] {
  const l = e.linearity;
  const out: string[] = [];
  const layerName = (i: number): string => nameOf(e.nodes[l.layers[i].output]);
  for (const run of l.runs) {
    out.push(
      `  Layers ${run.layers.map(layerName).join(', ')} are stacked with nothing between: one affine layer.`,
    );
    out.push(
      ...valued(
        `    ${text(run.weightLatex)}   (${shapeText(run.weightShape)})`,
        run.weight,
        o,
        '      ',
      ),
    );
    if (run.bias !== null && run.biasLatex !== null && run.biasShape !== null) {
      out.push(
        ...valued(
          `    ${text(run.biasLatex)}   (${shapeText(run.biasShape)})`,
          run.bias,
          o,
          '      ',
        ),
      );
    }
    const x = nameOf(e.nodes[l.layers[run.layers[0]].input]);
    out.push(
      run.equal
        ? `    ✓ ${x} W + b gives ${layerName(run.layers[run.layers.length - 1])} (largest difference ${compactNumber(run.maxAbsDifference, 2)})`
        : `    ✗ ${x} W + b differs from ${layerName(run.layers[run.layers.length - 1])} by up to ${compactNumber(run.maxAbsDifference, 2)}`,
    );
  }
  for (const b of l.blocked) out.push(`  ${b.message}`);
  if (out.length === 0) {
    out.push(
      l.layers.length === 0
        ? '  No affine layers (x @ W + b) found.'
        : `  ${l.layers.length} affine layer${l.layers.length === 1 ? '' : 's'}, none stacked on another.`,
    );
  }
  return out;
}

/** Band limits and steps read best as powers of ten: `1e-7`. */
function sci(x: number): string {
  const [mantissa, exponent] = x.toExponential().split('e');
  return exponent === '+0' ? mantissa : `${mantissa}e${Number(exponent)}`;
}

function checkTitle(e: Explanation): string {
  const r = e.gradientCheck!;
  return (
    `Gradient check (central differences, h = ${sci(r.h)}; relative error ` +
    `good ≤ ${sci(r.bands.good)} < ok ≤ ${sci(r.bands.ok)} < doubtful ≤ ${sci(r.bands.doubtful)} < wrong; ` +
    'NaN or ∞: not comparable)'
  );
}

function check(e: Explanation): string[] {
  const r = e.gradientCheck!;
  const rows: string[][] = [
    ['tensor', 'shape', 'checked', 'worst rel. error', 'at', 'analytic', 'numeric', 'grade'],
  ];
  for (const t of r.tensors) {
    const w = t.worst;
    rows.push([
      t.name,
      shapeText(t.shape),
      `${t.elements.length}${t.sampled ? ` of ${t.total}` : ''}${t.kinks > 0 ? ` (${t.kinks} kink${t.kinks === 1 ? '' : 's'})` : ''}`,
      w ? compactNumber(w.relativeError, 2) : '—',
      w ? `[${w.position.join(', ')}]` : '—',
      w ? compactNumber(w.analytic, 6) : '—',
      w ? compactNumber(w.numeric, 6) : '—',
      `${gradeMark[t.grade] ?? ''} ${gradeWords(t.grade)}`,
    ]);
  }
  const out = table(rows);
  const wrong = r.tensors.filter((t) => t.grade === 'wrong').map((t) => t.name);
  const notComparable = r.tensors.filter((t) => t.grade === 'not-comparable');
  out.push('');
  if (wrong.length > 0) {
    out.push(
      `  ✗ ${wrong.length} tensor${wrong.length === 1 ? '' : 's'} wrong: ${wrong.join(', ')}.`,
    );
  }
  if (notComparable.length > 0) out.push(...notComparableLines(e, notComparable));
  if (wrong.length === 0 && notComparable.length === 0) {
    out.push(`  ✓ Every gradient agrees with finite differences (worst grade: ${r.grade}).`);
  }
  return out;
}

/** A grade in the table: `not comparable` in words, the others as they are. */
function gradeWords(grade: string): string {
  return grade === 'not-comparable' ? 'not comparable' : grade;
}

/**
 * Why some tensors could not be checked (a NaN or ±∞ on a side), that this is not a wrong
 * backward rule, and where to look: the "Not finite" section for backprop's own NaN or ∞, a
 * smaller --step when only the finite difference is not finite.
 */
function notComparableLines(e: Explanation, tensors: readonly TensorCheck[]): string[] {
  const n = tensors.length;
  const out = [
    `  ! ${n} tensor${n === 1 ? '' : 's'} not comparable (NaN or ∞): ${tensors.map((t) => t.name).join(', ')}.`,
  ];
  let backprop = false;
  let step = false;
  for (const t of tensors) {
    const w = t.worst;
    if (!w?.notFinite) continue;
    out.push(`    ${worstElementText(t)}: ${notComparableWhy(w.notFinite)}.`);
    if (backpropNotFinite(w.notFinite)) backprop = true;
    else step = true;
  }
  if (backprop) {
    out.push(
      '    A NaN or ∞ cannot be compared with finite differences: this is not a wrong backward rule,',
      '    but the gradient is not usable.' +
        (numericsLines(e).length > 0
          ? ' "Not finite" above says which statement first produced it.'
          : ''),
    );
  }
  if (step) {
    out.push(
      `    Only the finite difference is not finite there, so that gradient was not checked: the step`,
      `    h = ${sci(e.gradientCheck!.h)} reaches where the loss is not finite — try a smaller --step.`,
    );
  }
  return out;
}
