/**
 * The engine worker's side of the channel to the extension host — the Node side: the worker
 * thread's parentPort. The web build swaps this file for worker-port.web.ts (scripts/build.mjs).
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';

export interface WorkerPort {
  onMessage(listener: (message: unknown) => void): void;
  postMessage(message: unknown): void;
}

export function workerPort(): WorkerPort {
  const port = parentPort;
  if (!port) throw new Error('dist/worker.js runs as a worker thread of the extension.');
  yieldToTheEditor();
  return {
    onMessage: (listener) => port.on('message', listener),
    postMessage: (message) => port.postMessage(message),
  };
}

/**
 * On Linux the engine's thread runs 10 nice levels below the rest (at most 19): on a machine with
 * few cores, a long evaluation then gives way to the editor's typing, not the other way round.
 * Linux keeps nice values per thread, so this lowers the worker's thread alone; on other systems
 * it would lower the whole extension host, so it is not done there.
 */
function yieldToTheEditor(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(Math.min(19, getPriority() + 10));
  } catch {
    // Not allowed here: the engine keeps the default priority.
  }
}
