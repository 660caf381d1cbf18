/**
 * A model block as a runnable PyTorch program (float64 on the CPU): the tensors with the notes'
 * values (`param` tensors as `torch.nn.Parameter`s, other tensors with a gradient with
 * `requires_grad=True`), the forward pass line by line under the user's names and with the
 * note's comments, `loss.backward()`, the loss and every gradient printed — and printed again as
 * one JSON line `{"root": NAME, "value": …, "gradients": {NAME: …}}` at full precision — and a
 * commented `torch.optim.SGD` loop with the Train command's settings, the starting point for
 * training at scale.
 *
 * Every op is written with torch's own function, so autograd, not this file, does the backward
 * pass. Where torch's function differs from the engine on some inputs, the program says so and
 * uses a form that agrees on these inputs: `max` with a tie in a slice (torch shares the gradient
 * among the tied elements, the notes give it to the first — a small helper does that), `softplus`
 * above 20 (torch switches to x itself there; `threshold=700` keeps log(1 + eˣ)).
 */
import type { Tensor } from '../engine/tensor';
import { trainSettings } from '../notes/train';
import type { ModelBlock } from '../spec/model';
import {
  type Dialect,
  type ExportOptions,
  type ForwardRule,
  operatorRules,
  type LeafKind,
  ProgramPlan,
  allEqual,
  atom,
  attribute,
  binary,
  call,
  defaultTraining,
  dictLiteral,
  docstring,
  forwardLines,
  headerRest,
  isIdentity,
  labelLayout,
  laneAxis,
  maxHasTies,
  method,
  negate,
  nestedList,
  permutationOf,
  pyAxes,
  pyFloat,
  pyNumber,
  pyTuple,
  reducedAxes,
  renderLine,
  section,
  subscript,
  tensorLines,
} from './export-common';

const fn =
  (name: string): ForwardRule =>
  (c) =>
    call(name, c.args[0]);

function reduce(kind: 'sum' | 'mean' | 'max'): ForwardRule {
  return (c) => {
    const [x] = c.args;
    const shape = c.shapes[0];
    const axes = reducedAxes(shape, c.node.attrs.axis);
    const keepdims = c.node.attrs.keepdims === true;
    if (shape.length > 0 && axes.length === 0) return x; // an empty axis list reduces nothing
    if (kind === 'max' && maxHasTies(c.node)) {
      // torch.amax would share the gradient among tied maxima; the notes give it to the first.
      const helper = c.helper('max_first');
      return call(helper, x, pyTuple(axes), ...(keepdims ? ['keepdim=True'] : []));
    }
    const name = kind === 'max' ? 'amax' : kind;
    if (axes.length === shape.length && !keepdims) return method(x, kind === 'max' ? 'max' : kind);
    return method(x, name, `dim=${pyAxes(axes)}`, ...(keepdims ? ['keepdim=True'] : []));
  };
}

const ops: Record<string, ForwardRule> = {
  ...operatorRules,
  transpose: (c) => {
    const perm = permutationOf(c.shapes[0], c.node.attrs.axes);
    if (isIdentity(perm)) return c.args[0];
    if (perm.length === 2) return attribute(c.args[0], 'T');
    return method(c.args[0], 'permute', ...perm.map(String));
  },
  reshape: (c) => {
    const shape = (c.node.attrs.shape as readonly number[]) ?? [];
    return shape.length === 0
      ? method(c.args[0], 'reshape', '()')
      : method(c.args[0], 'reshape', ...shape.map(String));
  },
  exp: fn('torch.exp'),
  log: fn('torch.log'),
  sqrt: fn('torch.sqrt'),
  abs: fn('torch.abs'),
  relu: fn('torch.relu'),
  sigmoid: fn('torch.sigmoid'),
  tanh: fn('torch.tanh'),
  gelu: fn('F.gelu'),
  leaky_relu: (c) => {
    const alpha = typeof c.node.attrs.alpha === 'number' ? c.node.attrs.alpha : 0.01;
    return alpha === 0.01
      ? call('F.leaky_relu', c.args[0])
      : call('F.leaky_relu', c.args[0], `negative_slope=${pyFloat(alpha)}`);
  },
  softplus: (c) => {
    const x = c.node.inputs[0].value;
    // F.softplus returns x itself above its threshold (20); the notes keep log(1 + eˣ), which
    // differs there in the last digits of the value and the gradient.
    const above = x.data.some((v) => v > 20);
    return above ? call('F.softplus', c.args[0], 'threshold=700') : call('F.softplus', c.args[0]);
  },
  softmax: (c) => call('torch.softmax', c.args[0], `dim=${laneAxis(c.node.attrs)}`),
  log_softmax: (c) => call('torch.log_softmax', c.args[0], `dim=${laneAxis(c.node.attrs)}`),
  logsumexp: (c) =>
    call(
      'torch.logsumexp',
      c.args[0],
      `dim=${laneAxis(c.node.attrs)}`,
      ...(c.node.attrs.keepdims === true ? ['keepdim=True'] : []),
    ),
  sum: reduce('sum'),
  mean: reduce('mean'),
  max: reduce('max'),
  cross_entropy: (c) => {
    // On probabilities: −(1/N) Σ log P[n, yₙ], i.e. the negative log-likelihood of log P.
    const [p, y] = c.args;
    const logP = call('torch.log', p);
    const single = c.shapes[0].length === 1;
    if (labelLayout(c.node) === 'index') {
      return single
        ? negate(call('torch.log', subscript(p, c.labels(1).code)))
        : call('F.nll_loss', logP, c.labels(1));
    }
    const perRow = method(binary('*', y, logP), 'sum', ...(single ? [] : ['dim=-1']));
    return negate(single ? perRow : method(perRow, 'mean'));
  },
  softmax_cross_entropy: (c) =>
    call('F.cross_entropy', c.args[0], labelLayout(c.node) === 'index' ? c.labels(1) : c.args[1]),
  mse: (c) => {
    const [a, b] = c.shapes;
    const same = a.length === b.length && a.every((d, k) => d === b[k]);
    return same
      ? call('F.mse_loss', c.args[0], c.args[1])
      : method(binary('**', binary('-', c.args[0], c.args[1]), pyNumber(2)), 'mean');
  },
  bce: (c) => call('F.binary_cross_entropy', c.args[0], c.args[1]),
  one_hot: (c) => {
    const classes = c.node.attrs.classes as number;
    return method(call('F.one_hot', c.labels(0), `num_classes=${classes}`), 'double');
  },
};

