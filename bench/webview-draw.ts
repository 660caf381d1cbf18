// The Explanation webview on its own, in the harness's Chromium without VS Code around it: how
// long its page takes to start, and how long it takes to draw and paint the two-layer sample's
// explanation, first and again (a warm redraw, as when Explain runs with the panel open).
//
//   npx tsx bench/webview-draw.ts [--dist DIR] [--runs 10]
//
// The page is the panel's own HTML (src/extension/html.ts) with its CSP, served from DIR
// (default: a fresh production build) under a fake https origin; `acquireVsCodeApi` is a stub
// that records what the webview posts. Each time is from posting the message to the webview
// (performance.now() in the page) until the next frame after its `rendered` message and its
// fonts: the same end for a webview that acknowledges before painting (older builds) as for one
// that acknowledges after. Nothing asserts a time.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { build } from '../scripts/build.mjs';
import { chromiumPath } from '../scripts/e2e/install.mjs';
import { trimForView } from '../src/extension/view-trim';
import { explainBlock } from '../src/explain/index';
import { webviewHtml } from '../src/extension/html';
import { parseSource } from '../src/spec/index';
import { repoRoot } from '../test/e2e/harness';

const at = (name: string) => process.argv.indexOf(`--${name}`);
const runs = at('runs') >= 0 ? Number(process.argv[at('runs') + 1]) : 10;
const distArg = at('dist') >= 0 ? process.argv[at('dist') + 1] : undefined;
const origin = 'https://webview.test';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** --trace: the renderer's main-thread time by trace event (nested events count in each). */
function printTrace(buffer: Buffer, what: string): void {
  const events = (
    JSON.parse(buffer.toString('utf8')) as {
      traceEvents: { name: string; ph: string; dur?: number }[];
    }
  ).traceEvents;
  const total = new Map<string, number>();
  for (const e of events) {
    if (e.ph === 'X' && e.dur) total.set(e.name, (total.get(e.name) ?? 0) + e.dur / 1000);
  }
  const top = [...total].sort((a, b) => b[1] - a[1]).slice(0, 14);
  console.log(`trace (${what}): ${top.map(([n, ms]) => `${n} ${ms.toFixed(0)}`).join(', ')}`);
}

