/**
 * What the fuzzer feeds the driver (driver.ts): fast-check arbitraries for
 * - grammar-shaped programs (every builtin spelling, roles, keywords, broken numbers);
 * - well-typed networks (shapes that fit, so most of them reach the explainer and the renderers);
 * - token soups;
 * - token/character mutations of the samples and of generated networks;
 * - byte-level mutations of the real samples (samples/*.md, *.model, *.py): bits flipped, bytes
 *   inserted, deleted, duplicated, the file truncated, decoded back as an editor would (invalid
 *   UTF-8 → U+FFFD); line-level edits (duplicate, drop, swap, fences spliced in); lone surrogates,
 *   CR / CRLF, NUL, very long lines and deep brackets.
 *
 * `fuzzInput` mixes them all; each input says which family it came from.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { FUNCTIONS, METHODS } from '../../src/spec/builtins';
import type { SourceKind } from './driver';

export interface FuzzInput {
  readonly text: string;
  readonly kind: SourceKind;
  /** The family it came from (grammar, network, soup, mutation, bytes). */
  readonly family: string;
}

export const FAMILIES = ['grammar', 'network', 'soup', 'mutation', 'bytes'] as const;

// ------------------------------------------------------------------------------------------------
// Grammar-shaped programs

const names = ['X', 'W1', 'W2', 'b1', 'y', 'Z', 'H', 'P', 'L', 'x', 'W3', 'q', 'np', 'F', 'torch'];
const fns = [...FUNCTIONS.keys(), 'softmx', 'unknown_fn', 'np.random', 'F.softmax.x'];
const methods = [...METHODS.keys(), 'foo'];
const keywords = [
  'axis',
  'keepdims',
  'dim',
  'keepdim',
  'seed',
  'alpha',
  'negative_slope',
  'classes',
  'num_classes',
  'min',
  'max',
  'dtype',
  'low',
  'high',
  'axs',
];
const numbers = fc.oneof(
  fc.integer({ min: -3, max: 6 }).map(String),
  fc.constantFrom(
    '0.5',
    '.5',
    '1e-3',
    '2.',
    '1.2.3',
    '1e',
    '3W',
    '-1',
    '1_0',
    'True',
    'None',
    '1e308',
    '1e309',
    '-0.0',
    'np.inf',
    'np.pi',
    '0x10',
    '100000',
  ),
);

const { expr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numbers,
    fc.constantFrom(...names),
    fc
      .tuple(
        tie('expr'),
        fc.constantFrom(' + ', ' - ', ' * ', ' / ', ' @ ', ' ** ', ' // ', ' > ', ' == ', ' % '),
        tie('expr'),
      )
      .map(([a, op, b]) => a + op + b),
    tie('expr').map((e) => `-${e}`),
    tie('expr').map((e) => `(${e})`),
    fc.array(tie('expr'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
    fc
      .array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 })
      .map((rows) => `[${rows.map((n) => `[${Array(n).fill('1.5').join(', ')}]`).join(', ')}]`),
    fc
      .tuple(
        fc.constantFrom(...fns),
        fc.array(tie('expr'), { maxLength: 3 }),
        fc.array(fc.tuple(fc.constantFrom(...keywords), tie('expr')), { maxLength: 2 }),
      )
      .map(
        ([f, args, kws]) => `${f}(${[...args, ...kws.map(([k, v]) => `${k}=${v}`)].join(', ')})`,
      ),
    fc
      .tuple(
        tie('expr'),
        fc.constantFrom(...methods),
        fc.array(fc.oneof(numbers, fc.constantFrom('axis=1', 'dim=0', '-1')), { maxLength: 2 }),
      )
      .map(([e, m, args]) => `${e}.${m}(${args.join(', ')})`),
    fc
      .tuple(
        tie('expr'),
        fc.constantFrom('.T', '.shape', '.shape[0]', '.ndim', '.size', '.foo', '[0]', '[:, 1]'),
      )
      .map(([e, a]) => e + a),
  ),
}));

