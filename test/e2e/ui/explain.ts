// Playwright tests of Explain Backprop in the real workbench: what a user sees in the panel,
// checked against the CLI's JSON for the same note.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import type { Explanation } from '../../../src/explain/explanation';
import type { JsonDocument } from '../../../src/render/json';
import { quickInput, repoRoot, runCommand, webviewFrame } from '../harness';
import type { UiTest } from '../target';

const NOTE = 'two-layer-network.md';

/** The note's 1-based line number of the first line starting with `prefix`. */
function lineOf(workspace: string, prefix: string): number {
  const lines = readFileSync(join(workspace, NOTE), 'utf8').split('\n');
  const index = lines.findIndex((l) => l.startsWith(prefix));
  assert.ok(index >= 0, `no line starting with "${prefix}" in ${NOTE}`);
  return index + 1;
}

/** What `backprop-notes explain NOTE --format json` says (the CLI is built with the extension). */
function cliExplanation(workspace: string): Explanation {
  const run = spawnSync(
    process.execPath,
    [join(repoRoot, 'dist', 'cli.js'), 'explain', join(workspace, NOTE), '--format', 'json'],
    { encoding: 'utf8' },
  );
  assert.ok(run.stdout, `the CLI printed nothing (exit ${run.status}): ${run.stderr}`);
  const document = JSON.parse(run.stdout) as JsonDocument;
  return document.blocks[0];
}

/** Opens the note and puts the cursor at the start of its 1-based `line`. */
async function openNoteAt(page: Page, line: number): Promise<void> {
  await page.locator('.monaco-workbench .part.editor').click({ position: { x: 200, y: 200 } });
  await quickInput(page, NOTE, NOTE);
  await page.locator('.tab.active', { hasText: NOTE }).waitFor({ timeout: 15_000 });
  await goToLine(page, line);
}

async function goToLine(page: Page, line: number): Promise<void> {
  await quickInput(page, `:${line}`, new RegExp(`line ${line}\\b`, 'i'));
  await cursorAt(page, line);
}

/** Waits until the status bar shows the cursor on `line` (and `column`, when given). */
async function cursorAt(page: Page, line: number, column?: number): Promise<void> {
  const text = column === undefined ? `Ln ${line},` : `Ln ${line}, Col ${column}`;
  await page
    .locator('[id="status.editor.selection"]')
    .filter({ hasText: text })
    .waitFor({ timeout: 10_000 });
}

interface RenderedFactor {
  of: string | null;
  wrt: string | null;
  /** KaTeX's MathML text, in reading order: ∂L∂Z2 for ∂L/∂Z2. */
  text: string;
  /** KaTeX's HTML rendering's text (what is painted). */
  painted: string;
  jacobianShape: string | null;
  vjpShape: string | null;
}

async function renderedFactors(frame: FrameLocator): Promise<RenderedFactor[]> {
  const factors = frame.locator('.chain .factor');
  const out: RenderedFactor[] = [];
  for (let i = 0; i < (await factors.count()); i++) {
    const f = factors.nth(i);
    out.push({
      of: await f.getAttribute('data-of'),
      wrt: await f.getAttribute('data-wrt'),
      // The MathML's first child: the formula without its TeX annotation.
      text: (
        (await f.locator('.factor-math .katex-mathml semantics > :first-child').textContent()) ?? ''
      ).trim(),
      painted: (await f.locator('.factor-math .katex-html').textContent()) ?? '',
      jacobianShape: await f.getAttribute('data-jacobian-shape'),
      vjpShape: await f.getAttribute('data-vjp-shape'),
    });
  }
  return out;
}

/** The factors of a leaf's chain rule as the CLI lists them, each as ∂A∂B (KaTeX's MathML text). */
function expectedFactors(
  e: Explanation,
  leaf: string,
): { text: string; jacobian: string; vjp: string }[] {
  const g = e.gradients.find((x) => x.name === leaf);
  assert.ok(g, `the CLI has no gradient for ${leaf}`);
  return g.paths.flatMap((p) =>
    p.factors.map((f) => ({
      text: `∂${e.nodes[f.of].name}∂${e.nodes[f.wrt].name}`,
      jacobian: f.jacobianShape.join(','),
      vjp: f.vjpShape.join(','),
    })),
  );
}

function flat(x: unknown): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x as number];
}

async function pickLeaf(frame: FrameLocator, leaf: string): Promise<void> {
  await frame.locator('#leaf').click();
  await frame
    .locator('#leaf li[role="option"]', { hasText: new RegExp(`^\\s*${leaf}\\s*$`) })
    .click();
  await frame.locator(`.chain[data-leaf="${leaf}"]`).waitFor({ timeout: 10_000 });
}

