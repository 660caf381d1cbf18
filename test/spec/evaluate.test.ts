import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Node } from '../../src/engine/graph';
import type { Nested } from '../../src/engine/tensor';
import { parseSource } from '../../src/spec/index';
import type { ModelBlock } from '../../src/spec/model';

function block(text: string, kind: 'model' | 'python' = 'model', maxElements?: number): ModelBlock {
  const [b] = parseSource(text, kind, maxElements === undefined ? {} : { maxElements });
  return b;
}

function clean(text: string, kind: 'model' | 'python' = 'model'): ModelBlock {
  const b = block(text, kind);
  assert.deepEqual(
    b.errors.map((e) => e.message),
    [],
  );
  return b;
}

function node(b: ModelBlock, name: string): Node {
  const st = [...b.statements].reverse().find((s) => s.name === name);
  assert.ok(st, `no statement ${name}`);
  return st.node;
}

function value(b: ModelBlock, name: string): Nested {
  return node(b, name).value.toNested();
}

function close(actual: Nested, expected: Nested, tol = 1e-12): void {
  if (typeof expected === 'number') {
    assert.equal(typeof actual, 'number');
    assert.ok(
      Math.abs((actual as number) - expected) <= tol * Math.max(1, Math.abs(expected)),
      `${actual} ≉ ${expected}`,
    );
    return;
  }
  assert.ok(
    Array.isArray(actual) && actual.length === expected.length,
    `shape differs: ${JSON.stringify(actual)}`,
  );
  expected.forEach((e, i) => close((actual as Nested[])[i], e, tol));
}

