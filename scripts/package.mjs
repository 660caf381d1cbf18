// npm run package: the extension as a .vsix — a production build (minified, no source maps) of
// every bundle (desktop and web), packed by @vscode/vsce with what .vscodeignore keeps.
//
// It works in a staging folder: the manifest, translations and assets are copied there and the
// bundles built into its dist/, so packaging never replaces the dist/ that `npm run build`, the
// tests and a running VS Code use.
//
// Usage: node scripts/package.mjs [--out path.vsix]   (default: backprop-notes-<version>.vsix)
// Library: packageExtension({ out }) → the .vsix path; vsixEntries(path) → the files in it;
// vsixFile(path, name) → one file's content. THIRD_PARTY_NOTICES.md is written into the staging
// folder from what the build bundled (scripts/third-party-notices.mjs).
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { buildWithMetafiles, targetNames } from './build.mjs';
import { bundledPackages, noticeFileName, noticeText } from './third-party-notices.mjs';

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
    const built = await buildWithMetafiles(targetNames, {
      production: true,
      outdir: join(stage, 'dist'),
    });
    log(`production build: ${Date.now() - started} ms`);
    // The licences of what the bundles contain (fails on a licence that may not ship).
    const packages = bundledPackages(built);
    writeFileSync(join(stage, noticeFileName), noticeText(packages));
    log(
      `${noticeFileName}: ${packages.map((p) => `${p.name}@${p.version} (${p.licence})`).join(', ')}`,
    );
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

/** One file's content inside a .vsix, e.g. `extension/THIRD_PARTY_NOTICES.md`. */
export function vsixFile(vsix, name) {
  const yauzl = require('yauzl');
  return new Promise((resolveFile, reject) => {
    yauzl.open(vsix, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      zip.on('entry', (entry) => {
        if (entry.fileName !== name) return zip.readEntry();
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          const chunks = [];
          stream.on('data', (chunk) => chunks.push(chunk));
          stream.on('end', () => {
            zip.close();
            resolveFile(Buffer.concat(chunks));
          });
          stream.on('error', reject);
        });
      });
      zip.on('end', () => reject(new Error(`${name} is not in ${vsix}.`)));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
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
