/**
 * The study-note commands: **Insert Derivation** (the derivation of a chosen tensor, as Markdown
 * with `$$` math, inserted below the model block in one undoable edit), **Train** (N
 * gradient-descent steps in the engine worker, with progress and cancel, the loss plotted in the
 * panel's Train tab), **Stop Training** and **Write Trained Values into the Note** (one undoable
 * edit, only when asked); and the CodeLens entries for the first two, next to Explain Backprop's.
 *
 * Boundaries:
 * - The engine work (explaining, rendering Markdown, training) happens in worker threads, never
 *   here: derivations in a worker of their own (started on first use), each training run in a
 *   fresh one, which Stop ends at once (the run's losses so far stay in the plot).
 * - Edits are made with one `WorkspaceEdit` each, so one Undo takes them out whole; they are
 *   computed from the text the worker read and refused when the note changed since.
 * - Commands called with arguments (from a CodeLens, or by tests) ask nothing they were given.
 */
import * as vscode from 'vscode';
import { l10n } from 'vscode';
import type { ExplainTarget, TrainingRun } from '../protocol';
import type { NotesAnswer, NotesQuery, NotesResponse } from '../notes/worker';
import { EngineClient } from './engine-client';
import { commandIds, noteSelector } from './ids';
import { ExplanationPanel, type PanelDependencies } from './panel';
import { settingsSection } from './settings';
import { type ResolvedTarget, pickTarget, resolveTarget } from './target';
import { type WorkerTroubleNotice, troubleMessage } from './worker-trouble';
import { findModelFences } from '../spec/sources';

type Answer<W extends NotesAnswer['what']> = Extract<NotesAnswer, { what: W }>;
type Ok = Extract<NotesResponse, { ok: true }>;

export interface NotesFeaturesOptions {
  /** The engine worker (dist/worker.js, or its URL on the web). */
  readonly workerPath: string;
  readonly timeLimitMs: () => number;
  readonly log: vscode.LogOutputChannel;
  /** For opening the panel on a trained block. */
  readonly panel: () => PanelDependencies;
  /** Tells the user when a worker crashed or got stuck on a command (the one notice). */
  readonly trouble: WorkerTroubleNotice;
}

export interface NotesFeatures extends vscode.Disposable {
  /** The latest training run (for tests and the panel). */
  readonly training: TrainingRun | null;
}

/** Arguments of Train when called by a CodeLens or a test. */
interface TrainArguments {
  readonly learningRate?: number;
  readonly steps?: number;
}

/** What a finished run can write back, and the note version it was computed for. */
interface Finished {
  readonly uri: vscode.Uri;
  readonly version: number;
  /** The note's text at that version (a note closed and reopened starts its versions again). */
  readonly text: string;
  readonly edits: readonly { range: { start: P; end: P }; text: string }[];
}

interface P {
  readonly line: number;
  readonly column: number;
}

/** Losses posted to the panel at most (a long run is sampled evenly). */
const maxPlotPoints = 2000;

