/**
 * `backprop-notes explain|check|export FILE`: argument parsing, reading the file, exit codes. Kept apart
 * from src/cli.ts (the bundle's entry, which only wires Node's process to this) so that tests run
 * it in-process with their own I/O and parser.
 *
 * Exit codes: 0 all well; 1 a gradient check graded `wrong`, or `not-comparable` (a NaN or ±∞ on
 * either side: the gradient check could not vouch for it, though backprop is not shown wrong), or
 * a gradient holds a NaN or ±∞ (Explanation.numerics says where it first appeared); 2 spec errors (each printed to
 * stderr as `FILE:LINE:COL: message`, 1-based) or bad usage (message + usage). No stack trace is
 * ever printed: every failure becomes one message. `export` writes the program to stdout (or
 * `--out FILE`) and exits 0, or 2 for spec errors, bad usage, or an op it cannot write.
 */
import { type ExplainOptions, ExplainError, explainCheckSample } from '../explain/build';
import type { Explanation, SourceKind } from '../explain/explanation';
import { explainBlocks } from '../explain/source';
import { ExportError, type ExportTarget } from '../render/export-common';
import { exportNumPy } from '../render/export-numpy';
import { exportPyTorch } from '../render/export-pytorch';
import { renderJson } from '../render/json';
import { renderMarkdown } from '../render/markdown';
import { renderText } from '../render/text';
import {
  CLI_LIMIT_HINTS,
  DEFAULT_LIMITS,
  type LimitOptions,
  kindFromFileName,
} from '../spec/index';
import type { ModelBlock } from '../spec/model';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads a file as UTF-8; throws a Node-style error (with `code`) when it cannot. */
  readonly readFile: (path: string) => string;
  readonly readStdin: () => string;
  /** Writes a file as UTF-8 (`export --out`); throws a Node-style error when it cannot. */
  readonly writeFile?: (path: string, text: string) => void;
}

export interface CliDeps {
  /** parseSource, with the limits of the --max-* options (and their hints). */
  readonly parse: (text: string, kind: SourceKind, limits: LimitOptions) => ModelBlock[];
  readonly version: string;
}

export const usage = `Usage: backprop-notes <command> FILE [options]

Commands:
  explain FILE    forward values, the chain rule with shapes, the backprop steps with
                  their numbers, memory, linearity and a gradient check
  check FILE      the gradient check only
  export FILE --to pytorch|numpy
                  the model block as a runnable Python program: PyTorch (autograd, an SGD
                  loop to start training from) or NumPy (the backward pass by hand)

FILE is a Markdown note (.md, .markdown: every \`\`\`model block in it), a .model file, a .py
file, or any other text read as one snippet. - reads standard input (as Markdown unless
--kind says otherwise).

Options:
  --block N        only the N-th model block (1 = the first)
  --wrt NAME       explain the gradient of this tensor only (explain)
  --format F       text (default), markdown (explain only) or json
  --kind K         read FILE as markdown, model, python or snippet
  --step H         finite-difference step of the gradient check (default 1e-6)
  --to T           export as pytorch or numpy (export)
  --out FILE       write the exported program to FILE instead of standard output (export)
  --max-elements N
                   the most values any one tensor may hold (default ${DEFAULT_LIMITS.maxElements})
  --max-total-elements N
                   the most values a block's tensors may hold together
                   (default ${DEFAULT_LIMITS.maxTotalElements})
  --max-multiply-adds N
                   the most multiply–adds a block's matrix products may need together
                   (default ${DEFAULT_LIMITS.maxMultiplyAdds}, a few seconds)
  --max-nesting N  how deeply a formula may nest: brackets, signs, chained operators and
                   statements each computed from the one before (default ${DEFAULT_LIMITS.maxNesting})
  --help           show this help
  --version        show the version

Exit status: 0 all well, 1 a gradient check failed, or could not compare because a
gradient is NaN or infinite, 2 spec errors, bad usage, or a block export cannot write.
`;

