// The extension in Restricted Mode (issue 7, goal 6): VS Code with Workspace Trust on opens a
// folder it does not trust — a copy of the two-layer sample whose .vscode/settings.json sets a
// restricted setting (backpropNotes.limits.maxElements: 5, which would make the sample an
// error) and an unrestricted one (previews.precision: 4). The extension-host tests in
// test/e2e/restricted/ check that everything works there, with the folder's limit ignored.
// Skipped with BACKPROP_NOTES_SKIP_E2E=1, like the other e2e tests.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildHostTests } from '../../scripts/e2e/build-host-tests.mjs';
import { build } from '../../scripts/build.mjs';
import {
  type VSCodeSession,
  formatLogs,
  hostResults,
  mapStackTrace,
  repoRoot,
  skipE2E,
  startVSCode,
  waitForExit,
} from './harness';

describe('Restricted Mode (an untrusted folder)', { skip: skipE2E }, () => {
  const workspace = mkdtempSync(join(tmpdir(), 'backprop-notes-untrusted-'));
  let vs: VSCodeSession | undefined;
  let suite = '';

  before(
    async () => {
      copyFileSync(
        join(repoRoot, 'samples', 'two-layer-network.md'),
        join(workspace, 'two-layer-network.md'),
      );
      mkdirSync(join(workspace, '.vscode'));
      writeFileSync(
        join(workspace, '.vscode', 'settings.json'),
        JSON.stringify({
          'backpropNotes.limits.maxElements': 5,
          'backpropNotes.previews.precision': 4,
        }),
      );
      await build();
      suite = await buildHostTests({
        testsDir: 'test/e2e/restricted',
        outfile: 'out/test/restricted/suite.js',
      });
      vs = await startVSCode({
        workspace,
        extensionDevelopmentPath: repoRoot,
        extensionTestsPath: suite,
        restrictedMode: true,
      });
    },
    { timeout: 600_000 },
  );

  after(async () => {
    await vs?.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  it(
    'the extension works there, with the folder’s limit setting ignored',
    { timeout: 180_000 },
    async (t) => {
      assert.ok(vs, 'VS Code did not start');
      const code = await waitForExit(vs.window, 150_000);
      const results = hostResults(vs.window.logs);
      assert.ok(
        results,
        `The suite printed no results. Window log:\n${formatLogs(vs.window.logs)}`,
      );
      for (const test of results.tests) {
        t.diagnostic(
          `${test.status === 'passed' ? '✔' : test.status === 'failed' ? '✖' : '-'} ${test.name}`,
        );
      }
      const failures = results.tests
        .filter((test) => test.status === 'failed')
        .map((test) => `✖ ${test.name}\n${mapStackTrace(test.error ?? '', suite)}`)
        .join('\n\n');
      assert.equal(code, 0, `The Restricted Mode suite failed (exit ${code}):\n${failures}`);
      assert.equal(results.failed, 0);
      assert.ok(results.passed >= 4, `${results.passed} tests passed`);
    },
  );
});
