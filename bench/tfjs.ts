/**
 * TensorFlow.js's side of the benchmark: its CPU backend (plain JS, float32) and its WASM backend
 * (XNNPACK with SIMD, float32, one thread), loaded from node_modules with no network. Bench only:
 * tfjs is a devDependency and never reaches dist/.
 */
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { LEARNING_RATE, type MlpCase, type MlpData } from './cases';

export type TfBackend = 'cpu' | 'wasm';

let initialized = false;

/** Registers both backends; the WASM one single-threaded (our engine runs on one thread too). */
export async function initTfjs(): Promise<void> {
  if (initialized) return;
  initialized = true;
  // Production mode: tfjs's own debug checks off, so it runs at its fastest (and quietly).
  tf.enableProdMode();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  setWasmPaths(`${dist}/`);
  for (const backend of ['wasm', 'cpu'] as const) {
    if (!(await tf.setBackend(backend))) {
      throw new Error(`TensorFlow.js could not start its ${backend} backend`);
    }
    await tf.ready();
  }
}

export async function useBackend(backend: TfBackend): Promise<void> {
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
}

/** Facts about the WASM backend for the report (SIMD on, threads off). */
export function wasmFeatures(): { simd: boolean; threads: boolean } {
  return {
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
  };
}

export interface TfMlp {
  /** One training step: forward, softmax cross-entropy, gradients, SGD update. Returns the loss. */
  step(): number;
  dispose(): void;
}

/** The MLP on the current backend, its variables and batch living there. */
export function tfMlp(c: MlpCase, data: MlpData): TfMlp {
  const x = tf.tensor2d(Float32Array.from(data.x), [c.batch, c.sizes[0]]);
  const classes = c.sizes[c.sizes.length - 1];
  const y = tf.oneHot(tf.tensor1d(data.labels, 'int32'), classes);
  const vars = data.weights.flatMap(({ w, b }, l) => [
    tf.variable(tf.tensor2d(Float32Array.from(w), [c.sizes[l], c.sizes[l + 1]])),
    tf.variable(tf.tensor1d(Float32Array.from(b))),
  ]);
  const optimizer = tf.train.sgd(LEARNING_RATE);
  const loss = (): tf.Scalar => {
    let h: tf.Tensor2D = x;
    for (let l = 0; l < vars.length / 2; l++) {
      h = tf.add(tf.matMul(h, vars[2 * l] as tf.Tensor2D), vars[2 * l + 1]);
      if (l < vars.length / 2 - 1) h = tf.relu(h);
    }
    return tf.losses.softmaxCrossEntropy(y, h);
  };
  return {
    step() {
      const cost = optimizer.minimize(loss, true, vars);
      if (!cost) throw new Error('tfjs minimize returned no cost');
      const value = cost.dataSync()[0];
      cost.dispose();
      return value;
    },
    dispose() {
      optimizer.dispose();
      tf.dispose([x, y, ...vars]);
    },
  };
}

export interface TfMatmul {
  run(): void;
  dispose(): void;
}

/** n×n @ n×n in float32 on the current backend; `run` includes reading C back. */
export function tfMatmul(n: number, a: Float64Array, b: Float64Array): TfMatmul {
  const ta = tf.tensor2d(Float32Array.from(a), [n, n]);
  const tb = tf.tensor2d(Float32Array.from(b), [n, n]);
  return {
    run() {
      const c = tf.matMul(ta, tb);
      c.dataSync();
      c.dispose();
    },
    dispose() {
      tf.dispose([ta, tb]);
    },
  };
}
