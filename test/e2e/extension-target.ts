// The real extension as an e2e target: the hook for issue 3's tests. Not used until e2e.test.ts
// imports it instead of the fixture (one line there). Until src/extension exists and at least one
// test/e2e/host/*.host.ts is written, building its host tests fails with a message saying so.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './harness';
import type { E2ETarget } from './target';

export const extensionTarget: E2ETarget = {
  name: 'Backprop Notes',
  extensionDevelopmentPath: repoRoot,
  hostTestsDir: join(repoRoot, 'test', 'e2e', 'host'),
  hostTestsOutfile: join(repoRoot, 'out', 'test', 'host', 'suite.js'),
  workspace: join(repoRoot, 'samples'),
  build: async () => {
    await promisify(execFile)(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], {
      cwd: repoRoot,
    });
  },
  // The Playwright tests of Explain Backprop go here (e.g. from test/e2e/ui/explain.ts).
  uiTests: [],
};
