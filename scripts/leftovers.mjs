#!/usr/bin/env node
// Asserts that a test run left nothing on the engines it used. scripts/test.sh takes a snapshot
// before the suites and checks after them; scripts/test-dockerd23.sh and scripts/test-podman.sh do
// the same around their own runs.
//
//   node scripts/leftovers.mjs snapshot FILE [ENGINE...]   record what each engine holds now
//   node scripts/leftovers.mjs check FILE [ENGINE...]      fail (exit 1) listing what is new
//
// ENGINE is a name from ENGINES below or a unix:// or tcp:// address; the default is every named
// engine, an absent one skipped. Left behind counts, on an engine that answered at the snapshot:
// every container, image (id or tag), network, volume and plugin that was not there before, with
// labels or without (the intermediate container of a failed classic build step has none), and a
// swarm still active; on an engine that was not up at the snapshot (the spare engine, which tests
// start themselves): whatever carries the test label `berth.test=1`. Objects with that label that
// were already there before the run are listed as a warning: an earlier run left them.
// Plain node:http, no dependencies: it must work before anything is built.
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";

const ENGINES = {
  main: process.env.DOCKER_HOST || "unix:///var/run/docker.sock",
  tls: `unix://${process.env.BERTH_TLS_ENGINE_STATE || "/var/lib/berth-tls-engine"}/docker.sock`,
  spare: `unix://${process.env.BERTH_SPARE_ENGINE_STATE || "/var/lib/berth-spare-engine"}/docker.sock`,
  docker23: "unix:///var/lib/berth-dockerd23/docker.sock",
};
const TEST_LABEL = "berth.test";

function get(address, path) {
  const target = address.startsWith("unix://")
    ? { socketPath: address.slice("unix://".length) }
    : (() => {
        const url = new URL(address.replace(/^tcp:/, "http:"));
        return { host: url.hostname, port: url.port || 2375 };
      })();
  return new Promise((resolve, reject) => {
    const req = request({ ...target, path, method: "GET", headers: { host: "docker" }, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${path}: HTTP ${res.statusCode} ${body.trim()}`));
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${path}: no answer within 10 s`)));
    req.on("error", reject);
    req.end();
  });
}

/** What one engine holds, as flat records; undefined when it does not answer. */
async function state(address) {
  try {
    await get(address, "/version");
  } catch {
    return undefined;
  }
  const items = [];
  for (const c of await get(address, "/containers/json?all=1")) {
    items.push({ kind: "container", key: c.Id, name: (c.Names ?? []).join(",").replace(/^\//, ""), detail: `${c.State ?? ""} ${c.Image ?? ""} ${JSON.stringify(c.Command ?? "")}`, labels: c.Labels ?? {} });
  }
  for (const i of await get(address, "/images/json?all=1")) {
    items.push({ kind: "image", key: i.Id, name: (i.RepoTags ?? []).filter((t) => t !== "<none>:<none>").join(",") || "<none>", detail: "", labels: i.Labels ?? {} });
    for (const tag of i.RepoTags ?? []) if (tag !== "<none>:<none>") items.push({ kind: "tag", key: tag, name: tag, detail: i.Id, labels: i.Labels ?? {} });
  }
  for (const n of await get(address, "/networks")) items.push({ kind: "network", key: n.Id, name: n.Name, detail: n.Driver ?? "", labels: n.Labels ?? {} });
  for (const v of (await get(address, "/volumes")).Volumes ?? []) items.push({ kind: "volume", key: v.Name, name: v.Name, detail: v.Driver ?? "", labels: v.Labels ?? {} });
  // Podman has no managed plugins: its error is no leftover.
  for (const p of await get(address, "/plugins").catch(() => [])) items.push({ kind: "plugin", key: p.Id, name: p.Name, detail: "", labels: {} });
  const swarm = (await get(address, "/info").catch(() => ({}))).Swarm?.LocalNodeState ?? "";
  if (swarm && swarm !== "inactive") items.push({ kind: "swarm", key: "swarm", name: swarm, detail: "the engine is in a swarm", labels: {} });
  return items;
}

function engines(args) {
  const picked = args.length === 0 ? Object.keys(ENGINES) : args;
  const seen = new Map();
  for (const name of picked) {
    const address = ENGINES[name] ?? name;
    if (!/^(unix|tcp):\/\//.test(address)) throw new Error(`unknown engine ${name}: use one of ${Object.keys(ENGINES).join(", ")} or a unix:// or tcp:// address`);
    if (![...seen.values()].includes(address)) seen.set(name, address);
  }
  return seen;
}

const isTest = (item) => item.labels?.[TEST_LABEL] === "1";
const show = (engine, item) =>
  `  ${engine}: ${item.kind} ${item.kind === "container" || item.kind === "image" ? item.key.replace(/^sha256:/, "").slice(0, 12) + " " : ""}${item.name}${item.detail ? ` (${item.detail.trim()})` : ""}${item.labels?.["berth.test.run"] ? ` run=${item.labels["berth.test.run"]}` : ""}`;

async function leftovers(before, list) {
  const found = [];
  const warnings = [];
  for (const [name, address] of list) {
    const now = await state(address);
    if (!now) continue;
    const then = before[address];
    if (then) {
      const known = new Set(then.map((i) => `${i.kind} ${i.key}`));
      for (const item of now) if (!known.has(`${item.kind} ${item.key}`)) found.push(show(name, item));
      for (const item of then) if (isTest(item) && item.kind !== "tag") warnings.push(show(name, item));
    } else {
      for (const item of now) if (isTest(item) && item.kind !== "tag") found.push(show(name, item));
    }
  }
  return { found, warnings };
}

const [mode, file, ...rest] = process.argv.slice(2);
if (!["snapshot", "check"].includes(mode ?? "") || !file) {
  console.error("usage: node scripts/leftovers.mjs snapshot|check FILE [ENGINE...]");
  process.exit(2);
}
const list = engines(rest);
if (mode === "snapshot") {
  const snapshot = {};
  for (const address of list.values()) {
    const items = await state(address);
    if (items) snapshot[address] = items;
  }
  writeFileSync(file, JSON.stringify(snapshot));
  process.exit(0);
}

const before = JSON.parse(readFileSync(file, "utf8"));
let result = await leftovers(before, list);
// A container removed as its test ended may take a moment to disappear (AutoRemove, force remove).
for (let i = 0; i < 5 && result.found.length > 0; i++) {
  await new Promise((r) => setTimeout(r, 2000));
  result = await leftovers(before, list);
}
if (result.warnings.length > 0) {
  console.error(`leftovers: already there before this run, from an earlier one (not counted):\n${result.warnings.join("\n")}`);
}
if (result.found.length > 0) {
  console.error(`leftovers: the run left ${result.found.length} object(s) on the engines:\n${result.found.join("\n")}`);
  process.exit(1);
}
console.log(`leftovers: nothing left on ${[...list.keys()].filter((n) => before[list.get(n)]).join(", ") || "no engine"}${Object.keys(before).length < list.size ? " (engines down at the start: checked by label)" : ""}`);
