/**
 * The Explanation: everything the product shows about one model block, as plain JSON data.
 *
 * This is the product's core data type. The CLI, the Markdown/LaTeX export, the webview, the
 * inline previews and the hovers all read it and nothing else, so it obeys a few rules:
 *
 * - **Plain JSON.** No class instances, no typed arrays, no Maps, no undefined fields: tensors
 *   are `Nested` (a `number` for a scalar, else nested lists in row-major order), everything else
 *   is objects, arrays, strings, numbers, booleans and null. `JSON.parse(JSON.stringify(e))` gives
 *   back an equal object, with one exception: non-finite numbers (NaN, ±Infinity — e.g. `log(0)`)
 *   become `null` in JSON text, while `postMessage` (structured clone) keeps them.
 * - **Ids are graph node ids**, the index into `nodes`. Every cross-reference (`inputs`, a path's
 *   nodes, a step's target …) is a node id, so a consumer looks details up in `nodes[id]`.
 * - **Two coordinate systems, named apart.** `range` fields are 0-based line/column as VS Code
 *   counts (`SourceRange` from the spec layer); `line`/`column`/`endLine`/`endColumn` fields are
 *   1-based, as a terminal prints them (`FILE:LINE:COL`). Both are in the coordinates of the whole
 *   source the block came from (for a Markdown note, the note's own lines).
 * - **LaTeX strings are KaTeX-compatible** math-mode fragments without `$` delimiters.
 * - **Gradient notation.** `∂L/∂T` for a tensor T is written, in `symbol`s and backprop rules:
 *   - `\delta_{k}` when T is a *pre-activation* (it feeds an activation, softmax, or the logits of
 *     a fused softmax-cross-entropy) named with a trailing number k (`Z2` → `\delta_{2}`);
 *     `\delta_{Z}` style (the name's label as subscript) for other pre-activation names, or when
 *     two pre-activations would share a number;
 *   - `\bar{T}` (the adjoint, `\bar{H}_{1}`) for every other computed tensor;
 *   - `\frac{\partial L}{\partial W_{1}}` written out for leaves (params, inputs), which are the
 *     results the reader is after.
 *   `notation` lists every symbol used, with its meaning, so a renderer can print a legend.
 * - **Chain rule over named tensors.** Paths go through the tensors the user named (one per
 *   statement) and the leaves; unnamed subexpressions inside a statement (`X @ W1` inside
 *   `Z1 = X @ W1 + b1`) are folded into that statement's factor, so a factor ∂Z1/∂W1 is the
 *   derivative of the whole statement with respect to one named operand, the other named
 *   operands held fixed. The ops folded in are listed (`locals`).
 *
 * Versioning: `version` is 1. Fields are only ever added within a version; renaming or removing
 * one, or changing its meaning, bumps it.
 */
import type { GradientCheckReport } from '../engine/gradcheck';
import type { AttrValue } from '../engine/op';
import type { Nested } from '../engine/tensor';
import type { Role, SourceRange, SpecError } from '../spec/model';
import type { NumericsReport } from './numerics';

export const explanationVersion = 1;

/** Where a model block came from: a Markdown note's ```model fences, a `.model` file, a `.py` file or any text. */
export type SourceKind = 'markdown' | 'model' | 'python' | 'snippet';

/** What `explainSource` returns and `explain --format json` prints. */
export interface SourceExplanation {
  readonly version: 1;
  readonly kind: SourceKind;
  /** One per model block, in source order. */
  readonly blocks: readonly Explanation[];
}

