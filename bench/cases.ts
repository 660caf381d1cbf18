/**
 * What the benchmark measures, shared by our engine's side and TensorFlow.js's: the three MLPs of
 * issue 5 and their seeded data, so both sides train the same network on the same batch.
 */

export interface MlpCase {
  readonly name: string;
  readonly batch: number;
  /** Layer widths, input first: [784, 128, 10] is 784→128→10 (relu between, logits last). */
  readonly sizes: readonly number[];
}

export const MLPS: readonly MlpCase[] = [
  { name: 'tiny', batch: 4, sizes: [2, 3, 2] },
  { name: 'medium', batch: 64, sizes: [784, 128, 10] },
  { name: 'large', batch: 512, sizes: [784, 512, 512, 10] },
];

export const MATMUL_SIZES: readonly number[] = [256, 512, 1024];

/** The SGD learning rate of every training step. */
export const LEARNING_RATE = 0.01;

/** mulberry32: seeded, so every run trains the same network on the same batch. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface MlpData {
  /** batch × sizes[0], row-major. */
  readonly x: Float64Array;
  /** One class index per row. */
  readonly labels: Int32Array;
  /** Per layer: W (in × out, row-major) and b (out), He-uniform. */
  readonly weights: readonly { readonly w: Float64Array; readonly b: Float64Array }[];
}

export function mlpData(c: MlpCase, seed = 42): MlpData {
  const next = rng(seed);
  const x = new Float64Array(c.batch * c.sizes[0]);
  for (let i = 0; i < x.length; i++) x[i] = next() * 2 - 1;
  const classes = c.sizes[c.sizes.length - 1];
  const labels = new Int32Array(c.batch);
  for (let i = 0; i < labels.length; i++) labels[i] = Math.floor(next() * classes);
  const weights = [];
  for (let l = 0; l + 1 < c.sizes.length; l++) {
    const fanIn = c.sizes[l];
    const fanOut = c.sizes[l + 1];
    const bound = Math.sqrt(6 / fanIn);
    const w = new Float64Array(fanIn * fanOut);
    for (let i = 0; i < w.length; i++) w[i] = (next() * 2 - 1) * bound;
    const b = new Float64Array(fanOut);
    for (let i = 0; i < b.length; i++) b[i] = (next() * 2 - 1) * 0.1;
    weights.push({ w, b });
  }
  return { x, labels, weights };
}

export function parameterCount(c: MlpCase): number {
  let n = 0;
  for (let l = 0; l + 1 < c.sizes.length; l++) n += c.sizes[l] * c.sizes[l + 1] + c.sizes[l + 1];
  return n;
}
