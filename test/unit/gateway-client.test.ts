// The browser entry's side of the gateway: it knows a gateway by the Berth-Gateway header (or the
// `gateway` option), then starts exec with stdin over `/exec/{id}/start/ws`, sends stdin as binary
// frames and the half-close as a text frame, reads the multiplexed stream, and reports the
// engine's refusal (close code 4000 + status). Without a gateway it refuses before any socket.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Docker, DockerConflictError, DockerUnsupportedError } from "../../adapters/browser.ts";

type Listener = (event: any) => void;

/** A WebSocket that records what is sent, opened and answered by the test. */
class FakeSocket {
  static last: FakeSocket | undefined;
  static opened: string[] = [];
  binaryType = "blob";
  readyState = 0;
  sent: (string | Uint8Array)[] = [];
  closed = false;
  readonly #listeners = new Map<string, Listener[]>();
  constructor(readonly url: string) {
    FakeSocket.last = this;
    FakeSocket.opened.push(url);
  }
  addEventListener(type: string, listener: Listener) {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  emit(type: string, event: unknown = {}) {
    for (const l of this.#listeners.get(type) ?? []) l(event);
  }
  send(data: string | Uint8Array) {
    this.sent.push(typeof data === "string" ? data : new Uint8Array(data));
  }
  close() {
    this.closed = true;
  }
}

function engine(gatewayHeader: boolean): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = String(input);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (gatewayHeader) headers["berth-gateway"] = "1";
    if (url.endsWith("/exec")) return new Response('{"Id":"e1"}', { status: 201, headers });
    return new Response("{}", { status: 200, headers });
  }) as typeof fetch;
}

/** A stdout frame of the engine's multiplexed stream. */
const stdoutFrame = (text: string) => {
  const body = new TextEncoder().encode(text);
  const frame = new Uint8Array(8 + body.length);
  frame[0] = 1;
  new DataView(frame.buffer).setUint32(4, body.length);
  frame.set(body, 8);
  return frame.buffer;
};

afterEach(() => {
  vi.unstubAllGlobals();
  FakeSocket.last = undefined;
  FakeSocket.opened = [];
});

describe("exec with stdin from the browser entry", () => {
  it("goes over the gateway's WebSocket exec once an answer carried the Berth-Gateway header", async () => {
    vi.stubGlobal("WebSocket", FakeSocket);
    const docker = new Docker({ url: "http://127.0.0.1:8080", fetch: engine(true), version: "1.41" });
    const exec = await docker.containers.ref("c1").createExec(["cat"], { stdin: true });
    const starting = exec.start({ stdin: true });
    await vi.waitFor(() => expect(FakeSocket.last).toBeDefined());
    const ws = FakeSocket.last!;
    expect(ws.url).toBe("ws://127.0.0.1:8080/v1.41/exec/e1/start/ws");
    ws.emit("open");
    const session = await starting;
    const collected = session.output.collect();
    await session.write("hi");
    await session.closeStdin();
    expect(ws.sent).toEqual([new TextEncoder().encode("hi"), '{"stdin":"close"}']);
    expect(ws.closed).toBe(false); // stdin closed alone: output still comes
    ws.emit("message", { data: stdoutFrame("hi") });
    ws.emit("close", { code: 1000 });
    expect(await collected).toEqual({ stdout: "hi", stderr: "" });
  });

  it("reports the engine's refusal that the gateway sends as close code 4000 + status", async () => {
    vi.stubGlobal("WebSocket", FakeSocket);
    const docker = new Docker({ url: "http://127.0.0.1:8080", fetch: engine(false), version: "1.41", gateway: true });
    const exec = await docker.containers.ref("c1").createExec(["cat"], { stdin: true });
    const starting = exec.start({ stdin: true });
    await vi.waitFor(() => expect(FakeSocket.last).toBeDefined());
    FakeSocket.last!.emit("open");
    const session = await starting;
    FakeSocket.last!.emit("close", { code: 4409, reason: "Container c1 is paused, unpause the container before exec" });
    const err = await session.output.collect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConflictError);
    expect(String((err as Error).message)).toContain("is paused");
  });

  it("without a gateway, refuses before opening any socket, naming the gateway", async () => {
    vi.stubGlobal("WebSocket", FakeSocket);
    for (const options of [{}, { gateway: false }]) {
      // (with gateway: false, even the header does not count)
      const docker = new Docker({ url: "http://127.0.0.1:2375", fetch: engine("gateway" in options), version: "1.41", ...options });
      const exec = await docker.containers.ref("c1").createExec(["cat"], { stdin: true });
      const err = await exec.start({ stdin: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DockerUnsupportedError);
      expect(String((err as Error).message)).toMatch(/berth's gateway \(npx berth-docker serve, docs\/browser\.md\)/);
    }
    expect(FakeSocket.opened).toEqual([]);
  });
});
