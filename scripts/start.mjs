// `npm start`: builds the extension and opens it in a real VS Code on the sample notes.
// - With the desktop `code` on the PATH: `code --extensionDevelopmentPath=<repo> <repo>/samples`.
// - Otherwise: VS Code 1.100.3 from code-server (installed on first use into .vscode-test/),
//   served on 127.0.0.1 with the extension loaded as development extension; prints the URL to
//   open and runs until Ctrl-C. The workspace is a copy of samples/ in .vscode-test/samples/ that
//   is kept between runs (your edits stay; new files in samples/ are added; delete the folder to
//   start again from samples/), so trying the extension never changes the committed samples.
//
// Options: --server           use code-server even when `code` is on the PATH
//          --port N           listen on port N (default: a free port)
//          --extension DIR    the extension folder (default: the repository)
//          --workspace DIR    open DIR itself instead of the copy of samples/
import { spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { startCodeServer } from './e2e/code-server.mjs';
import { VSCODE_VERSION, ensureCodeServer, repoRoot } from './e2e/install.mjs';

function option(name) {
  const at = process.argv.indexOf(name);
  if (at < 0) return undefined;
  const value = process.argv[at + 1];
  if (!value || value.startsWith('--'))
    fail(`${name} needs a value, e.g. ${name} ${name === '--port' ? '8080' : 'path/to/folder'}.`);
  return value;
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

const forceServer = process.argv.includes('--server');
const portOption = option('--port');
const port = portOption === undefined ? 0 : Number(portOption);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`--port ${portOption}: give a port number from 0 to 65535.`);
const extension = resolve(option('--extension') ?? repoRoot);
const workspaceOption = option('--workspace');
const samples = join(repoRoot, 'samples');

if (!existsSync(join(extension, 'package.json')))
  fail(`${extension} has no package.json: --extension must name an extension folder.`);
const manifest = JSON.parse(readFileSync(join(extension, 'package.json'), 'utf8'));
if (!manifest.main && !manifest.browser) {
  console.warn(
    `Note: ${join(extension, 'package.json')} names no "main" entry yet, so VS Code will start without the extension's code.`,
  );
}

console.log('Building (npm run build)…');
const build = spawnSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'inherit' });
if (build.status !== 0) fail('The build failed (see above); fix it and run npm start again.');

const code = forceServer ? undefined : onPath('code');
if (code) {
  const folder = resolve(workspaceOption ?? samples);
  console.log(`Opening ${folder} in VS Code with the extension from ${extension}…`);
  const desktop = spawnSync(code, [`--extensionDevelopmentPath=${extension}`, folder], {
    stdio: 'inherit',
  });
  process.exit(desktop.status ?? 1);
}

// No desktop VS Code: serve the one from code-server.
let workspace;
if (workspaceOption) {
  workspace = resolve(workspaceOption);
} else {
  workspace = join(repoRoot, '.vscode-test', 'samples');
  mkdirSync(workspace, { recursive: true });
  // Adds what is new in samples/ and keeps what the user changed in the copy.
  if (existsSync(samples))
    cpSync(samples, workspace, { recursive: true, force: false, errorOnExist: false });
}

try {
  await ensureCodeServer({ log: (line) => console.log(line) });
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

let server;
try {
  server = await startCodeServer({ workspace, port });
} catch (error) {
  fail(
    `${error instanceof Error ? error.message : String(error)}\n` +
      (port
        ? `Is port ${port} already in use? Try another --port, or leave it out for a free one.`
        : ''),
  );
}
const url = server.workbenchUrl({ folder: workspace, extensionDevelopmentPath: extension });
console.log(
  [
    '',
    `VS Code ${VSCODE_VERSION} (code-server) is serving the extension from ${extension}`,
    `on the workspace ${workspace}${workspaceOption ? '' : ' (a copy of samples/ kept between runs)'}.`,
    '',
    'Open this URL in a browser on this machine:',
    '',
    `  ${url}`,
    '',
    'After rebuilding, reload the window (Developer: Reload Window) to load the new build.',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n'),
);

let stopping = false;
async function stop(exitCode) {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.exit(exitCode);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
server.exited.then(({ code: serverCode, signal }) => {
  if (stopping) return;
  console.error(
    `code-server stopped (${serverCode ?? signal}). Its last lines:\n${server.output.slice(-20).join('\n')}`,
  );
  void stop(1);
});
// The server's output pipes keep this process in the foreground until Ctrl-C.
