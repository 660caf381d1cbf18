// Korean and English: every message the code translates (l10n.t in src/ and webview/, read from
// the source by scripts/l10n-keys.mjs) is in both bundles of l10n/, every `%key%` of package.json
// in both package.nls files, the user-facing texts of package.json are all such keys, and each
// Korean text keeps its English text's placeholders. Plus the formatting contract of src/l10n.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bundlePaths,
  collectManifestKeys,
  collectMessages,
  manifestTexts,
  nlsPaths,
  placeholders,
  readJson,
} from '../../scripts/l10n-keys.mjs';
import { formatMessage, l10n, parseBundle } from '../../src/l10n';

type Bundle = Record<string, string>;

const hangul = /[\uac00-\ud7a3]/;

/** Korean texts that rightly have no Hangul: the product's name, and a joining comma. */
const noHangulNeeded = new Set(['Backprop Notes', ', ']);

function checkKorean(english: Bundle, korean: Bundle, what: string): void {
  const problems: string[] = [];
  for (const [key, text] of Object.entries(korean)) {
    const source = english[key] ?? key;
    if (placeholders(source).join() !== placeholders(text).join()) {
      problems.push(`placeholders differ: ${JSON.stringify(source)} → ${JSON.stringify(text)}`);
    }
    if (!hangul.test(text) && !noHangulNeeded.has(text)) {
      problems.push(`not Korean: ${JSON.stringify(key)} → ${JSON.stringify(text)}`);
    }
  }
  assert.deepEqual(problems, [], `${what}:\n${problems.join('\n')}`);
}

describe('l10n bundles', () => {
  const { messages, problems } = collectMessages();
  const used = new Set(messages.map((m) => m.message));
  const english = readJson(bundlePaths.english) as Bundle;
  const korean = readJson(bundlePaths.korean) as Bundle;

  it('finds the translated messages in the code', () => {
    assert.ok(used.size > 100, `only ${used.size} messages found: is the extraction broken?`);
    assert.ok(used.has('Explain Backprop') && used.has('Chain rule'));
  });

  it('every l10n.t call has a string literal to look up', () => {
    assert.deepEqual(problems, []);
  });

  for (const [name, bundle] of [
    ['bundle.l10n.json (English)', english],
    ['bundle.l10n.ko.json (Korean)', korean],
  ] as const) {
    it(`every message in the code is in ${name}`, () => {
      const missing = messages
        .filter((m) => !(m.message in bundle))
        .map((m) => `${m.where}: ${JSON.stringify(m.message)}`);
      assert.deepEqual(
        missing,
        [],
        `Missing from ${name} (node scripts/l10n-keys.mjs --write renews the English one):\n${missing.join('\n')}`,
      );
    });

    it(`${name} has no message the code no longer uses`, () => {
      const stale = Object.keys(bundle).filter((k) => !used.has(k));
      assert.deepEqual(stale, [], `Remove from ${name}:\n${stale.join('\n')}`);
    });
  }

  it('the English bundle maps each message to itself', () => {
    for (const [key, text] of Object.entries(english)) assert.equal(text, key);
  });

  it('each Korean message is Korean and keeps the placeholders', () => {
    checkKorean({}, korean, 'bundle.l10n.ko.json');
  });
});

describe('package.nls', () => {
  const { manifest, keys } = collectManifestKeys();
  const english = readJson(nlsPaths.english) as Bundle;
  const korean = readJson(nlsPaths.korean) as Bundle;

  it('every text a user reads in package.json is a %key%', () => {
    const texts = manifestTexts(manifest);
    assert.ok(texts.length > 20, `only ${texts.length} texts found`);
    const plain = texts
      .filter((t) => typeof t.value !== 'string' || !/^%.+%$/.test(t.value))
      .map((t) => `${t.where}: ${JSON.stringify(t.value)}`);
    assert.deepEqual(
      plain,
      [],
      `Use %key% and add it to both package.nls files:\n${plain.join('\n')}`,
    );
  });

  it('every %key% is in package.nls.json and package.nls.ko.json', () => {
    const missing = keys.flatMap((k) => [
      ...(k.key in english ? [] : [`package.nls.json lacks ${k.key} (${k.where})`]),
      ...(k.key in korean ? [] : [`package.nls.ko.json lacks ${k.key} (${k.where})`]),
    ]);
    assert.deepEqual(missing, []);
  });

  it('both files have the same keys, all used', () => {
    const usedKeys = new Set(keys.map((k) => k.key));
    assert.deepEqual(Object.keys(korean).sort(), Object.keys(english).sort());
    assert.deepEqual(
      Object.keys(english).filter((k) => !usedKeys.has(k)),
      [],
    );
  });

  it('each Korean text is Korean and keeps the placeholders', () => {
    checkKorean(english, korean, 'package.nls.ko.json');
  });
});

describe('src/l10n.ts', () => {
  it('fills {0} {1} and named placeholders, leaving unknown ones', () => {
    assert.equal(formatMessage('a {0} b {1} {0}', ['x', 2]), 'a x b 2 x');
    assert.equal(formatMessage('{name} is {n}', { name: 'W1', n: 3 }), 'W1 is 3');
    assert.equal(formatMessage('{0} {1}', ['only']), 'only {1}');
  });

  it('translates through the bundle in use and falls back to English', () => {
    try {
      l10n.useBundle({ 'Line {0}, column {1}': '{0}번째 줄, {1}번째 열' });
      assert.equal(l10n.t('Line {0}, column {1}', 3, 7), '3번째 줄, 7번째 열');
      assert.equal(l10n.t('Not translated {0}', true), 'Not translated true');
      l10n.useBundle(undefined);
      assert.equal(l10n.t('Line {0}, column {1}', 3, 7), 'Line 3, column 7');
    } finally {
      l10n.useBundle(undefined);
    }
  });

  it('keeps only the string values of a bundle', () => {
    assert.deepEqual(parseBundle({ a: 'b', c: 1, d: null }), { a: 'b' });
    assert.deepEqual(parseBundle(['a']), {});
    assert.deepEqual(parseBundle(null), {});
  });
});
