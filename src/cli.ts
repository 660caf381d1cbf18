/**
 * The `backprop-notes` command (bundled to dist/cli.js): Node's process wired to runCli.
 * Everything else lives in src/cli/run.ts, which tests drive in-process.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import pkg from '../package.json';
import { runCli } from './cli/run';
import { parseSource } from './spec/index';

// A reader that stops early (`… | head`) closes the pipe: end quietly, never with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') process.stderr.write(`backprop-notes: ${err.message}\n`);
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}

process.exitCode = runCli(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readFile: (path) => readFileSync(path, 'utf8'),
    readStdin: () => readFileSync(0, 'utf8'),
    writeFile: (path, text) => writeFileSync(path, text, 'utf8'),
  },
  { parse: (text, kind, limits) => parseSource(text, kind, limits), version: pkg.version },
);
