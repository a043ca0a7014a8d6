// Node's side of configuration: the process environment, synchronous file reads for the CLI's
// config, contexts and certificates, and credential helpers run as child processes.

import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { loadDockerConfig, type ConfigFs, type DockerConfigFile, type Env } from "../src/server/config/config-file.ts";
import type { ContextStoreFs } from "../src/server/config/contexts.ts";
import { CredentialResolver, HELPER_OUTPUT_LIMIT, HELPER_STDERR_LIMIT, HELPER_TIMEOUT_MS, helperOutputTooLong, type HelperOutput, type RunHelper } from "../src/server/config/credentials.ts";
import { DockerConfigError } from "../src/errors/errors.ts";

/** Files through node:fs; a missing file (or a missing directory on the way) reads as undefined. */
export function nodeConfigFs(): ConfigFs {
  return {
    readText(path: string): string | undefined {
      try {
        return readFileSync(path, "utf8");
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === "ENOENT" || code === "ENOTDIR") return undefined;
        throw err;
      }
    },
    home: homedir(),
  };
}

export { HELPER_OUTPUT_LIMIT } from "../src/server/config/credentials.ts";

/**
 * Runs `docker-credential-<helper> get` (found on PATH) with the server address on stdin, as the
 * Docker CLI does. Output is kept in memory only long enough to parse it, and at most
 * HELPER_OUTPUT_LIMIT of it: past that the helper is killed and the call rejects with a
 * DockerConfigError that quotes nothing it printed.
 */
export const runCredentialHelper: RunHelper = (helper, serverAddress) =>
  new Promise<HelperOutput>((resolve, reject) => {
    const program = `docker-credential-${helper}`;
    const child = spawn(program, ["get"], { stdio: ["pipe", "pipe", "pipe"], windowsHide: true });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrBytes = 0;
    let tooLong = false;
    const timer = setTimeout(() => child.kill(), HELPER_TIMEOUT_MS);
    child.stdout.on("data", (c: Buffer) => {
      if (tooLong) return;
      stdoutBytes += c.length;
      if (stdoutBytes > HELPER_OUTPUT_LIMIT) {
        // Drop what was read and stop the helper; the rejection waits for it to be gone.
        tooLong = true;
        stdout.length = 0;
        child.kill("SIGKILL");
        return;
      }
      stdout.push(c);
    });
    child.stderr.on("data", (c: Buffer) => {
      if (stderrBytes >= HELPER_STDERR_LIMIT) return;
      stderrBytes += c.length;
      stderr.push(c.subarray(0, Math.max(0, HELPER_STDERR_LIMIT - (stderrBytes - c.length))));
    });
    child.stdin.on("error", () => {}); // a helper that exits without reading stdin must not crash us
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (tooLong) {
        reject(helperOutputTooLong(program, serverAddress));
        return;
      }
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8") + (signal ? `\n(stopped by ${signal})` : ""),
      });
    });
    child.stdin.end(serverAddress);
  });

/** The resolver `docker.credentials` uses on Node: config.json under DOCKER_CONFIG or ~/.docker. */
export function nodeCredentials(env: Env = process.env, fs: ConfigFs = nodeConfigFs()): CredentialResolver {
  return new CredentialResolver({ loadConfig: () => loadDockerConfig(env, fs), runHelper: runCredentialHelper });
}

/** config.json under DOCKER_CONFIG or ~/.docker, for its proxies and detachKeys; read when first needed. */
export function nodeDockerConfig(env: Env = process.env, fs: ConfigFs = nodeConfigFs()): () => DockerConfigFile | undefined {
  return () => loadDockerConfig(env, fs)?.config;
}

/** The context store's files through node:fs (Node and Bun): reads as nodeConfigFs, and writes. */
export function nodeContextStoreFs(): ContextStoreFs {
  return {
    ...nodeConfigFs(),
    mkdir: (path) => void mkdirSync(path, { recursive: true }),
    writeText: (path, text, mode) => writeFileSync(path, text, { mode }),
    rename: (from, to) => renameSync(from, to),
    remove: (path) => rmSync(path, { recursive: true, force: true }),
    list(path) {
      try {
        return readdirSync(path);
      } catch (err) {
        if ((err as { code?: string }).code === "ENOENT") return [];
        throw err;
      }
    },
  };
}
