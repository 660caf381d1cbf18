/**
 * The functions and methods a spec can call, in the language's own spelling and in the NumPy /
 * PyTorch spellings a student's forward pass uses. Each maps onto the engine's ops (by name, via
 * `CallContext.apply`) or onto the seeded initializers of `engine/init.ts`.
 *
 * Keys are canonical dotted paths: `numpy.` is written `np.`, `torch.nn.functional.` and
 * `nn.functional.` are written `F.`. Keyword aliases follow the libraries: `dim` for `axis`,
 * `keepdim` for `keepdims`, `size` for a shape, `num_classes`, `negative_slope`.
 * Keywords that only choose a dtype or device (`dtype`, `device`, `requires_grad` …) are
 * accepted and ignored: the engine is float64 on the CPU, and a leaf's role decides its gradient.
 */
import type { Node } from '../engine/graph';
import * as init from '../engine/init';
import { NumpyRandomState, Xoshiro128 } from '../engine/init';
import type { Attrs } from '../engine/op';
import type { Tensor } from '../engine/tensor';
import type { Arg, Bound, CallContext, Value } from './values';

export interface ParamDef {
  readonly name: string;
  /** Other keyword spellings of this parameter (`dim` for `axis`). */
  readonly aliases?: readonly string[];
  /** May be left out (the implementation supplies the default). */
  readonly optional?: boolean;
  /** Collects every remaining positional argument (`randn(2, 3)`); may be empty. */
  readonly rest?: boolean;
  /** Only by keyword (after a rest parameter, like `seed=`). */
  readonly keywordOnly?: boolean;
}

export interface Builtin {
  readonly params: readonly ParamDef[];
  readonly impl: (a: Bound, c: CallContext) => Value;
  /** True for `np.random.seed`-like calls, the only bare expression a statement can be. */
  readonly seeds?: boolean;
}

/** Keywords accepted everywhere and ignored (never evaluated). */
export const IGNORED_KEYWORDS: ReadonlySet<string> = new Set([
  'dtype',
  'device',
  'requires_grad',
  'layout',
  'pin_memory',
  'copy',
  'order',
  'out',
]);

/** First path segments that name a library rather than a tensor. */
export const MODULES: ReadonlySet<string> = new Set(['np', 'numpy', 'torch', 'F', 'nn', 'math']);

/** `numpy.exp` → `np.exp`, `torch.nn.functional.relu` → `F.relu`, `nn.functional.relu` → `F.relu`. */
export function canonicalPath(path: readonly string[]): string {
  let p = [...path];
  if (p[0] === 'numpy') p[0] = 'np';
  if (p[0] === 'torch' && p[1] === 'nn' && p[2] === 'functional') p = ['F', ...p.slice(3)];
  else if (p[0] === 'nn' && p[1] === 'functional') p = ['F', ...p.slice(2)];
  return p.join('.');
}

const x: ParamDef = { name: 'x', aliases: ['input', 'a'] };
const axisParam: ParamDef = { name: 'axis', aliases: ['dim'], optional: true };
const keepdims: ParamDef = { name: 'keepdims', aliases: ['keepdim'], optional: true };
const seedParam: ParamDef = { name: 'seed', optional: true, keywordOnly: true };
const shapeRest: ParamDef = { name: 'shape', aliases: ['size'], rest: true };

function unary(op: string, onNumber?: (v: number) => number): Builtin {
  return {
    params: [x],
    impl: (a, c) => {
      const v = a.one('x')!;
      if (onNumber && v.value.kind === 'number') {
        return { kind: 'number', value: onNumber(v.value.value), range: c.range };
      }
      return c.apply(op, [c.node(v)]);
    },
  };
}

function binary(op: string, onNumbers?: (u: number, v: number) => number): Builtin {
  return {
    params: [
      { name: 'a', aliases: ['input', 'x1'] },
      { name: 'b', aliases: ['other', 'x2', 'exponent'] },
    ],
    impl: (a, c) => {
      const u = a.one('a')!;
      const v = a.one('b')!;
      if (onNumbers && u.value.kind === 'number' && v.value.kind === 'number') {
        return { kind: 'number', value: onNumbers(u.value.value, v.value.value), range: c.range };
      }
      return c.apply(op, [c.node(u), c.node(v)]);
    },
  };
}