describe('roles and nodes', () => {
  test('param, input and no role get gradients; const and target do not', () => {
    const b = clean(
      'param P = 1\ninput I = 1\nconst C = 1\ntarget T = 1\nN = 1\noutput O = 1\nloss L = 1',
    );
    const grads = Object.fromEntries(b.statements.map((s) => [s.name, s.node.requiresGrad]));
    assert.deepEqual(grads, { P: true, I: true, C: false, T: false, N: true, O: true, L: true });
    for (const s of b.statements) {
      assert.equal(s.node.op, 'leaf');
      assert.equal(s.node.name, s.name);
    }
  });

  test('op statements name their top node; subexpressions and literal numbers stay unnamed', () => {
    const b = clean(
      'param W = [[1.0, 2.0], [3.0, 4.0]]\nX = [1.0, -1.0]\nZ = relu(X @ W + 0.5) * 2',
    );
    const z = node(b, 'Z');
    assert.equal(z.op, 'mul');
    assert.equal(z.name, 'Z');
    const [relu, two] = z.inputs;
    assert.equal(relu.op, 'relu');
    assert.equal(relu.name, null);
    assert.equal(two.op, 'leaf');
    assert.equal(two.name, null);
    assert.equal(two.requiresGrad, false);
    assert.deepEqual(two.value.toNested(), 2);
    const add = relu.inputs[0];
    assert.equal(add.inputs[1].requiresGrad, false);
    assert.deepEqual(value(b, 'Z'), [0, 0]);
    // ids are positions in graph.nodes, and every node is reachable from the statements
    b.graph.nodes.forEach((n, i) => assert.equal(n.id, i));
  });

  test('a value given directly is one leaf, even when computed (W = 0.1 * randn(…))', () => {
    const b = clean('W = 0.1 * ones(2, 3) + 1\nparam V = W * 2');
    assert.equal(b.graph.nodes.length, 2);
    const w = node(b, 'W');
    assert.equal(w.op, 'leaf');
    assert.equal(w.requiresGrad, true);
    assert.deepEqual(w.value.shape, [2, 3]);
    close(w.value.toNested(), [
      [1.1, 1.1, 1.1],
      [1.1, 1.1, 1.1],
    ]);
    // A leaf role cuts the graph: V is a leaf of its own with W's value doubled.
    const v = node(b, 'V');
    assert.equal(v.op, 'leaf');
    assert.equal(v.inputs.length, 0);
    close(v.value.toNested(), [
      [2.2, 2.2, 2.2],
      [2.2, 2.2, 2.2],
    ]);
  });

  test('an existing tensor under a second name shares its node', () => {
    const b = clean('param W = [1.0, 2.0]\nA = W\nB = np.array(W)');
    assert.equal(node(b, 'A'), node(b, 'W'));
    assert.equal(node(b, 'B'), node(b, 'W'));
    assert.equal(node(b, 'W').name, 'W');
    assert.equal(b.graph.nodes.length, 1);
  });

  test('a number derived from a shape is a constant', () => {
    const b = clean(
      'X = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]\nN = X.shape[0]\nD = len(X)\nM = mean(X) / N',
    );
    assert.deepEqual(value(b, 'N'), 3);
    assert.equal(node(b, 'N').requiresGrad, false);
    assert.deepEqual(value(b, 'D'), 3);
    close(value(b, 'M'), 3.5 / 3);
  });

  test('shapes and sizes as numbers: .shape, .ndim, .size, .size(), len()', () => {
    const b = clean(
      'X = ones(2, 3)\na = X.shape[1]\nb = X.ndim\nc = X.size\nd = X.size(-1)\ne = X.size()[0]\nf = len(X)',
    );
    assert.deepEqual(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => value(b, n)),
      [3, 2, 6, 3, 2, 2],
    );
  });

  test('redefinition: the last definition wins from there on', () => {
    const b = clean('a = 1\nb = a * 2\na = 10\nc = a * 2');
    assert.deepEqual(value(b, 'b'), 2);
    assert.deepEqual(value(b, 'c'), 20);
    assert.equal(b.statements.length, 4);
  });

  test('the root: loss, else output, else the last statement', () => {
    assert.equal(clean('loss L = 1\noutput O = [1, 2]\nx = 3').root?.name, 'L');
    assert.equal(clean('output O = [1, 2]\nx = 3').root?.name, 'O');
    assert.equal(clean('a = 1\nx = 3').root?.name, 'x');
    assert.equal(block('').root, null);
  });

  test('a loss with a single element is accepted whatever its rank', () => {
    const b = clean('w = [[1.0], [2.0]]\nx = [[3.0, 4.0]]\nloss L = x @ w');
    assert.deepEqual(node(b, 'L').value.shape, [1, 1]);
  });

  test('number folding: -2 ** 2, 2 ** -1 and shapes computed from numbers', () => {
    const b = clean('a = -2 ** 2\nb = 2 ** -1\nc = zeros(2 * 3, 10 // 5)'.replace(' // ', ' / '));
    assert.deepEqual(value(b, 'a'), -4);
    assert.deepEqual(value(b, 'b'), 0.5);
    assert.deepEqual(node(b, 'c').value.shape, [6, 2]);
  });
});

