// Credential helpers run as real processes (fake helpers on PATH): a normal answer is read, and
// an endless or oversized one is cut at 1 MiB: the helper is killed, the lookup rejects with a
// DockerConfigError that quotes nothing it printed, and memory stays flat.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HELPER_OUTPUT_LIMIT, nodeCredentials, runCredentialHelper } from "../../adapters/node-config.ts";
import { DockerConfigError } from "../../src/errors/errors.ts";

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

describe("credential helper output on Deno", () => {
  it("the same limit: an answer is read, an endless helper is killed, nothing it printed is quoted", () => {
    const deno = join(process.cwd(), "node_modules/@deno/linux-x64-glibc/deno");
    const script = join(dir, "deno-helpers.ts");
    writeFileSync(
      script,
      `import { runDenoCredentialHelper } from ${JSON.stringify(join(process.cwd(), "adapters/deno-config.ts"))};
const out: Record<string, unknown> = {};
for (const name of ["good", "at-limit", "endless", "padded"]) {
  try {
    const r = await runDenoCredentialHelper(name, "reg.test");
    out[name] = { exitCode: r.exitCode, tail: r.stdout.slice(-40) };
  } catch (err) {
    out[name] = { error: (err as Error).name, message: (err as Error).message };
  }
}
console.log(JSON.stringify(out));`,
    );
    const result = execFileSync(deno, ["run", "--quiet", "--no-lock", "--allow-run", "--allow-read", "--allow-env", script], {
      env: { ...process.env, PATH: `${dir}:${savedPath}`, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 60_000,
    });
    const out = JSON.parse(result.trim().split("\n").pop()!);
    expect(out.good).toEqual({ exitCode: 0, tail: '{"ServerURL":"reg.test","Username":"ci","Secret":"pw-1"}'.slice(-40) });
    expect(out["at-limit"]).toEqual({ exitCode: 0, tail: '{"Username":"ci","Secret":"pw-2"}'.padStart(40, " ") });
    expect(out.endless).toEqual({ error: "DockerConfigError", message: "The credential helper docker-credential-endless printed more than 1 MiB for reg.test; it was stopped and its output discarded" });
    expect(out.padded.error).toBe("DockerConfigError");
    expect(out.padded.message).not.toMatch(/TOPSECRET|xxxx/);
  }, 60_000);
});
