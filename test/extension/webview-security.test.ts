// Issue 7, goal 5 (webview security) in plain Node: the KaTeX options every formula of the panel
// is drawn with, and every path by which a note's own text (comments, strings, bad tokens, the
// fence's info string) reaches HTML outside the panel — the Markdown preview's part, the Markdown
// renderer (Insert Derivation, `explain --format markdown`) and the hovers — rendered with
// markdown-it with raw HTML allowed (as VS Code's preview does): every payload shows as text.
// The panel itself is checked in the real VS Code by test/e2e/ui/security.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import katex from 'katex';
import MarkdownIt from 'markdown-it';
import { ExplainError, explainBlock } from '../../src/explain/build';
import { hoversOf } from '../../src/editor-insights/hovers';
import { derivationFor, derivationMarkdown } from '../../src/notes/derivation';
import { blockMarkdown, extendMarkdownIt } from '../../src/notes/markdown-preview';
import { markdownText, renderMarkdown } from '../../src/render/markdown';
import { parseSource } from '../../src/spec/index';
import { katexOptions, katexOptionsFor } from '../../webview/katex-options';

const payloadNote = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'security', 'payloads.md'),
  'utf8',
);

/** What must never appear in HTML made from a note: a tag that runs or loads, a script link. */
function assertInert(html: string, where: string): void {
  assert.doesNotMatch(html, /<img\b/i, `${where}: an <img> element`);
  assert.doesNotMatch(html, /<script\b/i, `${where}: a <script> element`);
  assert.doesNotMatch(
    html,
    /<a\b[^>]*href\s*=\s*["']?\s*javascript:/i,
    `${where}: a javascript: link`,
  );
  assert.doesNotMatch(html, /<[a-z][^>]*\son[a-z]+\s*=/i, `${where}: an inline event handler`);
  assert.doesNotMatch(html, /<iframe\b|<object\b|<embed\b/i, `${where}: an embedded frame`);
}

describe('webview security: KaTeX', () => {
  it('draws with trust off, expansion and size limits, and errors as text', () => {
    assert.equal(katexOptions.trust, false);
    assert.equal(katexOptions.throwOnError, false);
    assert.ok(
      typeof katexOptions.maxExpand === 'number' && katexOptions.maxExpand <= 10_000,
      `maxExpand ${katexOptions.maxExpand}`,
    );
    assert.ok(
      typeof katexOptions.maxSize === 'number' && katexOptions.maxSize <= 100,
      `maxSize ${katexOptions.maxSize}`,
    );
  });

  it('sets every option KaTeX reads, so a polluted Object.prototype cannot change one', () => {
    // The option names from KaTeX's own Settings class (this.<name> = void 0 in its constructor).
    const source = readFileSync(
      join(import.meta.dirname, '..', '..', 'node_modules', 'katex', 'dist', 'katex.mjs'),
      'utf8',
    );
    const settings =
      /class Settings \{\s*constructor\(options\) \{([\s\S]*?)options = options \|\| \{\}/.exec(
        source,
      );
    assert.ok(settings, 'KaTeX Settings class not found');
    const names = [...settings[1].matchAll(/this\.(\w+) = void 0/g)].map((m) => m[1]);
    assert.ok(names.length >= 10, `only ${names.length} options found`);
    const options = katexOptionsFor(true);
    for (const name of names)
      assert.ok(Object.hasOwn(options, name), `KaTeX option '${name}' is left to the prototype`);
    assert.notEqual(katexOptionsFor(true).macros, options.macros, 'macros shared between formulas');
  });

  it('KaTeX is 0.18.2 or later (reads only options of its own: the prototype-pollution fix)', () => {
    const [major, minor, patch] = katex.version.split('.').map(Number);
    assert.ok(
      major > 0 || minor > 18 || (minor === 18 && patch >= 2),
      `KaTeX ${katex.version}: upgrade it to 0.18.2 or later (package.json)`,
    );
  });

  it('a polluted Object.prototype changes nothing KaTeX draws with our options', () => {
    const formulas = ['\\href{https://example.com}{x}', '\\htmlClass{x}{y}', 'x_1^2', '\\bad{'];
    const draw = () =>
      formulas.flatMap((latex) =>
        [false, true].map((display) => katex.renderToString(latex, katexOptionsFor(display))),
      );
    const clean = draw();
    // Values an attacker would pick: links and HTML on, MathML only, another error colour.
    const polluted = {
      trust: true,
      strict: 'error',
      output: 'mathml',
      errorColor: '#ff0000',
      throwOnError: true,
      leqno: true,
      fleqn: true,
      colorIsTextColor: true,
      globalGroup: true,
    };
    const proto = Object.prototype as Record<string, unknown>;
    let drawn: string[];
    try {
      for (const [name, value] of Object.entries(polluted)) proto[name] = value;
      drawn = draw();
    } finally {
      for (const name of Object.keys(polluted)) delete proto[name];
    }
    assert.deepEqual(drawn, clean);
    for (const html of drawn) assertInert(html, 'polluted');
  });

  it('\\href, \\url, \\htmlClass, \\includegraphics and friends come out as text, not links', () => {
    for (const latex of [
      '\\href{javascript:alert(1)}{click}',
      '\\url{javascript:alert(1)}',
      '\\htmlClass{x}{y}',
      '\\htmlId{x}{y}',
      '\\htmlStyle{background:url(x)}{y}',
      '\\htmlData{onerror=alert(1)}{y}',
      '\\includegraphics{x.png}',
      'W_{<img src=x onerror=alert(1)>}',
      '\\text{<script>alert(1)</script>}',
    ]) {
      for (const displayMode of [false, true]) {
        const html = katex.renderToString(latex, { ...katexOptions, displayMode });
        assertInert(html, latex);
        assert.doesNotMatch(html, /<[a-z][^>]*\s(?:href|src)\s*=/i, latex);
      }
    }
  });

  it('a macro that expands forever or a huge size fails quickly instead of hanging the panel', () => {
    const started = performance.now();
    for (const latex of [
      '\\def\\a{\\a\\a}\\a',
      '\\gdef\\b{\\b x}\\b',
      '\\rule{100000em}{100000em}',
      '\\kern{100000em}x',
    ]) {
      const html = katex.renderToString(latex, { ...katexOptions });
      assert.ok(html.length < 100_000, `${latex}: ${html.length} characters`);
    }
    // A loose bound against a hang, far above the few milliseconds it takes.
    assert.ok(performance.now() - started < 5_000);
  });
});

describe('webview security: note text in Markdown', () => {
  const md = new MarkdownIt({ html: true, linkify: true });
  const preview = extendMarkdownIt(new MarkdownIt({ html: true, linkify: true }));
  const [block] = parseSource(payloadNote, 'markdown');
  const e = explainBlock(block, { wrt: 'W' });

  it('the payload note explains, with its bad lines as errors', () => {
    assert.equal(e.errors.length, 4);
    assert.ok(e.root && typeof e.root.value === 'number');
  });

  it('markdownText shows markup literally', () => {
    const text =
      '<img src=x onerror=alert(1)> [c](javascript:alert(1)) $\\href{x}{y}$ *a* `b` &amp;';
    const html = md.renderInline(markdownText(text));
    assertInert(html, 'markdownText');
    // Decoded back from HTML, the text is exactly what was escaped.
    const decoded = html
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
    assert.equal(decoded, text);
  });

  it('the Markdown preview’s part under the fence has no markup from the note', () => {
    const html = preview.render(payloadNote);
    const at = html.indexOf('<div class="backprop-notes-preview">');
    assert.ok(at > 0, 'the block is previewed');
    const ours = html.slice(at, html.indexOf('</div>', at));
    assertInert(ours, 'preview');
    // The errors are there, as text (the string token and the bad '<').
    assert.match(ours, /found '&lt;'/);
    assert.match(ours, /Loss:/);
    // And the fence's own code as markdown-it escapes it.
    const fence = html.slice(0, at);
    assert.match(fence, /&lt;script&gt;window\.top\.__pwned=12&lt;\/script&gt;/);
    // No math from the note: the preview's $$ come from the engine, which writes only names.
    assert.doesNotMatch(ours, /\\href|\\url|\\htmlClass|\\includegraphics/);
  });

  it('a bad token echoed in an error shows as text in the preview', () => {
    for (const line of [
      'bad = W @ <img src=x onerror=alert(1)>',
      'bad = 1 + `<img src=x onerror=alert(1)>`',
      'bad = [1, 2 $\\href{javascript:alert(1)}{c}$]',
    ]) {
      const html = preview.render(
        blockMarkdown(`param W = [1.0]\nloss L = sum(W * W)\n${line}`, ''),
      );
      assertInert(html, line);
      assert.doesNotMatch(html, /<em>|<code>/, `${line}: markup from the message`);
    }
  });

  it('the Markdown renderer and Insert Derivation write no markup from the note', () => {
    const full = md.render(renderMarkdown(e, {}));
    assertInert(full, 'renderMarkdown');
    assert.match(full, /found '&lt;'/);
    for (const numbers of [true, false]) {
      assertInert(
        md.render(derivationMarkdown(e, { numbers })),
        `derivation (numbers: ${numbers})`,
      );
    }
  });

  it('hovers show comments and statements as text', () => {
    const hovers = hoversOf(e, { hoverDigits: 3, hoverRows: 4, hoverColumns: 4 });
    assert.deepEqual(
      hovers.map((h) => h.name),
      ['W', 'javascript', 'h', 'L'],
    );
    for (const h of hovers) {
      // markdown-it with HTML on is stricter than VS Code's hover (no HTML at all).
      const html = md.render(h.markdown);
      assertInert(html, `hover of ${h.name}`);
      assert.doesNotMatch(html, /<a\b/, `hover of ${h.name}: a link`);
    }
    const w = md.render(hovers[0].markdown);
    assert.match(w, /&lt;script&gt;window\.top\.__pwned=12&lt;\/script&gt;/);
  });
});

describe('data safety: Insert Derivation of a block with an error', () => {
  it('is refused, naming the line, instead of deriving whatever statement is left', () => {
    const text = '```model\nparam W = [[1.0, 2.0]]\nloss L = sum(W * <)\n```\n';
    assert.throws(
      () => derivationFor({ text, kind: 'markdown', blockIndex: 0, wrt: 'W', numbers: true }),
      (error: unknown) =>
        error instanceof ExplainError && /^Line 3 of this block has an error/.test(error.message),
    );
    // The same block, whole: a derivation.
    const fixed = derivationFor({
      text: text.replace('<', 'W'),
      kind: 'markdown',
      blockIndex: 0,
      wrt: 'W',
      numbers: true,
    });
    assert.match(fixed.markdown, /Derivation of/);
  });
});
