// Node's side of configuration: the process environment, synchronous file reads for the CLI's
// config, contexts and certificates, and credential helpers run as child processes.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { loadDockerConfig, type ConfigFs, type Env } from "../src/config/config-file.ts";
import { CredentialResolver, type HelperOutput, type RunHelper } from "../src/config/credentials.ts";

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

/** Most a helper may take before it is stopped: a helper waiting on a GUI prompt must not hang a pull. */
const HELPER_TIMEOUT_MS = 60_000;

/**
 * Runs `docker-credential-<helper> get` (found on PATH) with the server address on stdin, as the
 * Docker CLI does. Output is kept in memory only long enough to parse it.
 */
export const runCredentialHelper: RunHelper = (helper, serverAddress) =>
  new Promise<HelperOutput>((resolve, reject) => {
    const child = spawn(`docker-credential-${helper}`, ["get"], { stdio: ["pipe", "pipe", "pipe"], windowsHide: true });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill(), HELPER_TIMEOUT_MS);
    child.stdout.on("data", (c: Buffer) => stdout.push(c));
    child.stderr.on("data", (c: Buffer) => stderr.push(c));
    child.stdin.on("error", () => {}); // a helper that exits without reading stdin must not crash us
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
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
