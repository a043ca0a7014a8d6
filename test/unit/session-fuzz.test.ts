// Random, corrupt and oversized input through what a build session reads from the engine: gRPC's
// message framing (src/grpc/framing.ts), the protobuf reader (src/protobuf/reader.ts) and each
// session service's request decoding behind the call server (src/grpc/server.ts). Each must give the
// right answer or a typed refusal (a DockerStreamError; on the wire a gRPC status), never another
// exception, a hang, a buffer beyond one message, or a secret in a status text. The HTTP/2 host
// under them is fuzzed with recorded sessions in session-replay.test.ts.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DockerStreamError } from "../../src/errors/errors.ts";
import { frameMessage, readMessages } from "../../src/grpc/framing.ts";
import { GrpcStatus, serveCall } from "../../src/grpc/server.ts";
import type { Http2ServerStream, SessionHost } from "../../src/buildkit/session/host.ts";
import { addAuth, addHealth, addSecrets, addSsh, type Services } from "../../src/buildkit/session/services.ts";
import { ProtoReader, WIRE_LENGTH } from "../../src/protobuf/reader.ts";
import { ProtoWriter } from "../../src/protobuf/writer.ts";
import type { CredentialSource } from "../../src/request/engine.ts";
import { HANG, RUNS, biasedBytes, chunked, concat, cutsArb, source, typed, typedAsync } from "./fuzz-helpers.ts";

async function readAll(body: ReadableStream<Uint8Array>, max?: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const m of readMessages(body, max)) out.push(m);
  return out;
}

/** The framing read the slow and obvious way: the messages, and whether the input is malformed. */
function referenceFrames(bytes: Uint8Array, max: number): { messages: number[][]; error: boolean } {
  const messages: number[][] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < 5 || bytes[pos] !== 0) return { messages, error: true };
    const length = new DataView(bytes.buffer, bytes.byteOffset + pos + 1, 4).getUint32(0);
    if (length > max || bytes.length - pos - 5 < length) return { messages, error: true };
    messages.push([...bytes.subarray(pos + 5, pos + 5 + length)]);
    pos += 5 + length;
  }
  return { messages, error: false };
}

const messagesArb = fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 });
/** Framed messages with a few bytes overwritten: a flag, a length byte, a cut. */
const corruptFramesArb = fc
  .tuple(messagesArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.option(fc.nat()))
  .map(([messages, flips, cut]) => {
    const bytes = concat(messages.map(frameMessage));
    for (const [at, value] of flips) if (bytes.length) bytes[at % bytes.length] = value;
    return cut === null ? bytes : bytes.slice(0, cut % (bytes.length + 1));
  });

describe("fuzz: gRPC message framing", () => {
  it("reads framed messages back, however the stream is cut", async () => {
    await fc.assert(
      fc.asyncProperty(messagesArb, cutsArb, async (messages, cuts) => {
        const got = await readAll(source(chunked(concat(messages.map(frameMessage)), cuts)));
        expect(got.map((m) => [...m])).toEqual(messages.map((m) => [...m]));
      }),
      { numRuns: RUNS },
    );
  });

  it("corrupt framing: the messages before the fault, then a DockerStreamError, as the reference says", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(corruptFramesArb, biasedBytes([0, 1, 2, 5, 255])), cutsArb, fc.integer({ min: 0, max: 300 }), async (bytes, cuts, max) => {
        const expected = referenceFrames(bytes, max);
        const got: number[][] = [];
        const error = await typedAsync(async () => {
          for await (const m of readMessages(source(chunked(bytes, cuts)), max)) got.push([...m]);
        }, DockerStreamError);
        expect(error !== undefined).toBe(expected.error);
        expect(got).toEqual(expected.messages);
      }),
      { numRuns: RUNS * 2, timeout: HANG },
    );
  });

  it("holds at most one message under the limit: an endless body is read only as far as the limit allows", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 1, max: 700 }), fc.integer({ min: 0, max: 3000 }), async (length, chunk, max) => {
        let pulls = 0;
        const prefix = frameMessage(new Uint8Array(0));
        new DataView(prefix.buffer).setUint32(1, length);
        const endless = new ReadableStream<Uint8Array>({
          pull(c) {
            const out = new Uint8Array(chunk);
            if (pulls === 0) out.set(prefix.subarray(0, Math.min(5, chunk)));
            else if (pulls * chunk < 5) out.set(prefix.subarray(pulls * chunk, Math.min(5, (pulls + 1) * chunk)));
            pulls++;
            c.enqueue(out);
          },
        }, { highWaterMark: 0 });
        const messages = readMessages(endless, max);
        const first = await messages.next().catch((err: unknown) => err);
        await messages.return(undefined);
        const needed = Math.ceil((length > max ? 5 : 5 + length) / chunk);
        if (length > max) expect(first).toBeInstanceOf(DockerStreamError);
        else expect((first as IteratorResult<Uint8Array>).value.length).toBe(length);
        expect(pulls).toBe(needed);
      }),
      { numRuns: RUNS },
    );
  });
});

