// berth-docker/lite: the standalone functions build the same requests as the client, map errors
// to the same classes, and refuse wrong arguments before anything is sent.

import { describe, expect, it } from "vitest";
import * as lite from "../../adapters/lite.ts";
import { DockerNotFoundError as CoreNotFound } from "../../src/index.ts";

function fakeFetch(answer: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return answer(url, init);
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}
const json = (value: unknown, status = 200) => new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });

describe("berth-docker/lite", () => {
  it("lists containers with the client's query encoding, on unversioned paths unless pinned", async () => {
    const { fetch, calls } = fakeFetch(() => json([{ Id: "a", Names: ["/web"] }]));
    const engine = lite.connect({ url: "http://127.0.0.1:2375/", fetch, headers: { "x-proxy": "1" } });
    const list = await lite.listContainers(engine, { all: true, filters: { label: "app=web" } });
    expect(list).toEqual([{ Id: "a", Names: ["/web"] }]);
    expect(calls[0]!.url).toBe(`http://127.0.0.1:2375/containers/json?all=1&filters=${encodeURIComponent('{"label":["app=web"]}')}`);
    expect(calls[0]!.init.method).toBe("GET");
    expect(calls[0]!.init.redirect).toBe("manual");
    expect(calls[0]!.init.headers).toEqual({ "x-proxy": "1" });
    const pinned = lite.connect({ url: "https://example.com/docker", version: "1.41", fetch });
    await lite.ping(pinned);
    expect(calls[1]!.url).toBe("https://example.com/docker/v1.41/_ping");
  });

  it("maps an error status to the DockerError family the client throws", async () => {
    const { fetch } = fakeFetch(() => json({ message: "No such container: nope" }, 404));
    const engine = lite.connect({ url: "http://127.0.0.1:2375", fetch });
    const err = await lite.inspectContainer(engine, "nope").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(lite.DockerNotFoundError);
    expect(err).toBeInstanceOf(CoreNotFound);
    expect((err as lite.DockerHttpError).reason).toBe("No such container: nope");
    expect((err as Error).message).toBe("GET /containers/nope/json failed with 404: No such container: nope");
  });

  it("takes 304 (already started or stopped) as done", async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 304 }));
    const engine = lite.connect({ url: "http://127.0.0.1:2375", fetch });
    await lite.startContainer(engine, "web");
    await lite.stopContainer(engine, "web", { t: 3 });
    expect(calls.map((c) => `${c.init.method} ${c.url}`)).toEqual(["POST http://127.0.0.1:2375/containers/web/start", "POST http://127.0.0.1:2375/containers/web/stop?t=3"]);
  });

  it("refuses wrong arguments before any request", async () => {
    const { fetch, calls } = fakeFetch(() => json({}));
    expect(() => lite.connect({ url: "unix:///var/run/docker.sock", fetch })).toThrow(lite.DockerConfigError);
    expect(() => lite.connect({ url: "http://user:secret@host:2375", fetch })).toThrow(/without credentials/);
    expect(() => lite.connect({ url: "http://user:secret@host:2375", fetch })).not.toThrow(/secret/);
    expect(() => lite.connect({ url: "http://h:2375", version: "latest", fetch })).toThrow(/like "1.41"/);
    const engine = lite.connect({ url: "http://127.0.0.1:2375", fetch });
    for (const id of ["", "..", undefined, 42]) await expect(lite.removeContainer(engine, id as string)).rejects.toThrow(lite.DockerConfigError);
    expect(calls).toEqual([]);
  });

  it("a failed fetch is a DockerConnectionError; a passed timeout a DockerTimeoutError; the caller's abort a DockerAbortError", async () => {
    const down = lite.connect({ url: "http://127.0.0.1:2375", fetch: fakeFetch(() => Promise.reject(new TypeError("Failed to fetch"))).fetch });
    await expect(lite.ping(down)).rejects.toBeInstanceOf(lite.DockerConnectionError);
    const hang = (_url: string, init: RequestInit) => new Promise<Response>((_, reject) => init.signal!.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" }))));
    const slow = lite.connect({ url: "http://127.0.0.1:2375", timeout: 20, fetch: fakeFetch(hang).fetch });
    await expect(lite.ping(slow)).rejects.toBeInstanceOf(lite.DockerTimeoutError);
    const controller = new AbortController();
    const call = lite.ping(slow, { signal: controller.signal, timeout: 0 });
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(lite.DockerAbortError);
  });
});
