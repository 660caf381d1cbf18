/**
 * `npm run bench`: our engine (float64) against TensorFlow.js 4.22 (float32; CPU backend, and WASM
 * backend with SIMD on one thread) on issue 5's cases, interleaved in one process over several
 * rounds, reporting per-round medians, min–max, ratios and whether each goal is met.
 *
 * Usage: npm run -s bench -- [--json] [--markdown FILE] [--rounds N] [--target-ms T] [--only a,b]
 *   --json        print { machine, cases: [{ name, ours_ms, tfjs_cpu_ms, tfjs_wasm_ms, … }] }
 *                 (npm's -s keeps its own banner out of the JSON)
 *   --markdown F  also write the results as Markdown to F (bench/RESULTS.md is made this way)
 *   --rounds N    timed rounds (default 5) after one warm-up round
 *   --target-ms T each timing repeats a case until about T ms have passed (default 150)
 *   --only a,b    cases whose name contains one of the words (train, matmul, gradcheck, large …)
 *
 * Method: every round runs every case and, inside a case, every implementation, the order of
 * implementations rotated from round to round so no side always runs right after another. A
 * timing is wall-clock time per repetition (process CPU time is recorded alongside). Medians are
 * over rounds; ratios are medians of each round's own ratio. tfjs runs in production mode (its debug checks off) and its WASM backend is
 * loaded from node_modules, single-threaded like our engine.
 */
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { gemmBackend } from '../src/engine/kernels/gemm';
import { MATMUL_SIZES, MLPS, type MlpCase, mlpData, parameterCount, rng } from './cases';
import { describeGradcheck, runGradcheck } from './gradcheck';
import { compiledMlp, graphMlp, oursMatmul } from './ours';
import { type TfBackend, initTfjs, tfMatmul, tfMlp, useBackend, wasmFeatures } from './tfjs';

type ImplKey = 'ours' | 'ours_graph' | 'tfjs_cpu' | 'tfjs_wasm';

interface Impl {
  readonly key: ImplKey;
  readonly backend?: TfBackend;
  /** Runs once; may return a loss to report. */
  run(): unknown;
}

interface Case {
  readonly name: string;
  readonly kind: 'train' | 'matmul' | 'gradcheck';
  readonly impls: Impl[];
  /** Floating-point operations of one repetition, for GFLOP/s. */
  readonly flops?: number;
  readonly detail?: Record<string, unknown>;
}

interface Timing {
  wall: number[];
  cpu: number[];
  reps: number;
  firstResult: unknown;
}

