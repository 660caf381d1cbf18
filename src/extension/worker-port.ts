/**
 * The engine worker's side of the channel to the extension host — the Node side: the worker
 * thread's parentPort. The web build swaps this file for worker-port.web.ts (scripts/build.mjs).
 */
import { parentPort } from 'node:worker_threads';

export interface WorkerPort {
  onMessage(listener: (message: unknown) => void): void;
  postMessage(message: unknown): void;
}

export function workerPort(): WorkerPort {
  const port = parentPort;
  if (!port) throw new Error('dist/worker.js runs as a worker thread of the extension.');
  return {
    onMessage: (listener) => port.on('message', listener),
    postMessage: (message) => port.postMessage(message),
  };
}
