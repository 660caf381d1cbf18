// THIRD_PARTY_NOTICES.md: the npm packages whose code or files ship inside the extension's
// bundles, each with its version, licence, source and full licence text. Made from what the
// build actually put in (esbuild's metafile: only modules with bytes in an output count, so a
// package imported for its types alone, or tree-shaken away, is not listed; fonts inlined into a
// stylesheet count too), plus the files copied as they are (dist/katex/), plus code a package's
// published file inlines from another (`prebundled`). scripts/package.mjs writes it into the .vsix.
//
// A package whose licence is not one of the permissive ones below, or cannot be read, or has no
// licence file, fails the notice (and so `npm run package`): shipping it needs a decision first.
//
// Usage: node scripts/third-party-notices.mjs [--out file]   (a production build in a temporary
//   folder; prints the notice, or writes it to `file`)
// Library: bundledPackages(buildOutput, targets?) → the packages; noticeText(packages) → markdown;
//   licenceProblem(spdx) → why a licence is refused, or null.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWithMetafiles, targetNames } from './build.mjs';

/** The file name the notice ships under, at the root of the extension. */
export const noticeFileName = 'THIRD_PARTY_NOTICES.md';

/** Targets whose outputs ship in the .vsix: all but the CLI (.vscodeignore keeps it out). */
export const shippedTargets = targetNames.filter((name) => name !== 'cli');

/**
 * Licences (SPDX ids) that only ask for the notice and the licence text to be kept: fine to ship
 * inside a MIT extension. Anything else (GPL, AGPL, LGPL, MPL, SSPL, a custom text, none) fails.
 */
export const permissiveLicences = new Set([
  '0BSD',
  'Apache-2.0',
  'BlueOak-1.0.0',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'CC0-1.0',
  'ISC',
  'MIT',
  'OFL-1.1',
  'Python-2.0',
  'Unlicense',
  'Zlib',
]);

/**
 * Why an SPDX licence expression may not ship, or null when it may. `A OR B`: either suffices;
 * `A AND B`: both must be permissive. WITH exceptions and `+` are not accepted (decide by hand).
 * @param {string | undefined} expression
 */
export function licenceProblem(expression) {
  if (!expression) return 'no licence is declared in its package.json';
  const text = expression.trim().replace(/^\((.*)\)$/, '$1');
  const ok = text.split(/\s+OR\s+/).some((alternative) =>
    alternative
      .replace(/[()]/g, '')
      .split(/\s+AND\s+/)
      .every((id) => permissiveLicences.has(id.trim())),
  );
  return ok
    ? null
    : `its licence '${expression}' is not one of the permissive licences (${[...permissiveLicences].join(', ')})`;
}

/**
 * Packages whose published file already contains another package's code (a prebuilt bundle):
 * the metafile sees only the outer one. @dagrejs/dagre's dist/dagre.esm.js inlines
 * @dagrejs/graphlib (its Graph class and algorithms); test/packaging/notices.test.ts checks it.
 */
export const prebundled = { '@dagrejs/dagre': ['@dagrejs/graphlib'] };

/**
 * The folder of package `name` as Node would find it from `from` (its own node_modules, then
 * each parent's).
 * @param {string} name
 * @param {string} from
 */