function plainValue(t: Tensor, indent: string, extra: string): string {
  const dims = t.shape.join(', ');
  if (t.shape.length > 0 && allEqual(t, 0)) return `torch.zeros(${dims}${extra})`;
  if (t.shape.length > 0 && allEqual(t, 1)) return `torch.ones(${dims}${extra})`;
  return `torch.tensor(${nestedList(t, pyFloat, indent)}${extra})`;
}

export const pytorchDialect: Dialect = {
  target: 'pytorch',
  library: 'PyTorch',
  ops,
  leafValue(t: Tensor, how: LeafKind, indent: string): string {
    switch (how) {
      case 'labels':
        return `torch.tensor(${nestedList(t, (x) => String(x), indent)})`;
      case 'param':
        return `torch.nn.Parameter(${plainValue(t, indent, '')})`;
      case 'grad':
        return plainValue(t, indent, ', requires_grad=True');
      default:
        return plainValue(t, indent, '');
    }
  },
  literal: (t) => atom(`torch.tensor(${nestedList(t, pyFloat, '', 1000)})`),
  asLabels: (e) => method(e, 'long'),
};

const HELPERS: Record<string, string[]> = {
  max_first: [
    'def max_first(x, dims, keepdim=False):',
    '    """The max over `dims`, with its gradient going to the first maximum of each slice.',
    '',
    "    As in the notes (and NumPy's argmax); torch.amax would share it among tied maxima.",
    '    """',
    '    kept = [d for d in range(x.dim()) if d not in dims]',
    '    moved = x.permute(*kept, *dims)',
    '    flat = moved.reshape(*moved.shape[: len(kept)], -1)',
    '    out = flat.gather(-1, flat.argmax(dim=-1, keepdim=True)).squeeze(-1)',
    '    if keepdim:',
    '        out = out.reshape([1 if d in dims else n for d, n in enumerate(x.shape)])',
    '    return out',
  ],
};

/**
 * The PyTorch program of one model block. Throws ExportError for a block with spec errors, no
 * statements, or an op the export cannot write.
 */
