/**
 * Export as PyTorch / NumPy from the editor: the question the extension host asks the engine
 * worker (`type: 'export'`, beside engine-protocol.ts's requests) and the worker's answer. The
 * host imports only the types; the export itself runs in the worker, where the engine is.
 *
 * No vscode, no Node: runs in the worker thread and in the web build's Web Worker alike.
 */
import { parseSource } from '../spec/index';
import type { SourcePosition } from '../spec/model';
import type { SourceKind } from '../spec/sources';
import { ExportError, type ExportTarget } from './export-common';
import { exportNumPy } from './export-numpy';
import { exportPyTorch } from './export-pytorch';

export interface ExportQuery {
  readonly type: 'export';
  readonly to: ExportTarget;
  /** The text to parse (a whole note or file, or a selection starting at `origin`). */
  readonly text: string;
  readonly kind: SourceKind;
  readonly origin: SourcePosition;
  /** Which block of the parsed text (clamped to the blocks there are). */
  readonly blockIndex: number;
  /** The file's name as the program's header shows it. */
  readonly source: string;
}

export type ExportRequest = ExportQuery & { readonly id: number };

export type ExportResponse =
  | {
      readonly id: number;
      readonly ok: true;
      /** The Python program. */
      readonly program: string;
      /** The block exported (0-based). */
      readonly blockIndex: number;
    }
  | {
      readonly id: number;
      readonly ok: false;
      /** Why there is no program, and what to do. */
      readonly message: string;
      /** 0-based line the message is about, if any. */
      readonly line: number | null;
    };

/** Parses the text and exports the block: a program, or the reason there is none. */
export function answerExport(request: ExportRequest): ExportResponse {
  const { id } = request;
  try {
    const blocks = parseSource(request.text, request.kind, { origin: request.origin });
    if (blocks.length === 0) {
      return {
        id,
        ok: false,
        message:
          'There is no model block to export. Write the network in a ```model block, or select its lines.',
        line: null,
      };
    }
    const blockIndex = Math.min(Math.max(request.blockIndex, 0), blocks.length - 1);
    const options = { source: request.source, text: request.text, origin: request.origin };
    const block = blocks[blockIndex];
    const program =
      request.to === 'numpy' ? exportNumPy(block, options) : exportPyTorch(block, options);
    return { id, ok: true, program, blockIndex };
  } catch (error) {
    if (error instanceof ExportError) {
      return { id, ok: false, message: error.message, line: error.line };
    }
    const detail = error instanceof Error ? error.message : String(error);
    return {
      id,
      ok: false,
      message: `The export failed on this block (${detail}). This is a bug in Backprop Notes: please report it with the block's text.`,
      line: null,
    };
  }
}
