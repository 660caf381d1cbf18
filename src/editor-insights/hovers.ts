/**
 * Hover content for every named tensor of a block, as Markdown VS Code renders in a hover:
 * the name, its role and shape, the statement that defined it, its values as a small table, and
 * its gradient ∂L/∂name where backward computed one.
 *
 * Hovers show the statement as written rather than the LaTeX formula: VS Code's hovers do not
 * render math, and the written statement is what the reader is looking at anyway.
 */
import type { Nested } from '../engine/tensor';
import type { Explanation, ExplainedNode } from '../explain/explanation';
import { l10n } from '../l10n';
import { compactNumber, matrixLines, shapeOf, shapeText } from '../render/format';
import type { HoverEntry, LiveSettings } from './types';

type TableSettings = Pick<LiveSettings, 'hoverDigits' | 'hoverRows' | 'hoverColumns'>;

export function hoversOf(e: Explanation, settings: TableSettings): HoverEntry[] {
  const rootName = e.root?.name ?? 'L';
  const entries: HoverEntry[] = [];
  const seen = new Set<string>();
  for (const node of e.nodes) {
    if (node.name === null || node.nameRange === null || node.role === 'subexpression') continue;
    if (seen.has(node.name)) continue; // a redefined name: the first definition's node only
    seen.add(node.name);
    entries.push({
      name: node.name,
      range: node.nameRange,
      markdown: hoverMarkdown(e, node, rootName, settings),
    });
  }
  return entries;
}

/** A role in words, in the display language (asked per hover: the bundle comes at start-up). */
function roleWord(role: string): string {
  const words: Record<string, () => string> = {
    param: () => l10n.t('parameter'),
    input: () => l10n.t('input'),
    const: () => l10n.t('constant'),
    target: () => l10n.t('target'),
    loss: () => l10n.t('loss'),
    output: () => l10n.t('output'),
    computed: () => l10n.t('computed'),
    leaf: () => l10n.t('leaf (gets a gradient)'),
    literal: () => l10n.t('literal'),
  };
  return words[role]?.() ?? role;
}

function hoverMarkdown(
  e: Explanation,
  node: ExplainedNode,
  rootName: string,
  settings: TableSettings,
): string {
  const name = node.name ?? '';
  const parts: string[] = [];
  const op = node.op === 'leaf' ? '' : ` · ${node.op}`;
  parts.push(`**${name}** · ${roleWord(node.role)}${op} · \`${shapeText(node.shape)}\``);
  if (node.source !== null) {
    const role = node.role !== 'computed' && node.role !== 'leaf' ? `${node.role} ` : '';
    parts.push(codeBlock(`${role}${name} = ${node.source}`, 'model-spec'));
  }
  if (node.comment) parts.push(`*${escapeMarkdown(node.comment.trim())}*`);
  parts.push(valueMarkdown(node.value, settings));
  const isRoot = e.root !== null && e.root.node === node.id;
  if (isRoot) {
    parts.push(
      e.root?.seed === 'scalar'
        ? l10n.t('Backward starts here: ∂{0}/∂{0} = 1.', rootName)
        : l10n.t('Backward starts here, seeded with ones of shape `{0}`.', shapeText(node.shape)),
    );
  } else if (node.grad !== null) {
    parts.push(`**∂${rootName}/∂${name}** · \`${shapeText(shapeOf(node.grad))}\``);
    parts.push(valueMarkdown(node.grad, settings));
  } else if (e.root !== null) {
    parts.push(
      node.role === 'const' || node.role === 'target'
        ? l10n.t('No gradient: a {0} is held fixed.', node.role)
        : l10n.t(
            'No gradient: {0} does not depend on {1} through anything differentiable.',
            rootName,
            name,
          ),
    );
  }
  return parts.join('\n\n');
}

/**
 * A value as a Markdown table for rank ≤ 2 (row and column indices as headers, the middle rows
 * and columns elided past the limits), a number for a scalar, or aligned text for rank > 2.
 */
export function valueMarkdown(value: Nested, settings: TableSettings): string {
  const digits = settings.hoverDigits;
  if (!Array.isArray(value)) return `\`${compactNumber(value, digits)}\``;
  const shape = shapeOf(value);
  if (shape.length > 2 || shape.includes(0)) {
    const lines = matrixLines(value, {
      digits,
      maxRows: settings.hoverRows,
      maxCols: settings.hoverColumns,
    });
    return codeBlock(lines.join('\n'), 'text');
  }
  const rows = (shape.length === 1 ? [value] : value) as number[][];
  const rowIdx = pick(rows.length, settings.hoverRows);
  const colIdx = pick(rows[0].length, settings.hoverColumns);
  const header = `| |${colIdx.map((c) => (c === null ? ' … ' : ` ${c} `)).join('|')}|`;
  const rule = `|--|${colIdx.map(() => '--:').join('|')}|`;
  const body = rowIdx.map((r) => {
    const label = r === null ? '⋮' : shape.length === 1 ? '' : `**${r}**`;
    const cells = colIdx.map((c) =>
      r === null ? (c === null ? '⋱' : '⋮') : c === null ? '…' : compactNumber(rows[r][c], digits),
    );
    return `| ${label} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...body].join('\n');
}

/** Indices to show out of n, null marking the elided middle. */
function pick(n: number, max: number): (number | null)[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const head = Math.ceil((max - 1) / 2);
  const tail = max - 1 - head;
  return [
    ...Array.from({ length: head }, (_, i) => i),
    null,
    ...Array.from({ length: tail }, (_, i) => n - tail + i),
  ];
}

/** A fenced code block whose fence is longer than any backtick run inside. */
function codeBlock(text: string, language: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${language}\n${text}\n${fence}`;
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>&~$]/g, (c) => `\\${c}`);
}
