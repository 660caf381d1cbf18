/**
 * Starts the engine worker — the Node side: a worker thread (node:worker_threads). The web build
 * swaps this file for worker-spawn.web.ts (a Web Worker) at bundling time (scripts/build.mjs), so
 * EngineClient is the same code on the desktop and on the web.
 *
 * No vscode import: tested in plain Node through EngineClient.
 */
import { Worker } from 'node:worker_threads';

/** A running engine worker, as EngineClient uses it on either platform. */
export interface SpawnedWorker {
  postMessage(message: unknown): void;
  /** Ends it; no `onDied` follows for an end asked for here. */
  terminate(): void;
  /** Every message the worker posts. */
  onMessage(listener: (message: unknown) => void): void;
  /** The worker failed or ended by itself (out of memory, a crash, an uncaught error). */
  onDied(listener: (error: Error) => void): void;
}

export interface SpawnOptions {
  /** The worker's V8 heap limit in MB: running out ends the worker, not the extension host. */
  readonly maxHeapMb: number;
}

/** `location`: the worker script's file path (dist/worker.js). */
export function spawnWorker(location: string, options: SpawnOptions): SpawnedWorker {
  const worker = new Worker(location, {
    resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb },
  });
  let terminated = false;
  return {
    postMessage: (message) => worker.postMessage(message),
    terminate: () => {
      terminated = true;
      void worker.terminate();
    },
    onMessage: (listener) => worker.on('message', listener),
    onDied: (listener) => {
      worker.on('error', (error) => {
        if (!terminated) listener(error);
      });
      worker.on('exit', (code) => {
        if (!terminated) listener(new Error(`the worker exited with code ${code}`));
      });
    },
  };
}
