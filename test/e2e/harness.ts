/**
 * The e2e harness: a real VS Code (1.100.3, from the npm package code-server@4.100.3) served on
 * 127.0.0.1, its workbench shown in Debian's Chromium driven by playwright-core, with an extension
 * loaded as development extension and, optionally, tests run inside its extension host.
 * See shared/e2e-recipe.md for why it is done this way on these machines.
 *
 *   const vs = await startVSCode({ workspace, extensionDevelopmentPath, extensionTestsPath });
 *   try { assert.equal(await waitForExit(vs), 0); } finally { await vs.close(); }
 *
 * Everything a session starts (the server's process group, the browser, temporary folders,
 * timers) is ended by close(), also when starting fails half-way.
 */
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload, type SourceMapping } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type FrameLocator,
  type Page,
} from 'playwright-core';
import { startCodeServer, type CodeServer } from '../../scripts/e2e/code-server.mjs';
import { chromiumPath, ensureCodeServer, repoRoot } from '../../scripts/e2e/install.mjs';
import { RESULTS_MARKER, type RunSummary } from './host/runner';

export { repoRoot };

/**
 * For node:test's `skip`: a reason when BACKPROP_NOTES_SKIP_E2E=1 is set, otherwise false.
 * Only that variable skips the e2e tests; a missing browser or server is a failure, not a skip.
 */
export const skipE2E: string | false =
  process.env.BACKPROP_NOTES_SKIP_E2E === '1'
    ? 'BACKPROP_NOTES_SKIP_E2E=1 is set: not starting VS Code (unset it to run the e2e tests)'
    : false;

/** Where screenshots and other test artefacts go (gitignored). */
export const resultsDir = join(repoRoot, 'test-results');

/** Chromium's switches: no sandbox (root in a container), no GPU, no network beyond the page. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LogEntry {
  /** 'automation' lines come from window.codeAutomationLog; the others from the page's console. */
  source: 'automation' | 'console' | 'pageerror';
  type: string;
  text: string;
}

export interface WindowOptions {
  /** The folder to open; copied into the session's temporary folder first unless copyWorkspace is false. */
  workspace: string;
  /** Default true: the window works on a fresh copy, so tests can edit files freely. */
  copyWorkspace?: boolean;
  /** The extension folder (the one with package.json) loaded as development extension. */
  extensionDevelopmentPath?: string;
  /** A CommonJS module exporting run(): run inside the extension host; the window then exits. */
  extensionTestsPath?: string;
  /** Viewport of the page, default 1400×900. */
  viewport?: { width: number; height: number };
}

export interface StartOptions extends WindowOptions {
  /** Print the server's and the page's output as it comes (default: env BACKPROP_NOTES_E2E_VERBOSE=1). */
  verbose?: boolean;
  /** .vsix files installed into the server before it starts (a packaged extension, a language pack). */
  installExtensions?: string[];
  /** VS Code's display language (e.g. 'ko', set as argv.json's `locale`); needs its language pack. */
  locale?: string;
  /** Workspace Trust on and the folder untrusted (Restricted Mode); default: trust disabled. */
  restrictedMode?: boolean;
}

export interface VSCodeWindow {
  page: Page;
  /** The workbench URL the page opened. */
  url: string;
  /** The folder the window has open (the copy, when copied). */
  workspace: string;
  /**
   * The code the workbench passed to codeAutomationExit (0: the extension-host tests passed).
   * Rejects when the server exits or the window closes first. Only settles for windows opened
   * with extensionTestsPath; use waitForExit() for a time limit.
   */
  exitCode: Promise<number>;
  /** Everything logged so far, in order. */
  logs: LogEntry[];
  close(): Promise<void>;
}

export interface VSCodeSession extends VSCodeWindow {
  /** The first window alone: its close() leaves the server and browser running. */
  window: VSCodeWindow;
  server: CodeServer;
  browser: Browser;
  /** Opens another workbench window (own browser context) on the same server and browser. */
  openWindow(options: WindowOptions): Promise<VSCodeWindow>;
  /** Closes every window, the browser and the server; removes the temporary folders. */
  close(): Promise<void>;
}

const verboseFromEnv = process.env.BACKPROP_NOTES_E2E_VERBOSE === '1';

/**
 * Starts code-server (installing it first if needed), launches Chromium and opens one workbench
 * window as `options` says. Resolves once the workbench has rendered.
 */