function reduction(op: string): Builtin {
  return {
    params: [x, axisParam, keepdims],
    impl: (a, c) => {
      const keep = a.one('keepdims');
      return c.apply(op, [c.node(a.one('x')!)], {
        axis: c.axis(a.one('axis'), null),
        keepdims: keep ? c.bool(keep, 'keepdims') : false,
      });
    },
  };
}

function alongAxis(op: string, withKeepdims: boolean): Builtin {
  return {
    params: withKeepdims ? [x, axisParam, keepdims] : [x, axisParam],
    impl: (a, c) => {
      const keep = a.one('keepdims');
      const attrs: Attrs = withKeepdims
        ? { axis: c.axis(a.one('axis'), -1), keepdims: keep ? c.bool(keep, 'keepdims') : false }
        : { axis: c.axis(a.one('axis'), -1) };
      return c.apply(op, [c.node(a.one('x')!)], attrs);
    },
  };
}

function leakyRelu(): Builtin {
  return {
    params: [x, { name: 'alpha', aliases: ['negative_slope'], optional: true }],
    impl: (a, c) => {
      const alpha = a.one('alpha');
      return c.apply('leaky_relu', [c.node(a.one('x')!)], {
        alpha: alpha ? c.num(alpha, 'alpha') : 0.01,
      });
    },
  };
}

/** A loss `op(prediction, target)`; PyTorch's `reduction=` may only be its default, 'mean'. */
function loss(op: string, first: string, second: string): Builtin {
  return {
    params: [
      { name: first, aliases: ['input'] },
      { name: second, aliases: ['target'] },
      { name: 'reduction', optional: true, keywordOnly: true },
    ],
    impl: (a, c) => {
      const r = a.one('reduction');
      if (r && !(r.value.kind === 'string' && r.value.value === 'mean')) {
        c.fail(
          'argument',
          `${c.name}: only reduction='mean' is supported (the loss is the mean over samples) — remove reduction=`,
          r.range,
        );
      }
      return c.apply(op, [c.node(a.one(first)!), c.node(a.one(second)!)]);
    },
  };
}

function oneHot(): Builtin {
  return {
    params: [
      { name: 'y', aliases: ['input', 'tensor'] },
      { name: 'classes', aliases: ['num_classes'], optional: true },
    ],
    impl: (a, c) => {
      const y = c.node(a.one('y')!);
      const k = a.one('classes');
      let classes = k ? c.int(k, 'the number of classes', -1) : -1;
      if (classes === -1) {
        // F.one_hot's default: one more than the largest label.
        let max = -1;
        for (const v of y.value.data) max = Math.max(max, v);
        classes = Math.max(0, Math.floor(max) + 1);
      }
      return c.apply('one_hot', [y], { classes });
    },
  };
}

function matmul(): Builtin {
  return {
    params: [
      { name: 'a', aliases: ['input'] },
      { name: 'b', aliases: ['other', 'mat2'] },
    ],
    impl: (a, c) => c.apply('matmul', [c.node(a.one('a')!), c.node(a.one('b')!)]),
  };
}

/** `np.transpose(x, axes)` / `transpose(x)`: reverses the axes, or orders them as given. */
function transposeNp(): Builtin {
  return {
    params: [x, { name: 'axes', rest: true }],
    impl: (a, c) => {
      const axes = a.all('axes');
      return c.apply('transpose', [c.node(a.one('x')!)], {
        axes:
          axes.length === 0 || (axes.length === 1 && axes[0].value.kind === 'none')
            ? null
            : c.shape(axes, 'axes'),
      });
    },
  };
}

