// The study-note commands' engine side (src/notes): training and its write-back, derivations,
// and the Markdown preview plugin, in plain Node.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import MarkdownIt from 'markdown-it';
import { explainBlock } from '../../src/explain/build';
import { derivationFor, derivationTargets } from '../../src/notes/derivation';
import { blockMarkdown, extendMarkdownIt, maxBlockChars } from '../../src/notes/markdown-preview';
import {
  TrainError,
  type TextEdit,
  literal,
  trainBlock,
  trainSettings,
  trainingPlan,
} from '../../src/notes/train';
import { parseSource } from '../../src/spec/index';

const samples = join(import.meta.dirname, '..', '..', 'samples');
const read = (name: string) => readFileSync(join(samples, name), 'utf8');

/** Applies edits (non-overlapping, document coordinates) to a text. */
function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; column: number }) =>
    lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.column;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) {
    out = out.slice(0, offset(e.range.start)) + e.text + out.slice(offset(e.range.end));
  }
  return out;
}

describe('training', () => {
  it('reads lr and steps from a # train: comment or the fence, ignoring nonsense', () => {
    assert.deepEqual(trainSettings('x = 1\n# train: lr=0.5 steps=200\n'), {
      learningRate: 0.5,
      steps: 200,
    });
    assert.deepEqual(trainSettings('', '{learning_rate=1e-2, epochs=1_000}'), {
      learningRate: 0.01,
      steps: 1000,
    });
    assert.deepEqual(trainSettings('# train: lr=-1 steps=0.5'), {});
    assert.deepEqual(trainSettings('# To train later: lr=3'), {});
    // The fence's info wins over the comment.
    assert.deepEqual(trainSettings('# train: lr=0.1', 'lr=0.2'), { learningRate: 0.2 });
  });

  it('XOR: gradient descent drives the loss down, and the written values reproduce it', () => {
    const text = read('xor.model');
    let progressCalls = 0;
    const result = trainBlock(
      { text, kind: 'model', blockIndex: 0, learningRate: 1, steps: 600 },
      (p) => {
        progressCalls++;
        assert.equal(p.losses.length, p.done);
      },
      0,
    );
    assert.ok(progressCalls > 0);
    assert.equal(result.losses.length, 600);
    assert.ok(result.losses[0] > 0.6, `starts near log 2: ${result.losses[0]}`);
    assert.ok(result.finalLoss < 0.02, `XOR trains to a low loss: ${result.finalLoss}`);
    assert.deepEqual(
      result.params.map((p) => p.name),
      ['W1', 'b1', 'W2', 'b2'],
    );
    // Write back, read the file again: the same numbers, bit for bit, and the same loss.
    const written = applyEdits(text, result.edits);
    const [block] = parseSource(written, 'model');
    assert.deepEqual(block.errors, []);
    for (const p of result.params) {
      const s = block.statements.find((x) => x.name === p.name)!;
      assert.equal(s.role, 'param');
      assert.deepEqual(s.node.value.toNested(), p.value);
    }
    assert.equal(block.root!.node.value.data[0], result.finalLoss);
    // Only the initializers changed: comments, inputs and the rest are as they were.
    const before = text.split('\n');
    const after = written.split('\n');
    for (const line of before.filter((l) => !/^param/.test(l)))
      assert.ok(after.includes(line), line);
  });

  it('writes a parameter of a note back in place, long matrices one row a line', () => {
    const note = read('two-layer-network.md');
    const result = trainBlock({
      text: note,
      kind: 'markdown',
      blockIndex: 0,
      learningRate: 0.1,
      steps: 20,
    });
    assert.ok(result.finalLoss < result.losses[0]);
    const written = applyEdits(note, result.edits);
    const [block] = parseSource(written, 'markdown');
    assert.deepEqual(block.errors, []);
    assert.equal(block.root!.node.value.data[0], result.finalLoss);
    // A literal continues over lines inside its brackets, aligned under the first row.
    const long = literal(
      [
        [1.0000000000000002, 2.0000000000000004, 3.0000000000000004],
        [4, 5, 6],
        [7, 8, 9],
      ],
      30,
    );
    assert.match(long, /^\[\[1\.0000000000000002, .*\],\n {31}\[4, 5, 6\],\n {31}\[7, 8, 9\]\]$/);
  });

  it('literals read back exactly, whatever the numbers', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), {
            minLength: 2,
            maxLength: 2,
          }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (rows) => {
          const [block] = parseSource(
            `param W = ${literal(rows, 10)}\nloss L = sum(W * W)`,
            'model',
          );
          assert.deepEqual(block.errors, []);
          assert.deepEqual(
            block.statements[0].node.value.toNested(),
            rows.map((r) => r.map((x) => x + 0)),
          );
        },
      ),
      { numRuns: 50 },
    );
  });

  it('says what to do with a block it cannot train', () => {
    assert.throws(
      () => trainingPlan('param w = [1.0]\noutput y = w * 2', 'model', 0),
      (e: unknown) => {
        assert.ok(e instanceof TrainError);
        return /needs a loss/.test(e.message);
      },
    );
    assert.throws(
      () => trainingPlan('input x = [1.0]\nloss L = sum(x * x)', 'model', 0),
      /mark the weights/,
    );
    assert.throws(
      () => trainingPlan('param w = [1.0]\nloss L = sum(w * q)', 'model', 0),
      /error on line 2/,
    );
    assert.throws(
      () =>
        trainBlock({
          text: read('xor.model'),
          kind: 'model',
          blockIndex: 0,
          learningRate: 0,
          steps: 5,
        }),
      /learning rate/,
    );
    // The sample says how to train it: # train: lr=1 steps=600.
    const plan = trainingPlan(read('xor.model'), 'model', 0);
    assert.deepEqual(plan.settings, { learningRate: 1, steps: 600 });
    assert.deepEqual(plan.params, ['W1', 'b1', 'W2', 'b2']);
  });
});

