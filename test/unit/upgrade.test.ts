import { describe, expect, it } from "vitest";
import { upgrade } from "../../src/transport/http/upgrade.ts";
import { ChunkedDecoder, bodyFraming, parseResponseHead } from "../../src/transport/http/http1.ts";
import {
  DockerAbortError,
  DockerConfigError,
  DockerConflictError,
  DockerConnectionError,
  DockerError,
  DockerNotFoundError,
  DockerServerError,
  DockerStreamError,
  DockerTimeoutError,
} from "../../src/errors/errors.ts";
import type { Duplex } from "../../src/transport/transport.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string) => enc.encode(s);

/**
 * An in-memory socket: two TransformStreams, one per direction. The client gets a Duplex; the test
 * plays the engine with `engine`. Closing the client's writable ends what the engine reads, and only
 * that (half-close). close() tears both directions down, as a socket would.
 */
function socketPair() {
  const toEngine = new TransformStream<Uint8Array, Uint8Array>();
  const toClient = new TransformStream<Uint8Array, Uint8Array>();
  const engineReader = toEngine.readable.getReader();
  const engineWriter = toClient.writable.getWriter();
  let closeCalls = 0;
  const duplex: Duplex = {
    readable: toClient.readable,
    writable: toEngine.writable,
    close() {
      closeCalls++;
      engineReader.cancel().catch(() => {});
      engineWriter.abort(new Error("socket closed")).catch(() => {});
    },
  };
  let received = new Uint8Array(0);
  const engine = {
    /** Reads from the client until `predicate` holds for everything received so far. */
    async readUntil(predicate: (all: Uint8Array) => boolean): Promise<Uint8Array> {
      while (!predicate(received)) {
        const { done, value } = await engineReader.read();
        if (done) break;
        const next = new Uint8Array(received.length + value.length);
        next.set(received);
        next.set(value, received.length);
        received = next;
      }
      return received;
    },
    /** Reads one request: head, then Content-Length bytes of body. Returns it as text. */
    async readRequest(): Promise<string> {
      await engine.readUntil((all) => dec.decode(all).includes("\r\n\r\n"));
      const text = dec.decode(received);
      const headEnd = text.indexOf("\r\n\r\n") + 4;
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(text.slice(0, headEnd))?.[1] ?? 0);
      const headBytes = enc.encode(text.slice(0, headEnd)).length;
      await engine.readUntil((all) => all.length >= headBytes + length);
      const request = dec.decode(received.subarray(0, headBytes + length));
      received = received.subarray(headBytes + length);
      return request;
    },
    /** Everything the client wrote after the request, until it half-closes. */
    async readToEnd(): Promise<number[]> {
      await engine.readUntil(() => false);
      const all = [...received];
      received = new Uint8Array(0);
      return all;
    },
    async send(...chunks: (string | Uint8Array)[]) {
      for (const c of chunks) await engineWriter.write(typeof c === "string" ? bytes(c) : c);
    },
    async sendBytewise(s: string) {
      for (const b of bytes(s)) await engineWriter.write(Uint8Array.of(b));
    },
    async end() {
      await engineWriter.close();
    },
    get received() {
      return received;
    },
    reader: engineReader,
  };
  return { duplex, engine, closeCalls: () => closeCalls };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<{ text: string; chunks: Uint8Array[] }> {
  const chunks: Uint8Array[] = [];
  for await (const c of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
  return { text: chunks.map((c) => dec.decode(c, { stream: true })).join(""), chunks };
}

const ATTACH = {
  method: "POST",
  path: "/v1.47/containers/abc/attach?stream=1&stdin=1&stdout=1&stderr=1",
  headers: {},
};
const UPGRADED_HEAD =
  "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n";

describe("upgrade: request head", () => {
  it("writes the exact request head and body, with JSON content type and UTF-8 length for a string body", async () => {
    const { duplex, engine } = socketPair();
    const pending = upgrade(duplex, {
      method: "POST",
      path: "/v1.47/exec/e1/start",
      headers: { "X-Trace": "t-1" },
      body: '{"Detach":false,"Tty":false,"Note":"é"}',
    });
    const request = await engine.readRequest();
    expect(request).toBe(
      "POST /v1.47/exec/e1/start HTTP/1.1\r\n" +
        "Host: docker\r\n" +
        "Connection: Upgrade\r\n" +
        "Upgrade: tcp\r\n" +
        "X-Trace: t-1\r\n" +
        "Content-Type: application/json\r\n" +
        "Content-Length: 40\r\n" +
        "\r\n" +
        '{"Detach":false,"Tty":false,"Note":"é"}',
    );
    await engine.send(UPGRADED_HEAD);
    const conn = await pending;
    expect(conn.status).toBe(101);
    conn.close();
  });

  it("sends no Content-Length without a body, keeps a caller's Content-Type, uses the given host, and ignores reserved headers", async () => {
    const { duplex, engine } = socketPair();
    const pending = upgrade(duplex, {
      ...ATTACH,
      host: "api.example",
      headers: { "Content-Type": "text/plain", Connection: "close", "Content-Length": "99" },
    });
    const request = await engine.readRequest();
    expect(request).toBe(
      `POST ${ATTACH.path} HTTP/1.1\r\nHost: api.example\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: text/plain\r\n\r\n`,
    );
    await engine.send(UPGRADED_HEAD);
    (await pending).close();

    const second = socketPair();
    const withBytes = upgrade(second.duplex, { ...ATTACH, body: Uint8Array.of(0, 1, 2, 255) });
    await second.engine.readUntil((all) => all.length >= 4 && all[all.length - 1] === 255);
    const raw = second.engine.received;
    const text = dec.decode(raw.subarray(0, raw.length - 4));
    expect(text).toMatch(/Content-Length: 4\r\n\r\n$/);
    expect(text).not.toMatch(/Content-Type/);
    expect([...raw.subarray(raw.length - 4)]).toEqual([0, 1, 2, 255]);
    await second.engine.send(UPGRADED_HEAD);
    (await withBytes).close();
  });

  it.each([
    ["a header value with CRLF", { headers: { "X-Auth": "x\r\nX-Evil: 1" } }],
    ["a header value with a bare LF", { headers: { "X-Auth": "x\nX-Evil: 1" } }],
    ["a header name with CRLF", { headers: { "X-A\r\nX-Evil": "1" } }],
    ["a header name with a space", { headers: { "X A": "1" } }],
    ["a host with CR", { host: "docker\rX-Evil: 1" }],
    ["a path with CRLF", { path: "/v1.47/containers/abc/attach\r\nX-Evil: 1" }],
    ["a path with a space", { path: "/containers/a b/attach" }],
    ["a method with a space", { method: "POST /x" }],
  ])("refuses %s before sending anything", async (_label, override) => {
    const { duplex, engine, closeCalls } = socketPair();
    const error = await upgrade(duplex, { ...ATTACH, ...override }).catch((e) => e);
    expect(error).toBeInstanceOf(DockerError);
    expect(error.constructor).toBe(DockerConfigError);
    // The offending text may be quoted, never copied raw into the message.
    expect(String(error.message)).not.toMatch(/[\r\n]/);
    expect(closeCalls()).toBe(1);
    // Nothing reached the engine: its read side sees only the teardown.
    const { done } = await engine.reader.read().catch(() => ({ done: true }));
    expect(done).toBe(true);
    expect(engine.received.length).toBe(0);
  });
});

describe("upgrade: successful takeover", () => {
  it("keeps payload bytes that arrive in the same chunk as the 101 head, without copying them", async () => {
    const { duplex, engine } = socketPair();
    const pending = upgrade(duplex, ATTACH);
    await engine.readRequest();
    const first = bytes(UPGRADED_HEAD + "hello");
    await engine.send(first);
    const conn = await pending;
    expect(conn.status).toBe(101);
    expect(conn.headers.get("content-type")).toBe("application/vnd.docker.raw-stream");
    expect(conn.headers.get("upgrade")).toBe("tcp");

    const reading = readAll(conn.readable);
    await engine.send(" world", "!");
    await engine.end();
    const { text, chunks } = await reading;
    expect(text).toBe("hello world!");
    // The leftover is a view into the adapter's chunk, not a copy.
    expect(chunks[0].buffer).toBe(first.buffer);
    expect(dec.decode(chunks[0])).toBe("hello");
  });

  it("parses a head that arrives one byte per chunk, then streams the payload", async () => {
    const { duplex, engine } = socketPair();
    const pending = upgrade(duplex, ATTACH);
    await engine.readRequest();
    // Each write waits for the client to read it, so the sender runs alongside the reader.
    const sending = engine.sendBytewise(UPGRADED_HEAD + "abc").then(() => engine.send("def")).then(() => engine.end());
    const conn = await pending;
    expect(conn.status).toBe(101);
    expect(conn.headers.get("connection")).toBe("Upgrade");
    const { text, chunks } = await readAll(conn.readable);
    await sending;
    expect(text).toBe("abcdef");
    expect(chunks.map((c) => dec.decode(c))).toEqual(["a", "b", "c", "def"]);
  });

  it("treats 200 without Content-Length or chunking as a takeover (older engines)", async () => {
    const { duplex, engine } = socketPair();
    const pending = upgrade(duplex, ATTACH);
    await engine.readRequest();
    await engine.send("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\r\n");
    const conn = await pending;
    expect(conn.status).toBe(200);
    const reading = readAll(conn.readable);
    await engine.send(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69));
    await engine.end();
    const { chunks } = await reading;
    expect(chunks.flatMap((c) => [...c])).toEqual([1, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69]);
  });

  it("delivers only the delimited body of a 200 that carries Content-Length", async () => {
    const { duplex, engine } = socketPair();
    const pending = upgrade(duplex, ATTACH);
    await engine.readRequest();
    void engine.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", "loEXTRA");
    const conn = await pending;
    expect(conn.status).toBe(200);
    // The engine keeps the connection open: the stream must still end after 5 bytes.
    expect((await readAll(conn.readable)).text).toBe("hello");
    conn.close();
  });

  it("skips an interim 100 Continue before the 101", async () => {
    const { duplex, engine } = socketPair();
    const pending = upgrade(duplex, ATTACH);
    await engine.readRequest();
    await engine.send("HTTP/1.1 100 Continue\r\n\r\n" + UPGRADED_HEAD + "x");
    const conn = await pending;
    expect(conn.status).toBe(101);
    const reading = readAll(conn.readable);
    await engine.end();
    expect((await reading).text).toBe("x");
  });

  it("passes writes through unchanged and half-closes: the engine sees EOF, the client keeps reading", async () => {
    const { duplex, engine, closeCalls } = socketPair();
    const pending = upgrade(duplex, { ...ATTACH, body: "{}" });
    await engine.readRequest();
    await engine.send(UPGRADED_HEAD);
    const conn = await pending;

    const stdinAtEngine = engine.readToEnd(); // resolves only once the client's close reaches the engine
    const writer = conn.writable.getWriter();
    const payload = Uint8Array.of(0, 255, 13, 10, 3, 4);
    await writer.write(payload);
    await writer.write(bytes("ls -l\n"));
    await writer.close();
    expect(await stdinAtEngine).toEqual([0, 255, 13, 10, 3, 4, ...bytes("ls -l\n")]);

    const reading = readAll(conn.readable);
    await engine.send("output after stdin closed");
    await engine.end();
    expect((await reading).text).toBe("output after stdin closed");
    expect(closeCalls()).toBe(0);
    conn.close();
    conn.close();
    expect(closeCalls()).toBe(1);
  });

  it("closes the duplex when the readable is cancelled", async () => {
    const { duplex, engine, closeCalls } = socketPair();
    const pending = upgrade(duplex, ATTACH);
    await engine.readRequest();
    await engine.send(UPGRADED_HEAD + "first");
    const conn = await pending;
    const reader = conn.readable.getReader();
    expect(dec.decode((await reader.read()).value)).toBe("first");
    expect(closeCalls()).toBe(0);
    await reader.cancel();
    expect(closeCalls()).toBe(1);
  });

  it("close() ends a read pending on the readable", async () => {
    const { duplex, engine } = socketPair();
    const pending = upgrade(duplex, ATTACH);
    await engine.readRequest();
    await engine.send(UPGRADED_HEAD);
    const conn = await pending;
    const reader = conn.readable.getReader();
    const read = reader.read();
    conn.close();
    expect((await read).done).toBe(true);
  });
});