const roles = [
  '',
  '',
  'param ',
  'input ',
  'const ',
  'target ',
  'loss ',
  'output ',
  'parm ',
  'def ',
];

const statement = fc
  .tuple(
    fc.constantFrom(...roles),
    fc.constantFrom(...names.slice(0, 11)),
    expr,
    fc.constantFrom('', '', '  # comment', ' #', '\\', ';', '  # train: lr=0.5 steps=3'),
  )
  .map(([role, name, e, tail]) => `${role}${name} = ${e}${tail}`);

const line = fc.oneof(
  { weight: 6, arbitrary: statement },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '# note',
      'np.random.seed(1)',
      'torch.manual_seed(3)',
      'import numpy as np',
      'def f(x):',
      '    return x',
      'print(L)',
      'x += 1',
      '    ',
      '```',
      '```model',
      '```model {wrt=W1}',
      '~~~model',
      ')',
      '(',
      '[',
    ),
  },
  { weight: 1, arbitrary: expr },
);

export const program = fc.array(line, { maxLength: 8 }).map((ls) => ls.join('\n'));

// ------------------------------------------------------------------------------------------------
// Well-typed networks: shapes that fit, so the later layers get real work

const activation = fc.constantFrom(
  (z: string) => `relu(${z})`,
  (z: string) => `tanh(${z})`,
  (z: string) => `sigmoid(${z})`,
  (z: string) => `softplus(${z})`,
  (z: string) => `gelu(${z})`,
  (z: string) => `leaky_relu(${z}, alpha=0.1)`,
  (z: string) => `np.maximum(0, ${z})`,
  (z: string) => `exp(${z})`,
  (z: string) => z,
);

export const network = fc
  .record({
    n: fc.integer({ min: 1, max: 4 }),
    dims: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }),
    acts: fc.array(activation, { minLength: 3, maxLength: 3 }),
    loss: fc.integer({ min: 0, max: 6 }),
    seed: fc.integer({ min: 0, max: 9 }),
    bias: fc.boolean(),
    python: fc.boolean(),
    wrt: fc.constantFrom('', ' {wrt=W1}', ' {wrt=Z1}', ' {wrt=nope}', ' chain=W1'),
    prose: fc.constantFrom('', '# A note\n\nSome prose.\n\n', '- item\n\n    ```model\n'),
  })
  .map(({ n, dims, acts, loss, seed, bias, python, wrt, prose }) => {
    const rows: string[] = [];
    const randn = python
      ? (r: number, c: number) => `np.random.randn(${r}, ${c})`
      : (r: number, c: number) => `randn(${r}, ${c}, seed=${seed})`;
    if (python) rows.push('import numpy as np', `np.random.seed(${seed})`);
    rows.push(`${python ? '' : 'input '}X = ${randn(n, dims[0])}`);
    let h = 'X';
    for (let i = 1; i < dims.length; i++) {
      rows.push(`${python ? '' : 'param '}W${i} = ${randn(dims[i - 1], dims[i])}`);
      if (bias)
        rows.push(`${python ? '' : 'param '}b${i} = ${python ? 'np.zeros' : 'zeros'}(${dims[i]})`);
      rows.push(`Z${i} = ${h} @ W${i}${bias ? ` + b${i}` : ''}`);
      if (i < dims.length - 1) {
        rows.push(`H${i} = ${acts[(i - 1) % acts.length](`Z${i}`)}`);
        h = `H${i}`;
      }
    }
    const z = `Z${dims.length - 1}`;
    const k = dims[dims.length - 1];
    const labels = `[${Array.from({ length: n }, (_, i) => i % k).join(', ')}]`;
    const l = python ? 'loss' : 'loss L';
    switch (loss) {
      case 0:
        rows.push(
          `${python ? '' : 'target '}y = ${labels}`,
          `P = softmax(${z}, axis=1)`,
          `${l} = cross_entropy(P, y)`,
        );
        break;
      case 1:
        rows.push(`${python ? '' : 'target '}T = ones(${n}, ${k})`, `${l} = mse(${z}, T)`);
        break;
      case 2:
        rows.push(
          `${python ? '' : 'target '}T = zeros(${n}, ${k})`,
          `p = sigmoid(${z})`,
          `${l} = bce(p, T)`,
        );
        break;
      case 3:
        rows.push(`${l} = sum(${z} * ${z})`);
        break;
      case 4:
        rows.push(`${python ? '' : 'target '}y = ${labels}`, `${l} = F.cross_entropy(${z}, y)`);
        break;
      case 5:
        rows.push(
          `E = exp(${z} - max(${z}, axis=1, keepdims=True))`,
          `S = E / sum(E, axis=1, keepdims=True)`,
          `${l} = -mean(log(S))`,
        );
        break;
      default:
        rows.push(`output O = ${z}.T`);
    }
    const body = rows.join('\n') + '\n';
    if (python) return { text: body, kind: 'python' as SourceKind };
    if (prose === '') return { text: body, kind: 'model' as SourceKind };
    return { text: `${prose}\`\`\`model${wrt}\n${body}\`\`\`\n`, kind: 'markdown' as SourceKind };
  });

