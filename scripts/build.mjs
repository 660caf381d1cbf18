// Bundles the CLI, the extension host, the engine worker and the webview with esbuild.
// Type-checking is `tsc --noEmit` in `npm run check`; esbuild only bundles.
//
// Usage: node scripts/build.mjs [--production] [target …]   (default: every target)
//   cli        src/cli.ts                    → dist/cli.js        (Node, CJS, executable)
//   extension  src/extension/extension.ts    → dist/extension.js  (extension host, CJS, `vscode` external;
//                                                                  no engine code: that is the worker's)
//   worker     src/extension/engine-worker.ts → dist/worker.js    (worker thread: spec + engine + explain)
//   markdown-preview  src/notes/markdown-preview.ts → dist/markdown-preview.js (the Markdown preview's
//              plugin: the engine again, required by the extension only when a preview asks for it)
//   webview    webview/main.ts, style.css    → dist/webview.js, dist/webview.css (browser), and
//              KaTeX's stylesheet and fonts  → dist/katex/        (served from the extension's own files)
//   web-extension  src/extension/extension.ts → dist/web/extension.js (the browser's extension host:
//                                                vscode.dev; package.json `browser`)
//   web-worker     src/extension/engine-worker.ts → dist/web/worker.js (a Web Worker)
//   The web targets bundle the same sources with each `./X` that has an `X.web.ts` sibling
//   (worker-spawn, worker-location, worker-port) replaced by it: a Web Worker instead of
//   worker_threads. No Node built-in can reach them (esbuild fails on one for the browser).
// Library: build(names, { production, outdir }) — the tests build into a temporary folder;
// buildWithMetafiles(…) also says what went into each bundle (the third-party notice).
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs' };

/** Resolves `./X` to `./X.web.ts` when that file exists: the browser's side of a platform seam. */
const webSides = {
  name: 'web-sides',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const web = resolve(args.resolveDir, `${args.path}.web.ts`);
      return existsSync(web) ? { path: web } : undefined;
    });
  },
};

/**
 * KaTeX's stylesheet, for bundling into dist/webview.css: each font only in woff2 (the first
 * format it names; every webview engine reads it), which the `dataurl` loader then inlines.
 */
const katexWoff2Only = {
  name: 'katex-woff2-only',
  setup(build) {
    build.onLoad({ filter: /katex[\\/]dist[\\/]katex(\.min)?\.css$/ }, async (args) => {
      const css = await readFile(args.path, 'utf8');
      const contents = css.replace(
        /src:url\((fonts\/[^)]+\.woff2)\) format\("woff2"\)(,url\([^)]+\) format\("[a-z]+"\))*/g,
        'src:url($1) format("woff2")',
      );
      if (contents.includes('.woff)') || contents.includes('.ttf)'))
        throw new Error(
          "KaTeX's stylesheet changed: a font is not woff2 first (scripts/build.mjs).",
        );
      return { contents, loader: 'css', resolveDir: dirname(args.path) };
    });
  },
};

const web = {
  bundle: true,
  platform: 'browser',
  // VS Code's browser build runs where vscode.dev does: current Chromium, Firefox and Safari.
  target: ['chrome110', 'firefox115', 'safari16'],
  plugins: [webSides],
};

