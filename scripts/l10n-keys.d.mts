// Types of scripts/l10n-keys.mjs (for the tests, which import it through tsx).
export declare const root: string;
export declare const sourceDirs: string[];
export declare const bundlePaths: { english: string; korean: string };
export declare const nlsPaths: { english: string; korean: string };
export declare function collectMessages(): {
  messages: { message: string; where: string }[];
  problems: string[];
};
export declare function collectManifestKeys(): {
  manifest: Record<string, unknown>;
  keys: { key: string; where: string }[];
};
export declare function manifestTexts(
  manifest: Record<string, unknown>,
): { value: unknown; where: string }[];
export declare function placeholders(message: string): string[];
export declare function readJson(path: string): unknown;
