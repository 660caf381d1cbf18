// Types of scripts/build.mjs for the TypeScript tests that import it.
export declare const targetNames: readonly string[];
export declare function build(
  names?: readonly string[],
  options?: { production?: boolean; outdir?: string },
): Promise<string>;
