/**
 * Inline previews: after each softmax / log_softmax statement, the probabilities of every lane
 * along the softmax axis and that each sums to 1 (`⟶ [0.27 0.73] [0.64 0.36]  Σ=1`); with
 * `previewStatements: 'all'`, every statement's shape too (`Z1: 2×3`).
 *
 * Only a statement whose own top-level op is a softmax gets probabilities: `P = softmax(Z2)`
 * does, `L = cross_entropy(softmax(Z2), y)` does not (its value is the loss, not P).
 */
import type { Explanation, ExplainedNode } from '../explain/explanation';
import { Tensor, normalizeAxis } from '../engine/tensor';
import { shapeText } from '../render/format';
import type { LiveSettings, PreviewItem } from './types';

const softmaxOps = new Set(['softmax', 'log_softmax']);

export function previewsOf(e: Explanation, settings: LiveSettings): PreviewItem[] {
  if (!settings.previews) return [];
  const items: PreviewItem[] = [];
  for (const node of e.nodes) {
    // One preview per statement: the node that holds the statement's value is the named one.
    if (node.name === null || node.range === null || node.role === 'subexpression') continue;
    const line = node.range.end.line;
    const shape = `${node.name}: ${shapeText(node.shape)}`;
    if (softmaxOps.has(node.op) && node.shape.length > 0) {
      const { rows, sums } = lanes(node);
      const text = `${settings.previewStatements === 'all' ? `${shape} ` : ''}${probabilityText(
        rows,
        sums,
        node.op === 'log_softmax',
        settings,
      )}`;
      items.push({ kind: 'softmax', name: node.name, line, text, rows, sums });
    } else if (settings.previewStatements === 'all') {
      items.push({ kind: 'shape', name: node.name, line, text: shape, rows: [], sums: [] });
    }
  }
  return items;
}

/**
 * The probabilities of each lane along the node's softmax axis (rows, for the usual last axis),
 * lanes in row-major order of the other axes; exp of the values for log_softmax.
 */
export function lanes(node: ExplainedNode): { rows: number[][]; sums: number[] } {
  const t = Tensor.fromNested(node.value);
  const rank = t.shape.length;
  const rawAxis = typeof node.attrs.axis === 'number' ? node.attrs.axis : -1;
  const axis = normalizeAxis(rawAxis, rank) ?? rank - 1;
  const n = t.shape[axis];
  let inner = 1;
  for (let a = axis + 1; a < rank; a++) inner *= t.shape[a];
  const outer = t.size / (n * inner || 1);
  const log = node.op === 'log_softmax';
  const rows: number[][] = [];
  const sums: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const row = new Array<number>(n);
      let sum = 0;
      for (let k = 0; k < n; k++) {
        const v = t.data[o * n * inner + k * inner + i];
        row[k] = log ? Math.exp(v) : v;
        sum += row[k];
      }
      rows.push(row);
      sums.push(sum);
    }
  }
  return { rows, sums };
}

/**
 * `⟶ [0.96 0.04] [0.44 0.56]  Σ=1`: each lane with `precision` decimals (the middle ones elided
 * past `previewColumns`, lanes past `previewRows` counted), then the sums — once when every lane
 * sums to the same at that precision (`Σ=1`), else one per lane shown.
 */
export function probabilityText(
  rows: readonly (readonly number[])[],
  sums: readonly number[],
  fromLog: boolean,
  settings: Pick<LiveSettings, 'precision' | 'previewRows' | 'previewColumns'>,
): string {
  const digits = settings.precision;
  const fmt = (x: number): string => fixed(x, digits);
  const shownRows = rows.slice(0, Math.max(1, settings.previewRows));
  const parts = shownRows.map((row) => `[${elide(row.map(fmt), settings.previewColumns)}]`);
  if (rows.length > shownRows.length) {
    const more = rows.length - shownRows.length;
    parts.push(`… +${more} row${more === 1 ? '' : 's'}`);
  }
  const sumTexts = sums.map((s) => trimFixed(s, digits));
  const same = sumTexts.every((s) => s === sumTexts[0]);
  const sum = same
    ? `Σ=${sumTexts[0] ?? '0'}`
    : `Σ=[${sumTexts.slice(0, shownRows.length).join(' ')}${sums.length > shownRows.length ? ' …' : ''}]`;
  return `${fromLog ? '⟶ exp ' : '⟶ '}${parts.join(' ')}  ${sum}`;
}

function elide(cells: string[], max: number): string {
  if (cells.length <= max || max < 3) return cells.join(' ');
  const head = Math.ceil((max - 1) / 2);
  const tail = max - 1 - head;
  return [...cells.slice(0, head), '…', ...cells.slice(cells.length - tail)].join(' ');
}

/** `x` with `digits` decimals; `-0.00` shows as `0.00`, non-finite values as NaN/inf. */
export function fixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const s = x.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** `fixed` without trailing zeros: a sum of exactly 1 reads `1`, not `1.00`. */
function trimFixed(x: number, digits: number): string {
  const s = fixed(x, digits);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}