/** `torch.transpose(x, d0, d1)` and `x.transpose(d0, d1)`: swaps two axes. */
function swapAxes(node: Node, d0: number, d1: number, c: CallContext): Value {
  const rank = node.value.shape.length;
  const norm = (d: number): number => (d < 0 ? d + rank : d);
  const i = norm(d0);
  const j = norm(d1);
  if (i < 0 || i >= rank || j < 0 || j >= rank) {
    c.fail(
      'argument',
      `${c.name}: axes ${d0} and ${d1} do not both exist in a tensor of rank ${rank} — use axes from ${-rank} to ${rank - 1}`,
    );
  }
  const axes = Array.from({ length: rank }, (_, k) => k);
  axes[i] = j;
  axes[j] = i;
  return c.apply('transpose', [node], { axes });
}

function transposeTorch(): Builtin {
  return {
    params: [x, { name: 'dim0' }, { name: 'dim1' }],
    impl: (a, c) =>
      swapAxes(
        c.node(a.one('x')!),
        c.int(a.one('dim0')!, 'dim0', -Infinity),
        c.int(a.one('dim1')!, 'dim1', -Infinity),
        c,
      ),
  };
}

function reshape(): Builtin {
  return {
    params: [x, { name: 'shape', aliases: ['newshape'], rest: true }],
    impl: (a, c) =>
      c.apply('reshape', [c.node(a.one('x')!)], {
        shape: c.shape(a.all('shape'), 'the new shape'),
      }),
  };
}

function shaped(make: (shape: number[]) => Tensor): Builtin {
  return {
    params: [shapeRest],
    impl: (a, c) => {
      const shape = c.shape(a.all('shape'));
      return c.create(shape, () => make(shape));
    },
  };
}

function shapedLike(make: (shape: number[]) => Tensor): Builtin {
  return {
    params: [x],
    impl: (a, c) => {
      const shape = [...c.node(a.one('x')!).value.shape];
      return c.create(shape, () => make(shape));
    },
  };
}

/** Spec `full(2, 3, 0.5)` (last positional is the value) and NumPy `np.full((2, 3), 0.5)`. */
function full(): Builtin {
  return {
    params: [
      { name: 'args', rest: true },
      { name: 'fill_value', aliases: ['value'], optional: true, keywordOnly: true },
    ],
    impl: (a, c) => {
      const args = [...a.all('args')];
      let valueArg = a.one('fill_value');
      if (!valueArg) {
        if (args.length < 2) {
          c.fail(
            'arity',
            `${c.name} needs a shape and a value, like full(2, 3, 0.5) or full((2, 3), 0.5)`,
          );
        }
        valueArg = args.pop()!;
      }
      const value = c.num(valueArg, 'the fill value');
      const shape = c.shape(args);
      return c.create(shape, () => init.full(shape, value));
    },
  };
}

function eye(): Builtin {
  return {
    params: [
      { name: 'n', aliases: ['N'] },
      { name: 'm', aliases: ['M'], optional: true },
    ],
    impl: (a, c) => {
      const n = c.int(a.one('n')!, 'n');
      const mArg = a.one('m');
      const m = mArg && mArg.value.kind !== 'none' ? c.int(mArg, 'm') : n;
      return c.create([n, m], () => init.eye(n, m));
    },
  };
}

function arange(): Builtin {
  return {
    params: [{ name: 'args', rest: true }],
    impl: (a, c) => {
      const args = a.all('args');
      if (args.length < 1 || args.length > 3) {
        c.fail(
          'arity',
          `${c.name} takes 1 to 3 numbers: arange(stop), arange(start, stop) or arange(start, stop, step) — got ${args.length}`,
        );
      }
      const nums = args.map((v, i) =>
        c.num(v, ['the start', 'the stop', 'the step'][args.length === 1 ? 1 : i]),
      );
      const [start, stop, step] =
        nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
      if (step === 0)
        c.fail('argument', `${c.name}: the step is 0 — use a non-zero step`, args[2].range);
      const n = init.arangeLength(start, stop, step);
      return c.create([n], () => init.arange(start, stop, step));
    },
  };
}