export function exportPyTorch(block: ModelBlock, options: ExportOptions = {}): string {
  const plan = new ProgramPlan(block, pytorchDialect, options);
  const root = plan.root!;
  const rootVar = plan.vars.get(root.node.id)!;
  const rootName = root.name;
  const scalar = root.node.value.size === 1;
  const training = trainingFor(plan, options);

  const out: string[] = [];
  out.push(
    ...docstring(plan, [
      "The model as a PyTorch program: the tensors with the notes' values, the forward pass line",
      'by line, backward by autograd, and the loss and gradients printed (the last line prints',
      "them again as JSON). float64 throughout, so the numbers are the notes' own.",
    ]),
  );
  out.push('import json', '', 'import torch', 'import torch.nn.functional as F', '');
  out.push('torch.set_default_dtype(torch.float64)  # the notes compute in float64', '');

  const forward = forwardLines(plan); // asks for the helpers it needs
  const tensors = tensorLines(plan);
  for (const name of plan.helpers) out.push('', ...HELPERS[name], '');
  if (plan.helpers.length > 0) out.push('');

  out.push(section('Tensors'), ...headerRest(plan), ...tensors, '');
  out.push(section('Forward pass'), ...forward, '');

  out.push(section('Backward pass: autograd fills in .grad of every tensor that asked for one'));
  if (!root.node.requiresGrad) {
    out.push(`# Nothing ${rootName} depends on asks for a gradient, so there is no backward pass.`);
  } else if (scalar) {
    out.push(`${rootVar}.backward()`);
  } else {
    out.push(
      `# ${rootName} is not a scalar: backward starts from ones of its shape, so every gradient`,
      `# is that of ${rootName}.sum().`,
      `${rootVar}.backward(torch.ones_like(${rootVar}))`,
    );
  }
  out.push('');

  out.push(section('Results'));
  out.push(`gradients = ${dictLiteral(plan.gradients.map((g) => [g.name, `${g.variable}.grad`]))}`);
  out.push(
    scalar
      ? `print(${JSON.stringify(`${rootName} =`)}, ${rootVar}.item())`
      : `print(f"${rootName} =\\n{${rootVar}.detach()}")`,
  );
  out.push(
    'for name, grad in gradients.items():',
    `    print(f"∂${rootName}/∂{name} =\\n{grad}")`,
    "# The same numbers at full precision, as one JSON line (Backprop Notes' tests read it).",
    'print(',
    '    json.dumps(',
    '        {',
    `            "root": ${JSON.stringify(rootName)},`,
    `            "value": ${rootVar}.tolist(),`,
    '            "gradients": {name: grad.tolist() for name, grad in gradients.items()},',
    '        }',
    '    )',
    ')',
  );
  out.push('', ...trainingLoop(plan, training));
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
}

interface Training {
  readonly learningRate: number;
  readonly steps: number;
  /** Where the numbers come from, for the comment. */
  readonly from: string;
}

/** The options' settings, else the block's own (as Train reads them), else Train's proposal. */
function trainingFor(plan: ProgramPlan, options: ExportOptions): Training {
  if (options.training) return { ...options.training, from: 'these settings' };
  const own = trainSettings(plan.blockText ?? '', plan.block.info ?? '');
  const learningRate = own.learningRate ?? defaultTraining.learningRate;
  const steps = own.steps ?? defaultTraining.steps;
  const from =
    own.learningRate !== undefined || own.steps !== undefined
      ? "the block's own settings (as Train reads them)"
      : 'the values the Train command proposes';
  return { learningRate, steps, from };
}

/** The commented training loop: the forward lines again, backward, an SGD step. */
function trainingLoop(plan: ProgramPlan, training: Training): string[] {
  const root = plan.root!;
  const rootVar = plan.vars.get(root.node.id)!;
  const params = plan.statementLines.filter(
    (s) => s.kind === 'leaf' && plan.leafKind(s.node, s.statement) === 'param',
  );
  const lr = pyFloat(training.learningRate);
  const head = [
    section('Training: a starting point for training at scale (uncomment to run)'),
    `# Plain gradient descent as Backprop Notes' Train runs it (p ← p − lr·∂${root.name}/∂p), with`,
    `# ${training.from}: learning rate ${lr}, ${training.steps} steps.`,
  ];
  if (params.length === 0) {
    return [
      ...head,
      '# This block has no param tensors, so there is nothing to train: mark the weights `param`.',
    ];
  }
  if (root.node.value.size !== 1) {
    return [
      ...head,
      `# Training needs a scalar loss, and ${root.name} is not one: end the block with loss L = …`,
    ];
  }
  const body: string[] = [];
  for (const s of plan.statementLines) {
    if (s.kind !== 'op' || !plan.onRoot.has(s.node.id)) continue;
    body.push(...s.setup.filter((x) => !x.constant).map((x) => `    ${x.code}`));
    body.push(...renderLine({ ...s.line, before: [], trailing: null }, '    '));
  }
  const loop = [
    `optimizer = torch.optim.SGD([${params.map((s) => plan.vars.get(s.node.id)).join(', ')}], lr=${lr})`,
    `for step in range(${training.steps}):`,
    '    optimizer.zero_grad()',
    ...body,
    `    ${rootVar}.backward()`,
    '    optimizer.step()',
    `    if step % ${Math.max(1, Math.round(training.steps / 10))} == 0 or step == ${training.steps - 1}:`,
    `        print(f"step {step}: ${root.name} = {${rootVar}.item():.6f}")`,
  ];
  return [
    ...head,
    '# For a GPU, create the tensors with device="cuda" (or move them there with .to("cuda")).',
    '#',
    ...loop.flatMap((l) => l.split('\n')).map((l) => `# ${l}`),
  ];
}
