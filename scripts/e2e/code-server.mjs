// Starts the VS Code server from code-server@4.100.3 on 127.0.0.1 and builds workbench URLs that
// load an extension under development (and, optionally, its extension-host tests). Shared by the
// e2e harness (test/e2e/harness.ts) and `npm start` (scripts/start.mjs). See install.d.mts for
// the types.
//
// Why the URL: code-server refuses --extensionDevelopmentPath/--extensionTestsPath on its command
// line, but the web workbench reads them from the `payload` query parameter.
/* global setTimeout, clearTimeout, URLSearchParams */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { codeServerEntry } from './install.mjs';

const LISTENING = /HTTP server listening on (http:\/\/127\.0\.0\.1:(\d+))/;

// Servers run in process groups of their own, so Ctrl-C in the terminal does not reach them and
// they would outlive a test run that is interrupted or crashes. These handlers end every live
// server's group (and remove its temporary folder) when this process exits or is signalled.
const live = new Map(); // pid → temporary folder
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function endAllNow() {
  for (const [pid, temp] of live) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(temp, { recursive: true, force: true });
  }
  live.clear();
}

function onSignal(signal) {
  endAllNow();
  removeHandlers();
  // Nobody else handles it: die of the signal as we would have without this handler.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function removeHandlers() {
  process.off('exit', endAllNow);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

/** Registers a started server for the handlers above; returns the function that forgets it. */
function endOnExit(pid, temp) {
  if (live.size === 0) {
    process.on('exit', endAllNow);
    for (const signal of SIGNALS) process.on(signal, onSignal);
  }
  live.set(pid, temp);
  return () => {
    live.delete(pid);
    if (live.size === 0) removeHandlers();
  };
}

/**
 * Starts code-server in a process group of its own, with every folder it writes (user data,
 * extensions, XDG config and data) inside a fresh temporary folder. Resolves once it prints the
 * port it listens on.
 *
 * @param {object} options
 * @param {string} options.workspace the folder opened when a URL names no other.
 * @param {number} [options.port] default 0: the system picks a free port.
 * @param {number} [options.startTimeoutMs] default 60 s.
 * @param {(line: string) => void} [options.onOutput] every line the server prints.
 * @param {string} [options.tempParent] where the temporary folder goes (default: the OS's).
 * @param {string[]} [options.installExtensions] .vsix files installed before the server starts
 *   (`--install-extension`; a folder cannot be installed this way).
 * @param {string} [options.locale] VS Code's display language, e.g. `ko`: written to the user
 *   data's argv.json as "Configure Display Language" does. Needs a language pack for it among
 *   the installed extensions; without one VS Code stays in English.
 * @param {boolean} [options.restrictedMode] Workspace Trust on, and every folder opened
 *   untrusted without asking (startupPrompt never): the window is in Restricted Mode.
 */
export async function startCodeServer(options) {
  const { workspace, port = 0, startTimeoutMs = 60_000, onOutput } = options;
  const temp = mkdtempSync(join(options.tempParent ?? tmpdir(), 'backprop-notes-vscode-'));
  const dir = (name) => {
    const path = join(temp, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const configFile = join(temp, 'config.yaml');
  writeFileSync(configFile, 'auth: none\n');
  const userData = dir('user-data');
  // No welcome page, no trust prompt, no telemetry prompt: the window shows only what we open.
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        ...(options.restrictedMode
          ? {
              'security.workspace.trust.enabled': true,
              'security.workspace.trust.startupPrompt': 'never',
              'security.workspace.trust.emptyWindow': false,
            }
          : { 'security.workspace.trust.enabled': false }),
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'workbench.enableExperiments': false,
        'git.enabled': false,
      },
      null,
      2,
    ),
  );

  if (options.locale) {
    writeFileSync(
      join(userData, 'User', 'argv.json'),
      JSON.stringify({ locale: options.locale }, null, 2),
    );
  }
  const env = {
    ...process.env,
    EXTENSIONS_GALLERY: '{}', // no marketplace is reachable here
    XDG_CONFIG_HOME: dir('xdg-config'),
    XDG_DATA_HOME: dir('xdg-data'),
    XDG_CACHE_HOME: dir('xdg-cache'),
    VSCODE_PROXY_URI: '',
  };
  for (const vsix of options.installExtensions ?? []) {
    const install = spawnSync(
      process.execPath,
      [
        codeServerEntry,
        '--config',
        configFile,
        '--user-data-dir',
        userData,
        '--extensions-dir',
        dir('extensions'),
        '--install-extension',
        resolve(vsix),
      ],
      { env, encoding: 'utf8', timeout: 120_000 },
    );
    if (install.status !== 0) {
      rmSync(temp, { recursive: true, force: true });
      throw new Error(
        `code-server --install-extension ${vsix} failed (exit ${install.status ?? install.signal}):
` +
          `${install.stdout}
${install.stderr}`,
      );
    }
  }

  if (options.locale) writeLanguagePacks(userData, join(temp, 'extensions'));

  const args = [
    codeServerEntry,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--config',
    configFile,
    '--user-data-dir',
    userData,
    '--extensions-dir',
    dir('extensions'),
    '--disable-telemetry',
    '--disable-update-check',
    ...(options.restrictedMode ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
    resolve(workspace),
  ];
  const child = spawn(process.execPath, args, {
    // Its own process group, so stop() ends the server and every process it started.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });

  const output = [];
  let exited = false;
  const exitedPromise = new Promise((resolveExit) =>
    child.once('exit', (code, signal) => {
      exited = true;
      resolveExit({ code, signal });
    }),
  );

  const forget = child.pid ? endOnExit(child.pid, temp) : () => undefined;
  let stopped = false;
  /** Ends the server's process group and removes the temporary folder; safe to call twice. */
  async function stop() {
    if (stopped) return;
    stopped = true;
    forget();
    if (!exited && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // the group is already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone by now
        }
      }, 5_000);
      await exitedPromise;
      clearTimeout(timer);
    }
    // The group may outlive its leader for a moment (file watchers, the extension host).
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // nothing left
    }
    rmSync(temp, { recursive: true, force: true, maxRetries: 3 });
  }

  let startTimer;
  try {
    const baseUrl = await new Promise((resolveStart, reject) => {
      let buffered = '';
      const onData = (chunk) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          output.push(line);
          if (output.length > 2000) output.shift();
          onOutput?.(line);
          const match = LISTENING.exec(line);
          if (match) resolveStart(match[1]);
        }
      };
      child.stdout.setEncoding('utf8').on('data', onData);
      child.stderr.setEncoding('utf8').on('data', onData);
      startTimer = setTimeout(
        () =>
          reject(
            new Error(
              `code-server did not report its port within ${startTimeoutMs / 1000} s. Its output:\n` +
                output.slice(-40).join('\n'),
            ),
          ),
        startTimeoutMs,
      );
      exitedPromise.then(({ code, signal }) => {
        reject(
          new Error(
            `code-server exited (${code ?? signal}) before listening. Its output:\n` +
              output.slice(-40).join('\n') +
              `\nIf a module failed to load, reinstall: rm -rf .vscode-test/code-server && node scripts/e2e/install.mjs`,
          ),
        );
      });
      child.once('error', reject);
    });
    clearTimeout(startTimer);
    const port = Number(new URL(baseUrl).port);
    return {
      port,
      baseUrl,
      tempDir: temp,
      pid: child.pid,
      output,
      exited: exitedPromise,
      stop,
      /** See workbenchUrl() below; the authority is this server. */
      workbenchUrl: (urlOptions) => workbenchUrl({ ...urlOptions, port }),
    };
  } catch (error) {
    clearTimeout(startTimer);
    await stop();
    throw error;
  }
}