function linspace(): Builtin {
  return {
    params: [
      { name: 'start' },
      { name: 'stop', aliases: ['end'] },
      { name: 'num', aliases: ['steps', 'n'], optional: true },
    ],
    impl: (a, c) => {
      const start = c.num(a.one('start')!, 'the start');
      const stop = c.num(a.one('stop')!, 'the stop');
      const numArg = a.one('num');
      const n = numArg ? c.int(numArg, 'the number of values') : 50;
      return c.create([n], () => init.linspace(start, stop, n));
    },
  };
}

function random(make: (shape: number[], rng: init.RandomSource) => Tensor): Builtin {
  return {
    params: [shapeRest, seedParam],
    impl: (a, c) => {
      const shape = c.shape(a.all('shape'));
      const rng = c.rng(a.one('seed'));
      return c.create(shape, () => make(shape, rng));
    },
  };
}

/** `uniform(low, high, shape…)` and `normal(mean, std, shape…)`: two numbers, then the shape. */
function randomWith(
  first: ParamDef,
  second: ParamDef,
  defaults: [number, number],
  make: (p: number, q: number, shape: number[], rng: init.RandomSource) => Tensor,
): Builtin {
  return {
    params: [{ ...first, optional: true }, { ...second, optional: true }, shapeRest, seedParam],
    impl: (a, c) => {
      const p = a.one(first.name);
      const q = a.one(second.name);
      const pv = p ? c.num(p, first.name) : defaults[0];
      const qv = q ? c.num(q, second.name) : defaults[1];
      const shape = c.shape(a.all('shape'));
      const rng = c.rng(a.one('seed'));
      return c.create(shape, () => make(pv, qv, shape, rng));
    },
  };
}

function fanInit(make: (fanIn: number, fanOut: number, rng: init.RandomSource) => Tensor): Builtin {
  return {
    params: [{ name: 'fan_in' }, { name: 'fan_out' }, seedParam],
    impl: (a, c) => {
      const fanIn = c.int(a.one('fan_in')!, 'fan_in', 1);
      const fanOut = c.int(a.one('fan_out')!, 'fan_out', 1);
      const rng = c.rng(a.one('seed'));
      return c.create([fanIn, fanOut], () => make(fanIn, fanOut, rng));
    },
  };
}

function seeder(make: (seed: number) => init.RandomSource, max: number): Builtin {
  return {
    params: [{ name: 'seed' }],
    seeds: true,
    impl: (a, c) => {
      const s = a.one('seed')!;
      const k = c.int(s, 'the seed');
      if (k > max)
        c.fail(
          'argument',
          `${c.name}: the seed must be at most ${max} — use a smaller seed`,
          s.range,
        );
      c.setBlockRng(make(k));
      return { kind: 'none', range: c.range };
    },
  };
}

/** `np.array(lst)`, `torch.tensor(lst)`: the value itself (a list becomes a tensor where used). */
function identity(): Builtin {
  return {
    params: [{ name: 'x', aliases: ['data', 'object', 'a'] }],
    impl: (a) => a.one('x')!.value,
  };
}

/** `np.maximum(0, Z)` and `np.maximum(Z, 0)` are ReLU; any other maximum is not an op here. */
function maximum(): Builtin {
  return {
    params: [
      { name: 'a', aliases: ['x1', 'input'] },
      { name: 'b', aliases: ['x2', 'other'] },
    ],
    impl: (a, c) => {
      const u = a.one('a')!;
      const v = a.one('b')!;
      const isZero = (w: Arg): boolean => w.value.kind === 'number' && w.value.value === 0;
      if (isZero(u)) return c.apply('relu', [c.node(v)]);
      if (isZero(v)) return c.apply('relu', [c.node(u)]);
      return c.fail(
        'unsupported',
        `${c.name} is understood as ReLU only, with 0 as one argument: ${c.name}(0, Z) — for leaky ReLU use leaky_relu(Z, alpha)`,
      );
    },
  };
}