/** esbuild options per target, for an output folder. */
const targets = {
  cli: (outdir) => ({
    ...node,
    entryPoints: [join(root, 'src/cli.ts')],
    outfile: join(outdir, 'cli.js'),
    banner: { js: '#!/usr/bin/env node' },
  }),
  extension: (outdir) => ({
    ...node,
    entryPoints: [join(root, 'src/extension/extension.ts')],
    outfile: join(outdir, 'extension.js'),
    external: ['vscode'],
    loader: { '.md': 'text' }, // New Study Note's sample note
  }),
  // VS Code's Markdown preview plugin (model blocks with their values): the engine again, in a
  // bundle of its own that the extension requires only when a preview asks for it.
  'markdown-preview': (outdir) => ({
    ...node,
    entryPoints: [join(root, 'src/notes/markdown-preview.ts')],
    outfile: join(outdir, 'markdown-preview.js'),
  }),
  worker: (outdir) => ({
    ...node,
    entryPoints: [join(root, 'src/extension/engine-worker.ts')],
    outfile: join(outdir, 'worker.js'),
  }),
  'web-extension': (outdir) => ({
    ...web,
    format: 'cjs', // the web extension host loads `browser` as a CommonJS module
    entryPoints: [join(root, 'src/extension/extension.ts')],
    outfile: join(outdir, 'web', 'extension.js'),
    external: ['vscode'],
    loader: { '.md': 'text' },
  }),
  'web-worker': (outdir) => ({
    ...web,
    format: 'iife',
    entryPoints: [join(root, 'src/extension/engine-worker.ts')],
    outfile: join(outdir, 'web', 'worker.js'),
  }),
  webview: (outdir) => ({
    bundle: true,
    platform: 'browser',
    // VS Code 1.100's Electron is Chromium 134; code-server runs in the user's browser.
    target: ['chrome110', 'firefox115', 'safari16'],
    format: 'iife',
    entryPoints: [
      { in: join(root, 'webview/main.ts'), out: 'webview' },
      { in: join(root, 'webview/style.css'), out: 'webview' },
    ],
    outdir,
    // KaTeX's stylesheet is bundled into webview.css with its fonts as data: URLs (style.css).
    plugins: [katexWoff2Only],
    loader: { '.woff2': 'dataurl' },
  }),
};

export const targetNames = Object.keys(targets);

/** KaTeX's stylesheet and its woff2 fonts (the first format the stylesheet names; every webview engine reads it). */
async function copyKatex(outdir) {
  const katex = join(root, 'node_modules', 'katex', 'dist');
  await mkdir(join(outdir, 'katex', 'fonts'), { recursive: true });
  await copyFile(join(katex, 'katex.min.css'), join(outdir, 'katex', 'katex.min.css'));
  const fonts = (await readdir(join(katex, 'fonts'))).filter((f) => f.endsWith('.woff2'));
  await Promise.all(
    fonts.map((f) => copyFile(join(katex, 'fonts', f), join(outdir, 'katex', 'fonts', f))),
  );
  const packageDir = join(root, 'node_modules', 'katex');
  return ['katex.min.css', ...fonts.map((f) => `fonts/${f}`)].map((f) => ({
    file: join(outdir, 'katex', f),
    packageDir,
  }));
}

/**
 * Builds the named targets into `outdir` (default dist/). Resolves to the output folder.
 * @param {string[]} [names]
 * @param {{ production?: boolean, outdir?: string }} [options]
 */
export async function build(names = targetNames, options = {}) {
  return (await buildWithMetafiles(names, options)).outdir;
}

/**
 * build(), also resolving to esbuild's metafile of each target (what went into each bundle:
 * scripts/third-party-notices.mjs reads the node_modules packages in them) and the files copied
 * as they are (KaTeX's stylesheet and fonts), each with the package it comes from.
 * @param {string[]} [names]
 * @param {{ production?: boolean, outdir?: string }} [options]
 */
export async function buildWithMetafiles(names = targetNames, options = {}) {
  const production = options.production ?? false;
  const outdir = resolve(root, options.outdir ?? 'dist');
  for (const name of names) {
    if (!targets[name])
      throw new Error(`Unknown build target '${name}' (known: ${targetNames.join(', ')}).`);
  }
  /** @type {Record<string, import('esbuild').Metafile>} */
  const metafiles = {};
  /** @type {{ file: string, packageDir: string }[]} */
  const copied = [];
  await Promise.all(
    names.map(async (name) => {
      const result = await esbuild.build({
        ...targets[name](outdir),
        sourcemap: !production,
        minify: production,
        logLevel: 'warning',
        metafile: true,
      });
      metafiles[name] = result.metafile;
      if (name === 'cli') await chmod(join(outdir, 'cli.js'), 0o755);
      if (name === 'webview') copied.push(...(await copyKatex(outdir)));
    }),
  );
  return { outdir, metafiles, copied, workingDir: process.cwd() };
}

// Run as a script, not when imported (no top-level await: tsx may load this as CommonJS).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const names = args.filter((a) => !a.startsWith('--'));
  build(names.length > 0 ? names : targetNames, {
    production: args.includes('--production'),
  }).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