class UsageError extends Error {}

interface Parsed {
  readonly command: 'explain' | 'check' | 'export';
  readonly file: string;
  readonly block: number | null;
  readonly wrt: string | null;
  readonly format: 'text' | 'markdown' | 'json';
  readonly kind: SourceKind | null;
  readonly step: number | null;
  /** export: the program's library, and the file to write it to (null: stdout). */
  readonly to: ExportTarget | null;
  readonly out: string | null;
  /** The --max-* options given. */
  readonly limits: LimitOptions;
}

const kinds: readonly SourceKind[] = ['markdown', 'model', 'python', 'snippet'];

function parseArgs(argv: readonly string[]): Parsed | 'help' | 'version' {
  const positional: string[] = [];
  const opts = new Map<string, string>();
  const valued = new Set([
    'block',
    'wrt',
    'format',
    'kind',
    'step',
    'to',
    'out',
    ...Object.keys(limitOptions),
  ]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--version' || arg === '-v' || arg === '-V') return 'version';
    if (arg === '-' || !arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m || !valued.has(m[1])) throw new UsageError(`unknown option ${arg}`);
    const name = m[1];
    let value = m[2];
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      value = argv[++i];
    }
    if (opts.has(name)) throw new UsageError(`--${name} is given twice`);
    opts.set(name, value);
  }
  if (positional.length === 0) throw new UsageError('no command given');
  const [command, file, ...extra] = positional;
  if (command !== 'explain' && command !== 'check' && command !== 'export') {
    throw new UsageError(`unknown command ${command} — use explain, check or export`);
  }
  if (file === undefined) throw new UsageError(`${command} needs a FILE (or - for standard input)`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);

  const to = opts.get('to') ?? null;
  const out = opts.get('out') ?? null;
  if (command === 'export') {
    for (const other of ['format', 'wrt', 'step']) {
      if (opts.has(other)) throw new UsageError(`--${other} is not an option of export`);
    }
    if (to === null) throw new UsageError('export needs --to pytorch or --to numpy');
    if (to !== 'pytorch' && to !== 'numpy') {
      throw new UsageError(`--to ${to}: export as pytorch or numpy`);
    }
    if (out !== null && out.trim() === '') throw new UsageError('--out needs a file name');
  } else {
    if (to !== null) throw new UsageError('--to is an option of export');
    if (out !== null) throw new UsageError('--out is an option of export');
  }

  const format = opts.get('format') ?? 'text';
  const formats = command === 'explain' ? ['text', 'markdown', 'json'] : ['text', 'json'];
  if (!formats.includes(format)) {
    throw new UsageError(`--format ${format}: ${command} prints ${formats.join(', ')}`);
  }
  const kind = opts.get('kind') ?? null;
  if (kind !== null && !kinds.includes(kind as SourceKind)) {
    throw new UsageError(`--kind ${kind}: use one of ${kinds.join(', ')}`);
  }
  let block: number | null = null;
  if (opts.has('block')) {
    const raw = opts.get('block') as string;
    block = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || block < 1) {
      throw new UsageError(`--block ${raw}: give a block number from 1 (the first block)`);
    }
  }
  let step: number | null = null;
  if (opts.has('step')) {
    const raw = opts.get('step') as string;
    step = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(step) || step <= 0) {
      throw new UsageError(`--step ${raw}: give a positive number such as 1e-6`);
    }
  }
  const wrt = opts.get('wrt') ?? null;
  if (wrt !== null && command === 'check') throw new UsageError('--wrt is an option of explain');
  if (wrt !== null && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(wrt)) {
    throw new UsageError(`--wrt ${wrt}: give the name of a tensor, such as W1`);
  }
  const limits: { -readonly [K in keyof LimitOptions]: LimitOptions[K] } = {
    limitHints: CLI_LIMIT_HINTS,
  };
  for (const [option, name] of Object.entries(limitOptions)) {
    const raw = opts.get(option);
    if (raw === undefined) continue;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(n) || n < 1) {
      throw new UsageError(
        `--${option} ${raw}: give a whole number from 1, such as ${DEFAULT_LIMITS[name]}`,
      );
    }
    limits[name] = n;
  }
  return {
    command,
    file,
    block,
    wrt,
    format: format as Parsed['format'],
    kind: kind as SourceKind | null,
    step,
    to: to as ExportTarget | null,
    out,
    limits,
  };
}

