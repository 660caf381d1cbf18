/**
 * The engine worker's answers for the study-note commands (Insert Derivation, Train): the
 * `notes` requests of engine-protocol.ts. Training sends partial answers with the losses of the
 * steps done since the last one, a few times a second; the host stops a run by ending the worker.
 *
 * No vscode, no Node: runs in the worker thread and in the web build's Web Worker alike.
 */
import { ExplainError, explainBlock } from '../explain/build';
import { l10n } from '../l10n';
import { parseSource } from '../spec/index';
import type { SourcePosition } from '../spec/model';
import type { SourceKind } from '../spec/sources';
import {
  type DerivationAnswer,
  type DerivationTarget,
  derivationFor,
  derivationTargets,
} from './derivation';
import {
  type TrainResult,
  type TrainSettings,
  TrainError,
  trainBlock,
  trainingPlan,
} from './train';

interface BlockQuery {
  readonly text: string;
  readonly kind: SourceKind;
  readonly origin?: SourcePosition;
  readonly blockIndex: number;
}

export type NotesQuery =
  | (BlockQuery & { readonly type: 'notes'; readonly what: 'targets' })
  | (BlockQuery & {
      readonly type: 'notes';
      readonly what: 'derivation';
      readonly wrt: string | null;
      readonly numbers: boolean;
    })
  | (BlockQuery & { readonly type: 'notes'; readonly what: 'trainPlan' })
  | (BlockQuery & {
      readonly type: 'notes';
      readonly what: 'train';
      readonly learningRate: number;
      readonly steps: number;
    });

export type NotesAnswer =
  | { readonly what: 'targets'; readonly targets: readonly DerivationTarget[] }
  | ({ readonly what: 'derivation' } & DerivationAnswer)
  | {
      readonly what: 'trainPlan';
      readonly settings: TrainSettings;
      readonly params: readonly string[];
    }
  | {
      readonly what: 'trainProgress';
      readonly done: number;
      /** The losses of the steps done since the previous progress answer. */
      readonly losses: readonly number[];
    }
  | ({ readonly what: 'train' } & TrainResult);

export type NotesRequest = NotesQuery & { readonly id: number };

export type NotesResponse =
  | {
      readonly id: number;
      readonly ok: true;
      readonly partial: boolean;
      readonly answer: NotesAnswer;
    }
  | {
      readonly id: number;
      readonly ok: false;
      readonly message: string;
      readonly line: number | null;
    };

export function handleNotes(request: NotesRequest, send: (response: NotesResponse) => void): void {
  const done = (answer: NotesAnswer) => send({ id: request.id, ok: true, partial: false, answer });
  try {
    switch (request.what) {
      case 'targets': {
        const blocks = parseSource(request.text, request.kind, originOf(request));
        const block = blocks[Math.min(Math.max(request.blockIndex, 0), blocks.length - 1)];
        if (!block)
          throw new ExplainError(
            l10n.t('There is no model block here: write the network in a ```model block.'),
          );
        const e = explainBlock(block, { gradientCheck: false, maxJacobianEntries: 0, maxPaths: 1 });
        done({ what: 'targets', targets: derivationTargets(e) });
        return;
      }
      case 'derivation':
        done({ what: 'derivation', ...derivationFor({ ...request, origin: request.origin }) });
        return;
      case 'trainPlan': {
        const plan = trainingPlan(request.text, request.kind, request.blockIndex, request.origin);
        done({ what: 'trainPlan', settings: plan.settings, params: plan.params });
        return;
      }
      case 'train': {
        let sent = 0;
        const result = trainBlock(request, (progress) => {
          const losses = progress.losses.slice(sent);
          sent = progress.losses.length;
          send({
            id: request.id,
            ok: true,
            partial: true,
            answer: { what: 'trainProgress', done: progress.done, losses },
          });
        });
        done({ what: 'train', ...result });
        return;
      }
    }
  } catch (error) {
    if (error instanceof TrainError || error instanceof ExplainError) {
      send({
        id: request.id,
        ok: false,
        message: error.message,
        line: error instanceof TrainError ? error.line : null,
      });
      return;
    }
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

function originOf(request: BlockQuery): { origin?: SourcePosition } {
  return request.origin ? { origin: request.origin } : {};
}
