/**
 * Float64 tensors: a shape and one contiguous row-major Float64Array, nothing per element.
 *
 * Tensors are treated as immutable once an op has produced them; ops allocate their outputs.
 * A scalar has shape [] and one element.
 */

export type Shape = readonly number[];

/** A value as the user writes it and as JSON carries it: a number for a scalar, else nested lists. */
export type Nested = number | Nested[];

export class Tensor {
  readonly shape: Shape;
  readonly data: Float64Array;

  constructor(shape: Shape, data?: Float64Array) {
    const size = sizeOf(shape);
    if (data && data.length !== size) {
      throw new Error(
        `Tensor of shape ${formatShape(shape)} needs ${size} values, got ${data.length}`,
      );
    }
    this.shape = shape;
    this.data = data ?? new Float64Array(size);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  static scalar(x: number): Tensor {
    return new Tensor([], Float64Array.of(x));
  }

  static filled(shape: Shape, x: number): Tensor {
    return new Tensor(shape, new Float64Array(sizeOf(shape)).fill(x));
  }

  /** Builds a tensor from nested lists; throws a plain message when rows are ragged. */
  static fromNested(value: Nested): Tensor {
    const shape: number[] = [];
    let probe: Nested = value;
    while (Array.isArray(probe)) {
      shape.push(probe.length);
      if (probe.length === 0) break;
      probe = probe[0];
    }
    const data = new Float64Array(sizeOf(shape));
    let k = 0;
    const walk = (v: Nested, depth: number): void => {
      if (depth === shape.length) {
        if (Array.isArray(v)) throw new Error('ragged nested list: rows have different depths');
        data[k++] = v;
        return;
      }
      if (!Array.isArray(v) || v.length !== shape[depth]) {
        throw new Error('ragged nested list: rows have different lengths');
      }
      for (const item of v) walk(item, depth + 1);
    };
    walk(value, 0);
    return new Tensor(shape, data);
  }

  toNested(): Nested {
    if (this.shape.length === 0) return this.data[0];
    let k = 0;
    const build = (depth: number): Nested[] => {
      const out: Nested[] = [];
      const n = this.shape[depth];
      for (let i = 0; i < n; i++) {
        out.push(depth === this.shape.length - 1 ? this.data[k++] : build(depth + 1));
      }
      return out;
    };
    return build(0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1)
      throw new Error(`item() on a tensor of shape ${formatShape(this.shape)}`);
    return this.data[0];
  }

  clone(): Tensor {
    return new Tensor(this.shape, this.data.slice());
  }

  reshape(shape: Shape): Tensor {
    return new Tensor(shape, this.data);
  }
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** "2×3" for a matrix, "3" for a vector, "scalar" for []. */
export function formatShape(shape: Shape): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** NumPy broadcasting: align trailing axes; sizes must match or one must be 1. Null if they cannot. */
export function broadcastShapes(a: Shape, b: Shape): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * For each element of `out` (a broadcast shape), the flat index into a tensor of shape `from`.
 * Returned as an Int32Array so that broadcast loops stay a single indexed read.
 */
export function broadcastIndex(from: Shape, out: Shape): Int32Array {
  const size = sizeOf(out);
  const index = new Int32Array(size);
  if (sameShape(from, out)) {
    for (let i = 0; i < size; i++) index[i] = i;
    return index;
  }
  const rank = out.length;
  const fromStrides = stridesOf(from);
  // Stride 0 along the axes that are stretched (size 1 or missing in `from`).
  const s = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const j = from.length - rank + i;
    s[i] = j < 0 || from[j] === 1 ? 0 : fromStrides[j];
  }
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let k = 0; k < size; k++) {
    index[k] = offset;
    for (let ax = rank - 1; ax >= 0; ax--) {
      counter[ax]++;
      offset += s[ax];
      if (counter[ax] < out[ax]) break;
      offset -= s[ax] * counter[ax];
      counter[ax] = 0;
    }
  }
  return index;
}

/** Materializes `t` broadcast to `shape` (which must be a valid broadcast target). */
export function broadcastTo(t: Tensor, shape: Shape): Tensor {
  if (sameShape(t.shape, shape)) return t;
  const index = broadcastIndex(t.shape, shape);
  const out = new Float64Array(index.length);
  for (let i = 0; i < index.length; i++) out[i] = t.data[index[i]];
  return new Tensor(shape, out);
}

/**
 * Sums a gradient of a broadcast shape back to the shape of the operand that was stretched:
 * the rule every broadcasting op's backward ends with.
 */
export function sumToShape(grad: Tensor, shape: Shape): Tensor {
  if (sameShape(grad.shape, shape)) return grad;
  const index = broadcastIndex(shape, grad.shape);
  const out = new Float64Array(sizeOf(shape));
  for (let i = 0; i < index.length; i++) out[index[i]] += grad.data[i];
  return new Tensor(shape, out);
}

/** Elementwise binary map with broadcasting. */
export function zipWith(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  if (sameShape(a.shape, b.shape)) {
    const out = new Float64Array(a.size);
    for (let i = 0; i < out.length; i++) out[i] = f(a.data[i], b.data[i]);
    return new Tensor(a.shape, out);
  }
  const shape = broadcastShapes(a.shape, b.shape);
  if (!shape) {
    throw new Error(`cannot broadcast ${formatShape(a.shape)} with ${formatShape(b.shape)}`);
  }
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const out = new Float64Array(ia.length);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[ia[i]], b.data[ib[i]]);
  return new Tensor(shape, out);
}

export function map(a: Tensor, f: (x: number) => number): Tensor {
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[i]);
  return new Tensor(a.shape, out);
}

/** Resolves a possibly negative axis against a rank; null when out of range. */
export function normalizeAxis(axis: number, rank: number): number | null {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < Math.max(rank, 1) ? a : null;
}
