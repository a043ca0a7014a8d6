// The browser entry's Docker: addresses it accepts and refuses, where requests and WebSockets
// go (path prefixes behind a proxy kept), and when stream bodies are collected into a Blob.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Docker, DockerConfigError, DockerUnsupportedError } from "../../adapters/browser.ts";

interface Seen {
  url: string;
  init: RequestInit & { duplex?: string };
}

function recordingFetch(seen: Seen[]): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push({ url: String(input), init: init as Seen["init"] });
    return new Response("OK", { status: 200, headers: { "api-version": "1.41" } });
  }) as typeof fetch;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("browser Docker addresses", () => {
  it("takes an http(s) URL, keeping a path prefix for reverse proxies", async () => {
    const seen: Seen[] = [];
    const docker = new Docker({ url: "https://example.com/docker/", fetch: recordingFetch(seen), version: "1.41" });
    expect(docker.address).toBe("https://example.com/docker");
    await docker.ping();
    expect(seen.map((s) => s.url)).toEqual(["https://example.com/docker/v1.41/_ping"]);
  });

  it("takes a DOCKER_HOST-style tcp:// host as plain http with the CLI's default port", () => {
    expect(new Docker({ host: "tcp://10.0.0.5" }).address).toBe("http://10.0.0.5:2375");
    expect(new Docker({ host: "https://docker.example.com" }).address).toBe("https://docker.example.com:2376");
  });

  it("refuses unix and ssh hosts with a DockerUnsupportedError naming the limitation", () => {
    expect(() => new Docker({ host: "unix:///var/run/docker.sock" })).toThrow(DockerUnsupportedError);
    expect(() => new Docker({ host: "unix:///var/run/docker.sock" })).toThrow(/only over HTTP\(S\); unix:\/\/ needs a raw socket/);
    expect(() => new Docker({ host: "ssh://me@host" })).toThrow(/ssh:\/\/ needs a raw socket/);
  });

  it("refuses a missing or non-http URL with a DockerConfigError", () => {
    expect(() => new Docker({})).toThrow(DockerConfigError);
    expect(() => new Docker({ url: "ws://127.0.0.1:2375" })).toThrow(/expected http:\/\/ or https:\/\//);
    expect(() => new Docker({ url: "127.0.0.1:2375" })).toThrow(DockerConfigError);
  });

  it("merges extra fetch options (credentials for a proxy's session cookie) into every request", async () => {
    const seen: Seen[] = [];
    await new Docker({ url: "http://h:1", fetch: recordingFetch(seen), version: "1.41", init: { credentials: "include" } }).ping();
    expect(seen[0]!.init.credentials).toBe("include");
  });

  it("opens the attach WebSocket on the same origin and prefix, ws:// for http and wss:// for https", async () => {
    const opened: string[] = [];
    class FakeWebSocket {
      binaryType = "blob";
      readyState = 0;
      listeners: Record<string, ((event: unknown) => void)[]> = {};
      constructor(url: string) {
        opened.push(url);
        setTimeout(() => this.listeners.open?.forEach((f) => f({})), 0);
      }
      send() {}
      close() {}
      addEventListener(type: string, listener: (event: unknown) => void) {
        (this.listeners[type] ??= []).push(listener);
      }
    }
    vi.stubGlobal("WebSocket", FakeWebSocket);
    const docker = new Docker({ url: "https://example.com/docker", fetch: recordingFetch([]), version: "1.41" });
    const session = await docker.containers.ref("abc").attach({ stdin: true, tty: false });
    expect(session.stdin).toBeDefined();
    expect(opened).toEqual(["wss://example.com/docker/v1.41/containers/abc/attach/ws?stream=1&stdin=1&stdout=1&stderr=1"]);
  });
});

describe("stream uploads", () => {
  const stream = () =>
    new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode("tar "));
        c.enqueue(new TextEncoder().encode("bytes"));
        c.close();
      },
    });

  it("are collected into a Blob in a browser (Chromium streams bodies over HTTP/2 only)", async () => {
    vi.stubGlobal("navigator", { userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0" });
    const seen: Seen[] = [];
    const docker = new Docker({ url: "http://h:1", fetch: recordingFetch(seen), version: "1.41" });
    await docker.containers.ref("c1").putArchive("/", stream());
    const body = seen[0]!.init.body;
    expect(body).toBeInstanceOf(Blob);
    expect(await (body as Blob).text()).toBe("tar bytes");
    expect(seen[0]!.init.duplex).toBeUndefined();
  });

  it("go out as streams elsewhere (edge runtimes), or when asked to", async () => {
    vi.stubGlobal("navigator", { userAgent: "Cloudflare-Workers" });
    const seen: Seen[] = [];
    await new Docker({ url: "http://h:1", fetch: recordingFetch(seen), version: "1.41" }).containers.ref("c1").putArchive("/", stream());
    vi.stubGlobal("navigator", { userAgent: "Mozilla/5.0 Chrome/156.0" });
    await new Docker({ url: "http://h:1", fetch: recordingFetch(seen), version: "1.41", streamUploads: true }).containers.ref("c1").putArchive("/", stream());
    for (const s of seen) {
      expect(s.init.body).toBeInstanceOf(ReadableStream);
      expect(s.init.duplex).toBe("half");
    }
    expect(seen).toHaveLength(2);
  });

  it("leave bytes and Blobs as they are", async () => {
    vi.stubGlobal("navigator", { userAgent: "Mozilla/5.0 Chrome/156.0" });
    const seen: Seen[] = [];
    const docker = new Docker({ url: "http://h:1", fetch: recordingFetch(seen), version: "1.41" });
    const bytes = new Uint8Array([1, 2, 3]);
    await docker.containers.ref("c1").putArchive("/", bytes);
    expect(seen[0]!.init.body).toBe(bytes);
  });
});
