/**
 * One lane of a fuzz run in a worker thread: runs its chunks and posts the tally back
 * (see `fuzzParallel` in run.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type RunOptions, fuzzRange } from './run';

interface Job {
  readonly seed: number;
  readonly from: number;
  readonly to: number;
  readonly options: Omit<RunOptions, 'onChunk'>;
}

const job = workerData as Job;
const tally = fuzzRange(job.seed, job.from, job.to, {
  ...job.options,
  onChunk: (t) =>
    parentPort?.postMessage({ type: 'progress', inputs: t.inputs, failures: t.failures.length }),
});
parentPort?.postMessage({ type: 'done', tally });