describe('errors do not cascade', () => {
  test('statements before an error evaluate; dependents are skipped silently; independents evaluate', () => {
    const text = [
      'X = [[1.0, 2.0]]',
      'W = [[1.0], [2.0], [3.0]]',
      'Z = X @ W',
      'H = relu(Z)',
      'O = H * 2',
      'k = 3',
      'm = k + 1',
    ].join('\n');
    const b = block(text);
    assert.deepEqual(
      b.errors.map((e) => e.code),
      ['shape'],
    );
    assert.deepEqual(
      b.statements.map((s) => s.name),
      ['X', 'W', 'k', 'm'],
    );
    assert.deepEqual(value(b, 'm'), 4);
    // The failed statement left no nodes behind.
    b.graph.nodes.forEach((n, i) => assert.equal(n.id, i));
    assert.deepEqual(
      b.graph.nodes.map((n) => n.op),
      ['leaf', 'leaf', 'leaf', 'leaf', 'add'],
    );
  });

  test('a syntax error also only skips its dependents', () => {
    const b = block('a = 1\nb = a +\nc = b * 2\nd = a * 3');
    assert.deepEqual(
      b.errors.map((e) => e.code),
      ['syntax'],
    );
    assert.deepEqual(
      b.statements.map((s) => s.name),
      ['a', 'd'],
    );
  });

  test('a failed redefinition hides the older value rather than using it', () => {
    const b = block('a = 1\na = q\nc = a * 2');
    assert.deepEqual(
      b.errors.map((e) => e.code),
      ['unknown-name'],
    );
    assert.deepEqual(
      b.statements.map((s) => s.name),
      ['a'],
    );
  });

  test('several evaluation errors in one block are all reported', () => {
    const b = block('a = q\nb = zeros(2) @ zeros(3)\nc = softmx(1)\nd = relu(1, 2)\ne = 1');
    assert.deepEqual(
      b.errors.map((e) => [e.code, e.range.start.line]),
      [
        ['unknown-name', 0],
        ['shape', 1],
        ['unknown-function', 2],
        ['arity', 3],
      ],
    );
    assert.deepEqual(
      b.statements.map((s) => s.name),
      ['e'],
    );
  });
});

describe('seeds', () => {
  test('seed=k fixes the numbers; different seeds differ', () => {
    const b = clean('A = randn(2, 3, seed=1)\nB = randn(2, 3, seed=1)\nC = randn(2, 3, seed=2)');
    assert.deepEqual(value(b, 'A'), value(b, 'B'));
    assert.notDeepEqual(value(b, 'A'), value(b, 'C'));
  });

  test('without a seed the numbers come from the statement name: same in every block, different per name', () => {
    const one = clean('W1 = randn(2, 3)\nW2 = randn(2, 3)');
    const two = clean('x = 1\nW1 = randn(2, 3)');
    assert.deepEqual(value(one, 'W1'), value(two, 'W1'));
    assert.notDeepEqual(value(one, 'W1'), value(one, 'W2'));
  });

  test('np.random.seed(k) gives NumPy’s own numbers, drawn in order across statements', () => {
    const b = clean('np.random.seed(0)\nA = np.random.randn(2)\nB = np.random.randn(3)', 'python');
    // NumPy 2.4.6: np.random.seed(0); np.random.randn(5)
    const numpy = [
      1.764052345967664, 0.4001572083672233, 0.9787379841057392, 2.240893199201458,
      1.8675579901499675,
    ];
    assert.deepEqual(value(b, 'A'), numpy.slice(0, 2));
    assert.deepEqual(value(b, 'B'), numpy.slice(2));
    const again = clean('np.random.seed(0)\nA = randn(5)');
    assert.deepEqual(value(again, 'A'), numpy);
  });

  test('seed(k) and torch.manual_seed(k) also start a block stream', () => {
    const a = clean('seed(3)\nA = rand(4)\nB = rand(4)');
    const b = clean('torch.manual_seed(3)\nA = torch.rand(4)\nB = torch.rand(4)');
    assert.deepEqual(value(a, 'A'), value(b, 'A'));
    assert.notDeepEqual(value(a, 'A'), value(a, 'B'));
  });
});