export const explainUiTests: UiTest[] = [
  {
    name: 'Explain Backprop from the palette: W1 chain and gradient, X chain, a spec error',
    timeoutMs: 150_000,
    run: async (window, { screenshot, note }) => {
      const { page, workspace } = window;
      const cli = cliExplanation(workspace);
      assert.deepEqual(cli.errors, [], 'the CLI explains the sample without errors');

      await openNoteAt(page, lineOf(workspace, 'Z1 = X @ W1'));
      const started = Date.now();
      await runCommand(page, 'Backprop Notes: Explain Backprop');
      const frame = webviewFrame(page);
      const gradient = frame.locator('#gradient[data-leaf="W1"]');
      await gradient.waitFor({ timeout: 60_000 });
      note(
        `palette → panel drawn: ${Date.now() - started} ms (first run: activation, worker start)`,
      );
      await frame.locator('.chain .factor .katex').first().waitFor();

      // The chain rule for W1: the CLI's factors, as KaTeX drew them, with their shapes.
      const factors = await renderedFactors(frame);
      const expected = expectedFactors(cli, 'W1');
      assert.deepEqual(
        factors.map((f) => f.text),
        expected.map((f) => f.text),
      );
      assert.equal(factors[0].text.startsWith('∂L∂'), true, 'the chain starts at the loss');
      assert.equal(factors.at(-1)?.text, '∂Z1∂W1', 'and ends at ∂Z1/∂W1');
      assert.ok(
        factors.some((f) => f.text.endsWith('∂Z2')),
        'the chain goes through ∂…/∂Z2',
      );
      for (const [i, f] of factors.entries()) {
        assert.equal(f.jacobianShape, expected[i].jacobian);
        assert.equal(f.vjpShape, expected[i].vjp);
        // What is painted holds the same symbols (KaTeX's HTML lists a fraction bottom-up).
        const sorted = (t: string) => [...t.replace(/[\u200b\s]/g, '')].sort().join('');
        assert.equal(sorted(f.painted), sorted(f.text), `painted ${f.painted} vs ${f.text}`);
      }
      const shownShapes = await frame.locator('.chain .factor .shape.jacobian').allTextContents();
      assert.deepEqual(
        shownShapes.map((s) => s.replace(/\s+/g, ' ').trim()),
        expected.map((f) => `J ${f.jacobian.replace(/,/g, '×')}`),
      );

      // The gradient's numbers equal the CLI's, to 1e-6.
      assert.equal(await gradient.getAttribute('data-complete'), 'true');
      const values = flat(JSON.parse((await gradient.getAttribute('data-values')) ?? 'null'));
      const cliValues = flat(cli.gradients.find((g) => g.name === 'W1')!.grad);
      assert.equal(values.length, cliValues.length);
      values.forEach((v, i) =>
        assert.ok(Math.abs(v - cliValues[i]) <= 1e-6, `W1[${i}]: ${v} vs ${cliValues[i]}`),
      );
      // …and are drawn as a KaTeX matrix.
      assert.ok(
        await gradient.locator('.katex .mtable').count(),
        'the gradient is drawn as a matrix',
      );
      // The (P − Y)/N simplification is shown for this softmax + cross-entropy.
      await frame.locator('.softmax-ce[data-agrees="true"]').first().waitFor({ timeout: 5_000 });
      note(`screenshot: ${await screenshot('explain-backprop-W1')}`);

      // Forward: a row per named tensor, in order, each with its value drawn as KaTeX.
      await frame.locator('vscode-tab-header[data-tab="forward"]').click();
      const rows = frame.locator('vscode-tab-panel[data-tab="forward"] tr[data-node]');
      await rows.first().waitFor();
      assert.deepEqual(
        await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-node'))),
        cli.nodes.filter((n) => n.name !== null).map((n) => n.name),
      );
      assert.equal(
        await rows.locator('td.value .katex').count(),
        await rows.count(),
        'every value is drawn',
      );
      note(`screenshot: ${await screenshot('explain-forward')}`);

      // Gradient check: the engine's grade for every tensor.
      await frame.locator('vscode-tab-header[data-tab="check"]').click();
      const checks = frame.locator('table.checks tr[data-tensor]');
      await checks.first().waitFor();
      const grades = await checks.evaluateAll((trs) =>
        trs.map((tr) => [tr.getAttribute('data-tensor'), tr.getAttribute('data-grade')]),
      );
      assert.deepEqual(
        grades,
        cli.gradientCheck!.tensors.map((t) => [t.name, t.grade]),
      );
      note(`gradient check: ${grades.map(([n, g]) => `${n} ${g}`).join(', ')}`);
      note(`screenshot: ${await screenshot('explain-check')}`);
      await frame.locator('vscode-tab-header[data-tab="backward"]').click();

      // Switch the leaf to X: its chain ends at ∂Z1/∂X.
      await pickLeaf(frame, 'X');
      const xFactors = await renderedFactors(frame);
      assert.deepEqual(
        xFactors.map((f) => f.text),
        expectedFactors(cli, 'X').map((f) => f.text),
      );
      assert.equal(xFactors.at(-1)?.text, '∂Z1∂X');
      const xValues = flat(
        JSON.parse(
          (await frame.locator('#gradient[data-leaf="X"]').getAttribute('data-values')) ?? 'null',
        ),
      );
      const cliX = flat(cli.gradients.find((g) => g.name === 'X')!.grad);
      xValues.forEach((v, i) => assert.ok(Math.abs(v - cliX[i]) <= 1e-6, `X[${i}]`));
      note(`screenshot: ${await screenshot('explain-backprop-X')}`);

      // Break the spec: rename Z1 where it is defined. The panel shows the error at H1's line.
      await page.locator('.editor-group-container').first().locator('.view-lines').click();
      await goToLine(page, lineOf(workspace, 'Z1 = X @ W1'));
      await page.keyboard.press('Delete');
      await page.keyboard.press('Delete');
      await page.keyboard.type('Q1');
      const h1Line = lineOf(workspace, 'H1 = relu(Z1)');
      const error = frame.locator(`#errors .error[data-line="${h1Line}"]`);
      await error.waitFor({ timeout: 20_000 });
      const message = (await error.locator('.message').textContent()) ?? '';
      assert.match(message, /Z1/, `the error names the unknown tensor: ${message}`);
      assert.match(
        (await error.locator('.where').textContent()) ?? '',
        new RegExp(`Line ${h1Line}`),
      );
      // The tabs still show what evaluated before the error (a hidden tab is drawn when the
      // panel is idle after its first paint, so wait for it).
      await frame
        .locator('vscode-tab-panel[data-tab="forward"] tr[data-node="X"]')
        .waitFor({ state: 'attached', timeout: 10_000 });
      note(`error shown: ${message}`);
      note(`screenshot: ${await screenshot('explain-backprop-error')}`);

      // "Go to line" puts the cursor on the error in the editor.
      const column = Number(await error.getAttribute('data-column'));
      await error.locator('vscode-button.reveal').click();
      await cursorAt(page, h1Line, column);
    },
  },
  {
    name: 'the keybinding opens the panel, and a window reload restores it with the picked leaf',
    timeoutMs: 150_000,
    run: async (window, { screenshot, note }) => {
      const { page, workspace } = window;
      await openNoteAt(page, lineOf(workspace, 'H1 = relu(Z1)'));
      await page.keyboard.press('Control+K');
      await page.keyboard.press('b');
      const frame = webviewFrame(page);
      await frame.locator('#gradient[data-leaf="W1"]').waitFor({ timeout: 60_000 });
      await pickLeaf(frame, 'b1');
      // Give the webview a moment to save its state (setState is synchronous, the write is not).
      await page.waitForTimeout(1_000);

      // Reload as a user does (Developer: Reload Window): the workbench saves its state first.
      const started = Date.now();
      await runCommand(page, 'Developer: Reload Window');
      await page.waitForLoadState('load');
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      const restored = webviewFrame(page).locator('#gradient[data-leaf="b1"]');
      await restored.waitFor({ timeout: 60_000 });
      note(`reload → panel restored: ${Date.now() - started} ms`);
      assert.match(
        (await webviewFrame(page).locator('header .file').textContent()) ?? '',
        /two-layer-network\.md/,
      );
      note(`screenshot: ${await screenshot('explain-backprop-restored')}`);

      // The panel follows the theme: switch light ↔ dark and its colours change with it.
      const body = webviewFrame(page).locator('body');
      const colours = () =>
        body.evaluate((b) => {
          const style = b.ownerDocument.defaultView!.getComputedStyle(b);
          return `${style.color} on ${style.backgroundColor}`;
        });
      const before = await colours();
      await runCommand(page, 'Preferences: Toggle between Light/Dark Themes');
      const deadline = Date.now() + 15_000;
      let after = before;
      while (after === before && Date.now() < deadline) {
        await page.waitForTimeout(250);
        after = await colours();
      }
      assert.notEqual(after, before, 'the panel did not change colours with the theme');
      note(`theme switch: ${before} → ${after}`);
      note(`screenshot: ${await screenshot('explain-backprop-other-theme')}`);
    },
  },
];
