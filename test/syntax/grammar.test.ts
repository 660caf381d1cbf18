// The TextMate grammars of syntaxes/: `.model` files (source.model-spec) and ```model fences in
// Markdown notes (the injection grammar), tokenized by VS Code's own TextMate engine and Markdown
// grammar — the copies inside the installed code-server (VS Code 1.100.3), so this runs where the
// e2e tests run and is skipped with them (BACKPROP_NOTES_SKIP_E2E=1).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ensureCodeServer, installDir } from '../../scripts/e2e/install.mjs';
import { FUNCTIONS, METHODS } from '../../src/spec/builtins';
import { repoRoot, skipE2E } from '../e2e/harness';

const vscodeDir = join(installDir, 'node_modules', 'code-server', 'lib', 'vscode');
const modules = join(vscodeDir, 'node_modules');

interface Token {
  text: string;
  scopes: string[];
}

interface Grammar {
  tokenizeLine(
    line: string,
    state: unknown,
  ): { tokens: { startIndex: number; endIndex: number; scopes: string[] }[]; ruleStack: unknown };
}

type Tokenize = (text: string) => Token[][];

async function loadGrammars(): Promise<{ model: Tokenize; markdown: Tokenize }> {
  const require = createRequire(join(modules, 'x.js'));
  const oniguruma = require('vscode-oniguruma');
  const textmate = require('vscode-textmate');
  const wasm = readFileSync(join(modules, 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const files: Record<string, string> = {
    'source.model-spec': join(repoRoot, 'syntaxes', 'model-spec.tmLanguage.json'),
    'markdown.model-spec.codeblock': join(
      repoRoot,
      'syntaxes',
      'markdown-model-spec.tmLanguage.json',
    ),
    'text.html.markdown': join(
      vscodeDir,
      'extensions',
      'markdown-basics',
      'syntaxes',
      'markdown.tmLanguage.json',
    ),
  };
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope: string) =>
      files[scope]
        ? textmate.parseRawGrammar(readFileSync(files[scope], 'utf8'), files[scope])
        : null,
    // As package.json's `injectTo`.
    getInjections: (scope: string) =>
      scope === 'text.html.markdown' ? ['markdown.model-spec.codeblock'] : undefined,
  });
  const tokenizer =
    (grammar: Grammar): Tokenize =>
    (text) => {
      let state = textmate.INITIAL;
      return text.split('\n').map((line) => {
        const result = grammar.tokenizeLine(line, state);
        state = result.ruleStack;
        return result.tokens.map((t) => ({
          text: line.slice(t.startIndex, t.endIndex),
          scopes: t.scopes,
        }));
      });
    };
  return {
    model: tokenizer(await registry.loadGrammar('source.model-spec')),
    markdown: tokenizer(await registry.loadGrammar('text.html.markdown')),
  };
}

/** The innermost scope of the token spelled `text` on the line (the first such token). */
function scopeOf(line: Token[], text: string): string {
  const token = line.find((t) => t.text === text);
  assert.ok(token, `no token "${text}" in ${JSON.stringify(line.map((t) => t.text))}`);
  return token.scopes[token.scopes.length - 1];
}

