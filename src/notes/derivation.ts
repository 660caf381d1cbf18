/**
 * Insert Derivation's text: the derivation of one tensor's gradient as Markdown with `$$` math,
 * made for pasting below a model block of a note — the chain rule with each factor's Jacobian and
 * VJP shapes, the backprop steps in matrix form with the shape of every gradient, and optionally
 * the numbers. Rendered by src/render/markdown.ts (so it reads like `explain --format markdown`)
 * and by VS Code's Markdown preview with KaTeX.
 *
 * Also where the text goes: the line after the block's closing fence.
 *
 * No vscode, no DOM.
 */
import { ExplainError, explainBlock } from '../explain/build';
import type { Explanation } from '../explain/explanation';
import { parseSource } from '../spec/index';
import type { SourcePosition } from '../spec/model';
import type { SourceKind } from '../spec/sources';
import { shapeLatex } from '../render/format';
import { renderMarkdown } from '../render/markdown';
import { l10n } from '../l10n';

export interface DerivationOptions {
  /** Also give the values (the gradient and each step's). */
  readonly numbers: boolean;
  /** Heading level of the derivation's title (default 3: `###`). */
  readonly headingLevel?: number;
}

/** A tensor Insert Derivation offers: every leaf with a gradient, the block's focus first. */
export interface DerivationTarget {
  readonly name: string;
  readonly role: string;
  readonly shape: readonly number[];
  /** `\frac{\partial L}{\partial W_{1}}`. */
  readonly derivative: string;
  readonly isFocus: boolean;
}

/** The tensors of an explained block a derivation can be written for. */
export function derivationTargets(e: Explanation): DerivationTarget[] {
  const targets = e.gradients
    .filter((g) => g.name !== null)
    .map((g) => ({
      name: g.name as string,
      role: g.role,
      shape: g.shape,
      derivative: g.derivative,
      isFocus: g.node === e.focus,
    }));
  return [...targets.filter((t) => t.isFocus), ...targets.filter((t) => !t.isFocus)];
}

/** The derivation of `e`'s focus tensor (explain with `wrt` to choose it). */
export function derivationMarkdown(e: Explanation, options: DerivationOptions): string {
  const g = e.gradients.find((x) => x.node === e.focus);
  if (!g || !e.root) {
    throw new ExplainError(
      'This block has no gradient to derive: give it a loss and mark the weights with param.',
    );
  }
  const level = options.headingLevel ?? 3;
  const name = g.name ?? g.label;
  const title = `Derivation of $${g.derivative}$ (${name}, ${g.shape.length === 0 ? 'scalar' : g.shape.join('×')})`;
  const body = renderMarkdown(e, {
    focusOnly: true,
    sections: options.numbers ? ['chain', 'steps', 'gradients'] : ['chain', 'steps'],
    headingLevel: level,
    title,
    numbers: options.numbers,
  }).trimEnd();
  // The shape of every gradient on the way, in the order backprop computes them.
  const steps = g.steps.map((i) => e.steps[i]).filter((s) => s !== undefined);
  const shapes = steps
    .map((s) => `${s.symbol} &: ${s.shape.length === 0 ? '\\text{scalar}' : shapeLatex(s.shape)}`)
    .join(' \\\\\n');
  const hashes = '#'.repeat(Math.min(6, level + 1));
  return [
    body,
    '',
    `${hashes} Shapes`,
    '',
    'Each gradient has the shape of its tensor: backprop multiplies by the transposes, never by a full Jacobian.',
    '',
    '$$',
    `\\begin{aligned}\n${shapes}\n\\end{aligned}`,
    '$$',
    '',
  ].join('\n');
}

export interface DerivationRequest {
  readonly text: string;
  readonly kind: SourceKind;
  readonly origin?: SourcePosition;
  readonly blockIndex: number;
  /** The tensor; null for the block's focus. */
  readonly wrt: string | null;
  readonly numbers: boolean;
}

export interface DerivationAnswer {
  readonly markdown: string;
  /** 0-based line the text is inserted at (the line after the closing fence). */
  readonly line: number;
  /** True when the closing fence is the document's last line without a newline after it. */
  readonly atEnd: boolean;
  readonly tensor: string;
}

/** Explains the block for `wrt` and writes its derivation; throws ExplainError for an unknown tensor. */
export function derivationFor(request: DerivationRequest): DerivationAnswer {
  const blocks = parseSource(
    request.text,
    request.kind,
    request.origin ? { origin: request.origin } : {},
  );
  if (blocks.length === 0) {
    throw new ExplainError('There is no model block here: write the network in a ```model block.');
  }
  const block = blocks[Math.min(Math.max(request.blockIndex, 0), blocks.length - 1)];
  const e = explainBlock(block, { gradientCheck: false, wrt: request.wrt, maxJacobianEntries: 0 });
  // A block with an error evaluates without the failed statements, so its "loss" may be another
  // statement: nothing is written into the note until the block is whole.
  const error = e.errors[0];
  if (error) {
    throw new ExplainError(
      l10n.t(
        'Line {0} of this block has an error ({1}): fix it, then insert the derivation.',
        error.line,
        error.message,
      ),
    );
  }
  const g = e.gradients.find((x) => x.node === e.focus);
  const lines = request.text.split('\n');
  const first = request.origin?.line ?? 0;
  const after = closingFenceLine(lines, block.range.start.line - first, request.kind) + 1;
  return {
    markdown: derivationMarkdown(e, { numbers: request.numbers }),
    line: after + first,
    atEnd: after >= lines.length,
    tensor: g?.name ?? '',
  };
}

/** The 0-based index of the line that closes the fence whose content starts at `contentStart`. */
export function closingFenceLine(
  lines: readonly string[],
  contentStart: number,
  kind: SourceKind,
): number {
  if (kind !== 'markdown') return lines.length - 1;
  // Closed by a line of the opening fence's character, at least as many (CommonMark).
  const open = /^\s*(`{3,}|~{3,})/.exec(lines[contentStart - 1] ?? '');
  const char = open ? open[1][0] : '`';
  const length = open ? open[1].length : 3;
  for (let i = contentStart; i < lines.length; i++) {
    const m = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[i].replace(/\r$/, ''));
    if (m && m[1][0] === char && m[1].length >= length) return i;
  }
  return lines.length - 1; // an unclosed fence runs to the end
}
