/**
 * The engine worker's entry (bundled to dist/worker.js): parses and explains one request at a
 * time, off the extension host's thread. All the engine code lives in this bundle, none of it in
 * dist/extension.js.
 */
import { parentPort } from 'node:worker_threads';
import { explainBlock } from '../explain/index';
import { parseSource } from '../spec/index';
import type { EngineRequest, EngineResponse } from './engine-protocol';

function handle(request: EngineRequest): EngineResponse {
  const started = performance.now();
  try {
    const blocks = parseSource(request.text, request.kind, { origin: request.origin });
    if (blocks.length === 0) {
      return {
        id: request.id,
        ok: false,
        message:
          'There is no model block to explain. Write the network in a ```model block, or select its lines.',
        line: null,
      };
    }
    const block = blocks[Math.min(Math.max(request.blockIndex, 0), blocks.length - 1)];
    const explanation = explainBlock(block, { gradientCheck: request.gradientCheck });
    return {
      id: request.id,
      ok: true,
      explanation,
      blockCount: blocks.length,
      elapsedMs: performance.now() - started,
    };
  } catch (error) {
    // parseSource never throws on user input, so this is our bug: say so, and where.
    const detail = error instanceof Error ? error.message : String(error);
    return {
      id: request.id,
      ok: false,
      message: `The engine failed on this block (${detail}). This is a bug in Backprop Notes: please report it with the block's text. Editing the block may work around it.`,
      line: null,
    };
  }
}

if (!parentPort) throw new Error('dist/worker.js runs as a worker thread of the extension.');
const port = parentPort;
port.on('message', (request: EngineRequest) => port.postMessage(handle(request)));
