/**
 * Seeded initializers: the values a spec writes as `zeros(3)`, `randn(2, 3, seed=1)`,
 * `xavier(2, 3)` or, in a student's NumPy code, `np.random.seed(0); np.random.randn(2, 3)`.
 *
 * Everything here is deterministic: a note must show the same numbers every time it is opened.
 * Two random sources exist:
 *
 * - `Xoshiro128` (xoshiro128**, seeded through splitmix32) for the spec language's own `randn`,
 *   `rand`, `uniform`, `xavier`, `he`: small, fast, good statistical quality. Normals come from
 *   Box–Muller.
 * - `NumpyRandomState`, the legacy MT19937 stream behind `np.random.seed(k)` followed by
 *   `np.random.randn/rand/uniform/normal`, bit for bit, so a student's forward pass shows the very
 *   numbers their notebook printed.
 *
 * Callers validate shapes and sizes (and the element limit) before calling in; these functions
 * only assert that a shape is made of non-negative integers.
 */
import { type Shape, Tensor, sizeOf } from './tensor';

/** A stream of uniform [0, 1) and standard normal draws. */
export interface RandomSource {
  /** Uniform on [0, 1), 53 random bits. */
  uniform(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
}

/** splitmix32: spreads a small integer seed over a full 32-bit state word. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** xoshiro128** (Blackman & Vigna) with Box–Muller normals. */
export class Xoshiro128 implements RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  constructor(seed: number) {
    const st = { s: seed >>> 0 };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    // An all-zero state would be stuck at zero; splitmix32 never yields four zeros, but be sure.
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** The next 32-bit output. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    // Box–Muller; 1 - u keeps the logarithm's argument in (0, 1].
    const u = 1 - this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * NumPy's legacy `RandomState` (MT19937 seeded by `init_genrand`, 53-bit doubles, the polar
 * Gaussian with its cached second value): `np.random.seed(0); np.random.randn(3)` gives
 * 1.764052…, 0.400157…, 0.978737… exactly as NumPy does.
 */
export class NumpyRandomState implements RandomSource {
  private readonly mt = new Uint32Array(624);
  private index = 624;
  private gauss: number | null = null;

  /** `seed` must be an integer in [0, 2³²), as NumPy requires. */
  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < 624; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
      mt[i] = mt[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }

  nextUint32(): number {
    if (this.index >= 624) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  normal(): number {
    if (this.gauss !== null) {
      const g = this.gauss;
      this.gauss = null;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.uniform() - 1;
      x2 = 2 * this.uniform() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    return f * x2;
  }
}

/**
 * The seed used when a spec gives none: FNV-1a of the statement's name, so `param W1 = randn(2, 3)`
 * always shows the same numbers, and W1 and W2 differ.
 */
export function seedFromName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function checkShape(shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid tensor size ${d}`);
  }
}

function fill(shape: Shape, f: (i: number) => number): Tensor {
  checkShape(shape);
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = f(i);
  return new Tensor(shape, data);
}

export function zeros(shape: Shape): Tensor {
  checkShape(shape);
  return new Tensor(shape);
}

export function ones(shape: Shape): Tensor {
  return full(shape, 1);
}

export function full(shape: Shape, value: number): Tensor {
  checkShape(shape);
  return Tensor.filled(shape, value);
}

/** The n×m identity (m defaults to n). */
export function eye(n: number, m: number = n): Tensor {
  return fill([n, m], (i) => (Math.floor(i / m) === i % m ? 1 : 0));
}

/** How many values `arange(start, stop, step)` has (NumPy's ceil((stop - start) / step)); NaN if step is 0. */
export function arangeLength(start: number, stop: number, step: number): number {
  if (step === 0) return NaN;
  return Math.max(0, Math.ceil((stop - start) / step));
}

export function arange(start: number, stop: number, step = 1): Tensor {
  const n = arangeLength(start, stop, step);
  return fill([n], (i) => start + i * step);
}

/** n evenly spaced values from a to b, both ends included (NumPy's linspace). */
export function linspace(a: number, b: number, n: number): Tensor {
  const step = n > 1 ? (b - a) / (n - 1) : 0;
  return fill([n], (i) => (n > 1 && i === n - 1 ? b : a + i * step));
}

export function randn(shape: Shape, rng: RandomSource): Tensor {
  return fill(shape, () => rng.normal());
}

export function rand(shape: Shape, rng: RandomSource): Tensor {
  return fill(shape, () => rng.uniform());
}

/** Uniform on [low, high). */
export function uniform(low: number, high: number, shape: Shape, rng: RandomSource): Tensor {
  return fill(shape, () => low + (high - low) * rng.uniform());
}

/** Normal with the given mean and standard deviation. */
export function normal(mean: number, std: number, shape: Shape, rng: RandomSource): Tensor {
  return fill(shape, () => mean + std * rng.normal());
}

/** Glorot/Xavier uniform: U(−a, a) with a = √(6 / (fan_in + fan_out)), shape fan_in × fan_out. */
export function xavier(fanIn: number, fanOut: number, rng: RandomSource): Tensor {
  const a = Math.sqrt(6 / (fanIn + fanOut));
  return uniform(-a, a, [fanIn, fanOut], rng);
}

/** He (Kaiming) normal: N(0, 2 / fan_in), shape fan_in × fan_out. */
export function he(fanIn: number, fanOut: number, rng: RandomSource): Tensor {
  return normal(0, Math.sqrt(2 / fanIn), [fanIn, fanOut], rng);
}
