// Playwright tests of the inline softmax preview in the real editor: the text VS Code paints at
// the end of the softmax line equals the CLI's probabilities, and follows edits to the weights.
// Also measures the time from an edit to the updated preview (page clock, median of several runs).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { compactNumber } from '../../../src/render/format';
import type { JsonDocument } from '../../../src/render/json';
import { quickInput, repoRoot } from '../harness';
import type { UiTest } from '../target';

const NOTE = 'two-layer-network.md';
const SOFTMAX_LINE = 'P  = softmax(Z2)';
const W2_LINE = 'param  W2 = randn(3, 2, seed=';

/** The CLI's probabilities P for the note's text (after `edit`), as the preview should print them. */
function expectedPreview(text: string): { text: string; rows: number[][]; loss: string } {
  const run = spawnSync(
    process.execPath,
    [join(repoRoot, 'dist', 'cli.js'), 'explain', '-', '--kind', 'markdown', '--format', 'json'],
    { input: text, encoding: 'utf8' },
  );
  assert.ok(run.stdout, `the CLI printed nothing (exit ${run.status}): ${run.stderr}`);
  const block = (JSON.parse(run.stdout) as JsonDocument).blocks[0];
  const p = block.nodes.find((n) => n.name === 'P');
  assert.ok(p, 'the CLI has no P');
  const rows = p.value as number[][];
  return {
    rows,
    loss: `L = ${compactNumber(block.root!.value as number, 4)}`,
    text: `⟶ ${rows.map((r) => `[${r.map((x) => x.toFixed(2)).join(' ')}]`).join(' ')}  Σ=1`,
  };
}

async function goToLine(page: Page, line: number): Promise<void> {
  await quickInput(page, `:${line}`, new RegExp(`line ${line}\\b`, 'i'));
  await page
    .locator('[id="status.editor.selection"]')
    .filter({ hasText: `Ln ${line},` })
    .waitFor({ timeout: 10_000 });
}

/**
 * JavaScript run in the page (a string, so no bundler helper sneaks into it): the after-line
 * decoration text of the editor line whose text starts with `prefix` — VS Code's injected text,
 * or the ::after content of the empty span it paints it with — and where it is drawn relative to
 * the line's own text. Null when no such line is rendered.
 */
const READ_PREVIEW = `(prefix) => {
  const clean = (s) => s.replace(/\\u00a0/g, ' ');
  const decorationText = (span) => {
    if (/⟶/.test(span.textContent || '')) return span.textContent;
    const after = getComputedStyle(span, '::after').content;
    return after && after !== 'none' && after !== 'normal' && /⟶/.test(after) ? after.slice(1, -1) : null;
  };
  for (const line of Array.from(document.querySelectorAll('.monaco-editor .view-line'))) {
    const spans = Array.from(line.querySelectorAll('span span'));
    const decoration = spans.find((s) => decorationText(s) !== null);
    const own = spans.filter((s) => s !== decoration && (s.textContent || '') !== '');
    if (!clean(own.map((s) => s.textContent || '').join('')).startsWith(prefix)) continue;
    const textRight = Math.max(...own.map((s) => s.getBoundingClientRect().right));
    if (!decoration) return { text: '', left: 0, textRight };
    return {
      text: clean(decorationText(decoration)),
      left: decoration.getBoundingClientRect().left,
      textRight,
    };
  }
  return null;
}`;

interface Preview {
  text: string;
  left: number;
  textRight: number;
}

async function previewOn(page: Page, prefix: string): Promise<Preview | null> {
  return page.evaluate(`(${READ_PREVIEW})(${JSON.stringify(prefix)})`) as Promise<Preview | null>;
}

