/**
 * The messages between the extension host and the engine worker (dist/worker.js).
 *
 * The worker runs the spec parser and the explainer off the extension host's thread. One request
 * at a time: the host's EngineClient never sends a second request before the first is answered
 * (a superseded run is either awaited and ignored, or the worker is terminated). A request gets
 * one answer, or a `partial` answer followed by the final one.
 */
import type { InsightsAnswerMessage, InsightsQueryMessage } from '../editor-insights/requests';
import type { GradientCheckOptions } from '../engine/gradcheck';
import type { Explanation, SourceKind } from '../explain/explanation';
import type { L10nBundle } from '../l10n';
import type { TrimLimits } from './view-trim';

export interface EngineRequest {
  /** Unique per client; the response carries it back. */
  readonly id: number;
  /** The text to parse: a whole note or file, or a selection. */
  readonly text: string;
  readonly kind: SourceKind;
  /** Where `text` starts in its document (a selection's start), 0-based. */
  readonly origin: { readonly line: number; readonly column: number };
  /** Which block of the parsed text to explain (clamped to the blocks there are). */
  readonly blockIndex: number;
  /** Run the numerical gradient check too (with these options). */
  readonly gradientCheck: boolean | GradientCheckOptions;
  /**
   * When explaining without the check took at least this long, a partial answer (no check) is
   * sent before the check runs.
   */
  readonly partialAfterMs: number;
  /** Window large vectors and matrices for these display limits (view-trim.ts); null: send all. */
  readonly view: TrimLimits | null;
  /**
   * The tensor to explain first (`ExplainOptions.wrt`); a name the block does not have (with a
   * gradient) is ignored, so a pick that an edit made stale costs nothing.
   */
  readonly wrt?: string | null;
}

export type EngineResponse =
  | {
      readonly id: number;
      readonly ok: true;
      readonly explanation: Explanation;
      /**
       * True for the explanation without its gradient check, sent first when the block is slow
       * enough that the check would keep the panel waiting; the complete one follows with the
       * same id. False for the last answer to a request.
       */
      readonly partial: boolean;
      /** How many blocks the text has. */
      readonly blockCount: number;
      /** Milliseconds spent parsing and explaining, measured in the worker. */
      readonly elapsedMs: number;
    }
  | {
      readonly id: number;
      readonly ok: false;
      /** What happened and what to do. */
      readonly message: string;
      /** A 0-based line the message is about, if any. */
      readonly line: number | null;
    };

/**
 * The editor's questions to the same worker (editor-insights/requests.ts): live insights of a
 * document, or Check Gradients on some of its blocks. Told apart from an EngineRequest by `type`.
 * Failures are answered as EngineResponse's `ok: false`.
 */
export type InsightsRequest = InsightsQueryMessage & { readonly id: number };

export interface InsightsResponse {
  readonly id: number;
  readonly ok: true;
  readonly answer: InsightsAnswerMessage;
}

/**
 * The display language's translations (src/l10n.ts), which EngineClient sends as a new worker's
 * first message when VS Code is not in English, so the worker's own messages match. No answer.
 */
export interface L10nMessage {
  readonly type: 'l10n';
  readonly bundle: L10nBundle;
}
