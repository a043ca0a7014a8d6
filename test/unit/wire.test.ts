// The one writer of HTTP/1.1 request heads (src/transport/http/wire.ts), on its own and through the Node pool
// against a fake engine that keeps the raw bytes: a hostile header value must never become a second
// request on a pooled connection, whose answer the next caller would receive.
import { afterEach, describe, expect, it } from "vitest";
import { Docker } from "../../adapters/node.ts";
import { NodeTransport } from "../../adapters/node-transport.ts";
import { Client } from "../../src/request/engine.ts";
import { DockerConfigError } from "../../src/errors/errors.ts";
import { upgrade } from "../../src/transport/http/upgrade.ts";
import { latin1Bytes, requestHead } from "../../src/transport/http/wire.ts";
import type { Duplex } from "../../src/transport/transport.ts";
import { json, startFakeEngine, type FakeEngine } from "./fake-engine.ts";

const engines: FakeEngine[] = [];
const dockers: Docker[] = [];
afterEach(async () => {
  for (const d of dockers.splice(0)) await d.close();
  for (const e of engines.splice(0)) await e.close();
});

async function engineAndDocker(): Promise<{ engine: FakeEngine; docker: Docker }> {
  const engine = await startFakeEngine((req, socket) => {
    if (req.path.endsWith("/images/create?fromImage=busybox&tag=latest")) {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
      const line = '{"status":"Downloaded"}\n';
      socket.write(`${line.length.toString(16)}\r\n${line}\r\n0\r\n\r\n`);
      return;
    }
    json(socket, { answered: req.line });
  });
  engines.push(engine);
  const docker = new Docker({ socketPath: engine.path, version: "1.41", maxSockets: 1 });
  dockers.push(docker);
  return { engine, docker };
}

// Characters whose low byte is CR, LF or a space: Latin-1 truncation would write them as such.
const SMUGGLING = [
  ["\\u010D\\u010A (CR LF after truncation)", "x\u010D\u010AGET /v1.41/info HTTP/1.1\u010D\u010AHost: docker\u010D\u010A\u010D\u010A"],
  ["\\u0120 (a space after truncation)", "a\u0120b"],
  ["\\u0100 (NUL after truncation)", "a\u0100b"],
  ["a bare CR", "a\rb"],
  ["a bare LF", "a\nGET /info HTTP/1.1"],
  ["NUL", "a\0b"],
  ["DEL", "a\x7fb"],
  ["an emoji", "ok\u{1F600}"],
] as const;

