// Playwright UI tests of the fixture extension in the real workbench: the palette runs its
// command, and the text its webview shows is read through the webview's two frames.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, webviewFrame } from '../harness';
import type { UiTest } from '../target';

export const fixtureUiTests: UiTest[] = [
  {
    name: 'the palette opens the fixture panel, whose webview shows hello.txt',
    run: async (window, { screenshot, note }) => {
      const expected = readFileSync(join(window.workspace, 'hello.txt'), 'utf8').split('\n')[0];
      await runCommand(window.page, 'Backprop Notes Fixture: Show Fixture Panel');
      const greeting = webviewFrame(window.page).locator('#greeting');
      // The webview asks for the text once its script runs; the extension answers.
      await greeting.filter({ hasText: expected }).waitFor({ timeout: 30_000 });
      assert.equal(await greeting.textContent(), expected);
      const heading = await webviewFrame(window.page).locator('h1').textContent();
      assert.equal(heading, 'Fixture Panel');
      note(`screenshot: ${await screenshot('fixture-panel')}`);
    },
  },
];
