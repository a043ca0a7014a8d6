// Exec of 256 MiB written 4 KiB at a time (busybox `head -c`), read by berth streamed (`execStream`
// + `for await` over the frames, discarded) and collected (`exec()`, the call most programs make),
// and by the floor of collecting (node:http keeping the payload as Buffers, one Buffer.concat and
// one toString at the end; "floor streamed" is node:http only counting): client CPU per GiB, split into user and system time, with the page
// faults and RSS (peak and at the end) that collecting costs.
//
//   node --expose-gc bench/lib/exec-collect.mjs <berth module> [reps] [<baseline berth module>]
//
// With a baseline module (another build's dist/node.js), its exec() is measured in the same run
// ("collected (baseline)"), for a before/after side by side. Each measurement runs in a fresh
// process; the order of the modes rotates. The container is labelled berth.bench and removed at
// the end.

import { execFileSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { openClient } from "./clients.mjs";
import { closeEngine, createContainer, removeContainer, startContainer } from "./engine.mjs";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BYTES = 256 * MiB;
const CMD = ["head", "-c", String(BYTES), "/dev/zero"];

async function measure(module, containerId, mode) {
  const client = await openClient(mode.startsWith("floor") ? "node:http" : "berth", { berthModule: module });
  const run = (cmd) => (mode.endsWith("streamed") ? client.exec(containerId, cmd) : client.execCollect(containerId, cmd));
  try {
    await client.ping();
    await run(["head", "-c", String(4 * MiB), "/dev/zero"]); // warm-up, not measured
    globalThis.gc?.();
    const rss0 = process.memoryUsage().rss;
    const faults0 = process.resourceUsage().minorPageFault;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const n = await run(CMD);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const faults = process.resourceUsage().minorPageFault - faults0;
    if (n !== BYTES) throw new Error(`${mode}: ${n} bytes, expected ${BYTES}`);
    const perGiB = (micros) => micros / 1e6 / (BYTES / GiB);
    // The kernel's high-water mark (the warm-up stayed far below it): the peak, however brief.
    const peakMiB = Math.max(0, process.resourceUsage().maxRSS * 1024 - rss0) / MiB;
    return { mode, cpuPerGiB: perGiB(cpu.user + cpu.system), userPerGiB: perGiB(cpu.user), sysPerGiB: perGiB(cpu.system), faults, seconds, peakMiB, rssGrowthMiB: (process.memoryUsage().rss - rss0) / MiB };
  } finally {
    await client.close();
  }
}

if (process.argv[2] === "--child") {
  const r = await measure(process.argv[3], process.argv[4], process.argv[5]);
  process.stdout.write(JSON.stringify(r));
  process.exit(0);
}

const berthModule = process.argv[2];
const reps = Number(process.argv[3] ?? 3);
const baseline = process.argv[4];
const modes = [["streamed", berthModule], ["collected", berthModule], ...(baseline ? [["collected (baseline)", baseline]] : []), ["floor", berthModule], ["floor streamed", berthModule]];
const id = await createContainer(`exec-collect-${process.pid}`, { Image: "berth-test:busybox", Cmd: ["sleep", "3600"], StopSignal: "SIGKILL" });
try {
  await startContainer(id);
  const results = Object.fromEntries(modes.map(([mode]) => [mode, []]));
  for (let r = 0; r < reps; r++) {
    for (const [mode, module] of [...modes.slice(r % modes.length), ...modes.slice(0, r % modes.length)]) {
      const child = mode.startsWith("collected") ? "collected" : mode;
      const out = execFileSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", module, id, child], { encoding: "utf8", maxBuffer: 1 << 20 });
      const res = JSON.parse(out);
      results[mode].push(res);
      console.error(`${mode}: ${res.cpuPerGiB.toFixed(2)} CPU s/GiB (user ${res.userPerGiB.toFixed(2)}, sys ${res.sysPerGiB.toFixed(2)}), ${res.faults} page faults, ${res.seconds.toFixed(2)} s, RSS peak +${res.peakMiB.toFixed(0)} MiB, at the end +${res.rssGrowthMiB.toFixed(0)} MiB`);
    }
  }
  const median = (mode, key) => results[mode].map((x) => x[key]).sort((a, b) => a - b)[Math.floor(results[mode].length / 2)];
  for (const [mode] of modes) {
    console.log(`${mode.padEnd(21)} median ${median(mode, "cpuPerGiB").toFixed(2)} CPU s/GiB (user ${median(mode, "userPerGiB").toFixed(2)}, sys ${median(mode, "sysPerGiB").toFixed(2)}), ${median(mode, "faults")} faults, RSS peak +${median(mode, "peakMiB").toFixed(0)} MiB, at the end +${median(mode, "rssGrowthMiB").toFixed(0)} MiB`);
  }
  const s = median("streamed", "cpuPerGiB");
  const f = median("floor", "cpuPerGiB");
  for (const mode of ["collected", ...(baseline ? ["collected (baseline)"] : [])]) {
    const c = median(mode, "cpuPerGiB");
    console.log(`${mode}: / streamed ${(c / s).toFixed(2)}x, / floor collected ${(c / f).toFixed(2)}x`);
  }
} finally {
  await removeContainer(id);
  closeEngine();
}