/** One model block, explained. */
export interface Explanation {
  readonly version: 1;
  /** 0-based position of the block among the blocks of its source (`--block` is this + 1). */
  readonly index: number;
  /** The block's content range (for a fence: the lines between the fences), 0-based. */
  readonly range: SourceRange;
  /** 1-based first line of the block's content. */
  readonly line: number;
  /** Every spec error of the block, in source order. The rest of the explanation covers what evaluated. */
  readonly errors: readonly ExplainedError[];
  /** Where backward starts (the loss, else the output, else the last statement); null when nothing evaluated. */
  readonly root: RootInfo | null;
  /** Every graph node in evaluation order (topological): `nodes[i].id === i`. */
  readonly nodes: readonly ExplainedNode[];
  /**
   * One entry per leaf that gets a gradient (param, input or no-role leaf that the root depends
   * on), in node order — plus the `wrt` tensor when it is a computed one.
   */
  readonly gradients: readonly GradientExplanation[];
  /**
   * Node id of the tensor a renderer should explain first: the `wrt` option's tensor, else the
   * first param with a gradient, else the first leaf with one; null when nothing has a gradient.
   */
  readonly focus: number | null;
  /** The backprop steps in the order backprop completes them (root seed first). */
  readonly steps: readonly BackpropStep[];
  /** Every gradient symbol used in rules and steps, with what it stands for. */
  readonly notation: readonly NotationEntry[];
  /** One entry per softmax → cross-entropy pair (or fused softmax_cross_entropy) found. */
  readonly softmaxCrossEntropy: readonly SoftmaxCrossEntropyExplanation[];
  /** What backward keeps from the forward pass, and the forward-only peak; null without a root. */
  readonly memory: MemoryReport | null;
  readonly linearity: LinearityReport;
  /** The numerical gradient check of every leaf with a gradient; null when not requested or no root. */
  readonly gradientCheck: GradientCheckReport | null;
  /** Things the reader should know, in plain words (non-scalar root seeded with ones, paths cut short …). */
  readonly notices: readonly string[];
  /**
   * Where a NaN or ±∞ first appeared, forward and backward (src/explain/numerics.ts). Always
   * set by explainBlock; optional only so that Explanations made elsewhere need not carry it.
   */
  readonly numerics?: NumericsReport;
}

/** A spec error with its position also given 1-based, as the CLI prints it. */
export interface ExplainedError extends SpecError {
  /** 1-based line of `range.start`. */
  readonly line: number;
  /** 1-based column of `range.start`. */
  readonly column: number;
  /** 1-based line of `range.end`. */
  readonly endLine: number;
  /** 1-based column of `range.end` (exclusive end, as in `range`). */
  readonly endColumn: number;
}

/** What backward differentiates. */
export interface RootInfo {
  readonly node: number;
  readonly name: string;
  /** LaTeX of the name (`L`). */
  readonly label: string;
  readonly role: Role | null;
  readonly shape: readonly number[];
  readonly value: Nested;
  /**
   * `scalar`: a scalar root, seeded with 1 (∂L/∂L = 1). `ones`: a non-scalar root, seeded with
   * ones of its shape, so every gradient is that of the sum of its elements (a notice says so).
   */
  readonly seed: 'scalar' | 'ones';
}

/**
 * How a node came about. Statement roles as written (`param` … `output`); `computed` for a
 * statement with no role whose value comes from an op; `leaf` for a statement with no role that
 * gives a value directly (it gets a gradient); `literal` for a number or list written inside an
 * expression (no gradient); `subexpression` for an unnamed op inside a statement.
 */
export type NodeRole = Role | 'computed' | 'leaf' | 'literal' | 'subexpression';

