/**
 * The engine worker's side of the channel — the web side: the Web Worker's global scope.
 * Swapped in for worker-port.ts by the web build; same exports.
 */
import type * as NodeSide from './worker-port';

export type WorkerPort = NodeSide.WorkerPort;

/** What this file needs of a dedicated worker's global scope (no WebWorker types here). */
interface WorkerScope {
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export function workerPort(): WorkerPort {
  const scope = globalThis as unknown as WorkerScope;
  return {
    onMessage: (listener) => scope.addEventListener('message', (event) => listener(event.data)),
    postMessage: (message) => scope.postMessage(message),
  };
}

workerPort satisfies typeof NodeSide.workerPort;
