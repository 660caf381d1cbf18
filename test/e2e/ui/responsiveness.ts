// Issue 7, goal 3 (never blocking), in the real editor: typing into a ```model block that is
// deliberately slow to evaluate — and is evaluated live on every keystroke, in the engine worker —
// must paint each character as fast as typing into a note whose block is trivial.
//
// Measured in the page's clock: from the keydown event's own timestamp (when the browser received
// the key, so time spent waiting for a busy renderer counts) to the end of the frame that painted
// the character into the editor's .view-lines (a MutationObserver sees the DOM change; a message
// posted from there runs after that frame's paint). Only a loose bound is asserted (a frozen editor
// fails); the numbers are printed. The machine is shared: expect noise.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { UiTest, UiTestContext } from '../target';
import { quickInput } from '../harness';

/** Typed one key at a time into a comment of the block: 40 characters, no brackets or quotes. */
const TYPED = 'typing while the slow block runs live ok';
const MARKER = '# typed here:';
/** A brisk human pace: 8 keys a second. */
const KEY_INTERVAL_MS = 125;
/**
 * Loose bounds, so that only a frozen editor fails: the median key 10× over the 50 ms goal, the
 * slowest 100×. (On this 2-core machine shared by eight test runs, load average 17, even the
 * trivial note had single keys take 4.4 s, with its median under 100 ms.)
 */
const MEDIAN_BOUND_MS = 500;
const MAX_BOUND_MS = 5000;
/** After typing into the slow note: time for its last evaluation to end before the next turn. */
const SETTLE_MS = 6000;

/**
 * A note whose block chains `layers` + 1 matrix products (200×size)·(size×size) with relu/tanh,
 * ending in softmax and a loss. The slow note (45 layers, size 200) needs 46 × 8,000,000 =
 * 368,000,000 multiply–adds: about 1 s of worker time for one live evaluation on a quiet machine
 * (forward and backward), so a run is still going well after the next keystroke supersedes it and
 * is cut short (engine-client.ts restarts a worker still busy 750 ms after). That is over the
 * default live limits, so the test's workspace raises backpropNotes.live.maxElements to 500,000
 * (a product up to 20×, a block up to 1000× that).
 */
function note(layers: number, size = 100): string {
  const lines = [
    '# Typing test',
    '',
    '```model',
    MARKER,
    `input  X = randn(200, ${size}, seed=1)`,
    `param  W = randn(${size}, ${size}, seed=2)`,
    'target y = zeros(200)',
  ];
  let previous = 'X';
  for (let i = 1; i <= layers; i++) {
    lines.push(`H${i} = ${i % 2 ? 'relu' : 'tanh'}(${previous} @ W)`);
    previous = `H${i}`;
  }
  lines.push(`P = softmax(${previous} @ W)`, 'loss L = cross_entropy(P, y)', '```', '');
  return lines.join('\n');
}

/**
 * JavaScript run in the page (a string, so no bundler helper sneaks into it): starts recording,
 * for the focused editor, each printable keydown's timestamp and, for the n-th character to appear
 * after `marker` on its line, the time the DOM showed it and the time that frame was painted.
 */
const RECORD = `(marker) => {
  const editor = document.activeElement && document.activeElement.closest('.monaco-editor');
  if (!editor) throw new Error('no focused editor');
  const lines = editor.querySelector('.view-lines');
  const state = { downs: [], dom: [], painted: [], shown: 0 };
  const typedNow = () => {
    for (const line of lines.querySelectorAll('.view-line')) {
      const text = (line.textContent || '').replace(/\\u00a0/g, ' ');
      const at = text.indexOf(marker);
      if (at >= 0) return text.slice(at + marker.length);
    }
    return null;
  };
  state.baseline = (typedNow() || '').length;
  window.addEventListener('keydown', (e) => { if (e.key.length === 1) state.downs.push(e.timeStamp); }, true);
  // A message posted while a frame is being produced runs after that frame is painted.
  const channel = new MessageChannel();
  const waiting = [];
  channel.port1.onmessage = () => {
    const now = performance.now();
    for (const i of waiting.splice(0)) state.painted[i] = now;
  };
  new MutationObserver(() => {
    const now = performance.now();
    const typed = typedNow();
    if (typed === null) return;
    const n = typed.length - state.baseline;
    if (n <= state.shown) return;
    for (; state.shown < n; state.shown++) {
      state.dom[state.shown] = now;
      waiting.push(state.shown);
    }
    channel.port2.postMessage(0);
  }).observe(lines, { subtree: true, childList: true, characterData: true });
  window.__typing = state;
  state.typed = typedNow;
}`;

