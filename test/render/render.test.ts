import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import katex from 'katex';
import { type Explanation, explainBlock, nameLatex } from '../../src/explain/index';
import { explainBlocks } from '../../src/explain/source';
import { bmatrix, compactNumber, matrixLines } from '../../src/render/format';
import { jsonDocument, renderJson, renderMarkdown, renderText } from '../../src/render/index';
import { latexToText } from '../../src/render/latex-text';
import { parseSource } from '../../src/spec/index';
import { BlockBuilder } from '../explain/block';
import { all, linear, textbook, twoLayer, twoPaths } from '../explain/nets';

test('numbers: 4 significant digits, no trailing zeros, exponents outside [1e-4, 1e6)', () => {
  assert.equal(compactNumber(0.123456789), '0.1235');
  assert.equal(compactNumber(-2), '-2');
  assert.equal(compactNumber(2.5), '2.5');
  assert.equal(compactNumber(0), '0');
  assert.equal(compactNumber(-0), '0');
  assert.equal(compactNumber(1e-7), '1e-7');
  assert.equal(compactNumber(-1.23456e-5), '-1.235e-5');
  assert.equal(compactNumber(1234567.8), '1.235e+6');
  assert.equal(compactNumber(999999), '999999');
  assert.equal(compactNumber(0.1 + 0.2), '0.3');
  assert.equal(compactNumber(Number.NaN), 'NaN');
  assert.equal(compactNumber(-Infinity), '-inf');
});

test('names as LaTeX', () => {
  assert.equal(nameLatex('W1'), 'W_{1}');
  assert.equal(nameLatex('Z2'), 'Z_{2}');
  assert.equal(nameLatex('delta'), '\\delta');
  assert.equal(nameLatex('W_out'), 'W_{\\mathrm{out}}');
  assert.equal(nameLatex('y_hat'), '\\hat{y}');
  assert.equal(nameLatex('x_1_2'), 'x_{1,2}');
  assert.equal(nameLatex('logits'), '\\mathrm{logits}');
  assert.equal(nameLatex('dW1'), '\\mathrm{dW}_{1}');
  assert.equal(nameLatex('h_12'), 'h_{12}');
  assert.equal(nameLatex('alpha2'), '\\alpha_{2}');
});

test('LaTeX as terminal text', () => {
  assert.equal(latexToText('\\frac{\\partial L}{\\partial W_{1}}'), '∂L/∂W1');
  assert.equal(latexToText('H_{1}^\\top \\delta_{2}'), 'H1ᵀ δ2');
  assert.equal(latexToText('\\bar{H}_{1} \\odot \\mathbb{1}[Z_{1} > 0]'), 'H̄1 ⊙ 𝟙[Z1 > 0]');
  assert.equal(latexToText('\\textstyle\\sum_{\\text{rows}} \\delta_{1}'), 'Σ_rows δ1');
  assert.equal(latexToText('\\frac{1}{N}\\left(P - Y\\right)'), '(1/N)(P - Y)');
  assert.equal(latexToText('1.5 \\times 10^{-7}'), '1.5 × 10⁻⁷');
});

test('matrices as text: aligned on the decimal point, elided beyond the limits', () => {
  assert.deepEqual(
    matrixLines([
      [1, -2.5],
      [0.25, 10],
    ]),
    ['⎡ 1     -2.5 ⎤', '⎣ 0.25  10   ⎦'],
  );
  assert.deepEqual(matrixLines([1, 2, 3]), ['[ 1  2  3 ]']);
  assert.deepEqual(matrixLines(0.5), ['0.5']);
  const big = Array.from({ length: 12 }, (_, i) =>
    Array.from({ length: 12 }, (_, j) => i * 12 + j),
  );
  const lines = matrixLines(big, { maxRows: 5, maxCols: 5 });
  assert.equal(lines.length, 5);
  assert.ok(lines[2].includes('⋮') && lines[2].includes('⋱'));
  assert.ok(lines[0].includes('⋯'));
  assert.ok(lines[0].includes(' 0 ') && lines[0].includes('11'));
  assert.ok(lines[4].includes('143'));
  // Rank 3: labelled slices.
  const cube = matrixLines([
    [
      [1, 2],
      [3, 4],
    ],
    [
      [5, 6],
      [7, 8],
    ],
  ]);
  assert.ok(cube.includes('[0, :, :]') && cube.includes('[1, :, :]'));
});

