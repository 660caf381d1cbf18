// THIRD_PARTY_NOTICES.md (scripts/third-party-notices.mjs): it lists exactly the npm packages
// whose code or files ship in the extension's bundles — checked against esbuild's metafile and,
// independently, against the bundles' source maps (esbuild chains a package's own source map, so
// they also show code a package inlined from another, as @dagrejs/dagre does @dagrejs/graphlib)
// — each with its version, source and its licence file quoted in full; and a package under a
// licence that may not ship, or with none, fails it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BuildOutput, buildWithMetafiles } from '../../scripts/build.mjs';
import {
  bundledPackages,
  licenceProblem,
  noticeText,
  readPackage,
  shippedTargets,
} from '../../scripts/third-party-notices.mjs';

/** `…/node_modules/@scope/name/…` → `@scope/name` (the last node_modules segment). */
function packageName(path: string): string | undefined {
  return /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path.replace(/\\/g, '/'))?.[1];
}

/** The package names in the notice's table, in order. */
function tableNames(notice: string): string[] {
  return notice
    .split('\n')
    .filter((l) => l.startsWith('| ') && !/^\| (Package|-)/.test(l))
    .map((l) => l.split('|')[1].trim());
}

describe('third-party notice', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'backprop-notes-notices-'));
  let built: BuildOutput;
  let notice: string;
  before(async () => {
    // A debug build: source maps to check against (minifying changes no package's presence).
    built = await buildWithMetafiles([...shippedTargets], { outdir });
    notice = noticeText(bundledPackages(built));
  });
  after(() => rmSync(outdir, { recursive: true, force: true }));

  it('lists the packages with code in a shipped bundle (metafile), and nothing else', () => {
    const fromMetafile = new Set<string>();
    for (const target of shippedTargets) {
      for (const { inputs } of Object.values(built.metafiles[target].outputs)) {
        for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
          const name = packageName(input);
          if (name && bytesInOutput > 0) fromMetafile.add(name);
        }
      }
    }
    const listed = tableNames(notice);
    assert.deepEqual([...listed].sort(), [...new Set(listed)].sort(), 'each package once');
    // What the metafile cannot see: the copied KaTeX files' package, and graphlib inside dagre.
    assert.deepEqual(
      listed.filter((n) => !fromMetafile.has(n)),
      ['@dagrejs/graphlib'],
    );
    assert.deepEqual(
      [...fromMetafile].filter((n) => !listed.includes(n)),
      [],
      'every package the metafile shows is listed',
    );
    assert.ok(fromMetafile.has('katex') && fromMetafile.has('@dagrejs/dagre'));
  });

  it('agrees with the source maps of every shipped bundle, inlined packages included', () => {
    const maps: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.map')) maps.push(path);
      }
    };
    walk(outdir);
    const shippedMaps = maps.filter((m) => !m.endsWith(`${sep}cli.js.map`));
    assert.ok(shippedMaps.length >= 6, `source maps of the shipped bundles: ${maps.join(', ')}`);
    const fromMaps = new Set<string>();
    for (const map of shippedMaps) {
      const { sources } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const name = packageName(source);
        if (name) fromMaps.add(name);
      }
    }
    for (const { packageDir } of built.copied) fromMaps.add(packageName(packageDir + '/')!);
    assert.deepEqual(
      tableNames(notice),
      [...fromMaps].sort((a, b) => a.localeCompare(b)),
    );
  });

  it('gives each package its version, licence, source and its licence file in full', () => {
    const packages = bundledPackages(built);
    assert.ok(packages.length >= 5);
    for (const p of packages) {
      const manifest = JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8')) as {
        version: string;
        license: string;
      };
      const section = notice.split(`\n## ${p.name} ${manifest.version}\n`)[1]?.split('\n## ')[0];
      assert.ok(section, `a section for ${p.name} ${manifest.version}`);
      assert.match(
        section,
        new RegExp(`^- Licence: ${manifest.license.replace(/[()]/g, '\\$&')}$`, 'm'),
      );
      assert.match(section, /^- Source: https:\/\/\S+$/m, `${p.name} has a source URL`);
      const text = readFileSync(join(p.dir, p.licenceFile), 'utf8').replace(/\r\n/g, '\n').trim();
      assert.ok(text.length > 200, `${p.name}'s ${p.licenceFile} is a licence text`);
      assert.ok(section.includes(`\n${text}\n`), `${p.name}'s licence text is quoted in full`);
    }
    // KaTeX: its code in the webview's script, its stylesheet and fonts in webview.css (inlined)
    // or copied to katex/ — either way under its licence.
    const katex = packages.find((p) => p.name === 'katex');
    assert.ok(katex);
    assert.ok(katex.shippedIn.includes('webview.js'));
    assert.ok(
      katex.shippedIn.some((f) => f === 'webview.css' || /^katex\/fonts\/KaTeX_.*\.woff2$/.test(f)),
      `KaTeX's fonts: ${katex.shippedIn.join(', ')}`,
    );
    const shippedInNames = new Set(packages.flatMap((p) => p.shippedIn));
    assert.ok(!shippedInNames.has('cli.js'), 'the CLI does not ship in the .vsix');
    assert.match(notice, /\n\| katex \| [\d.]+ \| MIT \| .*dist\/webview\.js/);
  });

  it('dagre’s published file does inline graphlib (why the notice adds it)', () => {
    const dagre = bundledPackages(built).find((p) => p.name === '@dagrejs/dagre');
    assert.ok(dagre);
    const esm = readFileSync(join(dagre.dir, 'dist', 'dagre.esm.js'), 'utf8');
    assert.doesNotMatch(esm, /from\s*["']@dagrejs\/graphlib["']/, 'it imports no graphlib');
    assert.match(esm, /_isMultigraph/, "graphlib's Graph is in it");
  });
});

