// Types of scripts/dashboard.mjs, for the browser tests that start it.
export declare function bundleDashboard(options?: { minify?: boolean }): Promise<string>;
/**
 * The dashboard on loopback: `url` is the page, `engine` the engine's API on the same origin
 * (`${url}/engine`, proxied to `engine`, a DOCKER_HOST value, by default DOCKER_HOST or the
 * local unix socket).
 */
export declare function startDashboard(options?: { port?: number; host?: "127.0.0.1" | "::1"; engine?: string }): Promise<{ url: string; engine: string; close(): Promise<void> }>;