export interface ExplainedNode {
  /** Its index in `nodes` and in the engine's graph. */
  readonly id: number;
  /** The user's name, or null for an unnamed subexpression or literal. */
  readonly name: string | null;
  /**
   * LaTeX for display: `W_{1}` for W1, `\delta` for delta, `W_{\mathrm{out}}` for W_out,
   * `\hat{y}` for y_hat, `\mathrm{logits}` for logits; for an unnamed node, its formula
   * (`X W_{1}`); for a literal, its number (`2`).
   */
  readonly label: string;
  /** `leaf`, or the op's registry name (`matmul`, `add`, `relu`, `softmax` …). */
  readonly op: string;
  /** Operand node ids, in argument order. */
  readonly inputs: readonly number[];
  /** The op's non-tensor arguments (axis, keepdims, alpha …), as given. */
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly role: NodeRole;
  /** True when backward would compute a gradient for it (its role asks for one, or an input does). */
  readonly requiresGrad: boolean;
  readonly shape: readonly number[];
  readonly value: Nested;
  /** ∂root/∂node (seeded as `RootInfo.seed` says), shaped like `value`; null where backward computed none. */
  readonly grad: Nested | null;
  /**
   * LaTeX of the forward computation: `Z_{1} = X W_{1} + b_{1}` for a named op node, the bare
   * formula (`X W_{1}`) for an unnamed one; null for leaves (their `source` says how they were given).
   */
  readonly formula: string | null;
  /** Index into the block's statements of the statement that defines or contains the node; null for strays. */
  readonly statement: number | null;
  /** The whole statement's range, 0-based (for an unnamed node: the statement containing it). */
  readonly range: SourceRange | null;
  /** The range of the name in its defining statement, 0-based; null for unnamed nodes. */
  readonly nameRange: SourceRange | null;
  /** 1-based line where the statement starts; null when the node belongs to no statement. */
  readonly line: number | null;
  /** The statement's right-hand side as written (for a named node); null otherwise. */
  readonly source: string | null;
  /** The statement's `#` comment, if any. */
  readonly comment: string | null;
  /**
   * Summary of `value` over all its elements, computed before any trimming for display (so it
   * holds for the whole tensor when `value` is only a window of it).
   */
  readonly valueStats: TensorStats;
  /** Summary of `grad`, as `valueStats`; null where `grad` is. */
  readonly gradStats: TensorStats | null;
}

/** A tensor in five numbers (the graph view's node summaries). NaN propagates into all but `count`. */
export interface TensorStats {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** The Euclidean (Frobenius) norm √Σx². */
  readonly norm: number;
}

/** The chain rule for one tensor: every path from the root to it, summed. */
export interface GradientExplanation {
  readonly node: number;
  readonly name: string | null;
  readonly label: string;
  readonly role: NodeRole;
  readonly shape: readonly number[];
  /** The gradient backprop computed (what `nodes[node].grad` holds). */
  readonly grad: Nested;
  /** `\frac{\partial L}{\partial W_{1}}`. */
  readonly derivative: string;
  /**
   * The whole chain rule: `\frac{\partial L}{\partial W_{1}} = <path> + <path> …`, each path a
   * product of factors (`\frac{\partial L}{\partial P}\, \frac{\partial P}{\partial Z_{2}} …`).
   */
  readonly latex: string;
  /** The paths, up to the `maxPaths` option; `pathCount` says how many there are in all. */
  readonly paths: readonly ChainPath[];
  readonly pathCount: number;
  /** True when `paths` holds fewer than `pathCount` (a notice says so too). */
  readonly truncated: boolean;
  /**
   * The largest |Σ path values − grad| over elements, when every path is listed: the
   * multivariate chain rule checked on the numbers. Null when paths were cut short.
   */
  readonly pathSumError: number | null;
  /** Indices into `steps` of the backprop steps this gradient needs, in order. */
  readonly steps: readonly number[];
  /**
   * For a non-scalar root: the full Jacobian ∂root/∂node, shape root.shape ++ node.shape, when it
   * has at most `maxJacobianEntries` entries; null otherwise.
   */
  readonly jacobian: Nested | null;
}

/** One path root → … → tensor, as a product of factors (root side first). */
export interface ChainPath {
  /** Node ids along the path, root first, the tensor last. */
  readonly nodes: readonly number[];
  readonly factors: readonly ChainFactor[];
  /** The product: `\frac{\partial L}{\partial P}\, \frac{\partial P}{\partial Z_{2}} …`. */
  readonly latex: string;
  /**
   * This path's contribution to the gradient (the VJPs along this path only), shaped like the
   * tensor. The paths' contributions add up to the gradient.
   */
  readonly value: Nested;
}