// ------------------------------------------------------------------------------------------------
// Token soup

const vocabulary = [
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  '.',
  '=',
  '==',
  '@',
  '*',
  '**',
  '+',
  '-',
  '/',
  '#',
  '\\',
  '\n',
  ' ',
  '\t',
  ':',
  ';',
  "'",
  '"',
  '"""',
  '`',
  '~~~',
  '```model',
  '```',
  '\r\n',
  '\r',
  '\0',
  'X',
  'W1',
  'param',
  'loss',
  'input',
  'relu',
  'softmax',
  'randn',
  'np',
  'F',
  '.T',
  'sum',
  'axis',
  'seed',
  '1',
  '2.5',
  '.5',
  '1e-3',
  '0',
  '-1',
  'True',
  'None',
  'def',
  'import',
  '가',
  '😀',
  '\u3000',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\u2028',
];
export const soup = fc
  .array(fc.constantFrom(...vocabulary), { maxLength: 40 })
  .map((ts) => ts.join(''));

// ------------------------------------------------------------------------------------------------
// The samples, as files on disk

const samplesDir = join(__dirname, '..', '..', 'samples');
const kindOfFile = (f: string): SourceKind =>
  f.endsWith('.md') ? 'markdown' : f.endsWith('.py') ? 'python' : 'model';

/** Every file of samples/ with the kind its extension gives. */
export const sampleFiles: readonly { name: string; text: string; kind: SourceKind }[] = readdirSync(
  samplesDir,
)
  .filter((f) => /\.(md|model|py)$/.test(f))
  .sort()
  .map((name) => ({
    name,
    text: readFileSync(join(samplesDir, name), 'utf8'),
    kind: kindOfFile(name),
  }));

/**
 * A sample whole, or (19 times in 20) a window of 1–10 of its lines: a window is what one
 * block of a note looks like while it is typed, and costs less to drive than the whole file.
 */
const samples = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...sampleFiles) },
  {
    weight: 19,
    arbitrary: fc
      .tuple(fc.constantFrom(...sampleFiles), fc.nat(), fc.integer({ min: 1, max: 10 }))
      .map(([f, p, n]) => {
        const ls = f.text.split('\n');
        const i = p % ls.length;
        return { ...f, text: ls.slice(i, i + n).join('\n') };
      }),
  },
);

// ------------------------------------------------------------------------------------------------
// Character and token mutations

const interesting = '()[]{},.=@*+-/#\\\n\'"`~:;0123456789eE_ abcXWyTnp가\r\t';

export type Mutation = (s: string) => string;