describe("wire: request heads", () => {
  it("writes method, path, Host, the caller's headers and the body's own length, in one place", () => {
    const head = requestHead({ method: "POST", path: "/v1.41/x?a=%20", host: "docker", headers: { "X-Trace": "t\t1", Accept: "*/*" }, body: 5 });
    expect(head).toBe("POST /v1.41/x?a=%20 HTTP/1.1\r\nHost: docker\r\nX-Trace: t\t1\r\nAccept: */*\r\nContent-Length: 5\r\n\r\n");
    expect(requestHead({ method: "POST", path: "/x", host: "h" })).toContain("Content-Length: 0\r\n");
    expect(requestHead({ method: "GET", path: "/x", host: "h" })).not.toContain("Content-Length");
    expect(requestHead({ method: "PUT", path: "/x", host: "h", body: "chunked" })).toContain("Transfer-Encoding: chunked\r\n");
  });

  it("drops a caller's Content-Length, Transfer-Encoding and Connection: the framing is the body's", () => {
    const head = requestHead({
      method: "POST",
      path: "/x",
      host: "docker",
      headers: { "Content-Length": "0", "transfer-encoding": "chunked", Connection: "close", "X-Ok": "1" },
      body: 12,
    });
    expect(head).toBe("POST /x HTTP/1.1\r\nHost: docker\r\nX-Ok: 1\r\nContent-Length: 12\r\n\r\n");
  });

  it("keeps obs-text (bytes 0x80-0xff) one byte per character", () => {
    const head = requestHead({ method: "GET", path: "/x", host: "docker", headers: { "X-Name": "caf\u00e9" } });
    const bytes = latin1Bytes(head);
    expect(bytes.length).toBe(head.length);
    expect([...bytes.subarray(head.indexOf("caf") + 3, head.indexOf("caf") + 4)]).toEqual([0xe9]);
  });

  it.each(SMUGGLING)("refuses a header value with %s, naming the header but not the value", (_label, value) => {
    const attempt = () => requestHead({ method: "GET", path: "/x", host: "docker", headers: { "X-Registry-Auth": value } });
    expect(attempt).toThrow(DockerConfigError);
    expect(attempt).toThrow(/X-Registry-Auth/);
    try {
      attempt();
    } catch (err) {
      expect((err as Error).message).not.toContain(value);
    }
  });

  it.each(SMUGGLING)("refuses a Host with %s, given or from the headers", (_label, value) => {
    expect(() => requestHead({ method: "GET", path: "/x", host: value })).toThrow(DockerConfigError);
    expect(() => requestHead({ method: "GET", path: "/x", host: "docker", headers: { host: value } })).toThrow(DockerConfigError);
  });

  it.each([
    ["a space", "/a b"],
    ["CR LF", "/a\r\nX: 1"],
    ["\\u0120", "/a\u0120HTTP/1.1"],
    ["\\u010D\\u010A", "/a\u010D\u010A"],
    ["DEL", "/a\x7f"],
    ["no leading slash", "a"],
    ["a raw é", "/caf\u00e9"],
  ])("refuses a path with %s", (_label, path) => {
    expect(() => requestHead({ method: "GET", path, host: "docker" })).toThrow(DockerConfigError);
  });

  it.each([["GET /x"], ["G\u0115T"], [""], ["GET\r\n"]])("refuses the method %j", (method) => {
    expect(() => requestHead({ method, path: "/x", host: "docker" })).toThrow(DockerConfigError);
  });

  it("refuses header names that are not tokens", () => {
    for (const name of ["X A", "X\r\nY", "X:Y", "\u0158", ""]) {
      expect(() => requestHead({ method: "GET", path: "/x", host: "docker", headers: { [name]: "1" } })).toThrow(DockerConfigError);
    }
  });
});