describe("upgrade: error statuses", () => {
  it("404 with a JSON body and Content-Length becomes DockerNotFoundError (connection kept open by the engine)", async () => {
    const { duplex, engine, closeCalls } = socketPair();
    const pending = upgrade(duplex, ATTACH).catch((e) => e);
    await engine.readRequest();
    const body = '{"message":"No such container: abc"}';
    await engine.send(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    const error = await pending;
    expect(error).toBeInstanceOf(DockerNotFoundError);
    expect(error.status).toBe(404);
    expect(error.reason).toBe("No such container: abc");
    expect(error.method).toBe("POST");
    expect(error.path).toBe("/containers/abc/attach");
    expect(closeCalls()).toBe(1);
  });

  it("409 with a chunked body split across odd boundaries becomes DockerConflictError", async () => {
    const { duplex, engine } = socketPair();
    const pending = upgrade(duplex, { ...ATTACH, path: "/v1.47/exec/e1/start" }, { errorPath: "/exec/{id}/start" }).catch((e) => e);
    await engine.readRequest();
    const json = '{"message":"container abc is not running"}';
    const chunked = `HTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\n\r\n` +
      `a;ext=1\r\n${json.slice(0, 10)}\r\n${(json.length - 10).toString(16)}\r\n${json.slice(10)}\r\n0\r\nX-Trailer: 1\r\n\r\n`;
    const cut = [5, 40, 61, 70, 71, 100];
    let from = 0;
    for (const at of [...cut, chunked.length]) {
      await engine.send(chunked.slice(from, at));
      from = at;
    }
    const error = await pending;
    expect(error).toBeInstanceOf(DockerConflictError);
    expect(error.reason).toBe("container abc is not running");
    expect(error.path).toBe("/exec/{id}/start");
  });

  it("500 with a plain-text body read to EOF becomes DockerServerError with that text", async () => {
    const { duplex, engine } = socketPair();
    const pending = upgrade(duplex, ATTACH).catch((e) => e);
    await engine.readRequest();
    await engine.send("HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nsomething ", "broke\n");
    await engine.end();
    const error = await pending;
    expect(error).toBeInstanceOf(DockerServerError);
    expect(error.reason).toBe("something broke");
  });

  it("an error with an empty body falls back to the reason phrase", async () => {
    const { duplex, engine } = socketPair();
    const pending = upgrade(duplex, ATTACH).catch((e) => e);
    await engine.readRequest();
    await engine.send("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    const error = await pending;
    expect(error).toBeInstanceOf(DockerNotFoundError);
    expect(error.reason).toBe("Not Found");
  });
});

describe("upgrade: protocol and connection failures", () => {
  it("rejects a reply that is not HTTP with DockerStreamError, without waiting for a blank line", async () => {
    const { duplex, engine, closeCalls } = socketPair();
    const pending = upgrade(duplex, ATTACH).catch((e) => e);
    await engine.readRequest();
    await engine.send("SSH-2.0-OpenSSH_9.2\r\n"); // and the engine never ends the connection
    const error = await pending;
    expect(error).toBeInstanceOf(DockerStreamError);
    expect(error.message).toContain("SSH-2.0");
    expect(closeCalls()).toBe(1);
  });

  it("rejects a malformed status line", async () => {
    const { duplex, engine } = socketPair();
    const pending = upgrade(duplex, ATTACH).catch((e) => e);
    await engine.readRequest();
    await engine.send("HTTP/1.1 OK 200\r\n\r\n");
    expect(await pending).toBeInstanceOf(DockerStreamError);
  });

  it("rejects a head larger than maxHeadBytes", async () => {
    const { duplex, engine, closeCalls } = socketPair();
    const pending = upgrade(duplex, ATTACH, { maxHeadBytes: 1024 }).catch((e) => e);
    await engine.readRequest();
    await engine.send("HTTP/1.1 101 UPGRADED\r\n");
    for (let i = 0; i < 200; i++) {
      const wrote = await Promise.race([engine.send(`X-Filler-${i}: ${"x".repeat(20)}\r\n`).then(() => true), pending.then(() => false)]);
      if (!wrote) break;
    }
    const error = await pending;
    expect(error).toBeInstanceOf(DockerStreamError);
    expect(error.message).toContain("1024");
    expect(closeCalls()).toBe(1);
  });

  it("rejects a complete head that is still over the limit", async () => {
    const { duplex, engine } = socketPair();
    const pending = upgrade(duplex, ATTACH, { maxHeadBytes: 40 }).catch((e) => e);
    await engine.readRequest();
    await engine.send(UPGRADED_HEAD);
    expect(await pending).toBeInstanceOf(DockerStreamError);
  });

  it("reports a connection that ends before the head as DockerConnectionError naming the address", async () => {
    const { duplex, engine } = socketPair();
    const pending = upgrade(duplex, ATTACH, { address: "unix:///var/run/docker.sock" }).catch((e) => e);
    await engine.readRequest();
    await engine.send("HTTP/1.1 101 UPGR");
    await engine.end();
    const error = await pending;
    expect(error).toBeInstanceOf(DockerConnectionError);
    expect(error.address).toBe("unix:///var/run/docker.sock");
    expect(error.message).toContain("middle of the response head");

    const silent = socketPair();
    const pending2 = upgrade(silent.duplex, ATTACH).catch((e) => e);
    await silent.engine.readRequest();
    await silent.engine.end();
    const error2 = await pending2;
    expect(error2).toBeInstanceOf(DockerConnectionError);
    expect(error2.address).toBe("the engine");
  });

  it("wraps a socket error during the handshake in DockerConnectionError, keeping its code", async () => {
    const { duplex, engine } = socketPair();
    const failing: Duplex = {
      readable: new ReadableStream({ pull: (c) => c.error(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })) }),
      writable: duplex.writable,
      close: () => duplex.close(),
    };
    const pending = upgrade(failing, ATTACH).catch((e) => e);
    await engine.readRequest();
    const error = await pending;
    expect(error).toBeInstanceOf(DockerConnectionError);
    expect(error.code).toBe("ECONNRESET");
  });
});

