/**
 * What the e2e tests (e2e.test.ts) run against: an extension, its extension-host tests, the
 * workspace it opens and its Playwright UI tests. The fixture extension is one target
 * (fixture-extension/target.ts); the real extension becomes another (extension-target.ts), and
 * e2e.test.ts picks one with a single import line.
 */
import type { VSCodeWindow } from './harness';

export interface UiTestContext {
  /** The target whose extension is loaded in the window. */
  target: E2ETarget;
  /** Saves a screenshot of the window to test-results/<name>.png; returns the path. */
  screenshot(name: string): Promise<string>;
  /** Adds a line to the node:test output (t.diagnostic). */
  note(message: string): void;
}

/** A Playwright test in a real workbench window with the target's extension loaded. */
export interface UiTest {
  name: string;
  /** Default 120 s. */
  timeoutMs?: number;
  run(window: VSCodeWindow, context: UiTestContext): Promise<void>;
}

export interface E2ETarget {
  /** Shown in test names. */
  name: string;
  /** The extension folder (with its package.json) loaded as development extension. */
  extensionDevelopmentPath: string;
  /** The folder whose `*.host.ts` files run inside the extension host (runner: host/runner.ts). */
  hostTestsDir: string;
  /** Where their bundle is written (repository-relative or absolute). */
  hostTestsOutfile: string;
  /** The folder each window opens a fresh copy of. */
  workspace: string;
  /** Builds the extension itself (the host tests are bundled separately). */
  build(): Promise<void>;
  /** Run in order, each in a window of its own. */
  uiTests: UiTest[];
}
