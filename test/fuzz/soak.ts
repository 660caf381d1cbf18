/**
 * The soak: `npm run soak` drives 1,000,000 fuzz inputs (the CI test's generators and driver,
 * test/fuzz/run.ts) through every layer, printing progress, then a summary. Each failing input,
 * and each input over the 1 s goal twice, is written to test/fuzz/regressions/<hash>.txt with its
 * kind and seed in a header; the CI test replays every file there. Exit code 1 on any failure.
 *
 *     npm run soak                                  # 1,000,000 inputs, the default seed
 *     npm run soak -- --inputs 200000 --seed 7      # or FUZZ_INPUTS / FUZZ_SEED
 *     npm run soak -- --workers 1 --full-every 8    # one thread; every 8th input through every layer
 *     npm run soak -- --minutes 60                  # stop starting new inputs after an hour
 */
import { DEFAULT_SEED, GOAL_MS, fuzzParallel, summary } from './run';

function option(name: string, env: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : process.env[env];
  if (raw === undefined) return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} (or ${env}) must be a whole number, not '${raw}'.`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const inputs = option('inputs', 'FUZZ_INPUTS', 1_000_000);
  const seed = option('seed', 'FUZZ_SEED', DEFAULT_SEED);
  const lanes = Math.max(1, option('workers', 'FUZZ_WORKERS', 2));
  const fullEvery = Math.max(1, option('full-every', 'FUZZ_FULL_EVERY', 128));
  const liveEvery = Math.max(1, option('live-every', 'FUZZ_LIVE_EVERY', 32));
  const minutes = option('minutes', 'FUZZ_MINUTES', 0);
  console.log(
    `soak: ${inputs.toLocaleString('en-US')} inputs, seed ${seed}, ${lanes} worker(s); ` +
      `1 input in ${fullEvery} through every layer, 1 in ${liveEvery} through the live ones`,
  );
  const started = Date.now();
  let last = 0;
  const tally = await fuzzParallel(seed, inputs, {
    lanes,
    fullEvery,
    liveEvery,
    ...(minutes > 0 ? { deadline: Date.now() + minutes * 60_000 } : {}),
    write: true,
    onProgress: (done, failures) => {
      const now = Date.now();
      if (now - last < 10_000 && done < inputs) return;
      last = now;
      const s = (now - started) / 1000;
      console.log(
        `  ${done.toLocaleString('en-US')} / ${inputs.toLocaleString('en-US')} inputs, ` +
          `${failures} failures, ${s.toFixed(0)} s, ${Math.round(done / Math.max(s, 0.001))} inputs/s`,
      );
    },
  });
  for (const line of summary(tally, seed)) console.log(line);
  if (tally.stopped) {
    console.log(`stopped after ${minutes} minutes: ${tally.inputs} of ${inputs} inputs driven`);
  }
  for (const f of [...tally.failures, ...tally.slow].slice(0, 20)) {
    console.log(`  #${f.index} (${f.family}, ${f.kind}) [${f.layer}] ${f.detail.split('\n')[0]}`);
    console.log(`    written to ${f.file}`);
  }
  if (tally.slow.length > 0) {
    console.log(`${tally.slow.length} inputs over ${GOAL_MS} ms of CPU when re-timed alone`);
  }
  process.exit(tally.failures.length + tally.slow.length > 0 ? 1 : 0);
}

void main();