describe('TextMate grammars', { skip: skipE2E }, () => {
  let model: Tokenize;
  let markdown: Tokenize;

  before(
    async () => {
      await ensureCodeServer();
      ({ model, markdown } = await loadGrammars());
    },
    { timeout: 600_000 },
  );

  it('roles, defined names, value makers, numbers and keyword arguments', () => {
    const [line] = model('param  W1 = randn(2, 3, seed=1)   # weights');
    assert.equal(scopeOf(line, 'param'), 'storage.modifier.role.model-spec');
    assert.equal(scopeOf(line, 'W1'), 'variable.other.definition.model-spec');
    assert.equal(scopeOf(line, '='), 'keyword.operator.assignment.model-spec');
    assert.equal(scopeOf(line, 'randn'), 'support.function.builtin.value.model-spec');
    assert.equal(scopeOf(line, '2'), 'constant.numeric.model-spec');
    assert.equal(scopeOf(line, 'seed'), 'variable.parameter.keyword.model-spec');
    assert.equal(scopeOf(line, ' weights'), 'comment.line.number-sign.model-spec');
    for (const role of ['input', 'const', 'target', 'loss', 'output']) {
      assert.equal(scopeOf(model(`${role} A = 1`)[0], role), 'storage.modifier.role.model-spec');
    }
  });

  it('ops, operators and tensor names', () => {
    const [affine, relu, loss] = model(
      'Z1 = X @ W1 + b1\nH1 = relu(Z1)\nloss L = cross_entropy(softmax(Z2, axis=-1), y)',
    );
    assert.equal(scopeOf(affine, 'Z1'), 'variable.other.definition.model-spec');
    assert.equal(scopeOf(affine, 'X'), 'variable.other.tensor.model-spec');
    assert.equal(scopeOf(affine, '@'), 'keyword.operator.matrix.model-spec');
    assert.equal(scopeOf(affine, '+'), 'keyword.operator.arithmetic.model-spec');
    assert.equal(scopeOf(affine, 'W1'), 'variable.other.tensor.model-spec', 'W1 is one name');
    assert.equal(scopeOf(relu, 'relu'), 'support.function.builtin.op.model-spec');
    assert.equal(scopeOf(loss, 'loss'), 'storage.modifier.role.model-spec');
    assert.equal(scopeOf(loss, 'cross_entropy'), 'support.function.builtin.op.model-spec');
    assert.equal(scopeOf(loss, 'softmax'), 'support.function.builtin.op.model-spec');
    assert.equal(scopeOf(loss, 'axis'), 'variable.parameter.keyword.model-spec');
  });

  it('numbers, strings, comments, constants', () => {
    const [numbers, text, comment, constants] = model(
      'x = [1.0, .5, 2e-3, 1E+4]\nc = f("a", \'b\')\n# a whole-line comment\nk = sum(x, keepdims=True)',
    );
    for (const n of ['1.0', '.5', '2e-3', '1E+4']) {
      assert.equal(scopeOf(numbers, n), 'constant.numeric.model-spec', n);
    }
    assert.equal(scopeOf(text, '"a"'), 'string.quoted.double.model-spec');
    assert.equal(scopeOf(text, "'b'"), 'string.quoted.single.model-spec');
    assert.equal(scopeOf(text, 'f'), 'entity.name.function.model-spec');
    assert.ok(comment.every((t) => t.scopes.includes('comment.line.number-sign.model-spec')));
    assert.equal(scopeOf(constants, 'True'), 'constant.language.model-spec');
  });

  it('NumPy and PyTorch spellings', () => {
    const [maximum, random, methods, functional] = model(
      'A = np.maximum(0, Z)\nW = np.random.randn(2, 3)\nG = X.T.sum(axis=0).reshape(1, 3)\nP = F.softmax(Z, dim=1) * np.pi',
    );
    assert.equal(scopeOf(maximum, 'np'), 'entity.name.namespace.model-spec');
    assert.equal(scopeOf(maximum, 'maximum'), 'support.function.builtin.op.model-spec');
    assert.equal(scopeOf(random, 'random'), 'entity.name.namespace.model-spec');
    assert.equal(scopeOf(random, 'randn'), 'support.function.builtin.value.model-spec');
    assert.equal(scopeOf(methods, 'T'), 'support.variable.property.model-spec');
    assert.equal(scopeOf(methods, 'sum'), 'support.function.builtin.op.model-spec');
    assert.equal(scopeOf(methods, 'reshape'), 'support.function.builtin.op.model-spec');
    assert.equal(scopeOf(functional, 'F'), 'entity.name.namespace.model-spec');
    assert.equal(scopeOf(functional, 'dim'), 'variable.parameter.keyword.model-spec');
    assert.equal(scopeOf(functional, 'pi'), 'constant.language.model-spec');
  });

  it('names every builtin function and method of the spec language', () => {
    const unnamed: string[] = [];
    const builtin = /^support\.function\.builtin\.(op|value)\.model-spec$/;
    for (const name of FUNCTIONS.keys()) {
      const [line] = model(`y = ${name}(x)`);
      // The called name is the last token so spelled (np.random.random: not the module).
      const bare = line.filter((t) => t.text === name.split('.').pop()).pop();
      if (!bare || !builtin.test(bare.scopes[bare.scopes.length - 1])) unnamed.push(name);
    }
    for (const name of METHODS.keys()) {
      const [line] = model(`y = x.${name}()`);
      if (!builtin.test(scopeOf(line, name))) unnamed.push(`.${name}`);
    }
    assert.deepEqual(unnamed, [], 'add these to op-call, value-call or method');
  });

  it('```model fences in Markdown are model spec, other fences and prose are not', () => {
    const lines = markdown(
      [
        '# Note with `param` in prose',
        '',
        '```model',
        'param W1 = randn(2, 3, seed=1)',
        '```',
        '',
        '```python',
        'param = 3',
        '```',
        '~~~model wrt=W1',
        'H1 = relu(Z1)',
        '~~~',
      ].join('\n'),
    );
    const inModel = (t: Token) => t.scopes.includes('meta.embedded.block.model-spec');
    assert.ok(!lines[0].some(inModel), 'prose is not model spec');
    assert.equal(scopeOf(lines[3], 'param'), 'storage.modifier.role.model-spec');
    assert.ok(lines[3].every(inModel));
    assert.ok(!lines[7].some(inModel), 'a python fence is not model spec');
    assert.equal(scopeOf(lines[10], 'relu'), 'support.function.builtin.op.model-spec');
    assert.ok(!lines[11].some(inModel), 'the closing fence ends the block');
  });

  it('tokenizes every sample without a token left unscoped', () => {
    const samples = join(repoRoot, 'samples');
    for (const file of readdirSync(samples).filter((f) => f.endsWith('.model'))) {
      for (const line of model(readFileSync(join(samples, file), 'utf8'))) {
        const bare = line.filter((t) => t.text.trim() !== '' && t.scopes.length < 2);
        assert.deepEqual(
          bare.map((t) => t.text),
          [],
          `${file}: tokens with no model-spec scope`,
        );
      }
    }
    const note = readFileSync(join(samples, 'two-layer-network.md'), 'utf8');
    const tokens = markdown(note).flat();
    assert.ok(tokens.some((t) => t.scopes.includes('storage.modifier.role.model-spec')));
  });
});
