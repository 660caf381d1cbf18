/**
 * `backprop-notes export FILE --to pytorch|numpy [--block N] [--out FILE]`, driven in-process
 * (runCli with its own I/O): the program on stdout or in a file, one block at a time, and exit 2
 * with one message — never a stack trace — for spec errors, bad usage or an op it cannot write.
 * (test/render/export-python.test.ts runs the programs themselves.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { type CliDeps, type CliIo, runCli } from '../../src/cli/run';
import { parseSource } from '../../src/spec/index';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  written: Map<string, string>;
}

function cli(
  args: string[],
  files: Record<string, string> = {},
  parse: CliDeps['parse'] = (text, kind) => parseSource(text, kind),
): Run {
  let stdout = '';
  let stderr = '';
  const written = new Map<string, string>();
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readFile: (path) => {
      if (path in files) return files[path];
      return readFileSync(path, 'utf8');
    },
    readStdin: () => files['-'] ?? '',
    writeFile: (path, text) => {
      if (path.startsWith('/no/such/')) {
        throw Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' });
      }
      written.set(path, text);
    },
  };
  const code = runCli(args, io, { parse, version: '0.0.0-test' });
  return { code, stdout, stderr, written };
}

const noStack = (text: string): void => {
  assert.doesNotMatch(text, /^\s+at .+[(:]\d+/m, 'no stack trace');
};

test('export --to pytorch prints the program of a one-block file, exit 0', () => {
  const r = cli(['export', 'samples/xor.model', '--to', 'pytorch']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^"""XOR: the classic problem a single linear layer cannot solve\./);
  assert.ok(r.stdout.includes('Exported by Backprop Notes from samples/xor.model.'));
  assert.ok(r.stdout.includes('L = F.binary_cross_entropy(p, y)'));
  assert.ok(r.stdout.includes('\nL.backward()\n'));
  // The training loop takes the block's own settings, as Train does (else Train's 0.1 and 200).
  const own = /#\s*train:.*?lr=([0-9.]+).*?steps=(\d+)/.exec(
    readFileSync('samples/xor.model', 'utf8'),
  );
  const [lr, steps] = own ? [Number(own[1]), Number(own[2])] : [0.1, 200];
  assert.ok(
    r.stdout.includes(
      `# optimizer = torch.optim.SGD([W1, b1, W2, b2], lr=${Number.isInteger(lr) ? lr.toFixed(1) : String(lr)}`,
    ),
    r.stdout,
  );
  assert.ok(r.stdout.includes(`# for step in range(${steps}):`));
});

test('export --to numpy --block N picks one block of a note', () => {
  const r = cli(['export', 'samples/softmax.md', '--to', 'numpy', '--block', '3']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes('Exported by Backprop Notes from samples/softmax.md (block 3).'));
  assert.ok(r.stdout.includes('dZ = (P - Y) / 2\n'), r.stdout);
  assert.doesNotMatch(r.stdout, /import torch/);
});

test('export --out writes the file and says so on stderr; stdout stays empty', () => {
  const r = cli(['export', 'samples/two-layer-network.md', '--to', 'numpy', '--out', 'net.py']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /^backprop-notes: wrote net\.py \(NumPy, block 1 of samples\/two-layer-network\.md\)\n$/,
  );
  assert.match(r.written.get('net.py') ?? '', /^dW1 = X\.T @ dZ1$/m);
  const bad = cli(['export', 'samples/xor.model', '--to', 'numpy', '--out', '/no/such/dir/x.py']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /cannot write \/no\/such\/dir\/x\.py: its folder does not exist/);
  noStack(bad.stderr);
});

test('export of standard input reads it as Markdown', () => {
  const note = 'Notes.\n\n```model\nparam w = [0.5, -1.0]\nloss L = sum(w * w)\n```\n';
  const r = cli(['export', '-', '--to', 'pytorch'], { '-': note });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes('Exported by Backprop Notes from <stdin>'));
  assert.ok(r.stdout.includes('L = (w * w).sum()'));
});

test('export: several blocks without --block, spec errors and bad usage exit 2 with one message', () => {
  const multi = cli(['export', 'samples/softmax.md', '--to', 'pytorch']);
  assert.equal(multi.code, 2);
  assert.match(
    multi.stderr,
    /samples\/softmax\.md has 4 model blocks and export writes one program — choose one with --block N \(1 to 4\)/,
  );
  assert.equal(multi.stdout, '');

  const broken = cli(['export', 'bad.model', '--to', 'numpy'], {
    'bad.model': 'param W = [[1.0, 2.0]]\nZ = W @ Q\nloss L = sum(W)\n',
  });
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /^bad\.model:2:9: unknown name 'Q'/m);
  assert.match(broken.stderr, /fix the errors above, then export again/);
  assert.equal(broken.stdout, '');

  const usage: [string[], RegExp][] = [
    [['export', 'samples/xor.model'], /export needs --to pytorch or --to numpy/],
    [['export', 'samples/xor.model', '--to', 'jax'], /--to jax: export as pytorch or numpy/],
    [
      ['export', 'samples/xor.model', '--to', 'numpy', '--format', 'json'],
      /--format is not an option of export/,
    ],
    [['explain', 'samples/xor.model', '--to', 'numpy'], /--to is an option of export/],
    [['check', 'samples/xor.model', '--out', 'x.py'], /--out is an option of export/],
    [
      ['export', 'samples/xor.model', '--to', 'numpy', '--block', '2'],
      /--block 2: samples\/xor\.model has 1 model block/,
    ],
  ];
  for (const [args, message] of usage) {
    const r = cli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.match(r.stderr, /Usage: backprop-notes/);
    assert.ok(r.stderr.includes('export FILE --to pytorch|numpy'));
    noStack(r.stderr);
  }
});

test('export of a block using an op the export cannot write: exit 2, the op named, no stack', () => {
  const parse: CliDeps['parse'] = (text, kind) => {
    const blocks = parseSource(text, kind);
    for (const n of blocks[0].graph.nodes) if (n.op === 'tanh') (n as { op: string }).op = 'erfinv';
    return blocks;
  };
  const r = cli(['export', 'samples/xor.model', '--to', 'pytorch'], {}, parse);
  assert.equal(r.code, 2);
  const line =
    readFileSync('samples/xor.model', 'utf8')
      .split('\n')
      .findIndex((l) => l.startsWith('H = tanh')) + 1;
  assert.ok(
    r.stderr.startsWith(
      `backprop-notes: The op 'erfinv' (line ${line}: H = tanh(X @ W1 + b1)) has no PyTorch counterpart`,
    ),
    r.stderr,
  );
  assert.equal(r.stdout, '');
  noStack(r.stderr);
});
