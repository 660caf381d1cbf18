/**
 * NaN and ∞ in the CLI's output (in-process, as test/cli/cli.test.ts drives runCli): a "Not
 * finite" section naming the statement in text and Markdown, `numerics` in the JSON of explain
 * and check (`version` still 1), values still printed as inf/NaN, and `check` exiting 1 when a
 * gradient is not finite.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CliIo, exitCodeFor, runCli } from '../../src/cli/run';
import { explainBlock } from '../../src/explain/build';
import { renderMarkdown } from '../../src/render/markdown';
import { renderText } from '../../src/render/text';
import { parseSource } from '../../src/spec/index';

const OVERFLOW = `param Z = [[1000, 0, 1], [800, 2, 3]]
Z2 = exp(Z)
P = Z2 / sum(Z2, axis=-1, keepdims=True)
loss L = sum(P)
`;
const SQRT = 'param x = [0, 1, 4]\ny = sqrt(x)\nloss L = sum(y)\n';
const FINE = 'param x = [1000, 0]\nloss L = sum(softmax(x))\n';

function cli(args: string[], text: string) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readFile: () => text,
    readStdin: () => text,
  };
  const code = runCli(args, io, { parse: (t, k) => parseSource(t, k), version: '0' });
  return { code, stdout, stderr };
}

test('explain: the Not finite section names the statement; the values still read inf and NaN', () => {
  const r = cli(['explain', 'over.model'], OVERFLOW);
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    /\nNot finite \(NaN or ∞\)\n {2}line 2: Z2 has 2 ∞ values, the first at \[0, 0\]: exp overflows for inputs above 709\.78 \(largest here: 1000\) — later statements P and L depend on it\.\n {2}The gradients are not finite because of the forward value above\.\n/,
  );
  // The section comes before Forward, where the numbers still show as they are.
  assert.ok(r.stdout.indexOf('Not finite') < r.stdout.indexOf('\nForward'));
  assert.match(r.stdout, /⎡ inf {2}1 /);
  assert.match(r.stdout, /⎡ NaN {2}0 {2}0 ⎤/);
});

test('check exits 1 when a gradient is not finite, even where the gradient check has nothing to say', () => {
  const r = cli(['check', 'sqrt.model'], SQRT);
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    /line 2: Backward, in y: ∂L\/∂x has one ∞ value, at \[0\]: the gradient of sqrt at 0 is 1\/\(2·0\) = ∞\./,
  );
  const fine = cli(['check', 'fine.model'], FINE);
  assert.equal(fine.code, 0);
  assert.doesNotMatch(fine.stdout, /Not finite/);
  // The exit code follows numerics, not only the check's grades.
  const [b] = parseSource(SQRT, 'model');
  const e = explainBlock(b, { gradientCheck: false });
  assert.equal(e.gradientCheck, null);
  assert.equal(exitCodeFor([e]), 1);
});

test('JSON: numerics per block in explain and check, version 1', () => {
  const explained = JSON.parse(cli(['explain', 'x.model', '--format', 'json'], OVERFLOW).stdout);
  assert.equal(explained.version, 1);
  const n = explained.blocks[0].numerics;
  assert.equal(n.gradientsFinite, false);
  assert.deepEqual(
    n.forward.map((f: { statementName: string; line: number; code: string }) => [
      f.statementName,
      f.line,
      f.code,
    ]),
    [['Z2', 2, 'exp-overflow']],
  );
  const checked = JSON.parse(cli(['check', 'x.model', '--format', 'json'], SQRT).stdout);
  assert.equal(checked.version, 1);
  assert.equal(checked.blocks[0].numerics.backward[0].name, 'x');
  assert.equal(checked.blocks[0].numerics.backward[0].statementName, 'y');
  const fine = JSON.parse(cli(['check', 'x.model', '--format', 'json'], FINE).stdout);
  assert.deepEqual(fine.blocks[0].numerics, { forward: [], backward: [], gradientsFinite: true });
});

test('Markdown: the section with the message escaped as text', () => {
  const [b] = parseSource(OVERFLOW, 'model');
  const md = renderMarkdown([explainBlock(b)]);
  assert.match(
    md,
    /\n### Not finite \(NaN or ∞\)\n\n- line 2: Z2 has 2 ∞ values, the first at \\\[0, 0\\\]/,
  );
  const [f] = parseSource(FINE, 'model');
  assert.doesNotMatch(renderText([explainBlock(f)]), /Not finite/);
});

// A gradient check with a NaN or ∞ on a side: "not comparable", never "wrong" (that would blame a
// backward rule for the numbers), with the side that is not finite and where to look next.
const LOG = 'param x = [1e-7, 1]\nloss L = sum(log(x))\n';

test('check: a NaN gradient is not comparable, not wrong; the table points at Not finite; exit 1', () => {
  const r = cli(['check', 'over.model'], OVERFLOW);
  assert.equal(r.code, 1, 'the gradient is not usable: still a failing exit');
  assert.match(
    r.stdout,
    / {2}Z {7}2×3 {4}6 {8}NaN {15}\[0, 0\] {2}NaN {7}NaN {6}! not comparable\n/,
  );
  assert.match(
    r.stdout,
    /\n {2}! 1 tensor not comparable \(NaN or ∞\): Z\.\n {4}Z\[0, 0\]: the analytic gradient is NaN and the numerical one is NaN\.\n {4}A NaN or ∞ cannot be compared with finite differences: this is not a wrong backward rule,\n {4}but the gradient is not usable\. "Not finite" above says which statement first produced it\.\n/,
  );
  assert.doesNotMatch(r.stdout, /wrong:|✗/);
  assert.ok(r.stdout.indexOf('Not finite (NaN or ∞)') < r.stdout.indexOf('Gradient check'));
});

test('check: sqrt at 0 (∞ from backprop) is not comparable — it used to read good', () => {
  const r = cli(['check', 'sqrt.model'], SQRT);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /! not comparable\n/);
  assert.match(r.stdout, / {4}x\[0\]: the analytic gradient is ∞ and the numerical one is NaN\.\n/);
  assert.doesNotMatch(r.stdout, /✓ good|Every gradient agrees/);
});

test('check: only the finite difference not finite — try a smaller --step, which then passes', () => {
  const r = cli(['check', 'log.model'], LOG);
  assert.equal(r.code, 1, 'the check could not vouch for the gradient');
  assert.doesNotMatch(r.stdout, /Not finite|not usable/, 'the gradient itself is finite');
  assert.match(
    r.stdout,
    /\n {4}x\[0\]: the numerical gradient is NaN: the loss is not finite at x ± h\.\n {4}Only the finite difference is not finite there, so that gradient was not checked: the step\n {4}h = 1e-6 reaches where the loss is not finite — try a smaller --step\.\n/,
  );
  const smaller = cli(['check', 'log.model', '--step', '1e-9'], LOG);
  assert.equal(smaller.code, 0, smaller.stdout);
  assert.match(smaller.stdout, /✓ Every gradient agrees/);
});

test('check --format json: grade not-comparable with the sides, passed false, version 1', () => {
  const doc = JSON.parse(cli(['check', 'x.model', '--format', 'json'], SQRT).stdout);
  assert.equal(doc.version, 1);
  assert.equal(doc.passed, false);
  const report = doc.blocks[0].gradientCheck;
  assert.equal(report.grade, 'not-comparable');
  assert.equal(report.passed, false);
  const [t] = report.tensors;
  assert.equal(t.grade, 'not-comparable');
  assert.equal(t.notComparable, 1);
  // JSON writes NaN and ∞ as null: notFinite keeps which is which.
  assert.equal(t.worst.analytic, null);
  assert.deepEqual(t.worst.notFinite, { analytic: 'inf', numeric: 'nan' });
  assert.deepEqual(
    t.elements.map((e: { grade: string }) => e.grade),
    ['not-comparable', 'good', 'good'],
  );
  // A finite check keeps the fields it had: no notComparable, no notFinite.
  const fine = JSON.parse(cli(['check', 'x.model', '--format', 'json'], FINE).stdout);
  const [ft] = fine.blocks[0].gradientCheck.tensors;
  assert.equal('notComparable' in ft, false);
  assert.equal('notFinite' in ft.worst, false);
});

test('explain --format markdown: the grade in words and why, pointing at Not finite', () => {
  const r = cli(['explain', 'over.model', '--format', 'markdown'], OVERFLOW);
  assert.match(r.stdout, /\| not comparable \|\n/);
  assert.match(
    r.stdout,
    /\n- Z\\\[0, 0\\\] is not comparable: the analytic gradient is NaN and the numerical one is NaN; a NaN or ∞ cannot be compared with finite differences: this is not a wrong backward rule, but the gradient is not usable \\\(“Not finite” above says where it first appeared\\\)\.\n/,
  );
});