export function findPackageDir(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name} is not installed (looked from ${from}).`);
  }
}

/**
 * @typedef {object} BundledPackage
 * @property {string} name
 * @property {string} version
 * @property {string} licence       SPDX expression from its package.json
 * @property {string} source        repository or homepage URL ('' when it names neither)
 * @property {string} licenceFile   the licence file's name in the package (LICENSE, LICENSE.md …)
 * @property {string} licenceText
 * @property {string[]} shippedIn   output files (relative to the build's outdir) that contain it
 * @property {string} dir           its folder in node_modules (absolute)
 */

/**
 * The package folder a module path lies in: up to the last `node_modules/<name>` or
 * `node_modules/@scope/<name>`; undefined for the project's own sources.
 * @param {string} path absolute
 */
export function packageDirOf(path) {
  const parts = path.split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || at + 1 >= parts.length) return undefined;
  const length = parts[at + 1].startsWith('@') ? 2 : 1;
  return parts.slice(0, at + 1 + length).join(sep);
}

/** A package.json's `repository` (string, `github:x/y` shorthand or object) or homepage as a URL. */
function sourceOf(manifest) {
  const repository =
    typeof manifest.repository === 'string' ? manifest.repository : manifest.repository?.url;
  if (repository) {
    return repository
      .replace(/^git\+/, '')
      .replace(/^git:\/\//, 'https://')
      .replace(/^github:/, 'https://github.com/')
      .replace(/^([\w.-]+\/[\w.-]+)$/, 'https://github.com/$1')
      .replace(/\.git$/, '');
  }
  return manifest.homepage ?? '';
}

/** The licence as package.json states it: `license`, or the old `license: {type}` / `licenses`. */
function licenceOf(manifest) {
  if (typeof manifest.license === 'string') return manifest.license;
  if (manifest.license?.type) return manifest.license.type;
  if (Array.isArray(manifest.licenses)) {
    const types = manifest.licenses.map((l) => l?.type).filter(Boolean);
    if (types.length > 0) return types.length === 1 ? types[0] : `(${types.join(' OR ')})`;
  }
  return undefined;
}

/**
 * Reads one package: its manifest and licence file. Throws, saying what to do, when it may not
 * ship (a refused or missing licence, no licence file).
 * @param {string} dir
 * @returns {Omit<BundledPackage, 'shippedIn'>}
 */
export function readPackage(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const label = `${manifest.name}@${manifest.version} (${dir})`;
  const licence = licenceOf(manifest);
  const problem = licenceProblem(licence);
  if (problem) {
    throw new Error(
      `${label} is bundled into the extension, but ${problem}. Remove the import that pulls it in, or review its licence and add it to permissiveLicences in scripts/third-party-notices.mjs.`,
    );
  }
  const licenceFile = readdirSync(dir)
    .filter((f) => /^(licen[cs]e|copying)(\b|[-_.]|$)/i.test(f))
    .sort()[0];
  if (!licenceFile) {
    throw new Error(
      `${label} is bundled into the extension but has no LICENSE file to quote in ${noticeFileName}. Find its licence text (its repository) and add the package to the notice by hand, or stop bundling it.`,
    );
  }
  return {
    name: manifest.name,
    version: manifest.version,
    licence,
    source: sourceOf(manifest),
    licenceFile,
    licenceText: readFileSync(join(dir, licenceFile), 'utf8').replace(/\r\n/g, '\n').trim(),
    dir,
  };
}

/**
 * The packages in a build: those with bytes in any of `outputs`' bundles (default: the shipped
 * targets' bundles that were built) and those that copied files come from. Sorted by name.
 * @param {import('./build.d.mts').BuildOutput} build
 * @param {readonly string[]} [targets]
 * @returns {BundledPackage[]}
 */
export function bundledPackages(build, targets = shippedTargets) {
  /** @type {Map<string, Set<string>>} package folder → output files (relative to outdir) */
  const found = new Map();
  const add = (dir, file) => {
    const files = found.get(dir) ?? new Set();
    files.add(relative(build.outdir, file).split(sep).join('/'));
    found.set(dir, files);
  };
  for (const target of targets) {
    const metafile = build.metafiles[target];
    if (!metafile) continue;
    for (const [output, { inputs }] of Object.entries(metafile.outputs)) {
      if (output.endsWith('.map')) continue;
      for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
        if (bytesInOutput === 0) continue;
        const dir = packageDirOf(resolve(build.workingDir, input));
        if (dir) add(dir, resolve(build.workingDir, output));
      }
    }
  }
  for (const { file, packageDir } of build.copied) add(packageDir, file);
  for (const [dir, files] of [...found]) {
    const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const inner of prebundled[name] ?? []) {
      for (const file of files) add(findPackageDir(inner, dir), join(build.outdir, file));
    }
  }
  return [...found]
    .map(([dir, files]) => ({ ...readPackage(dir), shippedIn: [...files].sort() }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

/** `dist/katex/fonts/A.woff2, dist/katex/fonts/B.woff2` → `dist/katex/fonts/*.woff2` (20 fonts). */
function shortList(files) {
  const groups = new Map();
  for (const file of files) {
    const key = file.replace(/[^/]*(\.[^./]+)$/, '*$1');
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  return [...groups]
    .map(([key, group]) => (group.length > 2 ? `${key} (${group.length} files)` : group.join(', ')))
    .join(', ');
}

/** A fence longer than any run of backticks in `text`. */
function fenceFor(text) {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/**
 * The notice as Markdown: a table of the packages, then each one's details and licence text.
 * @param {readonly BundledPackage[]} packages
 * @param {string} [prefix] the output folder's path inside the extension ('dist')
 */
export function noticeText(packages, prefix = 'dist') {
  const lines = [
    '# Third-party notices',
    '',
    'Backprop Notes is MIT-licensed (see LICENSE). Its bundles contain code and files from the',
    'npm packages below, each under its own licence, quoted in full. The list is made when the',
    'extension is packaged, from what the bundler actually put into each file.',
    '',
    '| Package | Version | Licence | Shipped in |',
    '| ------- | ------- | ------- | ---------- |',
    ...packages.map(
      (p) =>
        `| ${p.name} | ${p.version} | ${p.licence} | ${shortList(p.shippedIn.map((f) => `${prefix}/${f}`))} |`,
    ),
  ];
  for (const p of packages) {
    const fence = fenceFor(p.licenceText);
    lines.push(
      '',
      `## ${p.name} ${p.version}`,
      '',
      `- Licence: ${p.licence}`,
      `- Source: ${p.source || '(its package.json names no repository or homepage)'}`,
      `- Shipped in: ${shortList(p.shippedIn.map((f) => `${prefix}/${f}`))}`,
      '',
      `${fence}text`,
      p.licenceText,
      fence,
    );
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const outdir = mkdtempSync(join(tmpdir(), 'backprop-notes-notices-'));
  buildWithMetafiles(shippedTargets, { production: true, outdir })
    .then((built) => {
      const text = noticeText(bundledPackages(built));
      if (at > 0) writeFileSync(resolve(process.argv[at + 1]), text);
      else process.stdout.write(text);
    })
    .catch((error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    })
    .finally(() => rmSync(outdir, { recursive: true, force: true }));
}
