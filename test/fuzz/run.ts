/**
 * Running the fuzzer: inputs from a seed, in chunks, through the driver, with counts per outcome
 * and per layer, the slowest input, and the failures (each written to test/fuzz/regressions/
 * when asked). Shared by the CI test (fuzz.test.ts), the soak (soak.ts) and their worker threads.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { type FuzzInput, fuzzInput, shallowInput } from './arbitraries';
import {
  type Depth,
  type DriveResult,
  FuzzFailure,
  OUTCOMES,
  type Outcome,
  type SourceKind,
  defaultLimits,
  drive,
} from './driver';

export const DEFAULT_SEED = 20261129;
export const regressionsDir = join(__dirname, 'regressions');

/** Inputs generated per fast-check seed: input `i` of a run is input `i % CHUNK` of chunk `i / CHUNK`. */
export const CHUNK = 500;

/** The fast-check seed of one chunk of a run (reproducible from the run's seed alone). */
export function chunkSeed(seed: number, chunk: number): number {
  return (Math.imul(seed, 0x9e3779b1) + Math.imul(chunk + 1, 0x85ebca6b)) | 0;
}

export interface Failure {
  readonly index: number;
  readonly layer: string;
  readonly detail: string;
  readonly text: string;
  readonly kind: SourceKind;
  readonly family: string;
  /** Where the input was written, if it was. */
  readonly file: string | null;
}

export interface Tally {
  inputs: number;
  /** Wall-clock milliseconds of the run. */
  ms: number;
  /** CPU milliseconds of the whole process, all threads (set by fuzzParallel). */
  cpuMs: number;
  outcomes: Record<Outcome, number>;
  families: Record<string, number>;
  layers: Record<string, number>;
  /** Milliseconds per layer, all inputs together. */
  times: Record<string, number>;
  slowest: { ms: number; index: number; family: string; kind: string; text: string };
  /** Inputs over GOAL_MS of wall-clock time in the run: re-timed alone at its end (`retime`). */
  suspects: Suspect[];
  /**
   * Inputs over GOAL_MS of CPU time when re-timed alone, after the run: the goal is missed by the
   * input, not by a loaded machine (where wall-clock time says little: 20 processes on 2 cores).
   */
  slow: Failure[];
  /** The most CPU time a re-timed suspect took. */
  slowestCpu: { ms: number; index: number; layer: string };
  failures: Failure[];
  /** True when the run stopped at its deadline before driving every input. */
  stopped: boolean;
}

export interface Suspect {
  readonly index: number;
  readonly ms: number;
  readonly text: string;
  readonly kind: SourceKind;
  readonly family: string;
  readonly depth: Depth;
}

/** The time one input should take at most, all layers together. */
export const GOAL_MS = 1000;

export function emptyTally(): Tally {
  return {
    inputs: 0,
    ms: 0,
    cpuMs: 0,
    outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>,
    families: {},
    layers: {},
    times: {},
    slowest: { ms: 0, index: -1, family: '', kind: '', text: '' },
    suspects: [],
    slow: [],
    slowestCpu: { ms: 0, index: -1, layer: '' },
    stopped: false,
    failures: [],
  };
}

export function mergeTally(into: Tally, t: Tally): void {
  into.inputs += t.inputs;
  into.ms = Math.max(into.ms, t.ms);
  for (const o of OUTCOMES) into.outcomes[o] += t.outcomes[o];
  for (const [k, v] of Object.entries(t.families)) into.families[k] = (into.families[k] ?? 0) + v;
  for (const [k, v] of Object.entries(t.layers)) into.layers[k] = (into.layers[k] ?? 0) + v;
  for (const [k, v] of Object.entries(t.times)) into.times[k] = (into.times[k] ?? 0) + v;
  if (t.slowest.ms > into.slowest.ms) into.slowest = t.slowest;
  into.stopped ||= t.stopped;
  into.suspects.push(...t.suspects);
  into.slow.push(...t.slow);
  if (t.slowestCpu.ms > into.slowestCpu.ms) into.slowestCpu = t.slowestCpu;
  into.failures.push(...t.failures);
}

/** Writes a failing input as test/fuzz/regressions/<hash>.txt (a header, then the text as is). */
export function writeRegression(f: Omit<Failure, 'file'>, seed: number): string {
  const hash = createHash('sha256')
    .update(f.kind)
    .update('\0')
    .update(f.text)
    .digest('hex')
    .slice(0, 16);
  mkdirSync(regressionsDir, { recursive: true });
  const file = join(regressionsDir, `${hash}.txt`);
  const header = [
    `kind: ${f.kind}`,
    `seed: ${seed}`,
    `index: ${f.index}`,
    `family: ${f.family}`,
    `layer: ${f.layer}`,
    `detail: ${f.detail.split('\n')[0].slice(0, 300)}`,
  ];
  writeFileSync(file, `${header.join('\n')}\n${REGRESSION_SEPARATOR}\n${f.text}`);
  return file;
}

