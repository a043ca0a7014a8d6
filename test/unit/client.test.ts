// The core against a mocked engine (msw intercepts the global fetch under FetchTransport).
import { http, HttpResponse, delay } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Docker } from "../../src/docker.ts";
import {
  DockerAbortError,
  DockerBadRequestError,
  DockerConflictError,
  DockerHttpError,
  DockerNotFoundError,
  DockerServerError,
  DockerTimeoutError,
  DockerUnauthorizedError,
  DockerVersionError,
} from "../../src/errors/errors.ts";
import { FetchTransport } from "../../src/transport/fetch.ts";

const BASE = "http://engine.test";
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function docker(options: { version?: string; timeout?: number } = {}) {
  return new Docker({ transport: new FetchTransport(BASE), ...options });
}

function pingHandler(version: string | null, counter?: { n: number }) {
  return http.get(`${BASE}/_ping`, () => {
    if (counter) counter.n++;
    return new HttpResponse("OK", { headers: version ? { "Api-Version": version } : {} });
  });
}

describe("version negotiation", () => {
  it("negotiates once, even under concurrent first calls, and prefixes paths", async () => {
    const pings = { n: 0 };
    const seen: string[] = [];
    server.use(
      pingHandler("1.41", pings),
      http.get(`${BASE}/v1.41/info`, ({ request }) => {
        seen.push(new URL(request.url).pathname);
        return HttpResponse.json({ ID: "x" });
      }),
    );
    const d = docker();
    await Promise.all(Array.from({ length: 20 }, () => d.info()));
    expect(pings.n).toBe(1);
    expect(seen).toHaveLength(20);
    expect(await d.apiVersion()).toBe("1.41");
  });

  it("uses berth's newest version with a newer engine", async () => {
    server.use(pingHandler("1.99"));
    expect(await docker().apiVersion()).toBe("1.55");
  });

  it("falls back to GET /version when Api-Version is not readable (browsers)", async () => {
    server.use(pingHandler(null), http.get(`${BASE}/version`, () => HttpResponse.json({ ApiVersion: "1.43" })));
    expect(await docker().apiVersion()).toBe("1.43");
  });

  it("refuses an engine older than the supported minimum, clearly", async () => {
    server.use(pingHandler("1.12"));
    const err = await docker().apiVersion().catch((e) => e);
    expect(err).toBeInstanceOf(DockerVersionError);
    expect(err.message).toMatch(/speaks API 1\.12; berth needs at least 1\.24/);
  });

  it("a pinned version skips negotiation", async () => {
    server.use(http.get(`${BASE}/v1.30/_ping`, () => new HttpResponse("OK")));
    const d = docker({ version: "v1.30" });
    expect(await d.ping()).toBe("OK");
  });

  it("retries negotiation after a failure", async () => {
    let fail = true;
    server.use(http.get(`${BASE}/_ping`, () => (fail ? HttpResponse.error() : new HttpResponse("OK", { headers: { "Api-Version": "1.41" } }))));
    const d = docker();
    await expect(d.apiVersion()).rejects.toThrow();
    fail = false;
    expect(await d.apiVersion()).toBe("1.41");
  });

  it("refuses an operation newer than the engine, naming the version it needs", async () => {
    server.use(pingHandler("1.41"));
    const err = await docker().request("PUT /volumes/{name}", { path: { name: "v" }, query: { version: 1 }, body: {} as never }).catch((e) => e);
    expect(err).toBeInstanceOf(DockerVersionError);
    expect(err.required).toBe("1.42");
    expect(err.message).toContain("needs API 1.42");
  });

  it("refuses on an API 1.42 engine what came after 1.42, before sending it", async () => {
    // Docker 23 answers "page not found" for attestations and ignores a history platform.
    server.use(pingHandler("1.42"));
    const image = docker().images.ref("busybox");
    const err = await image.attestations().catch((e) => e);
    expect(err).toBeInstanceOf(DockerVersionError);
    expect(err.required).toBe("1.55");
    expect(err.actual).toBe("1.42");
    const param = await docker().request("GET /images/{name}/history", { path: { name: "busybox" }, query: { platform: '{"os":"linux"}' } }).catch((e) => e);
    expect(param).toBeInstanceOf(DockerVersionError);
    expect(param.message).toContain('"platform" parameter of GET /images/{name}/history needs API 1.48');
  });

  it("refuses a query parameter newer than the engine", async () => {
    server.use(pingHandler("1.41"));
    const c = docker().containers.ref("abc");
    const err = await c.stop({ stopSignal: "SIGINT" }).catch((e) => e);
    expect(err).toBeInstanceOf(DockerVersionError);
    expect(err.message).toContain('"signal" parameter');
  });
});

