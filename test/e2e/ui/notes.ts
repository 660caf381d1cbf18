// Playwright tests of the panel's study-note tabs in the real workbench: the Graph (the sample's
// tensors, a click reveals the line), Memory, Linearity and Train, each with a screenshot in
// test-results/ (graph-tab.png, memory-tab.png, linearity-tab.png, linearity-relu-tab.png,
// train-tab.png).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { quickInput, runCommand, webviewFrame } from '../harness';
import type { UiTest } from '../target';

/** The note's 1-based line number of the first line matching `pattern`. */
function lineOf(workspace: string, note: string, pattern: RegExp): number {
  const lines = readFileSync(join(workspace, note), 'utf8').split('\n');
  const index = lines.findIndex((l) => pattern.test(l));
  assert.ok(index >= 0, `no line matching ${pattern} in ${note}`);
  return index + 1;
}

/** Opens a note (by its file name) with the cursor on its 1-based `line`. */
async function openAt(page: Page, note: string, line: number): Promise<void> {
  await page.locator('.monaco-workbench .part.editor').click({ position: { x: 200, y: 200 } });
  await quickInput(page, note, note);
  // .first(): the panel's tab (Backprop: note) is active in its own group too.
  await page.locator('.tab.active', { hasText: note }).first().waitFor({ timeout: 15_000 });
  await quickInput(page, `:${line}`, new RegExp(`line ${line}\\b`, 'i'));
  await cursorAt(page, line);
}

async function cursorAt(page: Page, line: number, timeout = 10_000): Promise<void> {
  await page
    .locator('[id="status.editor.selection"]')
    .filter({ hasText: `Ln ${line},` })
    .waitFor({ timeout });
}

async function showTab(frame: FrameLocator, tab: string): Promise<void> {
  await frame.locator(`vscode-tab-header[data-tab="${tab}"]`).click();
  await frame.locator(`vscode-tab-panel[data-tab="${tab}"]`).waitFor({ state: 'visible' });
}

/** A wider window than the default, so the panel beside the note has room for the graph. */
async function widen(page: Page): Promise<void> {
  await page.setViewportSize({ width: 1600, height: 1000 });
}

/** More room still for the panel: the Explorer goes (after opening files, which may reveal it). */
async function closeSidebar(page: Page): Promise<void> {
  await runCommand(page, 'View: Close Primary Side Bar');
  await page.locator('.part.sidebar').waitFor({ state: 'hidden', timeout: 10_000 });
}

