// The real extension as an e2e target: its build, its extension-host tests (test/e2e/host/*.host.ts)
// and its Playwright UI tests (test/e2e/ui/).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './harness';
import type { E2ETarget } from './target';
import { explainUiTests } from './ui/explain';
import { notesUiTests } from './ui/notes';
import { numericsUiTests } from './ui/numerics';
import { previewUiTests } from './ui/previews';
import { securityUiTests } from './ui/security';
import { responsivenessUiTests } from './ui/responsiveness';
import { workerTroubleUiTests } from './ui/worker-trouble';

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
  uiTests: [
    ...explainUiTests,
    ...previewUiTests,
    ...notesUiTests,
    ...responsivenessUiTests,
    ...securityUiTests,
    ...numericsUiTests,
    ...workerTroubleUiTests,
  ],
};