/** The --max-* options and the limits they set. */
const limitOptions = {
  'max-elements': 'maxElements',
  'max-total-elements': 'maxTotalElements',
  'max-multiply-adds': 'maxMultiplyAdds',
  'max-nesting': 'maxNesting',
} as const;

/** The kind a file is read as, from its extension (the spec layer's rule); stdin is Markdown. */
export function kindOf(file: string): SourceKind {
  return file === '-' ? 'markdown' : kindFromFileName(file);
}

/**
 * 2 when any block has spec errors, else 1 when any gradient check did not pass (graded `wrong`, or
 * `not-comparable`: a NaN or ±∞ on a side) or any gradient holds a NaN or ±∞, else 0.
 * Spec errors win: a partly evaluated block's check says little.
 */
export function exitCodeFor(blocks: readonly Explanation[]): 0 | 1 | 2 {
  if (blocks.some((b) => b.errors.length > 0)) return 2;
  if (blocks.some((b) => b.gradientCheck !== null && !b.gradientCheck.passed)) return 1;
  if (blocks.some((b) => b.numerics !== undefined && !b.numerics.gradientsFinite)) return 1;
  return 0;
}

export function runCli(argv: readonly string[], io: CliIo, deps: CliDeps): 0 | 1 | 2 {
  try {
    return run(argv, io, deps);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`backprop-notes: ${err.message}\n\n${usage}`);
      return 2;
    }
    if (err instanceof ExplainError || err instanceof ExportError) {
      io.stderr(`backprop-notes: ${err.message}\n`);
      return 2;
    }
    // Not the user's doing, but still one line: never a stack trace.
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`backprop-notes: internal error: ${message} (please report this with the file)\n`);
    return 2;
  }
}

function run(argv: readonly string[], io: CliIo, deps: CliDeps): 0 | 1 | 2 {
  const parsed = parseArgs(argv);
  if (parsed === 'help') {
    io.stdout(usage);
    return 0;
  }
  if (parsed === 'version') {
    io.stdout(`${deps.version}\n`);
    return 0;
  }
  const shown = parsed.file === '-' ? '<stdin>' : parsed.file;
  let text: string;
  try {
    text = parsed.file === '-' ? io.readStdin() : io.readFile(parsed.file);
  } catch (err) {
    io.stderr(`backprop-notes: cannot read ${shown}: ${readError(err)}\n`);
    return 2;
  }
  const kind = parsed.kind ?? kindOf(parsed.file);
  let blocks = deps.parse(text, kind, parsed.limits);
  if (blocks.length === 0) {
    io.stderr(
      kind === 'markdown'
        ? `backprop-notes: ${shown}: no \`\`\`model blocks found — put the model between a \`\`\`model line and a \`\`\` line\n`
        : `backprop-notes: ${shown}: nothing to explain — the file has no statements\n`,
    );
    return 2;
  }
  if (parsed.block !== null) {
    if (parsed.block > blocks.length) {
      throw new UsageError(
        `--block ${parsed.block}: ${shown} has ${blocks.length} model block${blocks.length === 1 ? '' : 's'}`,
      );
    }
    blocks = [blocks[parsed.block - 1]];
  }
  if (parsed.command === 'export') return exportCommand(parsed, blocks, text, shown, io);
  // explain checks a sample of each tensor (an overview); check looks at every element up to
  // the gradient check's own limit.
  const sample = parsed.command === 'explain' ? { maxElementsPerTensor: explainCheckSample } : {};
  const options: ExplainOptions = {
    wrt: parsed.wrt,
    gradientCheck: parsed.step !== null ? { ...sample, h: parsed.step } : sample,
  };
  const explained = explainBlocks(blocks, kind, options);
  for (const b of explained.blocks) {
    for (const e of b.errors) io.stderr(`${shown}:${e.line}:${e.column}: ${e.message}\n`);
  }
  const focusOnly = parsed.wrt !== null;
  if (parsed.command === 'explain') {
    if (parsed.format === 'json') io.stdout(renderJson(explained, { file: shown }));
    else if (parsed.format === 'markdown')
      io.stdout(renderMarkdown(explained, { focusOnly, sections: withoutErrors }));
    else io.stdout(renderText(explained, { focusOnly, sections: withoutErrors }));
  } else if (parsed.format === 'json') {
    io.stdout(JSON.stringify(checkDocument(explained.blocks, shown), null, 2) + '\n');
  } else {
    io.stdout(renderText(explained, { sections: ['numerics', 'check', 'notices'] }));
  }
  return exitCodeFor(explained.blocks);
}