describe("wire: the upgrade handshake uses the same rule", () => {
  it.each(SMUGGLING)("refuses %s in a header of attach before writing a byte", async (_label, value) => {
    let written = 0;
    let closed = 0;
    const duplex: Duplex = {
      readable: new ReadableStream(),
      writable: new WritableStream({ write: () => void written++ }),
      close: () => void closed++,
    };
    const error = await upgrade(duplex, { method: "POST", path: "/v1.41/containers/c/attach?stream=1", headers: { "X-Registry-Auth": value } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerConfigError);
    expect(written).toBe(0);
    expect(closed).toBe(1);
  });
});

describe("wire: the Node pool against a fake engine", () => {
  it("puts no second request on the wire for images.pull(ref, { auth: <CR LF smuggling> }); the pooled next call gets its own answer", async () => {
    const { engine, docker } = await engineAndDocker();
    // A first call opens the one pooled connection.
    expect(await docker.client.json({ method: "GET", path: "/version" })).toEqual({ answered: "GET /v1.41/version HTTP/1.1" });

    const auth = "\u010D\u010AGET /v1.41/info HTTP/1.1\u010D\u010AHost: docker\u010D\u010A\u010D\u010A";
    await expect(docker.images.pull("busybox:latest", { auth })).rejects.toBeInstanceOf(DockerConfigError);

    const next = await docker.client.json({ method: "GET", path: "/version" });
    expect(next).toEqual({ answered: "GET /v1.41/version HTTP/1.1" });
    // Exactly the two version calls reached the engine, on the same kept-alive connection.
    expect(engine.requests.map((r) => r.line)).toEqual(["GET /v1.41/version HTTP/1.1", "GET /v1.41/version HTTP/1.1"]);
    expect(engine.connections).toBe(1);
    expect(engine.raw[0]!.includes("/info")).toBe(false);
  });

  it("a valid pull still goes out with its auth header untouched", async () => {
    const { engine, docker } = await engineAndDocker();
    const auth = "eyJ1c2VybmFtZSI6Im1lIn0"; // base64url, as encodeRegistryAuth writes it
    await docker.images.pullStream("busybox:latest", { auth }).then((s) => s.done());
    const pull = engine.requests.find((r) => r.path.includes("/images/create"))!;
    expect(pull.headers.get("x-registry-auth")).toBe(auth);
    expect(engine.requests).toHaveLength(1);
  });

  it("sends a body's real length, whatever Content-Length or Transfer-Encoding the caller claims", async () => {
    const { engine } = await engineAndDocker();
    const transport = new NodeTransport({ socketPath: engine.path });
    try {
      for (const claimed of [{ "Content-Length": "0" }, { "content-length": "3" }, { "Transfer-Encoding": "chunked" }] as Record<string, string>[]) {
        const body = '{"a":"GET /v1.41/info HTTP/1.1\\r\\n"}';
        const response = await transport.request({ method: "POST", path: "/v1.41/x", headers: { ...claimed, "Content-Type": "application/json" }, body });
        await response.text();
      }
      expect(engine.requests.map((r) => r.line)).toEqual(Array(3).fill("POST /v1.41/x HTTP/1.1"));
      for (const r of engine.requests) {
        expect(r.headers.get("content-length")).toBe(String(Buffer.byteLength('{"a":"GET /v1.41/info HTTP/1.1\\r\\n"}')));
        expect(r.headers.has("transfer-encoding")).toBe(false);
      }
      // A stream body goes chunked even when the caller claims a length.
      const stream = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(new TextEncoder().encode("abcdef")); c.close(); } });
      await (await transport.request({ method: "POST", path: "/v1.41/y", headers: { "Content-Length": "2" }, body: stream })).text();
      const last = engine.requests.at(-1)!;
      expect(last.headers.get("transfer-encoding")).toBe("chunked");
      expect(last.headers.has("content-length")).toBe(false);
      expect(last.body.toString()).toBe("abcdef");
      expect(engine.requests).toHaveLength(4);
    } finally {
      await transport.close();
    }
  });

  it("rejects (not throws) for a refused head, and the pool goes on", async () => {
    const { engine } = await engineAndDocker();
    const transport = new NodeTransport({ socketPath: engine.path });
    try {
      const pending = transport.request({ method: "GET", path: "/v1.41/x", headers: { "X-A": "\u010D\u010A" } });
      await expect(pending).rejects.toBeInstanceOf(DockerConfigError);
      await (await transport.request({ method: "GET", path: "/v1.41/ok", headers: {} })).text();
      expect(engine.requests.map((r) => r.path)).toEqual(["/v1.41/ok"]);
    } finally {
      await transport.close();
    }
  });
});

describe("wire: every transport refuses the same headers", () => {
  it.each(SMUGGLING)("the core refuses %s before any transport sees the request (fetch, Bun, Deno alike)", async (_label, value) => {
    const seen: unknown[] = [];
    const transport = {
      address: "fake://",
      request: async (req: unknown) => (seen.push(req), new Response("{}")),
      connect: async (): Promise<Duplex> => {
        seen.push("connect");
        throw new Error("unused");
      },
    };
    const client = new Client({ transport, version: "1.41" });
    await expect(client.json({ method: "GET", path: "/info", headers: { "X-Registry-Auth": value } })).rejects.toBeInstanceOf(DockerConfigError);
    await expect(client.hijack({ method: "POST", path: "/containers/{id}/attach", params: { id: "c" }, headers: { "X-Registry-Auth": value } })).rejects.toBeInstanceOf(DockerConfigError);
    expect(seen).toEqual([]);
  });
});
