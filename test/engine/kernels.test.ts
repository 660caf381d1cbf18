/**
 * The matrix-product kernels: the WebAssembly SIMD kernel and the plain-JS kernel on packed
 * operands give bitwise the same C on random shapes (odd sizes, every transpose, offsets, block
 * edges), both match plain reference loops, the dispatching `gemm` matches them at every size,
 * and the committed WebAssembly module is the one its source assembles to.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  KC,
  MC,
  WASM_MIN_WORK,
  gemm,
  gemmBackend,
  packedGemm,
  setGemmBackend,
  wasmUnavailableReason,
} from '../../src/engine/kernels/gemm';

/** mulberry32: a tiny seeded generator, so a fast-check seed fixes every value of a case. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomArray(size: number, next: () => number): Float64Array {
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = next() * 4 - 2;
  return out;
}

interface Case {
  readonly transA: boolean;
  readonly transB: boolean;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly aOff: number;
  readonly bOff: number;
  readonly cOff: number;
  readonly a: Float64Array;
  readonly b: Float64Array;
  /** C before the product, junk around the m×n block included. */
  readonly c: Float64Array;
}

function makeCase(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  seed: number,
): Case {
  const next = rng(seed);
  const aOff = Math.floor(next() * 5);
  const bOff = Math.floor(next() * 5);
  const cOff = Math.floor(next() * 5);
  return {
    transA,
    transB,
    m,
    n,
    k,
    aOff,
    bOff,
    cOff,
    a: randomArray(aOff + m * k + 3, next),
    b: randomArray(bOff + k * n + 3, next),
    c: randomArray(cOff + m * n + 3, next),
  };
}

/** C + op(A)·op(B) by the definition, one dot product per entry. */
function reference(t: Case): Float64Array {
  const out = t.c.slice();
  for (let i = 0; i < t.m; i++) {
    for (let j = 0; j < t.n; j++) {
      let s = 0;
      for (let p = 0; p < t.k; p++) {
        const x = t.transA ? t.a[t.aOff + p * t.m + i] : t.a[t.aOff + i * t.k + p];
        const y = t.transB ? t.b[t.bOff + j * t.k + p] : t.b[t.bOff + p * t.n + j];
        s += x * y;
      }
      out[t.cOff + i * t.n + j] += s;
    }
  }
  return out;
}

function run(t: Case, f: (c: Float64Array) => void): Float64Array {
  const c = t.c.slice();
  f(c);
  return c;
}

/** Within float64 rounding of a k-term sum of products of values in [−2, 2], plus C's own 2. */
function assertClose(actual: Float64Array, expected: Float64Array, k: number, what: string): void {
  const tolerance = (4 * k + 2) * 8 * Number.EPSILON;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= tolerance)) {
      assert.fail(`${what}: entry ${i} is ${actual[i]}, expected ${expected[i]} (±${tolerance})`);
    }
  }
}

function assertBitwiseEqual(x: Float64Array, y: Float64Array, what: string): void {
  assert.equal(x.length, y.length);
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(x[i], y[i])) assert.fail(`${what}: entry ${i} is ${x[i]} and ${y[i]}`);
  }
}

const packedCall =
  (backend: 'wasm' | 'js', t: Case) =>
  (c: Float64Array): void =>
    packedGemm(backend, t.transA, t.transB, t.m, t.n, t.k, t.a, t.aOff, t.b, t.bOff, c, t.cOff);

test('the WebAssembly SIMD kernel loads in Node (so the fast path is the one tested)', () => {
  assert.equal(wasmUnavailableReason(), null);
  assert.equal(gemmBackend(), 'wasm');
});

test('the committed WebAssembly module is what gemm.wat assembles to', () => {
  const result = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
});

test('wasm and JS packed kernels: bitwise equal, and equal to reference loops (random shapes)', () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 1, max: 23 }),
      fc.integer({ min: 1, max: 23 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer(),
      (transA, transB, m, n, k, seed) => {
        const t = makeCase(transA, transB, m, n, k, seed);
        const viaWasm = run(t, packedCall('wasm', t));
        const viaJs = run(t, packedCall('js', t));
        assertBitwiseEqual(viaWasm, viaJs, `wasm vs js, ${m}×${k}·${k}×${n}`);
        assertClose(viaWasm, reference(t), k, `packed vs reference, ${m}×${k}·${k}×${n}`);
      },
    ),
    { numRuns: 300 },
  );
});

test('wasm and JS packed kernels agree across block edges (k > KC, m > MC, ragged tiles)', () => {
  const shapes: [number, number, number][] = [
    [MC + 5, 7, KC + 3],
    [9, 13, 2 * KC + 1],
    [MC * 2 + 1, 6, 17],
    [3, 5, KC],
  ];
  let seed = 1;
  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const t = makeCase(transA, transB, m, n, k, seed++);
        const viaWasm = run(t, packedCall('wasm', t));
        assertBitwiseEqual(viaWasm, run(t, packedCall('js', t)), `${m}×${k}·${k}×${n}`);
        assertClose(viaWasm, reference(t), k, `${m}×${k}·${k}×${n} ${transA} ${transB}`);
      }
    }
  }
});