describe("upgrade: abort", () => {
  it("rejects with DockerAbortError and closes the duplex when aborted while waiting for the answer", async () => {
    const { duplex, engine, closeCalls } = socketPair();
    const controller = new AbortController();
    const pending = upgrade(duplex, ATTACH, { signal: controller.signal }).catch((e) => e);
    await engine.readRequest();
    await engine.send("HTTP/1.1 101 UPGRADED\r\n"); // half a head, then silence
    controller.abort();
    const error = await pending;
    expect(error).toBeInstanceOf(DockerAbortError);
    expect(error.message).toBe("POST /containers/abc/attach was aborted");
    expect(closeCalls()).toBe(1);
  });

  it("rejects at once, sending nothing, when the signal is already aborted", async () => {
    const { duplex, engine, closeCalls } = socketPair();
    const error = await upgrade(duplex, ATTACH, { signal: AbortSignal.abort() }).catch((e) => e);
    expect(error).toBeInstanceOf(DockerAbortError);
    expect(closeCalls()).toBe(1);
    expect(engine.received.length).toBe(0);
  });

  it("throws the signal's reason when it is already a DockerError", async () => {
    const { duplex, engine } = socketPair();
    const controller = new AbortController();
    const pending = upgrade(duplex, ATTACH, { signal: controller.signal }).catch((e) => e);
    await engine.readRequest();
    const timeout = new DockerTimeoutError("POST", "/containers/abc/attach", 50);
    controller.abort(timeout);
    expect(await pending).toBe(timeout);
  });

  it("an abort after the handshake leaves the connection alone", async () => {
    const { duplex, engine, closeCalls } = socketPair();
    const controller = new AbortController();
    const pending = upgrade(duplex, ATTACH, { signal: controller.signal });
    await engine.readRequest();
    await engine.send(UPGRADED_HEAD + "a");
    const conn = await pending;
    controller.abort();
    const reading = readAll(conn.readable);
    await engine.send("b");
    await engine.end();
    expect((await reading).text).toBe("ab");
    expect(closeCalls()).toBe(0);
  });
});

