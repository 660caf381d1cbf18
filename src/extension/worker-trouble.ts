/**
 * Telling the user that an engine worker crashed or got stuck — once, not on every keystroke.
 *
 * Every EngineClient (the panel's, the live previews', Check Gradients', …) restarts its worker by
 * itself; a note that crashes it, or a block that runs past the time limit, would do so again at
 * each edit. So all clients report here, and the user is told at most once per `quietMs` (default
 * 10 minutes) whichever worker it was and whatever went wrong; everything is still logged.
 *
 * No vscode import (tested in plain Node, test/extension/worker-trouble.test.ts).
 */

export type WorkerTrouble =
  /** The worker died by itself (out of memory, a crash). */
  | { readonly kind: 'crashed'; readonly error: Error }
  /** A run went on past the time limit (ms) and the worker was stopped. */
  | { readonly kind: 'stuck'; readonly limitMs: number };

export interface WorkerTroubleOptions {
  /** Shows the message (a VS Code notification). */
  readonly tell: (trouble: WorkerTrouble) => void;
  /** Logs every report, told or not. */
  readonly log?: (line: string) => void;
  /** The shortest time between two messages (default 10 minutes). */
  readonly quietMs?: number;
  /** The clock, for tests. */
  readonly now?: () => number;
}

export class WorkerTroubleNotice {
  private lastTold = -Infinity;
  /** How many reports arrived and how many were shown, for tests and the log. */
  reports = 0;
  told = 0;

  constructor(private readonly options: WorkerTroubleOptions) {}

  /** Reports trouble of the worker named `worker`; returns whether the user was told. */
  report(worker: string, trouble: WorkerTrouble): boolean {
    this.reports++;
    this.options.log?.(
      trouble.kind === 'crashed'
        ? `${worker}: the worker crashed (${trouble.error.message}); restarted`
        : `${worker}: a run went past the time limit of ${trouble.limitMs} ms; the worker was restarted`,
    );
    const now = (this.options.now ?? Date.now)();
    if (now - this.lastTold < (this.options.quietMs ?? 10 * 60_000)) return false;
    this.lastTold = now;
    this.told++;
    this.options.tell(trouble);
    return true;
  }

  /** The reporter for one EngineClient's `onCrash` and `onTimeLimit`. */
  for(worker: string): {
    onCrash: (error: Error) => void;
    onTimeLimit: (limitMs: number) => void;
  } {
    return {
      onCrash: (error) => void this.report(worker, { kind: 'crashed', error }),
      onTimeLimit: (limitMs) => void this.report(worker, { kind: 'stuck', limitMs }),
    };
  }
}
