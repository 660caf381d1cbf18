/**
 * Telling the user that an engine worker crashed or got stuck — once, not on every keystroke.
 *
 * Every EngineClient (the panel's, the live previews', Check Gradients', …) restarts its worker by
 * itself; a note that crashes it, or a block that runs past the time limit, would do so again at
 * each edit. So all clients report here, and the user is told at most once per `quietMs` (default
 * 10 minutes) whichever worker it was and whatever went wrong; everything is still logged.
 *
 * The command workers (Train's, Export's, and Insert Derivation's `notes` worker) report with
 * `asked`: the user ran a command and is waiting for its answer, so they are told every time
 * (silence would look like the command did nothing) — and the quiet period starts again, so the
 * live previews' worker failing on the same block right after is not told a second time. Those
 * commands show nothing else for it: this is the one message.
 *
 * No vscode import (tested in plain Node, test/extension/worker-trouble.test.ts); the wording is
 * here (`troubleMessage`), in the display language through src/l10n.ts.
 */
import { l10n } from '../l10n';

/**
 * The workers that report: the panel's, the live previews', Check Gradients', and the command
 * workers `notes` (Insert Derivation, Train's plan), `train` and `export`.
 */
export type WorkerName = 'panel' | 'live' | 'check' | 'notes' | 'train' | 'export';

export type WorkerTrouble =
  /** The worker died by itself (out of memory, a crash). */
  | { readonly kind: 'crashed'; readonly error: Error }
  /** A run went on past the time limit (ms) and the worker was stopped. */
  | { readonly kind: 'stuck'; readonly limitMs: number };

export interface WorkerTroubleOptions {
  /** Shows the message (a VS Code notification), usually `troubleMessage(worker, trouble)`. */
  readonly tell: (trouble: WorkerTrouble, worker: WorkerName) => void;
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

  /**
   * Reports trouble of the worker named `worker`; returns whether the user was told. `asked`: a
   * command the user is waiting on failed for it, so the user is told even within the quiet
   * period (see above).
   */
  report(worker: WorkerName, trouble: WorkerTrouble, options: { asked?: boolean } = {}): boolean {
    this.reports++;
    this.options.log?.(
      trouble.kind === 'crashed'
        ? `${worker}: the worker crashed (${trouble.error.message}); restarted`
        : `${worker}: a run went past the time limit of ${trouble.limitMs} ms; the worker was restarted`,
    );
    const now = (this.options.now ?? Date.now)();
    if (!options.asked && now - this.lastTold < (this.options.quietMs ?? 10 * 60_000)) return false;
    this.lastTold = now;
    this.told++;
    this.options.tell(trouble, worker);
    return true;
  }

  /** The reporter for one EngineClient's `onCrash` and `onTimeLimit`. */
  for(worker: WorkerName): {
    onCrash: (error: Error) => void;
    onTimeLimit: (limitMs: number) => void;
  } {
    return {
      onCrash: (error) => void this.report(worker, { kind: 'crashed', error }),
      onTimeLimit: (limitMs) => void this.report(worker, { kind: 'stuck', limitMs }),
    };
  }
}

/** What the user is told: what happened, that the engine was restarted, and what to do. */
export function troubleMessage(worker: WorkerName, trouble: WorkerTrouble): string {
  const seconds = trouble.kind === 'stuck' ? String(Math.round(trouble.limitMs / 1000)) : '';
  const why = trouble.kind === 'crashed' ? trouble.error.message : '';
  switch (worker) {
    case 'train':
      // Train's worker has no time limit (Stop ends it): a stuck run is worded as for `notes`.
      if (trouble.kind === 'stuck') return troubleMessage('notes', trouble);
      return l10n.t(
        'Training stopped: the Backprop Notes engine crashed ({0}). The losses so far stay in the Train tab. Run Train again to start a fresh engine; if it crashes again, make the block’s tensors smaller.',
        why,
      );
    case 'export':
      return trouble.kind === 'crashed'
        ? l10n.t(
            'The export stopped: the Backprop Notes engine crashed ({0}) and was restarted. Export again; if it crashes again, make the block’s tensors smaller.',
            why,
          )
        : l10n.t(
            'The export took longer than {0} s and was stopped; the engine was restarted. Export again, make the block’s tensors smaller, or raise the setting backpropNotes.engine.timeLimitSeconds.',
            seconds,
          );
    case 'notes':
      return trouble.kind === 'crashed'
        ? l10n.t(
            'The command stopped: the Backprop Notes engine crashed ({0}) and was restarted. Run it again; if it crashes again, make the block’s tensors smaller.',
            why,
          )
        : l10n.t(
            'The command took longer than {0} s and was stopped; the engine was restarted. Run it again, make the block’s tensors smaller, or raise the setting backpropNotes.engine.timeLimitSeconds.',
            seconds,
          );
    default:
      return trouble.kind === 'crashed'
        ? l10n.t(
            'The Backprop Notes engine stopped unexpectedly and was restarted. If a model block makes it stop again, make its tensors smaller.',
          )
        : l10n.t(
            'The Backprop Notes engine took longer than {0} s on a model block while you typed, and was restarted. Make its tensors smaller, or raise the setting backpropNotes.engine.timeLimitSeconds.',
            seconds,
          );
  }
}