test('bmatrix with elision', () => {
  assert.equal(
    bmatrix([
      [1, 2],
      [3, 4.5],
    ]),
    '\\begin{bmatrix} 1 & 2 \\\\ 3 & 4.5 \\end{bmatrix}',
  );
  assert.equal(bmatrix(2.5e-8), '2.5 \\times 10^{-8}');
  const big = Array.from({ length: 10 }, (_, i) => Array.from({ length: 10 }, (_, j) => i + j));
  const m = bmatrix(big, { maxRows: 4, maxCols: 4 });
  assert.match(m, /\\cdots/);
  assert.match(m, /\\vdots/);
  assert.match(m, /\\ddots/);
  assert.equal(m.split('\\\\').length, 4, 'four rows: two, the dots, one');
});

test('text: forward values, the chain rule with shapes under each factor, steps with numbers, check table', () => {
  const e = explainBlock(twoLayer(), {});
  const ref = textbook();
  const out = renderText(e);
  assert.match(out, /^Block 1 · lines 1–11 · loss L = /);
  for (const name of ['X', 'W1', 'b1', 'W2', 'b2', 'Z1', 'H1', 'Z2', 'D']) {
    assert.match(out, new RegExp(`^  (\\w+ )?${name} = `, 'm'), `forward line for ${name}`);
  }
  assert.ok(out.includes('Z1 = X @ W1 + b1   (2×3)'));
  assert.ok(out.includes(compactNumber(ref.Z1[0][0])));
  // The chain for the first param, W1, with the Jacobian and VJP shapes under the factors.
  assert.ok(out.includes('Chain rule for ∂L/∂W1'));
  const chainLine = out.split('\n').find((l) => l.includes('∂L/∂W1 =') && l.includes('·'));
  assert.ok(chainLine);
  assert.match(chainLine, /∂L\/∂D\s+·\s+∂D\/∂Z2\s+·\s+∂Z2\/∂H1\s+·\s+∂H1\/∂Z1\s+·\s+∂Z1\/∂W1/);
  const lines = out.split('\n');
  const at = lines.indexOf(chainLine);
  assert.match(lines[at + 1], /^ {2}full Jacobian\s+2×2\s+2×2×2×2\s+2×2×2×3\s+2×3×2×3\s+2×3×2×3$/);
  assert.match(lines[at + 2], /^ {2}VJP computes\s+2×2\s+2×2\s+2×3\s+2×3\s+2×3$/);
  // Each shape sits under its factor.
  const col = (s: string, needle: string, from = 0) => s.indexOf(needle, from);
  assert.equal(col(lines[at + 1], '2×2×2×3'), col(chainLine, '∂Z2/∂H1'));
  // Steps in matrix form, with values.
  assert.ok(out.includes('δ1 = ∂L/∂Z1 = H̄1 ⊙ 𝟙[Z1 > 0]'));
  assert.ok(out.includes('∂L/∂W1 = Xᵀ δ1'));
  assert.ok(out.includes(compactNumber(ref.dW1[1][2])));
  // All leaves' gradients without --wrt.
  for (const d of ['∂L/∂X', '∂L/∂W1', '∂L/∂b1', '∂L/∂W2', '∂L/∂b2'])
    assert.ok(out.includes(`  ${d}   (`), d);
  // Gradient check table.
  assert.match(out, /Gradient check \(central differences, h = 1e-6/);
  assert.match(out, /^ {2}tensor\s+shape\s+checked\s+worst rel\. error/m);
  assert.match(out, /^ {2}W1\s+2×3\s+6\s+\S+\s+\[\d, \d\]\s+\S+\s+\S+\s+✓ good$/m);
  assert.ok(out.includes('Every gradient agrees'));
  assert.ok(out.includes('Memory'));
  assert.ok(out.includes('relu (H1) sits between layer Z1 and layer Z2'));
});

test('text with a focus only: that tensor’s gradient, chain and steps', () => {
  const e = explainBlock(twoLayer(), { wrt: 'b2', gradientCheck: false });
  const out = renderText(e, { focusOnly: true });
  assert.ok(out.includes('Chain rule for ∂L/∂b2'));
  assert.ok(out.includes('  ∂L/∂b2   ('));
  assert.ok(!out.includes('  ∂L/∂W1   ('));
  assert.ok(!out.includes('Xᵀ δ1'), 'steps W1 needs are not shown for b2');
  assert.match(out, /^ {2}4\. ∂L\/∂b2 = Σ_rows/m);
});

test('text: several paths each with their shapes, and a sum step with its terms', () => {
  const e = explainBlock(twoPaths().block, { wrt: 'x', gradientCheck: false });
  const out = renderText(e, { focusOnly: true });
  // Paths in reading order: S = H + x lists H's path first.
  assert.match(out, /∂L\/∂x = +∂L\/∂S\s+·\s+∂S\/∂H\s+·\s+∂H\/∂x/);
  assert.match(out, /^ +\+ +∂L\/∂S\s+·\s+∂S\/∂x$/m);
  // The composed rule keeps the upstream product together before the matmul.
  assert.ok(out.includes('(H̄ ⊙ 𝟙[x W > 0]) Wᵀ'));
  assert.ok(out.includes('2 paths: the multivariate chain rule adds their contributions'));
  assert.match(out, /via S: /);
  assert.match(out, /\+ via H: /);
});

test('text: a collapsed linear run and the non-scalar notice', () => {
  const out = renderText(explainBlock(linear(false), { gradientCheck: false }));
  assert.ok(out.includes('Layers Z1, Z2 are stacked with nothing between: one affine layer.'));
  assert.ok(out.includes('W = W1 W2   (2×2)'));
  assert.ok(out.includes('b = b1 W2 + b2   (2)'));
  assert.match(out, /✓ X W \+ b gives Z2/);
});

test('markdown: $$ LaTeX blocks, bmatrix values, shape tables, check table', () => {
  const e = explainBlock(twoLayer(), {});
  const md = renderMarkdown(e);
  assert.match(md, /^## Block 1 — \$L = /);
  assert.ok(md.includes('$$\n\\begin{aligned}'));
  assert.ok(md.includes('Z_{1} = X W_{1} + b_{1} &= \\begin{bmatrix}'));
  assert.ok(md.includes('### Chain rule for $\\frac{\\partial L}{\\partial W_{1}}$'));
  assert.ok(md.includes('| factor | full Jacobian | VJP backprop computes | local derivative |'));
  assert.ok(md.includes('| $\\frac{\\partial Z_{1}}{\\partial W_{1}}$ | 2×3×2×3 | 2×3 |'));
  assert.ok(
    md.includes(
      '\\delta_{1} &= \\frac{\\partial L}{\\partial Z_{1}} = \\bar{H}_{1} \\odot \\mathbb{1}[Z_{1} > 0]',
    ),
  );
  assert.ok(md.includes('| tensor | shape | checked | worst rel. error |'));
  assert.ok(md.includes('| op | keeps for backward | shape | bytes |'));
  // Every $$ opens and closes.
  assert.equal((md.match(/^\$\$$/gm) ?? []).length % 2, 0);
  // Braces balance in every math block.
  for (const block of md.split(/^\$\$$/m).filter((_, i) => i % 2 === 1)) {
    let depth = 0;
    for (const ch of block.replace(/\\[{}]/g, '')) {
      if (ch === '{') depth++;
      if (ch === '}') depth--;
      assert.ok(depth >= 0);
    }
    assert.equal(depth, 0, block);
  }
  // Elision of large values.
  const small = renderMarkdown(e, { maxRows: 1, maxCols: 1 });
  assert.ok(small.includes('\\cdots'));
});

test('json: the stable fields and their types, full precision, a number for a scalar', () => {
  const b = new BlockBuilder(7);
  const x = b.leaf('param', 'x', [0.1, 0.2]);
  b.error('unknown name q');
  b.let('loss', 'L', b.op('sum', [b.op('mul', [x, x])], all), 'sum(x * x)');
  const source = explainBlocks([twoLayer(), b.block(1)], 'markdown', { gradientCheck: false });
  const doc = JSON.parse(renderJson(source, { file: 'note.md' }));
  assert.equal(doc.version, 1);
  assert.equal(doc.file, 'note.md');
  assert.equal(doc.kind, 'markdown');
  assert.equal(doc.blocks.length, 2);
  doc.blocks.forEach((block: Record<string, unknown>, i: number) => {
    assert.equal(block.index, i);
    assert.ok(Array.isArray(block.errors));
    assert.ok(Array.isArray(block.nodes));
    for (const n of block.nodes as Record<string, unknown>[]) {
      assert.ok(n.name === null || typeof n.name === 'string');
      assert.equal(typeof n.op, 'string');
      assert.ok(Array.isArray(n.shape));
      assert.ok(typeof n.value === 'number' || Array.isArray(n.value));
      assert.ok(n.grad === null || typeof n.grad === 'number' || Array.isArray(n.grad));
      assert.ok(n.line === null || (typeof n.line === 'number' && n.line >= 1));
    }
  });
  const err = doc.blocks[1].errors[0];
  assert.deepEqual(
    [err.line, err.column, err.endLine, err.endColumn, typeof err.message],
    [9, 5, 9, 10, 'string'],
  );
  const L = doc.blocks[1].nodes.find((n: { name: string }) => n.name === 'L');
  assert.equal(typeof L.value, 'number');
  assert.equal(L.value, 0.1 * 0.1 + 0.2 * 0.2); // every bit kept
  assert.equal(typeof L.grad, 'number');
  const x1 = doc.blocks[1].nodes.find((n: { name: string }) => n.name === 'x');
  assert.deepEqual(x1.grad, [0.2, 0.4]);
  assert.equal(x1.line, 8);
  const target = doc.blocks[0].nodes.find((n: { name: string }) => n.name === 'T');
  assert.equal(target.grad, null);
  // Identical to the data: jsonDocument is what gets serialized.
  assert.deepEqual(doc.blocks, JSON.parse(JSON.stringify(jsonDocument(source).blocks)));
});

/** Every LaTeX field of an Explanation, with where it came from. */
function latexFields(e: Explanation): [string, string][] {
  const out: [string, string][] = [];
  for (const n of e.nodes) {
    out.push([`node ${n.id} label`, n.label]);
    if (n.formula) out.push([`node ${n.id} formula`, n.formula]);
  }
  for (const g of e.gradients) {
    out.push([`${g.label} chain`, g.latex]);
    for (const p of g.paths) {
      for (const f of p.factors) {
        out.push([`factor ${f.latex}`, f.latex], [`local ${f.latex}`, f.local]);
        for (const l of f.locals) out.push([`local of ${l.op}`, l.latex]);
      }
    }
  }
  for (const s of e.steps) {
    out.push([`step ${s.index}`, s.latex]);
    for (const t of s.terms) out.push([`step ${s.index} term`, t.rule]);
  }
  for (const n of e.notation) out.push([`notation ${n.symbol}`, `${n.symbol} = ${n.meaning}`]);
  for (const x of e.softmaxCrossEntropy) out.push(['softmax + CE', x.latex]);
  for (const r of e.linearity.runs) {
    out.push(['collapsed W', r.weightLatex]);
    if (r.biasLatex) out.push(['collapsed b', r.biasLatex]);
  }
  return out;
}

test('every LaTeX string of the Explanation and every math block of the Markdown renders with KaTeX', () => {
  const explanations = [
    twoLayer(),
    twoPaths().block,
    linear(false),
    linear(true),
    ...parseSource(
      readFileSync(join(__dirname, '..', '..', 'samples', 'two-layer-network.md'), 'utf8'),
      'markdown',
    ),
  ].map((b) => explainBlock(b, { gradientCheck: false }));
  assert.ok(explanations.some((e) => e.softmaxCrossEntropy.length > 0));
  for (const e of explanations) {
    for (const [where, latex] of latexFields(e)) {
      assert.doesNotThrow(
        () => katex.renderToString(latex, { throwOnError: true, displayMode: true }),
        `${where}: ${latex}`,
      );
    }
    const md = renderMarkdown(e, { maxRows: 2, maxCols: 2 });
    const display = md.split(/^\$\$$/m).filter((_, i) => i % 2 === 1);
    const inlineMath = [...md.matchAll(/\$([^$\n]+)\$/g)].map((m) => m[1]);
    assert.ok(display.length > 3 && inlineMath.length > 3);
    for (const latex of [...display, ...inlineMath]) {
      assert.doesNotThrow(
        () => katex.renderToString(latex, { throwOnError: true, displayMode: true }),
        latex,
      );
    }
  }
});
