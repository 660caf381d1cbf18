/**
 * A minimal describe/it runner for tests that run inside VS Code's extension host.
 *
 * Why not node:test: inside the extension host it runs its tests on its own schedule and writes
 * TAP to a stdout nobody reads, and the host needs one promise that settles when every test is
 * done. Why not mocha: one more dependency for ~150 lines.
 *
 * Contract with the harness (test/e2e/harness.ts, hostResults()):
 * - each test prints one line, `✔ suite › test (12 ms)` or `✖ suite › test` plus the error;
 * - the last line is `RESULTS_MARKER {"passed":n,"failed":m,"skipped":k,"tests":[…]}`;
 * - run() resolves when every test passed and rejects otherwise, so the workbench calls
 *   codeAutomationExit(0) or codeAutomationExit(1).
 *
 * Test files import { describe, it, before, after } from this module; the bundle built by
 * scripts/e2e/build-host-tests.mjs imports every `*.host.ts` file, then calls run().
 */

/** The prefix of the results line the harness parses. */
export const RESULTS_MARKER = 'BACKPROP_NOTES_HOST_RESULTS';

type Body = () => unknown | Promise<unknown>;

interface TestOptions {
  /** Milliseconds before the test fails as timed out (default 30 000). */
  timeout?: number;
  /** Skip the test; a string says why. */
  skip?: boolean | string;
}

interface Test {
  name: string;
  body: Body;
  options: TestOptions;
}

interface Suite {
  name: string;
  parent: Suite | undefined;
  tests: Test[];
  suites: Suite[];
  before: Body[];
  after: Body[];
}

export interface TestResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  durationMs: number;
  error?: string;
}

export interface RunSummary {
  passed: number;
  failed: number;
  skipped: number;
  tests: TestResult[];
}

const root: Suite = { name: '', parent: undefined, tests: [], suites: [], before: [], after: [] };
let current = root;
let started = false;

function checkNotStarted(what: string): void {
  if (started)
    throw new Error(
      `${what} was called while the tests run; declare tests at the top level or in describe().`,
    );
}

/** Groups tests; `body` runs at once to declare them (it must not be async). */
export function describe(name: string, body: () => void): void {
  checkNotStarted('describe()');
  const suite: Suite = { name, parent: current, tests: [], suites: [], before: [], after: [] };
  current.suites.push(suite);
  current = suite;
  try {
    const result: unknown = body();
    if (result instanceof Promise)
      throw new Error(`describe('${name}') must not be async: declare tests synchronously.`);
  } finally {
    current = suite.parent ?? root;
  }
}

/** Declares a test; it fails when `body` throws or its promise rejects. */
export function it(name: string, body: Body, options: TestOptions = {}): void {
  checkNotStarted('it()');
  current.tests.push({ name, body, options });
}

/** Runs once before the tests of the enclosing describe(); a failure fails all of them. */
export function before(body: Body): void {
  checkNotStarted('before()');
  current.before.push(body);
}

/** Runs once after the tests of the enclosing describe(), even when some failed. */
export function after(body: Body): void {
  checkNotStarted('after()');
  current.after.push(body);
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

async function withTimeout(body: Body, ms: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(body),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function fullName(suite: Suite, name: string): string {
  const names: string[] = [];
  for (let s: Suite | undefined = suite; s && s !== root; s = s.parent) names.unshift(s.name);
  return [...names, name].join(' › ');
}

/**
 * A developer's filter: BACKPROP_NOTES_E2E_ONLY (a case-insensitive regular expression) runs only
 * the tests whose full name matches. code-server passes its environment on to the extension host.
 */
const onlyPattern = process.env.BACKPROP_NOTES_E2E_ONLY
  ? new RegExp(process.env.BACKPROP_NOTES_E2E_ONLY, 'i')
  : undefined;

async function runSuite(
  suite: Suite,
  results: TestResult[],
  log: (line: string) => void,
  blocked?: string,
) {
  let failure = blocked;
  if (!failure) {
    for (const hook of suite.before) {
      try {
        await withTimeout(hook, 60_000, `before() in '${suite.name}'`);
      } catch (error) {
        failure = `before() failed: ${describeError(error)}`;
        break;
      }
    }
  }
  for (const test of suite.tests) {
    const name = fullName(suite, test.name);
    const filteredOut = onlyPattern !== undefined && !onlyPattern.test(name);
    if (test.options.skip || filteredOut) {
      results.push({ name, status: 'skipped', durationMs: 0 });
      log(
        `- ${name} (skipped${typeof test.options.skip === 'string' ? `: ${test.options.skip}` : filteredOut ? ': BACKPROP_NOTES_E2E_ONLY' : ''})`,
      );
      continue;
    }
    const start = Date.now();
    try {
      if (failure) throw new Error(failure);
      await withTimeout(test.body, test.options.timeout ?? 30_000, `'${name}'`);
      const durationMs = Date.now() - start;
      results.push({ name, status: 'passed', durationMs });
      log(`✔ ${name} (${durationMs} ms)`);
    } catch (error) {
      const durationMs = Date.now() - start;
      const message = describeError(error);
      results.push({ name, status: 'failed', durationMs, error: message });
      log(`✖ ${name} (${durationMs} ms)\n    ${message.replace(/\n/g, '\n    ')}`);
    }
  }
  for (const child of suite.suites) await runSuite(child, results, log, failure);
  for (const hook of suite.after) {
    try {
      await withTimeout(hook, 60_000, `after() in '${suite.name}'`);
    } catch (error) {
      const name = fullName(suite, 'after()');
      results.push({ name, status: 'failed', durationMs: 0, error: describeError(error) });
      log(`✖ ${name}\n    ${describeError(error)}`);
    }
  }
}

/**
 * Runs every declared test in declaration order and prints the results. Resolves with the
 * summary when all passed; rejects (after printing) when any failed or none were declared.
 */
export async function runAll(
  log: (line: string) => void = (line) => console.log(line),
): Promise<RunSummary> {
  if (started) throw new Error('runAll() was called twice.');
  started = true;
  const results: TestResult[] = [];
  await runSuite(root, results, log);
  const summary: RunSummary = {
    passed: results.filter((r) => r.status === 'passed').length,
    failed: results.filter((r) => r.status === 'failed').length,
    skipped: results.filter((r) => r.status === 'skipped').length,
    tests: results,
  };
  log(
    `extension-host tests: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`,
  );
  log(`${RESULTS_MARKER} ${JSON.stringify(summary)}`);
  if (results.length === 0)
    throw new Error('No extension-host tests were declared: check the *.host.ts files.');
  if (summary.failed > 0)
    throw new Error(`${summary.failed} of ${results.length} extension-host tests failed.`);
  return summary;
}

/** Polls `probe` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
