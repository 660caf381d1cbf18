/**
 * When to evaluate which document while the user types: at once on the first edit after a pause,
 * then at most once per `delayMs` while edits keep coming (the last edit always gets its turn),
 * one document at a time, a newer version of a document superseding its own run in flight.
 *
 * No vscode import (tested in plain Node, test/extension/live-scheduler.test.ts).
 *
 * Promises:
 * - The newest request scheduled for a document is always evaluated, unless the document is
 *   forgotten (closed) first; `onResult` never delivers an answer older than one already
 *   delivered. Requests are ordered by when they were scheduled, not by `version` (the caller's
 *   label): asking again for the same version (settings changed) is a newer request.
 * - A run for document A is never cancelled by an edit to document B: B waits for A's answer.
 *   An edit to A while A runs supersedes that run (the engine client drops or stops it).
 * - After `forget(key)` nothing more is delivered for that key until it is scheduled again, and
 *   its run in flight is cancelled (`cancel`): the next document's run need not wait for it.
 */

export type RunOutcome<A> =
  | { readonly status: 'done'; readonly answer: A }
  | { readonly status: 'failed'; readonly message: string }
  | { readonly status: 'superseded' };

export interface LiveSchedulerOptions<Q, A> {
  /** Runs a query off the main thread; a newer call supersedes an older one still running. */
  readonly run: (query: Q) => Promise<RunOutcome<A>>;
  /** The shortest time between two runs for one document while it is being typed in. */
  readonly delayMs: () => number;
  readonly onResult: (key: string, version: number, answer: A) => void;
  readonly onFailure?: (key: string, version: number, message: string) => void;
  /**
   * Gives up the run in flight (EngineClient.cancel): called when its document is forgotten, so
   * a closed note's evaluation stops instead of holding up the other documents. The cancelled
   * run's promise must then settle (as superseded).
   */
  readonly cancel?: () => void;
}

interface Job<Q> {
  readonly key: string;
  /** Order of scheduling, over all documents. */
  readonly seq: number;
  readonly version: number;
  readonly query: Q;
  /** When the edit that asked for it was scheduled (performance.now()). */
  readonly scheduledAt: number;
}

interface DocState<Q> {
  /** The newest job not yet handed to the queue (waiting for the cooldown to end). */
  pending: Job<Q> | null;
  cooldown: ReturnType<typeof setTimeout> | null;
  /** The newest request scheduled (its seq), and the newest whose answer (or failure) arrived. */
  latest: number;
  settled: number;
  waiters: { seq: number; resolve: () => void }[];
}

export class LiveScheduler<Q, A> {
  private readonly docs = new Map<string, DocState<Q>>();
  /** Jobs ready to run, oldest document first; one per document (the newest). */
  private readonly ready = new Map<string, Job<Q>>();
  private inFlight: Job<Q> | null = null;
  private disposed = false;
  private seq = 0;

  /** Milliseconds from scheduling to delivery of each delivered job, newest last (at most 100). */
  readonly latencies: number[] = [];

  constructor(private readonly options: LiveSchedulerOptions<Q, A>) {}

  /** Asks for `query` (the document `key` at `version`) to be evaluated. */
  schedule(key: string, version: number, query: Q): void {
    if (this.disposed) return;
    const doc = this.state(key);
    const seq = ++this.seq;
    doc.latest = seq;
    doc.pending = { key, seq, version, query, scheduledAt: performance.now() };
    if (!doc.cooldown) this.fire(key, doc);
  }

  /**
   * Drops everything about `key` (the document closed), cancelling its run; its waiters resolve.
   * Returns whether a run of it was in flight (and cancelled).
   */
  forget(key: string): boolean {
    const running = this.inFlight?.key === key;
    if (running) this.options.cancel?.();
    const doc = this.docs.get(key);
    if (doc?.cooldown) clearTimeout(doc.cooldown);
    this.docs.delete(key);
    this.ready.delete(key);
    for (const w of doc?.waiters ?? []) w.resolve();
    return running;
  }

  /** Resolves once the newest request scheduled for `key` so far has been answered (or failed). */
  settled(key: string): Promise<void> {
    const doc = this.docs.get(key);
    if (!doc || doc.settled >= doc.latest) return Promise.resolve();
    return new Promise((resolve) => doc.waiters.push({ seq: doc.latest, resolve }));
  }

  /** True while something is scheduled, queued or running. */
  get busy(): boolean {
    return (
      this.inFlight !== null ||
      this.ready.size > 0 ||
      [...this.docs.values()].some((d) => d.pending !== null)
    );
  }

  dispose(): void {
    this.disposed = true;
    for (const key of [...this.docs.keys()]) this.forget(key);
    this.inFlight = null;
  }

  private state(key: string): DocState<Q> {
    let doc = this.docs.get(key);
    if (!doc) {
      doc = { pending: null, cooldown: null, latest: -Infinity, settled: -Infinity, waiters: [] };
      this.docs.set(key, doc);
    }
    return doc;
  }

  /** Queues the pending job and starts a cooldown, after which a newer pending job fires. */
  private fire(key: string, doc: DocState<Q>): void {
    const job = doc.pending;
    if (!job) return;
    doc.pending = null;
    this.ready.delete(key); // re-inserted last: documents take turns
    this.ready.set(key, job);
    doc.cooldown = setTimeout(() => {
      doc.cooldown = null;
      if (this.docs.get(key) === doc && doc.pending) this.fire(key, doc);
    }, this.options.delayMs());
    this.pump();
  }

  private pump(): void {
    if (this.disposed) return;
    let job: Job<Q> | undefined;
    if (this.inFlight) {
      // Only a newer version of the same document may take over the running job.
      job = this.ready.get(this.inFlight.key);
      if (!job) return;
    } else {
      job = this.ready.values().next().value;
      if (!job) return;
    }
    this.ready.delete(job.key);
    this.start(job);
  }

  private start(job: Job<Q>): void {
    this.inFlight = job;
    void this.options.run(job.query).then(
      (outcome) => this.finish(job, outcome),
      (error: unknown) =>
        this.finish(job, {
          status: 'failed',
          message: error instanceof Error ? error.message : String(error),
        }),
    );
  }

  private finish(job: Job<Q>, outcome: RunOutcome<A>): void {
    if (this.inFlight === job) this.inFlight = null;
    const doc = this.docs.get(job.key);
    if (doc && outcome.status !== 'superseded' && job.seq > doc.settled) {
      doc.settled = job.seq;
      if (outcome.status === 'done') {
        this.latencies.push(performance.now() - job.scheduledAt);
        if (this.latencies.length > 100) this.latencies.shift();
        this.options.onResult(job.key, job.version, outcome.answer);
      } else {
        this.options.onFailure?.(job.key, job.version, outcome.message);
      }
      const due = doc.waiters.filter((w) => w.seq <= doc.settled);
      doc.waiters = doc.waiters.filter((w) => w.seq > doc.settled);
      for (const w of due) w.resolve();
    }
    this.pump();
  }
}