/** One factor ∂A/∂B of a path: A a named tensor, B a named operand of A's statement. */
export interface ChainFactor {
  /** Node id of A (the output side). */
  readonly of: number;
  /** Node id of B (the input side). */
  readonly wrt: number;
  /** `\frac{\partial P}{\partial Z_{2}}`. */
  readonly latex: string;
  /**
   * The local derivative, from the ops' own LaTeX: for each route inside A's statement from A
   * to B, the product (`\cdot`) of its non-identity local derivatives; routes summed (B used
   * twice, as in `x * x`); `I` when every op on the way is an identity (an add, say). A local
   * written as an index equation is bracketed when combined with others.
   */
  readonly local: string;
  /** Each op edge inside A's statement from A down to B, in that order, with its local derivative. */
  readonly locals: readonly LocalDerivative[];
  /** The full Jacobian's shape: A.shape ++ B.shape (2×2×2×3 for ∂Z1/∂W1 with Z1 2×3… as the shapes say). */
  readonly jacobianShape: readonly number[];
  /** Number of entries of the full Jacobian. */
  readonly jacobianSize: number;
  /** The shape of the vector–Jacobian product backprop really computes here: B's shape. */
  readonly vjpShape: readonly number[];
  /** The full Jacobian's values when it has at most `maxJacobianEntries` entries; else null. */
  readonly jacobian: Nested | null;
}

export interface LocalDerivative {
  /** The op node whose local derivative this is. */
  readonly node: number;
  readonly op: string;
  /** Which operand of that op the derivative is taken against. */
  readonly argument: number;
  readonly latex: string;
}

/**
 * One backprop step: the gradient of one named tensor (or leaf), complete. Its rule is the sum of
 * one term per statement that uses the tensor (several terms: the multivariate chain rule).
 */
export interface BackpropStep {
  /** Its index in `steps`. */
  readonly index: number;
  /** The tensor whose gradient this step completes. */
  readonly node: number;
  /** `seed` for the root (∂L/∂L = 1), `chain` with one term, `sum` with several. */
  readonly kind: 'seed' | 'chain' | 'sum';
  /** The gradient's symbol (`\delta_{2}`, `\bar{H}_{1}`, or `\frac{\partial L}{\partial W_{1}}` for leaves). */
  readonly symbol: string;
  /** `\frac{\partial L}{\partial Z_{2}}`. */
  readonly derivative: string;
  /** The rule in matrix form in upstream symbols and forward values: `H_{1}^\top \delta_{2}`. */
  readonly rule: string;
  /** The whole step as one LaTeX line: `\delta_{2} = \frac{\partial L}{\partial Z_{2}} = <rule>`. */
  readonly latex: string;
  /** One term per using statement, in the order backprop adds them. */
  readonly terms: readonly StepTerm[];
  /** A closed form that holds here, e.g. `\frac{1}{N}(P - Y)` after softmax + cross-entropy; else null. */
  readonly simplified: string | null;
  readonly shape: readonly number[];
  readonly value: Nested;
}

export interface StepTerm {
  /** The named tensor whose statement sends this contribution. */
  readonly from: number;
  /** The rule of this contribution in matrix form. */
  readonly rule: string;
  /** The contribution backprop computed along this statement's edges. */
  readonly value: Nested;
}

export interface NotationEntry {
  /** `\delta_{2}`. */
  readonly symbol: string;
  /** `\frac{\partial L}{\partial Z_{2}}`. */
  readonly meaning: string;
  readonly node: number;
}

/**
 * softmax followed by cross-entropy (or the fused `softmax_cross_entropy`): the gradient at the
 * logits simplifies to (P − Y)/N, P the probabilities, Y the one-hot labels, N the rows.
 */
