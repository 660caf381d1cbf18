// Edit → live insights of a 60-statement block in plain Node: the worker's part of issue 5's
// "an edit in a 60-statement block to an updated preview ≤ 30 ms of engine time", without VS Code.
//
//   npx tsx bench/live-edit.ts [--edits 40] [--statements 60] [--json]
//
// The same block and edits as bench/extension-host.ts (the first literal of `x` changed each
// time, so every edit evaluates the block anew), through the worker's own entry point
// (`answerInsights` on one InsightsCache, as src/extension/engine-worker.ts), timing each answer
// (`elapsedMs`, what bench:extension reports as engine time) and its structured clone (what
// postMessage copies). Where the time goes, without tsx's keepNames wrappers (as the production
// bundle runs):
//   npx esbuild bench/live-edit.ts --bundle --platform=node --outfile=/tmp/live-edit.js
//   node --cpu-prof --cpu-prof-dir /tmp/prof /tmp/live-edit.js --edits 300
import { InsightsCache } from '../src/editor-insights/cache';
import { answerInsights } from '../src/editor-insights/requests';
import { defaultLiveSettings } from '../src/editor-insights/types';
import { sixtyStatementBlock } from './live-block';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} takes a whole number ≥ 1 (got ${process.argv[at + 1]}).`);
  return value;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const edits = option('edits', 40);
const statements = option('statements', 60);
const cache = new InsightsCache();
const have: number[] = [];
const engineMs: number[] = [];
const cloneMs: number[] = [];
const bytes: number[] = [];
const cpuMs: number[] = [];
// A warm-up edit first (the worker has answered the opened file before the first edit).
for (let i = -3; i < edits; i++) {
  const text = sixtyStatementBlock(statements, (1 + (i + 4) / 8).toFixed(3));
  const cpu = process.cpuUsage();
  const answer = answerInsights(cache, {
    type: 'insights',
    text,
    kind: 'model',
    origin: { line: 0, column: 0 },
    settings: defaultLiveSettings,
    have,
  });
  const used = process.cpuUsage(cpu);
  const t0 = performance.now();
  const copy = structuredClone(answer);
  const t1 = performance.now();
  if (answer.type !== 'insights') throw new Error('expected an insights answer');
  if (answer.evaluated.length !== 1) throw new Error('the edit was not evaluated anew');
  have.length = 0;
  for (const b of answer.blocks) if ('id' in b) have.push(b.id);
  if (i < 0) continue;
  engineMs.push(answer.elapsedMs);
  cpuMs.push((used.user + used.system) / 1000);
  cloneMs.push(t1 - t0);
  bytes.push(JSON.stringify(copy).length);
}
const fmt = (v: readonly number[]) =>
  `median ${median(v).toFixed(2)}, min ${Math.min(...v).toFixed(2)}, max ${Math.max(...v).toFixed(2)}`;
const result = {
  statements,
  edits,
  engineMs: { median: median(engineMs), min: Math.min(...engineMs), max: Math.max(...engineMs) },
  cpuMs: { median: median(cpuMs), min: Math.min(...cpuMs), max: Math.max(...cpuMs) },
  cloneMs: { median: median(cloneMs), min: Math.min(...cloneMs), max: Math.max(...cloneMs) },
  answerJsonChars: median(bytes),
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else {
  console.log(`${statements}-statement block, ${edits} edits (after 3 warm-up edits):`);
  console.log(`  engine ms (answerInsights elapsedMs): ${fmt(engineMs)}`);
  console.log(`  CPU ms of the answer:                 ${fmt(cpuMs)}`);
  console.log(`  structured clone of the answer, ms:   ${fmt(cloneMs)}`);
  console.log(`  answer as JSON: ${result.answerJsonChars} characters`);
}
