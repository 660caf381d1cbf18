/**
 * The messages between the extension host and the engine worker (dist/worker.js).
 *
 * The worker runs the spec parser and the explainer off the extension host's thread. One request
 * at a time: the host's EngineClient never sends a second request before the first is answered
 * (a superseded run is either awaited and ignored, or the worker is terminated).
 */
import type { Explanation, SourceKind } from '../explain/explanation';

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
  /** Run the numerical gradient check too. */
  readonly gradientCheck: boolean;
}

export type EngineResponse =
  | {
      readonly id: number;
      readonly ok: true;
      readonly explanation: Explanation;
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
