// Installs, on demand, the real VS Code used by the end-to-end tests and by `npm start` when the
// desktop `code` is missing: VS Code 1.100.3 as shipped in the npm package code-server@4.100.3
// (see shared/e2e-recipe.md). Only the npm registry and Debian's packages are reachable here, so:
// - code-server goes into <repo>/.vscode-test/code-server/ (gitignored) and is reused;
// - its dependency @vscode/ripgrep would download `rg` from GitHub; it first looks in a cache
//   folder under $TMPDIR, so a tarball of Debian's /usr/bin/rg is put there before installing;
// - Chromium, ripgrep and the Kerberos headers come from Debian; this script only checks for
//   them and says which packages to install (CI's .ci/run installs them with apt).
//
// Usage: node scripts/e2e/install.mjs [--check]   (--check: report only, install nothing)
// Library: ensureCodeServer(), checkSystem(), codeServerEntry (see install.d.mts).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
/** The VS Code version inside that code-server release. */
export const VSCODE_VERSION = '1.100.3';
const RIPGREP_PACKAGE_VERSION = '1.15.11';
const RIPGREP_BINARY_VERSION = 'v13.0.0-10';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const installDir = join(repoRoot, '.vscode-test', 'code-server');
/** The file that starts the server: `node <codeServerEntry> …`. */
export const codeServerEntry = join(
  installDir,
  'node_modules',
  'code-server',
  'out',
  'node',
  'entry.js',
);
// Written last, so a half-finished install is never mistaken for a complete one.
const marker = join(installDir, 'installed.json');

export const chromiumPath = '/usr/bin/chromium';
export const ripgrepPath = '/usr/bin/rg';

/** The Debian packages the harness needs, with a file that shows each is installed. */
const debianPackages = [
  { name: 'chromium', file: chromiumPath, why: 'the browser that shows the VS Code workbench' },
  { name: 'ripgrep', file: ripgrepPath, why: "stands in for @vscode/ripgrep's download" },
  {
    name: 'libkrb5-dev',
    file: '/usr/include/gssapi/gssapi.h',
    why: "headers for code-server's kerberos module",
  },
];

/**
 * Checks the Debian packages. Returns the missing package names and a message saying exactly what
 * to run, or an empty list and no message when all are present.
 */
export function checkSystem() {
  const missing = debianPackages.filter((p) => !existsSync(p.file));
  if (missing.length === 0) return { missing: [], message: undefined };
  const names = missing.map((p) => p.name);
  const lines = missing.map((p) => `  ${p.name}: ${p.file} not found (${p.why})`);
  return {
    missing: names,
    message:
      `The end-to-end tests need Debian packages that are not installed:\n${lines.join('\n')}\n` +
      `Install them as root, then run again:\n` +
      `  apt-get update && apt-get install -y chromium ripgrep libkrb5-dev`,
  };
}

/** True when code-server is installed at the expected version and complete. */
export function isCodeServerInstalled() {
  if (!existsSync(marker) || !existsSync(codeServerEntry)) return false;
  try {
    return JSON.parse(readFileSync(marker, 'utf8')).version === CODE_SERVER_VERSION;
  } catch {
    return false;
  }
}

/** The file name @vscode/ripgrep looks for in its cache on this machine. */
function ripgrepTarballName() {
  const arch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch];
  if (process.platform !== 'linux' || !arch) {
    throw new Error(
      `Installing code-server for the e2e tests is only set up for Linux on x64 or arm64, ` +
        `not ${process.platform}/${process.arch}. Use the desktop \`code\` instead.`,
    );
  }
  return `ripgrep-${RIPGREP_BINARY_VERSION}-${arch}-unknown-linux-musl.tar.gz`;
}

/** Puts a tarball of Debian's rg where @vscode/ripgrep's install script looks before downloading. */
function seedRipgrepCache(tempRoot) {
  const cacheDir = join(tempRoot, `vscode-ripgrep-cache-${RIPGREP_PACKAGE_VERSION}`);
  const tarball = join(cacheDir, ripgrepTarballName());
  if (existsSync(tarball)) return tarball;
  mkdirSync(cacheDir, { recursive: true });
  // Written under another name first: a reader never sees a half-written tarball.
  const partial = `${tarball}.${process.pid}.partial`;
  const tar = spawnSync('tar', ['-czf', partial, '-C', dirname(ripgrepPath), 'rg'], {
    encoding: 'utf8',
  });
  if (tar.status !== 0) {
    rmSync(partial, { force: true });
    throw new Error(`Could not pack ${ripgrepPath} for @vscode/ripgrep's cache: ${tar.stderr}`);
  }
  renameSync(partial, tarball);
  return tarball;
}

