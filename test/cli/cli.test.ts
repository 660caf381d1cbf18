/**
 * The CLI as a user runs it: `node cli.js …` (built once here by scripts/build.mjs's `cli`
 * target, into a temporary folder so that a half-edited webview cannot fail it), exit codes, messages,
 * stdin. The exit-code logic and no-stack-trace guarantee are also driven in-process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { type CliIo, exitCodeFor, runCli } from '../../src/cli/run';
import { explainBlock } from '../../src/explain/index';
import { parseSource } from '../../src/spec/index';
import { twoLayer } from '../explain/nets';

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'backprop-notes-cli-'));
/** Built by the project's build script (its `cli` target) into this test's own folder. */
const cli = join(dir, 'cli.js');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStack = (text: string): void => {
  assert.doesNotMatch(text, /^\s+at .+[(:]\d+/m, 'no stack trace');
};

const net = `# a two-layer network with a squared error
input  X  = [[1.0, 2.0], [0.5, -1.0]]
param  W1 = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]
param  b1 = [0.01, 0.02, 0.03]
param  W2 = [[0.3, -0.1], [0.2, 0.4], [-0.5, 0.6]]
param  b2 = [0.1, -0.1]
target T  = [[1.0, 0.0], [0.0, 1.0]]

Z1 = X @ W1 + b1
H1 = relu(Z1)
Z2 = H1 @ W2 + b2
D  = Z2 - T
loss L = mean(D * D)
`;

const note = `# Notes

Some prose first.

\`\`\`model
${net}\`\`\`

And a second block:

\`\`\`model
param a = [1.0, 2.0]
loss M = sum(a * a)
\`\`\`
`;

after(() => rmSync(dir, { recursive: true, force: true }));

before(() => {
  const script =
    'const { build } = await import(process.argv[2]); await build(["cli"], { outdir: process.argv[1] });';
  const built = spawnSync(
    process.execPath,
    // The output folder first: build.mjs runs as a script when argv[1] is itself.
    ['--input-type=module', '-e', script, dir, join(root, 'scripts', 'build.mjs')],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(built.status, 0, built.stderr);
});

test('--help and --version', () => {
  const help = run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: backprop-notes <command> FILE/);
  assert.match(help.stdout, /--wrt NAME/);
  const v = run(['--version']);
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), version);
});

test('bad usage: exit 2, a message and the usage, no stack trace', () => {
  const cases: [string[], RegExp][] = [
    [[], /no command given/],
    [['explain'], /explain needs a FILE/],
    [['frobnicate', 'x.md'], /unknown command frobnicate/],
    [['explain', 'x.md', '--format', 'xml'], /--format xml: explain prints text, markdown, json/],
    [['check', 'x.md', '--format', 'markdown'], /--format markdown: check prints text, json/],
    [['explain', 'x.md', '--block', '0'], /--block 0: give a block number from 1/],
    [['explain', 'x.md', '--bogus'], /unknown option --bogus/],
    [['explain', 'x.md', '--wrt'], /--wrt needs a value/],
    [['check', 'x.md', '--wrt', 'W1'], /--wrt is an option of explain/],
    [['explain', 'x.md', '--step', '-1'], /--step -1: give a positive number/],
    [
      ['explain', 'x.md', '--kind', 'latex'],
      /--kind latex: use one of markdown, model, python, snippet/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^backprop-notes: /);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /Usage: backprop-notes/);
    assert.equal(r.stdout, '');
    noStack(r.stderr);
  }
});

