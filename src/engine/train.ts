/**
 * A compiled training step: the graph of a loss, recorded once with the Graph API, replayed every
 * step — forward, backward, SGD update — into buffers allocated once and reused, so a step
 * allocates nothing on its fast paths.
 *
 * Boundaries:
 * - The plan reads the graph's structure (ops, inputs, attrs), never mutates it. Parameters are
 *   copied in at compile time and updated in place in the plan's own buffers; `value` and
 *   `gradient` return copies, so every Tensor the user sees stays immutable.
 * - Fast paths (no allocation): 2-D matmul; add of equal shapes or of a row bias (b of shape n or
 *   1×n on an m×n operand); relu, leaky_relu, sigmoid, tanh; softmax_cross_entropy of N×C logits
 *   with class indices or target rows. A `dense` layer — matmul, then a row-bias add, then
 *   optionally an activation, each the only consumer of the one before — is fused: one matrix
 *   product, one pass for bias and activation forward, and one pass for the activation's
 *   derivative and the bias gradient backward.
 * - Any other op runs through its OpDef (forward and backward allocate, as in the Graph API), so
 *   every graph the Graph API accepts compiles and gives the same numbers.
 * - Gradients are computed only toward the parameters; a gradient buffer is overwritten by its
 *   first contribution in a step and added to by the rest (nothing is zeroed first).
 */
import type { Graph, Node } from './graph';
import { gemm } from './kernels/gemm';
import { type Attrs, ShapeError } from './op';
import { DEFAULT_LEAKY_ALPHA, sigmoidOf } from './ops/activations';
import { getOp } from './ops/index';
import { Tensor, formatShape, sameShape } from './tensor';

export interface TrainingStepOptions {
  /** The SGD step size: each step sets p ← p − learningRate · ∂loss/∂p. */
  readonly learningRate: number;
}

/** What the plan made of the graph, for tests and for the user's curiosity. */
export interface TrainingPlanSummary {
  /** Fused dense layers (matmul + row bias + activation or none). */
  readonly dense: number;
  /** Nodes computed by allocation-free kernels (the fused ones included). */
  readonly fast: number;
  /** Nodes run through their OpDef, with the op names. */
  readonly generic: readonly string[];
}

/** Compiles the step of `loss` (a scalar node of `graph`) with respect to the leaves `params`. */
export function compileTrainingStep(
  graph: Graph,
  loss: Node,
  params: readonly Node[],
  options: TrainingStepOptions,
): TrainingStep {
  return new TrainingStep(graph, loss, params, options);
}

// ---------------------------------------------------------------------------------------------
// Instructions

/** One unit of the plan: computes `out`'s value, and from out's gradient its inputs'. */
interface Instruction {
  readonly out: number;
  forward(): void;
  backward(): void;
}

const enum Act {
  None,
  Relu,
  Leaky,
  Sigmoid,
  Tanh,
}

const activationOps: Readonly<Record<string, Act>> = {
  relu: Act.Relu,
  leaky_relu: Act.Leaky,
  sigmoid: Act.Sigmoid,
  tanh: Act.Tanh,
};

function leakyAlpha(attrs: Attrs): number {
  const alpha = attrs.alpha ?? DEFAULT_LEAKY_ALPHA;
  return typeof alpha === 'number' ? alpha : DEFAULT_LEAKY_ALPHA;
}

/** out[i] = act(z[i]) over [from, to). One loop per activation, so each stays monomorphic. */
function activate(act: Act, alpha: number, z: Float64Array, out: Float64Array): void {
  const n = z.length;
  switch (act) {
    case Act.Relu:
      for (let i = 0; i < n; i++) {
        const v = z[i];
        out[i] = v > 0 ? v : 0;
      }
      return;
    case Act.Leaky:
      for (let i = 0; i < n; i++) {
        const v = z[i];
        out[i] = v > 0 ? v : alpha * v;
      }
      return;
    case Act.Sigmoid:
      for (let i = 0; i < n; i++) out[i] = sigmoidOf(z[i]);
      return;
    case Act.Tanh:
      for (let i = 0; i < n; i++) out[i] = Math.tanh(z[i]);
      return;
    case Act.None:
      if (out !== z) out.set(z);
  }
}

/**
 * gz[i] = g[i] · act′ at element i, from the input z and output o, as the ops' own backward
 * computes it (relu: o > 0; leaky_relu: z > 0 or α; sigmoid: o(1 − o); tanh: 1 − o²).
 */
