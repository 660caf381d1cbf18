// Extension-host tests of the throwaway fixture extension: they run inside the real VS Code with
// the real `vscode` API, and show the harness's extension-host half works.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { describe, it, waitFor } from '../../host/runner';

const EXTENSION_ID = 'backprop-notes-test.backprop-notes-e2e-fixture';
const COMMAND = 'backpropNotesFixture.showPanel';

interface FixtureApi {
  viewType: string;
  whenRendered(): Promise<string>;
}

/** The fixture's webview tabs in every editor group (the tab's viewType carries a prefix). */
function fixtureTabs(viewType: string): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter(
      (tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith(viewType),
    );
}

describe('fixture extension', () => {
  let api: FixtureApi;

  it('activates', async () => {
    const extension = vscode.extensions.getExtension<FixtureApi>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not loaded as a development extension`);
    api = await extension.activate();
    assert.equal(extension.isActive, true);
    assert.equal(typeof api.whenRendered, 'function');
  });

  it('registers its command', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes(COMMAND), `${COMMAND} is not among ${commands.length} commands`);
  });

  it('opens one webview panel', async () => {
    await vscode.commands.executeCommand(COMMAND);
    // Right after createWebviewPanel the tab may not be listed yet.
    await waitFor(() => fixtureTabs(api.viewType).length === 1, 'the fixture panel tab');
  });

  it('shows the first line of hello.txt in the webview', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder is open');
    const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, 'hello.txt'));
    const expected = Buffer.from(bytes).toString('utf8').split('\n')[0];
    assert.equal(await api.whenRendered(), expected);
  });

  it('reuses the panel when run again', async () => {
    await vscode.commands.executeCommand(COMMAND);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(fixtureTabs(api.viewType).length, 1);
  });
});
