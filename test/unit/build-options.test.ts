// images.build()'s resource options and gzip: the query they make, the body sent, and a wrong
// size refused before any request reaches the (mocked) engine.
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { DockerConfigError } from "../../src/errors/errors.ts";
import { BASE, mockedEngine } from "./mocked-engine.ts";
import { tarBytes } from "../../src/streams/tar.ts";

const { server, docker } = mockedEngine();

function engine(): { query: URLSearchParams; body: Uint8Array<ArrayBuffer> }[] {
  const log: { query: URLSearchParams; body: Uint8Array<ArrayBuffer> }[] = [];
  server.use(
    http.post(`${BASE}/v1.41/build`, async ({ request }) => {
      log.push({ query: new URL(request.url).searchParams, body: new Uint8Array(await request.arrayBuffer()) });
      return new HttpResponse('{"aux":{"ID":"sha256:0123456789ab"}}\n', { headers: { "content-type": "application/json" } });
    }),
  );
  return log;
}

const entries = [{ name: "Dockerfile", data: "FROM scratch\n" }];

describe("images.build() options", () => {
  it("sends sizes as bytes (one parser with run()'s memory), CPU limits and isolation", async () => {
    const log = engine();
    await docker().images.build(entries, { builder: "classic", shmSize: "96m", memory: "1.5g", memswap: -1, cpuShares: 512, cpuSetCpus: "0-1", cpuSetMems: "0", cpuPeriod: 100000, cpuQuota: 50000, isolation: "process" });
    const q = Object.fromEntries(log[0]!.query);
    expect(q).toMatchObject({
      shmsize: String(96 * 1024 * 1024),
      memory: String(1.5 * 1024 ** 3),
      memswap: "-1",
      cpushares: "512",
      cpusetcpus: "0-1",
      cpusetmems: "0",
      cpuperiod: "100000",
      cpuquota: "50000",
      isolation: "process",
    });
  });

  it("gzip: true sends the context gzip-compressed, the same tar inside", async () => {
    const log = engine();
    // A fixed mtime: entries without one are stamped with the current second, which may change
    // between packing the context and packing the expected tar.
    const dated = entries.map((e) => ({ ...e, mtime: new Date("2026-01-02T03:04:05Z") }));
    await docker().images.build(dated, { builder: "classic", gzip: true });
    await docker().images.build(await tarBytes(dated), { builder: "classic", gzip: true });
    for (const { body } of log) {
      expect([body[0], body[1]]).toEqual([0x1f, 0x8b]);
      const plain = new Uint8Array(await new Response(new Blob([body]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
      expect(plain).toEqual(await tarBytes(dated));
    }
  });

  it("a wrong size is a DockerConfigError before any request", async () => {
    const log = engine();
    for (const [options, why] of [
      [{ shmSize: "lots" }, /build\(\): shmSize must be bytes or a size such as "700M"/],
      [{ memory: -1 }, /build\(\): memory must be bytes/],
      [{ memswap: "-2" }, /build\(\): memswap must be bytes or a size .* \(or -1 for no limit\)/],
    ] as const) {
      const err = await docker().images.build(entries, { builder: "classic", ...options }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DockerConfigError);
      expect((err as Error).message).toMatch(why);
    }
    expect(log).toEqual([]);
  });

  it("a wrong contextTransfer is a DockerConfigError naming the two forms, before any request", async () => {
    const log = engine();
    for (const contextTransfer of ["stream", true, ""]) {
      const err = await docker().images.build(entries, { contextTransfer: contextTransfer as "tar" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DockerConfigError);
      expect((err as Error).message).toMatch(/Invalid contextTransfer .*: expected "session" or "tar"/);
    }
    expect(log).toEqual([]);
  });

  it('contextTransfer: "session" where no session can serve it is refused before any request, naming why', async () => {
    const log = engine();
    for (const [context, options, why] of [
      ["/tmp", { session: false }, /says session: false/],
      ["/tmp", { builder: "classic" }, /needs the BuildKit builder/],
      [entries, {}, /serves a directory, and this context is a tar or tar entries/],
    ] as const) {
      const err = await docker().images.build(context, { contextTransfer: "session", ...options }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DockerConfigError);
      expect((err as Error).message).toMatch(why);
    }
    expect(log).toEqual([]);
  });
});