export function registerNotesFeatures(options: NotesFeaturesOptions): NotesFeatures {
  let notesEngine: EngineClient<NotesQuery, Ok> | undefined;
  const engine = () =>
    (notesEngine ??= new EngineClient<NotesQuery, Ok>({
      workerPath: options.workerPath,
      timeLimitMs: options.timeLimitMs,
      log: (line) => options.log.info(`notes: ${line}`),
      // A crash or a stuck run is told with the failed command (ask); the client restarts the
      // worker for the next request by itself.
    }));

  let run: TrainingRun | null = null;
  let runs = 0;
  let trainer: EngineClient<NotesQuery, Ok> | null = null;
  let stop: (() => void) | null = null;
  let finished: Finished | null = null;

  /**
   * The answer, or the message to show when there is none, or null when the user was already
   * told (the worker crashed or got stuck: the WorkerTroubleNotice said so).
   */
  async function ask<W extends NotesAnswer['what']>(
    client: EngineClient<NotesQuery, Ok>,
    query: NotesQuery & { what: W },
  ): Promise<Answer<W> | string | null> {
    const outcome = await client.run(query);
    if (outcome.status === 'done') return outcome.response.answer as Answer<W>;
    if (outcome.status === 'failed' && outcome.trouble) {
      options.trouble.report('notes', outcome.trouble, { asked: true });
      return null;
    }
    return outcome.status === 'failed'
      ? outcome.message
      : l10n.t('A newer request replaced this one.');
  }

  // -------------------------------------------------------------------------------------------
  // Insert Derivation

  async function insertDerivation(
    uriArg?: unknown,
    lineArg?: unknown,
    tensorArg?: unknown,
    numbersArg?: unknown,
  ): Promise<boolean> {
    const found = await findTarget(uriArg, lineArg);
    if (!found) return false;
    const { document, resolved, version } = found;
    if (resolved.kind !== 'markdown') {
      void vscode.window.showWarningMessage(
        l10n.t(
          'Insert Derivation writes Markdown below a ```model block of a note: open a Markdown note (a .md file) and run it there.',
        ),
      );
      return false;
    }
    const block = blockQuery(resolved);
    let tensor = typeof tensorArg === 'string' ? tensorArg : null;
    if (tensor === null) {
      const targets = await ask(engine(), { ...block, type: 'notes', what: 'targets' });
      if (targets === null) return false;
      if (typeof targets === 'string') return fail(targets);
      if (targets.targets.length === 0) {
        return fail(
          l10n.t(
            'Nothing in this block gets a gradient: give it a loss and mark the weights with param.',
          ),
        );
      }
      const picked = await vscode.window.showQuickPick(
        targets.targets.map((t) => ({
          label: t.name,
          description: `${t.role} · ${t.shape.length === 0 ? 'scalar' : t.shape.join('×')}${t.isFocus ? ` · ${l10n.t('focus')}` : ''}`,
          name: t.name,
        })),
        {
          title: l10n.t('Insert Derivation'),
          placeHolder: l10n.t('The tensor whose gradient to derive'),
        },
      );
      if (!picked) return false;
      tensor = picked.name;
    }
    let numbers: boolean;
    if (typeof numbersArg === 'boolean') numbers = numbersArg;
    else {
      const setting = vscode.workspace
        .getConfiguration(settingsSection)
        .get<string>('derivation.numbers', 'ask');
      if (setting === 'always') numbers = true;
      else if (setting === 'never') numbers = false;
      else {
        const choice = await vscode.window.showQuickPick(
          [
            { label: l10n.t('With the numbers'), numbers: true },
            { label: l10n.t('Symbols only'), numbers: false },
          ],
          { title: l10n.t('Insert Derivation'), placeHolder: l10n.t('Include the values?') },
        );
        if (!choice) return false;
        numbers = choice.numbers;
      }
    }
    const answer = await ask(engine(), {
      ...block,
      type: 'notes',
      what: 'derivation',
      wrt: tensor,
      numbers,
    });
    if (answer === null) return false;
    if (typeof answer === 'string') return fail(answer);
    if (document.isClosed || document.version !== version) {
      return fail(
        l10n.t('The note changed while the derivation was written: run Insert Derivation again.'),
      );
    }
    const edit = new vscode.WorkspaceEdit();
    let at: vscode.Position;
    let text: string;
    if (answer.atEnd || answer.line >= document.lineCount) {
      at = document.lineAt(document.lineCount - 1).range.end;
      text = `\n\n${answer.markdown}`;
    } else {
      at = new vscode.Position(answer.line, 0);
      const next = document.lineAt(answer.line).text;
      text = `\n${answer.markdown}${next.trim() === '' ? '' : '\n'}`;
    }
    edit.insert(document.uri, at, text);
    const applied = await vscode.workspace.applyEdit(edit);
    if (!applied) return fail(l10n.t('VS Code did not apply the edit. Try again.'));
    const editor = vscode.window.visibleTextEditors.find(
      (e) => e.document.uri.toString() === document.uri.toString(),
    );
    editor?.revealRange(
      new vscode.Range(at.line + 1, 0, at.line + 3, 0),
      vscode.TextEditorRevealType.InCenterIfOutsideViewport,
    );
    options.log.info(`notes: inserted the derivation of ${answer.tensor} at line ${at.line + 2}`);
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Train

  async function train(
    uriArg?: unknown,
    lineArg?: unknown,
    args?: unknown,
  ): Promise<TrainingRun | null> {
    if (stop) {
      void vscode.window.showInformationMessage(
        l10n.t('A training run is going on: stop it first (Backprop Notes: Stop Training).'),
      );
      return null;
    }
    const found = await findTarget(uriArg, lineArg);
    if (!found) return null;
    // `version`: the note as the block's text was read, which the trained values are placed by
    // (not the version after the questions below: the user may type while they are open).
    const { document, resolved, target, version, text } = found;
    const block = blockQuery(resolved);
    const plan = await ask(engine(), { ...block, type: 'notes', what: 'trainPlan' });
    if (plan === null) return null;
    if (typeof plan === 'string') {
      void fail(plan);
      return null;
    }
    const given = (typeof args === 'object' && args !== null ? args : {}) as TrainArguments;
    const learningRate =
      given.learningRate ??
      plan.settings.learningRate ??
      (await askNumber(l10n.t('Learning rate lr (each step: p ← p − lr · ∂L/∂p)'), '0.1', false));
    if (learningRate === undefined) return null;
    const steps =
      given.steps ??
      plan.settings.steps ??
      (await askNumber(l10n.t('Number of gradient-descent steps'), '200', true));
    if (steps === undefined) return null;

    const panel = ExplanationPanel.show(options.panel(), document, target, undefined);
    panel.showTab('train');
    const id = ++runs;
    const losses: number[] = [];
    finished = null;
    run = {
      id,
      uri: document.uri.toString(),
      blockIndex: resolved.blockIndex,
      learningRate,
      steps,
      params: plan.params,
      losses: [],
      done: 0,
      finalLoss: null,
      status: 'running',
      message: null,
      applied: false,
    };
    // While running, `run.losses` stays empty (the plot gets a fresh sample at each post).
    const post = () =>
      ExplanationPanel.instance?.postTraining(
        run && (run.status === 'running' ? { ...run, losses: sample(losses) } : run),
      );
    post();
    const client = new EngineClient<NotesQuery, Ok>({
      workerPath: options.workerPath,
      // Training is stopped by the user, not by the explain time limit.
      timeLimitMs: 24 * 3600 * 1000,
      log: (line) => options.log.info(`train: ${line}`),
    });
    trainer = client;
    options.log.info(`train: ${plan.params.join(', ')} with lr ${learningRate}, ${steps} steps`);
    const outcome = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: l10n.t('Training {0}', document.fileName.split(/[\\/]/).pop() ?? ''),
        cancellable: true,
      },
      (progress, token) =>
        new Promise<Awaited<ReturnType<typeof client.run>>>((resolve) => {
          let reported = 0;
          let lastPost = 0;
          stop = () => {
            stop = null;
            client.dispose(); // ends the worker now; its run settles as superseded
            resolve({ status: 'superseded' });
          };
          token.onCancellationRequested(() => stop?.());
          void client
            .run({ ...block, type: 'notes', what: 'train', learningRate, steps }, (partial) => {
              const a = partial.answer;
              if (a.what !== 'trainProgress') return;
              losses.push(...a.losses);
              const percent = (100 * a.done) / steps;
              progress.report({
                increment: percent - reported,
                message: l10n.t(
                  'step {0} of {1}, loss {2}',
                  a.done,
                  steps,
                  formatLoss(losses.at(-1)),
                ),
              });
              reported = percent;
              if (run?.id === id) run = { ...run, done: a.done };
              if (Date.now() - lastPost > 150) {
                lastPost = Date.now();
                post();
              }
            })
            .then(resolve);
        }),
    );
    stop = null;
    trainer = null;
    client.dispose();
    if (run?.id !== id) return run;
    if (outcome.status === 'done' && outcome.response.answer.what === 'train') {
      const result = outcome.response.answer;
      losses.splice(0, losses.length, ...result.losses);
      run = {
        ...run,
        losses: sample(losses),
        done: steps,
        finalLoss: result.finalLoss,
        status: 'done',
      };
      finished = { uri: document.uri, version, text, edits: result.edits };
      post();
      options.log.info(`train: done, loss ${losses[0]} → ${result.finalLoss}`);
      void vscode.window
        .showInformationMessage(
          l10n.t(
            'Trained {0} steps: the loss went from {1} to {2}.',
            steps,
            formatLoss(losses[0]),
            formatLoss(result.finalLoss),
          ),
          l10n.t('Write Values into the Note'),
        )
        .then((choice) => (choice ? applyTraining() : undefined));
    } else if (outcome.status === 'failed' && outcome.trouble) {
      // The worker crashed (out of memory …): the Train tab keeps the losses so far and says
      // what happened; the notification is the WorkerTroubleNotice's. Next Train: a fresh worker.
      const message = troubleMessage('train', outcome.trouble);
      run = { ...run, losses: sample(losses), status: 'failed', message };
      post();
      options.trouble.report('train', outcome.trouble, { asked: true });
    } else if (outcome.status === 'failed') {
      run = { ...run, losses: sample(losses), status: 'failed', message: outcome.message };
      post();
      void fail(outcome.message);
    } else {
      run = { ...run, losses: sample(losses), done: losses.length, status: 'cancelled' };
      post();
      options.log.info(`train: stopped after ${losses.length} steps`);
    }
    return run;
  }

  function stopTraining(): boolean {
    if (!stop) return false;
    stop();
    return true;
  }

  async function applyTraining(): Promise<boolean> {
    const done = finished;
    if (!done || !run || run.status !== 'done') {
      return fail(
        l10n.t('There is no finished training run to write: run Backprop Notes: Train first.'),
      );
    }
    if (run.applied) return fail(l10n.t('The trained values are in the note already.'));
    const document = await vscode.workspace.openTextDocument(done.uri);
    if (document.version !== done.version || document.getText() !== done.text) {
      return fail(
        l10n.t(
          'The note changed since it was trained, so the values might land in the wrong places: train again, then write them.',
        ),
      );
    }
    const edit = new vscode.WorkspaceEdit();
    for (const e of done.edits) {
      edit.replace(
        done.uri,
        new vscode.Range(
          e.range.start.line,
          e.range.start.column,
          e.range.end.line,
          e.range.end.column,
        ),
        e.text,
      );
    }
    if (!(await vscode.workspace.applyEdit(edit))) {
      return fail(l10n.t('VS Code did not apply the edit. Try again.'));
    }
    run = { ...run, applied: true };
    finished = null;
    ExplanationPanel.instance?.postTraining(run);
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Shared

  async function findTarget(
    uriArg: unknown,
    lineArg: unknown,
  ): Promise<
    | {
        document: vscode.TextDocument;
        resolved: ResolvedTarget;
        target: ExplainTarget;
        /** The document's version when `resolved.text` was read: edits are refused after a change. */
        version: number;
        /** The whole document's text at that version. */
        text: string;
      }
    | undefined
  > {
    let document: vscode.TextDocument;
    let target: ExplainTarget;
    if (uriArg instanceof vscode.Uri) {
      document = await vscode.workspace.openTextDocument(uriArg);
      target =
        document.languageId === 'markdown'
          ? { kind: 'block', line: typeof lineArg === 'number' ? lineArg : 0 }
          : { kind: 'file' };
    } else {
      const editor = vscode.window.activeTextEditor;
      const panelUri = ExplanationPanel.instance?.source.uri;
      if (!editor && panelUri) {
        // From the panel (its Train button, or the palette with the panel focused).
        document = await vscode.workspace.openTextDocument(panelUri);
        target = ExplanationPanel.instance!.source.target;
      } else if (editor) {
        document = editor.document;
        const picked = pickTarget(
          {
            text: document.getText(),
            languageId: document.languageId,
            fileName: document.fileName,
          },
          {
            start: {
              line: editor.selection.start.line,
              character: editor.selection.start.character,
            },
            end: { line: editor.selection.end.line, character: editor.selection.end.character },
          },
          { line: editor.selection.active.line, character: editor.selection.active.character },
        );
        if ('error' in picked) {
          void fail(picked.error);
          return undefined;
        }
        target = picked;
      } else {
        void fail(
          l10n.t(
            'Open a note with a ```model block (or a .model file) and put the cursor in the block.',
          ),
        );
        return undefined;
      }
    }
    const version = document.version;
    const text = document.getText();
    const resolved = resolveTarget(
      { text, languageId: document.languageId, fileName: document.fileName },
      target,
    );
    if ('error' in resolved) {
      void fail(resolved.error);
      return undefined;
    }
    return { document, resolved, target, version, text };
  }

  const disposable = vscode.Disposable.from(
    vscode.commands.registerCommand(commandIds.insertDerivation, insertDerivation),
    vscode.commands.registerCommand(commandIds.train, train),
    vscode.commands.registerCommand(commandIds.stopTraining, stopTraining),
    vscode.commands.registerCommand(commandIds.applyTraining, applyTraining),
    registerNotesLens(),
    { dispose: () => notesEngine?.dispose() },
    { dispose: () => trainer?.dispose() },
  );
  return {
    dispose: () => disposable.dispose(),
    get training() {
      return run;
    },
  };
}