async function main(): Promise<void> {
  const temp = distArg ? undefined : mkdtempSync(join(tmpdir(), 'backprop-webview-draw-'));
  const dist = distArg ?? temp!;
  if (temp) await build(['webview'], { production: true, outdir: temp });

  const text = readFileSync(join(repoRoot, 'samples', 'two-layer-network.md'), 'utf8');
  const block = parseSource(text, 'markdown')[0];
  const explanation = trimForView(explainBlock(block, { gradientCheck: true }), {
    maxRows: 8,
    maxColumns: 8,
  });
  const message = (requestId: number) => ({
    type: 'explanation',
    requestId,
    explanation,
    source: {
      uri: 'file:///samples/two-layer-network.md',
      fileName: 'two-layer-network.md',
      kind: 'markdown',
      target: { kind: 'block', line: 10 },
      blockIndex: 0,
      blockCount: 1,
    },
    leaf: null,
    settings: { maxRows: 8, maxColumns: 8, digits: 4 },
    elapsedMs: 10,
  });
  const messageKiB = JSON.stringify(message(1)).length / 1024;

  // The older page had KaTeX's stylesheet as a second link: serve it if it is there.
  const html = webviewHtml({
    cspSource: origin,
    nonce: 'BenchNonceBenchNonceBenchNonce12',
    scriptUri: `${origin}/webview.js`,
    styleUri: `${origin}/webview.css`,
    language: 'en',
  }).replace(
    '<link rel="stylesheet"',
    `<link rel="stylesheet" href="${origin}/katex/katex.min.css"><link rel="stylesheet"`,
  );

  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
  const cold: number[] = [];
  const warm: number[] = [];
  const starts: number[] = [];
  /** The webview's own marks (builds that send them): draw, KaTeX within it, paint, fonts. */
  const phases: { kind: string; draw: number; katex: number; paint: number; fonts: number }[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
      await page.route(`${origin}/**`, async (route) => {
        const path = new URL(route.request().url()).pathname;
        if (path === '/') return route.fulfill({ body: html, contentType: 'text/html' });
        try {
          const body = readFileSync(join(dist, path));
          const type = path.endsWith('.js')
            ? 'text/javascript'
            : path.endsWith('.css')
              ? 'text/css'
              : 'font/woff2';
          return await route.fulfill({ body, contentType: type });
        } catch {
          return route.fulfill({ status: 404, body: '' });
        }
      });
      // Strings, not functions: tsx's helpers (__name) do not exist in the page.
      await page.addInitScript(`
        window.posted = [];
        window.acquireVsCodeApi = () => ({
          postMessage: (m) => window.posted.push({ ...m, at: performance.now() }),
          getState: () => undefined,
          setState: () => undefined,
        });`);
      if (process.env.DEBUG) {
        page.on('console', (m) => console.error(`console: ${m.text()}`));
        page.on('pageerror', (e) => console.error(`error: ${e.message}`));
      }
      const opened = Date.now();
      await page.goto(`${origin}/`);
      await page.waitForFunction(`window.posted.some((m) => m.type === 'ready')`);
      starts.push(Date.now() - opened);
      for (const [i, into] of [cold, warm].entries()) {
        const tracing = process.argv.includes('--trace') && r === runs - 1;
        if (tracing) await browser.startTracing(page, { categories: ['devtools.timeline'] });
        const [ms, timing] = (await page.evaluate(`(async (m) => {
          const before = window.posted.length;
          const started = performance.now();
          window.postMessage(m, '*');
          while (!window.posted.slice(before).some((p) => p.type === 'rendered')) {
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
          await document.fonts.ready;
          await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
          const r = window.posted.slice(before).find((p) => p.type === 'rendered');
          return [performance.now() - started, r.timing ?? {}];
        })(${JSON.stringify(message(i + 1))})`)) as [number, Record<string, number>];
        if (tracing) printTrace(await browser.stopTracing(), i === 0 ? 'first' : 'again');
        const t = (a: string, b: string) =>
          timing[a] !== undefined && timing[b] !== undefined ? timing[b] - timing[a] : NaN;
        phases.push({
          kind: i === 0 ? 'first' : 'again',
          draw: t('received', 'drawn'),
          katex: timing['ms.katex'] ?? 0,
          paint: t('drawn', 'painted'),
          fonts: t('painted', 'fonts'),
        });
        into.push(ms);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      await page.close();
    }
  } finally {
    await browser.close();
    if (temp) rmSync(temp, { recursive: true, force: true });
  }
  const fmt = (values: number[]) =>
    `${median(values).toFixed(0)} ms (${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)})`;
  console.log(
    `webview ${distArg ?? '(fresh production build)'}; message ${messageKiB.toFixed(0)} KiB; ${runs} pages`,
  );
  console.log(`page load → ready: ${fmt(starts)}`);
  console.log(`first explanation → painted: ${fmt(cold)}`);
  console.log(`same explanation again → painted: ${fmt(warm)}`);
  for (const kind of ['first', 'again']) {
    const of = phases.filter((p) => p.kind === kind);
    const m = (pick: (p: (typeof of)[number]) => number) => {
      const values = of.map(pick).filter((v) => !Number.isNaN(v));
      return values.length ? `${median(values).toFixed(0)} ms` : '—';
    };
    console.log(
      `  ${kind}: received → DOM built ${m((p) => p.draw)} (KaTeX ${m((p) => p.katex)}), → painted ${m((p) => p.paint)}, → fonts ${m((p) => p.fonts)}`,
    );
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
