// The snippets of snippets/: each is well formed, and what it inserts (placeholders at their
// defaults, a choice at its first option) is a spec the engine accepts — a whole network
// evaluates with no error and gets gradients; a one-line fragment has at most names it expects
// from the rest of the block.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { explainBlock } from '../../src/explain/index';
import { parseSource } from '../../src/spec/index';
import { repoRoot } from '../e2e/harness';

interface Snippet {
  prefix: string | string[];
  description: string;
  body: string[];
}

/** The text a snippet inserts when every placeholder keeps its default. */
export function expand(body: readonly string[]): string {
  return body
    .join('\n')
    .replace(/\$\{\d+\|([^,|}]*)[^}]*\|\}/g, '$1') // ${1|a,b|} → a
    .replace(/\$\{\d+:([^}]*)\}/g, '$1') // ${1:text} → text
    .replace(/\$\d+/g, ''); // $0, $1 → nothing
}

/** A snippet file: JSON with comments and trailing commas, as VS Code reads it. */
function load(file: string): Record<string, Snippet> {
  const path = join(repoRoot, 'snippets', file);
  const { config, error } = ts.parseConfigFileTextToJson(path, readFileSync(path, 'utf8'));
  assert.equal(error, undefined, `${file} does not parse`);
  return config as Record<string, Snippet>;
}

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  contributes: { snippets: { language: string; path: string }[] };
};

describe('snippets', () => {
  it('package.json contributes each snippet file for its language', () => {
    assert.deepEqual(manifest.contributes.snippets.map((s) => `${s.language} ${s.path}`).sort(), [
      'markdown ./snippets/markdown.code-snippets',
      'model-spec ./snippets/model-spec.code-snippets',
    ]);
  });

  it('expands placeholders, choices and tab stops', () => {
    assert.equal(expand(['a ${1:x} ${2|relu,tanh|}($1)$0']), 'a x relu()');
  });

  for (const [file, kind] of [
    ['model-spec.code-snippets', 'model'],
    ['markdown.code-snippets', 'markdown'],
  ] as const) {
    for (const [name, snippet] of Object.entries(load(file))) {
      it(`${file}: “${name}” inserts a spec the engine reads`, () => {
        assert.ok(snippet.description.length > 0 && snippet.body.length > 0);
        assert.ok([snippet.prefix].flat().every((p) => p.length > 0));
        const text = expand(snippet.body);
        const blocks = parseSource(text, kind);
        assert.equal(blocks.length, 1, `one model block in:\n${text}`);
        const explanation = explainBlock(blocks[0], { gradientCheck: false });
        const whole = /\bloss\b/.test(text) && /\bparam\b/.test(text) && snippet.body.length > 3;
        if (whole) {
          assert.deepEqual(explanation.errors, [], text);
          assert.ok(explanation.gradients.length >= 2, 'the network has gradients to explain');
        } else {
          // A fragment may use names the rest of the block defines, and nothing else goes wrong.
          const other = explanation.errors.filter((e) => e.code !== 'unknown-name');
          assert.deepEqual(other, [], text);
        }
      });
    }
  }
});
