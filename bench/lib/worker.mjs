// One measurement in a fresh process: `<runtime> bench/lib/worker.mjs '<task json>'`. A fresh
// process per client and repetition keeps one client's JIT state, heap and sockets from colouring
// another's numbers. Prints one line `@@RESULT <json>`.

import process from "node:process";
import { openClient } from "./clients.mjs";
import { engine, startContainer } from "./engine.mjs";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

async function main() {
  const task = JSON.parse(process.argv[2]);
  const result = await (TASKS[task.kind] ?? unknown)(task);
  process.stdout.write(`@@RESULT ${JSON.stringify(result)}\n`);
}

function unknown(task) {
  throw new Error(`unknown task ${task.kind}`);
}

const TASKS = {
  /**
   * Workloads 1-3 for every client in one process, in interleaved rounds: each round runs a batch of
   * each workload for each client, in an order that rotates from round to round. Whatever else the
   * machine does then lands on every client alike, instead of on whichever ran during a burst.
   * Rates are total calls over total time per client and workload.
   */
  async requests(task) {
    const clients = [];
    for (const name of task.clients) clients.push({ name, client: await openClient(name, task) });
    const time = {};
    const calls = {};
    const add = (name, what, seconds, n) => {
      time[`${name}/${what}`] = (time[`${name}/${what}`] ?? 0) + seconds;
      calls[`${name}/${what}`] = (calls[`${name}/${what}`] ?? 0) + n;
    };
    const { ping, list, inspect, rounds } = task;
    const ids = inspect?.ids;
    try {
      for (const { name, client } of clients) {
        if (list) {
          const found = await client.list(list.label);
          if (found !== list.expect) throw new Error(`${name}: list returned ${found} containers, expected ${list.expect}`);
        }
        if (ping) await sequential(ping.warmup, () => client.ping());
        if (list) await sequential(list.warmup, () => client.list(list.label));
        if (inspect) await concurrent(inspect.warmup, inspect.concurrency, (i) => client.inspect(ids[i % ids.length]));
      }
      for (let r = 0; r < rounds; r++) {
        for (let k = 0; k < clients.length; k++) {
          const { name, client } = clients[(k + r) % clients.length];
          if (ping) {
            const n = Math.round(ping.calls / rounds);
            add(name, "ping", await sequential(n, () => client.ping()), n);
          }
          if (list) {
            const n = Math.round(list.calls / rounds);
            add(name, "list", await sequential(n, () => client.list(list.label)), n);
          }
          if (inspect) {
            const n = Math.round(inspect.calls / rounds);
            add(name, "inspect", await concurrent(n, inspect.concurrency, (i) => client.inspect(ids[i % ids.length])), n);
          }
        }
      }
    } finally {
      for (const { client } of clients) await client.close();
    }
    const out = {};
    for (const key of Object.keys(time)) out[key] = calls[key] / time[key];
    return out;
  },

  /** Workload 4: an exec writing `bytes` to stdout, read to the end through the client's demuxer. */
  async exec(task) {
    const client = await openClient(task.client, task);
    try {
      await client.ping(); // connection and (for berth) version negotiation out of the way
      // A short exec first, read the way the measured one is: JIT-warms the path without measuring it.
      const warm = ["sh", "-c", "dd if=/dev/zero bs=1048576 count=4 2>/dev/null"];
      await (task.mode === "collected" ? client.execCollect(task.containerId, warm) : client.exec(task.containerId, warm));
      globalThis.gc?.();
      const memory = memorySampler();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      // dd with 1 MiB blocks: the engine then forwards 32 KiB frames in 64 KiB reads. (busybox's
      // `head -c` writes 4 KiB at a time, which makes the engine, not the client, the bottleneck.)
      // `writes: "4k"`: busybox's `head -c`, which writes 4 KiB at a time, as most programs' stdio does.
      const cmd = task.writes === "4k" ? ["head", "-c", String(task.bytes), "/dev/zero"] : ["sh", "-c", `dd if=/dev/zero bs=${MiB} count=${task.bytes / MiB} 2>/dev/null`];
      const bytes = await (task.mode === "collected" ? client.execCollect(task.containerId, cmd) : client.exec(task.containerId, cmd));
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const mem = memory.stop();
      if (bytes !== task.bytes) throw new Error(`read ${bytes} payload bytes, expected ${task.bytes}`);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      return {
        seconds,
        mbps: bytes / MiB / seconds,
        cpuPerGiB: cpuSeconds / (bytes / GiB),
        rssGrowthMiB: mem.rssGrowth / MiB,
        heapGrowthMiB: mem.heapGrowth / MiB,
      };
    } finally {
      await client.close();
    }
  },

  /**
   * Workload 6: start a container that writes `lines` lines and follow its logs from the start;
   * then read the same logs again from the exited container (the client-bound replay). The
   * replay's client CPU is reported per line: engine and client share the machine's cores, so
   * a client's CPU is taken from the engine, and lines/s alone does not say whose work it was.
   */
  async logs(task) {
    const client = await openClient(task.client, task);
    try {
      await client.ping();
      let lastLineAt = 0;
      const onLine = () => (lastLineAt = performance.now());
      const t0 = performance.now();
      await startContainer(task.containerId);
      const lines = task.mode === "lines";
      const followed = await client.logs(task.containerId, { follow: true, onLine, lines });
      if (followed !== task.lines) throw new Error(`followed ${followed} lines, expected ${task.lines}`);
      const followSeconds = (lastLineAt - t0) / 1000;
      await engine("POST", `/containers/${task.containerId}/wait`);
      const cpu0 = process.cpuUsage();
      const t1 = performance.now();
      // follow=1 on the exited container: every client then reads a stream that ends after the last
      // line (without follow, dockerode hands over the whole body as one Buffer instead).
      const replayed = await client.logs(task.containerId, { follow: true, onLine, lines });
      const replaySeconds = (lastLineAt - t1) / 1000;
      const cpu = process.cpuUsage(cpu0);
      if (replayed !== task.lines) throw new Error(`replayed ${replayed} lines, expected ${task.lines}`);
      return {
        followSeconds,
        followLps: task.lines / followSeconds,
        replaySeconds,
        replayLps: task.lines / replaySeconds,
        replayCpuUsPerLine: (cpu.user + cpu.system) / task.lines,
      };
    } finally {
      await client.close();
    }
  },

  /** Workload 7: pull from the local registry, every progress event parsed. */
  async pull(task) {
    const client = await openClient(task.client, task);
    try {
      await client.ping();
      const t0 = performance.now();
      const events = await client.pull(task.image, task.tag);
      const seconds = (performance.now() - t0) / 1000;
      if (!(events > 0)) throw new Error("no progress events");
      return { seconds, events };
    } finally {
      await client.close();
    }
  },

  /**
   * Concurrency: `containerIds.length` followed log streams of containers writing a few lines a
   * second. After the streams are open and a warm-up, CPU and lines are counted over `seconds`;
   * memory is the growth over the process before the streams were opened, per stream.
   */
  async follow(task) {
    const client = await openClient(task.client, task);
    try {
      await client.ping();
      await client.inspect(task.containerIds[0]); // JIT-warm the request path, not measured
      globalThis.gc?.();
      await new Promise((r) => setTimeout(r, 200));
      const base = process.memoryUsage();
      let lines = 0;
      const onLine = () => lines++;
      const streams = await Promise.all(task.containerIds.map((id) => client.follow(id, onLine)));
      await new Promise((r) => setTimeout(r, task.warmupMs));
      const lines0 = lines;
      // No memory sampler here: at a few lines a second its timer would cost more CPU than the lines.
      const cpu0 = process.cpuUsage();
      await new Promise((r) => setTimeout(r, task.seconds * 1000));
      const cpu = process.cpuUsage(cpu0);
      const counted = lines - lines0;
      globalThis.gc?.();
      const after = process.memoryUsage();
      await Promise.all(streams.map((s) => s.stop()));
      if (counted === 0) throw new Error("no lines arrived");
      const js = (m) => m.heapUsed + (m.external ?? 0) + (m.arrayBuffers ?? 0);
      const n = task.containerIds.length;
      return {
        lines: counted,
        linesPerSecond: counted / task.seconds,
        cpuPerLineUs: ((cpu.user + cpu.system) / counted),
        rssPerStreamKiB: Math.max(0, after.rss - base.rss) / 1024 / n,
        jsPerStreamKiB: Math.max(0, js(after) - js(base)) / 1024 / n,
      };
    } finally {
      await client.close();
    }
  },

  /** Events replayed by the fake engine (bench/lib/fake-events.mjs): CPU per event, memory. */
  async events(task) {
    const client = await openClient(task.client, task);
    try {
      await client.ping();
      globalThis.gc?.();
      const memory = memorySampler();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const events = await client.events();
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const mem = memory.stop();
      if (events !== task.events) throw new Error(`${events} events, expected ${task.events}`);
      return { events, eventsPerSecond: events / seconds, cpuPerEventUs: (cpu.user + cpu.system) / events, rssGrowthMiB: mem.rssGrowth / MiB, cpuShare: (cpu.user + cpu.system) / 1e6 / seconds };
    } finally {
      await client.close();
    }
  },

  /** Workload 5: demultiplexing synthetic frames held in memory. */
  async demux(task) {
    const { demuxRun } = await import("./demux-synthetic.mjs");
    return demuxRun(task);
  },
};

