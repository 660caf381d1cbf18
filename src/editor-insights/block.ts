/**
 * One model block's text → its live insights, or its gradient check. Both parse and evaluate the
 * block on its own (blocks are independent), then read the Explanation.
 *
 * Live insights are built from the values-only Explanation (`detail: 'values'`): values, shapes,
 * gradients, the loss and the softmax → cross-entropy pairs, without the chain rule, Jacobians,
 * memory, linearity or gradient check — nothing shown while typing needs those, and they were
 * most of an edit's time (issue 5).
 */
import { explainBlock } from '../explain/build';
import type { Explanation } from '../explain/explanation';
import { l10n } from '../l10n';
import { compactNumber } from '../render/format';
import { type LimitOptions, limitsFor, parseSource } from '../spec/index';
import { formatCount } from '../spec/limits';
import type { ModelBlock, SourcePosition, SourceRange, SpecError } from '../spec/model';
import { diagnosticsOf, specErrorDiagnostic } from './diagnostics';
import { gradientCheckDiagnostics } from './gradient-check';
import { hoversOf } from './hovers';
import { previewsOf } from './previews';
import type {
  BlockCheck,
  BlockInsights,
  CheckSettings,
  InsightDiagnostic,
  LensInfo,
  LiveSettings,
  SourceKind,
} from './types';

/** One block's text and where it sits in its document. */
export interface BlockText {
  /** The block's content (for a fence: the lines between the fences). */
  readonly text: string;
  /** Where `text` starts in the document. */
  readonly origin: SourcePosition;
  /** 0-based position among the document's blocks. */
  readonly index: number;
  /** The line a CodeLens for the block sits on (the opening fence, or the file's first line). */
  readonly lensLine: number;
}

/**
 * How a block's text is read: a fence's content is the model language, like a `.model` file;
 * a Python file or a snippet keeps its own kind (dialect detection).
 */
function blockKind(kind: SourceKind): SourceKind {
  return kind === 'markdown' ? 'model' : kind;
}

function evaluate(block: BlockText, kind: SourceKind, limits: LimitOptions): ModelBlock {
  const [parsed] = parseSource(block.text, blockKind(kind), { origin: block.origin, ...limits });
  return { ...parsed, index: block.index };
}

/** The live limit, never above the spec's own (a block over that cannot be explained at all). */
export function liveLimit(settings: LiveSettings): number {
  return Math.max(1, Math.min(settings.maxElements, limitsFor().maxElements));
}

/**
 * While typing, a block's matrix products may need this many multiply–adds per value of the
 * live size limit (100,000 × 1,000 = 1e8 by default: ~0.1 s forward, ~0.3 s with backward).
 */
const liveWorkPerElement = 1000;

/** How the live limits are named in their messages; they are told apart from the spec's by it. */
const liveHint = 'setting backpropNotes.live.maxElements, while typing';

/**
 * The limits while typing: the spec's (the process's defaults), tightened by the live size
 * limit. A block over a live limit is not evaluated, with a notice; over the spec's own, it is
 * an error like any other (Explain Backprop refuses it too).
 */
function liveLimits(settings: LiveSettings): LimitOptions {
  const spec = limitsFor();
  const limit = liveLimit(settings);
  const work = Math.min(spec.maxMultiplyAdds, liveWorkPerElement * limit);
  return {
    maxElements: limit,
    maxMultiplyAdds: work,
    limitHints: {
      ...(limit < spec.maxElements ? { maxElements: liveHint } : {}),
      ...(work < spec.maxMultiplyAdds ? { maxMultiplyAdds: `1,000 × the ${liveHint}` } : {}),
    },
  };
}

function isLiveLimit(e: SpecError): boolean {
  return e.code === 'limit' && e.message.includes(liveHint);
}

/** One block's live insights; the cache gives them their `id`. */
export type NewBlockInsights = Omit<BlockInsights, 'id'>;

