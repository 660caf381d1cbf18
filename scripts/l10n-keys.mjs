// The messages the code translates, read from the source with the TypeScript parser: every
// `l10n.t(…)` / `vscode.l10n.t(…)` call in src/ and webview/ (see src/l10n.ts), and every
// `%key%` of package.json. test/l10n/bundles.test.ts checks them against the bundles.
//
// Usage: node scripts/l10n-keys.mjs [--write]
//   prints the messages missing from l10n/bundle.l10n.ko.json and package.nls*.json;
//   --write also rewrites l10n/bundle.l10n.json (the English bundle: every message → itself,
//   what translators start from) from the code.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const sourceDirs = ['src', 'webview'];
export const bundlePaths = {
  english: join(root, 'l10n', 'bundle.l10n.json'),
  korean: join(root, 'l10n', 'bundle.l10n.ko.json'),
};
export const nlsPaths = {
  english: join(root, 'package.nls.json'),
  korean: join(root, 'package.nls.ko.json'),
};

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `l10n.t` or `vscode.l10n.t` (whatever the `l10n` object is imported from). */
function isTranslateCall(node) {
  if (!ts.isCallExpression(node)) return false;
  const callee = node.expression;
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 't') return false;
  const object = callee.expression;
  return (
    (ts.isIdentifier(object) && object.text === 'l10n') ||
    (ts.isPropertyAccessExpression(object) && object.name.text === 'l10n')
  );
}

/**
 * Every translated message in the code: `{ message, file, line }`, and `problems` for calls whose
 * first argument is not a string literal (those cannot be looked up in a bundle).
 */
export function collectMessages() {
  const messages = [];
  const problems = [];
  for (const file of sourceDirs.flatMap((d) => sourceFiles(join(root, d)))) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('l10n')) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (isTranslateCall(node)) {
        const where = `${relative(root, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
        const first = node.arguments[0];
        if (first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first))) {
          messages.push({ message: first.text, where });
        } else {
          problems.push(`${where}: l10n.t needs a string literal as its first argument`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { messages, problems };
}

/** The `%key%` placeholders of package.json, with where each is (a JSON path). */
export function collectManifestKeys() {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const keys = [];
  const walk = (value, path) => {
    if (typeof value === 'string') {
      const match = /^%(.+)%$/.exec(value);
      if (match) keys.push({ key: match[1], where: path });
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${path}[${i}]`));
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
    }
  };
  walk(manifest, 'package.json');
  return { manifest, keys };
}

/** The texts of package.json a user reads, which must be `%key%` placeholders. */
export function manifestTexts(manifest) {
  const texts = [];
  const add = (value, where) => texts.push({ value, where });
  const c = manifest.contributes ?? {};
  add(manifest.displayName, 'displayName');
  add(manifest.description, 'description');
  for (const [i, cmd] of (c.commands ?? []).entries()) {
    add(cmd.title, `contributes.commands[${i}].title (${cmd.command})`);
    if (cmd.category !== undefined) add(cmd.category, `contributes.commands[${i}].category`);
    if (cmd.shortTitle !== undefined) add(cmd.shortTitle, `contributes.commands[${i}].shortTitle`);
  }
  const configurations = Array.isArray(c.configuration) ? c.configuration : [c.configuration ?? {}];
  for (const config of configurations) {
    if (config.title !== undefined) add(config.title, 'contributes.configuration.title');
    for (const [name, prop] of Object.entries(config.properties ?? {})) {
      for (const field of ['description', 'markdownDescription', 'deprecationMessage']) {
        if (prop[field] !== undefined) add(prop[field], `${name}.${field}`);
      }
      for (const field of ['enumDescriptions', 'markdownEnumDescriptions']) {
        for (const [i, d] of (prop[field] ?? []).entries()) add(d, `${name}.${field}[${i}]`);
      }
    }
  }
  for (const color of c.colors ?? []) add(color.description, `colors ${color.id}.description`);
  for (const [i, walkthrough] of (c.walkthroughs ?? []).entries()) {
    add(walkthrough.title, `walkthroughs[${i}].title`);
  }
  return texts.filter((t) => t.value !== undefined);
}

/** The `{0}` / `{name}` placeholders of a message, sorted. */
export function placeholders(message) {
  return [...message.matchAll(/\{([^{}\s]+)\}/g)].map((m) => m[1]).sort();
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function main() {
  const { messages, problems } = collectMessages();
  const unique = [...new Set(messages.map((m) => m.message))].sort();
  const korean = readJson(bundlePaths.korean);
  for (const p of problems) console.log(p);
  for (const m of messages) {
    if (!(m.message in korean)) console.log(`${m.where}: not in bundle.l10n.ko.json: ${m.message}`);
  }
  const { keys } = collectManifestKeys();
  const nlsKo = readJson(nlsPaths.korean);
  for (const k of keys) {
    if (!(k.key in nlsKo)) console.log(`${k.where}: %${k.key}% not in package.nls.ko.json`);
  }
  if (process.argv.includes('--write')) {
    const english = Object.fromEntries(unique.map((m) => [m, m]));
    writeFileSync(bundlePaths.english, `${JSON.stringify(english, null, 2)}\n`);
    console.log(`wrote ${relative(root, bundlePaths.english)} (${unique.length} messages)`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
