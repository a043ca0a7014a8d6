// Podman's dialect against a mocked engine: recognising it, its route misses and error causes,
// volume label filters, the build's extra hosts, and the byte-level repairs (attach log replay, top).
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Docker as NodeDocker } from "../../adapters/node.ts";
import { Docker } from "../../src/docker.ts";
import { DockerBadRequestError, DockerConflictError, DockerNotFoundError, DockerServerError, DockerUnsupportedError } from "../../src/errors/errors.ts";
import { FetchTransport } from "../../src/transport/fetch.ts";
import { engineFromHeaders, engineFromVersion, filterValues, matchesLabelFilters, podmanErrorStatus, splitTopColumns } from "../../src/dialect/podman.ts";
import { demuxStream, type Frame } from "../../src/streams/demux.ts";
import { podmanLogReplayRepair } from "../../src/streams/podman-log-replay.ts";

const BASE = "http://engine.test";
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const docker = (options: { version?: string } = {}) => new Docker({ transport: new FetchTransport(BASE), ...options });

const PODMAN_HEADERS = { "Api-Version": "1.41", "Libpod-Api-Version": "4.3.1", Server: "Libpod/4.3.1 (linux)" };
const podmanPing = () => http.get(`${BASE}/_ping`, () => new HttpResponse("OK", { headers: PODMAN_HEADERS }));
const dockerPing = () => http.get(`${BASE}/_ping`, () => new HttpResponse("OK", { headers: { "Api-Version": "1.41", Server: "Docker/20.10.24 (linux)" } }));
/** Podman's router for a path it has no handler for. */
const routeMiss = () => new HttpResponse("Not Found\n", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
const podmanError = (status: number, cause: string, message: string) =>
  HttpResponse.json({ cause, message, response: status }, { status, headers: PODMAN_HEADERS });

describe("recognising Podman", () => {
  it("from headers and from /version components", () => {
    expect(engineFromHeaders(new Headers(PODMAN_HEADERS))).toBe("podman");
    expect(engineFromHeaders(new Headers({ Server: "Libpod/5.0.0 (linux)" }))).toBe("podman");
    expect(engineFromHeaders(new Headers({ Server: "Docker/28.0.0 (linux)" }))).toBe("docker");
    expect(engineFromHeaders(new Headers({}))).toBeUndefined();
    expect(engineFromVersion({ Components: [{ Name: "Podman Engine" }, { Name: "Conmon" }] })).toBe("podman");
    expect(engineFromVersion({ Components: [{ Name: "Engine" }, { Name: "containerd" }] })).toBe("docker");
    expect(engineFromVersion(undefined)).toBe("docker");
  });

  it("negotiation's ping tells the engine: no extra request", async () => {
    let versions = 0;
    server.use(podmanPing(), http.get(`${BASE}/version`, () => (versions++, HttpResponse.json({}))));
    const d = docker();
    await d.apiVersion();
    expect(await d.engine()).toBe("podman");
    expect(await d.isPodman()).toBe(true);
    expect(versions).toBe(0);
  });

  it("with a pinned version and no telling headers, /version is asked once", async () => {
    let versions = 0;
    server.use(
      http.get(`${BASE}/version`, () => {
        versions++;
        return HttpResponse.json({ ApiVersion: "1.41", Components: [{ Name: "Podman Engine", Version: "4.3.1" }] });
      }),
    );
    const d = docker({ version: "1.41" });
    const [a, b] = await Promise.all([d.engine(), d.isPodman()]);
    expect([a, b, await d.engine()]).toEqual(["podman", true, "podman"]);
    expect(versions).toBe(1);
  });
});

describe("finding Podman's socket", () => {
  it("Docker.fromEnv follows a DOCKER_HOST naming the rootful or the rootless socket", async () => {
    for (const host of ["unix:///run/podman/podman.sock", "unix:///run/user/1000/podman/podman.sock"]) {
      const d = NodeDocker.fromEnv({ env: { DOCKER_HOST: host } });
      expect(d.address).toBe(host);
      await d.close();
    }
  });
});

describe("Podman's errors", () => {
  it("a route it lacks is a DockerUnsupportedError naming the call; a missing object stays a 404", async () => {
    server.use(
      podmanPing(),
      http.post(`${BASE}/v1.41/containers/:id/update`, routeMiss),
      http.get(`${BASE}/v1.41/plugins`, () => HttpResponse.json({ cause: "", message: "Path /v1.41/plugins is not supported", response: 0 }, { status: 404, headers: PODMAN_HEADERS })),
      http.get(`${BASE}/v1.41/containers/:id/json`, () => podmanError(404, "no such container", 'no container with name or ID "x" found: no such container')),
    );
    const d = docker();
    const update = await d.containers.ref("abc").update({ Memory: 1 }).catch((e) => e);
    expect(update).toBeInstanceOf(DockerUnsupportedError);
    expect(update.message).toContain("POST /containers/abc/update is not implemented by the engine at http://engine.test");
    expect(update.message).toContain("Podman");
    expect((update.cause as DockerNotFoundError).status).toBe(404);
    await expect(d.plugins.list()).rejects.toBeInstanceOf(DockerUnsupportedError);
    const missing = await d.containers.get("x").catch((e) => e);
    expect(missing).toBeInstanceOf(DockerNotFoundError);
    expect(missing.reason).toMatch(/no such container/);
  });

  it("dockerd's own 404s are untouched", async () => {
    server.use(
      dockerPing(),
      http.get(`${BASE}/v1.41/info`, () => HttpResponse.json({ message: "page not found" }, { status: 404, headers: { "Api-Version": "1.41" } })),
      http.get(`${BASE}/v1.41/containers/:id/json`, () => new HttpResponse("Not Found\n", { status: 404, headers: { "Api-Version": "1.41" } })),
    );
    const d = docker();
    expect(await d.info().catch((e) => e)).toBeInstanceOf(DockerNotFoundError);
    // With Api-Version set, a bare "Not Found" came from a handler, not a router.
    expect(await d.containers.get("x").catch((e) => e)).toBeInstanceOf(DockerNotFoundError);
  });

  it("500s whose cause dockerd reports as 404, 409 or 400 get that status; others stay 500", async () => {
    expect(podmanErrorStatus(500, JSON.stringify({ cause: "container state improper", message: "m", response: 500 }))).toBe(409);
    expect(podmanErrorStatus(500, JSON.stringify({ cause: "that name is already in use", message: "m", response: 500 }))).toBe(409);
    expect(podmanErrorStatus(500, JSON.stringify({ cause: "network already exists", message: "m", response: 500 }))).toBe(409);
    expect(podmanErrorStatus(500, JSON.stringify({ cause: "invalid argument", message: "m", response: 500 }))).toBe(400);
    expect(podmanErrorStatus(500, JSON.stringify({ cause: "invalid signal: NOPE", message: "m", response: 500 }))).toBe(400);
    expect(podmanErrorStatus(500, JSON.stringify({ cause: "runtime exploded", message: "m", response: 500 }))).toBe(500);
    expect(podmanErrorStatus(500, JSON.stringify({ cause: "no such container", message: "container c does not exist in database: no such container", response: 500 }))).toBe(404);
    // dockerd's bodies have no cause: never remapped.
    expect(podmanErrorStatus(500, JSON.stringify({ message: "container state improper" }))).toBe(500);
    expect(podmanErrorStatus(404, JSON.stringify({ cause: "container state improper", message: "m", response: 404 }))).toBe(404);
    expect(podmanErrorStatus(500, "not json")).toBe(500);

    server.use(
      podmanPing(),
      http.delete(`${BASE}/v1.41/containers/:id`, () => podmanError(500, "container state improper", "cannot remove container c as it is running: container state improper")),
      http.post(`${BASE}/v1.41/containers/create`, () => podmanError(500, "invalid argument", "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument")),
      http.post(`${BASE}/v1.41/containers/:id/start`, () => podmanError(500, "runtime exploded", "boom")),
    );
    const d = docker();
    const running = await d.containers.ref("c").remove().catch((e) => e);
    expect(running).toBeInstanceOf(DockerConflictError);
    expect(running.status).toBe(409);
    expect(running.reason).toContain("as it is running");
    expect(await d.containers.create({ Image: "x" }, { name: "a b" }).catch((e) => e)).toBeInstanceOf(DockerBadRequestError);
    expect(await d.containers.ref("c").start().catch((e) => e)).toBeInstanceOf(DockerServerError);
  });
});

describe("volume label filters on Podman", () => {
  const volume = (name: string, labels: Record<string, string>) => ({ Name: name, Driver: "local", Labels: labels, Mountpoint: "", Scope: "local", Options: {} });
  // Podman 4: ANY of the label filters.
  const anyOf = [volume("both", { a: "1", b: "2" }), volume("onlyA", { a: "1" }), volume("onlyB", { b: "2" }), volume("used", { a: "1", b: "2" })];

  it("list keeps the volumes having every label", async () => {
    server.use(podmanPing(), http.get(`${BASE}/v1.41/volumes`, () => HttpResponse.json({ Volumes: anyOf, Warnings: [] })));
    const listed = await docker().volumes.list({ filters: { label: ["a=1", "b"] } });
    expect(listed.map((v) => v.name)).toEqual(["both", "used"]);
  });

  it("prune removes those one by one, leaving volumes in use and the label! ones, never calling Podman's prune", async () => {
    const deleted: string[] = [];
    server.use(
      podmanPing(),
      http.get(`${BASE}/v1.41/volumes`, () => HttpResponse.json({ Volumes: [...anyOf, volume("excluded", { a: "1", b: "2", keep: "y" })], Warnings: [] })),
      http.post(`${BASE}/v1.41/volumes/prune`, () => HttpResponse.json({ message: "must not be called" }, { status: 500 })),
      http.delete(`${BASE}/v1.41/volumes/:name`, ({ params }) => {
        if (params.name === "used") return podmanError(409, "volume is being used", "volume used is being used");
        deleted.push(String(params.name));
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const result = await docker().volumes.prune({ filters: { label: ["a=1", "b=2"], "label!": ["keep"] } });
    expect(result).toEqual({ VolumesDeleted: ["both"], SpaceReclaimed: 0 });
    expect(deleted).toEqual(["both"]);
  });

  it("a single label, and dockerd, go through the engine's prune", async () => {
    let prunes = 0;
    server.use(dockerPing(), http.post(`${BASE}/v1.41/volumes/prune`, () => (prunes++, HttpResponse.json({ VolumesDeleted: ["v"], SpaceReclaimed: 5 }))));
    expect(await docker().volumes.prune({ filters: { label: ["a=1", "b=2"] } })).toEqual({ VolumesDeleted: ["v"], SpaceReclaimed: 5 });
    server.use(podmanPing());
    expect((await docker().volumes.prune({ filters: { label: ["a=1"] } })).VolumesDeleted).toEqual(["v"]);
    expect(prunes).toBe(2);
  });

  it("filter values in every form; labels match by key or key=value", () => {
    expect(filterValues({ label: "a" }, "label")).toEqual(["a"]);
    expect(filterValues({ label: ["a", "b=1"] }, "label")).toEqual(["a", "b=1"]);
    expect(filterValues({ label: { a: true, b: false } }, "label")).toEqual(["a"]);
    expect(filterValues(undefined, "label")).toEqual([]);
    expect(matchesLabelFilters({ a: "1", b: "x=y" }, ["a", "b=x=y"])).toBe(true);
    expect(matchesLabelFilters({ a: "1" }, ["a=2"])).toBe(false);
    expect(matchesLabelFilters(null, ["a"])).toBe(false);
    expect(matchesLabelFilters({}, [])).toBe(true);
  });
});

describe("build's extra hosts", () => {
  async function sentHosts(ping: () => ReturnType<typeof http.get>): Promise<string[]> {
    let seen: string[] = [];
    server.use(
      ping(),
      http.post(`${BASE}/v1.41/build`, ({ request }) => {
        seen = new URL(request.url).searchParams.getAll("extrahosts");
        return new HttpResponse('{"aux":{"ID":"sha256:abc"}}\n', { headers: { "Content-Type": "application/json" } });
      }),
    );
    await docker().images.build([{ name: "Dockerfile", data: "FROM scratch\n" }], { extraHosts: ["a:10.0.0.1", "b:10.0.0.2"] });
    return seen;
  }

  it("one parameter per host for dockerd, one JSON list for Podman", async () => {
    expect(await sentHosts(dockerPing)).toEqual(["a:10.0.0.1", "b:10.0.0.2"]);
    expect(await sentHosts(podmanPing)).toEqual(['["a:10.0.0.1","b:10.0.0.2"]']);
  });
});

describe("repairs", () => {
  const header = (type: number, length: number) => [type, 0, 0, 0, (length >>> 24) & 255, (length >>> 16) & 255, (length >>> 8) & 255, length & 255];
  const text = (s: string) => Array.from(new TextEncoder().encode(s));
  // Podman 4's attach log replay: each line's header counts it without its newline.
  const podmanReplay = new Uint8Array([...header(1, 3), ...text("one"), 10, ...header(2, 3), ...text("two"), 10, ...header(1, 4), ...text("tail")]);

  async function demux(bytes: Uint8Array, cuts: number[], repair: boolean): Promise<{ stdout: string; stderr: string }> {
    const pieces: Uint8Array[] = [];
    let at = 0;
    for (const cut of [...cuts, bytes.length]) {
      pieces.push(bytes.slice(at, cut));
      at = cut;
    }
    let source = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of pieces) c.enqueue(p);
        c.close();
      },
    });
    if (repair) source = source.pipeThrough(podmanLogReplayRepair());
    const out = { stdout: "", stderr: "" };
    const reader = source.pipeThrough(demuxStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return out;
      out[(value as Frame).stream] += new TextDecoder().decode((value as Frame).data);
    }
  }

  it("the attach log replay's stray newlines join their line, however the bytes are cut", async () => {
    await expect(demux(podmanReplay, [], false)).rejects.toThrow(/malformed multiplexed stream/);
    for (const cuts of [[], [1], [8], [11], [12], [13], [5, 11, 12, 20], Array.from({ length: podmanReplay.length - 1 }, (_, i) => i + 1)]) {
      expect(await demux(podmanReplay, cuts, true), `cuts ${cuts}`).toEqual({ stdout: "one\ntail", stderr: "two\n" });
    }
  });

  it("a well-formed stream passes through unchanged, newlines inside payloads included", async () => {
    const good = new Uint8Array([...header(1, 4), ...text("one\n"), ...header(2, 1), 10, ...header(1, 0), ...header(1, 2), ...text("\n\n")]);
    for (const cuts of [[], [3], [12], [13, 14]]) {
      expect(await demux(good, cuts, true)).toEqual({ stdout: "one\n\n\n", stderr: "\n" });
    }
  });

  it("top's whole lines become columns; dockerd's columns stay", () => {
    expect(splitTopColumns({ Titles: ["PID   USER     COMMAND"], Processes: [["1 0        sleep 30"], ["7 root     sh -c echo  hi"]] })).toEqual({
      Titles: ["PID", "USER", "COMMAND"],
      Processes: [["1", "0", "sleep 30"], ["7", "root", "sh -c echo  hi"]],
    });
    const columns = { Titles: ["UID", "PID", "CMD"], Processes: [["root", "1", "sleep 30"]] };
    expect(splitTopColumns(columns)).toBe(columns);
    const single = { Titles: ["PID"], Processes: [["1"]] };
    expect(splitTopColumns(single)).toBe(single);
  });
});