describe('initializers in specs', () => {
  test('shapes as ints or a tuple/list, and every initializer', () => {
    const b = clean(
      [
        'a = zeros(2, 3)',
        'b = ones((2, 3))',
        'c = np.zeros([2, 3])',
        'd = full(2, 3, 0.5)',
        'e = np.full((2, 3), 7)',
        'f = eye(3)',
        'g = arange(5)',
        'h = arange(1, 2, 0.25)',
        'i = linspace(0, 1, 5)',
        'j = randn(2, 3)',
        'k = rand(4)',
        'l = uniform(-2, 2, 3, 2)',
        'm = np.random.uniform(-2, 2, size=(3, 2))',
        'n = xavier(4, 5, seed=1)',
        'o = he(4, 5, seed=1)',
        'p = randn()',
        'q = np.random.normal(1, 0.001, size=(2,))',
        'r = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)',
        'zl = np.zeros_like(j)',
      ].join('\n'),
    );
    const shapes = Object.fromEntries(
      b.statements.map((s) => [s.name, s.node.value.shape.join('x')]),
    );
    assert.deepEqual(shapes, {
      a: '2x3',
      b: '2x3',
      c: '2x3',
      d: '2x3',
      e: '2x3',
      f: '3x3',
      g: '5',
      h: '4',
      i: '5',
      j: '2x3',
      k: '4',
      l: '3x2',
      m: '3x2',
      n: '4x5',
      o: '4x5',
      p: '',
      q: '2',
      r: '2x3',
      zl: '2x3',
    });
    assert.deepEqual(value(b, 'd'), [
      [0.5, 0.5, 0.5],
      [0.5, 0.5, 0.5],
    ]);
    assert.deepEqual(value(b, 'h'), [1, 1.25, 1.5, 1.75]);
    for (const v of node(b, 'l').value.data) assert.ok(v >= -2 && v < 2);
    for (const v of node(b, 'q').value.data) assert.ok(Math.abs(v - 1) < 0.01);
    const a = Math.sqrt(6 / 9);
    for (const v of node(b, 'n').value.data) assert.ok(Math.abs(v) <= a);
    assert.notDeepEqual(value(b, 'n'), value(b, 'o'));
  });
});