export interface SoftmaxCrossEntropyExplanation {
  readonly fused: boolean;
  /** The cross-entropy (or fused) node. */
  readonly loss: number;
  /** The logits Z. */
  readonly logits: number;
  /** The softmax node P; null when fused. */
  readonly probabilities: number | null;
  /** The labels node (class indices or one-hot rows). */
  readonly labels: number;
  /** N, the number of rows the loss averages over. */
  readonly batch: number;
  /** ∂L/∂ℓ for the cross-entropy ℓ (1 when ℓ is the loss itself). */
  readonly upstream: number;
  /** `\frac{\partial L}{\partial Z_{2}} = \frac{1}{N}(P - Y)`. */
  readonly latex: string;
  /** Y, the labels as one-hot rows (or as given when already one-hot/probabilities). */
  readonly oneHot: Nested;
  readonly probabilitiesValue: Nested;
  /** upstream · (P − Y)/N computed directly. */
  readonly value: Nested;
  /** What backprop sent to the logits along this softmax/cross-entropy edge. */
  readonly backprop: Nested;
  readonly maxAbsDifference: number;
  /** True when the two agree to 1e-9 relative to their size. */
  readonly agrees: boolean;
}

/**
 * Memory. Rules:
 * - An op node keeps for backward the tensors its `OpDef.saves` names (inputs and/or output),
 *   8 bytes per float64 element. Only ops on the way from a gradient-requiring leaf to the root
 *   count: the others never run backward, so a training framework would not save for them.
 * - A tensor saved by several ops is stored once: `savedBytes` counts it once, attributed to the
 *   first op (in forward order) that saves it; later ops list it with `counted: false`.
 * - `inference` simulates a forward-only run of the root's ancestors: leaves (params, inputs,
 *   constants) are resident throughout; an op's output is alive from when it is computed until its
 *   last consumer has run (the root stays alive); while an op runs, its inputs and output are all
 *   alive. The peak is the most bytes alive at once.
 */
export interface MemoryReport {
  readonly bytesPerElement: 8;
  readonly ops: readonly OpMemory[];
  /** Everything backward keeps, each tensor once. */
  readonly savedBytes: number;
  /** The part of `savedBytes` that is op outputs (activations), which a forward-only run would free. */
  readonly savedActivationBytes: number;
  /** Values of all leaves the root depends on. */
  readonly leafBytes: number;
  /** A forward-and-backward run keeps at least `leafBytes + savedActivationBytes + root`. */
  readonly trainingBytes: number;
  readonly inference: InferenceMemory;
  /** How these numbers grow with the batch size; null when the block has no batch (no `input`). */
  readonly batch: BatchScaling | null;
}

/**
 * How memory grows with the batch size B. Rules:
 * - **The batch size N** is the leading dimension of the block's first `input` leaf. Every
 *   `input` or `target` leaf whose leading dimension is N carries the batch on axis 0.
 * - **The batch axis is followed through the ops**: elementwise ops and softmax keep it;
 *   broadcasting aligns trailing axes; `matmul` keeps the rows of its left operand and the
 *   columns of its right one, and loses an axis it contracts (`Xᵀ δ` does not grow); `transpose`
 *   moves it; `reshape` keeps the element count (so the bytes still grow); a reduction over it
 *   (`sum`, `mean`, a loss) removes it. An unknown op grows when an input does and its leading
 *   dimension is N. Parameters never grow.
 * - **A tensor that carries the batch has B/N times its bytes** at batch size B; every other
 *   tensor keeps its bytes. The report's rules (what backward keeps, the forward-only peak) are
 *   then applied unchanged to the rescaled sizes, so each point is what `memory` would say for
 *   the same block run on B samples.
 */
