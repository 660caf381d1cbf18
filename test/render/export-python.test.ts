/**
 * The exported programs, run: every block of every sample, of the PyTorch fixture corpus and of
 * the export's own specs (test/fixtures/export, which reach the corners: batched matmul, ties in
 * max, softplus above 20, single rows, broadcasting mse, names Python or the program uses …) is
 * exported as PyTorch and as NumPy, each program is run with Debian's python3 (python3-torch,
 * python3-numpy), and the loss and gradients it prints on its JSON line must match the engine's
 * to a relative error of 1e-9 (or an absolute difference of 1e-12 for values that are zero up to
 * rounding, as test/reference/torch.test.ts does). The programs must also run without a single
 * Python warning.
 *
 * To keep the run short, one Python process imports torch once and runs every program in turn
 * (runpy, each with its own globals); the two-layer sample's programs also run as standalone
 * `python3 program.py`, as a user runs them.
 *
 * Nothing is skipped: without a python3 that has torch and numpy, these tests fail and say what
 * to install (BACKPROP_NOTES_PYTHON picks another interpreter).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { allOps } from '../../src/engine/ops/index';
import type { Nested } from '../../src/engine/tensor';
import { explainBlock } from '../../src/explain/index';
import { exportNumPy } from '../../src/render/export-numpy';
import { exportPyTorch } from '../../src/render/export-pytorch';
import { parseSource } from '../../src/spec/index';
import type { ModelBlock } from '../../src/spec/model';

const relativeTolerance = 1e-9;
const absoluteFloor = 1e-12;

interface Case {
  readonly label: string;
  readonly file: string;
  readonly index: number;
  readonly text: string;
}

function specFiles(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir)
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => `${dir}/${f}`);
}

const files = [
  ...specFiles('samples', /\.(md|model|py)$/),
  ...specFiles('test/fixtures/specs', /\.(md|model)$/),
  ...specFiles('test/fixtures/export', /\.(md|model)$/),
];

const cases: Case[] = files.flatMap((file) => {
  const text = readFileSync(file, 'utf8');
  return parseSource(text, { fileName: file }).map((_, index) => ({
    label: `${file} block ${index + 1}`,
    file,
    index,
    text,
  }));
});

/** A fresh parse of a case's block (each export and each check gets its own graph). */
function blockOf(c: Case): ModelBlock {
  return parseSource(c.text, { fileName: c.file })[c.index];
}

const targets = [
  { name: 'PyTorch', run: exportPyTorch, suffix: 'torch' },
  { name: 'NumPy', run: exportNumPy, suffix: 'numpy' },
] as const;

// ---------------------------------------------------------------------------------------------
// Python

const installHint =
  'These tests run the exported programs: they need python3 with PyTorch and NumPy. On Debian: ' +
  'apt-get install -y python3-torch python3-numpy (CI installs them in .ci/run), or point ' +
  'BACKPROP_NOTES_PYTHON at a python that has both.';

function findPython(): { path: string } | { error: string } {
  const tried: string[] = [];
  const candidates = [process.env.BACKPROP_NOTES_PYTHON, '/usr/bin/python3', 'python3'];
  for (const candidate of candidates) {
    if (!candidate) continue;
    const r = spawnSync(candidate, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
    if (r.status === 0) return { path: candidate };
    const why = r.error
      ? r.error.message
      : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
    tried.push(`${candidate}: ${why}`);
  }
  return { error: `${installHint}\nTried:\n  ${tried.join('\n  ')}` };
}

/** Runs each program with runpy in one interpreter; per program its stdout, error and warnings. */
const driver = `
import contextlib, io, json, runpy, sys, traceback, warnings
results = {}
for path in sys.argv[1:]:
    out = io.StringIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with contextlib.redirect_stdout(out):
                runpy.run_path(path, run_name="__main__")
            error = None
        except BaseException:
            error = traceback.format_exc()
    results[path] = {
        "stdout": out.getvalue(),
        "error": error,
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
    }
sys.stdout.write(json.dumps(results))
`;

interface RunResult {
  readonly stdout: string;
  readonly error: string | null;
  readonly warnings: readonly string[];
}

const python = findPython();
const dir = mkdtempSync(join(tmpdir(), 'backprop-notes-export-'));
type Program = { readonly path: string; readonly text: string } | { readonly exportError: string };
const programs = new Map<string, Program>();
let results: Record<string, RunResult> = {};

before(() => {
  const paths: string[] = [];
  cases.forEach((c, k) => {
    for (const t of targets) {
      const key = `${c.label} ${t.name}`;
      try {
        const text = t.run(blockOf(c), { source: c.file, text: c.text });
        const path = join(dir, `case${k}_${t.suffix}.py`);
        writeFileSync(path, text);
        programs.set(key, { path, text });
        paths.push(path);
      } catch (error) {
        programs.set(key, { exportError: error instanceof Error ? error.message : String(error) });
      }
    }
  });
  if ('error' in python) return;
  const driverPath = join(dir, 'driver.py');
  writeFileSync(driverPath, driver);
  const r = spawnSync(python.path, [driverPath, ...paths], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 600_000,
  });
  assert.equal(r.status, 0, `the Python driver failed: ${r.error?.message ?? r.stderr}`);
  results = JSON.parse(r.stdout) as Record<string, RunResult>;
});

