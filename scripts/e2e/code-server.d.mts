// Types for code-server.mjs.
export interface WorkbenchUrlOptions {
  /** Absolute path of the folder the window opens. */
  folder: string;
  /** Absolute path of an extension folder to load as development extension. */
  extensionDevelopmentPath?: string;
  /** Absolute path of a CommonJS module exporting run(), run in the extension host. */
  extensionTestsPath?: string;
}

export interface CodeServer {
  port: number;
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  /** The server's temporary folder (user data, extensions, XDG folders). */
  tempDir: string;
  /** The process id, also the id of its process group. */
  pid: number;
  /** The last lines the server printed. */
  output: string[];
  /** Settles when the server process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ends the process group and removes tempDir; safe to call twice. */
  stop(): Promise<void>;
  workbenchUrl(options: WorkbenchUrlOptions): string;
}

export function startCodeServer(options: {
  workspace: string;
  port?: number;
  startTimeoutMs?: number;
  onOutput?: (line: string) => void;
  tempParent?: string;
  /** .vsix files installed (--install-extension) before the server starts. */
  installExtensions?: string[];
  /** VS Code's display language (argv.json `locale`), e.g. 'ko'; needs its language pack installed. */
  locale?: string;
  /** Workspace Trust on and every folder untrusted without a prompt: Restricted Mode. */
  restrictedMode?: boolean;
}): Promise<CodeServer>;

export function workbenchUrl(options: WorkbenchUrlOptions & { port: number }): string;