/** The line between a regression file's header and the input (the input follows it byte for byte). */
export const REGRESSION_SEPARATOR = '--- input (everything below this line, as is) ---';

/** The input of a regression file and its kind. */
export function readRegression(content: string): { kind: SourceKind; text: string } {
  const at = content.indexOf(`\n${REGRESSION_SEPARATOR}\n`);
  if (at < 0) throw new Error(`a regression file without the '${REGRESSION_SEPARATOR}' line`);
  const kind = /^kind: (\w+)$/m.exec(content.slice(0, at))?.[1] as SourceKind | undefined;
  if (!kind) throw new Error('a regression file without a kind: line');
  return { kind, text: content.slice(at + REGRESSION_SEPARATOR.length + 2) };
}

export interface RunOptions {
  /** This worker's lane and the number of lanes (default 0 of 1). */
  readonly lane?: number;
  readonly lanes?: number;
  /** Write each failing input to test/fuzz/regressions/. */
  readonly write?: boolean;
  /** One input in this many goes through every layer (default 128). */
  readonly fullEvery?: number;
  /** One input in this many goes through the live layers, the rest only the spec (default 32). */
  readonly liveEvery?: number;
  /** Called after each chunk with the tally so far. */
  readonly onChunk?: (t: Tally) => void;
  /**
   * Date.now() after which no new chunk is started: the run stops early, and its tally says how
   * many inputs it drove (`Tally.stopped`).
   */
  readonly deadline?: number;
}

/** How deep input `index` goes: a fixed share of the run through every layer, another through the live ones. */
export function depthOf(index: number, options: RunOptions): Depth {
  if (index % (options.fullEvery ?? 128) === 0) return 'full';
  if (index % (options.liveEvery ?? 32) === 0) return 'live';
  return 'spec';
}

/**
 * Drives inputs `from` … `to - 1` of the run with `seed` (only those whose chunk ≡ `lane` mod
 * `lanes`, so workers split a run). Failures are collected, and written when `write`.
 */
export function fuzzRange(seed: number, from: number, to: number, options: RunOptions = {}): Tally {
  const lane = options.lane ?? 0;
  const lanes = options.lanes ?? 1;
  const t = emptyTally();
  const started = performance.now();
  for (let chunk = Math.floor(from / CHUNK); chunk * CHUNK < to; chunk++) {
    if (chunk % lanes !== lane) continue;
    if (options.deadline !== undefined && Date.now() > options.deadline) {
      t.stopped = true;
      break;
    }
    // Inputs driven through the spec only come from `shallowInput`, the others from `fuzzInput`.
    const depths = Array.from({ length: CHUNK }, (_, k) => depthOf(chunk * CHUNK + k, options));
    const deepCount = depths.filter((d) => d !== 'spec').length;
    const s = chunkSeed(seed, chunk);
    const shallow = fc.sample(shallowInput, { seed: s, numRuns: CHUNK - deepCount });
    const deep =
      deepCount > 0 ? fc.sample(fuzzInput, { seed: s ^ 0x5bd1e995, numRuns: deepCount }) : [];
    const inputs: FuzzInput[] = depths.map((d) => (d === 'spec' ? shallow.shift() : deep.shift())!);
    for (let k = 0; k < CHUNK; k++) {
      const index = chunk * CHUNK + k;
      if (index < from || index >= to) continue;
      const input = inputs[k];
      const depth = depths[k];
      t.inputs++;
      t.families[input.family] = (t.families[input.family] ?? 0) + 1;
      try {
        const r = drive(input.text, input.kind, depth, defaultLimits);
        if (r.ms > GOAL_MS) {
          const { text, kind, family } = input;
          t.suspects.push({ index, ms: r.ms, text, kind, family, depth });
        }
        t.outcomes[r.outcome]++;
        for (const l of r.layers) t.layers[l] = (t.layers[l] ?? 0) + 1;
        for (const [k, v] of Object.entries(r.times)) t.times[k] = (t.times[k] ?? 0) + v;
        if (r.ms > t.slowest.ms) {
          t.slowest = { ms: r.ms, index, family: input.family, kind: input.kind, text: input.text };
        }
      } catch (err) {
        const f =
          err instanceof FuzzFailure
            ? { layer: err.layer, detail: err.detail }
            : { layer: 'driver', detail: String((err as Error)?.stack ?? err) };
        const failure = { index, ...f, text: input.text, kind: input.kind, family: input.family };
        t.failures.push({
          ...failure,
          file: options.write ? writeRegression(failure, seed) : null,
        });
      }
    }
    options.onChunk?.(t);
  }
  t.ms = performance.now() - started;
  return t;
}

/**
 * Drives each suspect again, alone in the process (after the run, so no other lane competes),
 * and measures its CPU time: over GOAL_MS, it is slow (and written when `write`).
 */
