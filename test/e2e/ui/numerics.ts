// Issue 7, goal 4 (numerics) in the real workbench: a note whose exp(Z) overflows is explained.
// The panel's Backward and Forward tabs open with a warning naming Z2 — the statement that made
// the ∞ — with a Go to line button that puts the cursor there; the values still show ∞ and NaN
// (not 0, and ∞ not turned into NaN by the JSON that carries webview messages); and the editor
// underlines Z2's statement with a warning, and only that statement. The Gradient check tab says
// Z's check is "not comparable" (a NaN on both sides), not "wrong", under the same warning.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { quickInput, runCommand, webviewFrame } from '../harness';
import type { UiTest } from '../target';

const NOTE = 'overflow.md';
const TEXT = `# exp overflows

\`\`\`model
param Z = [[1000, 0, 1], [800, 2, 3]]
Z2 = exp(Z)
P = Z2 / sum(Z2, axis=-1, keepdims=True)
loss L = sum(P)
\`\`\`
`;
/** 1-based line of `Z2 = exp(Z)` in TEXT. */
const Z2_LINE = 5;

async function cursorOn(page: Page, line: number): Promise<void> {
  await page
    .locator('[id="status.editor.selection"]')
    .filter({ hasText: `Ln ${line},` })
    .waitFor({ timeout: 10_000 });
}

export const numericsUiTests: UiTest[] = [
  {
    name: 'NaN and ∞: the panel and the editor point at the statement that made them',
    timeoutMs: 150_000,
    run: async (window, { screenshot, note }) => {
      const { page, workspace } = window;
      writeFileSync(join(workspace, NOTE), TEXT);
      // From the Explorer (Quick Open's file search can take long on a busy machine).
      await page
        .locator('.explorer-folders-view .monaco-list-row', { hasText: NOTE })
        .click({ timeout: 30_000 });
      await page.locator('.tab.active', { hasText: NOTE }).waitFor({ timeout: 15_000 });
      await quickInput(page, `:${Z2_LINE + 2}`, new RegExp(`line ${Z2_LINE + 2}\\b`, 'i'));
      await cursorOn(page, Z2_LINE + 2);

      // The editor: one warning squiggle, under Z2's statement (P and L are NaN only because of it).
      const squiggles = page.locator('.monaco-editor .squiggly-warning');
      await squiggles.first().waitFor({ state: 'attached', timeout: 60_000 });
      assert.equal(await squiggles.count(), 1, 'one warning in the note');

      await runCommand(page, 'Backprop Notes: Explain Backprop');
      const frame = webviewFrame(page);
      // Backward (the tab the panel opens on): its gradients are NaN because of Z2.
      // (The Gradient check tab carries the same warning: look in the Backward tab's own panel.)
      const backward = frame.locator(
        'vscode-tab-panel[data-tab="backward"] .numerics[data-pass="backward"] .numeric',
      );
      await backward.first().waitFor({ timeout: 60_000 });
      assert.equal(await backward.count(), 1);
      assert.equal(await backward.getAttribute('data-statement'), 'Z2');
      assert.equal(await backward.getAttribute('data-code'), 'exp-overflow');
      const message = (await backward.locator('.message').textContent()) ?? '';
      assert.match(message, /^Z2 has 2 ∞ values, the first at \[0, 0\]: exp overflows/);
      note(`panel: ${message}`);

      // Forward: the same warning on top, and Z2's value drawn with ∞, P's with NaN.
      await frame.locator('vscode-tab-header[data-tab="forward"]').click();
      const forward = frame.locator('.numerics[data-pass="forward"] .numeric[data-statement="Z2"]');
      await forward.waitFor({ timeout: 10_000 });
      const z2 = frame.locator('tr[data-node="Z2"] td.value .katex-mathml');
      await z2.waitFor({ state: 'attached', timeout: 10_000 });
      assert.match((await z2.textContent()) ?? '', /∞/, 'Z2 shows ∞');
      assert.match(
        (await frame.locator('tr[data-node="P"] td.value .katex-mathml').textContent()) ?? '',
        /NaN/,
        'P shows NaN',
      );
      note(`screenshot: ${await screenshot('numerics-forward')}`);

      // Gradient check: Z's gradient is NaN, so it is "not comparable" (which side, and why), not
      // "wrong"; the same warning about Z2 sits on top of the tab.
      await frame.locator('vscode-tab-header[data-tab="check"]').click();
      const check = frame.locator('vscode-tab-panel[data-tab="check"]');
      const row = check.locator('table.checks tr[data-tensor="Z"]');
      await row.waitFor({ timeout: 10_000 });
      assert.equal(await row.getAttribute('data-grade'), 'not-comparable');
      assert.equal(
        (await row.locator('vscode-badge.grade').textContent())?.trim(),
        'not comparable',
      );
      assert.equal(
        await check
          .locator('.numerics[data-pass="backward"] .numeric')
          .getAttribute('data-statement'),
        'Z2',
      );
      const summary = (await check.locator('p.summary').textContent()) ?? '';
      assert.match(summary, /Some gradients are NaN or ∞, so they cannot be compared/);
      assert.doesNotMatch(summary, /disagree/);
      const why = (await check.locator('.not-comparable').textContent()) ?? '';
      assert.match(why, /Z\[0, 0\]: the analytic gradient is NaN and the numerical one is NaN\./);
      assert.match(
        why,
        /this is not a wrong backward rule.*The warning above says which statement/,
      );
      assert.equal(await check.locator('[data-grade="wrong"]').count(), 0, 'nothing graded wrong');
      note(`gradient check: ${why}`);
      note(`screenshot: ${await screenshot('numerics-check')}`);

      // Go to line (from the Forward tab): the cursor moves to Z2's statement.
      await frame.locator('vscode-tab-header[data-tab="forward"]').click();
      await forward.locator('vscode-button.reveal').click();
      await cursorOn(page, Z2_LINE);
    },
  },
];
