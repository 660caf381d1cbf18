/**
 * Runs explanations in a worker thread, so typing in the editor never waits for the engine, and
 * keeps only the newest request alive.
 *
 * No vscode import (tested in plain Node with a real worker, test/extension/engine-client.test.ts).
 *
 * Promises of `run()`:
 * - Every call settles exactly once: `done` with the worker's answer, `failed` with a message
 *   for the user (the engine reported a failure, crashed, or exceeded the time limit), or
 *   `superseded` as soon as a newer call is made — a superseded caller never waits.
 * - The worker gets one request at a time. A newer request waits for the running one, unless that
 *   one has already run for `supersedeBudgetMs`: then the worker is terminated and restarted, and
 *   the newer request starts at once. So a slow spec being typed into costs at most the budget
 *   per keystroke pause, and a fast one never pays a worker restart.
 * - `cancel()` (a closed document or panel) gives up the run in flight like a newer request would,
 *   with nothing to run after it: the worker is terminated if it is still busy after the budget.
 * - A run longer than `timeLimitMs` fails with a message, and the worker is restarted.
 * - A worker that dies unexpectedly (out of memory, a crash) fails the run in flight, calls
 *   `onCrash`, and is restarted for the next request.
 */
import { l10n } from '../l10n';
import type { LimitOptions } from '../spec/limits';
import type { EngineRequest, EngineResponse, L10nMessage } from './engine-protocol';
// A worker thread in Node; the web build swaps in a Web Worker (worker-spawn.web.ts).
import { type SpawnedWorker, spawnWorker } from './worker-spawn';
import type { WorkerTrouble } from './worker-trouble';

export type EngineOutcome<A = Answer> =
  | { readonly status: 'done'; readonly response: A }
  | {
      readonly status: 'failed';
      readonly message: string;
      readonly line: number | null;
      /**
       * Set when the run failed because the worker crashed or went past the time limit (it has
       * been restarted, or is restarted at the next run): a command can then tell the user
       * through the WorkerTroubleNotice instead of with `message`.
       */
      readonly trouble?: WorkerTrouble;
    }
  | { readonly status: 'superseded' };

export interface EngineClientOptions {
  /** The worker script: dist/worker.js's path in Node, dist/web/worker.js's URL on the web. */
  readonly workerPath: string;
  /** How long a superseded run may go on before the worker is restarted (default 750 ms). */
  readonly supersedeBudgetMs?: number;
  /** The longest any run may take (default 30 s); a function is asked at each run. */
  readonly timeLimitMs?: number | (() => number);
  /** The worker's V8 heap limit in MB (default 2048): running out ends the worker, not the host. */
  readonly maxHeapMb?: number;
  /** Called when the worker died unexpectedly (not when this client terminated it). */
  readonly onCrash?: (error: Error) => void;
  /** Called when a run went past the time limit (ms) and the worker was stopped for it. */
  readonly onTimeLimit?: (limitMs: number) => void;
  /** Diagnostics for the output channel. */
  readonly log?: (line: string) => void;
}

type Request = Omit<EngineRequest, 'id'>;
type Answer = Extract<EngineResponse, { ok: true }>;

/**
 * What a client of another question to the same worker needs of its answers (the live insights
 * ask `InsightsRequest`s and get `InsightsResponse`s, engine-protocol.ts): an id, `ok: true`, and
 * `partial` when a final answer follows. Failures are shaped as EngineResponse's.
 */
export interface WorkerAnswer {
  readonly id: number;
  readonly ok: true;
  readonly partial?: boolean;
}

type WorkerFailure = Extract<EngineResponse, { ok: false }>;

interface InFlight<A> {
  readonly id: number;
  readonly started: number;
  /** Null once superseded: the answer is then dropped. */
  resolve: ((outcome: EngineOutcome<A>) => void) | null;
  readonly onPartial: ((response: A) => void) | undefined;
  timeLimit: ReturnType<typeof setTimeout>;
}

interface Pending<Q, A> {
  readonly request: Q;
  readonly resolve: (outcome: EngineOutcome<A>) => void;
  readonly onPartial: ((response: A) => void) | undefined;
}

/**
 * `Q`: the request without its id; `A`: the successful answer. The defaults are Explain
 * Backprop's (EngineRequest, EngineResponse).
 */
export class EngineClient<Q extends object = Request, A extends WorkerAnswer = Answer> {
  /**
   * The spec limits (and how to raise them) every request of every client carries as `limits`,
   * read at each request: the extension sets this to its `backpropNotes.limits.*` settings at
   * activation, and the worker makes them the defaults of its parseSource calls.
   */
  static limits: (() => LimitOptions) | null = null;

  private worker: SpawnedWorker | null = null;
  private inFlight: InFlight<A> | null = null;
  private pending: Pending<Q, A> | null = null;
  private budgetTimer: ReturnType<typeof setTimeout> | undefined;
  private nextId = 1;
  private disposed = false;
  private readonly budgetMs: number;

  /** Worker (re)starts so far, for tests and diagnostics. */
  starts = 0;

  constructor(private readonly options: EngineClientOptions) {
    this.budgetMs = options.supersedeBudgetMs ?? 750;
  }

  /**
   * Explains `request`; supersedes every earlier call that has not settled. `onPartial` gets the
   * worker's partial answer (without the gradient check) if it sends one, unless superseded.
   */
  run(request: Q, onPartial?: (response: A) => void): Promise<EngineOutcome<A>> {
    if (this.disposed) return Promise.resolve({ status: 'superseded' });
    return new Promise((resolve) => {
      this.pending?.resolve({ status: 'superseded' });
      this.pending = { request, resolve, onPartial };
      if (!this.inFlight) {
        this.dispatch();
        return;
      }
      // The running request is now stale: its caller stops waiting at once.
      this.inFlight.resolve?.({ status: 'superseded' });
      this.inFlight.resolve = null;
      this.armBudget();
    });
  }

