/**
 * The live insights of every open note: evaluates each Markdown note with ```model blocks and each
 * `.model` file in the engine worker as it is typed (LiveScheduler: at once, then throttled, one
 * document at a time), keeps the newest answer per document, and tells the editor features
 * (previews, diagnostics, CodeLens, hovers, quick fixes) when it changes.
 *
 * Nothing here blocks typing: the host only sends the text and receives plain data; the worker's
 * block cache makes an edit to one block of a long note cost that block.
 */
import * as vscode from 'vscode';
import { resolveBlocks } from '../editor-insights/delta';
import type {
  InsightsAnswer,
  InsightsQuery,
  InsightsQueryMessage,
} from '../editor-insights/requests';
import type { BlockInsights } from '../editor-insights/types';
import { modelSpecLanguageId } from './ids';
import { insightsAffected, liveMode, liveSettings } from './insight-settings';
import { LiveScheduler, type RunOutcome } from './live-scheduler';

/** One scheduled evaluation: the document's key and its query (without `have`, added at run). */
interface LiveJob {
  readonly key: string;
  readonly query: InsightsQuery;
}

/** The worker, as the live insights use it. */
export interface InsightsEngine {
  run(query: InsightsQueryMessage): Promise<RunOutcome<unknown>>;
  /** Gives up the run in flight, which then settles as superseded (EngineClient.cancel). */
  cancel?(): void;
}

/** The newest answer for one document. */
export interface DocumentInsights {
  readonly uri: vscode.Uri;
  /** The document version the answer is for. */
  readonly version: number;
  readonly blocks: readonly BlockInsights[];
  /** The worker's own time for this answer, ms (the edit→preview benchmark reads it). */
  readonly engineMs: number;
}

/**
 * Schemes of real documents (not the Git view's, output channels' …): these, and any other
 * scheme a file system provider serves (a virtual file system: GitHub Repositories, Live Share, a
 * memfs), since a note read from one is a note like any other.
 */
const documentSchemes = new Set([
  'file',
  'untitled',
  'vscode-remote',
  'vscode-vfs',
  'vscode-userdata',
  // A folder mounted by @vscode/test-web (the web build's tests).
  'vscode-test-web',
]);

/** File systems that serve old versions or review copies of a note, not the note itself. */
const copySchemes = new Set(['git', 'gitlens', 'pr', 'review', 'vscode-local-history']);

/** Whether a document of this scheme is a note the user edits (and gets live insights for). */
export function isNoteScheme(scheme: string): boolean {
  if (documentSchemes.has(scheme)) return true;
  if (copySchemes.has(scheme)) return false;
  // undefined: no file system provider serves the scheme (output, a content provider's view …).
  return vscode.workspace.fs.isWritableFileSystem(scheme) !== undefined;
}