/** `torch.clamp(x, min=0)` is ReLU. */
function clamp(): Builtin {
  return {
    params: [x, { name: 'min', optional: true }, { name: 'max', optional: true }],
    impl: (a, c) => {
      const lo = a.one('min');
      const hi = a.one('max');
      if (
        lo &&
        lo.value.kind === 'number' &&
        lo.value.value === 0 &&
        (!hi || hi.value.kind === 'none')
      ) {
        return c.apply('relu', [c.node(a.one('x')!)]);
      }
      return c.fail(
        'unsupported',
        `${c.name} is understood as ReLU only: ${c.name}(x, min=0) — use relu(x)`,
      );
    },
  };
}

function square(): Builtin {
  return {
    params: [x],
    impl: (a, c) => {
      const v = a.one('x')!;
      if (v.value.kind === 'number')
        return { kind: 'number', value: v.value.value ** 2, range: c.range };
      return c.apply('pow', [
        c.node(v),
        c.node({ value: { kind: 'number', value: 2, range: c.range }, range: c.range }),
      ]);
    },
  };
}

function length(): Builtin {
  return {
    params: [{ name: 'x', aliases: ['obj'] }],
    impl: (a, c) => {
      const v = a.one('x')!;
      if (v.value.kind === 'seq')
        return { kind: 'number', value: v.value.items.length, range: c.range };
      const shape = c.node(v).value.shape;
      if (shape.length === 0)
        c.fail(
          'argument',
          `${c.name}() of a scalar has no length — use it on a vector or a matrix`,
          v.range,
        );
      return { kind: 'number', value: shape[0], range: c.range };
    },
  };
}

const numberOnly = (name: string, f: (v: number) => number): Builtin => ({
  params: [x],
  impl: (a, c) => {
    const v = a.one('x')!;
    const w = v.value;
    if (w.kind !== 'number') {
      return c.fail(
        'argument',
        `${c.name} works on plain numbers — for a tensor use ${name}(x)`,
        v.range,
      );
    }
    return { kind: 'number', value: f(w.value), range: c.range };
  },
});

