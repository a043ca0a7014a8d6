// Contexts written by berth read by the Docker CLI, and the reverse: the same files
// (contexts/meta/<sha256>/meta.json, contexts/tls/..., config.json's currentContext), in a
// temporary DOCKER_CONFIG, never the real ~/.docker.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Docker } from "berth-docker";
import { afterAll, describe, expect, it } from "vitest";

const CA = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
const dir = mkdtempSync(join(tmpdir(), "berth-contexts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { DOCKER_CONFIG: dir };
const cli = (...args: string[]) => execFileSync("docker", args, { env: { PATH: process.env.PATH, HOME: dir, DOCKER_CONFIG: dir }, encoding: "utf8" }).trim();

describe("contexts: the Docker CLI's files", () => {
  const store = Docker.contexts({ env });

  it("a context berth creates is one the CLI inspects, uses and removes", () => {
    store.create("berth-made", { host: "tcp://10.9.9.8:2376", description: "from berth", tls: { ca: CA } });
    const [inspected] = JSON.parse(cli("context", "inspect", "berth-made"));
    expect(inspected).toMatchObject({
      Name: "berth-made",
      Metadata: { Description: "from berth" },
      Endpoints: { docker: { Host: "tcp://10.9.9.8:2376", SkipTLSVerify: false } },
      TLSMaterial: { docker: ["ca.pem"] },
    });
    store.use("berth-made");
    expect(cli("context", "show")).toBe("berth-made");
    expect(statSync(join(dir, "config.json")).mode & 0o777).toBe(0o600);
    cli("context", "use", "default");
    expect(store.current()).toBe("default");
    cli("context", "rm", "berth-made");
    expect(store.list().map((c) => c.name)).toEqual(["default"]);
  });

  it("a context the CLI creates is one berth inspects, uses and removes", () => {
    cli("context", "create", "cli-made", "--docker", "host=ssh://deploy@build-box", "--description", "from the CLI");
    expect(store.inspect("cli-made")).toEqual({ name: "cli-made", description: "from the CLI", host: "ssh://deploy@build-box", tls: { ca: false, cert: false, key: false }, current: false });
    cli("context", "use", "cli-made");
    expect(store.current()).toBe("cli-made");
    store.remove("cli-made", { force: true });
    expect(cli("context", "show")).toBe("default");
    expect(cli("context", "ls", "--format", "{{.Name}}")).toBe("default");
  });
});
