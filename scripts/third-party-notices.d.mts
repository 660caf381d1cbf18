// Types of scripts/third-party-notices.mjs for the TypeScript tests that import it.
import type { BuildOutput } from './build.mjs';

export interface BundledPackage {
  name: string;
  version: string;
  /** SPDX expression from its package.json. */
  licence: string;
  /** Repository or homepage URL ('' when it names neither). */
  source: string;
  /** The licence file's name in the package (LICENSE, LICENSE.md …). */
  licenceFile: string;
  licenceText: string;
  /** Output files (relative to the build's outdir) that contain it. */
  shippedIn: string[];
  /** Its folder in node_modules (absolute). */
  dir: string;
}
export declare const noticeFileName: string;
export declare const shippedTargets: readonly string[];
export declare const permissiveLicences: ReadonlySet<string>;
export declare const prebundled: Readonly<Record<string, readonly string[]>>;
export declare function licenceProblem(expression: string | undefined): string | null;
export declare function packageDirOf(path: string): string | undefined;
export declare function findPackageDir(name: string, from: string): string;
export declare function readPackage(dir: string): Omit<BundledPackage, 'shippedIn'>;
export declare function bundledPackages(
  build: BuildOutput,
  targets?: readonly string[],
): BundledPackage[];
export declare function noticeText(packages: readonly BundledPackage[], prefix?: string): string;
