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
