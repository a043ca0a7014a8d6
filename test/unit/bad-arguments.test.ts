// Wrong arguments from plain JavaScript (or `as never` in TypeScript): each is a typed error that
// names the accepted forms, raised before any request reaches the (mocked) engine. And the
// handles and calls whose inputs used to be misread: an image got by reference pushes, tags and
// saves that reference; getArchive without the stat header (a browser) returns the tar.
import { createReadStream, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Docker as NodeDocker } from "../../adapters/node.ts";
import { Docker as BrowserDocker } from "../../adapters/browser.ts";
import { Docker } from "../../src/docker.ts";
import { DockerConfigError, DockerUnsupportedError } from "../../src/errors/errors.ts";
import { FetchTransport } from "../../src/transport/fetch.ts";
import { readTarEntries, tarBytes } from "../../src/index.ts";

const BASE = "http://engine.test";
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Uint8Array<ArrayBuffer>;
}

function record(reply: (seen: Seen) => Response | Promise<Response> = () => HttpResponse.json({})): Seen[] {
  const log: Seen[] = [];
  server.use(
    http.all(`${BASE}/*`, async ({ request }) => {
      const url = new URL(request.url);
      const seen = { method: request.method, path: decodeURIComponent(url.pathname), query: url.searchParams, body: new Uint8Array(await request.arrayBuffer()) as Uint8Array<ArrayBuffer> };
      log.push(seen);
      return reply(seen);
    }),
  );
  return log;
}

const core = () => new Docker({ transport: new FetchTransport(BASE), version: "1.41" });