export async function startVSCode(options: StartOptions): Promise<VSCodeSession> {
  const verbose = options.verbose ?? verboseFromEnv;
  await ensureCodeServer();
  const cleanups: Array<() => Promise<void> | void> = [];
  const runCleanups = async () => {
    // Last started, first ended; every step runs even when one throws.
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'Closing the VS Code session failed');
  };

  try {
    // The server's temporary folder also holds the workspace copies: one folder to remove, which
    // code-server.mjs also removes when this process is interrupted.
    const server = await startCodeServer({
      workspace: resolve(options.workspace),
      installExtensions: options.installExtensions,
      locale: options.locale,
      restrictedMode: options.restrictedMode,
      onOutput: verbose
        ? (line: string) => process.stderr.write(`[code-server] ${line}\n`)
        : undefined,
    });
    cleanups.push(() => server.stop());
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    cleanups.push(() => browser.close());

    let windowCount = 0;
    const openWindow = async (windowOptions: WindowOptions): Promise<VSCodeWindow> => {
      const n = ++windowCount;
      let workspace = resolve(windowOptions.workspace);
      if (windowOptions.copyWorkspace !== false) {
        // temp/window-N/<folder name>: the window's title shows the folder's own name.
        const copy = join(server.tempDir, `window-${n}`, basename(workspace));
        mkdirSync(copy, { recursive: true });
        cpSync(workspace, copy, { recursive: true });
        workspace = copy;
      }
      const context = await browser.newContext({
        viewport: windowOptions.viewport ?? { width: 1400, height: 900 },
      });
      const window = await openWorkbench(context, server, { ...windowOptions, workspace }, verbose);
      cleanups.push(() => window.close());
      return window;
    };

    const first = await openWindow(options);
    return {
      ...first,
      window: first,
      server,
      browser,
      openWindow,
      close: runCleanups,
    };
  } catch (error) {
    await runCleanups().catch(() => undefined);
    throw error;
  }
}

async function openWorkbench(
  context: BrowserContext,
  server: CodeServer,
  options: WindowOptions & { workspace: string },
  verbose: boolean,
): Promise<VSCodeWindow> {
  const logs: LogEntry[] = [];
  const record = (entry: LogEntry) => {
    logs.push(entry);
    if (verbose) process.stderr.write(`[${entry.source}:${entry.type}] ${entry.text}\n`);
  };

  let settleExit!: { resolve: (code: number) => void; reject: (error: Error) => void };
  const exitCode = new Promise<number>((resolveExit, rejectExit) => {
    settleExit = { resolve: resolveExit, reject: rejectExit };
  });
  // A window without extension tests never exits: keep that from being an unhandled rejection.
  exitCode.catch(() => undefined);
  void server.exited.then(({ code, signal }) =>
    settleExit.reject(new Error(`code-server exited (${code ?? signal}) before the window did.`)),
  );

  try {
    await context.exposeFunction('codeAutomationExit', (code: number) =>
      settleExit.resolve(Number(code)),
    );
    await context.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
      const text = Array.isArray(args)
        ? args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')
        : String(args);
      record({ source: 'automation', type: String(type), text });
    });
    const page = await context.newPage();
    page.on('console', (message) => {
      const text = message.text();
      // The workbench's log lines ("%c INFO …") reach codeAutomationLog too; keep one copy.
      if (!text.startsWith('%c ')) record({ source: 'console', type: message.type(), text });
    });
    page.on('pageerror', (error) =>
      record({ source: 'pageerror', type: 'error', text: error.stack ?? error.message }),
    );

    const url = server.workbenchUrl({
      folder: options.workspace,
      extensionDevelopmentPath: options.extensionDevelopmentPath,
      extensionTestsPath: options.extensionTestsPath,
    });
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });

    let closed = false;
    return {
      page,
      url,
      workspace: options.workspace,
      exitCode,
      logs,
      close: async () => {
        if (closed) return;
        closed = true;
        settleExit.reject(new Error('The window was closed before the workbench exited.'));
        await context.close();
      },
    };
  } catch (error) {
    settleExit.reject(new Error('The window failed to open.'));
    await context.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Waits for the window's exit code (windows opened with extensionTestsPath), failing after
 * `timeoutMs` with the last log lines, so a hung extension-host suite fails instead of hanging.
 */
export async function waitForExit(window: VSCodeWindow, timeoutMs = 120_000): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      window.exitCode,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `The workbench did not exit within ${timeoutMs / 1000} s (extension-host tests hung?). ` +
                  `Last log lines:\n${formatLogs(window.logs.slice(-30))}`,
              ),
            ),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The extension-host runner's summary (host/runner.ts), read from the window's logs. */
