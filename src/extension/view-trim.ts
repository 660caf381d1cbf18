/**
 * Makes an Explanation small enough to post to the webview, without changing what it draws.
 *
 * The panel draws a tensor as a matrix whose middle rows and columns are elided beyond the
 * `backpropNotes.matrix.*` limits (src/render/format.ts, `bmatrix`). A 256×784 input would still
 * travel in full — every value, gradient, path and step term of it, tens of megabytes of JSON —
 * only to be elided. So the worker replaces each large vector or matrix by a *window*: the rows
 * and columns `bmatrix` shows, with two placeholder rows (columns) where it elides. `bmatrix`
 * draws the window exactly as it draws the full tensor (a property test checks this), and shapes
 * are taken from the Explanation's `shape` fields, which stay true.
 *
 * Only vectors and matrices are windowed; tensors of rank 3 and more (rare in notes: the small
 * Jacobians) travel whole. No vscode import.
 */
import type { Explanation } from '../explain/explanation';

export interface TrimLimits {
  readonly maxRows: number;
  readonly maxColumns: number;
}

/** The fields of an Explanation (at any depth) that hold tensors. */
const tensorFields = new Set([
  'value',
  'grad',
  'jacobian',
  'oneHot',
  'probabilitiesValue',
  'backprop',
  'weight',
  'bias',
  'output',
]);

/** Indices bmatrix shows out of n (as src/render/format.ts `pick`), null for the elided run. */
function window(n: number, max: number): number[] | null {
  if (n <= max) return null;
  const head = Math.ceil((max - 1) / 2);
  const tail = max - 1 - head;
  // head shown, two placeholders (elided, so never drawn), tail shown: bmatrix on these max + 1
  // entries elides exactly the two placeholders.
  return [
    ...Array.from({ length: head }, (_, i) => i),
    -1,
    -1,
    ...Array.from({ length: tail }, (_, i) => n - tail + i),
  ];
}

function isNumbers(x: unknown[]): x is number[] {
  return x.every((v) => typeof v === 'number' || v === null);
}

/** A vector or matrix, windowed when larger than the limits; anything else unchanged. */
export function trimTensor(value: unknown, limits: TrimLimits): unknown {
  if (!Array.isArray(value) || value.length === 0) return value;
  if (isNumbers(value)) {
    const cols = window(value.length, limits.maxColumns);
    return cols ? cols.map((c) => (c < 0 ? 0 : value[c])) : value;
  }
  if (!value.every((row) => Array.isArray(row) && isNumbers(row))) return value;
  const rows = value as number[][];
  const width = rows[0].length;
  if (!rows.every((r) => r.length === width)) return value;
  const rowIndex = window(rows.length, limits.maxRows);
  const colIndex = window(width, limits.maxColumns);
  if (!rowIndex && !colIndex) return value;
  const pickRow = (r: number[]) => (colIndex ? colIndex.map((c) => (c < 0 ? 0 : r[c])) : r);
  return (rowIndex ?? rows.map((_, i) => i)).map((r) =>
    r < 0 ? new Array<number>(colIndex ? colIndex.length : width).fill(0) : pickRow(rows[r]),
  );
}

function trimDeep(x: unknown, limits: TrimLimits): unknown {
  if (Array.isArray(x)) return x.map((item) => trimDeep(item, limits));
  if (typeof x !== 'object' || x === null) return x;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(x)) {
    out[key] =
      tensorFields.has(key) && Array.isArray(v) ? trimTensor(v, limits) : trimDeep(v, limits);
  }
  return out;
}

/** The Explanation with every large vector and matrix windowed (see the file comment). */
export function trimForView(e: Explanation, limits: TrimLimits): Explanation {
  return trimDeep(e, limits) as Explanation;
}
