// Workload 7's registry on 127.0.0.1:5000 and the image pulled from it. A registry already listening
// there (scripts/registry.sh, another run) is used as it is; otherwise Debian's docker-registry is
// started with its storage in a temporary directory, and stopped and deleted afterwards.
//
// The pulled image is berth-test:busybox plus one 16 MiB layer of random bytes: removing the local
// copy between pulls removes that layer too (berth-test:busybox, which others use, is never touched),
// so every pull really downloads and extracts it and the engine reports byte progress.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createContainer, engine, removeContainer, removeImage, startContainer, waitContainer } from "./engine.mjs";

export const REGISTRY = process.env.BERTH_BENCH_REGISTRY ?? "127.0.0.1:5000";

async function reachable() {
  try {
    const res = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(2000) });
    return res.status === 200 || res.status === 401;
  } catch {
    return false;
  }
}

async function waitReachable(ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await reachable()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/** Ensures a registry; returns how, and a stop() that undoes only what this call started. */
export async function ensureRegistry(root, log) {
  if (await reachable()) return { how: `already listening on ${REGISTRY}`, stop: async () => {} };
  const script = join(root, "scripts/registry.sh");
  if (existsSync(script)) {
    try {
      execFileSync("bash", [script, "--quiet"], { stdio: "ignore", timeout: 120_000 });
      if (await waitReachable(10_000)) {
        return {
          how: "started by scripts/registry.sh",
          stop: async () => {
            try {
              execFileSync("bash", [script, "--stop"], { stdio: "ignore", timeout: 30_000 });
            } catch {
              // the script may not know --stop; the registry then stays for the next run
            }
          },
        };
      }
    } catch (err) {
      log(`scripts/registry.sh failed (${err.message.split("\n")[0]}); starting docker-registry directly`);
    }
  }
  let binary = which("docker-registry");
  if (!binary) {
    log("installing Debian's docker-registry");
    execFileSync("bash", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry"], { stdio: "ignore", timeout: 300_000 });
    binary = which("docker-registry");
    if (!binary) throw new Error("docker-registry could not be installed");
  }
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-registry-"));
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: error",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${join(dir, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: ${REGISTRY}`,
      "",
    ].join("\n"),
  );
  const child = spawn(binary, ["serve", config], { stdio: "ignore", detached: false });
  const exited = new Promise((r) => child.once("exit", r));
  if (!(await waitReachable(15_000))) {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`docker-registry did not come up on ${REGISTRY}`);
  }
  return {
    how: `docker-registry started for the run (pid ${child.pid}), storage in a temporary directory`,
    stop: async () => {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function which(name) {
  try {
    return execFileSync("bash", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * Builds the payload image, pushes it to the registry and removes the local copy. Returns the
 * repository and tag to pull, and a cleanup removing both the local and (best effort) remote copies.
 */
export async function preparePayloadImage(label, run) {
  const repo = `${REGISTRY}/berth-bench-${run}`;
  const tag = "payload";
  const ref = `${repo}:${tag}`;
  const id = await createContainer(label, { Cmd: ["sh", "-c", "head -c 16777216 /dev/urandom > /payload.bin"] });
  try {
    await startContainer(id);
    const code = await waitContainer(id);
    if (code !== 0) throw new Error(`payload container exited with ${code}`);
    await engine("POST", `/commit?container=${id}&repo=${encodeURIComponent(repo)}&tag=${tag}`, { body: { Labels: { "berth.bench": label } } });
  } finally {
    await removeContainer(id);
  }
  const auth = Buffer.from("{}").toString("base64");
  const pushed = await engine("POST", `/images/${encodeURIComponent(repo)}/push?tag=${tag}`, { headers: { "x-registry-auth": auth }, timeout: 300_000 });
  if (/"error"/.test(pushed.text)) throw new Error(`push failed: ${pushed.text.slice(-300)}`);
  await removeImage(ref);
  return {
    image: repo,
    tag,
    ref,
    async cleanup() {
      await removeImage(ref);
      // The registry keeps the blobs unless it is ours (deleted whole); drop the manifest at least.
      try {
        const head = await fetch(`http://${REGISTRY}/v2/berth-bench-${run}/manifests/${tag}`, {
          method: "HEAD",
          headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
        });
        const digest = head.headers.get("docker-content-digest");
        if (digest) await fetch(`http://${REGISTRY}/v2/berth-bench-${run}/manifests/${digest}`, { method: "DELETE" });
      } catch {
        // best effort
      }
    },
  };
}