export function retime(t: Tally, seed: number, write: boolean): void {
  for (const s of t.suspects) {
    const cpu = process.cpuUsage();
    let r: DriveResult;
    try {
      r = drive(s.text, s.kind, s.depth, defaultLimits);
    } catch {
      continue; // cannot happen: it passed in the run, and the driver is deterministic
    }
    const used = process.cpuUsage(cpu);
    const ms = (used.user + used.system) / 1000;
    const layer = Object.entries(r.times).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'time';
    if (ms > t.slowestCpu.ms) t.slowestCpu = { ms, index: s.index, layer };
    if (ms > GOAL_MS) {
      const slow = {
        index: s.index,
        layer,
        detail: `took ${s.ms.toFixed(0)} ms in the run, then ${ms.toFixed(0)} ms of CPU alone (goal ${GOAL_MS} ms)`,
        text: s.text,
        kind: s.kind,
        family: s.family,
      };
      t.slow.push({ ...slow, file: write ? writeRegression(slow, seed) : null });
    }
  }
}

/** The summary lines of a tally. */
export function summary(t: Tally, seed: number): string[] {
  const pct = (n: number): string => `${((100 * n) / Math.max(1, t.inputs)).toFixed(1)}%`;
  const outcomes = OUTCOMES.map((o) => `${o} ${t.outcomes[o]} (${pct(t.outcomes[o])})`).join(', ');
  const layers = Object.entries(t.layers)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const times = Object.entries(t.times)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
    .join(', ');
  const families = Object.entries(t.families)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `seed ${seed}: ${t.inputs} inputs in ${(t.ms / 1000).toFixed(1)} s (${Math.round((1000 * t.inputs) / Math.max(1, t.ms))} inputs/s; ${(t.cpuMs / 1000).toFixed(1)} s of CPU), ${t.failures.length} failures`,
    `outcomes: ${outcomes}`,
    `layers run: ${layers}`,
    `time per layer: ${times}`,
    `families: ${families}`,
    `slowest input: ${t.slowest.ms.toFixed(1)} ms wall-clock in the run (#${t.slowest.index}, ${t.slowest.family}, ${t.slowest.kind}, ${t.slowest.text.length} chars)`,
    `over ${GOAL_MS} ms in the run: ${t.suspects.length}; re-timed alone: at most ${t.slowestCpu.ms.toFixed(0)} ms of CPU (#${t.slowestCpu.index}, most in ${t.slowestCpu.layer || '-'}); over ${GOAL_MS} ms of CPU: ${t.slow.length}`,
  ];
}

/**
 * A run split over `lanes` worker threads (one lane: run here, without a worker). `onProgress`
 * hears the inputs done and failures found so far, all lanes together.
 */
export async function fuzzParallel(
  seed: number,
  inputs: number,
  options: Omit<RunOptions, 'lane' | 'onChunk'> & {
    readonly onProgress?: (inputs: number, failures: number) => void;
  } = {},
): Promise<Tally> {
  const lanes = Math.max(1, options.lanes ?? 1);
  const { onProgress, ...rest } = options;
  const done = new Array<number>(lanes).fill(0);
  const failed = new Array<number>(lanes).fill(0);
  const report = (lane: number, n: number, f: number): void => {
    done[lane] = n;
    failed[lane] = f;
    onProgress?.(
      done.reduce((a, b) => a + b, 0),
      failed.reduce((a, b) => a + b, 0),
    );
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  if (lanes === 1) {
    const here = fuzzRange(seed, 0, inputs, {
      ...rest,
      onChunk: (t) => report(0, t.inputs, t.failures.length),
    });
    return finish([here]);
  }
  // Every lane in a worker: this thread stays free to hear their progress (a lane run here would
  // hold its event loop until the lane is done, and the others' messages would wait).
  const workers = Array.from({ length: lanes }, (_, lane) => {
    return new Promise<Tally>((resolve, reject) => {
      // The worker is TypeScript too: it loads through tsx, as this thread does.
      const w = new Worker(
        `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, 'worker.ts'))});`,
        {
          eval: true,
          workerData: { seed, from: 0, to: inputs, options: { ...rest, lane, lanes } },
        },
      );
      w.on('message', (m: { type: string; inputs: number; failures: number; tally: Tally }) => {
        if (m.type === 'progress') report(lane, m.inputs, m.failures);
        else resolve(m.tally);
      });
      w.on('error', reject);
      w.on('exit', (code) => {
        if (code !== 0) reject(new Error(`fuzz worker ${lane} exited with ${code}`));
      });
    });
  });
  return finish(await Promise.all(workers));

  function finish(tallies: readonly Tally[]): Tally {
    const total = emptyTally();
    for (const t of tallies) mergeTally(total, t);
    total.ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    total.cpuMs = (used.user + used.system) / 1000;
    total.failures.sort((a, b) => a.index - b.index);
    retime(total, seed, options.write ?? false);
    return total;
  }
}
