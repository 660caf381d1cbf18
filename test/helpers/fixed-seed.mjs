/**
 * Loaded before every test file (scripts/test.mjs --import): every fast-check property runs on
 * one fixed seed, so a CI run is reproducible and a red run is a real bug, not a roll of the
 * dice. `FUZZ_SEED=<n> node scripts/test.mjs test/engine …` runs them on another seed to
 * explore; a counterexample found so is kept as a regression test. A property that sets its own
 * seed keeps it. Plain .mjs, and fast-check through require, because the tests load its
 * CommonJS build (tsx compiles them to CommonJS) and worker threads inherit this flag without tsx.
 */
import { createRequire } from 'node:module';

const fc = createRequire(import.meta.url)('fast-check');
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261129;
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