function run(command, args, options) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, options);
    let output = '';
    const keep = (chunk) => {
      output = (output + chunk).slice(-20000);
      if (options.echo) process.stderr.write(chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, output }));
  });
}

/**
 * Installs code-server@4.100.3 unless it is already there, and returns the path of its entry
 * file. Checks the Debian packages first and throws with the apt-get line when some are missing.
 * Safe to call from several processes at once: each installs into a folder of its own and the
 * first to finish renames its folder into place.
 *
 * @param {{ log?: (line: string) => void, echo?: boolean }} [options]
 *   log: progress lines (default: stderr); echo: stream npm's output too.
 */
export async function ensureCodeServer(options = {}) {
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const system = checkSystem();
  if (system.message) throw new Error(system.message);
  if (isCodeServerInstalled()) return codeServerEntry;

  // Use the same temporary root for the cache and for npm, so the install script finds it.
  const tempRoot = process.env.TMPDIR || tmpdir();
  seedRipgrepCache(tempRoot);

  const staging = `${installDir}.installing-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(
    join(staging, 'package.json'),
    JSON.stringify({ name: 'backprop-notes-vscode-test', private: true }, null, 2),
  );
  log(
    `Installing code-server@${CODE_SERVER_VERSION} (VS Code ${VSCODE_VERSION}) into ${installDir} (about 90 s, once)…`,
  );
  const started = Date.now();
  const result = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--no-save', `code-server@${CODE_SERVER_VERSION}`],
    {
      cwd: staging,
      echo: options.echo,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        TMPDIR: tempRoot,
        // As root, code-server's postinstall refuses to run without unsafe_perm; `yes` lets
        // node-pty's `npx node-gyp` run without asking.
        npm_config_unsafe_perm: 'true',
        npm_config_yes: 'true',
        npm_config_update_notifier: 'false',
      },
    },
  );
  const entryInStaging = join(staging, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (result.code !== 0 || !existsSync(entryInStaging)) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(
      `Installing code-server@${CODE_SERVER_VERSION} failed (npm exit ${result.code ?? result.signal}). ` +
        `The end of npm's output:\n${result.output.slice(-4000)}\n` +
        `Check that the npm registry is reachable and that python3, make and g++ are installed, then run ` +
        `\`node scripts/e2e/install.mjs\` again.`,
    );
  }
  writeFileSync(
    join(staging, 'installed.json'),
    JSON.stringify(
      { version: CODE_SERVER_VERSION, installedAt: new Date().toISOString() },
      null,
      2,
    ),
  );
  if (isCodeServerInstalled()) {
    rmSync(staging, { recursive: true, force: true }); // another process finished first
  } else {
    rmSync(installDir, { recursive: true, force: true }); // an incomplete or older install
    renameSync(staging, installDir);
  }
  log(`code-server installed in ${Math.round((Date.now() - started) / 1000)} s.`);
  return codeServerEntry;
}

async function main() {
  const system = checkSystem();
  if (process.argv.includes('--check')) {
    console.log(
      system.message ?? 'Debian packages: chromium, ripgrep and libkrb5-dev are installed.',
    );
    console.log(
      isCodeServerInstalled()
        ? `code-server@${CODE_SERVER_VERSION}: installed in ${installDir}`
        : `code-server@${CODE_SERVER_VERSION}: not installed (run node scripts/e2e/install.mjs)`,
    );
    return system.message || !isCodeServerInstalled() ? 1 : 0;
  }
  const already = isCodeServerInstalled();
  const entry = await ensureCodeServer({ echo: process.argv.includes('--verbose') });
  console.log(
    already ? `code-server@${CODE_SERVER_VERSION} already installed: ${entry}` : `Ready: ${entry}`,
  );
  return 0;
}

// Run as a script, not when imported. No top-level await: the harness is loaded through tsx,
// which may turn this module into CommonJS.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
