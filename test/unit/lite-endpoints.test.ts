// berth-docker/lite's generated endpoint functions (containerList, networkCreate, ...) against an
// engine mocked with msw: the requests they make through the lite handle, the answers typed as
// the full client types them, and versions checked before an older engine is sent what it ignores.

import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import * as lite from "../../adapters/lite.ts";
import { BASE, mockedEngine } from "./mocked-engine.ts";

const { server } = mockedEngine();

interface Seen {
  method: string;
  url: URL;
  type: string | null;
  body: string;
}

/** Records every request; `reply` answers it (200 `{}` by default). */
function record(reply: (seen: Seen) => Response = () => HttpResponse.json({})): Seen[] {
  const log: Seen[] = [];
  server.use(
    http.all(`${BASE}/*`, async ({ request }) => {
      const seen = { method: request.method, url: new URL(request.url), type: request.headers.get("content-type"), body: await request.text() };
      log.push(seen);
      return reply(seen);
    }),
  );
  return log;
}

describe("berth-docker/lite endpoint functions", () => {
  it("send the spec's path, method and query, on unversioned paths unless pinned, and answer its JSON", async () => {
    const log = record(() => HttpResponse.json([{ Id: "a", Names: ["/web"] }]));
    const list = await lite.containerList(lite.connect({ url: BASE }), { all: true, filters: { label: ["app=web"] } });
    expect(list[0]!.Names).toEqual(["/web"]);
    await lite.imageList(lite.connect({ url: `${BASE}/docker`, version: "1.41" }), { digests: true });
    expect(log.map((s) => `${s.method} ${s.url.pathname}${s.url.search}`)).toEqual([
      `GET /containers/json?all=1&filters=${encodeURIComponent('{"label":["app=web"]}')}`,
      "GET /docker/v1.41/images/json?digests=1",
    ]);
  });

  it("send a body as JSON and path parameters encoded; 304 (already started) is done", async () => {
    const log = record((s) => (s.url.pathname.endsWith("/start") ? new HttpResponse(null, { status: 304 }) : HttpResponse.json({ Id: "n1", Warning: "" }, { status: 201 })));
    const engine = lite.connect({ url: BASE });
    const created = await lite.networkCreate(engine, { Name: "berth-lite", Labels: { "berth.test": "1" } });
    expect(created.Id).toBe("n1");
    await expect(lite.containerStart(engine, "web/1")).resolves.toBeUndefined();
    expect(log.map((s) => [s.method, s.url.pathname, s.type, s.body])).toEqual([
      ["POST", "/networks/create", "application/json", '{"Name":"berth-lite","Labels":{"berth.test":"1"}}'],
      ["POST", "/containers/web%2F1/start", null, ""],
    ]);
  });

  it("an error status is the typed error with status and the engine's message; no credentials in it", async () => {
    record((s) => (s.url.pathname === "/auth" ? HttpResponse.json({ message: "login attempt failed" }, { status: 401 }) : HttpResponse.json({ message: "No such container: nope" }, { status: 404 })));
    const engine = lite.connect({ url: BASE });
    const missing = await lite.containerInspect(engine, "nope").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(lite.DockerNotFoundError);
    expect((missing as lite.DockerHttpError).status).toBe(404);
    expect((missing as Error).message).toBe("GET /containers/nope/json failed with 404: No such container: nope");
    const denied = await lite.systemAuth(engine, { username: "me", password: "hunter2" }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(lite.DockerUnauthorizedError);
    expect(String((denied as Error).message)).not.toContain("hunter2");
  });

  it("an operation or parameter newer than a pinned version is a DockerVersionError before any request", async () => {
    const log = record();
    const engine = lite.connect({ url: BASE, version: "1.41" });
    const err = await lite.volumeUpdate(engine, "v", { Spec: {} }, { version: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(lite.DockerVersionError);
    expect((err as lite.DockerVersionError).required).toBe("1.42");
    expect((err as Error).message).toBe(`PUT /volumes/{name} needs API 1.42 or newer; the engine at ${BASE} speaks 1.41`);
    await expect(lite.containerStop(engine, "web", { stopSignal: "SIGINT" })).rejects.toThrow(/"signal" parameter of POST \/containers\/\{id\}\/stop needs API 1\.42/);
    await lite.containerStop(engine, "web", { t: 1 });
    expect(log.map((s) => `${s.method} ${s.url.pathname}${s.url.search}`)).toEqual(["POST /v1.41/containers/web/stop?t=1"]);
  });

  it("unpinned, the engine's version is asked once, only for a call that needs a newer one", async () => {
    let api = "1.41";
    const log = record((s) => (s.url.pathname === "/version" ? HttpResponse.json({ ApiVersion: api }) : new HttpResponse(null, { status: 204 })));
    const old = lite.connect({ url: BASE });
    await lite.containerStop(old, "web");
    await expect(lite.containerStop(old, "web", { stopSignal: "SIGINT" })).rejects.toBeInstanceOf(lite.DockerVersionError);
    await expect(lite.containerRestart(old, "web", { stopSignal: "SIGINT" })).rejects.toBeInstanceOf(lite.DockerVersionError);
    api = "1.43";
    await lite.containerStop(lite.connect({ url: BASE }), "web", { stopSignal: "SIGINT" });
    expect(log.map((s) => `${s.method} ${s.url.pathname}${s.url.search}`)).toEqual(["POST /containers/web/stop", "GET /version", "GET /version", "POST /containers/web/stop?signal=SIGINT"]);
  });

  it("a page's existing lite functions and the endpoint functions share one handle", async () => {
    record(() => HttpResponse.json([]));
    const engine = lite.connect({ url: BASE });
    expect(await lite.listContainers(engine)).toEqual([]);
    expect(await lite.networkList(engine)).toEqual([]);
  });
});
