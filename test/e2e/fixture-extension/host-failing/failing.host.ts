// A suite that fails on purpose: the harness's self-test (test/e2e/harness.test.ts) runs it to
// prove that a failing extension-host test makes the window exit with 1 and is reported by name.
// Never part of a normal run: it sits outside every tests folder a target names.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { describe, it } from '../../host/runner';

describe('deliberately failing suite', () => {
  it('sees the real vscode API', () => {
    assert.equal(typeof vscode.version, 'string');
  });

  it('fails on purpose', () => {
    assert.equal(vscode.workspace.workspaceFolders?.length ?? 0, 42, 'this failure is expected');
  });
});
