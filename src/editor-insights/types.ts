/**
 * What the editor shows about a note while it is being typed, as plain JSON data: inline
 * previews, hovers, diagnostics, CodeLens and gradient-check results, per model block.
 *
 * This layer reads the Explanation (src/explain) and formats it for an editor; it imports neither
 * vscode nor the DOM, so the extension's adapters (src/extension/*) only translate these records
 * into VS Code objects, and everything here is tested in plain Node.
 *
 * Conventions, the same in every record:
 * - Ranges are 0-based line/column as VS Code counts (`SourceRange`), in the coordinates of the
 *   whole document the block came from (for a Markdown note, the note's own lines).
 * - Severities are plain strings; the adapter maps them to `vscode.DiagnosticSeverity`.
 * - Every message says what happened and, where the user can act, what to do.
 * - Everything survives `JSON.stringify`/`postMessage` (it crosses the worker boundary).
 */
import type { GradeBands, Grade } from '../engine/gradcheck';
import type { SourceKind } from '../explain/explanation';
import type { SourceRange } from '../spec/model';

export type { SourceKind, SourceRange, Grade, GradeBands };

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** Which statements get an inline preview. */
export type PreviewStatements = 'softmax' | 'all';

/** Settings that change what live insights show; part of every block's cache key. */
export interface LiveSettings {
  /** Inline previews on or off (hovers, diagnostics and CodeLens are computed either way). */
  readonly previews: boolean;
  /**
   * `softmax`: after each softmax / log_softmax statement, its probabilities and row sums.
   * `all`: that, and every statement's shape (`Z1: 2×3`).
   */
  readonly previewStatements: PreviewStatements;
  /** Decimal places of the probabilities in a preview (`0.27` is 2). */
  readonly precision: number;
  /** Rows (lanes) of a softmax a preview shows before `… +N rows`. */
  readonly previewRows: number;
  /** Probabilities per row a preview shows before eliding the middle ones with `…`. */
  readonly previewColumns: number;
  /** Significant digits of the numbers in hover tables. */
  readonly hoverDigits: number;
  /** Rows and columns of a hover table before eliding the middle ones. */
  readonly hoverRows: number;
  readonly hoverColumns: number;
  /**
   * The largest tensor (in values) evaluated while typing. A block that would create a larger
   * one is not evaluated live: it gets a notice instead (Explain Backprop still runs it).
   */
  readonly maxElements: number;
}

/** Settings of Check Gradients; part of a checked block's cache key. */
export interface CheckSettings {
  /** Finite-difference step. */
  readonly h: number;
  /** Upper bounds of relative error for good, ok and doubtful; above doubtful is wrong. */
  readonly bands: GradeBands;
}

export const defaultLiveSettings: LiveSettings = {
  previews: true,
  previewStatements: 'softmax',
  precision: 2,
  previewRows: 4,
  previewColumns: 8,
  hoverDigits: 4,
  hoverRows: 8,
  hoverColumns: 8,
  maxElements: 100_000,
};

export const defaultCheckSettings: CheckSettings = {
  h: 1e-6,
  bands: { good: 1e-7, ok: 1e-4, doubtful: 1e-2 },
};

/** Text shown at the end of a line, after the statement it is about. */
export interface PreviewItem {
  /** `softmax` for probabilities (with the shape too under `all`), `shape` for a shape only. */
  readonly kind: 'softmax' | 'shape';
  /** The statement's name. */
  readonly name: string;
  /** The line the text goes at the end of: the statement's last line. */
  readonly line: number;
  /** `⟶ [0.27 0.73] [0.64 0.36]  Σ=1`, or `Z1: 2×3`. */
  readonly text: string;
  /**
   * For `softmax`: the probabilities of each lane along the softmax axis (exp of the values for
   * log_softmax), all of them in float64, and each lane's sum. Empty for `shape`.
   */
  readonly rows: readonly (readonly number[])[];
  readonly sums: readonly number[];
}

/** A replacement a quick fix makes. */
export interface QuickFix {
  /** `Change 'W' to 'W1'`. */
  readonly title: string;
  readonly range: SourceRange;
  readonly text: string;
}

export interface InsightDiagnostic {
  readonly range: SourceRange;
  readonly severity: Severity;
  readonly message: string;
  /**
   * The spec error's code (`unknown-name`, `shape`, `arity` …), or one of this layer's:
   * `dead-relu`, `softmax-cross-entropy`, `live-limit`, `engine`, `gradient-check`, `non-finite`
   * (a NaN or ±∞ first appeared here).
   */
  readonly code: string;
  readonly fix: QuickFix | null;
}

/** What a hover over a name shows. */
export interface HoverEntry {
  readonly name: string;
  /** Where the name is defined. */
  readonly range: SourceRange;
  /** Markdown: name, role, shape, the statement, a values table, the gradient. */
  readonly markdown: string;
}

/** What a CodeLens above a block shows besides its commands. */
export interface LensInfo {
  /** The line the lens sits on: the opening ```model fence, or the file's first line. */
  readonly line: number;
  /** The backward root's name and value when it is a scalar (the loss), else null. */
  readonly loss: { readonly name: string; readonly value: number; readonly text: string } | null;
}

/** Everything live about one model block. */
export interface BlockInsights {
  /**
   * Identifies the insights up to a shift of lines: two blocks with the same id have the same
   * content, one possibly moved up or down (the worker's cache entry; `BlockReference`).
   */
  readonly id: number;
  /** 0-based position among the blocks of the document. */
  readonly index: number;
  /** The block's content range (for a fence: the lines between the fences). */
  readonly range: SourceRange;
  /** False when the block was not evaluated (over the live size limit, or the engine failed). */
  readonly evaluated: boolean;
  readonly previews: readonly PreviewItem[];
  readonly hovers: readonly HoverEntry[];
  /** Spec errors, then the engine's observations (dead ReLU units, softmax → cross-entropy). */
  readonly diagnostics: readonly InsightDiagnostic[];
  readonly lens: LensInfo;
}

/**
 * In an answer, instead of a block the asker already holds (its `id` was in the query's `have`):
 * that block, now at position `index`, its content starting at `startLine`.
 */
export interface BlockReference {
  readonly reuse: number;
  readonly index: number;
  readonly startLine: number;
}

/** One tensor's gradient check as a diagnostic on the line that defines the tensor. */
export interface GradientCheckDiagnostic extends InsightDiagnostic {
  readonly code: 'gradient-check';
  readonly tensor: string;
  readonly grade: Grade;
}

export interface BlockCheck {
  readonly index: number;
  readonly range: SourceRange;
  /** One per tensor with a gradient, in node order; empty when nothing has one. */
  readonly diagnostics: readonly GradientCheckDiagnostic[];
  /** Why nothing was checked (no loss, spec errors before any gradient …), or null. */
  readonly notice: string | null;
}