describe('derivations', () => {
  const note = read('two-layer-network.md');

  it('offers every named tensor with a gradient, the focus first', () => {
    const [block] = parseSource(note, 'markdown');
    const e = explainBlock(block, { gradientCheck: false });
    const targets = derivationTargets(e);
    assert.equal(targets[0].isFocus, true);
    assert.deepEqual(targets.map((t) => t.name).sort(), ['W1', 'W2', 'X', 'b1', 'b2'].sort());
  });

  it('writes the chain, the shapes and the matrix-form steps, numbers only when asked', () => {
    const request = { text: note, kind: 'markdown' as const, blockIndex: 0, wrt: 'W1' };
    const symbols = derivationFor({ ...request, numbers: false });
    const numbers = derivationFor({ ...request, numbers: true });
    for (const d of [symbols, numbers]) {
      assert.equal(d.tensor, 'W1');
      assert.match(
        d.markdown,
        /^### Derivation of \$\\frac\{\\partial L\}\{\\partial W_\{1\}\}\$ \(W1, 2×3\)/,
      );
      assert.match(d.markdown, /#### Chain rule for/);
      assert.match(d.markdown, /\\frac\{\\partial Z_\{1\}\}\{\\partial W_\{1\}\}/);
      assert.match(d.markdown, /\| factor \| full Jacobian \| VJP backprop computes \|/);
      assert.match(d.markdown, /X\^\\top \\delta_\{1\}/); // ∂L/∂W1 = Xᵀ δ1
      assert.match(d.markdown, /#### Shapes[\s\S]*\\delta_\{1\} &: 2 \\times 3/);
      // Every $$ opens and closes.
      assert.equal((d.markdown.match(/^\$\$$/gm) ?? []).length % 2, 0);
    }
    assert.doesNotMatch(symbols.markdown, /With the numbers|bmatrix/);
    assert.match(numbers.markdown, /With the numbers[\s\S]*bmatrix/);
    // Inserted right after the closing fence.
    const lines = note.split('\n');
    assert.equal(lines[numbers.line - 1], '```');
    assert.match(lines[numbers.line - 2], /^loss L = /);
    assert.equal(numbers.atEnd, false);
    // The note with the derivation inserted still has its one block, unchanged.
    const inserted = [
      ...lines.slice(0, numbers.line),
      '',
      numbers.markdown,
      ...lines.slice(numbers.line),
    ].join('\n');
    const blocks = parseSource(inserted, 'markdown');
    assert.equal(blocks.length, 1);
    assert.equal(blocks[0].statements.length, parseSource(note, 'markdown')[0].statements.length);
  });

  it('derives a computed tensor too, and refuses an unknown one by name', () => {
    const d = derivationFor({
      text: note,
      kind: 'markdown',
      blockIndex: 0,
      wrt: 'Z2',
      numbers: false,
    });
    assert.match(d.markdown, /Derivation of \$\\frac\{\\partial L\}\{\\partial Z_\{2\}\}\$/);
    assert.throws(
      () =>
        derivationFor({ text: note, kind: 'markdown', blockIndex: 0, wrt: 'W9', numbers: false }),
      /W9/,
    );
  });
});

describe('Markdown preview plugin', () => {
  const md = extendMarkdownIt(new MarkdownIt());
  const plain = new MarkdownIt();
  const note = read('two-layer-network.md');
  const [block] = parseSource(note, 'markdown');
  const e = explainBlock(block, { gradientCheck: false });

  it('follows each model fence with its forward values and the loss', () => {
    const html = md.render(note);
    const at = html.indexOf('<div class="backprop-notes-preview">');
    assert.ok(at > 0);
    // The spec itself is still shown as code, before the values.
    assert.ok(html.lastIndexOf('Z1 = X @ W1 + b1', at) > 0);
    const preview = html.slice(at);
    assert.match(preview, /<strong>Loss:<\/strong> \$L = 0\.305406\$/);
    const p = e.nodes.find((n) => n.name === 'P')!.value as number[][];
    assert.ok(preview.includes(p[0][0].toPrecision(4)), `P[0][0] = ${p[0][0]}`);
    assert.match(preview, /Z_\{1\} = X W_\{1\} \+ b_\{1\} &amp;= \\begin\{bmatrix\}/);
    // No chain rule unless asked.
    assert.doesNotMatch(preview, /Backprop to/);
    // No stray data-line of the generated text (the preview's scroll sync reads those).
    assert.doesNotMatch(preview, /data-line/);
  });

  it('adds the chain for {wrt=…} or chain=…, and leaves other fences alone', () => {
    for (const info of ['model {wrt=W1}', 'model chain=W1']) {
      const html = md.render(note.replace('```model', '```' + info));
      assert.match(html, /Backprop to W1/);
      assert.match(html, /\\frac\{\\partial L\}\{\\partial W_\{1\}\} =/);
    }
    const other = 'Text\n\n```python\nx = 1\n```\n\n    indented\n';
    assert.equal(md.render(other), plain.render(other));
  });

  it('shows errors and limits as notes instead of failing the preview', () => {
    const broken = blockMarkdown('param w = [1.0]\nloss L = sum(w * <script>)', '');
    assert.match(broken, /\*\*Line 2:\*\*/);
    assert.doesNotMatch(broken, /<script>/);
    const huge = blockMarkdown('x = 1\n'.repeat(maxBlockChars / 4), '');
    assert.match(huge, /more than the preview runs/);
    const unknown = blockMarkdown('param w = [1.0, 2.0]\nloss L = sum(w * w)', '{wrt=q}');
    assert.match(unknown, /q/);
    assert.match(unknown, /\$L = 5\$/);
  });

  it('runs a block once for repeated renders', () => {
    const text = '```model\nparam w = [3.0]\nloss L = sum(w * w)\n```\n';
    const first = md.render(text);
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) assert.equal(md.render(text), first);
    assert.ok(performance.now() - t0 < 200, 'cached renders are quick');
  });
});