test('explain a .model file: exit 0, the chain rule, steps and check', () => {
  const path = file('net.model', net);
  const r = run(['explain', path]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^Block 1 · lines 2–13 · loss L = /);
  assert.ok(r.stdout.includes('Chain rule for ∂L/∂W1'));
  assert.ok(r.stdout.includes('δ1 = ∂L/∂Z1 = H̄1 ⊙ 𝟙[Z1 > 0]'));
  assert.ok(r.stdout.includes('Every gradient agrees with finite differences'));
  const wrt = run(['explain', path, '--wrt', 'b2']);
  assert.equal(wrt.code, 0);
  assert.ok(wrt.stdout.includes('Chain rule for ∂L/∂b2'));
  assert.ok(!wrt.stdout.includes('  ∂L/∂W1   ('));
  const md = run(['explain', path, '--format', 'markdown']);
  assert.equal(md.code, 0);
  assert.match(md.stdout, /^## Block 1 — \$L = /);
  assert.ok(md.stdout.includes('$$'));
});

test('explain --format json: the stable fields', () => {
  const path = file('note.md', note);
  const r = run(['explain', path, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.version, 1);
  assert.equal(doc.blocks.length, 2);
  const [first, second] = doc.blocks;
  assert.equal(first.index, 0);
  assert.equal(second.index, 1);
  assert.deepEqual(first.errors, []);
  const z1 = first.nodes.find((n: { name: string }) => n.name === 'Z1');
  assert.equal(z1.op, 'add');
  assert.deepEqual(z1.shape, [2, 3]);
  assert.equal(z1.line, 14, 'line in the note, not in the fence');
  assert.equal(z1.value.length, 2);
  assert.equal(z1.grad.length, 2);
  const L = first.nodes.find((n: { name: string }) => n.name === 'L');
  assert.equal(typeof L.value, 'number');
  assert.equal(L.grad, 1);
  const t = first.nodes.find((n: { name: string }) => n.name === 'T');
  assert.equal(t.grad, null);
  assert.deepEqual(second.nodes.find((n: { name: string }) => n.name === 'a').grad, [2, 4]);
});

test('spec errors: FILE:LINE:COL: message on stderr (1-based, file coordinates), exit 2', () => {
  const text = note
    .replace('Z1 = X @ W1 + b1', 'Z1 = X @ W9 + b1')
    .replace('loss M = sum(a * a)', 'loss M = sum(a @ [[1, 2, 3]])');
  const path = file('broken.md', text);
  const r = run(['explain', path]);
  assert.equal(r.code, 2);
  noStack(r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.ok(lines.length >= 2);
  for (const l of lines) assert.match(l, /^.+broken\.md:\d+:\d+: \S/);
  assert.ok(
    lines.some((l) => l.startsWith(`${path}:14:10: `) && /W9/.test(l)),
    lines.join('\n'),
  );
  assert.ok(lines.some((l) => l.startsWith(`${path}:25:14: (2) @ (1×3)`)));
  // What evaluated is still explained on stdout.
  assert.ok(r.stdout.includes('param W1 = '));
});

test('stdin: - reads Markdown by default, or what --kind says', () => {
  const md = run(['explain', '-', '--block', '2'], note);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /^Block 2 · /);
  assert.ok(md.stdout.includes('∂M/∂a'));
  const model = run(['check', '-', '--kind', 'model'], net);
  assert.equal(model.code, 0, model.stderr);
  assert.ok(model.stdout.includes('Gradient check'));
  const err = run(['check', '-', '--kind', 'model'], 'param a = [1.0, 2.0]\nloss L = sum(b)\n');
  assert.equal(err.code, 2);
  assert.match(err.stderr, /^<stdin>:2:14: /m);
});

test('check: exit 1 when a gradient check is wrong, 0 when all agree; json', () => {
  const path = file('exp.model', 'param x = [1.0, 2.0]\nloss L = sum(exp(x))\n');
  const ok = run(['check', path]);
  assert.equal(ok.code, 0, ok.stderr);
  // With a step of 1, central differences of exp are 17% off: graded wrong.
  const wrong = run(['check', path, '--step', '1']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stdout, /x\s+2\s+2\s+\S+\s+\[\d\]\s+\S+\s+\S+\s+✗ wrong/);
  assert.ok(wrong.stdout.includes('1 tensor wrong: x.'));
  const json = run(['check', path, '--step', '1', '--format', 'json']);
  assert.equal(json.code, 1);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.passed, false);
  assert.equal(doc.blocks[0].gradientCheck.tensors[0].grade, 'wrong');
  assert.equal(doc.blocks[0].gradientCheck.h, 1);
});

test('files that cannot be read or hold nothing: exit 2 with one clear line', () => {
  const missing = run(['explain', join(dir, 'nope.md')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*nope\.md: no such file/);
  const directory = run(['explain', dir]);
  assert.equal(directory.code, 2);
  assert.match(directory.stderr, /cannot read .*: it is a directory/);
  const empty = run(['explain', file('empty.md', '# nothing here\n')]);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /no ```model blocks found/);
  const block = run(['explain', file('one.md', note), '--block', '5']);
  assert.equal(block.code, 2);
  assert.match(block.stderr, /--block 5: .* has 2 model blocks/);
  for (const r of [missing, directory, empty, block]) noStack(r.stderr);
});

test('--wrt with a name no block has: exit 2 naming the tensors with gradients', () => {
  const r = run(['explain', file('w.model', net), '--wrt', 'W3']);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /--wrt W3: no tensor named W3 in block 1; tensors with a gradient here: X, W1, b1, W2, b2\./,
  );
  noStack(r.stderr);
});

test('a reader that closes the pipe early gets no stack trace', () => {
  const path = file(
    'wide.model',
    'input X = randn(20, 40, seed=1)\nparam W = randn(40, 30, seed=2)\nloss L = mean(relu(X @ W))\n',
  );
  const r = spawnSync(
    'sh',
    [
      '-c',
      `"${process.execPath}" "${cli}" explain "${path}" --format json | head -c 10 >/dev/null`,
    ],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '');
});

// ---------------------------------------------------------------------------------------------
// In-process

function capture(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readFile: () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    },
    readStdin: () => '',
  };
}

test('exit codes from the explanations: 2 for spec errors, 1 for a wrong gradient, else 0', () => {
  const good = explainBlock(twoLayer());
  assert.equal(exitCodeFor([good]), 0);
  assert.ok(good.gradientCheck);
  const report = good.gradientCheck;
  const broken = {
    ...good,
    gradientCheck: {
      ...report,
      grade: 'wrong' as const,
      passed: false,
      tensors: report.tensors.map((t, i) => (i === 0 ? { ...t, grade: 'wrong' as const } : t)),
    },
  };
  assert.equal(exitCodeFor([good, broken]), 1);
  const withError = {
    ...broken,
    errors: [
      {
        ...good.errors[0],
        message: 'x',
        code: 'syntax',
        range: good.range,
        line: 1,
        column: 1,
        endLine: 1,
        endColumn: 2,
      },
    ],
  };
  assert.equal(exitCodeFor([withError]), 2, 'spec errors win');
});

test('an internal failure is one line, never a stack trace', () => {
  const io = capture();
  const code = runCli(['explain', '-'], io, {
    parse: () => {
      throw new TypeError('boom');
    },
    version: '0',
  });
  assert.equal(code, 2);
  assert.equal(
    io.err.join(''),
    'backprop-notes: internal error: boom (please report this with the file)\n',
  );
});

test('any input text: the CLI answers with 0, 1 or 2 and never a stack trace', () => {
  const pieces = [
    'param W = randn(2, 3, seed=1)\n',
    'input x = [[1.0, 2.0]]\n',
    'Z = x @ W\n',
    'loss L = sum(relu(Z))\n',
    '```model\n',
    '```\n',
    'H = softmax(Z\n',
    'y = [0, 5]\n',
    'loss L = cross_entropy(Z, y)\n',
    '@@ ** (( ]]\n',
    'import numpy as np\n',
    'Z = np.maximum(0, x)\n',
  ];
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 12 })), {
        maxLength: 10,
      }),
      fc.constantFrom('markdown', 'model', 'python', 'snippet'),
      fc.constantFrom('explain', 'check'),
      (parts, kind, command) => {
        const io = capture();
        const text = parts.join('');
        const code = runCli(
          [command, '-', '--kind', kind, '--format', 'json'],
          { ...io, readStdin: () => text },
          { parse: (t, k) => parseSource(t, k), version: '0' },
        );
        assert.ok(code === 0 || code === 1 || code === 2);
        const err = io.err.join('');
        noStack(err);
        assert.doesNotMatch(err, /internal error/, err);
        if (io.out.length > 0) JSON.parse(io.out.join(''));
      },
    ),
    { numRuns: 150 },
  );
});