export const notesUiTests: UiTest[] = [
  {
    name: 'Graph tab: the sample’s tensors left to right; clicking W2 picks it and shows its line',
    timeoutMs: 150_000,
    run: async (window, { screenshot, note }) => {
      const { page, workspace } = window;
      const file = 'two-layer-network.md';
      await widen(page);
      await openAt(page, file, lineOf(workspace, file, /^Z1 = X @ W1/));
      await runCommand(page, 'Backprop Notes: Explain Backprop');
      const frame = webviewFrame(page);
      await frame.locator('#gradient[data-leaf="W1"]').waitFor({ timeout: 60_000 });
      await closeSidebar(page);
      await showTab(frame, 'graph');
      const nodes = frame.locator('#graph .graph-node');
      await nodes.first().waitFor();
      const names = await nodes.evaluateAll((gs) => gs.map((g) => g.getAttribute('data-node')));
      assert.deepEqual(
        [...names].sort(),
        ['H1', 'L', 'P', 'W1', 'W2', 'X', 'Z1', 'Z2', 'b1', 'b2', 'y'].sort(),
      );
      // Left to right: X before Z1 before H1 before Z2 before P before L.
      const xs: number[] = [];
      for (const name of ['X', 'Z1', 'H1', 'Z2', 'P', 'L']) {
        const box = await frame.locator(`.graph-node[data-node="${name}"]`).boundingBox();
        assert.ok(box, `${name} is drawn`);
        xs.push(box.x);
      }
      for (let i = 1; i < xs.length; i++) assert.ok(xs[i] > xs[i - 1], `order ${xs.join(' < ')}`);
      // Each box shows op, shape and the summaries.
      const z1 = (await frame.locator('.graph-node[data-node="Z1"]').textContent()) ?? '';
      assert.match(z1, /matmul → add · 2×3/);
      assert.match(z1, /∇/);
      assert.ok(
        (await frame.locator('#graph path.graph-edge').count()) >= 10,
        'the arrows are drawn',
      );
      note(`screenshot: ${await screenshot('graph-tab')}`);

      // Click W2: the editor shows its line, and the Backward tab follows it.
      const w2Line = lineOf(workspace, file, /^param\s+W2 =/);
      await frame.locator('.graph-node[data-node="W2"]').click();
      await cursorAt(page, w2Line);
      await frame.locator('.graph-node.is-selected[data-node="W2"]').waitFor();
      await showTab(frame, 'backward');
      await frame.locator('#gradient[data-leaf="W2"]').waitFor({ timeout: 10_000 });
      // A computed tensor: Z1 is explained as wrt, and gets its own chain rule.
      await showTab(frame, 'graph');
      await frame.locator('.graph-node[data-node="Z1"]').click();
      await cursorAt(page, lineOf(workspace, file, /^Z1 = X @ W1/));
      await showTab(frame, 'backward');
      await frame.locator('.chain[data-leaf="Z1"]').waitFor({ timeout: 20_000 });

      // Memory: the totals and the batch plot.
      await showTab(frame, 'memory');
      const memory = frame.locator('#memory');
      await memory.waitFor();
      assert.ok(Number(await memory.getAttribute('data-saved-bytes')) > 0);
      await frame.locator('#batch-plot .series path').first().waitFor();
      assert.equal(await frame.locator('#batch-plot .series').count(), 3);
      assert.ok((await frame.locator('table.memory-ops tbody tr').count()) >= 4);
      note(`screenshot: ${await screenshot('memory-tab')}`);
      await frame.locator('#batch-plot').scrollIntoViewIfNeeded();
      note(`screenshot: ${await screenshot('memory-batch-tab')}`);
    },
  },
  {
    name: 'Linearity tab: two stacked layers collapse to one W and b; a relu keeps them apart',
    timeoutMs: 150_000,
    run: async (window, { screenshot }) => {
      const { page, workspace } = window;
      const file = 'activations.md';
      await widen(page);
      await openAt(page, file, lineOf(workspace, file, /^H = X @ W1 \+ b1/));
      await runCommand(page, 'Backprop Notes: Explain Backprop');
      const frame = webviewFrame(page);
      await frame.locator('vscode-tab-header[data-tab="linearity"]').waitFor({ timeout: 60_000 });
      await closeSidebar(page);
      await showTab(frame, 'linearity');
      const run = frame.locator('.linear-run[data-equal="true"]');
      await run.waitFor({ timeout: 20_000 });
      assert.equal(
        await run.locator('.side-by-side .katex .mtable').count(),
        2,
        'both outputs as matrices',
      );
      assert.ok((await run.locator('.collapsed .katex').count()) >= 2, 'W and b are shown');
      await screenshot('linearity-tab');

      // The block with a relu: nothing collapses, and it says why.
      await openAt(page, file, lineOf(workspace, file, /^H {2}= relu\(Z1\)/));
      await runCommand(page, 'Backprop Notes: Explain Backprop');
      const blocked = frame.locator('.linear-blocked[data-ops="relu"]');
      await blocked.waitFor({ timeout: 30_000 });
      assert.equal(await frame.locator('.linear-run').count(), 0);
      assert.match((await blocked.textContent()) ?? '', /relu is not linear/);
      await blocked.locator('.mask .katex').first().waitFor();
      await screenshot('linearity-relu-tab');
    },
  },
  {
    name: 'Train tab: XOR from the palette (settings from the file), the loss plotted as it falls',
    timeoutMs: 150_000,
    run: async (window, { screenshot, note }) => {
      const { page, workspace } = window;
      const file = 'xor.model';
      await widen(page);
      await openAt(page, file, lineOf(workspace, file, /^loss L/));
      const started = Date.now();
      await runCommand(page, 'Backprop Notes: Train');
      const frame = webviewFrame(page);
      const train = frame.locator('#train[data-status="done"]');
      await train.waitFor({ timeout: 60_000 });
      await closeSidebar(page);
      note(`palette → trained and plotted: ${Date.now() - started} ms`);
      const first = Number(await train.getAttribute('data-first-loss'));
      const last = Number(await train.getAttribute('data-final-loss'));
      assert.ok(first > 0.6 && last < 0.05, `loss ${first} → ${last}`);
      await frame.locator('#loss-plot .series path').waitFor();
      await frame.locator('#train-apply').waitFor();
      await screenshot('train-tab');
      // Writing back is a button press away, and only then.
      const editorText = () =>
        page.locator('.editor-group-container').first().locator('.view-lines').innerText();
      // The editor draws spaces as no-break spaces: \s matches both.
      assert.match(await editorText(), /xavier\(2,\s4/);
      await frame.locator('#train-apply').click();
      await frame.locator('#train[data-applied="true"]').waitFor({ timeout: 10_000 });
      const deadline = Date.now() + 10_000;
      while (/xavier\(2,\s4/.test(await editorText())) {
        assert.ok(Date.now() < deadline, 'the trained values were not written into the file');
        await page.waitForTimeout(200);
      }
      assert.match(await editorText(), /param\s+W1\s=\s\[\[/);
    },
  },
];

export type { FrameLocator };
