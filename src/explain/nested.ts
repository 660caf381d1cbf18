/**
 * Tensor → the Explanation's nested lists. −0 becomes 0 (JSON cannot tell them apart, and a
 * "−0" gradient from relu's mask means nothing to a reader), so the data survives a JSON
 * round trip unchanged.
 */
import type { Nested, Tensor } from '../engine/tensor';
import type { TensorStats } from './explanation';

export function plain(t: Tensor): Nested {
  if (t.shape.length === 0) return t.data[0] + 0;
  let k = 0;
  const data = t.data;
  const shape = t.shape;
  const build = (depth: number): Nested[] => {
    const n = shape[depth];
    const out = new Array<Nested>(n);
    for (let i = 0; i < n; i++)
      out[i] = depth === shape.length - 1 ? data[k++] + 0 : build(depth + 1);
    return out;
  };
  return build(0);
}

/** The summary the graph view shows of a tensor: count, min, max, mean and norm of its data. */
export function stats(t: Tensor): TensorStats {
  const data = t.data;
  const n = data.length;
  if (n === 0) return { count: 0, min: 0, max: 0, mean: 0, norm: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let squares = 0;
  let nan = false;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v !== v) nan = true;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    squares += v * v;
  }
  if (nan) return { count: n, min: NaN, max: NaN, mean: NaN, norm: NaN };
  return { count: n, min: min + 0, max: max + 0, mean: sum / n + 0, norm: Math.sqrt(squares) };
}