function parseArgs(argv: readonly string[]) {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const rounds = Number(get('--rounds') ?? 5);
  const targetMs = Number(get('--target-ms') ?? 150);
  if (!(Number.isInteger(rounds) && rounds >= 1)) {
    throw new Error(`--rounds takes a whole number ≥ 1, got ${get('--rounds')}`);
  }
  if (!(targetMs > 0))
    throw new Error(`--target-ms takes a positive number, got ${get('--target-ms')}`);
  const only = get('--only')?.split(',').filter(Boolean) ?? null;
  return {
    json: argv.includes('--json'),
    markdown: get('--markdown') ?? null,
    rounds,
    targetMs,
    only,
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function machine() {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  let nproc = cpus().length;
  try {
    nproc = Number(execSync('nproc', { encoding: 'utf8' }).trim());
    const info = execSync('grep -m1 "model name" /proc/cpuinfo', { encoding: 'utf8' });
    cpuModel = info.split(':')[1]?.trim() ?? cpuModel;
  } catch {
    // Not Linux: os.cpus() says it.
  }
  return { nproc, cpu: cpuModel, node: process.version, load: loadavg().map((x) => +x.toFixed(2)) };
}

function buildCases(only: readonly string[] | null): Case[] {
  const cases: Case[] = [];
  for (const c of MLPS) cases.push(trainCase(c));
  for (const n of MATMUL_SIZES) cases.push(matmulCase(n));
  cases.push({
    name: 'gradcheck medium (fast mode)',
    kind: 'gradcheck',
    impls: [{ key: 'ours', run: runGradcheck }],
    detail: describeGradcheck(runGradcheck()),
  });
  return only ? cases.filter((c) => only.some((w) => c.name.includes(w))) : cases;
}

function trainCase(c: MlpCase): Case {
  const data = mlpData(c);
  const compiled = compiledMlp(c, data);
  const graph = graphMlp(c, data);
  const impls: Impl[] = [
    { key: 'ours', run: () => compiled.step() },
    { key: 'ours_graph', run: () => graph.step() },
  ];
  for (const backend of ['cpu', 'wasm'] as const) {
    let model: ReturnType<typeof tfMlp> | null = null;
    impls.push({
      key: backend === 'cpu' ? 'tfjs_cpu' : 'tfjs_wasm',
      backend,
      run: () => (model ??= tfMlp(c, data)).step(),
    });
  }
  return {
    name: `train ${c.name}`,
    kind: 'train',
    impls,
    detail: {
      batch: c.batch,
      layers: c.sizes.join('→'),
      parameters: parameterCount(c),
      plan: compiled.summary,
    },
  };
}

function matmulCase(n: number): Case {
  const next = rng(n);
  const a = Float64Array.from({ length: n * n }, () => next() * 2 - 1);
  const b = Float64Array.from({ length: n * n }, () => next() * 2 - 1);
  const ours = oursMatmul(n, a, b);
  const impls: Impl[] = [{ key: 'ours', run: () => ours.run() }];
  for (const backend of ['cpu', 'wasm'] as const) {
    let mm: ReturnType<typeof tfMatmul> | null = null;
    impls.push({
      key: backend === 'cpu' ? 'tfjs_cpu' : 'tfjs_wasm',
      backend,
      run: () => (mm ??= tfMatmul(n, a, b)).run(),
    });
  }
  return { name: `matmul ${n}`, kind: 'matmul', impls, flops: 2 * n * n * n };
}

async function time(
  impl: Impl,
  reps: number,
): Promise<{ wall: number; cpu: number; result: unknown }> {
  if (impl.backend) await useBackend(impl.backend);
  let result: unknown;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) result = impl.run();
  const wall = (performance.now() - t0) / reps;
  const c1 = process.cpuUsage(c0);
  return { wall, cpu: (c1.user + c1.system) / 1000 / reps, result };
}

/**
 * How the case's numbers compare with issue 5's goals. `ratio` holds ours / tfjs per backend as
 * the median over rounds of each round's own ratio (paired, so slow drifts in the machine's load
 * cancel), `ms` the medians.
 */
function goalOf(
  c: Case,
  ms: Partial<Record<ImplKey, number>>,
  ratio: { cpu?: number; wasm?: number },
): { goal: string; met: boolean } | null {
  const { ours, tfjs_cpu: cpu, tfjs_wasm: wasm } = ms;
  if (ours === undefined) return null;
  if (c.name === 'train tiny' && cpu !== undefined && wasm !== undefined) {
    return { goal: 'ours ≤ tfjs (both backends)', met: ours <= cpu && ours <= wasm };
  }
  if (c.kind === 'train' && ratio.cpu !== undefined && ratio.wasm !== undefined) {
    return {
      goal: 'ours/wasm ≤ 0.5, ours/cpu ≤ 0.1',
      met: ratio.wasm <= 0.5 && ratio.cpu <= 0.1,
    };
  }
  if (c.name === 'matmul 1024' && ratio.wasm !== undefined) {
    // GFLOP/s ratio = time ratio inverted.
    return { goal: 'GFLOP/s ≥ 0.4 × tfjs-wasm f32', met: 1 / ratio.wasm >= 0.4 };
  }
  if (c.kind === 'gradcheck') return { goal: '≤ 2000 ms', met: ours <= 2000 };
  return null;
}

/** Median over rounds of ours / other, round by round. */
function pairedRatio(ours: readonly number[], other: readonly number[]): number {
  return median(ours.map((x, i) => x / other[i]));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (s: string): void => {
    if (!args.json) console.log(s);
  };
  const before = machine();
  await initTfjs();
  const cases = buildCases(args.only);
  const timings = new Map<string, Map<ImplKey, Timing>>();
  log(`Backprop Notes bench — ${new Date().toISOString()}`);
  log(
    `machine: ${before.nproc} × ${before.cpu}, node ${before.node}, load ${before.load.join(' ')}`,
  );
  log(`kernels: ours ${gemmBackend()}; tfjs wasm ${JSON.stringify(wasmFeatures())}`);
  log(`warm-up, then ${args.rounds} rounds …`);

  // Warm-up: JIT and tier-up, and the repetitions that fill about targetMs per timing.
  for (const c of cases) {
    const perImpl = new Map<ImplKey, Timing>();
    for (const impl of c.impls) {
      const first = await time(impl, 1);
      const once = (await time(impl, 1)).wall;
      const reps = Math.max(1, Math.min(100000, Math.round(args.targetMs / Math.max(once, 1e-3))));
      perImpl.set(impl.key, { wall: [], cpu: [], reps, firstResult: first.result });
    }
    timings.set(c.name, perImpl);
  }
  for (let round = 0; round < args.rounds; round++) {
    for (const c of cases) {
      const perImpl = timings.get(c.name)!;
      const order = c.impls.map((_, i) => c.impls[(i + round) % c.impls.length]);
      for (const impl of order) {
        const t = perImpl.get(impl.key)!;
        const { wall, cpu } = await time(impl, t.reps);
        t.wall.push(wall);
        t.cpu.push(cpu);
      }
    }
    log(`  round ${round + 1}/${args.rounds} done (load ${loadavg()[0].toFixed(2)})`);
  }
  const after = machine();

  const rows = cases.map((c) => {
    const perImpl = timings.get(c.name)!;
    const row: Record<string, unknown> = { name: c.name, kind: c.kind };
    const ms: Partial<Record<ImplKey, number>> = {};
    for (const [key, t] of perImpl) {
      ms[key] = median(t.wall);
      row[`${key}_ms`] = +median(t.wall).toPrecision(4);
      row[`${key}_min_ms`] = +Math.min(...t.wall).toPrecision(4);
      row[`${key}_max_ms`] = +Math.max(...t.wall).toPrecision(4);
      row[`${key}_cpu_ms`] = +median(t.cpu).toPrecision(4);
      row[`${key}_reps`] = t.reps;
      if (c.kind === 'train') row[`${key}_first_loss`] = +Number(t.firstResult).toPrecision(6);
      if (c.flops) row[`${key}_gflops`] = +(c.flops / ms[key]! / 1e6).toPrecision(3);
    }
    const ours = perImpl.get('ours');
    const ratio: { cpu?: number; wasm?: number } = {};
    for (const [side, key] of [
      ['cpu', 'tfjs_cpu'],
      ['wasm', 'tfjs_wasm'],
    ] as const) {
      const other = perImpl.get(key);
      if (!ours || !other) continue;
      ratio[side] = pairedRatio(ours.wall, other.wall);
      row[`ratio_${side}`] = +ratio[side].toPrecision(3);
      row[`ratio_${side}_by_cpu_time`] = +pairedRatio(ours.cpu, other.cpu).toPrecision(3);
    }
    const goal = goalOf(c, ms, ratio);
    if (goal) Object.assign(row, goal);
    if (c.detail) row.detail = c.detail;
    return row;
  });

  const report = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { ...before, load_before: before.load, load_after: after.load },
    kernels: { ours: gemmBackend(), tfjs_wasm: wasmFeatures() },
    rounds: args.rounds,
    cases: rows,
  };
  if (args.markdown) writeFileSync(args.markdown, markdown(report));
  if (args.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(`\n${table(rows)}`);
  console.log(`\nload after: ${after.load.join(' ')}`);
}

/** The results as RESULTS.md shows them: when, where, how, the table, and the gradient check. */
function markdown(report: {
  date: string;
  command: string;
  machine: ReturnType<typeof machine> & { load_before: number[]; load_after: number[] };
  kernels: unknown;
  rounds: number;
  cases: Record<string, unknown>[];
}): string {
  const m = report.machine;
  const lines = [
    '# Benchmark results',
    '',
    `- date: ${report.date}`,
    `- machine: \`nproc\` = ${m.nproc}, ${m.cpu}; Node ${m.node}`,
    `- load average (1, 5, 15 min): ${m.load_before.join(', ')} before, ${m.load_after.join(', ')} after`,
    `- command: \`${report.command}\``,
    `- kernels: ${JSON.stringify(report.kernels)}`,
    `- ${report.rounds} timed rounds after a warm-up round; each cell is the median over rounds of ` +
      'the wall-clock time per repetition, with the min–max over rounds; ours in float64, tfjs in float32.',
    '',
    table(report.cases),
    '',
    "Ratios are medians over rounds of each round's own ours / tfjs (so a change of load between " +
      'rounds cancels out). The same ratios by process CPU time, less sensitive to other processes ' +
      'on the machine:',
    '',
    '| case | ours CPU ms | tfjs CPU backend, CPU ms | tfjs WASM, CPU ms | ours / CPU | ours / WASM |',
    '|---|---|---|---|---|---|',
    ...report.cases.map(
      (r) =>
        `| ${String(r.name)} | ${fmt(r.ours_cpu_ms)} | ${fmt(r.tfjs_cpu_cpu_ms)} | ${fmt(r.tfjs_wasm_cpu_ms)} | ` +
        `${fmt(r.ratio_cpu_by_cpu_time)} | ${fmt(r.ratio_wasm_by_cpu_time)} |`,
    ),
    '',
  ];
  const trains = report.cases.filter((c) => c.kind === 'train');
  if (trains.length > 0) {
    lines.push(
      'Every side trains the same network from the same initial weights on the same batch; the loss ' +
        'of the first step (ours float64, via Graph API, tfjs CPU, tfjs WASM):',
      '',
      ...trains.map(
        (c) =>
          `- ${String(c.name)}: ${[c.ours_first_loss, c.ours_graph_first_loss, c.tfjs_cpu_first_loss, c.tfjs_wasm_first_loss].map(String).join(', ')}`,
      ),
      '',
    );
  }
  const check = report.cases.find((c) => c.kind === 'gradcheck')?.detail as
    ReturnType<typeof describeGradcheck> | undefined;
  if (check) {
    lines.push(
      '## What the gradient check checked',
      '',
      `Mode ${check.mode}: grade ${check.grade}, ${check.passed ? 'passed' : 'failed'}. Per tensor, ` +
        'the sampled elements (seeded, so the same every run) and a directional check along a ' +
        'random ±1/√n direction over all of its elements; then one direction over all tensors at once.',
      '',
      '| tensor | shape | elements | checked | worst element rel. error | direction: seed, rel. error, grade | grade |',
      '|---|---|---|---|---|---|---|',
    );
    for (const t of check.tensors) {
      const d = t.directional;
      lines.push(
        `| ${t.name} | ${t.shape} | ${t.total} | ${t.checked_elements} | ${t.worst_element_error ?? '—'} | ` +
          `${d ? `${d.seed}, ${d.relative_error}, ${d.grade}` : '—'} | ${t.grade} |`,
      );
    }
    const all = check.directional_all;
    if (all) {
      lines.push(
        '',
        `All ${all.elements} parameters at once: seed ${all.seed}, relative error ${all.relative_error}, ${all.grade}.`,
      );
    }
    lines.push('', 'Sampled positions:', '');
    for (const t of check.tensors) lines.push(`- ${t.name}: ${t.positions}`);
    lines.push('');
  }
  return lines.join('\n');
}

const fmt = (x: unknown): string => {
  if (typeof x !== 'number') return '—';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(2);
};

/** The Markdown table RESULTS.md shows: medians with min–max, ratios, goals. */
export function table(rows: readonly Record<string, unknown>[]): string {
  const cell = (r: Record<string, unknown>, key: string): string => {
    if (r[`${key}_ms`] === undefined) return '—';
    const range = `${fmt(r[`${key}_min_ms`])}–${fmt(r[`${key}_max_ms`])}`;
    const gf = r[`${key}_gflops`] !== undefined ? `, ${fmt(r[`${key}_gflops`])} GF/s` : '';
    return `${fmt(r[`${key}_ms`])} (${range}${gf})`;
  };
  const lines = [
    '| case | ours ms (min–max) | ours via Graph API | tfjs CPU ms | tfjs WASM ms | ours / CPU | ours / WASM | goal | met |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${String(r.name)} | ${cell(r, 'ours')} | ${cell(r, 'ours_graph')} | ${cell(r, 'tfjs_cpu')} | ` +
        `${cell(r, 'tfjs_wasm')} | ${fmt(r.ratio_cpu)} | ${fmt(r.ratio_wasm)} | ${String(r.goal ?? '')} | ` +
        `${r.met === undefined ? '' : r.met ? 'yes' : 'no'} |`,
    );
  }
  return lines.join('\n');
}

main().catch((error) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
