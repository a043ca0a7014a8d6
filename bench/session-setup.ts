// Build session setup time on Node, Bun and Deno: BuildKit builds that read one secret, timed in
// three parts, medians over BENCH_SESSION_BUILDS builds (default 20, after one warm-up):
//   open   the build call until the session serves HTTP/2 (ping for the builder, POST /session
//          hijacked, node:http2 on the connection)
//   secret from then until the engine's first gRPC call on it, GetSecret (the RUN step starting)
//   build  the whole build
// Not part of bench/run.mjs (it needs a BuildKit engine, and writes nothing):
//   npx tsx bench/session-setup.ts
//   node_modules/@oven/bun-linux-x64/bin/bun bench/session-setup.ts
//   node_modules/@deno/linux-x64-glibc/deno run -A bench/session-setup.ts
// DOCKER_HOST picks the engine; the image berth-test:busybox must be there.
import type { SessionHost } from "../src/buildkit/session/host.ts";

declare const Bun: unknown;
declare const Deno: { env: { get(name: string): string | undefined } };
const runtime = typeof Bun !== "undefined" ? "bun" : typeof Deno !== "undefined" ? "deno" : "node";
const adapter = runtime === "bun" ? await import("../adapters/bun.ts") : runtime === "deno" ? await import("../adapters/deno.ts") : await import("../adapters/node.ts");
const env = (name: string): string | undefined => (runtime === "deno" ? Deno.env.get(name) : (globalThis as unknown as { process: { env: Record<string, string> } }).process.env[name]);
const builds = Number(env("BENCH_SESSION_BUILDS")) || 20;

const { lazySessionHost } = await import("../adapters/session-host.ts");
const inner = lazySessionHost(env);
let served = 0;
let firstCall = 0;
const host: SessionHost = {
  ...inner,
  async serveHttp2(connection, onStream) {
    const out = await inner.serveHttp2(connection, (stream) => {
      firstCall ||= performance.now();
      onStream(stream);
    });
    served = performance.now();
    return out;
  },
};
const docker = adapter.Docker.fromEnv({ sessionHost: host });
const labels = { "berth.test": "1", "berth.run": "session-bench" };
const context = [{ name: "Dockerfile", data: "FROM berth-test:busybox\nRUN --mount=type=secret,id=s test -s /run/secrets/s\n" }];
const samples = { open: [] as number[], secret: [] as number[], build: [] as number[] };
for (let i = 0; i <= builds; i++) {
  served = firstCall = 0;
  const start = performance.now();
  const built = await docker.images.build(context, { builder: "buildkit", noCache: true, labels, secrets: { s: "value" } });
  const end = performance.now();
  await docker.images.ref(built.id).remove({ force: true });
  if (i === 0) continue; // warm-up: node:http2 loaded, the engine's cache of the base image
  samples.open.push(served - start);
  samples.secret.push(firstCall - served);
  samples.build.push(end - start);
}
const version = (await docker.version()).Version;
await docker.close();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(1);
console.log(`${runtime} on ${version}: open ${median(samples.open)} ms, secret ${median(samples.secret)} ms, build ${median(samples.build)} ms (medians of ${builds})`);