/** The panel's Train tab buttons. */
export function trainActionCommand(action: 'start' | 'cancel' | 'apply'): string {
  return action === 'start'
    ? commandIds.train
    : action === 'cancel'
      ? commandIds.stopTraining
      : commandIds.applyTraining;
}

function blockQuery(r: ResolvedTarget) {
  return { text: r.text, kind: r.kind, origin: r.origin, blockIndex: r.blockIndex };
}

function fail(message: string): false {
  void vscode.window.showWarningMessage(message);
  return false;
}

function formatLoss(x: number | undefined): string {
  if (x === undefined) return '—';
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e-3 || x === 0
    ? x.toPrecision(4).replace(/\.?0+$/, '')
    : x.toExponential(3);
}

/** `[step, loss]` pairs, at most maxPlotPoints, evenly spread, first and last kept. */
export function sample(losses: readonly number[]): [number, number][] {
  const n = losses.length;
  if (n <= maxPlotPoints) return losses.map((l, i) => [i, l]);
  const out: [number, number][] = [];
  const stride = (n - 1) / (maxPlotPoints - 1);
  for (let k = 0; k < maxPlotPoints; k++) {
    const i = Math.round(k * stride);
    out.push([i, losses[i]]);
  }
  return out;
}

async function askNumber(
  prompt: string,
  value: string,
  integer: boolean,
): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title: l10n.t('Train'),
    prompt,
    value,
    validateInput: (input) => {
      const x = Number(input);
      if (!Number.isFinite(x) || x <= 0) return l10n.t('Enter a positive number.');
      if (integer && !Number.isInteger(x)) return l10n.t('Enter a whole number.');
      if (integer && x > 1_000_000) return l10n.t('At most 1000000 steps.');
      return undefined;
    },
  });
  return text === undefined ? undefined : Number(text);
}