describe("parseResponseHead", () => {
  it("returns null until the head is complete, then the parsed head and its length", () => {
    const text = "HTTP/1.1 101 UPGRADED\r\nContent-Type: x\r\nSet-Thing: a\r\nset-thing:  b \r\nEmpty:\r\n\r\nBODY";
    const all = bytes(text);
    for (let n = 0; n < text.indexOf("BODY"); n++) expect(parseResponseHead(all.subarray(0, n))).toBeNull();
    const head = parseResponseHead(all)!;
    expect(head.status).toBe(101);
    expect(head.statusText).toBe("UPGRADED");
    expect(head.headLength).toBe(text.indexOf("BODY"));
    expect([...head.headers]).toEqual([["content-type", "x"], ["set-thing", "a, b"], ["empty", ""]]);
  });

  it("accepts HTTP/1.0 and an empty reason phrase", () => {
    expect(parseResponseHead(bytes("HTTP/1.0 200\r\n\r\n"))).toMatchObject({ status: 200, statusText: "" });
    expect(parseResponseHead(bytes("HTTP/1.1 204 \r\n\r\n"))).toMatchObject({ status: 204, statusText: "" });
  });

  it.each([
    ["another protocol", "SSH-2.0-x"],
    ["HTTP/2", "HTTP/2 200 OK\r\n\r\n"],
    ["a two-digit status", "HTTP/1.1 20 OK\r\n\r\n"],
    ["a header without colon", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n"],
    ["an empty header name", "HTTP/1.1 200 OK\r\n: v\r\n\r\n"],
    ["a space before the colon", "HTTP/1.1 200 OK\r\nName : v\r\n\r\n"],
    ["a folded header", "HTTP/1.1 200 OK\r\nA: 1\r\n  2\r\n\r\n"],
    ["a bare LF in a header", "HTTP/1.1 200 OK\r\nA: 1\nB: 2\r\n\r\n"],
    ["a control character in a value", "HTTP/1.1 200 OK\r\nA: 1\x01\r\n\r\n"],
  ])("throws DockerStreamError on %s", (_label, text) => {
    expect(() => parseResponseHead(bytes(text))).toThrow(DockerStreamError);
  });

  it("decides body framing: chunked beats Content-Length, conflicting lengths are refused", () => {
    const h = (o: Record<string, string>) => new Map(Object.entries(o));
    expect(bodyFraming(h({ "transfer-encoding": "chunked", "content-length": "3" }))).toEqual({ kind: "chunked" });
    expect(bodyFraming(h({ "content-length": "3, 3" }))).toEqual({ kind: "length", length: 3 });
    expect(bodyFraming(h({}))).toEqual({ kind: "eof" });
    expect(bodyFraming(h({}), false)).toEqual({ kind: "none" });
    expect(() => bodyFraming(h({ "content-length": "3, 4" }))).toThrow(DockerStreamError);
    expect(() => bodyFraming(h({ "content-length": "-1" }))).toThrow(DockerStreamError);
  });
});

describe("ChunkedDecoder", () => {
  const body = "4\r\nWiki\r\n6;name=v\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\nAFTER";

  it("decodes a body fed whole, ignoring bytes after the end", () => {
    const d = new ChunkedDecoder();
    const pieces = d.push(bytes(body));
    expect(d.done).toBe(true);
    expect(pieces.map((p) => dec.decode(p)).join("")).toBe("Wikipedia in \r\n\r\nchunks.");
  });

  it("decodes a body fed one byte at a time", () => {
    const d = new ChunkedDecoder();
    let out = "";
    for (const b of bytes(body)) {
      if (d.done) break;
      out += d.push(Uint8Array.of(b)).map((p) => dec.decode(p)).join("");
    }
    expect(d.done).toBe(true);
    expect(out).toBe("Wikipedia in \r\n\r\nchunks.");
  });

  it("hands back views into the input, not copies", () => {
    const input = bytes("5\r\nhello\r\n");
    const [piece] = new ChunkedDecoder().push(input);
    expect(piece.buffer).toBe(input.buffer);
  });

  it.each([["a non-hex size", "zz\r\n"], ["a bare LF", "4\nWiki"], ["a chunk longer than its size", "2\r\nabc\r\n"]])(
    "throws DockerStreamError on %s",
    (_label, text) => {
      expect(() => new ChunkedDecoder().push(bytes(text))).toThrow(DockerStreamError);
    },
  );
});
