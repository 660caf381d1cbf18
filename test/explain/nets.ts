/**
 * Small networks for explain and render tests, built by hand (no parser), with their textbook
 * backward passes computed independently in plain arrays.
 */
import { BlockBuilder, type Matrix, addRow, mm, sumRows, tr, zip } from './block';

export const all = { axis: null, keepdims: false };

export const X: Matrix = [
  [1, 2],
  [0.5, -1],
];
export const W1: Matrix = [
  [0.1, -0.2, 0.3],
  [0.4, 0.5, -0.6],
];
export const b1 = [0.01, 0.02, 0.03];
export const W2: Matrix = [
  [0.3, -0.1],
  [0.2, 0.4],
  [-0.5, 0.6],
];
export const b2 = [0.1, -0.1];
export const T: Matrix = [
  [1, 0],
  [0, 1],
];

/**
 * Z1 = X @ W1 + b1; H1 = relu(Z1); Z2 = H1 @ W2 + b2; D = Z2 - T; loss L = mean(D * D).
 * A squared-error two-layer network, written with ops the engine has.
 */
export function twoLayer(firstLine = 0) {
  const b = new BlockBuilder(firstLine);
  const x = b.leaf('input', 'X', X);
  const w1 = b.leaf('param', 'W1', W1);
  const bb1 = b.leaf('param', 'b1', b1);
  const w2 = b.leaf('param', 'W2', W2);
  const bb2 = b.leaf('param', 'b2', b2);
  const t = b.leaf('target', 'T', T);
  const z1 = b.let(null, 'Z1', b.op('add', [b.op('matmul', [x, w1]), bb1]), 'X @ W1 + b1');
  const h1 = b.let(null, 'H1', b.op('relu', [z1]), 'relu(Z1)');
  const z2 = b.let(null, 'Z2', b.op('add', [b.op('matmul', [h1, w2]), bb2]), 'H1 @ W2 + b2');
  const d = b.let(null, 'D', b.op('sub', [z2, t]), 'Z2 - T');
  b.let('loss', 'L', b.op('mean', [b.op('mul', [d, d])], all), 'mean(D * D)');
  return b.block();
}

/** The textbook backward pass of `twoLayer`, in plain arrays. */
export function textbook() {
  const Z1 = addRow(mm(X, W1), b1);
  const H1 = Z1.map((r) => r.map((v) => Math.max(0, v)));
  const Z2 = addRow(mm(H1, W2), b2);
  const D = zip(Z2, T, (a, c) => a - c);
  const count = D.length * D[0].length;
  const dZ2 = D.map((r) => r.map((v) => (2 * v) / count));
  const dW2 = mm(tr(H1), dZ2);
  const db2 = sumRows(dZ2);
  const dH1 = mm(dZ2, tr(W2));
  const dZ1 = zip(dH1, Z1, (g, z) => (z > 0 ? g : 0));
  const dW1 = mm(tr(X), dZ1);
  const db1 = sumRows(dZ1);
  const dX = mm(dZ1, tr(W1));
  const L = D.flat().reduce((s, v) => s + v * v, 0) / count;
  return { Z1, H1, Z2, L, dZ2, dW2, db2, dH1, dZ1, dW1, db1, dX };
}

/** X used twice: S = relu(X @ W) + X, loss L = sum(S * S). Two paths reach X. */
export function twoPaths() {
  const b = new BlockBuilder();
  const Xv: Matrix = [
    [1, -2],
    [0.5, 3],
  ];
  const Wv: Matrix = [
    [0.7, -0.3],
    [0.2, 0.9],
  ];
  const x = b.leaf(null, 'x', Xv);
  const w = b.leaf('param', 'W', Wv);
  const h = b.let(null, 'H', b.op('relu', [b.op('matmul', [x, w])]), 'relu(x @ W)');
  const s = b.let(null, 'S', b.op('add', [h, x]), 'H + x');
  b.let('loss', 'L', b.op('sum', [b.op('mul', [s, s])], all), 'sum(S * S)');
  return { block: b.block(), Xv, Wv };
}

/** Two affine layers with nothing between: Z1 = X @ W1 + b1; Z2 = Z1 @ W2 + b2. */
export function linear(withRelu: boolean) {
  const b = new BlockBuilder();
  const x = b.leaf('input', 'X', X);
  const w1 = b.leaf('param', 'W1', W1);
  const bb1 = b.leaf('param', 'b1', b1);
  const w2 = b.leaf('param', 'W2', W2);
  const bb2 = b.leaf('param', 'b2', b2);
  const z1 = b.let(null, 'Z1', b.op('add', [b.op('matmul', [x, w1]), bb1]), 'X @ W1 + b1');
  const mid = withRelu ? b.let(null, 'H1', b.op('relu', [z1]), 'relu(Z1)') : z1;
  const z2 = b.let(null, 'Z2', b.op('add', [b.op('matmul', [mid, w2]), bb2]), 'H1 @ W2 + b2');
  b.let('loss', 'L', b.op('sum', [z2], all), 'sum(Z2)');
  return b.block();
}