after(() => rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// Comparing

function flatten(x: Nested | null): number[] {
  if (x === null) return [];
  return Array.isArray(x) ? x.flatMap((v) => flatten(v)) : [x];
}

function shapeOf(x: unknown): number[] {
  const shape: number[] = [];
  let probe = x;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  return shape;
}

/** The differences beyond tolerance, described. */
function mismatches(what: string, actual: unknown, expected: Nested): string[] {
  const want = flatten(expected);
  const got = flatten(actual as Nested);
  if (shapeOf(actual).join() !== shapeOf(expected).join()) {
    return [
      `${what}: shape ${JSON.stringify(shapeOf(actual))}, the engine's ${JSON.stringify(shapeOf(expected))}`,
    ];
  }
  const out: string[] = [];
  want.forEach((e, i) => {
    const a = got[i];
    if (typeof a !== 'number') {
      out.push(`${what}[${i}]: ${String(a)} is not a number (engine ${e})`);
      return;
    }
    const diff = Math.abs(a - e);
    const scale = Math.max(Math.abs(a), Math.abs(e));
    if (Object.is(a, e) || diff <= absoluteFloor || diff <= relativeTolerance * scale) return;
    out.push(
      `${what}[${i}]: program ${a}, engine ${e}, relative error ${(diff / scale).toExponential(2)}`,
    );
  });
  return out;
}

/** The program's last output line, as JSON (NaN and ±Infinity, which Python writes bare, as strings). */
function lastJson(stdout: string): {
  root: string;
  value: Nested;
  gradients: Record<string, Nested>;
} {
  const line = stdout.trimEnd().split('\n').pop() ?? '';
  return JSON.parse(line.replace(/\bNaN\b|-?\bInfinity\b/g, '"$&"'));
}

function check(c: Case, target: (typeof targets)[number]): void {
  assert.ok(!('error' in python), 'error' in python ? python.error : '');
  const program = programs.get(`${c.label} ${target.name}`)!;
  assert.ok(
    !('exportError' in program),
    `the export failed: ${'exportError' in program ? program.exportError : ''}`,
  );
  const run = results[program.path];
  assert.ok(run, `no result for ${program.path}`);
  assert.equal(
    run.error,
    null,
    `the ${target.name} program failed:\n${run.error}\n--- program ---\n${program.text}`,
  );
  assert.deepEqual(
    run.warnings,
    [],
    `the ${target.name} program warned:\n${run.warnings.join('\n')}`,
  );
  const printed = lastJson(run.stdout);

  // The engine's own answer, from the explainer (not from the exporter's reading of the graph).
  const block = blockOf(c);
  const e = explainBlock(block, { gradientCheck: false, maxPaths: 1, maxJacobianEntries: 0 });
  assert.ok(e.root, 'the block has no root');
  assert.equal(printed.root, e.root.name);
  const expected = new Map(
    e.gradients
      .filter((g) => e.nodes[g.node].op === 'leaf' && g.name !== null)
      .map((g) => [g.name!, g.grad] as const),
  );
  assert.deepEqual(
    Object.keys(printed.gradients).sort(),
    [...expected.keys()].sort(),
    'which tensors have gradients',
  );
  const problems = [
    ...mismatches(`${e.root.name} value`, printed.value, e.root.value),
    ...[...expected].flatMap(([name, grad]) =>
      mismatches(`∂${e.root!.name}/∂${name}`, printed.gradients[name], grad),
    ),
  ];
  assert.deepEqual(
    problems,
    [],
    `${c.label}, ${target.name}: the program's numbers differ from the engine's\n--- program ---\n${program.text}`,
  );
}

test('python3 with PyTorch and NumPy is there to run the programs', () => {
  assert.ok(!('error' in python), 'error' in python ? python.error : '');
});

for (const c of cases) {
  for (const target of targets) {
    test(`${c.label}: the ${target.name} program prints the engine's loss and gradients`, () =>
      check(c, target));
  }
}

test('the programs cover every op of the engine', () => {
  const used = new Set(cases.flatMap((c) => blockOf(c).graph.nodes.map((n) => n.op)));
  const missing = allOps()
    .map((op) => op.name)
    .filter((name) => !used.has(name));
  assert.deepEqual(missing, [], 'add a spec using these ops to test/fixtures/export/');
});

test('the two-layer sample runs as a standalone program too, and prints the same', () => {
  if ('error' in python) assert.fail(python.error);
  const interpreter: string = python.path;
  const c = cases.find((x) => x.file === 'samples/two-layer-network.md');
  assert.ok(c);
  for (const target of targets) {
    const program: Program | undefined = programs.get(`${c.label} ${target.name}`);
    assert.ok(program && 'path' in program);
    const r = spawnSync(interpreter, [program.path], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'nothing on stderr');
    assert.deepEqual(lastJson(r.stdout), lastJson(results[program.path].stdout));
    assert.match(r.stdout, /^L = 0\.3054/m);
  }
});