/**
 * Writes <user-data>/languagepacks.json for the language packs in `extensionsDir`, as VS Code's
 * language pack service does when it installs one. The server resolves the display language from
 * that file alone, and `code-server --install-extension` does not write it; without it a
 * `locale` whose pack is installed still falls back to English.
 */
function writeLanguagePacks(userData, extensionsDir) {
  const packs = {};
  const folders = existsSync(extensionsDir) ? readdirSync(extensionsDir) : [];
  for (const folder of folders) {
    const manifestPath = join(extensionsDir, folder, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const id = `${manifest.publisher}.${manifest.name}`.toLowerCase();
    for (const localization of manifest.contributes?.localizations ?? []) {
      const pack = (packs[localization.languageId] ??= {
        hash: '',
        extensions: [],
        translations: {},
        label: localization.localizedLanguageName ?? localization.languageName,
      });
      pack.extensions.push({ extensionIdentifier: { id }, version: manifest.version });
      for (const t of localization.translations) {
        pack.translations[t.id] = join(extensionsDir, folder, t.path);
      }
    }
  }
  for (const pack of Object.values(packs)) {
    const hash = createHash('md5');
    for (const e of pack.extensions) hash.update(e.extensionIdentifier.id).update(e.version);
    pack.hash = hash.digest('hex');
  }
  writeFileSync(join(userData, 'languagepacks.json'), JSON.stringify(packs, null, 2));
}

/**
 * The URL of a workbench window on `folder`, with the extension at `extensionDevelopmentPath`
 * loaded as a development extension and, when given, the tests module `extensionTestsPath` run
 * inside the extension host (the workbench then calls window.codeAutomationExit(code)).
 * Paths are absolute paths on this machine; they become vscode-remote:// URIs of the server.
 *
 * @param {{ port: number, folder: string, extensionDevelopmentPath?: string, extensionTestsPath?: string }} options
 */
export function workbenchUrl({ port, folder, extensionDevelopmentPath, extensionTestsPath }) {
  const authority = `127.0.0.1:${port}`;
  // Each path segment percent-encoded, so spaces, '#' and '?' in folder names survive.
  const remote = (path) =>
    `vscode-remote://${authority}${resolve(path).split('/').map(encodeURIComponent).join('/')}`;
  const payload = [];
  if (extensionDevelopmentPath)
    payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  const query = new URLSearchParams({ folder: resolve(folder) });
  if (payload.length > 0) query.set('payload', JSON.stringify(payload));
  return `http://${authority}/?${query.toString()}`;
}
