// The extension in a real VS Code (1.100.3 from code-server, in Debian's Chromium): its
// extension-host test suite, then its Playwright UI tests, reported through node:test.
// Set BACKPROP_NOTES_SKIP_E2E=1 to skip (CI does not). The first run installs code-server
// (about 90 s, once, into .vscode-test/); later runs take 20-40 s.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildHostTests } from '../../scripts/e2e/build-host-tests.mjs';
import {
  formatLogs,
  hostResults,
  mapStackTrace,
  screenshot,
  skipE2E,
  startVSCode,
  waitForExit,
  type VSCodeSession,
} from './harness';
// ↓ The target under test (the fixture extension is tested by harness.test.ts).
import { extensionTarget as target } from './extension-target';

// A developer's filter (never set in CI): BACKPROP_NOTES_E2E_ONLY=<regex> runs the UI tests whose
// name matches and, inside the host suite, the host tests whose name matches.
const only = process.env.BACKPROP_NOTES_E2E_ONLY
  ? new RegExp(process.env.BACKPROP_NOTES_E2E_ONLY, 'i')
  : undefined;

describe(`VS Code e2e: ${target.name}`, { skip: skipE2E }, () => {
  let vs: VSCodeSession | undefined;
  let suite = '';

  before(
    async () => {
      await target.build();
      suite = await buildHostTests({
        testsDir: target.hostTestsDir,
        outfile: target.hostTestsOutfile,
      });
      // The first window runs the extension-host suite; the UI tests open windows of their own.
      vs = await startVSCode({
        workspace: target.workspace,
        extensionDevelopmentPath: target.extensionDevelopmentPath,
        extensionTestsPath: suite,
      });
    },
    { timeout: 600_000 }, // includes installing code-server on the first run
  );

  after(async () => {
    await vs?.close();
  });

  it('the extension-host test suite passes', { timeout: 480_000 }, async (t) => {
    assert.ok(vs, 'VS Code did not start');
    const code = await waitForExit(vs.window, 450_000);
    const results = hostResults(vs.window.logs);
    await vs.window.close(); // frees the CPU for the UI tests
    assert.ok(
      results,
      `The extension-host suite printed no results. Window log:\n${formatLogs(vs.window.logs)}`,
    );
    t.diagnostic(
      `extension host: ${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`,
    );
    for (const test of results.tests)
      t.diagnostic(
        `  ${test.status === 'passed' ? '✔' : test.status === 'failed' ? '✖' : '-'} ${test.name}`,
      );
    const failures = results.tests
      .filter((test) => test.status === 'failed')
      .map((test) => `✖ ${test.name}\n${mapStackTrace(test.error ?? '', suite)}`)
      .join('\n\n');
    assert.equal(code, 0, `The extension-host suite failed (exit ${code}):\n${failures}`);
    assert.equal(results.failed, 0);
    if (!only) assert.ok(results.passed > 0, 'The extension-host suite ran no tests.');
  });

  for (const uiTest of target.uiTests) {
    const skip = only !== undefined && !only.test(uiTest.name);
    it(`UI: ${uiTest.name}`, { skip, timeout: uiTest.timeoutMs ?? 120_000 }, async (t) => {
      assert.ok(vs, 'VS Code did not start');
      const window = await vs.openWindow({
        workspace: target.workspace,
        extensionDevelopmentPath: target.extensionDevelopmentPath,
      });
      try {
        await uiTest.run(window, {
          target,
          screenshot: (name) => screenshot(window.page, name),
          note: (message) => t.diagnostic(message),
        });
      } catch (error) {
        const shot = await screenshot(window.page, `FAILED-${uiTest.name}`).catch(() => 'none');
        throw new Error(
          `${error instanceof Error ? error.message : String(error)}\nScreenshot: ${shot}\n` +
            `Window log (last 40 lines):\n${formatLogs(window.logs.slice(-40))}`,
          { cause: error },
        );
      } finally {
        await window.close();
      }
    });
  }
});