/** Resolves with the page's clock when the preview on the line reads `want` (any text if null). */
async function waitForPreview(
  page: Page,
  prefix: string,
  want: string | null,
  timeout: number,
): Promise<number> {
  const expression = `(() => {
    const r = (${READ_PREVIEW})(${JSON.stringify(prefix)});
    const want = ${JSON.stringify(want)};
    return r !== null && r.text !== '' && (want === null || r.text === want) ? performance.now() : false;
  })()`;
  const handle = await page.waitForFunction(expression, undefined, { timeout, polling: 'raf' });
  return (await handle.jsonValue()) as number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const previewUiTests: UiTest[] = [
  {
    name: 'softmax preview at the end of the softmax line: the CLI’s values, updated after an edit',
    timeoutMs: 180_000,
    run: async (window, { screenshot, note }) => {
      const { page, workspace } = window;
      const original = readFileSync(join(workspace, NOTE), 'utf8');
      const lines = original.split('\n');
      const softmaxLine = lines.findIndex((l) => l.startsWith(SOFTMAX_LINE)) + 1;
      const w2Line = lines.findIndex((l) => l.startsWith(W2_LINE)) + 1;
      assert.ok(softmaxLine > 0 && w2Line > 0);
      const expected = expectedPreview(original);

      await page.locator('.monaco-workbench .part.editor').click({ position: { x: 200, y: 200 } });
      await quickInput(page, NOTE, NOTE);
      await page.locator('.tab.active', { hasText: NOTE }).waitFor({ timeout: 15_000 });
      await goToLine(page, softmaxLine);
      const started = Date.now();
      await waitForPreview(page, SOFTMAX_LINE, null, 60_000);
      note(`note opened → preview painted: ${Date.now() - started} ms (activation, worker start)`);
      const shown = await previewOn(page, SOFTMAX_LINE);
      assert.ok(shown);
      assert.equal(shown.text, expected.text, 'the preview prints the CLI’s P to 2 decimals');
      assert.ok(shown.left >= shown.textRight, 'drawn after the end of the line’s text');
      const numbers = shown.text.match(/\d\.\d\d/g)!.map(Number);
      expected.rows.flat().forEach((x, i) => assert.ok(Math.abs(numbers[i] - x) <= 0.005));
      note(`preview: ${shown.text}`);
      note(`screenshot: ${await screenshot('softmax-preview')}`);

      // Edit W2's seed one digit at a time; each edit must bring the CLI's new P into view.
      await goToLine(page, w2Line);
      const seeds = [3, 4, 5, 6, 7, 8, 9, 2];
      const latencies: number[] = [];
      let text = original;
      for (const seed of seeds) {
        text = text.replace(/(param {2}W2 = randn\(3, 2, seed=)\d/, `$1${seed}`);
        const want = expectedPreview(text).text;
        await page.keyboard.press('End');
        await page.keyboard.press('ArrowLeft');
        await page.keyboard.press('Shift+ArrowLeft');
        const t0 = (await page.evaluate('performance.now()')) as number;
        await page.keyboard.type(String(seed));
        latencies.push((await waitForPreview(page, SOFTMAX_LINE, want, 20_000)) - t0);
      }
      const last = await previewOn(page, SOFTMAX_LINE);
      assert.equal(last?.text, expected.text, 'back to seed=2: the first preview again');
      // The CodeLens above the block catches up (VS Code refreshes lenses on its own schedule).
      const lenses = page.locator('.codelens-decoration');
      await lenses.filter({ hasText: expected.loss }).first().waitFor({ timeout: 15_000 });
      const lensText = (await lenses.first().textContent()) ?? '';
      assert.match(lensText, /Explain Backprop\s*\|\s*Check Gradients\s*\|\s*L = /);
      note(`CodeLens: ${lensText}`);
      note(
        `edit → updated preview: median ${median(latencies).toFixed(0)} ms over ${latencies.length} edits ` +
          `(each ${latencies.map((ms) => ms.toFixed(0)).join(', ')} ms; page clock, keypress to painted text)`,
      );
      note(`screenshot: ${await screenshot('softmax-preview-after-edits')}`);
    },
  },
];
