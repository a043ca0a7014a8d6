// Types of scripts/check-doc-blocks.mjs, for the tests that use it.
export interface DocBlock {
  /** The markdown file, absolute. */
  file: string;
  /** 1-based line of the opening fence; the code starts on the next line. */
  line: number;
  lang: string;
  /** What follows the language on the fence line (`dockerode`, `not-berth`). */
  info: string;
  /** "ts" or "js" for checked languages. */
  kind?: "ts" | "js";
  code: string;
  /** Covered by the type check. */
  checked: boolean;
  /** Marked `<!-- doc-check: run -->`: run against the local engine too. */
  run: boolean;
  /** A misuse of the markers, reported as a failure. */
  problem?: string;
}
export interface DocFailure {
  file: string;
  /** Line in the markdown file (0 when the error is outside any block). */
  line: number;
  message: string;
}
export declare const ROOT: string;
export declare const PRELUDE: string;
export declare function docFiles(root?: string): string[];
export declare function extractBlocks(markdown: string, file: string): DocBlock[];
export declare function collectBlocks(files?: string[]): DocBlock[];
export declare function compilerOptions(root?: string): Record<string, unknown>;
export declare function pathMapping(root?: string): Record<string, string[]>;
export declare function moduleName(block: DocBlock, root?: string): string;
export declare function checkBlocks(blocks: DocBlock[], options?: { root?: string; prelude?: string }): DocFailure[];
export declare function formatFailures(failures: DocFailure[], root?: string): string;
