/**
 * Tensor → the Explanation's nested lists. −0 becomes 0 (JSON cannot tell them apart, and a
 * "−0" gradient from relu's mask means nothing to a reader), so the data survives a JSON
 * round trip unchanged.
 */
import type { Nested, Tensor } from '../engine/tensor';

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
