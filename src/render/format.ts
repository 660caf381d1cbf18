/**
 * Numbers, shapes, sizes and matrices, formatted the same way by every renderer: 4 significant
 * digits by default, trailing zeros dropped, exponent form outside [1e-4, 1e6).
 */
import type { Nested } from '../engine/tensor';
import { compactNumber, numberLatex } from '../explain/latex';

export { compactNumber, numberLatex };

export interface MatrixOptions {
  /** Significant digits (default 4). */
  readonly digits?: number;
  /** Rows shown before eliding the middle ones (default 8). */
  readonly maxRows?: number;
  /** Columns shown before eliding the middle ones (default 8). */
  readonly maxCols?: number;
  /** Leading slices of a tensor of rank > 2 shown before eliding the rest (default 4). */
  readonly maxSlices?: number;
}

/** `2×3`, `3`, `scalar`. */
export function shapeText(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

/** `2 \times 3` for LaTeX. */
export function shapeLatex(shape: readonly number[]): string {
  return shape.length === 0 ? '\\text{scalar}' : shape.join(' \\times ');
}

/** `208 B`, `1.5 KiB`, `3.2 MiB`. */
export function bytesText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${compactNumber(v, 3)} ${units[u]}`;
}

export function shapeOf(value: Nested): number[] {
  const shape: number[] = [];
  let v: Nested = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

/** Indices to show out of n, with null marking the elided middle. */
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

/** The 2-D slices of a value: a scalar or vector is one row; rank > 2 gives labelled slices. */
function slices(
  value: Nested,
  maxSlices: number,
): { label: string | null; rows: number[][] | null }[] {
  if (!Array.isArray(value)) return [{ label: null, rows: [[value]] }];
  const shape = shapeOf(value);
  if (shape.length === 1) return [{ label: null, rows: [value as number[]] }];
  if (shape.length === 2) return [{ label: null, rows: value as number[][] }];
  const out: { label: string | null; rows: number[][] | null }[] = [];
  const lead = shape.slice(0, -2);
  const total = lead.reduce((a, b) => a * b, 1);
  const chosen = pick(total, maxSlices);
  for (const k of chosen) {
    if (k === null) {
      out.push({ label: '⋮', rows: null });
      continue;
    }
    const index: number[] = [];
    let rest = k;
    for (let ax = lead.length - 1; ax >= 0; ax--) {
      index.unshift(rest % lead[ax]);
      rest = Math.floor(rest / lead[ax]);
    }
    let v: Nested = value;
    for (const i of index) v = (v as Nested[])[i];
    out.push({ label: `[${index.join(', ')}, :, :]`, rows: v as number[][] });
  }
  return out;
}

/**
 * A value as terminal lines, numbers aligned on the decimal point, in Unicode brackets:
 * ```
 * ⎡ 1    2   ⎤
 * ⎣ 0.5 -1.25⎦
 * ```
 * A scalar is one line with the number alone.
 */
export function matrixLines(value: Nested, options: MatrixOptions = {}): string[] {
  const digits = options.digits ?? 4;
  if (!Array.isArray(value)) return [compactNumber(value, digits)];
  const lines: string[] = [];
  for (const slice of slices(value, options.maxSlices ?? 4)) {
    if (slice.rows === null) {
      lines.push('⋮');
      continue;
    }
    if (slice.label) lines.push(slice.label);
    lines.push(...grid(slice.rows, options, digits));
  }
  return lines;
}

function grid(rows: number[][], options: MatrixOptions, digits: number): string[] {
  if (rows.length === 0 || rows[0].length === 0) return ['[ ]'];
  const rowIdx = pick(rows.length, options.maxRows ?? 8);
  const colIdx = pick(rows[0].length, options.maxCols ?? 8);
  const cells: string[][] = rowIdx.map((r) =>
    colIdx.map((c) =>
      r === null ? (c === null ? '⋱' : '⋮') : c === null ? '⋯' : compactNumber(rows[r][c], digits),
    ),
  );
  // Decimal alignment per column: pad the integer part left, the fraction right.
  const split = (cell: string): [string, string] => {
    const dot = cell.search(/[.e]/);
    return dot < 0 ? [cell, ''] : [cell.slice(0, dot), cell.slice(dot)];
  };
  const widths = colIdx.map((_, j) => {
    let left = 0;
    let right = 0;
    for (const row of cells) {
      const [l, r] = split(row[j]);
      left = Math.max(left, [...l].length);
      right = Math.max(right, [...r].length);
    }
    return { left, right };
  });
  const text = cells.map((row) =>
    row
      .map((cell, j) => {
        const [l, r] = split(cell);
        return (
          ' '.repeat(widths[j].left - [...l].length) +
          l +
          r +
          ' '.repeat(widths[j].right - [...r].length)
        );
      })
      .join('  '),
  );
  if (text.length === 1) return [`[ ${text[0]} ]`];
  return text.map((t, i) => {
    const [open, close] = i === 0 ? ['⎡', '⎤'] : i === text.length - 1 ? ['⎣', '⎦'] : ['⎢', '⎥'];
    return `${open} ${t} ${close}`;
  });
}

/**
 * A value as a LaTeX `bmatrix` (a number for a scalar), eliding the middle rows/columns with
 * `\cdots`, `\vdots`, `\ddots` beyond the limits. A tensor of rank > 2 becomes a row of its
 * leading slices, each labelled.
 */
export function bmatrix(value: Nested, options: MatrixOptions = {}): string {
  const digits = options.digits ?? 4;
  if (!Array.isArray(value)) return numberLatex(value, digits);
  const parts = slices(value, options.maxSlices ?? 4).map((slice) => {
    if (slice.rows === null) return '\\cdots';
    const body = bmatrixBody(slice.rows, options, digits);
    return slice.label ? `\\underset{${slice.label.replace(/:/g, '{:}')}}{${body}}` : body;
  });
  return parts.join(',\\ ');
}

function bmatrixBody(rows: number[][], options: MatrixOptions, digits: number): string {
  if (rows.length === 0 || rows[0].length === 0) return '\\begin{bmatrix}\\end{bmatrix}';
  const rowIdx = pick(rows.length, options.maxRows ?? 8);
  const colIdx = pick(rows[0].length, options.maxCols ?? 8);
  const lines = rowIdx.map((r) =>
    colIdx
      .map((c) =>
        r === null
          ? c === null
            ? '\\ddots'
            : '\\vdots'
          : c === null
            ? '\\cdots'
            : numberLatex(rows[r][c], digits),
      )
      .join(' & '),
  );
  return `\\begin{bmatrix} ${lines.join(' \\\\ ')} \\end{bmatrix}`;
}