  /**
   * Gives up the run in flight and any waiting request (their document or panel closed): they
   * settle as `superseded` at once, and the running one is treated as superseded by nothing — it
   * may finish within `supersedeBudgetMs` of its start (the worker and its caches are kept), else
   * the worker is terminated then. Later calls work as usual. Nothing happens with nothing running.
   */
  cancel(): void {
    this.pending?.resolve({ status: 'superseded' });
    this.pending = null;
    if (!this.inFlight) return;
    this.inFlight.resolve?.({ status: 'superseded' });
    this.inFlight.resolve = null;
    this.armBudget();
  }

  /** True while a run is in the worker (also a given-up one still inside its budget). */
  get running(): boolean {
    return this.inFlight !== null;
  }

  /** Ends the worker; later calls settle as superseded. */
  dispose(): void {
    this.disposed = true;
    this.pending?.resolve({ status: 'superseded' });
    this.pending = null;
    if (this.inFlight) this.finish(this.inFlight, { status: 'superseded' });
    this.stopWorker();
  }

  private armBudget(): void {
    if (this.budgetTimer || !this.inFlight) return;
    const left = this.inFlight.started + this.budgetMs - Date.now();
    const flight = this.inFlight;
    this.budgetTimer = setTimeout(
      () => {
        this.budgetTimer = undefined;
        if (this.inFlight !== flight) return;
        this.options.log?.(
          `engine: run ${flight.id} superseded and still going after ${this.budgetMs} ms; restarting the worker`,
        );
        this.finish(flight, { status: 'superseded' });
        this.stopWorker();
        this.dispatch();
      },
      Math.max(0, left),
    );
  }

  private dispatch(): void {
    const next = this.pending;
    if (!next || this.inFlight || this.disposed) return;
    this.pending = null;
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const limit = this.options.timeLimitMs;
    const timeLimitMs = typeof limit === 'function' ? limit() : (limit ?? 30_000);
    const flight: InFlight<A> = {
      id,
      started: Date.now(),
      resolve: next.resolve,
      onPartial: next.onPartial,
      timeLimit: setTimeout(() => {
        if (this.inFlight !== flight) return;
        this.options.log?.(`engine: run ${id} exceeded ${timeLimitMs} ms; restarting the worker`);
        this.finish(flight, {
          status: 'failed',
          message: l10n.t(
            'The engine took longer than {0} s on this block and was stopped. Make the tensors smaller, or raise the setting backpropNotes.engine.timeLimitSeconds.',
            seconds(timeLimitMs),
          ),
          line: null,
          trouble: { kind: 'stuck', limitMs: timeLimitMs },
        });
        this.stopWorker();
        this.options.onTimeLimit?.(timeLimitMs);
        this.dispatch();
      }, timeLimitMs),
    };
    this.inFlight = flight;
    const limits = EngineClient.limits?.();
    worker.postMessage({ ...next.request, id, ...(limits ? { limits } : {}) });
  }

  /** Settles a run and clears its timers; the next pending request is the caller's to dispatch. */
  private finish(flight: InFlight<A>, outcome: EngineOutcome<A>): void {
    clearTimeout(flight.timeLimit);
    clearTimeout(this.budgetTimer);
    this.budgetTimer = undefined;
    flight.resolve?.(outcome);
    flight.resolve = null;
    if (this.inFlight === flight) this.inFlight = null;
  }

  private ensureWorker(): SpawnedWorker {
    if (this.worker) return this.worker;
    const worker = spawnWorker(this.options.workerPath, {
      maxHeapMb: this.options.maxHeapMb ?? 2048,
    });
    this.starts++;
    this.worker = worker;
    // The worker's messages in the display language (before any request: messages keep order).
    const bundle = l10n.bundle;
    if (Object.keys(bundle).length > 0) {
      worker.postMessage({ type: 'l10n', bundle } satisfies L10nMessage);
    }
    worker.onMessage((message) => {
      const response = message as A | WorkerFailure;
      if (worker !== this.worker) return;
      const flight = this.inFlight;
      if (!flight || flight.id !== response.id) return; // an answer to a run already given up
      if (response.ok && response.partial) {
        if (flight.resolve) flight.onPartial?.(response);
        return;
      }
      this.finish(
        flight,
        response.ok
          ? { status: 'done', response }
          : { status: 'failed', message: response.message, line: response.line },
      );
      this.dispatch();
    });
    const died = (error: Error) => {
      if (worker !== this.worker) return; // terminated on purpose, or already handled
      this.worker = null;
      this.options.log?.(`engine: the worker stopped unexpectedly: ${error.message}`);
      const flight = this.inFlight;
      if (flight) {
        this.finish(flight, {
          status: 'failed',
          message: l10n.t(
            'The engine stopped unexpectedly ({0}). It has been restarted; if this block makes it stop again, make its tensors smaller.',
            error.message,
          ),
          line: null,
          trouble: { kind: 'crashed', error },
        });
      }
      this.options.onCrash?.(error);
      this.dispatch();
    };
    worker.onDied(died);
    return worker;
  }

  private stopWorker(): void {
    const worker = this.worker;
    this.worker = null;
    if (worker) worker.terminate();
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000));
}
