// exchange(): one request on a raw connection of its own (Deno's streamed answers).

import { describe, expect, it } from "vitest";
import { exchange } from "../../src/transport/http/exchange.ts";
import type { Duplex } from "../../src/transport/transport.ts";
import { DockerConnectionError, DockerStreamError } from "../../src/errors/errors.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A duplex whose peer answers `reply` (pieces as separate reads) once the request head is in; records what was written. */
function peer(reply: string[], { hang = false } = {}) {
  const written: Uint8Array[] = [];
  let closed = 0;
  let i = 0;
  const duplex: Duplex = {
    readable: new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((r) => setTimeout(r, 1));
        if (i < reply.length) return controller.enqueue(enc.encode(reply[i++]));
        if (hang) return new Promise(() => {});
        controller.close();
      },
    }, { highWaterMark: 0 }),
    writable: new WritableStream<Uint8Array>({ write: (chunk) => void written.push(chunk.slice()) }),
    close: () => void closed++,
  };
  return { duplex, sent: () => written.map((w) => dec.decode(w)).join(""), closed: () => closed };
}

const CHUNKED_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

describe("exchange", () => {
  it("sends the head and body, and reads a chunked answer as one piece per read, closing at its end", async () => {
    const p = peer([CHUNKED_HEAD + "2\r\n{}\r\n3\r\n[1]", "\r\n", "1\r\n\n\r\n0\r\n\r\n"]);
    const res = await exchange(p.duplex, { method: "POST", path: "/v1.41/x?a=1", headers: { "X-A": "b" }, body: '{"k":1}' }, { address: "unix:///fake.sock" });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/json");
    const pieces: string[] = [];
    const reader = res.body!.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) pieces.push(dec.decode(r.value));
    expect(pieces).toEqual(["{}[1]", "\n"]);
    expect(p.sent()).toBe('POST /v1.41/x?a=1 HTTP/1.1\r\nHost: docker\r\nX-A: b\r\nContent-Length: 7\r\n\r\n{"k":1}');
    expect(p.closed()).toBe(1);
  });

  it("a stream body goes chunked; text() reads a sized answer", async () => {
    const p = peer(["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", "lo"]);
    const body = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(enc.encode("abc")); c.close(); } });
    const res = await exchange(p.duplex, { method: "POST", path: "/build", headers: {}, body }, { address: "a" });
    expect(await res.text()).toBe("hello");
    await new Promise((r) => setTimeout(r, 5));
    expect(p.sent()).toBe("POST /build HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  });

  it("an answer cut before its last chunk errors with DockerConnectionError, after the bytes that came", async () => {
    const p = peer([CHUNKED_HEAD + "7\r\nline 1\n\r\n"]);
    const res = await exchange(p.duplex, { method: "GET", path: "/logs", headers: {}, stream: true }, { address: "a" });
    const reader = res.body!.getReader();
    expect(dec.decode((await reader.read()).value)).toBe("line 1\n");
    const err = await reader.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConnectionError);
    expect((err as DockerConnectionError).message).toMatch(/before the response ended/);
    expect(p.closed()).toBe(1);
  });

  it("a body to the connection's end is confirmed; the confirmation's error is the stream's", async () => {
    const gone = new DockerConnectionError("a", "ECONNRESET", "gone");
    const p = peer(["HTTP/1.1 200 OK\r\n\r\nraw"]);
    const res = await exchange(p.duplex, { method: "GET", path: "/x", headers: {} }, { address: "a", confirmEnd: async () => gone });
    await expect(res.text()).rejects.toBe(gone);
  });

  it("an abort fails the pending read and closes the connection; a reply that is not HTTP is a DockerStreamError", async () => {
    const p = peer([CHUNKED_HEAD], { hang: true });
    const controller = new AbortController();
    const res = await exchange(p.duplex, { method: "GET", path: "/events", headers: {}, signal: controller.signal }, { address: "a" });
    const reading = res.body!.getReader().read();
    controller.abort();
    expect(((await reading.catch((e: unknown) => e)) as Error).name).toBe("AbortError");
    expect(p.closed()).toBe(1);

    const bad = peer(["SSH-2.0-OpenSSH\r\n"]);
    await expect(exchange(bad.duplex, { method: "GET", path: "/x", headers: {} }, { address: "a" })).rejects.toBeInstanceOf(DockerStreamError);
    expect(bad.closed()).toBe(1);
  });
});
