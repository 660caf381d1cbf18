// The built bundles: the webview has no eval of any kind (its CSP forbids it, and KaTeX must
// not need it), the extension host's bundle carries no engine code (that is the worker's),
// and every font KaTeX's stylesheet asks for is in dist/katex.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from '../../scripts/build.mjs';

interface SourceMap {
  sources: string[];
}

describe('bundles', () => {
  const debug = mkdtempSync(join(tmpdir(), 'backprop-notes-build-'));
  const production = mkdtempSync(join(tmpdir(), 'backprop-notes-build-prod-'));
  before(async () => {
    await build(['extension', 'worker', 'webview', 'markdown-preview'], { outdir: debug });
    await build(['webview'], { outdir: production, production: true });
  });
  after(() => {
    rmSync(debug, { recursive: true, force: true });
    rmSync(production, { recursive: true, force: true });
  });

  const sources = (file: string) =>
    (JSON.parse(readFileSync(join(debug, `${file}.map`), 'utf8')) as SourceMap).sources.map((s) =>
      s.replace(/\\/g, '/'),
    );

  it('the webview bundle has no eval, new Function or string timers', () => {
    for (const dir of [debug, production]) {
      const js = readFileSync(join(dir, 'webview.js'), 'utf8');
      assert.doesNotMatch(js, /\beval\s*\(/);
      assert.doesNotMatch(js, /\bnew\s+Function\s*\(/);
      assert.doesNotMatch(js, /[^.\w]Function\s*\(\s*["'`]/);
      assert.doesNotMatch(js, /\bset(?:Timeout|Interval)\s*\(\s*["'`]/);
    }
  });

  it('the webview bundle holds KaTeX and the UI components, not the engine', () => {
    const list = sources('webview.js');
    assert.ok(list.some((s) => s.includes('node_modules/katex/')));
    assert.ok(list.some((s) => s.includes('@vscode-elements/elements/')));
    assert.ok(
      !list.some((s) => /src\/(engine|spec|explain)\//.test(s) && !s.endsWith('explain/latex.ts')),
      list.join('\n'),
    );
  });

  it('the extension host bundle has no engine, explainer or KaTeX code', () => {
    const list = sources('extension.js');
    // src/notes is the engine's side of the study-note commands (the worker and the Markdown
    // preview bundle run it); the host only imports its types.
    const forbidden = list.filter((s) =>
      /src\/(engine|explain|render|notes)\/|node_modules\/(katex|lit|@vscode-elements|markdown-it|@dagrejs)/.test(
        s,
      ),
    );
    assert.deepEqual(forbidden, []);
    // From the spec layer only the fence finder (to pick the block under the cursor) and the
    // limits' defaults (settings.ts reads backpropNotes.limits.* with them).
    assert.deepEqual(
      list.filter((s) => s.includes('src/spec/')).map((s) => s.slice(s.indexOf('src/spec/'))),
      ['src/spec/limits.ts', 'src/spec/sources.ts'],
    );
    // A guard against a library or the engine slipping in, not a budget for commands: the
    // unminified host code of every command is about 100 kB; the engine alone is 200 kB more.
    const size = readFileSync(join(debug, 'extension.js')).length;
    assert.ok(size < 130_000, `dist/extension.js is ${size} bytes`);
  });

  it('the Markdown preview plugin is a bundle of its own, with the engine, loaded only on demand', () => {
    // VS Code's preview calls extendMarkdownIt in the extension host. Running model blocks there
    // needs the engine, which dist/extension.js must not carry (above): the plugin is
    // dist/markdown-preview.js, which markdown-preview-loader.ts requires by a computed path the
    // first time a preview asks, so opening a note without a preview never loads it.
    const list = sources('markdown-preview.js');
    for (const layer of ['src/engine/', 'src/spec/', 'src/explain/', 'src/render/markdown.ts']) {
      assert.ok(
        list.some((s) => s.includes(layer)),
        `${layer} missing from markdown-preview.js`,
      );
    }
    // markdown-it itself is the preview's: the plugin only gets its instance.
    assert.ok(!list.some((s) => s.includes('node_modules/markdown-it/')), list.join('\n'));
    const host = readFileSync(join(debug, 'extension.js'), 'utf8');
    assert.match(host, /markdown-preview\.js/);
    assert.ok(!sources('extension.js').some((s) => s.includes('src/notes/markdown-preview')));
  });

  it('the worker bundle holds the engine', () => {
    const list = sources('worker.js');
    for (const layer of ['src/engine/', 'src/spec/', 'src/explain/']) {
      assert.ok(
        list.some((s) => s.includes(layer)),
        `${layer} missing from worker.js`,
      );
    }
  });

  it('the webview stylesheet holds KaTeX’s with every font as woff2 data, fetching no font file', () => {
    for (const dir of [debug, production]) {
      const css = readFileSync(join(dir, 'webview.css'), 'utf8');
      const faces = css.match(/@font-face\s*\{[^}]*\}/g) ?? [];
      assert.ok(faces.length >= 10, `only ${faces.length} KaTeX fonts`);
      for (const face of faces) {
        assert.match(
          face,
          /src:\s*url\(data:font\/woff2;base64,[A-Za-z0-9+/=]+\) format\("woff2"\)/,
        );
      }
      assert.doesNotMatch(css, /url\((?!data:)[^)]*\.(woff2?|ttf)\)/, 'a font fetched by URL');
      assert.match(css, /\.katex\b/, 'KaTeX’s rules');
    }
  });

  it('every font KaTeX’s stylesheet names first is copied', () => {
    const css = readFileSync(join(debug, 'katex', 'katex.min.css'), 'utf8');
    const woff2 = [...css.matchAll(/url\((fonts\/[^)]+\.woff2)\)/g)].map((m) => m[1]);
    assert.ok(woff2.length >= 10, `only ${woff2.length} fonts named`);
    for (const font of woff2) assert.ok(existsSync(join(debug, 'katex', font)), font);
  });
});
