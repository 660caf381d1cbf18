// npm run package's .vsix: what it holds, and — in a real VS Code (code-server 4.100.3) whose
// display language is Korean — that it installs (--install-extension, before the server starts),
// that its commands are listed with Korean titles and run, and that the Explanation panel's
// labels and the extension's messages are Korean. One window serves every check.
// The VS Code part is skipped with BACKPROP_NOTES_SKIP_E2E=1, like the other e2e tests.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { packageExtension, vsixEntries, vsixFile } from '../../scripts/package.mjs';
import {
  type VSCodeSession,
  formatLogs,
  repoRoot,
  runCommand,
  screenshot,
  skipE2E,
  startVSCode,
  webviewFrame,
} from './harness';
import { packKoreanLanguagePack } from './korean-language-pack';

const NOTE = 'two-layer-network.md';
const temp = mkdtempSync(join(tmpdir(), 'backprop-notes-vsix-'));
let vsixPromise: Promise<string> | undefined;
/** Packs once for both suites. */
const packaged = () =>
  (vsixPromise ??= packageExtension({ out: join(temp, 'backprop-notes.vsix'), quiet: true }));

after(() => rmSync(temp, { recursive: true, force: true }));

describe('npm run package', () => {
  it(
    'packs the production bundles, translations and assets, and nothing else',
    { timeout: 120_000 },
    async () => {
      const entries = (await vsixEntries(await packaged())).filter((e) =>
        e.startsWith('extension/'),
      );
      const files = entries.map((e) => e.slice('extension/'.length));
      for (const needed of [
        'package.json',
        'package.nls.json',
        'package.nls.ko.json',
        'l10n/bundle.l10n.json',
        'l10n/bundle.l10n.ko.json',
        'dist/extension.js',
        'dist/worker.js',
        'dist/webview.js',
        'dist/webview.css',
        'dist/katex/katex.min.css',
        'dist/web/extension.js',
        'dist/web/worker.js',
        'syntaxes/model-spec.tmLanguage.json',
        'syntaxes/markdown-model-spec.tmLanguage.json',
        'snippets/model-spec.code-snippets',
        'snippets/markdown.code-snippets',
        'media/language-configuration.json',
        'readme.md',
        'LICENSE.txt',
        'THIRD_PARTY_NOTICES.md',
      ]) {
        assert.ok(files.includes(needed), `${needed} is not in the .vsix`);
      }
      const unexpected = files.filter(
        (f) =>
          !/^(dist\/|l10n\/|media\/|syntaxes\/|snippets\/)/.test(f) &&
          !/^(package(\.nls(\.[a-z-]+)?)?\.json|readme\.md|LICENSE\.txt|THIRD_PARTY_NOTICES\.md)$/.test(
            f,
          ),
      );
      assert.deepEqual(unexpected, [], 'only the listed folders and files ship');
      assert.deepEqual(
        files.filter((f) => f.endsWith('.map') || f === 'dist/cli.js'),
        [],
        'no source maps, no CLI',
      );
    },
  );

  it(
    'ships THIRD_PARTY_NOTICES.md: each bundled package, the .vsix files it is in, its licence text',
    { timeout: 120_000 },
    async () => {
      const vsix = await packaged();
      const files = new Set((await vsixEntries(vsix)).map((e) => e.replace(/^extension\//, '')));
      const notice = (await vsixFile(vsix, 'extension/THIRD_PARTY_NOTICES.md')).toString('utf8');
      const rows = notice
        .split('\n')
        .filter((l) => l.startsWith('| ') && !/^\| (Package|-)/.test(l))
        .map((l) => l.split('|').map((c) => c.trim()));
      const names = rows.map((r) => r[1]);
      for (const expected of ['katex', '@dagrejs/dagre', '@dagrejs/graphlib', 'lit-html']) {
        assert.ok(names.includes(expected), `${expected} is in the notice: ${names.join(', ')}`);
      }
      for (const [, name, version, licence, shippedIn] of rows) {
        assert.match(version, /^\d+\.\d+\.\d+/);
        assert.ok(licence, `${name} has a licence`);
        // Each file named (a pattern such as dist/katex/fonts/*.woff2 stands for several) ships.
        for (const item of shippedIn.split(', ')) {
          const pattern = item.replace(/ \(\d+ files\)$/, '');
          const re = new RegExp(
            `^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace('*', '[^/]+')}$`,
          );
          assert.ok(
            [...files].some((f) => re.test(f)),
            `${name}: ${pattern} is not in the .vsix`,
          );
        }
        const section = notice.split(`\n## ${name} ${version}\n`)[1];
        assert.match(section ?? '', /^```+text\n[\s\S]{200,}?\n```+$/m, `${name}'s licence text`);
      }
    },
  );

  it('declares virtual workspaces and Restricted Mode (limited: the limit settings) as the repo does', async () => {
    type Capabilities = {
      untrustedWorkspaces: { supported: unknown; restrictedConfigurations: string[] };
      virtualWorkspaces: unknown;
    };
    const manifest = JSON.parse(
      (await vsixFile(await packaged(), 'extension/package.json')).toString('utf8'),
    ) as { capabilities: Capabilities };
    const repo = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      capabilities: Capabilities;
    };
    assert.deepEqual(manifest.capabilities, repo.capabilities);
    assert.equal(manifest.capabilities.virtualWorkspaces, true);
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok(
      manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes(
        'backpropNotes.limits.maxElements',
      ),
    );
  });
});

describe('the .vsix in VS Code with Korean as its display language', { skip: skipE2E }, () => {
  let vs: VSCodeSession | undefined;
  let page: Page;
  const timings: string[] = [];
  const started = Date.now();
  const mark = (what: string) =>
    timings.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)} s`);

  before(
    async () => {
      const [vsix, pack] = await Promise.all([
        packaged(),
        packKoreanLanguagePack(join(temp, 'korean.vsix')),
      ]);
      mark('packed');
      // No extensionDevelopmentPath: the extension is the installed .vsix.
      vs = await startVSCode({
        workspace: join(repoRoot, 'samples'),
        installExtensions: [vsix, pack],
        locale: 'ko',
      });
      page = vs.page;
      mark('VS Code started');
    },
    { timeout: 600_000 },
  );

  after(async () => {
    await vs?.close();
  });

  /** Runs `check`; on failure saves a screenshot and adds the window's last log lines. */
  async function withEvidence(name: string, check: () => Promise<void>): Promise<void> {
    try {
      await check();
    } catch (error) {
      const shot = await screenshot(page, `FAILED-${name}`).catch(() => 'none');
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}\nScreenshot: ${shot}\n` +
          `Window log (last 40 lines):\n${formatLogs((vs?.logs ?? []).slice(-40))}`,
        { cause: error },
      );
    }
  }

  it(
    'lists the installed extension’s commands with Korean titles',
    { timeout: 120_000 },
    async (t) => {
      await withEvidence('korean-command-palette', async () => {
        const titles = await paletteTitles(page, 'Backprop Notes');
        for (const title of [
          '역전파 설명',
          '기울기 검사',
          '인라인 미리 보기 켜기/끄기',
          '로그 표시',
          '새 학습 노트',
        ]) {
          assert.ok(
            titles.includes(`Backprop Notes: ${title}`),
            `no “${title}” in ${JSON.stringify(titles)}`,
          );
        }
        assert.ok(
          !titles.some((x) => /Explain Backprop|Check Gradients/.test(x)),
          'English titles left',
        );
        t.diagnostic(`screenshot: ${await screenshot(page, 'korean-command-palette')}`);
        await page.keyboard.press('Escape');
        await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5_000 });
        mark('palette checked');
      });
    },
  );

  it(
    '역전파 설명 runs from the .vsix and the panel speaks Korean',
    { timeout: 180_000 },
    async (t) => {
      await withEvidence('korean-explain', async () => {
        await openNote(page, NOTE, 30);
        await runCommand(page, 'Backprop Notes: 역전파 설명', 60_000);
        const frame = webviewFrame(page);
        await frame.locator('#gradient[data-leaf]').waitFor({ timeout: 90_000 });
        mark('panel drawn');
        assert.equal(await frame.locator('html').getAttribute('lang'), 'ko');
        const text = async (selector: string) =>
          ((await frame.locator(selector).first().textContent()) ?? '').trim();
        assert.match(await text('vscode-tab-header[data-tab="forward"]'), /^순전파/);
        assert.match(await text('vscode-tab-header[data-tab="backward"]'), /^역전파/);
        assert.match(await text('vscode-tab-header[data-tab="check"]'), /^기울기 검사/);
        assert.equal(await text('.chain h2'), '연쇄 법칙');
        assert.equal(await text('.steps h2'), '단계별 역전파');
        assert.equal(await text('#gradient h2'), '기울기');
        assert.match(await text('header .where'), /^블록 1\/1, \d+번째 줄$/);
        assert.equal(await text('.picker label'), '기울기를 구할 대상');
        await page.locator('.tab', { hasText: `역전파: ${NOTE}` }).waitFor({ timeout: 10_000 });
        t.diagnostic(`screenshot: ${await screenshot(page, 'korean-ui')}`);
        await checkTab(frame);
        t.diagnostic(`screenshot: ${await screenshot(page, 'korean-ui-gradient-check')}`);
      });
    },
  );

  it(
    '기울기 검사 reports in Korean, 새 학습 노트 opens the sample',
    { timeout: 120_000 },
    async (t) => {
      await withEvidence('korean-check-and-note', async () => {
        await openNote(page, NOTE, 30);
        await runCommand(page, 'Backprop Notes: 기울기 검사', 60_000);
        // Every gradient of the sample is good: the summary goes to the status bar.
        await page
          .locator('.statusbar', { hasText: /기울기 검사: 텐서 \d+개 — 좋음 \d+개/ })
          .waitFor({ timeout: 60_000 });
        // The Problems panel: the check's results and the live notes, worded in Korean by the
        // engine worker (src/editor-insights through the bundle EngineClient sent it).
        await page.keyboard.press('Control+Shift+M');
        const problems = page.locator('.markers-panel');
        await problems
          .locator('.monaco-list-row', { hasText: /∂L\/∂W1: 좋음\. 최대 상대 오차/ })
          .first()
          .waitFor({ timeout: 20_000 });
        await problems
          .locator('.monaco-list-row', { hasText: 'softmax 다음에 cross_entropy' })
          .first()
          .waitFor({ timeout: 10_000 });
        t.diagnostic(`screenshot: ${await screenshot(page, 'korean-problems')}`);
        await runCommand(page, 'Backprop Notes: 새 학습 노트', 30_000);
        await page
          .locator('.monaco-editor .view-lines', { hasText: '2층 신경망의 역전파' })
          .first()
          .waitFor({ timeout: 20_000 });
        await page
          .locator('.tab.active', { hasText: /Untitled|제목 없음/ })
          .waitFor({ timeout: 10_000 });
        mark('check and new note');
      });
    },
  );

  it(
    'the .vsix’s grammars colour .model files and ```model fences (VS Code’s token inspector)',
    { timeout: 120_000 },
    async () => {
      await withEvidence('korean-token-scopes', async () => {
        await openNote(page, 'xor.model', 9);
        const role = await scopesAt(page, 9, 1);
        assert.match(role, /storage\.modifier\.role\.model-spec/);
        assert.match(role, /source\.model-spec/);
        assert.match(await scopesAt(page, 9, 13), /support\.function\.builtin\.value\.model-spec/);
        await openNote(page, NOTE, 23);
        const inNote = await scopesAt(page, 23, 1);
        assert.match(inNote, /storage\.modifier\.role\.model-spec/);
        assert.match(inNote, /meta\.embedded\.block\.model-spec/);
        assert.match(inNote, /text\.html\.markdown/);
        mark('grammars');
      });
    },
  );

  after(() => console.error(`package e2e timings: ${timings.join(', ')}`));
});

