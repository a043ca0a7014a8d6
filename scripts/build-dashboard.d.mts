// Types of scripts/build-dashboard.mjs, for the browser tests that build the dashboard.
/**
 * Builds the dashboard into `outdir` (default dist/dashboard), minified and its script and style
 * brotli-compressed unless told otherwise; resolves with the folder.
 */
export declare function buildDashboard(options?: { outdir?: string; minify?: boolean; compress?: boolean }): Promise<string>;