/** A ```model or ~~~model fence anywhere in a note: only such notes are sent to the worker. */
const modelFence = /^[ \t]*(`{3,}|~{3,})[ \t]*model(-spec)?(?![\w-])/m;

export class LiveInsights implements vscode.Disposable {
  private readonly results = new Map<string, DocumentInsights>();
  /** The version last sent to the scheduler per document, so a version is asked for once. */
  private readonly requested = new Map<string, number>();
  private readonly updated = new vscode.EventEmitter<vscode.Uri>();
  private readonly scheduler: LiveScheduler<LiveJob, InsightsAnswer>;
  /** Documents whose next query must not refer to held blocks (a reference could not be resolved). */
  private readonly askInFull = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private enabled: boolean;

  /** Fires with a document's URI when its insights changed (or were cleared). */
  readonly onDidUpdate = this.updated.event;

  constructor(
    engine: InsightsEngine,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.enabled = liveMode().enabled;
    this.scheduler = new LiveScheduler<LiveJob, InsightsAnswer>({
      // What the document's blocks are is asked when the run starts: answers for this document
      // are delivered only from this run on, so the blocks held then are the ones it refers to.
      run: async ({ key, query }) => {
        const outcome = await engine.run({ ...query, have: this.heldIds(key) });
        if (outcome.status !== 'done') return outcome;
        const answer = outcome.answer as InsightsAnswer;
        return answer.type === 'insights'
          ? { status: 'done', answer }
          : { status: 'failed', message: 'the worker answered another question' };
      },
      delayMs: () => liveMode().delayMs,
      onResult: (key, version, answer) => this.deliver(key, version, answer),
      onFailure: (key, version, message) =>
        this.log.warn(`live: ${key} (version ${version}) not evaluated: ${message}`),
      // A closed note's run is given up (stopped if it goes on past the supersede budget).
      cancel: () => engine.cancel?.(),
    });
    this.disposables.push(
      this.updated,
      vscode.workspace.onDidOpenTextDocument((d) => this.refresh(d)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) this.refresh(e.document);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!insightsAffected(e).live) return;
        this.enabled = liveMode().enabled;
        this.refreshAll();
      }),
    );
    // The notes already open are evaluated just after activate() returns, not inside it:
    // starting the worker there is engine work at activation (issue 5: activate() ≤ 15 ms).
    // Not forced: a note already asked for meanwhile (liveInsights()) is not evaluated twice.
    const initial = setTimeout(() => {
      for (const document of vscode.workspace.textDocuments) this.refresh(document);
    }, 0);
    this.disposables.push({ dispose: () => clearTimeout(initial) });
  }

  /** The newest insights of a document, or undefined when it has none (yet). */
  get(uri: vscode.Uri): DocumentInsights | undefined {
    return this.results.get(uri.toString());
  }

  /** Resolves once the document's current text has been evaluated (or could not be). */
  async current(document: vscode.TextDocument): Promise<DocumentInsights | undefined> {
    this.refreshIfStale(document);
    await this.scheduler.settled(document.uri.toString());
    return this.get(document.uri);
  }

  /** Milliseconds from edit to answer, newest last: for the log and the tests. */
  get latencies(): readonly number[] {
    return this.scheduler.latencies;
  }

  /** Evaluates a document again if its text changed since the last answer. */
  refreshIfStale(document: vscode.TextDocument): void {
    const known = this.get(document.uri);
    if (!known || known.version !== document.version) this.refresh(document);
  }

  dispose(): void {
    this.scheduler.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private refreshAll(): void {
    for (const document of vscode.workspace.textDocuments) this.refresh(document, true);
  }

  private refresh(document: vscode.TextDocument, force = false): void {
    const key = document.uri.toString();
    const kind = this.kindOf(document);
    const text = kind ? document.getText() : '';
    if (!kind || !this.enabled || (kind === 'markdown' && !modelFence.test(text))) {
      this.forget(document.uri);
      return;
    }
    if (!force && this.requested.get(key) === document.version) return;
    this.requested.set(key, document.version);
    this.scheduler.schedule(key, document.version, {
      key,
      query: {
        type: 'insights',
        text,
        kind,
        origin: { line: 0, column: 0 },
        settings: liveSettings(),
      },
    });
  }

  /** Ids of the blocks held for a document, for the worker to refer to instead of resending. */
  private heldIds(key: string): number[] {
    if (this.askInFull.delete(key)) return [];
    return this.results.get(key)?.blocks.map((b) => b.id) ?? [];
  }

  private kindOf(document: vscode.TextDocument): 'markdown' | 'model' | null {
    if (!isNoteScheme(document.uri.scheme)) return null;
    if (document.languageId === 'markdown') return 'markdown';
    if (document.languageId === modelSpecLanguageId) return 'model';
    return null;
  }

  private deliver(key: string, version: number, answer: InsightsAnswer): void {
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (!document) return; // closed meanwhile
    const blocks = resolveBlocks(answer.blocks, this.results.get(key)?.blocks ?? []);
    if (!blocks) {
      this.log.warn(`live: ${key}: an answer referred to blocks no longer held; asking again`);
      this.askInFull.add(key);
      this.refresh(document, true);
      return;
    }
    this.results.set(key, { uri: document.uri, version, blocks, engineMs: answer.elapsedMs });
    if (answer.evaluated.length > 0) {
      this.log.trace(
        `live: ${document.uri.path.split('/').pop()} v${version}: ${answer.evaluated.length} of ${answer.blocks.length} blocks evaluated in ${answer.elapsedMs.toFixed(1)} ms`,
      );
    }
    this.updated.fire(document.uri);
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    if (this.scheduler.forget(key)) {
      this.log.info(
        `live: ${uri.path.split('/').pop()} closed (or no longer a note): its evaluation in flight is cancelled`,
      );
    }
    this.requested.delete(key);
    this.askInFull.delete(key);
    if (this.results.delete(key)) this.updated.fire(uri);
  }
}