/**
 * The titles the command palette lists for `query`: each row's first label (in a language other
 * than English VS Code shows the English title under it, as a second label).
 */
async function paletteTitles(page: Page, query: string): Promise<string[]> {
  const widget = page.locator('.quick-input-widget');
  for (let attempt = 1; ; attempt++) {
    await page.locator('.monaco-workbench .part.editor').click({ position: { x: 20, y: 20 } });
    await page.keyboard.press('F1');
    await widget.locator('input.input').fill(`>${query}`);
    try {
      await widget
        .locator('.monaco-list-row', { hasText: query })
        .first()
        .waitFor({ timeout: 3_000 });
      await page.waitForTimeout(300); // the list fills in one go; let it settle
      const rows = widget.locator('.monaco-list-row');
      const titles: string[] = [];
      for (let i = 0; i < (await rows.count()); i++) {
        const label = await rows.nth(i).locator('.label-name').first().textContent();
        titles.push((label ?? '').replace(/\s+/g, ' ').trim());
      }
      return titles;
    } catch (error) {
      await page.keyboard.press('Escape');
      if (attempt === 20) throw error;
      await page.waitForTimeout(1_000);
    }
  }
}

/** Opens `note` with quick open and puts the cursor on its 1-based `line`. */
async function openNote(page: Page, note: string, line: number): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const pick = async (text: string, row: string | RegExp) => {
    await page.locator('.monaco-workbench .part.editor').click({ position: { x: 200, y: 200 } });
    await page.keyboard.press('F1');
    await widget.locator('input.input').fill(text);
    await widget.locator('.monaco-list-row', { hasText: row }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
    await widget.waitFor({ state: 'hidden', timeout: 5_000 });
  };
  await pick(note, note);
  // .first(): the panel's tab (“역전파: <note>”) names the note too.
  await page.locator('.tab.active', { hasText: note }).first().waitFor({ timeout: 15_000 });
  await pick(`:${line}`, new RegExp(`\\b${line}\\b`));
  await page
    .locator('[id="status.editor.selection"]')
    .filter({ hasText: new RegExp(`\\b${line}\\b`) })
    .waitFor({ timeout: 10_000 });
}

