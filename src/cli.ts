/**
 * The `backprop-notes` command (bundled to dist/cli.js): Node's process wired to runCli.
 * Everything else lives in src/cli/run.ts, which tests drive in-process.
 */
import { readFileSync } from 'node:fs';
import pkg from '../package.json';
import { runCli } from './cli/run';
import { parseSource } from './spec/index';

process.exitCode = runCli(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readFile: (path) => readFileSync(path, 'utf8'),
    readStdin: () => readFileSync(0, 'utf8'),
  },
  { parse: (text, kind) => parseSource(text, kind), version: pkg.version },
);