async function sequential(n, fn) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return (performance.now() - t0) / 1000;
}

async function concurrent(n, width, fn) {
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, lane));
  return (performance.now() - t0) / 1000;
}

/**
 * Peak growth of RSS and of JS memory (heap + external + array buffers) over a baseline, sampled
 * every 10 ms, and for RSS also the kernel's high-water mark where the runtime reports it.
 */
function memorySampler() {
  const js = (m) => m.heapUsed + (m.external ?? 0) + (m.arrayBuffers ?? 0);
  const base = process.memoryUsage();
  const maxRssAtStart = maxRss();
  let peakRss = base.rss;
  let peakJs = js(base);
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss > peakRss) peakRss = m.rss;
    if (js(m) > peakJs) peakJs = js(m);
  };
  const timer = setInterval(sample, 10);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const kernelPeak = maxRss();
      // The high-water mark only tells something if the run raised it above where it was.
      if (kernelPeak !== undefined && maxRssAtStart !== undefined && kernelPeak > maxRssAtStart && kernelPeak > peakRss) peakRss = kernelPeak;
      return { rssGrowth: Math.max(0, peakRss - base.rss), heapGrowth: Math.max(0, peakJs - js(base)) };
    },
  };
}

function maxRss() {
  try {
    const kb = process.resourceUsage?.().maxRSS;
    return typeof kb === "number" && kb > 0 ? kb * 1024 : undefined;
  } catch {
    return undefined;
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stdout.write(`@@RESULT ${JSON.stringify({ error: String(err?.stack ?? err) })}\n`);
    process.exit(1);
  },
);
