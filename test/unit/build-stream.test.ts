// Builder choice and the build model against a mocked engine: which builder `auto` picks from the
// ping's headers, what `version=2` looks like on the wire, and the classic builder's text read into
// the same steps as BuildKit's trace.
import { readFileSync } from "node:fs";
import { delay, http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Docker } from "../../src/docker.ts";
import { DockerAbortError, DockerConfigError } from "../../src/errors/errors.ts";
import { FetchTransport } from "../../src/transport/fetch.ts";
import { DockerBuildError, type BuildEvent } from "../../src/buildkit/build-stream.ts";
import { builderFromEnv } from "../../src/buildkit/builder.ts";
import { PlainProgress } from "../../src/buildkit/render.ts";

const BASE = "http://engine.test";
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const jsonLines = (events: unknown[]) => events.map((e) => JSON.stringify(e)).join("\r\n") + "\r\n";
const context = [{ name: "Dockerfile", data: "FROM scratch\n" }];

/** An engine whose ping sends these headers, recording the build queries. */
function engine(pingHeaders: Record<string, string>, buildBody: string, builds: URLSearchParams[] = []) {
  server.use(
    http.get(`${BASE}/_ping`, () => new HttpResponse("OK", { headers: pingHeaders })),
    http.get(`${BASE}/version`, () => HttpResponse.json({ ApiVersion: pingHeaders["Api-Version"] ?? "1.41", Components: [{ Name: "Engine" }] })),
    http.post(`${BASE}/:version/build`, ({ request }) => {
      builds.push(new URL(request.url).searchParams);
      return new HttpResponse(buildBody, { headers: { "Content-Type": "application/json" } });
    }),
  );
  return builds;
}

const buildkitOk = readFileSync(new URL("../fixtures/buildkit/success.jsonl", import.meta.url), "utf8");
const classicOk = jsonLines([
  { stream: "Step 1/3 : FROM berth-test:busybox\n" },
  { stream: " ---> d2db23ae143a\n" },
  { stream: "Step 2/3 : RUN echo one\n" },
  { stream: " ---> Using cache\n" },
  { stream: " ---> 0a1b2c3d4e5f\n" },
  { stream: "Step 3/3 : RUN echo two; echo three\n" },
  { stream: " ---> Running in 5f4e3d2c1b0a\n" },
  { stream: "two\n" },
  { stream: "three\n" },
  { stream: "Removing intermediate container 5f4e3d2c1b0a\n" },
  { stream: " ---> 9f8e7d6c5b4a\n" },
  { aux: { ID: "sha256:9f8e7d6c5b4a00000000000000000000000000000000000000000000000000aa" } },
  { stream: "Successfully built 9f8e7d6c5b4a\n" },
]);

