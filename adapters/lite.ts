// berth-docker/lite: standalone functions over fetch for pages that make a few calls, bundled
// per function (see src/lite/). Runs wherever fetch does: browsers, workers, edge runtimes, and
// Node, Bun and Deno against a TCP engine.

export * from "../src/lite/index.ts";
