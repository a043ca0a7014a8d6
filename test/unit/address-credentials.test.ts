// Credentials in engine addresses, and ssh targets that could reach a shell: each is refused with
// a DockerConfigError that never quotes the password, before a connection or an ssh process
// exists; an address that reaches a message another way shows its password as `***`.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Docker, DockerConfigError, DockerConnectionError, NodeTransport, parseDockerHost, sshArgs } from "../../adapters/node.ts";
import { Docker as BrowserDocker } from "../../adapters/browser.ts";
import { redactAddress } from "../../src/config/redact.ts";

function configError(fn: () => unknown): DockerConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DockerConfigError);
    return err as DockerConfigError;
  }
  throw new Error("expected a DockerConfigError");
}

const SECRET = "s3cr3t-pw";

describe("a password in the engine address", () => {
  it.each([
    `tcp://me:${SECRET}@127.0.0.1:2375`,
    `http://me:${SECRET}@127.0.0.1:2375`,
    `https://me:${SECRET}@docker.example.com:2376`,
    `ssh://me:${SECRET}@box`,
    `ssh://me:${SECRET}@box:2200`,
    // Malformed after the userinfo: the message quotes the address, redacted.
    `tcp://me:${SECRET}@[::1`,
    `tcp://me:${SECRET}@host:99999`,
    `ssh://me:${SECRET.slice(0, 3)}/${SECRET.slice(3)}@box`,
  ])("%s is refused without quoting the password", (address) => {
    const err = configError(() => parseDockerHost(address, { source: "DOCKER_HOST" }));
    expect(err.message).not.toContain(SECRET.slice(3));
    expect(err.message).toContain("me:***@");
  });

  it("names what to do instead: a key for ssh, a header for a proxy", () => {
    expect(configError(() => parseDockerHost(`ssh://me:${SECRET}@box`)).message).toMatch(/plain-text password is not supported.*identityFile/);
    expect(configError(() => parseDockerHost(`https://me:${SECRET}@h`)).message).toMatch(/password in the address is not supported.*headers/);
  });

  it("refuses a bare user in a tcp/http/https address (the engine API has no login) and keeps ssh users", () => {
    expect(configError(() => parseDockerHost("tcp://me@127.0.0.1:2375")).message).toMatch(/means nothing to the engine API/);
    expect(parseDockerHost("ssh://me@box")).toEqual({ kind: "ssh", user: "me", hostname: "box", port: undefined });
    expect(parseDockerHost("ssh://john%40corp@box")).toMatchObject({ user: "john@corp" });
  });

  it("Node: new Docker and fromEnv refuse it before any connection (nothing reaches the Host header or DNS)", async () => {
    let connections = 0;
    const server: Server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const address = `tcp://me:${SECRET}@127.0.0.1:${port}`;
      expect(configError(() => new Docker({ host: address })).message).not.toContain(SECRET);
      expect(configError(() => Docker.fromEnv({ env: { DOCKER_HOST: address } })).message).not.toContain(SECRET);
      expect(connections).toBe(0);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("an address with a password made by hand shows as me:***@ in docker.address, JSON and connection errors", async () => {
    const address = `http://me:${SECRET}@127.0.0.1:1`;
    const transport = new NodeTransport({ protocol: "http", hostname: "127.0.0.1", port: 1 }, { address });
    const docker = new Docker({ transport, version: "1.41" });
    expect(docker.address).toBe("http://me:***@127.0.0.1:1");
    expect(JSON.stringify(docker)).toBe('{"address":"http://me:***@127.0.0.1:1"}');
    const err = await docker.ping().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConnectionError);
    expect((err as DockerConnectionError).message).not.toContain(SECRET);
    expect((err as DockerConnectionError).message).toContain("me:***@127.0.0.1:1");
    expect((err as DockerConnectionError).address).toBe("http://me:***@127.0.0.1:1");
    await docker.close();
  });

  it("redactAddress hides only the password", () => {
    expect(redactAddress("tcp://me:pw@h:1")).toBe("tcp://me:***@h:1");
    expect(redactAddress("ssh://me@h")).toBe("ssh://me@h");
    expect(redactAddress("unix:///var/run/docker.sock")).toBe("unix:///var/run/docker.sock");
    expect(redactAddress("http://me:a/b@h")).toBe("http://me:***@h");
  });

  it("browser: a password in url is refused; a bare user is stripped from what fetch sees", async () => {
    const err = configError(() => new BrowserDocker({ url: `http://me:${SECRET}@127.0.0.1:2375` }));
    expect(err.message).not.toContain(SECRET);
    expect(err.message).toContain("me:***@");
    expect(() => new BrowserDocker({ host: `tcp://me:${SECRET}@127.0.0.1:2375` })).toThrow(DockerConfigError);
    const seen: string[] = [];
    const fetch = (async (input: RequestInfo | URL) => {
      seen.push(String(input));
      return new Response("OK", { status: 200 });
    }) as typeof globalThis.fetch;
    const docker = new BrowserDocker({ url: "http://me@127.0.0.1:2375", fetch, version: "1.41" });
    expect(docker.address).toBe("http://127.0.0.1:2375");
    await docker.ping();
    expect(seen).toEqual(["http://127.0.0.1:2375/v1.41/_ping"]);
  });
});

describe("ssh user and host are checked before ssh runs", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-ssh-"));
  const argvFile = join(dir, "argv");
  const fakeSsh = join(dir, "ssh");
  writeFileSync(fakeSsh, `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\nexit 255\n`);
  chmodSync(fakeSsh, 0o755);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ["ssh://-oProxyCommand=touch%20x@box", /must not start with '-'/],
    ["ssh://$(touch%20x)@box", /may hold only/],
    ["ssh://me;id@box", /may hold only/],
    ["ssh://`id`@box", /may hold only/],
    ["ssh://me%25h@box", /may hold only/],
    ["ssh://me%zz@box", /not valid percent-encoding/],
    ["ssh://me%@box", /not valid percent-encoding/],
    ["ssh://me@-oProxyCommand=x", /must not start with '-'/],
    ["ssh://me@box$(id)", /host name may hold only/],
    ["ssh://me@box%h", /host name may hold only/],
    ["ssh://me@[fe80::1%25eth0]", /host name may hold only/],
    ["ssh://me@bo x", /host name may hold only/],
  ])("%s is a DockerConfigError (%s), and ssh never runs", async (address, why) => {
    expect(configError(() => parseDockerHost(address)).message).toMatch(why);
    expect(() => new Docker({ host: address, ssh: { binary: fakeSsh } })).toThrow(DockerConfigError);
    expect(existsSync(argvFile)).toBe(false);
  });

  it("sshArgs checks a target made by hand", () => {
    expect(() => sshArgs({ user: "-oProxyCommand=x", hostname: "box", port: undefined })).toThrow(DockerConfigError);
    expect(() => sshArgs({ user: undefined, hostname: "-oProxyCommand=x", port: undefined })).toThrow(DockerConfigError);
    expect(sshArgs({ user: "deploy", hostname: "box", port: 2200 })).toEqual(expect.arrayContaining(["-l", "deploy", "-p", "2200", "--", "box"]));
  });

  it("a valid target reaches ssh as -l user, and no password ever does", async () => {
    const docker = new Docker({ host: "ssh://deploy@box:2200", ssh: { binary: fakeSsh }, version: "1.41" });
    await expect(docker.ping()).rejects.toBeInstanceOf(DockerConnectionError);
    await docker.close();
    const argv = readFileSync(argvFile, "utf8").trim().split("\n");
    expect(argv).toEqual(expect.arrayContaining(["-l", "deploy", "-p", "2200", "--", "box"]));
    rmSync(argvFile);
  });
});
