// The web extension's bundles (package.json `browser`): the extension host and the engine worker
// built for the browser reach no Node built-in, take the `.web.ts` side of each platform seam
// (a Web Worker, not worker_threads), and the worker still holds the engine.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from '../../scripts/build.mjs';

interface SourceMap {
  sources: string[];
}

describe('web bundles', () => {
  const out = mkdtempSync(join(tmpdir(), 'backprop-notes-web-'));
  before(async () => {
    await build(['web-extension', 'web-worker'], { outdir: out });
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  const sources = (file: string) =>
    (JSON.parse(readFileSync(join(out, 'web', `${file}.map`), 'utf8')) as SourceMap).sources.map(
      (s) => s.replace(/\\/g, '/'),
    );

  it('require nothing but vscode, and no Node built-in', () => {
    for (const file of ['extension.js', 'worker.js']) {
      const js = readFileSync(join(out, 'web', file), 'utf8');
      const required = new Set(
        [...js.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]),
      );
      assert.deepEqual(
        [...required].filter((r) => r !== 'vscode'),
        [],
        `${file} requires more than vscode`,
      );
      for (const builtin of builtinModules) {
        assert.ok(!js.includes(`"node:${builtin}"`), `${file} names node:${builtin}`);
      }
      assert.ok(!/worker_threads|parentPort/.test(js), `${file} mentions worker_threads`);
    }
    assert.ok(!readFileSync(join(out, 'web', 'worker.js'), 'utf8').includes('require("vscode")'));
  });

  it('take the .web.ts side of every platform seam', () => {
    const host = sources('extension.js');
    for (const seam of ['worker-spawn', 'worker-location']) {
      assert.ok(
        host.some((s) => s.endsWith(`src/extension/${seam}.web.ts`)),
        `${seam}.web.ts`,
      );
      assert.ok(!host.some((s) => s.endsWith(`src/extension/${seam}.ts`)), `${seam}.ts`);
    }
    const worker = sources('worker.js');
    assert.ok(worker.some((s) => s.endsWith('src/extension/worker-port.web.ts')));
    assert.ok(!worker.some((s) => s.endsWith('src/extension/worker-port.ts')));
  });

  it('keep the engine in the worker, out of the extension host', () => {
    const host = sources('extension.js');
    assert.deepEqual(
      host.filter((s) => /src\/(engine|explain|render)\//.test(s)),
      [],
    );
    const worker = sources('worker.js');
    for (const layer of ['src/engine/', 'src/spec/', 'src/explain/']) {
      assert.ok(
        worker.some((s) => s.includes(layer)),
        `${layer} missing from the web worker`,
      );
    }
  });
});
