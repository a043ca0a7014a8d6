// How `ref(id).logs()` learns the framing: from API 1.42 on the engine's content type says
// multiplexed or raw, so no inspect is sent; on 1.41 (which labels both raw-stream) it inspects.

import { describe, expect, it } from "vitest";
import { Docker } from "../../src/index.ts";
import type { Transport, TransportRequest, TransportResponse } from "../../src/transport/transport.ts";

const frame = (type: number, text: string) => {
  const data = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + data.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(4, data.length);
  out.set(data, 8);
  return out;
};

function engine(apiVersion: string, logs: { contentType: string; body: Uint8Array }, tty = false) {
  const seen: string[] = [];
  const reply = (status: number, headers: Record<string, string>, body: Uint8Array | string): TransportResponse => {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    const h = new Headers({ "api-version": apiVersion, server: "Docker/test", ...headers });
    return {
      status,
      headers: h,
      body: new ReadableStream({ start: (c) => (c.enqueue(bytes), c.close()) }),
      text: async () => new TextDecoder().decode(bytes),
    } as TransportResponse;
  };
  const transport: Transport = {
    address: "unix:///fake.sock",
    async request(req: TransportRequest) {
      const path = req.path.replace(/^\/v[\d.]+/, "").split("?")[0]!;
      seen.push(`${req.method} ${path}`);
      if (path === "/_ping") return reply(200, { "content-type": "text/plain" }, "OK");
      if (path === "/version") return reply(200, { "content-type": "application/json" }, JSON.stringify({ ApiVersion: apiVersion, Components: [{ Name: "Engine" }] }));
      if (path.endsWith("/json")) return reply(200, { "content-type": "application/json" }, JSON.stringify({ Id: "abc", Config: { Tty: tty } }));
      if (path.endsWith("/logs")) return reply(200, { "content-type": logs.contentType }, logs.body);
      return reply(404, { "content-type": "application/json" }, JSON.stringify({ message: "no" }));
    },
  } as Transport;
  return { docker: new Docker({ transport }), seen };
}

describe("logs() framing", () => {
  it("on API 1.42 trusts multiplexed-stream and sends no inspect", async () => {
    const body = new Uint8Array([...frame(1, "out\n"), ...frame(2, "err\n")]);
    const { docker, seen } = engine("1.42", { contentType: "application/vnd.docker.multiplexed-stream", body });
    const { stdout, stderr } = await (await docker.containers.ref("abc").logs()).collect();
    expect([stdout, stderr]).toEqual(["out\n", "err\n"]);
    expect(seen.filter((s) => s.endsWith("/json"))).toEqual([]);
  });

  it("on API 1.42 takes raw-stream as a TTY's output, without an inspect", async () => {
    const body = new TextEncoder().encode("\x01\x00\x00\x00 tty bytes\r\n");
    const { docker, seen } = engine("1.42", { contentType: "application/vnd.docker.raw-stream", body }, true);
    expect(await (await docker.containers.ref("abc").logs()).text()).toBe("\x01\x00\x00\x00 tty bytes\r\n");
    expect(seen.filter((s) => s.endsWith("/json"))).toEqual([]);
  });

  it("on API 1.41, where both are labelled raw-stream, inspects for the TTY", async () => {
    const body = frame(1, "hello\n");
    const { docker, seen } = engine("1.41", { contentType: "application/vnd.docker.raw-stream", body });
    expect(await (await docker.containers.ref("abc").logs()).text()).toBe("hello\n");
    expect(seen).toContain("GET /containers/abc/json");
  });
});
