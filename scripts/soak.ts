// Soak test: berth under hours of ordinary work, watching for leaks. Not part of CI.
//
//   npx tsx --tsconfig tsconfig.json scripts/soak.ts --minutes 10 [--workers 4]
//
// Each worker loops: create a container (labelled berth.soak, no network), start it, follow its logs
// to the 20th line and stop there, run an exec and collect its output, run an exec with stdin and
// read the echo, abort a log stream midway, stat and fetch a file through the archive endpoints,
// then remove the container. One events stream stays open the whole time and must keep flowing.
// Every minute it prints iterations, errors by class, memory, open handles and file descriptors; at
// the end a verdict: no errors, and memory and handles in the last minute within noise of the first
// half's peak.
// Uses the engine the Docker CLI would (DOCKER_HOST, ...). Removes what it created, even on Ctrl-C.
import { readdirSync } from "node:fs";
import { Docker, DockerError, type Container } from "../adapters/node.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} takes a positive number`);
  return value;
}

const MINUTES = arg("minutes", 10);
const WORKERS = arg("workers", 4);
const IMAGE = process.env.BERTH_SOAK_IMAGE ?? "berth-test:busybox";
const RUN = `${Date.now().toString(36)}`;
const LABELS = { "berth.soak": RUN };

const docker = Docker.fromEnv();
const errors = new Map<string, number>();
let iterations = 0;
let events = 0;
let stopping = false;

interface Sample {
  minute: number;
  iterations: number;
  rssMiB: number;
  heapMiB: number;
  sockets: number;
  handles: number;
  fds: number;
  events: number;
  errors: number;
}
const samples: Sample[] = [];

function record(err: unknown, step: string): void {
  const name = err instanceof DockerError ? err.name : `untyped ${(err as Error)?.name ?? typeof err}`;
  const key = `${step}: ${name}`;
  errors.set(key, (errors.get(key) ?? 0) + 1);
  if ((errors.get(key) ?? 0) <= 3) console.error(`[soak] ${key}: ${(err as Error)?.message ?? String(err)}`);
}

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    record(err, name);
    throw err;
  }
}

async function iteration(): Promise<void> {
  let c: Container | undefined;
  try {
    c = await step("create", () =>
      docker.containers.create({
        Image: IMAGE,
        Cmd: ["sh", "-c", "i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo line $i; done; echo to stderr >&2; sleep 60"],
        Labels: LABELS,
        HostConfig: { NetworkMode: "none" },
      }),
    );
    const container = c;
    await step("start", () => container.start());

    await step("follow logs", async () => {
      let lines = 0;
      for await (const _ of (await container.logs({ follow: true, tty: false })).lines()) if (++lines === 20) break;
      if (lines !== 20) throw new Error(`followed ${lines} lines, not 20`);
    });

    await step("exec", async () => {
      const { exitCode, stdout } = await container.exec(["sh", "-c", "echo hello; echo oops >&2; exit 3"]);
      if (exitCode !== 3 || stdout !== "hello\n") throw new Error(`exec gave ${exitCode} ${JSON.stringify(stdout)}`);
    });

    await step("exec stdin", async () => {
      const { exitCode, stdout } = await container.exec(["cat"], { stdin: "echoed back" });
      if (exitCode !== 0 || stdout !== "echoed back") throw new Error(`exec stdin gave ${exitCode} ${JSON.stringify(stdout)}`);
    });

    await step("aborted logs", async () => {
      const controller = new AbortController();
      const stream = await container.logs({ follow: true, tty: false, signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      try {
        for await (const _ of stream);
        throw new Error("the aborted stream ended normally");
      } catch (err) {
        if ((err as Error).name !== "DockerAbortError") throw err;
      }
    });

    await step("archive", async () => {
      await container.putArchive("/", [{ name: "soak.txt", data: `soak ${RUN}` }]);
      const stat = await container.archiveInfo("/soak.txt");
      if (stat.size !== `soak ${RUN}`.length) throw new Error(`archive stat size ${stat.size}`);
      const { body } = await container.getArchive("/soak.txt");
      await body.cancel();
    });

    await step("inspect", () => container.inspect());
    iterations++;
  } catch {
    // counted by step()
  } finally {
    if (c) {
      const container = c;
      await step("remove", () => container.remove({ force: true })).catch(() => {});
    }
  }
}

async function worker(): Promise<void> {
  while (!stopping) await iteration();
}

async function watchEvents(signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      for await (const _ of await docker.events({ filters: { label: [`berth.soak=${RUN}`] }, signal })) events++;
    } catch (err) {
      if (!signal.aborted) record(err, "events");
    }
  }
}

