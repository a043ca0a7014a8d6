import { describe, expect, it } from "vitest";
import { Docker, DockerConnectionError, DockerUnsupportedError, DockerVersionError } from "berth-docker";
import { startEngineProxy } from "../../adapters/node-proxy.ts";
import { useEngine } from "./helpers.ts";

describe("system", () => {
  const { docker } = useEngine();

  it("pings", async () => {
    expect(await docker.ping()).toBe("OK");
  });

  it("negotiates the engine's API version", async () => {
    const version = await docker.version();
    expect(await docker.apiVersion()).toBe(version.ApiVersion);
  });

  it("reports info and disk usage", async () => {
    const info = await docker.info();
    expect(info.ID).toBeTruthy();
    expect(typeof info.Containers).toBe("number");
    const df = await docker.df();
    expect(Array.isArray(df.Images)).toBe(true);
    // Podman 4's df lists only the tag part of each name ("busybox").
    const listed = (await docker.isPodman()) ? "busybox" : "berth-test:busybox";
    expect(df.Images!.some((i) => i.RepoTags?.includes(listed))).toBe(true);
  });

  it("a pinned version is used as given", async () => {
    const pinned = Docker.fromEnv({ version: "1.30" });
    expect(await pinned.apiVersion()).toBe("1.30");
    expect(await pinned.ping()).toBe("OK");
    await pinned.close();
  });

  it("a missing socket names the path and how to point elsewhere", async () => {
    const missing = new Docker({ socketPath: "/nonexistent/docker.sock" });
    const err = await missing.ping().catch((e) => e);
    expect(err).toBeInstanceOf(DockerConnectionError);
    expect(err.code).toBe("ENOENT");
    expect(err.message).toContain("unix:///nonexistent/docker.sock");
    expect(err.message).toContain("DOCKER_HOST");
    await missing.close();
  });

  it("a refused TCP port is a connection error naming the address", async () => {
    const refused = new Docker({ host: "tcp://127.0.0.1:1" });
    const err = await refused.ping().catch((e) => e);
    expect(err).toBeInstanceOf(DockerConnectionError);
    expect(err.code).toBe("ECONNREFUSED");
    expect(err.message).toContain("http://127.0.0.1:1");
    await refused.close();
  });

  it("reaches the engine over TCP too", async () => {
    // The engine listens on its unix socket only: TCP through a loopback proxy to it.
    const proxy = await startEngineProxy();
    const tcp = new Docker({ host: `tcp://127.0.0.1:${proxy.port}` });
    try {
      expect(await tcp.ping()).toBe("OK");
      expect((await tcp.version()).ApiVersion).toBe((await docker.version()).ApiVersion);
    } finally {
      await tcp.close();
      await proxy.close();
    }
  });

  it("calls any operation through the typed raw request", async () => {
    const list = await docker.request("GET /images/json", { query: { filters: { reference: ["berth-test:busybox"] } } });
    expect(list.length).toBe(1);
    expect(list[0]!.RepoTags).toContain((await docker.isPodman()) ? "localhost/berth-test:busybox" : "berth-test:busybox");
  });

  it("pings with HEAD", async () => {
    expect(await docker.ping({ method: "HEAD" })).toBe("");
  });

  it("opens a BuildKit session connection (upgraded to h2c)", async () => {
    if (await docker.isPodman()) {
      // Podman has no BuildKit and no /session endpoint.
      await expect(docker.session()).rejects.toBeInstanceOf(DockerUnsupportedError);
      return;
    }
    const conn = await docker.session({ headers: { "X-Docker-Expose-Session-Uuid": "berth-test-session", "X-Docker-Expose-Session-Name": "berth" } });
    expect(conn.status).toBe(101);
    conn.close();
  });

  it("prunes build cache", async () => {
    if (await docker.isPodman()) {
      await expect(docker.images.pruneBuildCache()).rejects.toBeInstanceOf(DockerUnsupportedError);
      return;
    }
    const result = await docker.images.pruneBuildCache();
    expect(typeof result.SpaceReclaimed).toBe("number");
  });

  it("an operation newer than the engine is refused, naming the version it needs", async () => {
    const err = await docker.images.ref("berth-test:busybox").attestations().catch((e) => e);
    expect(err).toBeInstanceOf(DockerVersionError);
    expect(err.required).toBe("1.55");
  });
});
