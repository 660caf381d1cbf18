// Types for install.mjs (plain JavaScript, so `node scripts/e2e/install.mjs` needs no build).
export const CODE_SERVER_VERSION: string;
export const VSCODE_VERSION: string;
/** The repository's root folder. */
export const repoRoot: string;
/** <repo>/.vscode-test/code-server */
export const installDir: string;
/** code-server's entry file: `node <codeServerEntry> …` starts it. */
export const codeServerEntry: string;
export const chromiumPath: string;
export const ripgrepPath: string;
/** The missing Debian packages and a message with the apt-get line (undefined when none are missing). */
export function checkSystem(): { missing: string[]; message: string | undefined };
export function isCodeServerInstalled(): boolean;
/** Installs code-server unless present; returns codeServerEntry. Throws with what to do on failure. */
export function ensureCodeServer(options?: {
  log?: (line: string) => void;
  echo?: boolean;
}): Promise<string>;
