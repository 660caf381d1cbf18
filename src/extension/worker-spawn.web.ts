/**
 * Starts the engine worker — the web side (vscode.dev, the browser's extension host): a Web
 * Worker on dist/web/worker.js. Swapped in for worker-spawn.ts by the web build; same exports.
 *
 * A Web Worker has no heap limit to set and no exit code: a worker that runs out of memory or
 * throws at top level reports an `error` event, which ends it here (EngineClient starts another).
 */
import type * as NodeSide from './worker-spawn';

export type SpawnedWorker = NodeSide.SpawnedWorker;
export type SpawnOptions = NodeSide.SpawnOptions;

/** What this file needs of the browser's Worker (the host's tsconfig has no DOM types). */
interface BrowserWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(
    type: 'error' | 'messageerror',
    listener: (event: { message?: string }) => void,
  ): void;
}

declare const Worker: new (url: string, options?: { name?: string }) => BrowserWorker;

/** `location`: the worker script's URL (dist/web/worker.js). */
export function spawnWorker(location: string, _options: SpawnOptions): SpawnedWorker {
  const worker = new Worker(location, { name: 'Backprop Notes engine' });
  let ended = false;
  return {
    postMessage: (message) => worker.postMessage(message),
    terminate: () => {
      ended = true;
      worker.terminate();
    },
    onMessage: (listener) => worker.addEventListener('message', (event) => listener(event.data)),
    onDied: (listener) => {
      const died = (what: string) => (event: { message?: string }) => {
        if (ended) return;
        ended = true;
        worker.terminate();
        listener(new Error(event.message || what));
      };
      worker.addEventListener('error', died('the worker failed'));
      worker.addEventListener('messageerror', died('the worker could not read a message'));
    },
  };
}

// Both sides must export the same function (a mismatch is a type error here).
spawnWorker satisfies typeof NodeSide.spawnWorker;