function activationGrad(
  act: Act,
  alpha: number,
  g: Float64Array,
  z: Float64Array,
  o: Float64Array,
  gz: Float64Array,
): void {
  const n = g.length;
  switch (act) {
    case Act.Relu:
      for (let i = 0; i < n; i++) gz[i] = g[i] * (o[i] > 0 ? 1 : 0);
      return;
    case Act.Leaky:
      for (let i = 0; i < n; i++) gz[i] = g[i] * (z[i] > 0 ? 1 : alpha);
      return;
    case Act.Sigmoid:
      for (let i = 0; i < n; i++) {
        const s = o[i];
        gz[i] = g[i] * (s * (1 - s));
      }
      return;
    case Act.Tanh:
      for (let i = 0; i < n; i++) {
        const t = o[i];
        gz[i] = g[i] * (1 - t * t);
      }
      return;
    case Act.None:
      if (gz !== g) gz.set(g);
  }
}

// ---------------------------------------------------------------------------------------------
// The plan

export class TrainingStep {
  readonly learningRate: number;
  private readonly loss: Node;
  private readonly params: readonly Node[];
  /** Current value of each node by id, or null when the plan never materializes it. */
  private readonly values: (Tensor | null)[];
  /** Gradient buffer of each node that leads to a parameter, by id. */
  private readonly grads: (Float64Array | null)[];
  /** Whether a node's gradient buffer holds this step's gradient yet. */
  private readonly written: Uint8Array;
  private readonly instructions: Instruction[] = [];
  /** Per node, a buffer for a contribution that must be added to a gradient already written. */
  private readonly scratches = new Map<number, Float64Array>();
  private readonly denseCount: number = 0;
  private readonly fastCount: number = 0;
  private readonly genericOps: string[] = [];
  private readonly inputLeaves: ReadonlySet<Node>;

  constructor(graph: Graph, loss: Node, params: readonly Node[], options: TrainingStepOptions) {
    if (!(typeof options.learningRate === 'number' && Number.isFinite(options.learningRate))) {
      throw new Error(
        `learning rate must be a finite number, got ${String(options.learningRate)} — e.g. { learningRate: 0.01 }`,
      );
    }
    this.learningRate = options.learningRate;
    if (graph.nodes[loss.id] !== loss) {
      throw new Error('the loss node is not in this graph — pass the graph it was created in');
    }
    if (loss.value.size !== 1) {
      throw new Error(
        `the loss must be a single number, but ${loss.name ?? `node #${loss.id}`} has shape ` +
          `${formatShape(loss.value.shape)} — reduce it first, e.g. with mean`,
      );
    }
    this.loss = loss;
    this.params = params;
    const nodes = graph.ancestors(loss);
    const inSet = new Uint8Array(loss.id + 1);
    for (const n of nodes) inSet[n.id] = 1;
    for (const p of params) {
      const label = p.name ?? `node #${p.id}`;
      if (p.op !== 'leaf') {
        throw new Error(
          `${label} is computed by ${p.op}, not given — only leaves (weights, biases) can be trained`,
        );
      }
      if (p.id > loss.id || !inSet[p.id] || graph.nodes[p.id] !== p) {
        throw new Error(
          `${label} does not affect the loss, so it would never change — leave it out of the parameters`,
        );
      }
    }
    const isParam = new Uint8Array(loss.id + 1);
    for (const p of params) isParam[p.id] = 1;

    // Which nodes carry a gradient toward some parameter.
    const needs = new Uint8Array(loss.id + 1);
    for (const n of nodes) {
      if (n.op === 'leaf') {
        needs[n.id] = isParam[n.id];
        continue;
      }
      const frozen = getOp(n.op).nonDifferentiable ?? [];
      needs[n.id] = n.inputs.some((x, i) => needs[x.id] && !frozen.includes(i)) ? 1 : 0;
    }
    // How many times each node is read by the nodes the loss depends on.
    const consumers = new Int32Array(loss.id + 1);
    for (const n of nodes) for (const x of n.inputs) consumers[x.id]++;

    this.values = new Array<Tensor | null>(loss.id + 1).fill(null);
    this.grads = new Array<Float64Array | null>(loss.id + 1).fill(null);
    this.written = new Uint8Array(loss.id + 1);
    const inputs = new Set<Node>();
    for (const n of nodes) {
      if (n.op !== 'leaf') continue;
      // Parameters are the plan's own copies; other leaves are read where they are.
      this.values[n.id] = isParam[n.id] ? n.value.clone() : n.value;
      if (!isParam[n.id]) inputs.add(n);
    }
    this.inputLeaves = inputs;
    for (const n of nodes) {
      if (needs[n.id]) this.grads[n.id] = new Float64Array(n.value.size);
    }

    // Instructions in topological order; a dense group is emitted at its last node.
    const fusedInto = new Int32Array(loss.id + 1).fill(-1);
    const dense = new Map<number, { matmul: Node; add: Node; act: Node | null }>();
    // Groups ending in an activation first, then the bare matmul + bias ones (logits).
    for (const withActivation of [true, false]) {
      for (const n of nodes) {
        const group = denseGroup(n, consumers, loss);
        if (!group || (group.act !== null) !== withActivation) continue;
        if (fusedInto[group.matmul.id] >= 0 || fusedInto[group.add.id] >= 0) continue;
        fusedInto[group.matmul.id] = n.id;
        fusedInto[group.add.id] = n.id;
        dense.set(n.id, group);
      }
    }
    let fast = 0;
    for (const n of nodes) {
      if (n.op === 'leaf') continue;
      const group = dense.get(n.id);
      if (group) {
        this.instructions.push(this.denseInstruction(group, needs));
        fast += group.act ? 3 : 2;
        continue;
      }
      if (fusedInto[n.id] >= 0 && fusedInto[n.id] !== n.id) continue;
      const instruction = this.fastInstruction(n, needs);
      if (instruction) {
        fast++;
        this.instructions.push(instruction);
      } else {
        this.genericOps.push(n.op);
        this.instructions.push(this.genericInstruction(n, needs));
      }
    }
    this.denseCount = dense.size;
    this.fastCount = fast;
  }