/**
 * `export`: one block (the only one, or `--block N`) as a Python program on stdout or in `--out`.
 * Spec errors are printed as FILE:LINE:COL lines (exit 2): a program of half a model would run
 * and mislead.
 */
function exportCommand(
  parsed: Parsed,
  blocks: readonly ModelBlock[],
  text: string,
  shown: string,
  io: CliIo,
): 0 | 2 {
  if (blocks.length > 1) {
    throw new UsageError(
      `${shown} has ${blocks.length} model blocks and export writes one program — choose one with --block N (1 to ${blocks.length})`,
    );
  }
  const block = blocks[0];
  if (block.errors.length > 0) {
    for (const e of block.errors) {
      io.stderr(`${shown}:${e.range.start.line + 1}:${e.range.start.column + 1}: ${e.message}\n`);
    }
    io.stderr(`backprop-notes: fix the errors above, then export again\n`);
    return 2;
  }
  const options = { source: shown, text };
  const program =
    parsed.to === 'numpy' ? exportNumPy(block, options) : exportPyTorch(block, options);
  if (parsed.out === null) {
    io.stdout(program);
    return 0;
  }
  if (!io.writeFile) throw new Error('this build cannot write files; leave out --out');
  try {
    io.writeFile(parsed.out, program);
  } catch (err) {
    const code = (err as { code?: string } | null)?.code;
    const why = code === 'ENOENT' ? 'its folder does not exist' : readError(err);
    io.stderr(`backprop-notes: cannot write ${parsed.out}: ${why}\n`);
    return 2;
  }
  io.stderr(
    `backprop-notes: wrote ${parsed.out} (${parsed.to === 'numpy' ? 'NumPy' : 'PyTorch'}, block ${block.index + 1} of ${shown})\n`,
  );
  return 0;
}

/** Errors go to stderr as FILE:LINE:COL lines, so the stdout rendering leaves them out. */
const withoutErrors = [
  'numerics',
  'forward',
  'gradients',
  'chain',
  'steps',
  'softmax',
  'memory',
  'linearity',
  'check',
  'notices',
] as const;

/** `check --format json`: per block its errors and the gradient-check report. */
function checkDocument(blocks: readonly Explanation[], file: string): unknown {
  return {
    version: 1,
    file,
    passed: blocks.every((b) => b.gradientCheck === null || b.gradientCheck.passed),
    blocks: blocks.map((b) => ({
      index: b.index,
      line: b.line,
      errors: b.errors,
      passed: b.gradientCheck === null || b.gradientCheck.passed,
      gradientCheck: b.gradientCheck,
      numerics: b.numerics ?? null,
    })),
  };
}

function readError(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}
