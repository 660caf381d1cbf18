// Types of scripts/build.mjs for the TypeScript tests that import it.
export declare const targetNames: readonly string[];
export declare function build(
  names?: readonly string[],
  options?: { production?: boolean; outdir?: string },
): Promise<string>;
/** What build() produced, with what went into it (scripts/third-party-notices.mjs reads it). */
export interface BuildOutput {
  outdir: string;
  /** esbuild's metafile per target (its `outputs[file].inputs`: the modules in each bundle). */
  metafiles: Record<string, import('esbuild').Metafile>;
  /** Files copied as they are (KaTeX's stylesheet and fonts), with the package each comes from. */
  copied: { file: string; packageDir: string }[];
  /** The folder the metafiles' paths are relative to. */
  workingDir: string;
}
export declare function buildWithMetafiles(
  names?: readonly string[],
  options?: { production?: boolean; outdir?: string },
): Promise<BuildOutput>;