/**
 * The TextMate scopes at a 1-based line and column of the active editor, as VS Code's
 * “Developer: Inspect Editor Tokens and Scopes” lists them (innermost first).
 */
async function scopesAt(page: Page, line: number, column: number): Promise<string> {
  const widget = page.locator('.quick-input-widget');
  await page.keyboard.press('F1');
  await widget.locator('input.input').fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden', timeout: 5_000 });
  await page
    .locator('[id="status.editor.selection"]')
    .filter({ hasText: new RegExp(`\\b${line}\\D+${column}\\b`) })
    .waitFor({ timeout: 10_000 });
  // From the keyboard, not runCommand: its click on the editor area could pick another tab.
  const command = 'Developer: Inspect Editor Tokens and Scopes';
  await page.keyboard.press('F1');
  await widget.locator('input.input').fill(`>${command}`);
  await widget
    .locator('.monaco-list-row', { hasText: command })
    .first()
    .waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  const inspector = page.locator('.token-inspect-widget');
  // The widget fills in once the token is resolved.
  await inspector.filter({ hasText: /textmate scopes/i }).waitFor({ timeout: 10_000 });
  const text = (await inspector.textContent()) ?? '';
  await page.keyboard.press('Escape');
  await inspector.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
  return text;
}

/** Shows the Gradient check tab and checks its Korean table. */
async function checkTab(frame: FrameLocator): Promise<void> {
  await frame.locator('vscode-tab-header[data-tab="check"]').click();
  const summary = frame.locator('.check .summary');
  await summary.waitFor({ timeout: 10_000 });
  assert.match(
    (await summary.textContent()) ?? '',
    /모든 해석적 기울기가 중앙 유한 차분과 일치합니다/,
  );
  const headers = await frame.locator('.check table.checks th').allTextContents();
  assert.deepEqual(headers.slice(0, 2), ['텐서', '판정']);
  assert.equal(
    ((await frame.locator('.check table.checks .grade').first().textContent()) ?? '').trim(),
    '좋음',
  );
}