describe("errors", () => {
  const cases: Array<[number, new (...a: never[]) => DockerHttpError]> = [
    [400, DockerBadRequestError],
    [401, DockerUnauthorizedError],
    [403, DockerUnauthorizedError],
    [404, DockerNotFoundError],
    [409, DockerConflictError],
    [500, DockerServerError],
    [418, DockerHttpError],
  ];
  it.each(cases)("%i becomes the matching class with the daemon's message, method and path", async (status, Class) => {
    server.use(pingHandler("1.41"), http.post(`${BASE}/v1.41/containers/:id/start`, () => HttpResponse.json({ message: `daemon says ${status}` }, { status })));
    const err = await docker().containers.ref("my container").start().catch((e) => e);
    expect(err).toBeInstanceOf(Class);
    expect(err.status).toBe(status);
    expect(err.reason).toBe(`daemon says ${status}`);
    expect(err.method).toBe("POST");
    expect(err.path).toBe("/containers/my%20container/start");
    expect(err.message).toContain(`daemon says ${status}`);
  });

  it("a plain-text error body is the message", async () => {
    server.use(pingHandler("1.41"), http.get(`${BASE}/v1.41/info`, () => new HttpResponse("page not found\n", { status: 404 })));
    const err = await docker().info().catch((e) => e);
    expect(err.reason).toBe("page not found");
  });

  it("a redirect is never followed and fails as not found", async () => {
    server.use(pingHandler("1.41"), http.get(`${BASE}/v1.41/containers/:id/json`, () => new HttpResponse(null, { status: 301, headers: { location: "/v1.41/images/json" } })));
    const err = await docker().containers.get("x//y").catch((e) => e);
    expect(err).toBeInstanceOf(DockerNotFoundError);
  });

  it("304 (already started) is success", async () => {
    server.use(pingHandler("1.41"), http.post(`${BASE}/v1.41/containers/:id/start`, () => new HttpResponse(null, { status: 304 })));
    await expect(docker().containers.ref("c").start()).resolves.toBeUndefined();
  });
});

describe("timeouts and aborts", () => {
  it("times out when headers never come, with a typed error", async () => {
    server.use(pingHandler("1.41"), http.get(`${BASE}/v1.41/info`, async () => {
      await delay("infinite");
      return HttpResponse.json({});
    }));
    const err = await docker({ timeout: 100 }).info().catch((e) => e);
    expect(err).toBeInstanceOf(DockerTimeoutError);
    expect(err.message).toContain("timed out after 100 ms");
  });

  it("the timeout does not limit a stream once headers arrived", async () => {
    server.use(pingHandler("1.41"), http.get(`${BASE}/v1.41/events`, () => {
      const stream = new ReadableStream({
        async start(controller) {
          await delay(300);
          controller.enqueue(new TextEncoder().encode('{"status":"x"}\n'));
          controller.close();
        },
      });
      return new HttpResponse(stream, { headers: { "content-type": "application/json" } });
    }));
    const res = await docker({ timeout: 100 }).requestRaw("GET /events");
    // Read as a stream: the idle timeout covers only bodies collected into a value (text()).
    expect(await new Response(res.body).text()).toBe('{"status":"x"}\n');
  });

  it("an abort is distinguishable from a timeout", async () => {
    server.use(pingHandler("1.41"), http.get(`${BASE}/v1.41/info`, async () => {
      await delay("infinite");
      return HttpResponse.json({});
    }));
    const controller = new AbortController();
    const pending = docker({ timeout: 10_000 }).info({ signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const err = await pending.catch((e) => e);
    expect(err).toBeInstanceOf(DockerAbortError);
    expect(err).not.toBeInstanceOf(DockerTimeoutError);
  });

  it("an already aborted signal sends nothing", async () => {
    const err = await docker({ version: "1.41" }).info({ signal: AbortSignal.abort() }).catch((e) => e);
    expect(err).toBeInstanceOf(DockerAbortError);
  });
});

describe("request building", () => {
  it("sends JSON bodies, query and extra headers", async () => {
    let seen: { url: string; body: unknown; type: string | null; extra: string | null } | undefined;
    server.use(pingHandler("1.41"), http.post(`${BASE}/v1.41/containers/create`, async ({ request }) => {
      seen = { url: request.url, body: await request.json(), type: request.headers.get("content-type"), extra: request.headers.get("x-extra") };
      return HttpResponse.json({ Id: "abc", Warnings: ["w"] }, { status: 201 });
    }), http.get(`${BASE}/v1.41/containers/abc/json`, () => HttpResponse.json({ Id: "abc", Name: "/n 1" })));
    const c = await docker().containers.create({ Image: "busybox", Cmd: ["true"] }, { name: "n 1", headers: { "x-extra": "1" } });
    expect(c.id).toBe("abc");
    expect(c.warnings).toEqual(["w"]);
    expect(c.name).toBe("n 1"); // create() inspects: attrs are filled
    expect(seen!.url).toBe(`${BASE}/v1.41/containers/create?name=n%201`);
    expect(seen!.body).toEqual({ Image: "busybox", Cmd: ["true"] });
    expect(seen!.type).toBe("application/json");
    expect(seen!.extra).toBe("1");
  });

  it("list is one request however many items", async () => {
    let calls = 0;
    server.use(pingHandler("1.41"), http.get(`${BASE}/v1.41/containers/json`, () => {
      calls++;
      return HttpResponse.json(Array.from({ length: 50 }, (_, i) => ({ Id: `id${i}`, Names: [`/n${i}`] })));
    }));
    const list = await docker().containers.list({ all: true });
    expect(list).toHaveLength(50);
    expect(list[3]!.name).toBe("n3");
    expect(calls).toBe(1);
  });
});