describe("builder choice", () => {
  it("auto builds with BuildKit (version=2) when the ping says Builder-Version 2", async () => {
    const builds = engine({ "Api-Version": "1.42", "Builder-Version": "2" }, buildkitOk);
    const result = await new Docker({ transport: new FetchTransport(BASE) }).images.build(context);
    expect(builds[0]!.get("version")).toBe("2");
    expect(result.builder).toBe("buildkit");
    expect(result.id).toMatch(/^sha256:/);
  });

  it("auto reads Builder-Version from negotiation's ping: no ping of its own, except with a pinned version", async () => {
    let pings = 0;
    const builds = engine({ "Api-Version": "1.42", "Builder-Version": "2" }, buildkitOk);
    server.events.on("request:start", ({ request }) => { if (new URL(request.url).pathname === "/_ping") pings++; });
    try {
      await new Docker({ transport: new FetchTransport(BASE) }).images.build(context);
      expect(pings).toBe(1);
      await new Docker({ transport: new FetchTransport(BASE), version: "1.42" }).images.build(context);
      expect(pings).toBe(2);
      expect(builds.map((b) => b.get("version"))).toEqual(["2", "2"]);
    } finally {
      server.events.removeAllListeners();
    }
  });

  it("auto stays classic (no version parameter) when the ping has no Builder-Version, as dockerd 20.10's", async () => {
    const builds = engine({ "Api-Version": "1.41" }, classicOk);
    const result = await new Docker({ transport: new FetchTransport(BASE) }).images.build(context);
    expect(builds[0]!.has("version")).toBe(false);
    expect(result.builder).toBe("classic");
  });

  it("when no header can be read (a browser), API 1.42+ means BuildKit", async () => {
    const builds = engine({}, buildkitOk);
    server.use(http.get(`${BASE}/version`, () => HttpResponse.json({ ApiVersion: "1.43", Components: [{ Name: "Engine" }] })));
    await new Docker({ transport: new FetchTransport(BASE) }).images.build(context);
    expect(builds[0]!.get("version")).toBe("2");
  });

  it("an explicit builder, or the client's default, wins over the engine", async () => {
    const builds = engine({ "Api-Version": "1.42", "Builder-Version": "2" }, classicOk);
    await new Docker({ transport: new FetchTransport(BASE) }).images.build(context, { builder: "classic" });
    await new Docker({ transport: new FetchTransport(BASE), builder: "classic" }).images.build(context);
    expect(builds.map((q) => q.has("version"))).toEqual([false, false]);
  });

  it("refuses an unknown builder before sending anything, naming the choices", async () => {
    const builds = engine({ "Api-Version": "1.42" }, classicOk);
    const err = await new Docker({ transport: new FetchTransport(BASE) }).images.build(context, { builder: "kaniko" as "auto" }).catch((e) => e);
    expect(err).toBeInstanceOf(DockerConfigError);
    expect(err.message).toBe('Invalid builder "kaniko": expected "auto", "buildkit" or "classic"');
    expect(builds).toEqual([]);
  });

  it("a build aborted while auto asks the engine's ping cancels its context, as a failed send does", async () => {
    server.use(
      http.get(`${BASE}/version`, () => HttpResponse.json({ ApiVersion: "1.42", Components: [{ Name: "Engine" }] })),
      http.get(`${BASE}/_ping`, async () => {
        await delay(200);
        return new HttpResponse("OK", { headers: { "Api-Version": "1.42" } });
      }),
    );
    let cancelled: unknown;
    const context = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}), cancel: (reason) => void (cancelled = reason ?? true) });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const err = await new Docker({ transport: new FetchTransport(BASE), version: "1.42" }).images.build(context, { signal: controller.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(DockerAbortError);
    expect(cancelled).toBeTruthy();
  });

  it("reads DOCKER_BUILDKIT as the CLI does", () => {
    expect(builderFromEnv({})).toBeUndefined();
    expect(builderFromEnv({ DOCKER_BUILDKIT: "1" })).toBe("buildkit");
    expect(builderFromEnv({ DOCKER_BUILDKIT: "true" })).toBe("buildkit");
    expect(builderFromEnv({ DOCKER_BUILDKIT: "0" })).toBe("classic");
    expect(() => builderFromEnv({ DOCKER_BUILDKIT: "yes please" })).toThrow(DockerConfigError);
  });
});