async function rejection(promise: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

describe("a lone surrogate in a path or query value", () => {
  it("is a DockerConfigError, not URIError, and nothing is sent", async () => {
    const log = record();
    const docker = core();
    for (const call of [
      () => docker.containers.ref("ab\uD800").inspect(),
      () => docker.requestRaw("GET /containers/{id}/json", { path: { id: "\uDC00" } }),
      () => docker.images.pull("busybox", { platform: "linux/\uD800" }),
      () => docker.images.ref("busybox").tag("repo\uDBFF", "1"),
    ]) {
      const err = await rejection(call);
      expect(err).toBeInstanceOf(DockerConfigError);
      expect(err.message).toMatch(/not valid Unicode text \(it holds a lone UTF-16 surrogate\)/);
    }
    expect(log).toEqual([]);
  });
});

describe("missing or empty ids and bodies", () => {
  it.each([undefined, null, "", 42, {}])("get(%j) on every collection is a DockerConfigError naming the form", async (id) => {
    const log = record();
    const docker = core();
    for (const collection of [docker.containers, docker.images, docker.networks, docker.volumes, docker.secrets]) {
      // A rejection, not a synchronous throw: `.catch()` on the call sees it.
      const err = await collection.get(id as never).then(() => new Error("resolved"), (e: unknown) => e as Error);
      expect(err).toBeInstanceOf(DockerConfigError);
      expect(err.message).toMatch(/Expected an id or name \(a non-empty string\)/);
    }
    expect(() => docker.containers.ref(id as never)).toThrow(DockerConfigError);
    expect(log).toEqual([]);
  });

  it.each([undefined, null, "busybox", ["busybox"]])("containers.create(%j) is a DockerConfigError with an example", async (body) => {
    const log = record();
    const err = await rejection(core().containers.create(body as never));
    expect(err).toBeInstanceOf(DockerConfigError);
    expect(err.message).toMatch(/needs the container's configuration as an object, e\.g\. create\(\{ Image: "busybox"/);
    expect(log).toEqual([]);
  });
});

describe("uploads and other string arguments", () => {
  it("a Node stream, an array of strings or { path } as a tar is a DockerConfigError naming the forms", async () => {
    const log = record();
    const docker = core();
    const nodeStream = createReadStream("/dev/null");
    const cases: Array<[() => Promise<unknown>, RegExp]> = [
      [() => docker.images.build(nodeStream as never), /images\.build\(\) cannot use a Node\.js stream \(convert it with Readable\.toWeb\(stream\)\)/],
      [() => docker.images.build(["Dockerfile"] as never), /item 0 is a string, not an entry with a string name/],
      [() => docker.containers.ref("c1").putArchive("/tmp", { path: "./x" } as never), /putArchive\(\) cannot use an object with "path": expected a tar as ReadableStream, Uint8Array or Blob, or tar entries/],
      [() => docker.images.load(undefined as never), /images\.load\(\) cannot use undefined: expected a file's path, a tar as ReadableStream, Uint8Array or Blob$/],
      [() => docker.images.import({ path: "./rootfs.tar" } as never), /images\.import\(\) cannot use an object with "path": expected a file's path, an http\(s\):\/\/ URL, a tar as ReadableStream, Uint8Array or Blob/],
      [() => docker.images.pull(undefined as never), /Expected an image reference such as "busybox" .* for images\.pull\(\), got undefined/],
      [() => docker.images.ref("busybox").tag(undefined as never).catch((e: unknown) => Promise.reject(e)), /for image\.tag\(\), got undefined/],
      [() => docker.containers.run(undefined as never, ["true"]), /for containers\.run\(\), got undefined/],
      [() => docker.containers.ref("c1").exec(undefined as never), /exec needs a command/],
      [() => docker.containers.ref("c1").exec([]), /exec needs a command/],
    ];
    for (const [call, why] of cases) {
      const err = await rejection(call);
      expect(err, String(why)).toBeInstanceOf(DockerConfigError);
      expect(err.message).toMatch(why);
    }
    // A path is a file to read on server runtimes; a Docker without file access says so.
    const noFiles = await rejection(() => docker.images.import("./rootfs.tar"));
    expect(noFiles).toBeInstanceOf(DockerUnsupportedError);
    expect(noFiles.message).toMatch(/images\.import\(\) of a file \("\.\/rootfs\.tar"\) needs file access/);
    nodeStream.destroy();
    expect(log).toEqual([]);
  });
});

describe("images.build contexts", () => {
  it.each([
    [{ path: "./app" }, /an object with "path"/],
    [{}, /an empty object/],
    [null, /null/],
    [42, /number/],
    ["", /an empty string/],
  ])("%j is a DockerConfigError naming the accepted forms", async (context, got) => {
    const log = record();
    const err = await rejection(new NodeDocker({ transport: new FetchTransport(BASE), version: "1.41" }).images.build(context as never));
    expect(err).toBeInstanceOf(DockerConfigError);
    expect(err.message).toMatch(got);
    expect(err.message).toMatch(/expected a directory path \("\.\/app" or \{ directory: "\.\/app" \}\), a tar as ReadableStream, Uint8Array or Blob, or tar entries/);
    expect(log).toEqual([]);
  });

  it("a path string builds that directory on Node, honouring .dockerignore", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-ctx-"));
    try {
      writeFileSync(join(dir, "Dockerfile"), "FROM scratch\nCOPY keep.txt /\n");
      writeFileSync(join(dir, "keep.txt"), "kept");
      writeFileSync(join(dir, "secret.env"), "TOKEN=x");
      mkdirSync(join(dir, "node_modules"));
      writeFileSync(join(dir, "node_modules", "big.js"), "x");
      writeFileSync(join(dir, ".dockerignore"), "*.env\nnode_modules\n");
      const log = record(() => new HttpResponse('{"aux":{"ID":"sha256:abc"}}\n', { headers: { "content-type": "application/json" } }));
      const result = await new NodeDocker({ transport: new FetchTransport(BASE), version: "1.41" }).images.build(dir, { tag: "ctx:1", builder: "classic" }); // a chosen builder needs no ping
      expect(result.id).toBe("sha256:abc");
      expect(log.map((s) => `${s.method} ${s.path}`)).toEqual(["POST /v1.41/build"]);
      const names = (await readTarEntries(new Blob([log[0]!.body]).stream())).map((e) => e.name).sort();
      expect(names).toEqual([".dockerignore", "Dockerfile", "keep.txt"]);
      expect(log[0]!.query.get("t")).toBe("ctx:1");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a path string in the browser entry is a DockerUnsupportedError, before any request", async () => {
    const log = record();
    const err = await rejection(new BrowserDocker({ url: BASE, version: "1.41" }).images.build("./app"));
    expect(err).toBeInstanceOf(DockerUnsupportedError);
    expect(err.message).toMatch(/Building from a directory \("\.\/app"\) needs file access.*pass a tar/);
    expect(log).toEqual([]);
  });

  it("secrets or ssh in the browser entry are a DockerUnsupportedError naming where to build, before any request", async () => {
    const log = record();
    const tar = await tarBytes([{ name: "Dockerfile", data: "FROM scratch\n" }]);
    for (const options of [{ secrets: { token: "s3cret" } }, { ssh: true as const }]) {
      const err = await rejection(new BrowserDocker({ url: BASE, version: "1.41" }).images.build(tar, options));
      expect(err).toBeInstanceOf(DockerUnsupportedError);
      expect(err.message).toMatch(/secrets or ssh needs a BuildKit session.*browser.*Node, Bun or Deno/);
      expect(err.message).not.toContain("s3cret");
    }
    expect(log).toEqual([]);
  });

  it("a tar still builds as before", async () => {
    const log = record(() => new HttpResponse('{"stream":"Successfully built 0123456789ab\\n"}\n'));
    const tar = await tarBytes([{ name: "Dockerfile", data: "FROM scratch\n" }]);
    expect((await core().images.build(tar, { builder: "classic" })).id).toBe("0123456789ab");
    expect(log[0]!.body).toEqual(tar);
  });
});

describe("the browser entry without an address", () => {
  it("new Docker() is a DockerConfigError naming url, not a destructuring TypeError", () => {
    const Untyped = BrowserDocker as unknown as new () => unknown;
    expect(() => new Untyped()).toThrow(DockerConfigError);
    expect(() => new Untyped()).toThrow(/needs the engine's address: new Docker\(\{ url: "http:\/\/127\.0\.0\.1:2375" \}\)/);
    expect(() => new BrowserDocker({})).toThrow(DockerConfigError);
  });

  it("Docker.fromEnv and fromContext exist and throw DockerUnsupportedError saying to pass url", () => {
    expect(() => BrowserDocker.fromEnv()).toThrow(DockerUnsupportedError);
    expect(() => BrowserDocker.fromEnv()).toThrow(/Docker\.fromEnv\(\) reads DOCKER_HOST.*pass the engine's URL instead, new Docker\(\{ url:/);
    expect(() => BrowserDocker.fromContext("prod")).toThrow(DockerUnsupportedError);
  });
});

describe("an image handle keeps the reference it was got by", () => {
  const ID = `sha256:${"ab".repeat(32)}`;

  it("push, tag and save act on 127.0.0.1:5000/app:1, not on the image id", async () => {
    const log = record(({ path }) =>
      path.endsWith("/json") ? HttpResponse.json({ Id: ID, RepoTags: ["127.0.0.1:5000/app:1", "other:2"] })
      : path.endsWith("/push") ? new HttpResponse('{"status":"1: digest: sha256:' + "cd".repeat(32) + ' size: 1"}\n', { headers: { "content-type": "application/json" } })
      : path.endsWith("/get") ? new HttpResponse(new Uint8Array(1024), { headers: { "content-type": "application/x-tar" } })
      : new HttpResponse(null, { status: 201 }),
    );
    const image = await core().images.get("127.0.0.1:5000/app:1");
    expect(image.id).toBe(ID);
    expect(image.reference).toBe("127.0.0.1:5000/app:1");
    const pushed = await image.push();
    expect(pushed.digest).toBe(`sha256:${"cd".repeat(32)}`);
    await image.tag("127.0.0.1:5000/app:2");
    expect((await new Response(await image.save()).arrayBuffer()).byteLength).toBe(1024);
    expect(log.map((s) => `${s.method} ${s.path}${s.query.size ? `?${s.query}` : ""}`)).toEqual([
      "GET /v1.41/images/127.0.0.1:5000/app:1/json",
      "POST /v1.41/images/127.0.0.1:5000/app/push?tag=1",
      "POST /v1.41/images/127.0.0.1:5000/app:1/tag?repo=127.0.0.1%3A5000%2Fapp&tag=2",
      "GET /v1.41/images/127.0.0.1:5000/app:1/get",
    ]);
  });

  it("a handle known only by id pushes its one tag, and refuses to guess between several", async () => {
    const log = record(({ path }) =>
      path.endsWith("/images/json") ? HttpResponse.json([{ Id: ID, RepoTags: ["127.0.0.1:5000/solo:3"] }]) : new HttpResponse("{}\n"),
    );
    const docker = core();
    const [one] = await docker.images.list();
    expect(one!.reference).toBeUndefined();
    await one!.push();
    const many = docker.images.ref(ID);
    many.attrs = { Id: ID, RepoTags: ["a:1", "b:2"] } as never;
    for (const image of [docker.images.ref(ID), many]) {
      const err = await rejection(image.push());
      expect(err).toBeInstanceOf(DockerConfigError);
      expect(err.message).toMatch(/known here by its id, which names no repository to push to/);
    }
    expect(log.map((s) => `${s.method} ${s.path}${s.query.size ? `?${s.query}` : ""}`)).toEqual([
      "GET /v1.41/images/json",
      "POST /v1.41/images/127.0.0.1:5000/solo/push?tag=3",
    ]);
  });
});

describe("getArchive without X-Docker-Container-Path-Stat (a browser behind the engine's CORS)", () => {
  it("returns the tar with stat absent", async () => {
    const tar = await tarBytes([{ name: "from-blob.txt", data: "hello" }]);
    record(() => new HttpResponse(tar, { headers: { "content-type": "application/x-tar" } }));
    const { stat, body } = await core().containers.ref("c1").getArchive("/from-blob.txt");
    expect(stat).toBeUndefined();
    const entries = await readTarEntries(body);
    expect(entries.map((e) => [e.name, new TextDecoder().decode(e.data)])).toEqual([["from-blob.txt", "hello"]]);
  });

  it("decodes the stat when the header is there", async () => {
    const header = btoa(JSON.stringify({ name: "from-blob.txt", size: 5, mode: 420, mtime: "", linkTarget: "" }));
    record(() => new HttpResponse(new Uint8Array(1024), { headers: { "x-docker-container-path-stat": header } }));
    const { stat, body } = await core().containers.ref("c1").getArchive("/from-blob.txt");
    expect((await new Response(body).arrayBuffer()).byteLength).toBe(1024);
    expect(stat).toMatchObject({ name: "from-blob.txt", size: 5, isDirectory: false });
  });
});
