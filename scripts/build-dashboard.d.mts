// Types of scripts/build-dashboard.mjs, for the browser tests that build the dashboard.
/** Builds the dashboard into `outdir` (default dist/dashboard), minified unless told; resolves with the folder. */
export declare function buildDashboard(options?: { outdir?: string; minify?: boolean }): Promise<string>;