for (const backend of ['wasm', 'js'] as const) {
  test(`gemm (${backend}) matches reference loops on both sides of its size thresholds, any transposes`, () => {
    setGemmBackend(backend);
    try {
      fc.assert(
        fc.property(
          fc.boolean(),
          fc.boolean(),
          fc.integer({ min: 1, max: 48 }),
          fc.integer({ min: 1, max: 48 }),
          fc.integer({ min: 1, max: 48 }),
          fc.boolean(),
          fc.integer(),
          (transA, transB, m, n, k, accumulate, seed) => {
            const t = makeCase(transA, transB, m, n, k, seed);
            const got = run(t, (c) =>
              gemm(transA, transB, m, n, k, t.a, t.aOff, t.b, t.bOff, c, t.cOff, accumulate),
            );
            const before = accumulate
              ? t
              : { ...t, c: t.c.slice().fill(0, t.cOff, t.cOff + m * n) };
            assertClose(got, reference(before), k, `gemm ${m}×${k}·${k}×${n}`);
          },
        ),
        { numRuns: 300 },
      );
    } finally {
      setGemmBackend('auto');
    }
    // The property draws both sides of each threshold.
    assert.ok(48 * 48 * 48 > WASM_MIN_WORK && 4 * 4 * 4 < WASM_MIN_WORK);
  });
}

test('gemm gives bitwise the same C with either backend, at every size (host-independent numbers)', () => {
  try {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        fc.integer(),
        (transA, transB, m, n, k, accumulate, seed) => {
          const t = makeCase(transA, transB, m, n, k, seed);
          const via = (backend: 'wasm' | 'js') => {
            setGemmBackend(backend);
            return run(t, (c) =>
              gemm(transA, transB, m, n, k, t.a, t.aOff, t.b, t.bOff, c, t.cOff, accumulate),
            );
          };
          assertBitwiseEqual(via('wasm'), via('js'), `${m}×${k}·${k}×${n}`);
        },
      ),
      { numRuns: 300 },
    );
  } finally {
    setGemmBackend('auto');
  }
});

test('gemm with accumulate = false overwrites C, and touches nothing outside it', () => {
  for (const [m, n, k] of [
    [3, 2, 5],
    [40, 33, 21],
  ] as const) {
    const t = makeCase(false, true, m, n, k, 7);
    const got = run(t, (c) =>
      gemm(false, true, m, n, k, t.a, t.aOff, t.b, t.bOff, c, t.cOff, false),
    );
    const zeroC: Case = { ...t, c: t.c.slice().fill(0, t.cOff, t.cOff + m * n) };
    assertClose(got, reference(zeroC), k, 'overwrite');
  }
});

test('gemm with k = 0 adds nothing, and with accumulate = false leaves zeros', () => {
  const c = Float64Array.of(1, 2, 3, 4);
  gemm(false, false, 2, 2, 0, new Float64Array(0), 0, new Float64Array(0), 0, c, 0);
  assert.deepEqual([...c], [1, 2, 3, 4]);
  gemm(false, false, 2, 2, 0, new Float64Array(0), 0, new Float64Array(0), 0, c, 0, false);
  assert.deepEqual([...c], [0, 0, 0, 0]);
});

test('non-finite values propagate through both kernels as IEEE arithmetic says', () => {
  for (const backend of ['wasm', 'js'] as const) {
    const m = 6;
    const n = 5;
    const k = 7;
    const a = new Float64Array(m * k).fill(1);
    const b = new Float64Array(k * n).fill(0);
    a[2 * k + 3] = Infinity; // row 2 · zeros → Inf · 0 = NaN in row 2 only
    a[4 * k + 1] = NaN; // row 4 → NaN
    const c = new Float64Array(m * n);
    packedGemm(backend, false, false, m, n, k, a, 0, b, 0, c, 0);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const v = c[i * n + j];
        if (i === 2 || i === 4) assert.ok(Number.isNaN(v), `${backend} C[${i},${j}] is NaN`);
        else assert.equal(v, 0);
      }
    }
  }
});

test('setGemmBackend pins a kernel and auto returns to the best one', () => {
  try {
    setGemmBackend('js');
    assert.equal(gemmBackend(), 'js');
    const t = makeCase(true, false, 30, 31, 29, 3);
    const viaJs = run(t, (c) => gemm(true, false, 30, 31, 29, t.a, t.aOff, t.b, t.bOff, c, t.cOff));
    setGemmBackend('wasm');
    assert.equal(gemmBackend(), 'wasm');
    const viaWasm = run(t, (c) =>
      gemm(true, false, 30, 31, 29, t.a, t.aOff, t.b, t.bOff, c, t.cOff),
    );
    assertBitwiseEqual(viaWasm, viaJs, 'pinned kernels');
  } finally {
    setGemmBackend('auto');
  }
  assert.equal(gemmBackend(), 'wasm');
});
