// The webview page: a strict Content Security Policy, and no script runs without the nonce.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { contentSecurityPolicy, makeNonce, webviewHtml } from '../../src/extension/html';

const cspSource = 'https://file+.vscode-resource.vscode-cdn.net';
const page = {
  cspSource,
  nonce: makeNonce((n) => randomBytes(n)),
  scriptUri: `${cspSource}/ext/dist/webview.js`,
  styleUri: `${cspSource}/ext/dist/webview.css`,
  language: 'en',
};

/** The CSP directives of a page, parsed from its meta tag. */
function policyOf(html: string): Map<string, string[]> {
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(meta, 'the page declares a Content-Security-Policy');
  const text = meta[1]
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
  return new Map(
    text.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name, values];
    }),
  );
}

describe('webview HTML', () => {
  const html = webviewHtml(page);

  it('declares default-src none and allows only what the panel loads', () => {
    const policy = policyOf(html);
    assert.deepEqual(policy.get('default-src'), ["'none'"]);
    assert.deepEqual(policy.get('script-src'), [`'nonce-${page.nonce}'`]);
    // Spelled out (issue 7): scripts by nonce only — no inline script or handler, no eval.
    for (const unsafe of [
      "'unsafe-inline'",
      "'unsafe-eval'",
      "'unsafe-hashes'",
      "'strict-dynamic'",
    ])
      assert.ok(!policy.get('script-src')!.includes(unsafe), `script-src has ${unsafe}`);
    assert.deepEqual(policy.get('style-src'), [cspSource, "'unsafe-inline'"]);
    // KaTeX's fonts are data: URLs in the bundled stylesheet (never fetched one by one).
    assert.deepEqual(policy.get('font-src'), [cspSource, 'data:']);
    assert.deepEqual(policy.get('img-src'), [cspSource, 'data:']);
    assert.deepEqual([...policy.keys()].sort(), [
      'default-src',
      'font-src',
      'img-src',
      'script-src',
      'style-src',
    ]);
    for (const values of policy.values()) {
      assert.ok(!values.includes("'unsafe-eval'"), 'no eval');
      assert.ok(!values.includes('*'), 'no wildcard source');
    }
    assert.equal(contentSecurityPolicy(page).includes('connect-src'), false);
  });

  it('tags every script with the nonce, and has no inline script or handler', () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.equal(scripts.length, 1);
    for (const [, attrs, body] of scripts) {
      assert.match(attrs, new RegExp(`\\bnonce="${page.nonce}"`));
      assert.match(attrs, /\bsrc="[^"]+"/);
      assert.equal(body.trim(), '', 'no inline script body');
    }
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline event handler attributes');
    assert.doesNotMatch(html, /javascript:/i);
  });

  it('loads styles and the script only from the extension’s own files', () => {
    const urls = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(urls.sort(), [page.scriptUri, page.styleUri].sort());
    for (const url of urls) assert.ok(url.startsWith(cspSource), url);
  });

  it('escapes what it interpolates', () => {
    const evil = webviewHtml({ ...page, scriptUri: `${cspSource}/"><script>alert(1)</script>` });
    assert.equal([...evil.matchAll(/<script\b/g)].length, 1);
  });

  it('makes a fresh nonce per page and refuses a weak one', () => {
    const nonces = new Set(Array.from({ length: 50 }, () => makeNonce((n) => randomBytes(n))));
    assert.equal(nonces.size, 50);
    for (const n of nonces) assert.match(n, /^[A-Za-z0-9]{32}$/);
    assert.throws(() => webviewHtml({ ...page, nonce: 'abc' }), /nonce/);
    assert.throws(() => webviewHtml({ ...page, nonce: `${page.nonce}' 'unsafe-inline` }), /nonce/);
  });
});