const at = (p: number, s: string): number => p % (s.length + 1);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // delete a span
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })).map(([p, n]) => (s: string) => {
    const i = at(p, s);
    return s.slice(0, i) + s.slice(i + n);
  }),
  // insert interesting characters
  fc
    .tuple(fc.nat(), fc.array(fc.constantFrom(...interesting), { minLength: 1, maxLength: 4 }))
    .map(([p, cs]) => (s: string) => {
      const i = at(p, s);
      return s.slice(0, i) + cs.join('') + s.slice(i);
    }),
  // replace one character
  fc.tuple(fc.nat(), fc.constantFrom(...interesting)).map(([p, c]) => (s: string) => {
    const i = p % Math.max(1, s.length);
    return s.slice(0, i) + c + s.slice(i + 1);
  }),
  // duplicate a span somewhere else
  fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 30 })).map(([p, q, n]) => (s: string) => {
    const i = at(p, s);
    const j = at(q, s);
    return s.slice(0, j) + s.slice(i, i + n) + s.slice(j);
  }),
  // swap two tokens (split on spaces and brackets)
  fc.tuple(fc.nat(), fc.nat()).map(([p, q]) => (s: string) => {
    const toks = s.split(/(\s+|[()[\],])/);
    const i = p % toks.length;
    const j = q % toks.length;
    [toks[i], toks[j]] = [toks[j], toks[i]];
    return toks.join('');
  }),
  // drop a whole line
  fc.nat().map((p) => (s: string) => {
    const ls = s.split('\n');
    ls.splice(p % ls.length, 1);
    return ls.join('\n');
  }),
  // change a number (sizes, seeds, values)
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom('0', '-1', '1e9', '70', '1e-300', 'nan', '9999', '2.5', '1e400'),
    )
    .map(([p, n]) => (s: string) => {
      const nums = [...s.matchAll(/\d+(\.\d+)?/g)];
      if (nums.length === 0) return s;
      const m = nums[p % nums.length];
      return s.slice(0, m.index) + n + s.slice(m.index + m[0].length);
    }),
);

// ------------------------------------------------------------------------------------------------
// Byte-level mutations: the text as UTF-8 bytes, decoded back as an editor opens a file

type ByteMutation = (b: Uint8Array) => Uint8Array;
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const pos = (p: number, b: Uint8Array): number => p % (b.length + 1);

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  // flip one bit
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([p, bit]) => (b: Uint8Array) => {
    if (b.length === 0) return b;
    const out = b.slice();
    out[p % b.length] ^= 1 << bit;
    return out;
  }),
  // insert random bytes
  fc
    .tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 6 }))
    .map(([p, bytes]) => (b: Uint8Array) => {
      const i = pos(p, b);
      return cat(b.subarray(0, i), bytes, b.subarray(i));
    }),
  // delete a span of bytes
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 16 })).map(([p, n]) => (b: Uint8Array) => {
    const i = pos(p, b);
    return cat(b.subarray(0, i), b.subarray(i + n));
  }),
  // duplicate a span of bytes elsewhere
  fc
    .tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 64 }))
    .map(([p, q, n]) => (b: Uint8Array) => {
      const i = pos(p, b);
      const j = pos(q, b);
      return cat(b.subarray(0, j), b.subarray(i, i + n), b.subarray(j));
    }),
  // truncate
  fc.nat().map((p) => (b: Uint8Array) => b.subarray(0, pos(p, b))),
);