  /** What the plan fused, what runs allocation-free, and what falls back to the OpDefs. */
  get summary(): TrainingPlanSummary {
    return { dense: this.denseCount, fast: this.fastCount, generic: [...this.genericOps] };
  }

  /**
   * One training step: forward, backward, then p ← p − learningRate · ∂loss/∂p for every
   * parameter. `feeds` replaces input leaves (data, labels) from this step on; shapes must match.
   * Returns the loss before the update.
   */
  step(feeds?: ReadonlyMap<Node, Tensor>): number {
    const loss = this.computeGradients(feeds);
    const lr = this.learningRate;
    for (const p of this.params) {
      const v = this.values[p.id]!.data;
      const g = this.grads[p.id]!;
      for (let i = 0; i < v.length; i++) v[i] -= lr * g[i];
    }
    return loss;
  }

  /** Forward and backward without the update; returns the loss. */
  computeGradients(feeds?: ReadonlyMap<Node, Tensor>): number {
    if (feeds) this.feed(feeds);
    for (const instruction of this.instructions) instruction.forward();
    const loss = this.values[this.loss.id]!.data[0];
    this.written.fill(0);
    this.grads[this.loss.id]![0] = 1;
    this.written[this.loss.id] = 1;
    for (let k = this.instructions.length - 1; k >= 0; k--) {
      const instruction = this.instructions[k];
      if (this.written[instruction.out]) instruction.backward();
    }
    for (const p of this.params) {
      // A parameter no path reached this step (a zero gradient everywhere downstream).
      if (!this.written[p.id]) this.grads[p.id]!.fill(0);
    }
    return loss;
  }

  /** A copy of a parameter's current value (or of an input leaf's, or of a computed node's). */
  value(node: Node): Tensor {
    const v = this.values[node.id];
    if (!v) {
      throw new Error(
        `${node.name ?? `node #${node.id}`} is not kept by this plan (fused into a dense layer, or not needed for the loss)`,
      );
    }
    return v.clone();
  }

  /** A copy of ∂loss/∂param from the last step. */
  gradient(param: Node): Tensor {
    return new Tensor(param.value.shape, this.gradientBuffer(param).slice());
  }