function table(): Map<string, Builtin> {
  const t = new Map<string, Builtin>();
  const def = (names: string, b: Builtin): void => {
    for (const n of names.trim().split(/\s+/)) t.set(n, b);
  };

  def('matmul np.dot np.matmul torch.matmul torch.mm torch.mv torch.dot', matmul());
  def(
    'add np.add torch.add',
    binary('add', (u, v) => u + v),
  );
  def(
    'sub np.subtract torch.sub torch.subtract',
    binary('sub', (u, v) => u - v),
  );
  def(
    'mul np.multiply torch.mul torch.multiply',
    binary('mul', (u, v) => u * v),
  );
  def(
    'div np.divide np.true_divide torch.div torch.divide',
    binary('div', (u, v) => u / v),
  );
  def(
    'pow np.power torch.pow',
    binary('pow', (u, v) => u ** v),
  );
  def(
    'neg np.negative torch.neg torch.negative',
    unary('neg', (v) => -v),
  );
  def('square np.square torch.square', square());

  def('exp np.exp torch.exp', unary('exp', Math.exp));
  def('log np.log torch.log', unary('log', Math.log));
  def('sqrt np.sqrt torch.sqrt', unary('sqrt', Math.sqrt));
  def('abs np.abs np.absolute torch.abs', unary('abs', Math.abs));
  def('tanh np.tanh torch.tanh F.tanh', unary('tanh', Math.tanh));
  def('relu torch.relu F.relu', unary('relu'));
  def('sigmoid torch.sigmoid F.sigmoid', unary('sigmoid'));
  def('softplus F.softplus', unary('softplus'));
  def('gelu F.gelu', unary('gelu'));
  def('leaky_relu F.leaky_relu', leakyRelu());
  def('np.maximum torch.maximum', maximum());
  def('torch.clamp torch.clip', clamp());

  def('softmax torch.softmax F.softmax', alongAxis('softmax', false));
  def('log_softmax torch.log_softmax F.log_softmax', alongAxis('log_softmax', false));
  def('logsumexp torch.logsumexp', alongAxis('logsumexp', true));
  def('sum np.sum torch.sum', reduction('sum'));
  def('mean np.mean torch.mean', reduction('mean'));
  def('max np.max np.amax torch.max torch.amax', reduction('max'));

  def('transpose np.transpose', transposeNp());
  def('torch.transpose', transposeTorch());
  def('torch.t', {
    params: [x],
    impl: (a, c) => c.apply('transpose', [c.node(a.one('x')!)], { axes: null }),
  });
  def('reshape np.reshape torch.reshape', reshape());

  def('cross_entropy', loss('cross_entropy', 'P', 'y'));
  def('softmax_cross_entropy F.cross_entropy', loss('softmax_cross_entropy', 'Z', 'y'));
  def('mse F.mse_loss', loss('mse', 'prediction', 'y'));
  def('bce F.binary_cross_entropy', loss('bce', 'p', 'y'));
  def('one_hot F.one_hot', oneHot());

  def(
    'zeros np.zeros torch.zeros',
    shaped((s) => init.zeros(s)),
  );
  def(
    'ones np.ones torch.ones',
    shaped((s) => init.ones(s)),
  );
  def(
    'np.zeros_like torch.zeros_like',
    shapedLike((s) => init.zeros(s)),
  );
  def(
    'np.ones_like torch.ones_like',
    shapedLike((s) => init.ones(s)),
  );
  def('full np.full torch.full', full());
  def('eye np.eye torch.eye', eye());
  def('np.identity', {
    params: [{ name: 'n' }],
    impl: (a, c) => {
      const n = c.int(a.one('n')!, 'n');
      return c.create([n, n], () => init.eye(n));
    },
  });
  def('arange np.arange torch.arange', arange());
  def('linspace np.linspace torch.linspace', linspace());
  def(
    'randn np.random.randn torch.randn np.random.standard_normal',
    random((s, r) => init.randn(s, r)),
  );
  def(
    'rand np.random.rand torch.rand np.random.random np.random.random_sample',
    random((s, r) => init.rand(s, r)),
  );
  def(
    'uniform np.random.uniform',
    randomWith({ name: 'low' }, { name: 'high' }, [0, 1], (p, q, s, r) => init.uniform(p, q, s, r)),
  );
  def(
    'normal np.random.normal',
    randomWith(
      { name: 'mean', aliases: ['loc'] },
      { name: 'std', aliases: ['scale'] },
      [0, 1],
      (p, q, s, r) => init.normal(p, q, s, r),
    ),
  );
  def(
    'xavier',
    fanInit((i, o, r) => init.xavier(i, o, r)),
  );
  def(
    'he',
    fanInit((i, o, r) => init.he(i, o, r)),
  );
  def(
    'np.random.seed',
    seeder((k) => new NumpyRandomState(k), 2 ** 32 - 1),
  );
  def(
    'seed torch.manual_seed',
    seeder((k) => new Xoshiro128(k), 2 ** 32 - 1),
  );

  def('np.array np.asarray torch.tensor torch.as_tensor torch.from_numpy', identity());
  def('len', length());
  def('math.sqrt', numberOnly('sqrt', Math.sqrt));
  def('math.exp', numberOnly('exp', Math.exp));
  def('math.log', numberOnly('log', Math.log));
  return t;
}

export const FUNCTIONS: ReadonlyMap<string, Builtin> = table();

/** Numbers a module names: `np.pi`, `math.e`. */
export const CONSTANTS: ReadonlyMap<string, number> = new Map([
  ['np.pi', Math.PI],
  ['np.e', Math.E],
  ['np.inf', Infinity],
  ['math.pi', Math.PI],
  ['math.e', Math.E],
  ['math.inf', Infinity],
]);

const self: ParamDef = { name: 'x' };

