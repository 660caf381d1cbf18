// The throwaway fixture extension as an e2e target: proves the harness before the real extension
// exists, and keeps proving it in harness.test.ts afterwards.
import { join } from 'node:path';
import { repoRoot } from '../harness';
import type { E2ETarget } from '../target';
import { fixtureUiTests } from './ui';

const here = join(repoRoot, 'test', 'e2e', 'fixture-extension');

export const fixtureTarget: E2ETarget = {
  name: 'fixture extension',
  extensionDevelopmentPath: here,
  hostTestsDir: join(here, 'host'),
  hostTestsOutfile: join(repoRoot, 'out', 'test', 'fixture-host', 'suite.js'),
  workspace: join(here, 'workspace'),
  build: async () => {
    // Plain CommonJS: nothing to build.
  },
  uiTests: fixtureUiTests,
};
