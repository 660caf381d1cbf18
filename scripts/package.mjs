// npm run package: the extension as a .vsix — a production build (minified, no source maps) of
// every bundle (desktop and web), packed by @vscode/vsce with what .vscodeignore keeps.
//
// It works in a staging folder: the manifest, translations and assets are copied there and the
// bundles built into its dist/, so packaging never replaces the dist/ that `npm run build`, the
// tests and a running VS Code use.
//
// Usage: node scripts/package.mjs [--out path.vsix]   (default: backprop-notes-<version>.vsix)
// Library: packageExtension({ out }) → the .vsix path; vsixEntries(path) → the files in it.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { build, targetNames } from './build.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** Copied into the staging folder; .vscodeignore then decides what of it ships. */
const shipped = [
  'package.json',
  'package.nls.json',
  'package.nls.ko.json',
  'README.md',
  'LICENSE',
  '.vscodeignore',
  'media',
  'l10n',
  'syntaxes',
  'snippets',
];

/**
 * Builds and packs the extension; resolves to the .vsix's path.
 * @param {{ out?: string, log?: (line: string) => void, quiet?: boolean }} [options]
 *   quiet: keep vsce's listing of the packed files off stdout (the tests' output).
 */
export async function packageExtension(options = {}) {
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const out = resolve(options.out ?? join(root, `${manifest.name}-${manifest.version}.vsix`));
  const stage = mkdtempSync(join(tmpdir(), 'backprop-notes-package-'));
  try {
    for (const path of shipped) {
      if (!existsSync(join(root, path))) throw new Error(`${path} is missing: it must ship.`);
      cpSync(join(root, path), join(stage, path), { recursive: true });
    }
    const started = Date.now();
    await build(targetNames, { production: true, outdir: join(stage, 'dist') });
    log(`production build: ${Date.now() - started} ms`);
    const { createVSIX } = require('@vscode/vsce');
    const print = console.log;
    if (options.quiet) console.log = () => undefined;
    await createVSIX({
      cwd: stage,
      packagePath: out,
      // The bundles hold every dependency; node_modules is not shipped.
      dependencies: false,
      allowMissingRepository: true,
      rewriteRelativeLinks: false,
    }).finally(() => {
      console.log = print;
    });
    return out;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** The files inside a .vsix (a zip), e.g. `extension/dist/extension.js`. */
export function vsixEntries(vsix) {
  const yauzl = require('yauzl');
  return new Promise((resolveEntries, reject) => {
    yauzl.open(vsix, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const names = [];
      zip.on('entry', (entry) => {
        names.push(entry.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolveEntries(names));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  packageExtension({ out: at > 0 ? process.argv[at + 1] : undefined }).then(
    (vsix) => console.log(vsix),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
