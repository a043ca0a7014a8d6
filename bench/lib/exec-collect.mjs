// Exec of 256 MiB written 4 KiB at a time (busybox `head -c`), read by berth streamed (`execStream`
// + `for await` over the frames, discarded) and collected (`exec()`, the call most programs make):
// client CPU per GiB. `node --expose-gc bench/lib/exec-collect.mjs <berth module> [reps]`. Each
// measurement runs in a fresh process; modes alternate. The container is labelled berth.bench and
// removed at the end.

import { execFileSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { closeEngine, createContainer, removeContainer, startContainer } from "./engine.mjs";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BYTES = 256 * MiB;
const CMD = ["head", "-c", String(BYTES), "/dev/zero"];

async function measure(berthModule, containerId, mode) {
  const { Docker } = await import(berthModule);
  const docker = typeof Docker.fromEnv === "function" ? Docker.fromEnv() : new Docker();
  const ref = docker.containers.ref(containerId);
  const run = async (cmd) => {
    if (mode === "collected") {
      const { stdout } = await ref.exec(cmd);
      // Reading a character makes the text flat, as any use of it would: part of the cost.
      stdout.charCodeAt(stdout.length - 1);
      return stdout.length;
    }
    const session = await ref.execStream(cmd);
    let n = 0;
    for await (const frame of session.output) n += frame.data.length;
    return n;
  };
  await run(["head", "-c", String(4 * MiB), "/dev/zero"]); // warm-up, not measured
  globalThis.gc?.();
  const rss0 = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const n = await run(CMD);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (n !== BYTES) throw new Error(`${mode}: ${n} bytes, expected ${BYTES}`);
  return { mode, cpuPerGiB: (cpu.user + cpu.system) / 1e6 / (BYTES / GiB), seconds, rssGrowthMiB: (process.memoryUsage().rss - rss0) / MiB };
}

if (process.argv[2] === "--child") {
  const r = await measure(process.argv[3], process.argv[4], process.argv[5]);
  process.stdout.write(JSON.stringify(r));
  process.exit(0);
}

const berthModule = process.argv[2];
const reps = Number(process.argv[3] ?? 3);
const id = await createContainer(`exec-collect-${process.pid}`, { Image: "berth-test:busybox", Cmd: ["sleep", "3600"], StopSignal: "SIGKILL" });
try {
  await startContainer(id);
  const results = { streamed: [], collected: [] };
  for (let r = 0; r < reps; r++) {
    for (const mode of r % 2 ? ["collected", "streamed"] : ["streamed", "collected"]) {
      const out = execFileSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", berthModule, id, mode], { encoding: "utf8", maxBuffer: 1 << 20 });
      const res = JSON.parse(out);
      results[mode].push(res);
      console.error(`${mode}: ${res.cpuPerGiB.toFixed(2)} CPU s/GiB, ${res.seconds.toFixed(2)} s, +${res.rssGrowthMiB.toFixed(0)} MiB RSS`);
    }
  }
  const median = (list, key) => list.map((x) => x[key]).sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const s = median(results.streamed, "cpuPerGiB");
  const c = median(results.collected, "cpuPerGiB");
  console.log(`streamed ${s.toFixed(2)} CPU s/GiB, collected ${c.toFixed(2)} CPU s/GiB, collected/streamed ${(c / s).toFixed(2)}x`);
} finally {
  await removeContainer(id);
  closeEngine();
}