const lineMutation: fc.Arbitrary<Mutation> = fc.oneof(
  // duplicate a line
  fc.tuple(fc.nat(), fc.nat()).map(([p, q]) => (s: string) => {
    const ls = s.split('\n');
    ls.splice(q % (ls.length + 1), 0, ls[p % ls.length]);
    return ls.join('\n');
  }),
  // swap two lines
  fc.tuple(fc.nat(), fc.nat()).map(([p, q]) => (s: string) => {
    const ls = s.split('\n');
    const i = p % ls.length;
    const j = q % ls.length;
    [ls[i], ls[j]] = [ls[j], ls[i]];
    return ls.join('\n');
  }),
  // splice a fence line in
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom(
        '```',
        '```model',
        '~~~model',
        '````',
        '```model {wrt=W1}',
        '   ```',
        '```python',
        '~~~',
      ),
    )
    .map(([p, f]) => (s: string) => {
      const ls = s.split('\n');
      ls.splice(p % (ls.length + 1), 0, f);
      return ls.join('\n');
    }),
  // line endings: CRLF everywhere, CR alone everywhere, or one CR
  fc.constantFrom(
    (s: string) => s.replace(/\r?\n/g, '\r\n'),
    (s: string) => s.replace(/\r?\n/g, '\r'),
    (s: string) => s.replace('\n', '\r'),
    (s: string) => s.replace(/\n/g, '\n\r'),
  ),
  // random unicode: any code point, a lone surrogate, NUL, BOM, line/paragraph separators
  fc
    .tuple(
      fc.nat(),
      fc.oneof(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
        fc.constantFrom(
          '\0',
          '\ufeff',
          '\u2028',
          '\u2029',
          '\u0085',
          '\u200b',
          '\ufffd',
          '\u{10ffff}',
        ),
      ),
    )
    .map(([p, u]) => (s: string) => {
      const i = at(p, s);
      return s.slice(0, i) + u + s.slice(i);
    }),
  // a very long line: a long name, a long list, a long comment, a long number
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom(
        () => `x${'a'.repeat(5000)} = 1`,
        () => `v = [${Array(2000).fill('1.5').join(', ')}]`,
        () => `# ${'long comment '.repeat(500)}`,
        () => `n = ${'9'.repeat(2000)}`,
        () => `s = ${Array(1000).fill('1').join(' + ')}`,
        () =>
          `m = [${Array(40)
            .fill(`[${Array(40).fill('0.5').join(', ')}]`)
            .join(', ')}]`,
      ),
    )
    .map(([p, make]) => (s: string) => {
      const ls = s.split('\n');
      ls.splice(p % (ls.length + 1), 0, make());
      return ls.join('\n');
    }),
  // deep brackets (the parser's recursion), balanced or not
  fc
    .tuple(
      fc.nat(),
      fc.integer({ min: 50, max: 2000 }),
      fc.constantFrom('(', '[', '-', 'relu('),
      fc.boolean(),
    )
    .map(([p, depth, open, closed]) => (s: string) => {
      const close = open === '-' ? '' : open === '[' ? ']' : ')';
      const e = `d = ${open.repeat(depth)}1${closed ? close.repeat(depth) : ''}`;
      const ls = s.split('\n');
      ls.splice(p % (ls.length + 1), 0, e);
      return ls.join('\n');
    }),
);

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

// ------------------------------------------------------------------------------------------------
// Everything together

const kind = fc.constantFrom<SourceKind>('markdown', 'model', 'python', 'snippet');
const generated = fc.oneof(
  network,
  program.map((text) => ({ text, kind: 'model' as SourceKind })),
);

function mix(networkWeight: number): fc.Arbitrary<FuzzInput> {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.tuple(program, kind).map(([text, k]) => ({ text, kind: k, family: 'grammar' })),
    },
    { weight: networkWeight, arbitrary: network.map((n) => ({ ...n, family: 'network' })) },
    {
      weight: 2,
      arbitrary: fc.tuple(soup, kind).map(([text, k]) => ({ text, kind: k, family: 'soup' })),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.oneof(samples, generated), fc.array(mutation, { minLength: 1, maxLength: 4 }))
        .map(([s, ms]) => ({
          text: ms.reduce((t, m) => m(t), s.text),
          kind: s.kind,
          family: 'mutation',
        })),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          samples,
          fc.array(byteMutation, { maxLength: 4 }),
          fc.array(lineMutation, { maxLength: 2 }),
        )
        .filter(([, b, l]) => b.length + l.length > 0)
        .map(([s, bs, ls]) => {
          const bytes = bs.reduce((b: Uint8Array, m) => m(b), encoder.encode(s.text));
          const text = ls.reduce((t, m) => m(t), decoder.decode(bytes));
          return { text, kind: s.kind, family: 'bytes' };
        }),
    },
  );
}

/** Every family; a well-typed network one time in two (the inputs that reach the deep layers). */
export const fuzzInput: fc.Arbitrary<FuzzInput> = mix(16);

/**
 * Without the networks, for inputs driven only through the parser and evaluator: a network
 * parses and evaluates every time, so it is worth its cost only where it goes deeper.
 */
export const shallowInput: fc.Arbitrary<FuzzInput> = mix(0);
