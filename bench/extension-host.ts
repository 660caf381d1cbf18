// The extension-side measurements of issue 5, run INSIDE VS Code's extension host of one window
// (bundled by bench/extension.ts as that window's `extensionTestsPath`). One window = one cold
// start: the numbers go to the window's log as one `BENCH_EXTENSION_RESULT {json}` line, which
// bench/extension.ts collects. Nothing here asserts a time: this is a benchmark, not a test.
// eslint-disable-next-line no-restricted-imports -- this module runs inside the extension host
import * as vscode from 'vscode';
import type { BackpropNotesApi } from '../src/extension/extension';
import { commandIds, explanationViewType, extensionId } from '../src/extension/ids';
import { RESULT_MARKER, type Timeline, type WindowResult } from './extension-result';
import { sixtyStatementBlock } from './live-block';

const runs = Number(process.env.BENCH_EXTENSION_RUNS ?? '5');

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function panelTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter(
      (tab) =>
        tab.input instanceof vscode.TabInputWebview &&
        tab.input.viewType.endsWith(explanationViewType),
    );
}

export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension<BackpropNotesApi>(extensionId);
  if (!extension) throw new Error(`${extensionId} is not loaded as a development extension.`);
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('No workspace folder is open.');

  // Opening the note activates the extension (onLanguage:markdown), as for a user.
  const note = vscode.Uri.joinPath(folder.uri, 'two-layer-network.md');
  const document = await vscode.workspace.openTextDocument(note);
  const editor = await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
  const line = document
    .getText()
    .split('\n')
    .findIndex((l) => /^Z1 = /.test(l));
  editor.selection = new vscode.Selection(line, 0, line, 0);
  const api = await extension.activate();
  // Let the live previews of the note finish first: the explain timing is the command's own.
  await api.liveInsights(note);
  await sleep(500);

  const timelines: Timeline[] = [];
  const explain = async (kind: Timeline['kind']): Promise<number> => {
    const since = api.renderCount();
    const started = performance.now();
    const commandAt = Date.now();
    await vscode.commands.executeCommand(commandIds.explainBackprop);
    const render = await api.waitForRender((m) => m.what === 'explanation', {
      since,
      timeoutMs: 60_000,
    });
    const elapsed = performance.now() - started;
    const marks: Record<string, number> = { command: 0, rendered: Date.now() - commandAt };
    for (const [name, at] of Object.entries(render.timing ?? {})) {
      marks[name] = name.startsWith('ms.') ? at : at - commandAt;
    }
    timelines.push({ kind, marks });
    return elapsed;
  };
  const focusNote = async () => {
    const shown = await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    shown.selection = new vscode.Selection(line, 0, line, 0);
  };

  const coldExplainMs = await explain('cold');
  const warmOpenPanelMs: number[] = [];
  const warmNewPanelMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    await focusNote();
    await sleep(200);
    warmOpenPanelMs.push(await explain('open'));
  }
  for (let i = 0; i < runs; i++) {
    await vscode.window.tabGroups.close(panelTabs());
    await focusNote();
    await sleep(300);
    warmNewPanelMs.push(await explain('new'));
  }
  await vscode.window.tabGroups.close(panelTabs());

  // Edit → preview on a 60-statement block.
  const statements = 60;
  const model = vscode.Uri.joinPath(folder.uri, 'bench-60-statements.model');
  await vscode.workspace.fs.writeFile(model, new TextEncoder().encode(sixtyStatementBlock()));
  const modelDoc = await vscode.workspace.openTextDocument(model);
  const modelEditor = await vscode.window.showTextDocument(modelDoc, vscode.ViewColumn.One);
  const first = await api.liveInsights(model);
  if (!first || first.blocks.length === 0)
    throw new Error('The 60-statement block got no live answer.');
  const editEngineMs: number[] = [];
  const editLatencyMs: number[] = [];
  const literal = modelDoc.lineAt(0).text.indexOf('1.0');
  for (let i = 0; i < runs * 2; i++) {
    await sleep(300); // past the scheduler's cooldown: each edit is answered on its own
    const value = (1 + (i + 1) / 8).toFixed(3);
    await modelEditor.edit((edit) =>
      edit.replace(
        new vscode.Range(0, literal, 0, modelDoc.lineAt(0).text.indexOf(',', literal)),
        value,
      ),
    );
    const before = api.liveLatencies().length;
    let answer = await api.liveInsights(model);
    for (let wait = 0; answer?.version !== modelDoc.version && wait < 100; wait++) {
      await sleep(20);
      answer = await api.liveInsights(model);
    }
    if (!answer || answer.version !== modelDoc.version)
      throw new Error('The edited block got no live answer.');
    editEngineMs.push(answer.engineMs);
    const latencies = api.liveLatencies();
    if (latencies.length > before) editLatencyMs.push(latencies[latencies.length - 1]);
  }

  const result: WindowResult = {
    activationMs: api.activationMs,
    coldExplainMs,
    warmOpenPanelMs,
    warmNewPanelMs,
    editEngineMs,
    editLatencyMs,
    statements,
    timelines,
  };
  console.log(`${RESULT_MARKER} ${JSON.stringify(result)}`);
}