describe("the classic builder's text as steps", () => {
  it("numbers steps, marks the cached one, and keeps each step's own output", async () => {
    engine({ "Api-Version": "1.41" }, classicOk);
    const stream = await new Docker({ transport: new FetchTransport(BASE) }).images.buildStream(context);
    const events: BuildEvent[] = [];
    for await (const e of stream) events.push(e);
    expect(stream.steps.map((s) => [s.name, s.state])).toEqual([
      ["[1/3] FROM berth-test:busybox", "done"],
      ["[2/3] RUN echo one", "cached"],
      ["[3/3] RUN echo two; echo three", "done"],
    ]);
    expect(stream.outputLines(stream.steps[2]!)).toEqual(["two", "three"]);
    expect(events.filter((e) => e.type === "log").map((e) => e.type === "log" && e.text)).toEqual(["two\n", "three\n"]);
    expect(events.filter((e) => e.type === "image")).toHaveLength(1);
    expect((await stream.done()).id).toBe("sha256:9f8e7d6c5b4a00000000000000000000000000000000000000000000000000aa");
  });

  it("a failing classic step rejects with a DockerBuildError naming it, with its exit code, output and the whole build log", async () => {
    engine(
      { "Api-Version": "1.41" },
      jsonLines([
        { stream: "Step 1/2 : FROM berth-test:busybox\n" },
        { stream: " ---> d2db23ae143a\n" },
        { stream: "Step 2/2 : RUN echo about to fail && exit 3\n" },
        { stream: " ---> Running in 5f4e3d2c1b0a\n" },
        { stream: "about to fail\n" },
        { errorDetail: { code: 3, message: "The command '/bin/sh -c echo about to fail && exit 3' returned a non-zero code: 3" }, error: "The command '/bin/sh -c echo about to fail && exit 3' returned a non-zero code: 3" },
      ]),
    );
    const err = await new Docker({ transport: new FetchTransport(BASE) }).images.build(context).catch((e) => e);
    expect(err).toBeInstanceOf(DockerBuildError);
    expect(err.step.name).toBe("[2/2] RUN echo about to fail && exit 3");
    expect(err.exitCode).toBe(3);
    expect(err.stepOutput).toEqual(["about to fail"]);
    expect(err.message).toBe(
      "Build step [2/2] RUN echo about to fail && exit 3 failed with exit code 3: The command '/bin/sh -c echo about to fail && exit 3' returned a non-zero code: 3\n  | about to fail",
    );
    expect(err.output).toContain("Step 1/2 : FROM berth-test:busybox\n");
    expect(err.events).toHaveLength(6);
    expect(err.steps.map((s: { state: string }) => s.state)).toEqual(["done", "failed"]);
  });

  it("reads buildah's STEP lines (Podman) the same way", async () => {
    engine(
      { "Api-Version": "1.41", Server: "Libpod/4.3.1 (linux)" },
      jsonLines([{ stream: "[1/2] STEP 1/2: FROM busybox AS base\n" }, { stream: "STEP 2/2: RUN echo hi\n" }, { stream: "hi\n" }, { aux: { ID: "sha256:ab" } }]),
    );
    const stream = await new Docker({ transport: new FetchTransport(BASE), builder: "classic" }).images.buildStream(context);
    const result = await stream.done();
    expect(result.steps.map((s) => s.name)).toEqual(["[1/2] FROM busybox AS base", "[2/2] RUN echo hi"]);
    expect(stream.outputLines(result.steps[1]!)).toEqual(["hi"]);
  });
});

describe("plain progress text", () => {
  it("renders a recorded BuildKit build as `--progress=plain` does", async () => {
    engine({ "Api-Version": "1.42", "Builder-Version": "2" }, buildkitOk);
    const stream = await new Docker({ transport: new FetchTransport(BASE) }).images.buildStream(context);
    const plain = new PlainProgress();
    const lines: string[] = [];
    for await (const event of stream) lines.push(...plain.render(event));
    expect(lines[0]).toBe("#1 [internal] load remote build context");
    expect(lines).toContain("#5 CACHED");
    expect(lines).toContain("#6 [stage-1 1/1] RUN echo step-two");
    expect(lines.some((l) => /^#6 \d+\.\d{3} step-two$/.test(l))).toBe(true);
    expect(lines.some((l) => /^#6 DONE \d+\.\ds$/.test(l))).toBe(true);
    expect(lines.some((l) => /^#7 writing image sha256:[0-9a-f]{64}( done)?$/.test(l))).toBe(true);
    // A blank line between one step's lines and the next step's.
    expect(lines[lines.indexOf("#6 [stage-1 1/1] RUN echo step-two") - 1]).toBe("");
  });
});

