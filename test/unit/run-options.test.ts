// containers.run()'s CLI-like options: the create body they make, and each wrong form a
// DockerConfigError before any request reaches the (mocked) engine. ContainerExitError's message.
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Docker } from "../../src/docker.ts";
import { ContainerExitError, DockerConfigError } from "../../src/errors/errors.ts";
import { BASE, mockedEngine } from "./mocked-engine.ts";

const { server, docker } = mockedEngine();

/** Records every request; create answers an id, inspect a running container. */
function engine(): { path: string; body: unknown }[] {
  const log: { path: string; body: unknown }[] = [];
  server.use(
    http.all(`${BASE}/*`, async ({ request }) => {
      const path = new URL(request.url).pathname;
      const text = await request.text();
      log.push({ path, body: text ? JSON.parse(text) : undefined });
      if (path.endsWith("/containers/create")) return HttpResponse.json({ Id: "c1" }, { status: 201 });
      if (path.endsWith("/json")) return HttpResponse.json({ Id: "c1", Name: "/n", State: { Status: "running" } });
      return new HttpResponse(null, { status: 204 });
    }),
  );
  return log;
}

describe("containers.run() options", () => {
  it("fold into the create body over config", async () => {
    const log = engine();
    await docker().containers.run("busybox", ["true"], {
      detach: true,
      config: { Env: ["X=0"], Labels: { a: "1" }, HostConfig: { Binds: ["/x:/x"], Privileged: true } },
      env: { A: "1", B: 2, C: true },
      ports: { "80": 8080, "53/udp": null, "443/tcp": ["127.0.0.1:8443", "[::1]:8444", { hostIp: "10.0.0.1" }], "9000-9001": "7000-7001" },
      volumes: { "/srv": "/data", vol: { bind: "/v", mode: "ro" } },
      labels: { b: "2" },
      user: "1000:1000",
      workdir: "/w",
      network: "my-net",
      restart: "on-failure:3",
      memory: "1.5g",
    });
    const create = log.find((r) => r.path.endsWith("/containers/create"))!;
    expect(create.body).toEqual({
      Image: "busybox",
      Cmd: ["true"],
      Env: ["X=0", "A=1", "B=2", "C=true"],
      Labels: { a: "1", b: "2" },
      User: "1000:1000",
      WorkingDir: "/w",
      ExposedPorts: { "80/tcp": {}, "53/udp": {}, "443/tcp": {}, "9000-9001/tcp": {} },
      HostConfig: {
        Privileged: true,
        Binds: ["/x:/x", "/srv:/data", "vol:/v:ro"],
        PortBindings: {
          "80/tcp": [{ HostPort: "8080" }],
          "53/udp": [{ HostPort: "" }],
          "443/tcp": [{ HostIp: "127.0.0.1", HostPort: "8443" }, { HostIp: "::1", HostPort: "8444" }, { HostIp: "10.0.0.1", HostPort: "" }],
          "9000-9001/tcp": [{ HostPort: "7000-7001" }],
        },
        NetworkMode: "my-net",
        RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 },
        Memory: 1610612736,
      },
    });
  });

  it.each([
    [{ memory: "lots" }, /memory must be bytes or a size such as "700M"/],
    [{ memory: -1 }, /memory must be bytes/],
    [{ ports: { http: 80 } }, /"http" is not a container port: expected "80", "80\/tcp"/],
    [{ ports: { "80": "a:b:c" } }, /ports\["80"\] must be a host port/],
    [{ ports: { "80": 70000 } }, /ports\["80"\] must be a host port/],
    [{ restart: "sometimes" }, /restart must be "no", "always", "unless-stopped", "on-failure" or "on-failure:N"/],
    [{ restart: "always:2" }, /restart must be/],
    [{ env: "A=1" }, /env must be an object/],
    [{ volumes: ["/no-target"] }, /volumes must be "source:target\[:mode\]"/],
    [{ volumes: { "/a": { mode: "ro" } } }, /volumes must be/],
  ])("%j is a DockerConfigError before any request", async (options, message) => {
    const log = engine();
    const err = await docker().containers.run("busybox", ["true"], options as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConfigError);
    expect((err as Error).message).toMatch(message);
    expect(log).toEqual([]);
  });
});

describe("ContainerExitError", () => {
  it("names the command and the image, quoting arguments with spaces, and keeps both streams", () => {
    const err = new ContainerExitError("a".repeat(64), 1, "cat: can't open '/test'\n", { command: ["sh", "-c", "cat /test"], image: "busybox", stdout: "partial\n" });
    expect(err.message).toBe(`Command 'sh -c "cat /test"' in image 'busybox' returned non-zero exit status 1: cat: can't open '/test'`);
    expect([err.stdout, err.stderr, err.command, err.image]).toEqual(["partial\n", "cat: can't open '/test'\n", ["sh", "-c", "cat /test"], "busybox"]);
    expect(new ContainerExitError("b".repeat(64), 2, "", { image: "busybox" }).message).toBe("Command '(the image's command)' in image 'busybox' returned non-zero exit status 2");
    expect(new ContainerExitError("c".repeat(64), 3, "").message).toBe("Container cccccccccccc exited with code 3");
  });
});

describe("readFile, writeFile and a detached exec: wrong arguments", () => {
  it.each([
    [(d: Docker) => d.containers.ref("c1").writeFile("/f", 42 as never), /writeFile\(\) needs the file's data as a string or a Uint8Array, got number/],
    [(d: Docker) => d.containers.ref("c1").writeFile("/f", "x", { mode: 0o10000 }), /mode must be permission bits such as 0o644/],
    [(d: Docker) => d.containers.ref("c1").writeFile("/dir/", "x"), /needs a path that names a file/],
    [(d: Docker) => d.containers.ref("c1").writeFile("" as never, "x"), /a path in the container such as "\/etc\/hostname"/],
    [(d: Docker) => d.containers.ref("c1").readFile(undefined as never), /a path in the container such as "\/etc\/hostname"/],
    [(d: Docker) => d.containers.ref("c1").exec(["cat"], { detach: true, stdin: "x" } as never), /cannot take stdin/],
  ])("%# is a DockerConfigError before any request", async (call, message) => {
    const log = engine();
    const err = await call(docker()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConfigError);
    expect((err as Error).message).toMatch(message);
    expect(log).toEqual([]);
  });

  it("writeFile puts a one-entry tar into the file's directory", async () => {
    const log: { path: string; query: string; size: number }[] = [];
    server.use(http.put(`${BASE}/v1.41/containers/c1/archive`, async ({ request }) => {
      const url = new URL(request.url);
      log.push({ path: url.pathname, query: url.searchParams.get("path") ?? "", size: (await request.arrayBuffer()).byteLength });
      return new HttpResponse(null, { status: 200 });
    }));
    await docker().containers.ref("c1").writeFile("/etc/app/conf", "x");
    await docker().containers.ref("c1").writeFile("/top", "x");
    expect(log.map((r) => r.query)).toEqual(["/etc/app", "/"]);
    expect(log[0]!.size % 512).toBe(0);
  });
});