/** Random protobuf messages: known fields of every wire type, nested ones, unknown ones. */
type Field = { n: number; kind: "varint"; v: number } | { n: number; kind: "bytes"; v: Uint8Array } | { n: number; kind: "message"; v: Field[] };
const fieldArb: fc.Arbitrary<Field> = fc.letrec<{ field: Field }>((tie) => ({
  field: fc.oneof(
    { depthSize: "small" },
    fc.record({ n: fc.integer({ min: 1, max: 2 ** 29 - 1 }), kind: fc.constant("varint" as const), v: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
    fc.record({ n: fc.integer({ min: 1, max: 40 }), kind: fc.constant("bytes" as const), v: fc.uint8Array({ maxLength: 40 }) }),
    fc.record({ n: fc.integer({ min: 1, max: 40 }), kind: fc.constant("message" as const), v: fc.array(tie("field"), { maxLength: 4 }) }),
  ),
})).field;

function write(w: ProtoWriter, fields: Field[]): ProtoWriter {
  for (const f of fields) {
    if (f.kind === "varint") w.varint(f.n, f.v);
    else if (f.kind === "bytes") w.bytes(f.n, f.v);
    else w.message(f.n, (inner) => void write(inner, f.v));
  }
  return w;
}

/** Reads back what `write` wrote, given the schema (the fields themselves). */
function readBack(r: ProtoReader, fields: Field[]): void {
  for (const f of fields) {
    expect(r.field()).toBe(f.n);
    if (f.kind === "varint") expect(r.varint()).toBe(f.v);
    else if (f.kind === "bytes") expect([...r.bytes()]).toEqual([...f.v]);
    else readBack(r.message(), f.v);
  }
  expect(r.done).toBe(true);
}

/** Walks any message without a schema, descending into every length field that parses. */
function walk(r: ProtoReader, depth = 0): void {
  while (!r.done) {
    r.field();
    if (r.wireType === WIRE_LENGTH && depth < 8) {
      const view = r.bytes();
      typed(() => walk(new ProtoReader(view), depth + 1), DockerStreamError);
    } else r.skip();
  }
}

describe("fuzz: protobuf reader", () => {
  it("reads back what the writer wrote, nested messages included", () => {
    fc.assert(
      fc.property(fc.array(fieldArb, { maxLength: 8 }), (fields) => readBack(new ProtoReader(write(new ProtoWriter(), fields).finish()), fields)),
      { numRuns: RUNS },
    );
  });

  it("truncated or corrupted messages: a DockerStreamError or a walk that stays inside the bytes", () => {
    fc.assert(
      fc.property(fc.array(fieldArb, { maxLength: 8 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.option(fc.nat()), (fields, flips, cut) => {
        let bytes = write(new ProtoWriter(), fields).finish();
        for (const [at, value] of flips) if (bytes.length) bytes[at % bytes.length] = value;
        if (cut !== null) bytes = bytes.slice(0, cut % (bytes.length + 1));
        // A view inside a larger buffer: reading past its end would find these bytes.
        const padded = new Uint8Array(bytes.length + 16).fill(0x08);
        padded.set(bytes, 8);
        typed(() => walk(new ProtoReader(padded.subarray(8, 8 + bytes.length))), DockerStreamError);
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The session services behind the call server

const SECRETS = new Map<string, string>([["token", "berth-fuzz-secret-1"], ["other", "berth-fuzz-secret-2"]]);
const PASSWORD = "berth-fuzz-password";
const credentials: CredentialSource = { forImage: async () => ({ username: "u", password: PASSWORD }) };
/** An agent that echoes what it is sent: ForwardAgent's bytes go through as they came. */
const host: SessionHost = {
  serveHttp2: () => Promise.reject(new Error("unused")),
  connectUnix: async () => {
    const echo = new TransformStream<Uint8Array, Uint8Array>();
    return { readable: echo.readable, writable: echo.writable, close: () => void echo.writable.abort().catch(() => {}) };
  },
  readFile: async () => new Uint8Array(0),
  env: () => undefined,
};
const services: Services = new Map();
addHealth(services);
addSecrets(services, SECRETS, host);
addSsh(services, new Map([["default", "/agent.sock"]]), host);
addAuth(services, credentials);
const PATHS = [...services.keys(), "/moby.unknown.v1.X/Y", ""];
const CODES = new Set(Object.values(GrpcStatus).map(String));

/** A request body: framed protobuf of the kind the services read (field 1 a string), or anything. */
const requestArb = fc.oneof(
  fc.array(fc.oneof(fc.constantFrom(...SECRETS.keys(), "default", "absent", ""), fc.string({ maxLength: 10 })), { maxLength: 3 }).map((ids) => concat(ids.map((id) => frameMessage(new ProtoWriter().string(1, id).finish())))),
  fc.array(fc.array(fieldArb, { maxLength: 3 }), { maxLength: 3 }).map((ms) => concat(ms.map((m) => frameMessage(write(new ProtoWriter(), m).finish())))),
  corruptFramesArb,
  biasedBytes([0, 1, 5, 8, 10, 18]),
);

async function call(path: string, body: Uint8Array[], metadata: Record<string, string>) {
  const events: string[] = [];
  const written: Uint8Array[] = [];
  let trailers: Record<string, string> | undefined;
  const stream: Http2ServerStream = {
    path,
    headers: metadata,
    readable: source(body),
    respond: () => void events.push("respond"),
    write: async (bytes) => {
      events.push("write");
      written.push(bytes);
    },
    end: (t) => {
      events.push("end");
      trailers = t;
    },
    signal: new AbortController().signal,
  };
  await serveCall(stream, services);
  return { events, trailers: trailers!, written: concat(written) };
}

describe("fuzz: session services' request decoding", () => {
  it("every call ends with one known status, and no status text carries a secret", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), requestArb, cutsArb, fc.constantFrom<Record<string, string>>({}, { "buildkit.ssh.id": "default" }, { "buildkit.ssh.id": "nope" }), async (path, body, cuts, metadata) => {
        const { events, trailers, written } = await call(path, chunked(body, cuts), metadata);
        expect(events[0]).toBe("respond");
        expect(events.filter((e) => e === "end")).toHaveLength(1);
        expect(events.at(-1)).toBe("end");
        expect(CODES.has(trailers["grpc-status"]!), JSON.stringify(trailers)).toBe(true);
        for (const secret of [...SECRETS.values(), PASSWORD]) expect(trailers["grpc-message"] ?? "").not.toContain(secret);
        // Whatever was answered is whole gRPC messages.
        expect(referenceFrames(written, 2 ** 31).error).toBe(false);
        if (path.endsWith("/GetSecret") && trailers["grpc-status"] === "0") {
          const id = new TextDecoder().decode(requestedId(body));
          const answer = new ProtoReader(written.subarray(5));
          expect(answer.field()).toBe(1);
          expect(answer.string()).toBe(SECRETS.get(id));
        }
      }),
      { numRuns: RUNS * 2, timeout: HANG },
    );
  });

  it("a malformed request is INVALID_ARGUMENT, naming no bytes of it", async () => {
    for (const path of ["/moby.buildkit.secrets.v1.Secrets/GetSecret", "/moby.sshforward.v1.SSH/CheckAgent", "/moby.filesync.v1.Auth/Credentials"]) {
      // field 1, length 200, with 3 bytes
      const { trailers } = await call(path, [frameMessage(Uint8Array.from([10, 200, 1, 0x41, 0x42, 0x43]))], {});
      expect(trailers["grpc-status"], path).toBe(String(GrpcStatus.INVALID_ARGUMENT));
      expect(trailers["grpc-message"]).toMatch(/^Malformed protobuf message: /);
    }
    const { trailers } = await call("/grpc.health.v1.Health/Check", [Uint8Array.from([1, 0, 0, 0, 0])], {});
    expect(trailers["grpc-status"]).toBe(String(GrpcStatus.INVALID_ARGUMENT));
  });
});

/** Field 1 of the single framed request, as the service reads it (the last occurrence wins). */
function requestedId(body: Uint8Array): Uint8Array {
  const r = new ProtoReader(body.subarray(5));
  let id: Uint8Array = new Uint8Array(0);
  while (!r.done) {
    const n = r.field();
    if (n === 1 && r.wireType === WIRE_LENGTH) id = r.bytes();
    else r.skip();
  }
  return id;
}
