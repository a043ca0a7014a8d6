// Networks, volumes, swarm objects and plugins against a mocked engine: what the API 1.41 test
// engine cannot show (newer API versions, headers, request shapes).
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeBase64 } from "../../src/config/base64.ts";
import { Docker } from "../../src/docker.ts";
import { DockerError, DockerVersionError } from "../../src/errors/errors.ts";
import { FetchTransport } from "../../src/transport/fetch.ts";

const BASE = "http://engine.test";
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const docker = (version: string) => new Docker({ transport: new FetchTransport(BASE), version });

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: string;
}

/** Records every request and answers with `reply(seen)`. */
function record(reply: (seen: Seen) => Response | Promise<Response>): Seen[] {
  const log: Seen[] = [];
  server.use(
    http.all(`${BASE}/*`, async ({ request }) => {
      const url = new URL(request.url);
      const seen = { method: request.method, path: url.pathname, query: url.searchParams, headers: request.headers, body: await request.text() };
      log.push(seen);
      return reply(seen);
    }),
  );
  return log;
}

const decodeAuth = (header: string | null) => JSON.parse(new TextDecoder().decode(decodeBase64(header ?? "")!));

describe("volumes", () => {
  it("update on API 1.42+: reads the cluster version, then PUTs the spec with it", async () => {
    const log = record(({ method }) =>
      method === "GET"
        ? HttpResponse.json({ Name: "cv", ClusterVolume: { ID: "x", Version: { Index: 17 } } })
        : new HttpResponse(null, { status: 200 }),
    );
    await docker("1.43").volumes.ref("cv").update({ AccessMode: { Availability: "drain" } });
    expect(log.map((s) => `${s.method} ${s.path}`)).toEqual(["GET /v1.43/volumes/cv", "PUT /v1.43/volumes/cv"]);
    expect(log[1]!.query.get("version")).toBe("17");
    expect(JSON.parse(log[1]!.body)).toEqual({ Spec: { AccessMode: { Availability: "drain" } } });
  });

  it("update of a local volume on API 1.42+ says it is not a cluster volume", async () => {
    record(() => HttpResponse.json({ Name: "local-one", Driver: "local" }));
    const err = await docker("1.42").volumes.ref("local-one").update({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerError);
    expect((err as Error).message).toMatch(/not a cluster volume/);
  });

  it("update on API 1.41 is refused by the core before any request", async () => {
    const log = record(() => HttpResponse.json({}));
    const err = await docker("1.41").volumes.ref("v").update({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerVersionError);
    expect((err as DockerVersionError).required).toBe("1.42");
    expect(log).toEqual([]);
  });

  it("prune sends the `all` filter only to engines that know it", async () => {
    const log = record(() => HttpResponse.json({ VolumesDeleted: ["a"], SpaceReclaimed: 5 }));
    expect(await docker("1.43").volumes.prune({ all: true, filters: { label: ["x=y"] } })).toEqual({ VolumesDeleted: ["a"], SpaceReclaimed: 5 });
    await docker("1.41").volumes.prune({ all: true, filters: { label: ["x=y"] } });
    await docker("1.43").volumes.prune({ filters: { all: ["true"] } });
    await docker("1.43").volumes.prune({ all: false, filters: { all: true } });
    await docker("1.43").volumes.prune();
    expect(log.map((s) => s.query.get("filters"))).toEqual([
      JSON.stringify({ label: ["x=y"], all: ["true"] }),
      JSON.stringify({ label: ["x=y"] }),
      JSON.stringify({ all: ["true"] }),
      null,
      null,
    ]);
  });

  it("list returns handles and keeps the engine's warnings; a null list is empty", async () => {
    record(() => HttpResponse.json({ Volumes: [{ Name: "a", Driver: "local" }], Warnings: ["driver x did not answer"] }));
    const list = await docker("1.41").volumes.list();
    expect(list.map((v) => v.name)).toEqual(["a"]);
    expect(list.warnings).toEqual(["driver x did not answer"]);
    server.resetHandlers();
    record(() => HttpResponse.json({ Volumes: null, Warnings: null }));
    const empty = await docker("1.41").volumes.list();
    expect([...empty]).toEqual([]);
    expect(empty.warnings).toEqual([]);
  });
});

describe("networks", () => {
  it("asks engines before API 1.44 to refuse duplicate names, and leaves newer ones alone; the handle's attrs come from an inspect", async () => {
    const log = record((seen) => HttpResponse.json(seen.method === "POST" ? { Id: "abc", Warning: "" } : { Id: "abc", Name: "n", Driver: "bridge" }));
    const created = await docker("1.41").networks.create({ Name: "n" });
    expect(created.id).toBe("abc");
    expect(created.warning).toBeUndefined();
    expect([created.name, created.info?.Driver]).toEqual(["n", "bridge"]);
    await docker("1.44").networks.create({ Name: "n" });
    await docker("1.41").networks.create({ Name: "n", CheckDuplicate: false } as never);
    expect(log.filter((s) => s.method === "GET").map((s) => s.path)).toEqual(["/v1.41/networks/abc", "/v1.44/networks/abc", "/v1.41/networks/abc"]);
    expect(log.filter((s) => s.method === "POST").map((s) => JSON.parse(s.body))).toEqual([{ CheckDuplicate: true, Name: "n" }, { Name: "n" }, { Name: "n", CheckDuplicate: false }]);
  });

  it("connect builds the EndpointConfig from its options; disconnect sends Force", async () => {
    const log = record(() => new HttpResponse(null, { status: 200 }));
    const network = docker("1.41").networks.ref("net");
    await network.connect({ id: "c1" }, {
      aliases: ["web"],
      ipv4Address: "10.1.0.5",
      ipv6Address: "fd00::5",
      links: ["db:db"],
      driverOpts: { a: "b" },
      endpointConfig: { MacAddress: "02:42:ac:11:00:02", IPAMConfig: { LinkLocalIPs: ["169.254.0.9"] } },
    });
    await network.disconnect("c1", { force: true });
    expect(log[0]!.path).toBe("/v1.41/networks/net/connect");
    expect(JSON.parse(log[0]!.body)).toEqual({
      Container: "c1",
      EndpointConfig: {
        MacAddress: "02:42:ac:11:00:02",
        Aliases: ["web"],
        Links: ["db:db"],
        DriverOpts: { a: "b" },
        IPAMConfig: { LinkLocalIPs: ["169.254.0.9"], IPv4Address: "10.1.0.5", IPv6Address: "fd00::5" },
      },
    });
    expect(JSON.parse(log[1]!.body)).toEqual({ Container: "c1", Force: true });
  });
});

describe("services", () => {
  it("create sends X-Registry-Auth as base64url JSON and returns the id and warnings", async () => {
    const log = record(() => HttpResponse.json({ ID: "svc1", Warnings: ["image could not be accessed"] }));
    const service = await docker("1.41").services.create(
      { Name: "web", TaskTemplate: { ContainerSpec: { Image: "registry.example.com/app:1" } } },
      { auth: { username: "ü", password: "p?>>", serveraddress: "registry.example.com" } },
    );
    expect(service.id).toBe("svc1");
    expect(service.warnings).toEqual(["image could not be accessed"]);
    const header = log[0]!.headers.get("x-registry-auth");
    expect(header).not.toMatch(/[+/]/);
    expect(decodeAuth(header)).toEqual({ username: "ü", password: "p?>>", serveraddress: "registry.example.com" });
  });

  it("update takes the version from inspect and passes registryAuthFrom and rollback", async () => {
    const log = record(({ method }) =>
      method === "GET"
        ? HttpResponse.json({ ID: "s", Version: { Index: 42 }, Spec: { Name: "web", Mode: { Replicated: { Replicas: 1 } } } })
        : HttpResponse.json({ Warnings: null }),
    );
    const service = docker("1.41").services.ref("s");
    expect(await service.scale(4, { registryAuthFrom: "previous-spec", auth: "already-encoded" })).toEqual({ Warnings: [] });
    await service.rollback();
    await service.update({ Name: "web" }, { version: 7 });
    const posts = log.filter((s) => s.method === "POST");
    expect(posts.map((s) => Object.fromEntries(s.query))).toEqual([
      { version: "42", registryAuthFrom: "previous-spec" },
      { version: "42", rollback: "previous" },
      { version: "7" },
    ]);
    expect(JSON.parse(posts[0]!.body)).toEqual({ Name: "web", Mode: { Replicated: { Replicas: 4 } } });
    expect(posts[0]!.headers.get("x-registry-auth")).toBe("already-encoded");
    expect(log.filter((s) => s.method === "GET")).toHaveLength(2); // the explicit version needs no read
  });

  it("logsRaw asks for both streams by default", async () => {
    const log = record(() => new HttpResponse(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69]), { headers: { "content-type": "application/vnd.docker.multiplexed-stream" } }));
    const response = await docker("1.41").services.ref("s").logsRaw({ tail: 5, since: new Date(2_000_000) });
    expect(new Uint8Array(await new Response(response.body).arrayBuffer())).toEqual(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69]));
    expect(Object.fromEntries(log[0]!.query)).toEqual({ stdout: "1", stderr: "1", tail: "5", since: "2000.000000000" });
  });
});