export function hostResults(logs: LogEntry[]): RunSummary | undefined {
  for (let i = logs.length - 1; i >= 0; i--) {
    const at = logs[i].text.indexOf(RESULTS_MARKER);
    if (at < 0) continue;
    const json = logs[i].text.slice(at + RESULTS_MARKER.length).trim();
    const end = json.lastIndexOf('}');
    try {
      return JSON.parse(json.slice(0, end + 1)) as RunSummary;
    } catch {
      continue; // a truncated line; an earlier complete one may exist
    }
  }
  return undefined;
}

/**
 * Rewrites `bundle.js:line:col` locations in a stack trace to the TypeScript source they came
 * from, using the bundle's `.map` file. (Inside the extension host VS Code installs its own
 * Error.prepareStackTrace, so Node's --enable-source-maps cannot do it there.)
 */
export function mapStackTrace(text: string, bundlePath: string): string {
  let map: SourceMap;
  try {
    map = new SourceMap(JSON.parse(readFileSync(`${bundlePath}.map`, 'utf8')) as SourceMapPayload);
  } catch {
    return text; // no map: leave the stack as it is
  }
  const escaped = bundlePath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(
    new RegExp(`${escaped}:(\\d+):(\\d+)`, 'g'),
    (whole, line: string, column: string) => {
      const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as Partial<SourceMapping>;
      if (!entry.originalSource) return whole;
      const source = entry.originalSource.startsWith('file:')
        ? fileURLToPath(entry.originalSource)
        : resolve(dirname(bundlePath), entry.originalSource);
      return `${relative(repoRoot, source)}:${(entry.originalLine ?? 0) + 1}:${(entry.originalColumn ?? 0) + 1}`;
    },
  );
}

export function formatLogs(logs: LogEntry[]): string {
  return logs.map((l) => `  [${l.source}:${l.type}] ${l.text}`).join('\n');
}

/**
 * Runs a quick-input entry: F1, then `text` (a file name, `:N` to go to line N, `>` and a
 * command), waits for a row matching `row`, then Enter — retried, because an Enter pressed while
 * the picker is still updating its rows is sometimes dropped.
 */
export async function quickInput(
  page: Page,
  text: string,
  row: string | RegExp,
  timeout = 15_000,
): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await page.keyboard.press('F1');
  const input = widget.locator('input.input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(text);
  await widget.locator('.monaco-list-row', { hasText: row }).first().waitFor({ timeout });
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Enter');
    try {
      await widget.waitFor({ state: 'hidden', timeout: 2_000 });
      return;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/**
 * Runs a command from the command palette by its title as shown there ("Category: Title").
 * Just after the page loads the extension's commands may not be listed yet, so it retries until
 * `timeoutMs`, closing the palette between attempts.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input.input');
  for (let attempt = 1; ; attempt++) {
    await page.locator('.monaco-workbench .part.editor').click({ position: { x: 20, y: 20 } });
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    const row = widget.locator('.monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 3_000 });
      // The row for exactly this title must be the focused one before Enter runs it.
      await row.click();
      await widget.waitFor({ state: 'hidden', timeout: 5_000 });
      return;
    } catch (error) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) {
        throw new Error(
          `The command palette did not list "${title}" after ${attempt} attempts in ${timeoutMs / 1000} s: ` +
            `is the extension loaded and the title spelled as in package.json ("Category: Title")? (${String(error)})`,
        );
      }
      await page.waitForTimeout(1_000);
    }
  }
}

/**
 * The content of a webview, two frames deep: the outer iframe VS Code hosts it in, then the
 * `#active-frame` that holds the extension's HTML. `index` picks among several open webviews.
 */
export function webviewFrame(page: Page, index = 0): FrameLocator {
  return page
    .locator('iframe.webview.ready')
    .nth(index)
    .contentFrame()
    .frameLocator('#active-frame');
}

/** Saves a screenshot of the page to test-results/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path });
  return path;
}