/** CodeLens above each ```model block (and on a .model file's first line): Insert Derivation · Train. */
function registerNotesLens(): vscode.Disposable {
  const provider: vscode.CodeLensProvider = {
    provideCodeLenses(document) {
      const lenses: vscode.CodeLens[] = [];
      const add = (line: number, blockLine: number, derivation: boolean, trains: boolean) => {
        const range = new vscode.Range(line, 0, line, 0);
        if (derivation) {
          lenses.push(
            new vscode.CodeLens(range, {
              title: l10n.t('Insert Derivation'),
              tooltip: l10n.t(
                'Insert the derivation of a gradient below this block, as Markdown with math',
              ),
              command: commandIds.insertDerivation,
              arguments: [document.uri, blockLine],
            }),
          );
        }
        if (!trains) return;
        lenses.push(
          new vscode.CodeLens(range, {
            title: l10n.t('Train'),
            tooltip: l10n.t('Run gradient-descent steps on this block and plot the loss'),
            command: commandIds.train,
            arguments: [document.uri, blockLine],
          }),
        );
      };
      // Train only where a `loss` statement is written (Train needs one).
      const hasLoss = (text: string) => /^[ \t]*loss[ \t]+\w+[ \t]*=/m.test(text);
      if (document.languageId === 'markdown') {
        for (const b of findModelFences(document.getText())) {
          add(Math.max(0, b.range.start.line - 1), b.range.start.line, true, hasLoss(b.text));
        }
      } else if (hasLoss(document.getText())) {
        add(0, 0, false, true);
      }
      return lenses;
    },
  };
  return vscode.languages.registerCodeLensProvider(noteSelector, provider);
}