/**
 * Methods on a tensor (`x.sum(axis=0)`, `x.reshape(2, 3)`): the same builtins, with the
 * receiver bound to parameter 0 and the written arguments following it.
 */
function methodTable(): Map<string, Builtin> {
  const t = new Map<string, Builtin>();
  const pick = (from: string, names: string): void => {
    for (const n of names.trim().split(/\s+/)) t.set(n, FUNCTIONS.get(from)!);
  };
  pick('sum', 'sum');
  pick('mean', 'mean');
  pick('max', 'max amax');
  pick('exp', 'exp');
  pick('log', 'log');
  pick('sqrt', 'sqrt');
  pick('abs', 'abs');
  pick('tanh', 'tanh');
  pick('sigmoid', 'sigmoid');
  pick('relu', 'relu');
  pick('softmax', 'softmax');
  pick('log_softmax', 'log_softmax');
  pick('logsumexp', 'logsumexp');
  pick('reshape', 'reshape view');
  pick('matmul', 'dot matmul mm');
  pick('pow', 'pow');
  pick('torch.clamp', 'clamp clip');
  pick('torch.t', 't');
  t.set('transpose', {
    params: [self, { name: 'axes', aliases: ['dims'], rest: true }],
    impl: (a, c) => {
      const node = c.node(a.one('x')!);
      const axes = a.all('axes');
      if (axes.length === 2 && axes.every((v) => v.value.kind === 'number')) {
        // Two axes: PyTorch's swap (for a matrix, NumPy's x.transpose(1, 0) is the same thing).
        return swapAxes(
          node,
          c.int(axes[0], 'dim0', -Infinity),
          c.int(axes[1], 'dim1', -Infinity),
          c,
        );
      }
      return c.apply('transpose', [node], {
        axes: axes.length === 0 ? null : c.shape(axes, 'axes'),
      });
    },
  });
  t.set('permute', {
    params: [self, { name: 'dims', rest: true }],
    impl: (a, c) =>
      c.apply('transpose', [c.node(a.one('x')!)], { axes: c.shape(a.all('dims'), 'dims') }),
  });
  // PyTorch's x.size() is the shape; x.size(d) one size of it.
  t.set('size', {
    params: [self, { name: 'dim', optional: true }],
    impl: (a, c) => {
      const shape = c.node(a.one('x')!).value.shape;
      const d = a.one('dim');
      const items = shape.map((n): Value => ({ kind: 'number', value: n, range: c.range }));
      if (!d) return { kind: 'seq', tuple: true, items, range: c.range };
      const k = c.int(d, 'dim', -Infinity);
      const i = k < 0 ? k + shape.length : k;
      if (i < 0 || i >= shape.length) {
        c.fail(
          'argument',
          `${c.name}: dim ${k} does not exist in a tensor of rank ${shape.length} — use a dim from ${-shape.length} to ${shape.length - 1}`,
          d.range,
        );
      }
      return items[i];
    },
  });
  const same: Builtin = {
    params: [self],
    impl: (a, c) => ({ ...a.one('x')!.value, range: c.range }),
  };
  for (const n of ['float', 'double', 'numpy', 'detach', 'clone', 'copy', 'contiguous', 'cpu'])
    t.set(n, same);
  return t;
}

export const METHODS: ReadonlyMap<string, Builtin> = methodTable();

/** Attributes that are not calls: `.T`, `.shape`, `.ndim`, `.size` (NumPy's count). */
export const ATTRIBUTES: readonly string[] = ['T', 'shape', 'ndim', 'size'];

/** The names a spec may call without a module prefix, for "did you mean" over unknown names. */
export function bareFunctionNames(): string[] {
  return [...FUNCTIONS.keys()].filter((k) => !k.includes('.'));
}

/** Function names in the same namespace as `path` (`np.` names for `np.foo`). */
export function namesInNamespace(path: string): string[] {
  const dot = path.lastIndexOf('.');
  const prefix = dot < 0 ? '' : path.slice(0, dot + 1);
  return [...FUNCTIONS.keys()].filter(
    (k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('.'),
  );
}