  /**
   * The plan's own gradient buffer for a parameter: the same array every step (buffers are
   * reused), overwritten by each step. Read it, do not keep it across steps.
   */
  gradientBuffer(param: Node): Float64Array {
    const g = this.params.includes(param) ? this.grads[param.id] : null;
    if (!g) {
      throw new Error(`${param.name ?? `node #${param.id}`} is not a parameter of this plan`);
    }
    return g;
  }

  private feed(feeds: ReadonlyMap<Node, Tensor>): void {
    for (const [node, value] of feeds) {
      const label = node.name ?? `node #${node.id}`;
      if (!this.inputLeaves.has(node)) {
        throw new Error(
          `${label} is not an input of this step (a parameter, or not a leaf the loss reads) — feed only data and labels`,
        );
      }
      if (!sameShape(node.value.shape, value.shape)) {
        throw new ShapeError(
          `${label} was compiled with shape ${formatShape(node.value.shape)} but is fed ${formatShape(value.shape)} — ` +
            'feed batches of the compiled shape (compile another step for another shape)',
        );
      }
      const current = this.values[node.id]!;
      // Input leaves are read in place, so swap the tensor in: instructions look it up each step.
      if (current !== value) this.values[node.id] = value;
    }
  }

  private tensor(id: number): Tensor {
    return this.values[id]!;
  }

  /** A fresh buffer for an op node's value, kept as the node's tensor. */
  private own(node: Node): Float64Array {
    const t = new Tensor(node.value.shape);
    this.values[node.id] = t;
    return t.data;
  }

  /** Adds `src` into node `id`'s gradient (the first contribution of a step overwrites). */
  private addGrad(id: number, src: Float64Array): void {
    const g = this.grads[id]!;
    if (!this.written[id]) {
      g.set(src);
      this.written[id] = 1;
      return;
    }
    for (let i = 0; i < g.length; i++) g[i] += src[i];
  }

  /** Sums an m×n gradient over its rows into a bias gradient of n (overwrite or add). */
  private addRowSums(id: number, src: Float64Array, m: number, n: number): void {
    const add = this.written[id] === 1;
    const g = add ? this.scratch(id) : this.grads[id]!;
    g.fill(0);
    for (let i = 0; i < m; i++) {
      const row = i * n;
      for (let j = 0; j < n; j++) g[j] += src[row + j];
    }
    if (add) this.addGrad(id, g);
    this.written[id] = 1;
  }

  /**
   * dA += G·Bᵀ and dB += Aᵀ·G for C = A·B (A m×k, B k×n), each only where needed. A product
   * that adds to a gradient already written goes through scratch first, so the sum is rounded
   * as Graph.backward rounds it (earlier contributions + this product).
   */
  private matmulBackward(a: Node, b: Node, g: Float64Array, needs: Uint8Array): void {
    const [m, k] = a.value.shape;
    const n = b.value.shape[1];
    if (needs[a.id]) {
      const into = this.written[a.id] ? this.scratch(a.id) : this.grads[a.id]!;
      gemm(false, true, m, k, n, g, 0, this.tensor(b.id).data, 0, into, 0, false);
      if (this.written[a.id]) this.addGrad(a.id, into);
      this.written[a.id] = 1;
    }
    if (needs[b.id]) {
      const into = this.written[b.id] ? this.scratch(b.id) : this.grads[b.id]!;
      gemm(true, false, k, n, m, this.tensor(a.id).data, 0, g, 0, into, 0, false);
      if (this.written[b.id]) this.addGrad(b.id, into);
      this.written[b.id] = 1;
    }
  }

  /** A second buffer the size of node `id`'s gradient, made on first need and kept. */
  private scratch(id: number): Float64Array {
    let s = this.scratches.get(id);
    if (!s) {
      s = new Float64Array(this.grads[id]!.length);
      this.scratches.set(id, s);
    }
    return s;
  }

  private denseInstruction(
    group: { matmul: Node; add: Node; act: Node | null },
    needs: Uint8Array,
  ): Instruction {
    const { matmul, add, act } = group;
    const [x, w] = matmul.inputs;
    const biasNode = add.inputs[0] === matmul ? add.inputs[1] : add.inputs[0];
    const [m, k] = x.value.shape;
    const n = w.value.shape[1];
    const z = this.own(add);
    const out = act ? this.own(act) : z;
    const kind = act ? activationOps[act.op] : Act.None;
    const alpha = act ? leakyAlpha(act.attrs) : 0;
    const gz = this.grads[add.id];
    return {
      out: (act ?? add).id,
      forward: () => {
        gemm(
          false,
          false,
          m,
          n,
          k,
          this.tensor(x.id).data,
          0,
          this.tensor(w.id).data,
          0,
          z,
          0,
          false,
        );
        const bias = this.tensor(biasNode.id).data;
        for (let i = 0; i < m; i++) {
          const row = i * n;
          for (let j = 0; j < n; j++) z[row + j] += bias[j];
        }
        activate(kind, alpha, z, out);
      },
      backward: () => {
        if (!gz) return;
        // The add and the matmul have no other consumer, so ∂/∂Z and ∂/∂(XW) are this.
        if (act) activationGrad(kind, alpha, this.grads[act.id]!, z, out, gz);
        this.written[add.id] = 1;
        if (needs[biasNode.id]) this.addRowSums(biasNode.id, gz, m, n);
        this.matmulBackward(x, w, gz, needs);
      },
    };
  }

  /** An allocation-free instruction for the op at `node`, or null when it has none. */
  private fastInstruction(node: Node, needs: Uint8Array): Instruction | null {
    const op = node.op;
    if (op === 'matmul') {
      const [a, b] = node.inputs;
      if (a.value.rank !== 2 || b.value.rank !== 2) return null;
      const [m, k] = a.value.shape;
      const n = b.value.shape[1];
      const out = this.own(node);
      return {
        out: node.id,
        forward: () =>
          gemm(
            false,
            false,
            m,
            n,
            k,
            this.tensor(a.id).data,
            0,
            this.tensor(b.id).data,
            0,
            out,
            0,
            false,
          ),
        backward: () => this.matmulBackward(a, b, this.grads[node.id]!, needs),
      };
    }
    if (op === 'add') {
      const [a, b] = node.inputs;
      const shape = node.value.shape;
      if (sameShape(a.value.shape, shape) && sameShape(b.value.shape, shape)) {
        const out = this.own(node);
        return {
          out: node.id,
          forward: () => {
            const x = this.tensor(a.id).data;
            const y = this.tensor(b.id).data;
            for (let i = 0; i < out.length; i++) out[i] = x[i] + y[i];
          },
          backward: () => {
            const g = this.grads[node.id]!;
            if (needs[a.id]) this.addGrad(a.id, g);
            if (needs[b.id]) this.addGrad(b.id, g);
          },
        };
      }
      const bias = rowBias(a, b, shape) ? 1 : rowBias(b, a, shape) ? 0 : -1;
      if (bias < 0) return null;
      const full = node.inputs[1 - bias];
      const row = node.inputs[bias];
      const [m, n] = shape;
      const out = this.own(node);
      return {
        out: node.id,
        forward: () => {
          const x = this.tensor(full.id).data;
          const r = this.tensor(row.id).data;
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) out[i * n + j] = x[i * n + j] + r[j];
          }
        },
        backward: () => {
          const g = this.grads[node.id]!;
          if (needs[full.id]) this.addGrad(full.id, g);
          if (needs[row.id]) this.addRowSums(row.id, g, m, n);
        },
      };
    }
    if (op in activationOps) {
      const kind = activationOps[op];
      const alpha = leakyAlpha(node.attrs);
      const [x] = node.inputs;
      const out = this.own(node);
      return {
        out: node.id,
        forward: () => activate(kind, alpha, this.tensor(x.id).data, out),
        backward: () => {
          if (!needs[x.id]) return;
          if (!this.written[x.id]) {
            activationGrad(
              kind,
              alpha,
              this.grads[node.id]!,
              this.tensor(x.id).data,
              out,
              this.grads[x.id]!,
            );
            this.written[x.id] = 1;
            return;
          }
          const scratch = this.scratch(x.id);
          activationGrad(kind, alpha, this.grads[node.id]!, this.tensor(x.id).data, out, scratch);
          this.addGrad(x.id, scratch);
        },
      };
    }
    if (op === 'softmax_cross_entropy') return this.softmaxCrossEntropy(node, needs);
    return null;
  }

  /**
   * Loss and gradient of softmax_cross_entropy on N×C logits, as the op computes them (same
   * order of operations): class indices (y of N) or target rows (y of N×C).
   */
  private softmaxCrossEntropy(node: Node, needs: Uint8Array): Instruction | null {
    const [zNode, yNode] = node.inputs;
    if (zNode.value.rank !== 2) return null;
    const [n, c] = zNode.value.shape;
    const dense = sameShape(yNode.value.shape, zNode.value.shape);
    if (!dense && !(yNode.value.rank === 1 && yNode.value.shape[0] === n)) return null;
    const out = this.own(node);
    /** Per row: the shift m and log Σ exp(z − m). */
    const shift = new Float64Array(n);
    const logS = new Float64Array(n);
    const op = getOp(node.op);
    /** Class indices must be whole numbers in 0..C−1; otherwise the op says what is wrong. */
    const checkLabels = (y: Float64Array): void => {
      for (let i = 0; i < n; i++) {
        const label = y[i];
        if (!(Number.isInteger(label) && label >= 0 && label < c)) {
          op.forward([this.tensor(zNode.id), this.tensor(yNode.id)], node.attrs);
          throw new ShapeError(`label ${label} in row ${i} is not a class index 0..${c - 1}`);
        }
      }
    };
    return {
      out: node.id,
      forward: () => {
        const z = this.tensor(zNode.id).data;
        const y = this.tensor(yNode.id).data;
        if (!dense) checkLabels(y);
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const row = i * c;
          let m = -Infinity;
          for (let k = 0; k < c; k++) m = Math.max(m, z[row + k]);
          let s = 0;
          for (let k = 0; k < c; k++) s += Math.exp(z[row + k] - m);
          const ls = Math.log(s);
          shift[i] = m;
          logS[i] = ls;
          if (dense) {
            for (let k = 0; k < c; k++) {
              const w = y[row + k];
              if (w !== 0) sum -= w * (z[row + k] - m - ls);
            }
          } else {
            const j = row + y[i];
            sum -= z[j] - m - ls;
          }
        }
        out[0] = sum / n;
      },
      backward: () => {
        if (!needs[zNode.id]) return;
        const z = this.tensor(zNode.id).data;
        const y = this.tensor(yNode.id).data;
        const scale = this.grads[node.id]![0] / n;
        const gz = this.grads[zNode.id]!;
        const add = this.written[zNode.id] === 1;
        for (let i = 0; i < n; i++) {
          const row = i * c;
          const m = shift[i];
          const ls = logS[i];
          let total = 1;
          if (dense) {
            total = 0;
            for (let k = 0; k < c; k++) total += y[row + k];
          }
          const label = dense ? -1 : y[i];
          for (let k = 0; k < c; k++) {
            const w = dense ? y[row + k] : k === label ? 1 : 0;
            const v = scale * (Math.exp(z[row + k] - m - ls) * total - w);
            if (add) gz[row + k] += v;
            else gz[row + k] = v;
          }
        }
        this.written[zNode.id] = 1;
      },
    };
  }

  /** Any op, through its OpDef: forward allocates its output, backward its gradients. */
  private genericInstruction(node: Node, needs: Uint8Array): Instruction {
    const op = getOp(node.op);
    const frozen = op.nonDifferentiable ?? [];
    const want = node.inputs.map((x, i) => needs[x.id] === 1 && !frozen.includes(i));
    const gradTensor = this.grads[node.id]
      ? new Tensor(node.value.shape, this.grads[node.id]!)
      : null;
    this.values[node.id] = node.value;
    return {
      out: node.id,
      forward: () => {
        this.values[node.id] = op.forward(
          node.inputs.map((x) => this.tensor(x.id)),
          node.attrs,
        );
      },
      backward: () => {
        if (!gradTensor) return;
        const grads = op.backward(
          gradTensor,
          {
            inputs: node.inputs.map((x) => this.tensor(x.id)),
            output: this.tensor(node.id),
            attrs: node.attrs,
          },
          want,
        );
        node.inputs.forEach((x, i) => {
          const g = grads[i];
          if (want[i] && g) this.addGrad(x.id, g.data);
        });
      },
    };
  }
}