describe('spellings', () => {
  const X = 'X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]';
  const W = 'W = [[1.0, -0.5], [0.25, 1.5], [-1.0, 0.75]]';
  const y = 'y = [1, 0]';
  /** [spelling, the canonical spec it must equal, the op of its top node]. */
  const pairs: [string, string, string][] = [
    ['X @ W', 'matmul(X, W)', 'matmul'],
    ['np.dot(X, W)', 'X @ W', 'matmul'],
    ['np.matmul(X, W)', 'X @ W', 'matmul'],
    ['torch.matmul(X, W)', 'X @ W', 'matmul'],
    ['X.dot(W)', 'X @ W', 'matmul'],
    ['np.maximum(0, X)', 'relu(X)', 'relu'],
    ['np.maximum(X, 0)', 'relu(X)', 'relu'],
    ['torch.relu(X)', 'relu(X)', 'relu'],
    ['F.relu(X)', 'relu(X)', 'relu'],
    ['torch.clamp(X, min=0)', 'relu(X)', 'relu'],
    ['np.exp(X)', 'exp(X)', 'exp'],
    ['np.log(abs(X))', 'log(np.abs(X))', 'log'],
    ['np.sqrt(abs(X))', 'sqrt(abs(X))', 'sqrt'],
    ['np.tanh(X)', 'tanh(X)', 'tanh'],
    ['torch.tanh(X)', 'tanh(X)', 'tanh'],
    ['torch.sigmoid(X)', 'sigmoid(X)', 'sigmoid'],
    ['F.leaky_relu(X, negative_slope=0.2)', 'leaky_relu(X, alpha=0.2)', 'leaky_relu'],
    ['np.sum(X, axis=1, keepdims=True)', 'sum(X, axis=1, keepdims=True)', 'sum'],
    ['torch.sum(X, dim=1, keepdim=True)', 'sum(X, axis=1, keepdims=True)', 'sum'],
    ['X.sum(axis=0)', 'sum(X, axis=0)', 'sum'],
    ['np.mean(X)', 'mean(X)', 'mean'],
    ['X.mean(1)', 'mean(X, axis=1)', 'mean'],
    ['np.max(X, axis=1)', 'max(X, axis=1)', 'max'],
    ['max(X, axis=-1)', 'max(X, axis=1)', 'max'],
    ['X.T', 'transpose(X)', 'transpose'],
    ['np.transpose(X)', 'transpose(X)', 'transpose'],
    ['torch.transpose(X, 0, 1)', 'X.T', 'transpose'],
    ['X.transpose(1, 0)', 'X.T', 'transpose'],
    ['X.t()', 'X.T', 'transpose'],
    ['X.reshape(3, 2)', 'reshape(X, (3, 2))', 'reshape'],
    ['X.view(-1)', 'reshape(X, 6)', 'reshape'],
    ['np.reshape(X, (3, -1))', 'reshape(X, 3, 2)', 'reshape'],
    ['np.square(X)', 'X ** 2', 'pow'],
    ['np.log(np.sum(np.exp(X)))', 'log(sum(exp(X)))', 'log'],
    ['torch.softmax(X, dim=1)', 'softmax(X, axis=1)', 'softmax'],
    ['F.softmax(X, dim=1)', 'softmax(X)', 'softmax'],
    ['F.log_softmax(X, dim=-1)', 'log_softmax(X)', 'log_softmax'],
    ['torch.logsumexp(X, dim=1)', 'logsumexp(X, axis=1)', 'logsumexp'],
    ['X.softmax(dim=0)', 'softmax(X, axis=0)', 'softmax'],
    ['F.cross_entropy(X @ W, y)', 'softmax_cross_entropy(X @ W, y)', 'softmax_cross_entropy'],
    ['F.mse_loss(X @ W, [[1.0, 0.0], [0.0, 1.0]])', 'mse(X @ W, [[1.0, 0.0], [0.0, 1.0]])', 'mse'],
    ['F.one_hot(y, num_classes=3)', 'one_hot(y, 3)', 'one_hot'],
    ['F.one_hot(y)', 'one_hot(y, classes=2)', 'one_hot'],
  ];
  for (const [spelling, canonical, op] of pairs) {
    test(`${spelling} = ${canonical}`, () => {
      const a = clean(`${X}\n${W}\n${y}\nR = ${spelling}`);
      const b = clean(`${X}\n${W}\n${y}\nR = ${canonical}`);
      assert.equal(node(a, 'R').op, op);
      close(value(a, 'R'), value(b, 'R'));
    });
  }

  test('math and numpy constants fold to numbers', () => {
    const b = clean('a = np.sqrt(2.0 / 4) * 2\nb = math.pi\nc = np.exp(0)');
    close(value(b, 'a'), Math.SQRT2);
    close(value(b, 'b'), Math.PI);
    assert.deepEqual(value(b, 'c'), 1);
  });

  test('ignored keywords are not evaluated', () => {
    const b = clean(
      "X = torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True, device='cpu')",
    );
    assert.deepEqual(value(b, 'X'), [[1, 2]]);
  });
});

describe('the Python sample forward pass', () => {
  test('a NumPy two-layer forward pass evaluates to NumPy’s loss', () => {
    const text = [
      'import numpy as np',
      'np.random.seed(0)',
      'X = np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.25]])',
      'Y = np.array([[1, 0], [0, 1], [0, 1]])',
      'W1 = np.random.randn(2, 3)',
      'b1 = np.zeros(3)',
      'W2 = np.random.randn(3, 2)',
      'b2 = np.zeros(2)',
      'Z1 = np.dot(X, W1) + b1',
      'H1 = np.maximum(0, Z1)',
      'Z2 = np.dot(H1, W2) + b2',
      'E = np.exp(Z2)',
      'P = E / np.sum(E, axis=1, keepdims=True)',
      'loss = -np.mean(np.sum(Y * np.log(P), axis=1))',
      'print(loss)',
    ].join('\n');
    const b = clean(text, 'python');
    // NumPy 2.4.6 running the same lines prints 0.2794395405799236.
    close(value(b, 'loss'), 0.2794395405799236, 1e-14);
    assert.equal(b.root?.name, 'loss');
  });
});
