/**
 * The engine worker's entry (bundled to dist/worker.js): parses and explains one request at a
 * time, off the extension host's thread. All the engine code lives in this bundle, none of it in
 * dist/extension.js.
 */
import {
  type ExplainOptions,
  type Explanation,
  ExplainError,
  explainBlock as explainWith,
} from '../explain/index';
import { type LimitOptions, parseSource, useDefaultLimits } from '../spec/index';
import { InsightsCache } from '../editor-insights/cache';
import { answerInsights } from '../editor-insights/requests';
import type {
  EngineRequest,
  EngineResponse,
  InsightsRequest,
  InsightsResponse,
  L10nMessage,
} from './engine-protocol';
import { trimForView } from './view-trim';
import { type NotesRequest, handleNotes } from '../notes/worker';
import { type ExportRequest, answerExport } from '../render/export-request';
import { l10n, parseBundle } from '../l10n';
// parentPort in a worker thread; the web build swaps in the Web Worker's scope (worker-port.web.ts).
import { workerPort } from './worker-port';

/** Answers one request: `send` is called once, or twice (a partial answer, then the final one). */
function handle(request: EngineRequest, send: (response: EngineResponse) => void): void {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  try {
    const blocks = parseSource(request.text, request.kind, { origin: request.origin });
    if (blocks.length === 0) {
      send({
        id: request.id,
        ok: false,
        message: l10n.t(
          'There is no model block to explain. Write the network in a ```model block, or select its lines.',
        ),
        line: null,
      });
      return;
    }
    const block = blocks[Math.min(Math.max(request.blockIndex, 0), blocks.length - 1)];
    const wrt = request.wrt ?? null;
    // With the picked tensor as wrt when the block has it (with a gradient), else without.
    const explainBlock = (b: typeof block, options: ExplainOptions): Explanation => {
      if (wrt === null) return explainWith(b, options);
      try {
        return explainWith(b, { ...options, wrt });
      } catch (error) {
        if (error instanceof ExplainError) return explainWith(b, options);
        throw error;
      }
    };
    const view = (e: Explanation) => (request.view ? trimForView(e, request.view) : e);
    const answer = (e: Explanation, partial: boolean) =>
      send({
        id: request.id,
        ok: true,
        explanation: view(e),
        partial,
        blockCount: blocks.length,
        elapsedMs: elapsed(),
      });
    if (request.gradientCheck === false) {
      answer(explainBlock(block, { gradientCheck: false }), false);
      return;
    }
    // The check runs the forward pass twice per checked element: on a slow block, show the
    // rest first. (explainBlock recomputes the block's gradients, so calling it again is safe.)
    const quick = explainBlock(block, { gradientCheck: false });
    if (elapsed() >= request.partialAfterMs) answer(quick, true);
    answer(explainBlock(block, { gradientCheck: request.gradientCheck }), false);
  } catch (error) {
    // parseSource never throws on user input, so this is our bug: say so, and where.
    const detail = error instanceof Error ? error.message : String(error);
    send({
      id: request.id,
      ok: false,
      message: l10n.t(
        "The engine failed on this block ({0}). This is a bug in Backprop Notes: please report it with the block's text. Editing the block may work around it.",
        detail,
      ),
      line: null,
    });
  }
}

/** The live insights' block cache: lives as long as the worker. */
const insights = new InsightsCache();

function handleInsights(request: InsightsRequest): InsightsResponse | EngineResponse {
  try {
    return { id: request.id, ok: true, answer: answerInsights(insights, request) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      id: request.id,
      ok: false,
      message: l10n.t(
        "The engine failed on this note ({0}). This is a bug in Backprop Notes: please report it with the block's text. Editing the block may work around it.",
        detail,
      ),
      line: null,
    };
  }
}

const port = workerPort();
port.onMessage((message) => {
  const request = message as
    EngineRequest | InsightsRequest | L10nMessage | NotesRequest | ExportRequest;
  // The extension's limits, sent with every request (EngineClient.limits).
  const limits = (message as { limits?: LimitOptions }).limits;
  if (limits) useDefaultLimits(limits);
  if ('type' in request && request.type === 'l10n') l10n.useBundle(parseBundle(request.bundle));
  else if ('type' in request && request.type === 'notes')
    handleNotes(request, (response) => port.postMessage(response));
  else if ('type' in request && request.type === 'export') port.postMessage(answerExport(request));
  else if ('type' in request) port.postMessage(handleInsights(request));
  else handle(request, (response) => port.postMessage(response));
});
