// Types of scripts/dashboard.mjs, for the browser tests that start it.
export declare function bundleDashboard(options?: { minify?: boolean }): Promise<string>;
export declare function startDashboard(options?: { port?: number; host?: string }): Promise<{ url: string; close(): Promise<void> }>;
