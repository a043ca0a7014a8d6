// Credential helpers run as real processes (fake helpers on PATH): a normal answer is read, and
// an endless or oversized one is cut at 1 MiB: the helper is killed, the lookup rejects with a
// DockerConfigError that quotes nothing it printed, and memory stays flat.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HELPER_OUTPUT_LIMIT, nodeCredentials, runCredentialHelper } from "../../adapters/node-config.ts";
import { DockerConfigError } from "../../src/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "berth-helpers-"));
const pidFile = join(dir, "pid");
const savedPath = process.env.PATH;

function helper(name: string, script: string): void {
  const path = join(dir, `docker-credential-${name}`);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
}

beforeAll(() => {
  process.env.PATH = `${dir}:${savedPath}`;
  helper("good", `cat >/dev/null; printf '%s' '{"ServerURL":"reg.test","Username":"ci","Secret":"pw-1"}'`);
  // Endless output, as from a helper stuck in a loop: `yes` prints until it is killed.
  helper("endless", `echo $$ > '${pidFile}'; exec yes TOPSECRET-TOPSECRET-TOPSECRET`);
  // A secret-looking start, then 2 MiB more: over the limit, and nothing of it may be quoted.
  helper("padded", `printf '%s' '{"Username":"ci","Secret":"TOPSECRET'; head -c 2097152 /dev/zero | tr '\\0' x; printf '"}'`);
  helper("at-limit", `head -c ${HELPER_OUTPUT_LIMIT - 64} /dev/zero | tr '\\0' ' '; printf '%s' '{"Username":"ci","Secret":"pw-2"}'`);
});
afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(dir, { recursive: true, force: true });
});

function configDir(credsStore: string): string {
  const d = mkdtempSync(join(dir, "cfg-"));
  writeFileSync(join(d, "config.json"), JSON.stringify({ credsStore }));
  return d;
}

describe("credential helper output", () => {
  it("a helper's answer is read as before", async () => {
    const auth = await nodeCredentials({ DOCKER_CONFIG: configDir("good") }).forRegistry("reg.test");
    expect(auth).toEqual({ serveraddress: "reg.test", username: "ci", password: "pw-1" });
  });

  it("output up to the limit is read whole", async () => {
    const auth = await nodeCredentials({ DOCKER_CONFIG: configDir("at-limit") }).forRegistry("reg.test");
    expect(auth).toMatchObject({ username: "ci", password: "pw-2" });
  });

  it("endless output: the helper is killed and the lookup is a DockerConfigError quoting none of it", async () => {
    const before = process.memoryUsage().rss;
    const err = await nodeCredentials({ DOCKER_CONFIG: configDir("endless") }).forRegistry("reg.test").catch((e: unknown) => e);
    const grown = process.memoryUsage().rss - before;
    console.log(`endless helper: RSS grew by ${(grown / 1048576).toFixed(1)} MiB before it was stopped (limit ${HELPER_OUTPUT_LIMIT} bytes)`);
    expect(err).toBeInstanceOf(DockerConfigError);
    expect((err as Error).message).toBe("The credential helper docker-credential-endless printed more than 1 MiB for reg.test; it was stopped and its output discarded");
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect(grown).toBeLessThan(64 * 1048576);
  });

  it("a secret followed by 2 MiB: rejected from the runner itself, the secret never in the message", async () => {
    const err = await runCredentialHelper("padded", "reg.test").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConfigError);
    expect((err as Error).message).not.toMatch(/TOPSECRET|xxxx/);
  });
});
