// FetchTransport (browsers, edge, and the base of the Bun and Deno transports) under Node's fetch,
// against a fake engine writing raw bytes: a body cut before its Content-Length or last chunk is a
// DockerConnectionError, a header fetch refuses is a DockerConfigError that never quotes the value,
// and the EOF probe tells a live engine from a dead one.
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DockerConfigError, DockerConnectionError } from "../../src/errors/errors.ts";
import { FetchTransport } from "../../src/transport/fetch.ts";

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
afterEach(async () => {
  // fetch keeps idle connections open: drop them, or close() waits for its keep-alive timeout.
  for (const socket of sockets) socket.destroy();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A fake engine answering each request head with `answer(path)`, then ending the connection if asked. */
async function fakeEngine(answer: (path: string) => { bytes: string; end?: boolean }): Promise<{ base: string; requests: string[] }> {
  const requests: string[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let head = "";
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      head += chunk.toString("latin1");
      for (let end = head.indexOf("\r\n\r\n"); end >= 0; end = head.indexOf("\r\n\r\n")) {
        const path = head.split(" ")[1] ?? "";
        head = head.slice(end + 4);
        requests.push(path);
        const { bytes, end: close } = answer(path);
        socket.write(bytes, "latin1");
        if (close) socket.end();
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { base: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, requests };
}

/** Exposes the EOF probe the Bun and Deno transports call. */
class Probing extends FetchTransport {
  probe(): Promise<Error | undefined> {
    return this.confirmEnd();
  }
}

describe("FetchTransport", () => {
  it("a body shorter than its Content-Length fails as a DockerConnectionError (text and stream)", async () => {
    const { base } = await fakeEngine(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{"ID":"fake"', end: true }));
    const t = new FetchTransport(base);
    const text = await t.request({ method: "GET", path: "/info", headers: {} });
    const err = await text.text().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConnectionError);
    expect((err as DockerConnectionError).code).toBe("ECONNRESET");
    expect((err as Error).message).toMatch(/closed before the response ended/);

    const streamed = await t.request({ method: "GET", path: "/info", headers: {} });
    const reader = streamed.body!.getReader();
    const read = async () => { for (;;) if ((await reader.read()).done) return; };
    await expect(read()).rejects.toBeInstanceOf(DockerConnectionError);
  });

  it("a chunked body without its last chunk fails as a DockerConnectionError; a complete one reads", async () => {
    const { base } = await fakeEngine((path) =>
      path === "/cut"
        ? { bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nline 1\n\r\n", end: true }
        : { bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nline 1\n\r\n0\r\n\r\n" },
    );
    const t = new FetchTransport(base);
    expect(await (await t.request({ method: "GET", path: "/whole", headers: {} })).text()).toBe("line 1\n");
    const cut = await t.request({ method: "GET", path: "/cut", headers: {} });
    await expect(cut.text()).rejects.toBeInstanceOf(DockerConnectionError);
  });

  it("a header fetch refuses is a DockerConfigError naming it, without the value, and nothing is sent", async () => {
    const { base, requests } = await fakeEngine(() => ({ bytes: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK" }));
    const t = new FetchTransport(base);
    for (const [name, value] of [["x-crlf", "secret\r\nX-Injected: 1"], ["x bad name", "1"], ["x-wide", "secret\u0100"], ["x-nul", "secret\0"]]) {
      const err = await t.request({ method: "GET", path: "/_ping", headers: { [name!]: value! } }).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(DockerConfigError);
      expect((err as Error).message).toContain(JSON.stringify(name));
      expect((err as Error).message).not.toMatch(/secret/);
    }
    expect(requests).toEqual([]);
  });

  it("the EOF probe: undefined while the engine answers /_ping, an error naming the cause once it is gone", async () => {
    const { base, requests } = await fakeEngine(() => ({ bytes: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK" }));
    const t = new Probing(base);
    expect(await t.probe()).toBeUndefined();
    expect(requests).toEqual(["/_ping"]);
    for (const socket of sockets) socket.destroy();
    for (const server of servers.splice(0)) server.close();
    const gone = await new Probing(base).probe();
    expect(gone).toBeInstanceOf(DockerConnectionError);
    expect(gone!.message).toMatch(/no longer answers/);
  });

  it("a body that runs to the connection's end (exec without stdin) ends only once the engine answers a ping", async () => {
    const { base, requests } = await fakeEngine((path) =>
      path === "/_ping"
        ? { bytes: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK" }
        : { bytes: "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nhello\n", end: true },
    );
    const t = new FetchTransport(base);
    expect(await (await t.request({ method: "POST", path: "/exec/x/start", headers: {} })).text()).toBe("hello\n");
    expect(requests).toEqual(["/exec/x/start", "/_ping"]);

    const dying = await t.request({ method: "POST", path: "/exec/x/start", headers: {} });
    // The engine goes away before the EOF is confirmed.
    for (const socket of sockets) socket.destroy();
    for (const server of servers.splice(0)) server.close();
    const err = await dying.text().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConnectionError);
    expect((err as Error).message).toMatch(/no longer answers/);
  });
});