describe('licences that may ship', () => {
  it('permissive ones pass, a choice passes if one side does, everything else is refused', () => {
    for (const ok of [
      'MIT',
      'ISC',
      'BSD-3-Clause',
      'Apache-2.0',
      '(MIT OR GPL-3.0-only)',
      'MIT AND ISC',
      'OFL-1.1',
    ]) {
      assert.equal(licenceProblem(ok), null, ok);
    }
    for (const refused of [
      undefined,
      '',
      'GPL-3.0-only',
      'AGPL-3.0-or-later',
      'LGPL-2.1',
      'MIT AND GPL-2.0-only',
      'UNLICENSED',
      'SEE LICENSE IN LICENSE.txt',
      'Proprietary',
    ]) {
      assert.ok(licenceProblem(refused), `${refused} is refused`);
    }
    assert.match(licenceProblem('GPL-3.0-only')!, /'GPL-3\.0-only' is not one of the permissive/);
  });

  it('a bundled GPL package, or one without a licence file, fails the notice and says what to do', () => {
    const temp = mkdtempSync(join(tmpdir(), 'backprop-notes-licence-'));
    try {
      const make = (name: string, license: string | undefined, licenceFile: boolean) => {
        const dir = join(temp, 'node_modules', name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(
          join(dir, 'package.json'),
          JSON.stringify({ name, version: '1.0.0', license }),
        );
        writeFileSync(join(dir, 'index.js'), 'module.exports = 1;\n');
        if (licenceFile) writeFileSync(join(dir, 'LICENSE'), `${license} licence text\n`);
        return dir;
      };
      const gpl = make('copyleft-thing', 'GPL-3.0-only', true);
      const bare = make('bare-thing', 'MIT', false);
      const fine = make('fine-thing', 'MIT', true);
      assert.throws(
        () => readPackage(gpl),
        /copyleft-thing@1\.0\.0 .*is bundled into the extension, but its licence 'GPL-3\.0-only' .* Remove the import/,
      );
      assert.throws(() => readPackage(bare), /bare-thing@1\.0\.0 .*has no LICENSE file/);
      assert.equal(readPackage(fine).licenceText, 'MIT licence text');

      // The same through a build's metafile: a bundle with the GPL package in it fails.
      const output = (dirs: string[]): BuildOutput => ({
        outdir: join(temp, 'dist'),
        workingDir: temp,
        copied: [],
        metafiles: {
          webview: {
            inputs: {},
            outputs: {
              [relative(temp, join(temp, 'dist', 'webview.js'))]: {
                bytes: 100,
                imports: [],
                exports: [],
                inputs: Object.fromEntries(
                  dirs.map((d) => [relative(temp, join(d, 'index.js')), { bytesInOutput: 20 }]),
                ),
              },
            },
          },
        },
      });
      assert.throws(() => bundledPackages(output([fine, gpl])), /copyleft-thing/);
      assert.deepEqual(
        bundledPackages(output([fine])).map((p) => [p.name, p.shippedIn]),
        [['fine-thing', ['webview.js']]],
      );
      assert.equal(resolve(bundledPackages(output([fine]))[0].dir), fine);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  });
});
