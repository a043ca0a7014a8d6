// gRPC framing and the call server, on in-memory streams; the build session options' checks.

import { describe, expect, it } from "vitest";
import { frameMessage, readMessages } from "../../src/grpc/framing.ts";
import { GrpcError, GrpcStatus, encodeGrpcMessage, serveCall, unary } from "../../src/grpc/server.ts";
import type { Http2ServerStream } from "../../src/buildkit/session/host.ts";
import { checkSecrets, checkSsh } from "../../src/buildkit/session/options.ts";
import { addSecrets, type Services } from "../../src/buildkit/session/services.ts";
import { ProtoWriter } from "../../src/protobuf/writer.ts";
import { ProtoReader } from "../../src/protobuf/reader.ts";
import { DockerConfigError, DockerStreamError } from "../../src/errors/errors.ts";

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });
}

async function all(body: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const m of readMessages(body)) out.push(m);
  return out;
}

/** A fake HTTP/2 stream: the request body given, the response recorded. */
function fakeStream(path: string, body: Uint8Array) {
  const written: Uint8Array[] = [];
  let head: Record<string, string> | undefined;
  let trailers: Record<string, string> | undefined;
  const stream: Http2ServerStream = {
    path,
    headers: {},
    readable: streamOf([body]),
    respond: (h) => void (head = h),
    write: async (b) => void written.push(b),
    end: (t) => void (trailers = t),
    signal: new AbortController().signal,
  };
  return { stream, written, head: () => head, trailers: () => trailers };
}

describe("gRPC framing", () => {
  it("frames and reads messages split anywhere, empty ones included", async () => {
    const framed = new Uint8Array([...frameMessage(new Uint8Array([1, 2, 3])), ...frameMessage(new Uint8Array(0)), ...frameMessage(new Uint8Array([9]))]);
    for (let cut = 0; cut <= framed.length; cut++) {
      const got = await all(streamOf([framed.slice(0, cut), framed.slice(cut)]));
      expect(got.map((m) => [...m])).toEqual([[1, 2, 3], [], [9]]);
    }
  });

  it("refuses compressed, oversized and truncated messages", async () => {
    await expect(all(streamOf([new Uint8Array([1, 0, 0, 0, 0])]))).rejects.toThrow(DockerStreamError);
    const huge = new Uint8Array([0, 0x7f, 0xff, 0xff, 0xff]);
    await expect(all(streamOf([huge]))).rejects.toThrow(/exceeds the limit/);
    await expect(all(streamOf([new Uint8Array([0, 0, 0, 0, 5, 1])]))).rejects.toThrow(/ended inside a message/);
  });

  it("percent-encodes grpc-message outside printable ASCII", () => {
    expect(encodeGrpcMessage("a 100% ü\n")).toBe("a 100%25 %C3%BC%0A");
  });
});

describe("gRPC call server", () => {
  it("answers a unary call and ends with status 0", async () => {
    const handlers = new Map([["/s/M", unary(async (req) => new Uint8Array([...req, 7]))]]);
    const f = fakeStream("/s/M", frameMessage(new Uint8Array([5])));
    await serveCall(f.stream, handlers);
    expect(f.head()).toEqual({ ":status": "200", "content-type": "application/grpc" });
    expect([...f.written[0]!]).toEqual([0, 0, 0, 0, 2, 5, 7]);
    expect(f.trailers()).toEqual({ "grpc-status": "0" });
  });

  it("an unknown method is UNIMPLEMENTED; a handler's own failure is INTERNAL with a fixed text", async () => {
    const unknown = fakeStream("/nope/X", frameMessage(new Uint8Array(0)));
    await serveCall(unknown.stream, new Map());
    expect(unknown.trailers()?.["grpc-status"]).toBe(String(GrpcStatus.UNIMPLEMENTED));
    const leaky = fakeStream("/s/M", frameMessage(new Uint8Array(0)));
    await serveCall(leaky.stream, new Map([["/s/M", unary(async () => { throw new Error("token=hunter2"); })]]));
    expect(leaky.trailers()).toEqual({ "grpc-status": String(GrpcStatus.INTERNAL), "grpc-message": "the call failed on the client" });
    const typed = fakeStream("/s/M", frameMessage(new Uint8Array(0)));
    await serveCall(typed.stream, new Map([["/s/M", unary(async () => { throw new GrpcError(GrpcStatus.NOT_FOUND, "gone"); })]]));
    expect(typed.trailers()).toEqual({ "grpc-status": "5", "grpc-message": "gone" });
  });

  it("GetSecret answers the value, and NOT_FOUND naming only the id", async () => {
    const services: Services = new Map();
    addSecrets(services, checkSecrets({ tok: "s3cret" })!, undefined);
    const ok = fakeStream("/moby.buildkit.secrets.v1.Secrets/GetSecret", frameMessage(new ProtoWriter().string(1, "tok").finish()));
    await serveCall(ok.stream, services);
    const r = new ProtoReader(ok.written[0]!.subarray(5));
    expect(r.field()).toBe(1);
    expect(r.string()).toBe("s3cret");
    const missing = fakeStream("/moby.buildkit.secrets.v1.Secrets/GetSecret", frameMessage(new ProtoWriter().string(1, "other").finish()));
    await serveCall(missing.stream, services);
    expect(missing.trailers()).toEqual({ "grpc-status": "5", "grpc-message": "secret other not found" });
  });
});

describe("build session options", () => {
  it("accepts the documented forms", () => {
    const bytes = new Uint8Array([1]);
    expect([...checkSecrets({ a: "v", b: bytes, c: { file: "/f" }, d: { env: "E" } })!.keys()]).toEqual(["a", "b", "c", "d"]);
    expect(checkSsh(true)).toEqual(new Map([["default", undefined]]));
    expect(checkSsh({ default: "/agent.sock" })).toEqual(new Map([["default", "/agent.sock"]]));
    expect(checkSecrets(undefined)).toBeUndefined();
    expect(checkSsh(false)).toBeUndefined();
  });

  it("refuses anything else, naming the forms and never the value", () => {
    for (const bad of [null, "v", [1], { x: 5 }, { x: { file: "" } }, { x: { file: "/a", env: "B" } }, { "": "v" }, { "a=b": "v" }]) {
      expect(() => checkSecrets(bad), JSON.stringify(bad)).toThrow(DockerConfigError);
    }
    expect(() => checkSecrets({ x: 5 })).toThrow(/\{ file: "path" \} or \{ env: "NAME" \}/);
    expect(() => checkSecrets({ x: { path: "hunter2" } })).not.toThrow(/hunter2/);
    for (const bad of ["yes", 1, null, [], {}, { default: "" }, { default: 3 }]) {
      expect(() => checkSsh(bad), JSON.stringify(bad)).toThrow(DockerConfigError);
    }
  });
});
