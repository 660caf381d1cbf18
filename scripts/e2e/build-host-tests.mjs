// Bundles the tests that run inside VS Code's extension host into one CommonJS module whose
// exported run() the extension host calls (the `extensionTestsPath` of the workbench URL).
// Every `*.host.ts` file under the tests folder is included, with test/e2e/host/runner.ts;
// `vscode` stays external (the extension host provides it).
//
// Why `*.host.ts` and not `*.test.ts`: scripts/test.mjs runs every test/**/*.test.ts under plain
// Node, where `import 'vscode'` fails.
//
// Usage: node scripts/e2e/build-host-tests.mjs [testsDir] [outfile]
//   default: test/e2e/host → out/test/host/suite.js
import * as esbuild from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const runnerPath = join(repoRoot, 'test', 'e2e', 'host', 'runner.ts');

function findHostTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : findHostTests(path);
    return name.endsWith('.host.ts') ? [path] : [];
  });
}

/**
 * Builds the extension-host test bundle and returns its absolute path.
 * @param {{ testsDir?: string, outfile?: string }} [options] paths relative to the repository root or absolute.
 */
export async function buildHostTests(options = {}) {
  const testsDir = resolve(repoRoot, options.testsDir ?? 'test/e2e/host');
  const outfile = resolve(repoRoot, options.outfile ?? 'out/test/host/suite.js');
  const files = findHostTests(testsDir).sort();
  if (files.length === 0) {
    throw new Error(
      `No *.host.ts files in ${relative(repoRoot, testsDir) || '.'}: nothing to run in the extension host.`,
    );
  }
  const contents = [
    `import { runAll } from ${JSON.stringify(runnerPath)};`,
    ...files.map((file) => `import ${JSON.stringify(file)};`),
    // The extension host awaits the returned promise; a rejection makes the window exit with 1.
    `export function run() { return runAll(); }`,
  ].join('\n');
  await esbuild.build({
    stdin: { contents, resolveDir: repoRoot, sourcefile: 'host-tests-entry.ts', loader: 'ts' },
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode'],
    sourcemap: 'linked', // suite.js.map: the harness maps failing tests' stacks back to the .ts files
    logLevel: 'warning',
  });
  return outfile;
}

// Run as a script, not when imported (no top-level await: tsx may load this as CommonJS).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [testsDir, outfile] = process.argv.slice(2);
  buildHostTests({ testsDir, outfile }).then(
    (built) => console.log(`Built ${relative(repoRoot, built)}`),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
