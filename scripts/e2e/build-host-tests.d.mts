// Types for build-host-tests.mjs.
/** Bundles every *.host.ts under testsDir with the runner; returns the bundle's absolute path. */
export function buildHostTests(options?: { testsDir?: string; outfile?: string }): Promise<string>;
