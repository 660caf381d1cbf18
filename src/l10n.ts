/**
 * Translated text for the code that cannot call `vscode.l10n.t`: the webview, the engine worker
 * and the vscode-free modules of the extension host (target.ts, engine-client.ts …).
 *
 * Same contract as `vscode.l10n.t`, so one bundle serves both:
 * - The key is the English text itself, `{0}`, `{1}` … (or `{name}` with an object) are
 *   placeholders. A message missing from the bundle is shown in English.
 * - The bundle is l10n/bundle.l10n.<language>.json as VS Code loaded it for the display language
 *   (`vscode.l10n.bundle`; none for English). The host passes it on: to the webview in its page
 *   (html.ts), to the worker with its first message (engine-client.ts), and here with `useBundle`.
 *
 * Write every call as `l10n.t('literal text', …)` with a string literal: test/l10n/bundles.test.ts
 * reads those literals from the source and fails for any that the Korean bundle lacks.
 *
 * No vscode, no DOM, no Node here.
 */

/** Translations by English text: the contents of l10n/bundle.l10n.<language>.json. */
export type L10nBundle = Readonly<Record<string, string>>;

export type L10nArgument = string | number | boolean;

let current: L10nBundle = {};

/** `{0}` / `{name}` replaced by the argument; a placeholder with no argument stays as written. */
export function formatMessage(
  template: string,
  args: readonly L10nArgument[] | Readonly<Record<string, L10nArgument>>,
): string {
  return template.replace(/\{([^{}\s]+)\}/g, (whole, key: string) => {
    const value = (args as Record<string, L10nArgument | undefined>)[key];
    return value === undefined ? whole : String(value);
  });
}

/** Keeps only string values: a bundle comes from a file or a message, so it is checked. */
export function parseBundle(value: unknown): L10nBundle {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const bundle: Record<string, string> = {};
  for (const [key, text] of Object.entries(value)) {
    if (typeof text === 'string') bundle[key] = text;
  }
  return bundle;
}

export const l10n = {
  /** The message in the display language, with its placeholders filled in. */
  t(message: string, ...args: [Readonly<Record<string, L10nArgument>>] | L10nArgument[]): string {
    const template = current[message] ?? message;
    const named = args.length === 1 && typeof args[0] === 'object';
    return formatMessage(
      template,
      named ? (args[0] as Record<string, L10nArgument>) : (args as L10nArgument[]),
    );
  },
  /** Uses these translations from now on (undefined or `{}`: English). */
  useBundle(bundle: L10nBundle | undefined): void {
    current = bundle ?? {};
  },
  /** The translations in use (passed on to the webview and the worker). */
  get bundle(): L10nBundle {
    return current;
  },
};
