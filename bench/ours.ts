/**
 * Our engine's side of the benchmark, in float64: the MLP recorded once with the Graph API and
 * trained by the compiled training step (buffers kept between steps), the same step through the
 * Graph API as a user's notes run it (a new graph per step), and the matmul op.
 */
import { Graph, type Node } from '../src/engine/graph';
import { getOp } from '../src/engine/ops/index';
import { Tensor } from '../src/engine/tensor';
import { type TrainingStep, compileTrainingStep } from '../src/engine/train';
import { LEARNING_RATE, type MlpCase, type MlpData } from './cases';

export interface RecordedMlp {
  readonly graph: Graph;
  readonly loss: Node;
  readonly params: Node[];
}

/** X → (matmul, + b, relu)… → logits → softmax_cross_entropy with class indices. */
export function recordMlp(c: MlpCase, data: MlpData, values?: readonly Tensor[]): RecordedMlp {
  const g = new Graph();
  let h = g.leaf(new Tensor([c.batch, c.sizes[0]], data.x), { name: 'X', requiresGrad: false });
  const y = g.leaf(new Tensor([c.batch], Float64Array.from(data.labels)), {
    name: 'y',
    requiresGrad: false,
  });
  const params: Node[] = [];
  const layers = c.sizes.length - 1;
  for (let l = 0; l < layers; l++) {
    const w = g.leaf(
      values?.[2 * l] ?? new Tensor([c.sizes[l], c.sizes[l + 1]], data.weights[l].w),
      {
        name: `W_${l + 1}`,
        requiresGrad: true,
      },
    );
    const b = g.leaf(values?.[2 * l + 1] ?? new Tensor([c.sizes[l + 1]], data.weights[l].b), {
      name: `b_${l + 1}`,
      requiresGrad: true,
    });
    params.push(w, b);
    h = g.apply('add', [g.apply('matmul', [h, w]), b]);
    if (l < layers - 1) h = g.apply('relu', [h]);
  }
  return { graph: g, loss: g.apply('softmax_cross_entropy', [h, y]), params };
}

/** The compiled step (what `ours` measures). */
export function compiledMlp(c: MlpCase, data: MlpData): TrainingStep {
  const { graph, loss, params } = recordMlp(c, data);
  return compileTrainingStep(graph, loss, params, { learningRate: LEARNING_RATE });
}

/** One step through the Graph API: record, backward, p − lr·grad into new tensors. */
export function graphMlp(c: MlpCase, data: MlpData): { step(): number } {
  let values: Tensor[] | undefined;
  return {
    step() {
      const { graph, loss, params } = recordMlp(c, data, values);
      graph.backward(loss);
      values = params.map((p) => {
        const v = p.value.data;
        const g = p.grad!.data;
        const out = new Float64Array(v.length);
        for (let i = 0; i < v.length; i++) out[i] = v[i] - LEARNING_RATE * g[i];
        return new Tensor(p.value.shape, out);
      });
      return loss.value.item();
    },
  };
}

/** n×n @ n×n through the matmul op (a fresh float64 output each time, as the graph makes). */
export function oursMatmul(n: number, a: Float64Array, b: Float64Array): { run(): void } {
  const op = getOp('matmul');
  const ta = new Tensor([n, n], a);
  const tb = new Tensor([n, n], b);
  return {
    run() {
      op.forward([ta, tb], {});
    },
  };
}