/** In the page: whether the line starting with `prefix` has a preview (⟶, text or ::after). */
const HAS_PREVIEW = `(prefix) => Array.from(document.querySelectorAll('.monaco-editor .view-line')).some(
  (line) =>
    (line.textContent || '').replace(/\\u00a0/g, ' ').startsWith(prefix) &&
    Array.from(line.querySelectorAll('span')).some(
      (span) => /⟶/.test(span.textContent || '') || /⟶/.test(getComputedStyle(span, '::after').content),
    ),
)`;

interface Recorded {
  downs: number[];
  dom: number[];
  painted: number[];
  shown: number;
}

interface Latencies {
  painted: number[];
  dom: number[];
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

function summary(xs: number[]): string {
  return `median ${percentile(xs, 50).toFixed(1)} ms, p95 ${percentile(xs, 95).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
}

/** The extension's own log ("Backprop Notes.log") of this window's server, or '' if none yet. */
function extensionLog(workspace: string): string {
  // The workspace copy is <server temp>/window-N/samples; the logs are under <server temp>.
  const temp = join(workspace, '..', '..');
  return readdirSync(temp, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('Backprop Notes.log'))
    .map((path) => readFileSync(join(temp, path), 'utf8'))
    .join('\n');
}

/**
 * Opens `file` (in the workspace), puts the cursor at the end of the marker comment (after
 * `before`, typed there by an earlier call), types `keys` at KEY_INTERVAL_MS, saves, and returns
 * each character's latency.
 */
async function typeInto(
  page: Page,
  workspace: string,
  file: string,
  text: string,
  before: string,
  keys: string,
): Promise<Latencies> {
  await page.locator('.monaco-workbench .part.editor').click({ position: { x: 200, y: 200 } });
  // By its absolute path: quick open then looks the file up instead of searching its index,
  // which may not have caught up with files written a moment ago (on a loaded machine).
  await quickInput(page, join(workspace, file), file);
  await page.locator('.tab.active', { hasText: file }).waitFor({ timeout: 15_000 });
  // The note has been evaluated (its loss in the CodeLens above the block): typing starts from a
  // settled editor, as a user's would.
  await page
    .locator('.codelens-decoration', { hasText: /L = / })
    .first()
    .waitFor({ timeout: 60_000 });
  const markerLine = text.split('\n').indexOf(MARKER) + 1;
  await quickInput(page, `:${markerLine}`, new RegExp(`line ${markerLine}\\b`, 'i'));
  await page.keyboard.press('End');
  if (before === '') await page.keyboard.type(' ');
  await page.evaluate(`(${RECORD})(${JSON.stringify(MARKER + ' ')})`);
  for (const ch of keys) {
    const next = Date.now() + KEY_INTERVAL_MS;
    await page.keyboard.type(ch);
    const wait = next - Date.now();
    if (wait > 0) await page.waitForTimeout(wait);
  }
  await page.waitForFunction(`window.__typing.painted.length >= ${keys.length}`, undefined, {
    timeout: 30_000,
  });
  const recorded = (await page.evaluate(
    '({ ...window.__typing, typedNow: window.__typing.typed() })',
  )) as Recorded & { typedNow: string };
  assert.equal(recorded.downs.length, keys.length, 'one keydown per typed character');
  assert.equal(recorded.shown, keys.length, 'every typed character was painted');
  assert.equal(recorded.typedNow, before + keys, 'the editor shows exactly what was typed');
  // Saved, the file holds the note with the comment typed in, byte for byte.
  await page.keyboard.press('Control+S');
  const want = text.replace(MARKER, `${MARKER} ${before}${keys}`);
  const deadline = Date.now() + 15_000;
  while (readFileSync(join(workspace, file), 'utf8') !== want) {
    assert.ok(Date.now() < deadline, `${file} on disk is not the typed text after saving`);
    await page.waitForTimeout(100);
  }
  return {
    painted: recorded.downs.map((down, i) => recorded.painted[i] - down),
    dom: recorded.downs.map((down, i) => recorded.dom[i] - down),
  };
}

function report(noteLine: UiTestContext['note'], label: string, l: Latencies): void {
  noteLine(`${label}: keydown → painted: ${summary(l.painted)} (keydown → DOM: ${summary(l.dom)})`);
}

export const responsivenessUiTests: UiTest[] = [
  {
    name: 'responsiveness: typing into a slow live block paints each key as fast as a trivial one',
    timeoutMs: 240_000,
    run: async (window, { screenshot, note: noteLine }) => {
      const { page, workspace } = window;
      noteLine(
        `${TYPED.length} keys per note (two turns of ${TYPED.length / 2}), one every ${KEY_INTERVAL_MS} ms; load average before: ${loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')}`,
      );

      const baselineNote = note(1);
      const slowNote = note(45, 200);
      mkdirSync(join(workspace, '.vscode'), { recursive: true });
      writeFileSync(
        join(workspace, '.vscode', 'settings.json'),
        JSON.stringify({ 'backpropNotes.live.maxElements': 500_000 }),
      );
      for (const file of ['typing-warm-up.md', 'typing-baseline.md'])
        writeFileSync(join(workspace, file), baselineNote);
      writeFileSync(join(workspace, 'typing-slow-block.md'), slowNote);

      // The first typing in a fresh window is slower (VS Code is still loading): printed, not
      // compared.
      const cold = await typeInto(page, workspace, 'typing-warm-up.md', baselineNote, '', TYPED);
      report(noteLine, 'warm-up (1-layer block, first typing in the window)', cold);

      // The two notes in turns, half the keys each time, so that both see the same load (the
      // machine is shared); after each slow turn, a pause for its last evaluation to end.
      const logBefore = extensionLog(workspace);
      const half = TYPED.length / 2;
      const baseline: Latencies = { painted: [], dom: [] };
      const slow: Latencies = { painted: [], dom: [] };
      for (const [before, keys] of [
        ['', TYPED.slice(0, half)],
        [TYPED.slice(0, half), TYPED.slice(half)],
      ]) {
        const b = await typeInto(page, workspace, 'typing-baseline.md', baselineNote, before, keys);
        const s = await typeInto(page, workspace, 'typing-slow-block.md', slowNote, before, keys);
        for (const [all, one] of [
          [baseline, b],
          [slow, s],
        ]) {
          all.painted.push(...one.painted);
          all.dom.push(...one.dom);
        }
        await page.waitForTimeout(SETTLE_MS);
      }
      report(noteLine, 'baseline (1-layer block)', baseline);
      report(noteLine, 'slow block (46 × (200×200)·(200×200), live)', slow);
      noteLine(
        `load average after: ${loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')}`,
      );

      // The block really was being evaluated while typing: runs were still going when the next
      // keystroke came, and were cut short by restarting the worker (engine-client.ts).
      const log = extensionLog(workspace).slice(logBefore.length);
      const cut = log.match(/live: engine: run \d+ superseded and still going/g)?.length ?? 0;
      noteLine(`live runs cut short by a newer keystroke (worker restarted): ${cut}`);
      assert.ok(cut >= 1, `no live run was superseded while typing; the log:\n${log}`);
      noteLine(`screenshot: ${await screenshot('typing-slow-block')}`);
      // And the block is evaluated at all (the default limits let it through): the softmax
      // preview is painted at the end of the P line.
      const pLine = slowNote.split('\n').findIndex((l) => l.startsWith('P = softmax(')) + 1;
      await quickInput(page, `:${pLine}`, new RegExp(`line ${pLine}\\b`, 'i'));
      await page.waitForFunction(`(${HAS_PREVIEW})('P = softmax(')`, undefined, {
        timeout: 60_000,
      });
      noteLine(`screenshot: ${await screenshot('typing-slow-block-preview')}`);

      // Closing the note while its block is being evaluated cancels that run (live-insights.ts
      // logs it): one more key starts a run (a second or more), then save and close at once.
      const logBeforeClose = extensionLog(workspace).length;
      await page.keyboard.press('End');
      await page.keyboard.type(' ');
      await page.keyboard.press('Control+S');
      await page.locator('.tab.active', { hasText: 'typing-slow-block.md' }).waitFor();
      await page.locator('.tab.active:not(.dirty)').waitFor({ timeout: 10_000 });
      const closedAt = Date.now();
      await page.locator('.tab.active .tab-actions .action-label').click();
      const cancelled =
        /typing-slow-block\.md closed \(or no longer a note\): its evaluation in flight is cancelled/;
      const closeDeadline = Date.now() + 20_000;
      while (!cancelled.test(extensionLog(workspace).slice(logBeforeClose))) {
        assert.ok(
          Date.now() < closeDeadline,
          `closing the note did not cancel its run; the log:\n${extensionLog(workspace).slice(logBeforeClose)}`,
        );
        await page.waitForTimeout(100);
      }
      noteLine(
        `closed the note mid-run: its run cancelled (logged ${Date.now() - closedAt} ms after the click)`,
      );

      for (const [label, l] of [
        ['baseline', baseline],
        ['slow block', slow],
      ] as const) {
        const median = percentile(l.painted, 50);
        const max = Math.max(...l.painted);
        assert.ok(median < MEDIAN_BOUND_MS, `${label}: keys took ${median.toFixed(0)} ms (median)`);
        assert.ok(
          max < MAX_BOUND_MS,
          `${label}: a key took ${max.toFixed(0)} ms: the editor froze`,
        );
      }
    },
  },
];