export function blockInsights(
  block: BlockText,
  kind: SourceKind,
  settings: LiveSettings,
): NewBlockInsights {
  const limit = liveLimit(settings);
  const model = evaluate(block, kind, liveLimits(settings));
  const over = model.errors.find(isLiveLimit);
  if (over) return notEvaluated(block, model, overLimitNotice(over.range, over.message, limit));
  let e: Explanation;
  try {
    e = explainBlock(model, { detail: 'values' });
  } catch (error) {
    return notEvaluated(block, model, engineFailure(model.range, error));
  }
  return {
    index: block.index,
    range: model.range,
    evaluated: true,
    previews: previewsOf(e, settings),
    hovers: hoversOf(e, settings),
    diagnostics: diagnosticsOf(e),
    lens: lensOf(e, block.lensLine),
  };
}

/** A block left unevaluated: its other spec errors still show, with the notice saying why. */
function notEvaluated(
  block: BlockText,
  model: ModelBlock,
  notice: InsightDiagnostic,
): NewBlockInsights {
  return {
    index: block.index,
    range: model.range,
    evaluated: false,
    previews: [],
    hovers: [],
    diagnostics: [...model.errors.filter((e) => !isLiveLimit(e)).map(specErrorDiagnostic), notice],
    lens: { line: block.lensLine, loss: null },
  };
}

function overLimitNotice(range: SourceRange, message: string, limit: number): InsightDiagnostic {
  return {
    range,
    severity: 'information',
    code: 'live-limit',
    fix: null,
    message: l10n.t(
      'Not evaluated while typing: {0} (backpropNotes.live.maxElements is {1}). Explain Backprop and Check Gradients still run it; raise the setting to see previews here.',
      // What happened, without the spec's own "(setting …) — use smaller sizes, or raise …".
      message.replace(/ \([^()]*\) — [^—]*$/, ''),
      formatCount(limit),
    ),
  };
}

function engineFailure(range: SourceRange, error: unknown): InsightDiagnostic {
  const detail = error instanceof Error ? error.message : String(error);
  return {
    range: { start: range.start, end: range.start },
    severity: 'warning',
    code: 'engine',
    fix: null,
    message: l10n.t(
      "The engine could not explain this block ({0}). This is a bug in Backprop Notes: please report it with the block's text; editing the block may work around it.",
      detail,
    ),
  };
}

function lensOf(e: Explanation, line: number): LensInfo {
  const root = e.root;
  if (root === null || typeof root.value !== 'number') return { line, loss: null };
  return {
    line,
    loss: {
      name: root.name,
      value: root.value,
      text: `${root.name} = ${compactNumber(root.value, 4)}`,
    },
  };
}

/**
 * Check Gradients on one block: every tensor with a gradient against central differences
 * (the check's own per-tensor limit, as the CLI's `check`), at the spec's full size limit —
 * an explicit command, not something run while typing.
 */
export function blockCheck(
  block: BlockText,
  kind: SourceKind,
  settings: CheckSettings,
): BlockCheck {
  const model = evaluate(block, kind, {});
  const e = explainBlock(model, {
    gradientCheck: { h: settings.h, bands: settings.bands },
    maxJacobianEntries: 0,
    maxPaths: 1,
  });
  const diagnostics = gradientCheckDiagnostics(e, settings);
  let notice: string | null = null;
  if (e.root === null) {
    notice =
      model.errors.length > 0
        ? l10n.t(
            'Nothing to check: no statement of this block evaluated. Fix the errors underlined in the block first.',
          )
        : l10n.t(
            'Nothing to check: the block has no statements. Write the network in it, ending with a loss.',
          );
  } else if (diagnostics.length === 0) {
    notice = l10n.t(
      'Nothing to check: no tensor gets a gradient from {0}. Mark the tensors to check as param (or input).',
      e.root.name,
    );
  }
  return { index: block.index, range: model.range, diagnostics, notice };
}