export interface BatchScaling {
  /** N, the block's own batch size. */
  readonly size: number;
  /** The input/target leaves that carry the batch (node ids). */
  readonly sources: readonly number[];
  /** Every node among the root's ancestors whose size grows with the batch (node ids). */
  readonly scaling: readonly number[];
  /** `trainingBytes` = fixedBytes + perSampleBytes · B (it is exactly linear in B). */
  readonly training: { readonly fixedBytes: number; readonly perSampleBytes: number };
  /** `savedBytes` = fixedBytes + perSampleBytes · B. */
  readonly saved: { readonly fixedBytes: number; readonly perSampleBytes: number };
  /** The report at batch sizes 1, 2, 4 … 512 and N, ascending (the peak is not always linear). */
  readonly points: readonly BatchMemoryPoint[];
}

export interface BatchMemoryPoint {
  readonly batch: number;
  /** What backward keeps (`savedBytes` at this batch size). */
  readonly savedBytes: number;
  /** `trainingBytes` at this batch size. */
  readonly trainingBytes: number;
  /** The forward-only peak (`inference.peakBytes`) at this batch size. */
  readonly inferenceBytes: number;
}

export interface OpMemory {
  readonly node: number;
  readonly op: string;
  readonly label: string;
  readonly saved: readonly SavedTensor[];
  /** Bytes of everything this op saves. */
  readonly bytes: number;
  /** Bytes of what this op saves first (counted in the total). */
  readonly newBytes: number;
}

export interface SavedTensor {
  readonly node: number;
  readonly label: string;
  /** `input 0`, `input 1`, `output`. */
  readonly as: string;
  readonly shape: readonly number[];
  readonly bytes: number;
  /** False when an earlier op already saves this tensor. */
  readonly counted: boolean;
}

export interface InferenceMemory {
  readonly leafBytes: number;
  /** The most op-output bytes alive at once. */
  readonly peakActivationBytes: number;
  /** `leafBytes + peakActivationBytes`. */
  readonly peakBytes: number;
  /** The op node being computed at the peak; null when there are no ops. */
  readonly peakAt: number | null;
  /** The op outputs alive at the peak. */
  readonly alive: readonly number[];
}

/** Stacked affine layers with nothing between them are one affine layer. */
export interface LinearityReport {
  /** Every affine layer found: x @ W (+ b) with W and b not depending on x. */
  readonly layers: readonly AffineLayer[];
  /** Runs of two or more consecutive layers, collapsed. */
  readonly runs: readonly CollapsedRun[];
  /** Consecutive layers that an op between them keeps apart. */
  readonly blocked: readonly LinearityBlocker[];
}

export interface AffineLayer {
  readonly matmul: number;
  /** The bias add; null for a layer without bias. */
  readonly add: number | null;
  /** The layer's input x. */
  readonly input: number;
  readonly weight: number;
  readonly bias: number | null;
  /** The layer's output (the add, or the matmul without bias). */
  readonly output: number;
}

export interface CollapsedRun {
  /** Indices into `layers`, first layer first. */
  readonly layers: readonly number[];
  /** `W = W_{1} W_{2}`. */
  readonly weightLatex: string;
  readonly weightShape: readonly number[];
  readonly weight: Nested;
  /** `b = b_{1} W_{2} + b_{2}`; null when no layer has a bias. */
  readonly biasLatex: string | null;
  readonly biasShape: readonly number[] | null;
  readonly bias: Nested | null;
  /** The collapsed layer's output x W + b on the run's input. */
  readonly output: Nested;
  /** The largest |collapsed − real| over the run's output. */
  readonly maxAbsDifference: number;
  /** True when the two agree to 1e-9 relative to their size. */
  readonly equal: boolean;
}

export interface LinearityBlocker {
  /** Index into `layers` of the layer before, and of the layer after. */
  readonly before: number;
  readonly after: number;
  /** The ops between them, in forward order. */
  readonly ops: readonly { readonly node: number; readonly op: string; readonly label: string }[];
  /** In words: `relu between Z_1 and Z_2 blocks the collapse …`. */
  readonly message: string;
}
