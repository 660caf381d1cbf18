import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  NumpyRandomState,
  Xoshiro128,
  arange,
  arangeLength,
  eye,
  full,
  he,
  linspace,
  ones,
  rand,
  randn,
  seedFromName,
  uniform,
  xavier,
  zeros,
} from '../../src/engine/init';

function moments(data: Float64Array): { mean: number; variance: number } {
  let s = 0;
  for (const v of data) s += v;
  const mean = s / data.length;
  let q = 0;
  for (const v of data) q += (v - mean) ** 2;
  return { mean, variance: q / data.length };
}

describe('random sources', () => {
  test('xoshiro128** is deterministic per seed and differs between seeds', () => {
    const a = randn([50], new Xoshiro128(1)).data;
    const b = randn([50], new Xoshiro128(1)).data;
    const c = randn([50], new Xoshiro128(2)).data;
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  test('normals have mean 0 and variance 1; uniforms fill [0, 1) evenly', () => {
    const n = 200_000;
    const z = moments(randn([n], new Xoshiro128(7)).data);
    // Standard errors: mean 1/sqrt(n) ≈ 0.0022, variance sqrt(2/n) ≈ 0.0032; allow 5 of them.
    assert.ok(Math.abs(z.mean) < 0.011, `mean ${z.mean}`);
    assert.ok(Math.abs(z.variance - 1) < 0.016, `variance ${z.variance}`);
    const u = rand([n], new Xoshiro128(8)).data;
    const bins = new Array<number>(10).fill(0);
    for (const v of u) {
      assert.ok(v >= 0 && v < 1);
      bins[Math.floor(v * 10)]++;
    }
    for (const count of bins)
      assert.ok(Math.abs(count - n / 10) < 5 * Math.sqrt(n / 10), `bin ${count}`);
  });

  test('NumPy legacy stream: the numbers NumPy prints', () => {
    // From NumPy 2.4.6: np.random.seed(0); np.random.randn(5) / np.random.rand(3), and seed 1 uniform.
    const r = new NumpyRandomState(0);
    const want = [
      1.764052345967664, 0.4001572083672233, 0.9787379841057392, 2.240893199201458,
      1.8675579901499675,
    ];
    assert.deepEqual(Array.from(randn([5], r).data), want);
    assert.deepEqual(
      Array.from(rand([3], new NumpyRandomState(0)).data),
      [0.5488135039273248, 0.7151893663724195, 0.6027633760716439],
    );
    assert.deepEqual(
      Array.from(uniform(-1, 2, [2], new NumpyRandomState(1)).data),
      [0.2510660141077219, 1.1609734803264744],
    );
    assert.deepEqual(
      Array.from(randn([3], new NumpyRandomState(4294967295)).data),
      [0.6484086742306527, 0.6693235306338161, -1.0805437227474493],
    );
  });

  test('the name-derived seed is stable and spreads names apart', () => {
    assert.equal(seedFromName('W1'), seedFromName('W1'));
    const seeds = new Set(['W1', 'W2', 'b1', 'b2', 'X', 'W', 'w'].map(seedFromName));
    assert.equal(seeds.size, 7);
  });
});

describe('initializers', () => {
  test('zeros, ones, full, eye', () => {
    assert.deepEqual(zeros([2, 2]).toNested(), [
      [0, 0],
      [0, 0],
    ]);
    assert.deepEqual(ones([3]).toNested(), [1, 1, 1]);
    assert.deepEqual(full([], 2.5).toNested(), 2.5);
    assert.deepEqual(eye(2, 3).toNested(), [
      [1, 0, 0],
      [0, 1, 0],
    ]);
    assert.throws(() => zeros([-1]), RangeError);
  });

  test('arange and linspace follow NumPy', () => {
    assert.deepEqual(arange(0, 5).toNested(), [0, 1, 2, 3, 4]);
    assert.deepEqual(arange(1, 2, 0.25).toNested(), [1, 1.25, 1.5, 1.75]);
    assert.deepEqual(arange(5, 0, -2).toNested(), [5, 3, 1]);
    assert.equal(arangeLength(0, 10, 3), 4);
    assert.equal(arangeLength(3, 0, 1), 0);
    assert.ok(Number.isNaN(arangeLength(0, 1, 0)));
    assert.deepEqual(linspace(0, 1, 5).toNested(), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(linspace(2, 3, 1).toNested(), [2]);
    assert.equal(linspace(0, 0.3, 4).data[3], 0.3); // the end is exact
  });

  test('xavier is uniform within ±sqrt(6 / (fan_in + fan_out)); he has variance 2 / fan_in', () => {
    const w = xavier(100, 300, new Xoshiro128(3));
    assert.deepEqual(w.shape, [100, 300]);
    const a = Math.sqrt(6 / 400);
    let max = 0;
    for (const v of w.data) max = Math.max(max, Math.abs(v));
    assert.ok(max <= a && max > 0.99 * a);
    const m = moments(w.data);
    assert.ok(Math.abs(m.variance - (a * a) / 3) < 0.05 * ((a * a) / 3));
    const h = he(50, 2000, new Xoshiro128(4));
    assert.ok(Math.abs(moments(h.data).variance - 2 / 50) < 0.05 * (2 / 50));
  });
});
