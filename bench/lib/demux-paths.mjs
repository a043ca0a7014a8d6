// The demultiplexing paths side by side on CPU time rather than wall time (this is meant for a
// loaded machine, where wall time measures the neighbours): `node --expose-gc
// bench/lib/demux-paths.mjs [<berth module> [<baseline module>]]`. With a baseline (another build,
// say of the commit before a change), its demuxStream and OutputStream run interleaved with this
// build's, so both see the same load. Seven runs per path and case, interleaved; the first is
// warm-up, the median of the rest is printed as input MiB per CPU second. CPU time is the
// process's, so it includes the collector's helper threads: garbage is a cost of the path.

import process from "node:process";
import { chunkSource as sourceOf, chunked, syntheticStream } from "./demux-synthetic.mjs";

const MiB = 1024 * 1024;
const berth = await import(process.argv[2] ?? new URL("../../dist/node.js", import.meta.url).href);
const baseline = process.argv[3] ? await import(process.argv[3]) : null;
const { FrameDecoder } = berth;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const PATHS = {
  async FrameDecoder(chunks) {
    const d = new FrameDecoder();
    let n = 0;
    const emit = (_s, x) => (n += x.length);
    for (const c of chunks) d.push(c, emit);
    d.end();
    return n;
  },
  async "identity TransformStream"(chunks) {
    const reader = sourceOf(chunks).pipeThrough(new TransformStream({}, { highWaterMark: 4 }, { highWaterMark: 4 })).getReader();
    for (;;) if ((await reader.read()).done) return 0;
  },
};
/** The two paths a change to the stream side is judged on, for one build. */
const streamPaths = ({ demuxStream, OutputStream }) => ({
  async demuxStream(chunks) {
    const reader = sourceOf(chunks).pipeThrough(demuxStream()).getReader();
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return n;
      n += value.data.length;
    }
  },
  async OutputStream(chunks) {
    let n = 0;
    for await (const f of OutputStream.ofBody(sourceOf(chunks), true)) n += f.data.length;
    return n;
  },
});
Object.assign(PATHS, streamPaths(berth));
if (baseline) for (const [name, path] of Object.entries(streamPaths(baseline))) PATHS[`${name} (baseline)`] = path;
const CASES = [
  [10, 512, 4 * MiB],
  [10, 64 * 1024, 8 * MiB],
  [4096, 64 * 1024, 64 * MiB],
  [4096, 16 * 1024, 32 * MiB],
  [64 * 1024, 64 * 1024, 128 * MiB],
  [64 * 1024, 512, 4 * MiB],
];
const names = Object.keys(PATHS);
const ratios = ["demuxStream", "OutputStream", "identity TransformStream"].flatMap((n) => [n, ...(baseline && n !== "identity TransformStream" ? [`${n} (baseline)`] : [])]);
console.log(["case", ...names, ...ratios.map((n) => `${n}/decoder`)].join(" | "));
for (const [frameSize, chunkSize, total] of CASES) {
  const chunks = chunked(syntheticStream(frameSize, total).buf, chunkSize);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < 7; r++) {
    for (const n of names) {
      globalThis.gc?.();
      const c0 = cpu();
      await PATHS[n](chunks);
      times[n].push(cpu() - c0);
    }
  }
  const rate = (n) => total / MiB / times[n].slice(1).sort((a, b) => a - b)[3];
  const label = `${frameSize} B frames, ${chunkSize} B chunks`;
  console.log([label, ...names.map((n) => rate(n).toFixed(0)), ...ratios.map((n) => (rate(n) / rate("FrameDecoder")).toFixed(2))].join(" | "));
}
