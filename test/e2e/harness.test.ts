// Tests of the e2e harness itself. The first part needs no VS Code; the second starts one with
// the fixture extension and a suite that fails on purpose, to prove a failing extension-host test
// fails the run (exit code 1, reported by name) rather than passing silently.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildHostTests } from '../../scripts/e2e/build-host-tests.mjs';
import { workbenchUrl } from '../../scripts/e2e/code-server.mjs';
import { fixtureTarget } from './fixture-extension/target';
import {
  hostResults,
  mapStackTrace,
  repoRoot,
  runCommand,
  skipE2E,
  startVSCode,
  waitForExit,
  type LogEntry,
  type VSCodeSession,
} from './harness';
import { RESULTS_MARKER } from './host/runner';

describe('workbenchUrl', () => {
  it('passes the folder and both paths as vscode-remote URIs of the server, even with # ? and spaces', () => {
    const folder = '/tmp/a folder #1/notes?';
    const extension = '/work/my ext#2';
    const tests = '/work/out/suite 100%.js';
    const url = new URL(
      workbenchUrl({
        port: 4321,
        folder,
        extensionDevelopmentPath: extension,
        extensionTestsPath: tests,
      }),
    );
    assert.equal(url.origin, 'http://127.0.0.1:4321');
    assert.equal(url.searchParams.get('folder'), folder);
    const payload = JSON.parse(url.searchParams.get('payload') ?? 'null') as [string, string][];
    assert.deepEqual(
      payload.map(([key]) => key),
      ['extensionDevelopmentPath', 'extensionTestsPath'],
    );
    for (const [[, uri], path] of payload.map(
      (entry, i) => [entry, [extension, tests][i]] as const,
    )) {
      const parsed = new URL(uri);
      assert.equal(parsed.protocol, 'vscode-remote:');
      assert.equal(parsed.host, '127.0.0.1:4321');
      assert.equal(decodeURIComponent(parsed.pathname), path);
    }
  });

  it('leaves the payload out when no extension is given', () => {
    const url = new URL(workbenchUrl({ port: 1, folder: '/w' }));
    assert.equal(url.searchParams.get('payload'), null);
  });
});

describe('hostResults', () => {
  const summary = { passed: 2, failed: 1, skipped: 0, tests: [] };
  const line = (text: string): LogEntry => ({ source: 'automation', type: 'info', text });

  it('reads the last complete results line, whatever precedes the marker', () => {
    const logs = [
      line(`${RESULTS_MARKER} ${JSON.stringify({ ...summary, passed: 9 })}`),
      line('✔ something'),
      line(`%c INFO color: #33f ${RESULTS_MARKER} ${JSON.stringify(summary)}`),
    ];
    assert.deepEqual(hostResults(logs), summary);
  });

  it('returns undefined when the suite printed no results', () => {
    assert.equal(hostResults([line('✔ a'), line(`${RESULTS_MARKER} {"passed":`)]), undefined);
  });
});

describe('VS Code harness with a failing extension-host suite', { skip: skipE2E }, () => {
  let vs: VSCodeSession | undefined;
  let suite = '';

  before(
    async () => {
      suite = await buildHostTests({
        testsDir: join(repoRoot, 'test', 'e2e', 'fixture-extension', 'host-failing'),
        outfile: join(repoRoot, 'out', 'test', 'fixture-host-failing', 'suite.js'),
      });
      vs = await startVSCode({
        workspace: fixtureTarget.workspace,
        extensionDevelopmentPath: fixtureTarget.extensionDevelopmentPath,
        extensionTestsPath: suite,
      });
    },
    { timeout: 600_000 },
  );

  after(async () => {
    await vs?.close();
  });

  it(
    'exits with 1 and reports the failing test by name and message',
    { timeout: 180_000 },
    async () => {
      assert.ok(vs, 'VS Code did not start');
      assert.equal(await waitForExit(vs, 150_000), 1);
      const results = hostResults(vs.logs);
      assert.ok(results, 'no results line in the window log');
      assert.equal(results.passed, 1);
      assert.equal(results.failed, 1);
      const failed = results.tests.find((test) => test.status === 'failed');
      assert.equal(failed?.name, 'deliberately failing suite › fails on purpose');
      assert.match(failed?.error ?? '', /this failure is expected/);
      // Its stack points at the bundle; mapped, at the line of the .host.ts file that failed.
      assert.match(
        mapStackTrace(failed?.error ?? '', suite),
        /at test\/e2e\/fixture-extension\/host-failing\/failing\.host\.ts:\d+:\d+/,
      );
    },
  );

  it('runCommand says which title the palette did not list', { timeout: 60_000 }, async () => {
    assert.ok(vs, 'VS Code did not start');
    await assert.rejects(
      runCommand(vs.page, 'Backprop Notes Fixture: No Such Command', 4_000),
      /did not list "Backprop Notes Fixture: No Such Command"/,
    );
  });
});