describe("secrets, configs, swarm, plugins", () => {
  it("secrets and configs base64 their data; config data decodes back", async () => {
    const log = record(({ path }) => (path.includes("create") ? HttpResponse.json({ ID: "id1" }) : HttpResponse.json({ ID: "id1", Spec: { Name: "c", Data: "4pyTCg==" } })));
    const secret = await docker("1.41").secrets.create({ Name: "s", Data: new Uint8Array([0, 255, 128]) });
    expect(secret.id).toBe("id1");
    await docker("1.41").configs.create({ Name: "c", Data: "✓\n" });
    expect(JSON.parse(log[0]!.body)).toEqual({ Name: "s", Data: "AP+A" });
    expect(JSON.parse(log[1]!.body)).toEqual({ Name: "c", Data: "4pyTCg==" });
    const config = await docker("1.41").configs.get("c");
    expect(config.text()).toBe("✓\n");
  });

  it("swarm update without a spec resends the current one with the rotation flags", async () => {
    const log = record(({ method }) =>
      method === "GET" ? HttpResponse.json({ ID: "sw", Version: { Index: 9 }, Spec: { Name: "default", Labels: { a: "b" } } }) : new HttpResponse(null, { status: 200 }),
    );
    await docker("1.41").swarm.update(undefined, { rotateWorkerToken: true, rotateManagerUnlockKey: false });
    expect(Object.fromEntries(log[1]!.query)).toEqual({ version: "9", rotateWorkerToken: "1", rotateManagerUnlockKey: "0" });
    expect(JSON.parse(log[1]!.body)).toEqual({ Name: "default", Labels: { a: "b" } });
  });

  it("plugin set accepts a record; pull sends privileges and auth; create sends tar", async () => {
    const log = record(() => new HttpResponse(null, { status: 204 }));
    const plugin = docker("1.41").plugins.ref("p:latest");
    await plugin.set({ DEBUG: "1", "mount.source": "/x" });
    await docker("1.41").plugins.pull("vieux/sshfs", { name: "sshfs", privileges: [{ Name: "network", Value: ["host"] }], auth: { username: "u" } });
    await docker("1.41").plugins.create("mine", [{ name: "config.json", data: "{}" }]);
    expect(JSON.parse(log[0]!.body)).toEqual(["DEBUG=1", "mount.source=/x"]);
    expect(log[0]!.path).toBe("/v1.41/plugins/p%3Alatest/set");
    expect(Object.fromEntries(log[1]!.query)).toEqual({ remote: "vieux/sshfs", name: "sshfs" });
    expect(JSON.parse(log[1]!.body)).toEqual([{ Name: "network", Value: ["host"] }]);
    expect(decodeAuth(log[1]!.headers.get("x-registry-auth"))).toEqual({ username: "u" });
    expect(log[2]!.headers.get("content-type")).toBe("application/x-tar");
    expect(log[2]!.body.slice(0, 11)).toBe("config.json");
  });
});