/** Whether `row` is a row bias (shape n or 1×n) for the m×n operand `full` with output `shape`. */
function rowBias(full: Node, row: Node, shape: readonly number[]): boolean {
  if (shape.length !== 2 || !sameShape(full.value.shape, shape)) return false;
  const r = row.value.shape;
  return (
    (r.length === 1 && r[0] === shape[1]) || (r.length === 2 && r[0] === 1 && r[1] === shape[1])
  );
}

/**
 * The dense layer ending at `node`, if any: node is an activation of an add (or the add itself)
 * of a 2-D matmul and a row bias, each inner node read only by the next.
 */
function denseGroup(
  node: Node,
  consumers: Int32Array,
  loss: Node,
): { matmul: Node; add: Node; act: Node | null } | null {
  let act: Node | null = null;
  let add = node;
  if (node.op in activationOps) {
    act = node;
    add = node.inputs[0];
    if (add.op !== 'add' || consumers[add.id] !== 1 || add === loss) return null;
  }
  if (add.op !== 'add') return null;
  const [p, q] = add.inputs;
  const matmul = p.op === 'matmul' ? p : q.op === 'matmul' ? q : null;
  if (!matmul || consumers[matmul.id] !== 1 || p === q) return null;
  const bias = matmul === p ? q : p;
  const [x, w] = matmul.inputs;
  if (x.value.rank !== 2 || w.value.rank !== 2) return null;
  if (!rowBias(matmul, bias, add.value.shape)) return null;
  return { matmul, add, act };
}
