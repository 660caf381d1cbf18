// The extension-side figures of issue 5, measured in the real VS Code of the e2e harness
// (code-server 4.100.3 + Chromium, test/e2e/harness.ts):
//
//   npm run bench:extension [-- --windows 5 --runs 5 --json --logs]
//
// - host bundle size: scripts/build.mjs --production (minified), dist/extension.js;
// - the extension is built the same way (production) into a staging folder (package.json,
//   nls, l10n, media, syntaxes, snippets, dist/) and loaded from there as development extension,
//   so dist/ of the checkout is left alone;
// - each of `--windows` windows (own server and extension host, fresh copy of samples/) runs
//   bench/extension-host.ts inside its extension host: activate() time (the extension's own
//   `activationMs`), Explain Backprop on samples/two-layer-network.md from the command to the
//   webview's `rendered` message — cold (first in the window) and warm (`--runs` times with the
//   panel open, `--runs` times after closing it) — and `2 × --runs` edits of a 60-statement
//   block with the worker's own time for each answer (`engineMs`).
// Prints a table of medians and min–max. Not part of `npm test`: nothing here asserts a time.
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { build } from '../scripts/build.mjs';
import { formatLogs, repoRoot, startVSCode, waitForExit } from '../test/e2e/harness';
import { RESULT_MARKER, type WindowResult } from './extension-result';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} takes a whole number ≥ 1 (got ${process.argv[at + 1]}).`);
  return value;
}

const windows = option('windows', 5);
const runs = option('runs', 5);

/** The extension's own log files ("Backprop Notes.log") under the server's temporary folder. */
function extensionLogs(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('Backprop Notes.log'))
    .map((path) => join(dir, path));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function row(name: string, values: readonly number[], goal: string): string {
  const fmt = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(0));
  const min = Math.min(...values);
  const max = Math.max(...values);
  return `| ${name} | ${fmt(median(values))} ms | ${fmt(min)}–${fmt(max)} | ${values.length} | ${goal} |`;
}

/** What each mark of RenderedMessage.timing means (bench/extension-host.ts's `timelines`). */
const markMeaning: Record<string, string> = {
  command: 'executeCommand called (host)',
  'host.explain': 'panel starts the run (host)',
  'host.created': 'panel object created, after createWebviewPanel (host)',
  'host.htmlSet': 'webview.html assigned (host)',
  page: 'webview document starts (performance.timeOrigin)',
  scriptFetchStart: 'webview.js requested',
  scriptFetched: 'webview.js received',
  script: 'webview.js starts to run',
  ready: 'webview posts ready (its modules ran)',
  'host.ready': 'host receives ready',
  'host.engineStart': 'request to the engine worker (host)',
  'host.enginePartial': 'engine partial answer (host)',
  'host.engineEnd': 'engine answer (host)',
  'host.posted': 'explanation posted to the webview (host)',
  received: 'webview receives the explanation',
  drawn: 'webview built the DOM (KaTeX included)',
  painted: 'next frame after the DOM change (painted)',
  rendered: 'host receives `rendered` (the measure)',
  'ms.katex': 'duration: KaTeX rendering in that draw',
};

/** Per kind of run, each mark's median time after the command, in order. */
function printTimelines(results: readonly WindowResult[]): void {
  const timelines = results.flatMap((r) => r.timelines ?? []);
  for (const kind of ['cold', 'open', 'new'] as const) {
    const ofKind = timelines.filter((t) => t.kind === kind);
    if (ofKind.length === 0) continue;
    const names = [...new Set(ofKind.flatMap((t) => Object.keys(t.marks)))];
    const stats = names.map((name) => {
      const values = ofKind.map((t) => t.marks[name]).filter((v) => v !== undefined);
      return { name, values, median: median(values) };
    });
    stats.sort((a, b) =>
      a.name.startsWith('ms.') === b.name.startsWith('ms.')
        ? a.median - b.median
        : a.name.startsWith('ms.')
          ? 1
          : -1,
    );
    const title = {
      cold: 'cold (first in window)',
      open: 'warm, panel open',
      new: 'warm, new panel',
    }[kind];
    console.log(`\nWhere the time goes, ${title}: ms after the command (median, min–max, n)\n`);
    console.log('| mark | median | min–max | n | what |');
    console.log('|---|---|---|---|---|');
    for (const { name, values, median: m } of stats) {
      const f = (v: number) => v.toFixed(0);
      console.log(
        `| ${name} | ${f(m)} | ${f(Math.min(...values))}–${f(Math.max(...values))} | ${values.length} | ${markMeaning[name] ?? ''} |`,
      );
    }
  }
}

async function main(): Promise<void> {
  const stage = mkdtempSync(join(tmpdir(), 'backprop-bench-ext-'));
  try {
    for (const item of ['package.json', 'l10n', 'media', 'syntaxes', 'snippets']) {
      cpSync(join(repoRoot, item), join(stage, item), { recursive: true });
    }
    for (const nls of ['package.nls.json', 'package.nls.ko.json']) {
      if (existsSync(join(repoRoot, nls))) cpSync(join(repoRoot, nls), join(stage, nls));
    }
    await build(undefined, { production: true, outdir: join(stage, 'dist') });
    const bundleBytes = statSync(join(stage, 'dist', 'extension.js')).size;

    const hostModule = join(stage, 'bench-host.js');
    await esbuild.build({
      entryPoints: [join(repoRoot, 'bench', 'extension-host.ts')],
      outfile: hostModule,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['vscode'],
      define: { 'process.env.BENCH_EXTENSION_RUNS': JSON.stringify(String(runs)) },
      logLevel: 'warning',
    });

    const results: WindowResult[] = [];
    const options = {
      workspace: join(repoRoot, 'samples'),
      extensionDevelopmentPath: stage,
      extensionTestsPath: hostModule,
    };
    // A server of its own per window: a second window on the same server did not run its
    // extension tests (it hung), and a fresh server is the honest cold start anyway.
    for (let w = 0; w < windows; w++) {
      const session = await startVSCode(options);
      try {
        const code = await waitForExit(session.window, 300_000);
        const line = session.logs.find((l) => l.text.includes(RESULT_MARKER));
        if (code !== 0 || !line) {
          throw new Error(
            `Window ${w + 1} exited with ${code} without a result. Last log lines:\n${formatLogs(session.logs.slice(-30))}`,
          );
        }
        const json = line.text.slice(line.text.indexOf(RESULT_MARKER) + RESULT_MARKER.length);
        results.push(JSON.parse(json.slice(0, json.lastIndexOf('}') + 1)) as WindowResult);
        process.stderr.write(`window ${w + 1}/${windows} done\n`);
        // --logs: the extension's timestamped log (activation, panel and engine lines), for
        // finding where the time goes.
        if (process.argv.includes('--logs')) {
          for (const file of extensionLogs(session.server.tempDir)) {
            process.stderr.write(`--- ${file}\n${readFileSync(file, 'utf8')}\n`);
          }
        }
      } finally {
        await session.close();
      }
    }

    const all = (pick: (r: WindowResult) => number | number[]) => results.flatMap(pick);
    console.log(
      `Extension benchmark: ${windows} windows × ${runs} runs, VS Code 1.100.3 (code-server), production build\n`,
    );
    console.log(
      `Host bundle dist/extension.js (minified): ${(bundleBytes / 1024).toFixed(1)} KiB (goal ≤ 250 KiB)\n`,
    );
    console.log('| measure | median | min–max | n | goal |');
    console.log('|---|---|---|---|---|');
    console.log(
      row(
        'activate()',
        all((r) => r.activationMs),
        '≤ 15 ms',
      ),
    );
    console.log(
      row(
        'Explain Backprop, cold (first in window)',
        all((r) => r.coldExplainMs),
        '≤ 400 ms',
      ),
    );
    console.log(
      row(
        'Explain Backprop, warm, panel open',
        all((r) => r.warmOpenPanelMs),
        '≤ 400 ms',
      ),
    );
    console.log(
      row(
        'Explain Backprop, warm, new panel',
        all((r) => r.warmNewPanelMs),
        '≤ 400 ms',
      ),
    );
    console.log(
      row(
        `edit → preview, engine time (${results[0].statements} statements)`,
        all((r) => r.editEngineMs),
        '≤ 30 ms',
      ),
    );
    console.log(
      row(
        'edit → live answer at the host (round trip)',
        all((r) => r.editLatencyMs),
        '—',
      ),
    );
    printTimelines(results);
    if (process.argv.includes('--json')) console.log(JSON.stringify({ bundleBytes, results }));
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