function openFds(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return -1;
  }
}

function sample(minute: number): Sample {
  const resources = process.getActiveResourcesInfo();
  const memory = process.memoryUsage();
  return {
    minute,
    iterations,
    rssMiB: Math.round(memory.rss / 2 ** 20),
    heapMiB: Math.round(memory.heapUsed / 2 ** 20),
    sockets: resources.filter((r) => r === "PipeWrap" || r === "TCPSocketWrap" || r === "TLSWrap").length,
    handles: resources.length,
    fds: openFds(),
    events,
    errors: [...errors.values()].reduce((a, b) => a + b, 0),
  };
}

async function cleanup(): Promise<void> {
  const left = await docker.containers.list({ all: true, filters: { label: [`berth.soak=${RUN}`] } }).catch(() => []);
  await Promise.all(left.map((c) => c.remove({ force: true }).catch(() => {})));
}

async function main(): Promise<void> {
  await docker.ping();
  const version = await docker.version();
  console.log(`[soak] ${MINUTES} min, ${WORKERS} workers, engine ${version.Version} (API ${version.ApiVersion}), run ${RUN}`);
  console.log("minute  iterations  it/min  errors  rss MiB  heap MiB  sockets  handles  fds  events");
  const eventsStop = new AbortController();
  const watching = watchEvents(eventsStop.signal);
  const workers = Array.from({ length: WORKERS }, worker);
  const started = Date.now();
  let previous = 0;
  for (let minute = 1; minute <= MINUTES; minute++) {
    await new Promise((r) => setTimeout(r, started + minute * 60_000 - Date.now()));
    const s = sample(minute);
    samples.push(s);
    console.log(
      [s.minute, s.iterations, s.iterations - previous, s.errors, s.rssMiB, s.heapMiB, s.sockets, s.handles, s.fds, s.events]
        .map((v, i) => String(v).padStart([6, 10, 6, 6, 7, 8, 7, 7, 4, 7][i]))
        .join("  "),
    );
    previous = s.iterations;
  }
  stopping = true;
  await Promise.all(workers);
  eventsStop.abort();
  await watching;
  await cleanup();
  await docker.close();

  // Flat means: the last minute holds no more than the peak of the first half (warm-up included)
  // plus noise. A leak grows without bound, so it shows as the second half outgrowing the first.
  const firstHalf = samples.slice(0, Math.max(1, Math.ceil(samples.length / 2)));
  const peak = (key: keyof Sample) => Math.max(...firstHalf.map((s) => s[key]));
  const last = samples[samples.length - 1];
  const checks = [
    ["no errors", last.errors === 0],
    ["events kept flowing", last.events > samples[0].events || samples.length === 1],
    ["heap flat (first half's peak + 16 MiB)", last.heapMiB <= peak("heapMiB") + 16],
    ["rss flat (first half's peak + 32 MiB)", last.rssMiB <= peak("rssMiB") + 32],
    ["sockets in use bounded", last.sockets <= peak("sockets") + WORKERS + 2],
    ["fds flat (first half's peak + 8)", last.fds <= peak("fds") + 8],
  ] as const;
  console.log(`[soak] ${last.iterations} iterations in ${MINUTES} min, ${last.events} events, errors: ${errors.size ? JSON.stringify(Object.fromEntries(errors)) : "none"}`);
  for (const [what, ok] of checks) console.log(`[soak] ${ok ? "ok  " : "FAIL"} ${what}`);
  process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
}

process.once("SIGINT", () => {
  stopping = true;
  console.error("[soak] interrupted: removing containers");
  cleanup().finally(() => process.exit(130));
});

main().catch(async (err) => {
  console.error("[soak] failed:", err);
  stopping = true;
  await cleanup();
  process.exit(1);
});
