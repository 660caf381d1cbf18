/**
 * A minimal Korean language pack, packed as a .vsix for code-server's --install-extension.
 *
 * VS Code shows a display language only when a language pack for it is installed (otherwise
 * argv.json's `locale: "ko"` falls back to English, and so do the extensions). The real pack,
 * MS-CEINTL.vscode-language-pack-ko, comes from the Marketplace, which these machines cannot
 * reach. This one contributes `ko` with no translations of VS Code's own text: the workbench stays
 * in English, while VS Code runs with Korean as its language — package.nls.ko.json and
 * l10n/bundle.l10n.ko.json of every extension apply, which is what the test is about.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const manifest = {
  name: 'korean-display-language-for-tests',
  displayName: 'Korean display language (test stub)',
  description: 'Makes Korean the display language of a test VS Code; translates nothing itself.',
  publisher: 'backprop-notes-tests',
  version: '1.0.0',
  license: 'MIT',
  engines: { vscode: '^1.100.0' },
  categories: ['Language Packs'],
  contributes: {
    localizations: [
      {
        languageId: 'ko',
        languageName: 'Korean',
        localizedLanguageName: '한국어',
        translations: [{ id: 'vscode', path: './translations/main.i18n.json' }],
      },
    ],
  },
};

/** Writes the pack to `out` (a .vsix path) with @vscode/vsce; resolves to `out`. */
export async function packKoreanLanguagePack(out: string): Promise<string> {
  const folder = mkdtempSync(join(tmpdir(), 'backprop-notes-ko-pack-'));
  try {
    mkdirSync(join(folder, 'translations'));
    writeFileSync(join(folder, 'package.json'), JSON.stringify(manifest, null, 2));
    writeFileSync(
      join(folder, 'translations', 'main.i18n.json'),
      JSON.stringify({ version: '1.0.0', contents: {} }),
    );
    writeFileSync(
      join(folder, 'README.md'),
      `# ${manifest.displayName}\n\n${manifest.description}\n`,
    );
    writeFileSync(join(folder, 'LICENSE'), 'MIT\n');
    const { createVSIX } = createRequire(import.meta.url)('@vscode/vsce') as {
      createVSIX(options: Record<string, unknown>): Promise<unknown>;
    };
    await createVSIX({
      cwd: folder,
      packagePath: out,
      dependencies: false,
      allowMissingRepository: true,
    });
    return out;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
