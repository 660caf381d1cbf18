// Types of scripts/package.mjs for the TypeScript tests that import it.
export declare function packageExtension(options?: {
  out?: string;
  log?: (line: string) => void;
  quiet?: boolean;
}): Promise<string>;
export declare function vsixEntries(vsix: string): Promise<string[]>;
export declare function vsixFile(vsix: string, name: string): Promise<Buffer>;
