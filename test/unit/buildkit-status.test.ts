// BuildKit progress decoding, against trace lines recorded from dockerd 20.10 (`POST /build?version=2`)
// and against messages built field by field.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DockerStreamError } from "../../src/errors/errors.ts";
import { encodeBase64 } from "../../src/config/base64.ts";
import { decodeBuildkitTrace, decodeStatusResponse } from "../../src/buildkit/status.ts";
import { BUILDKIT_TRACE_ID } from "../../src/buildkit/build-stream.ts";
import { BuildModel, exitCodeOf } from "../../src/buildkit/model.ts";
import { ProtoWriter } from "../../src/protobuf/writer.ts";

function recorded(name: string): Array<Record<string, unknown>> {
  return readFileSync(new URL(`../fixtures/buildkit/${name}.jsonl`, import.meta.url), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function modelOf(lines: Array<Record<string, unknown>>): BuildModel {
  const model = new BuildModel();
  for (const line of lines) if (line.id === BUILDKIT_TRACE_ID) model.update(decodeBuildkitTrace(line.aux));
  return model;
}

describe("BuildKit status messages", () => {
  it("decodes a recorded successful multi-stage build into steps in order, all done", () => {
    const model = modelOf(recorded("success"));
    const steps = model.steps;
    const names = steps.map((s) => s.name);
    // The context came as the request body: BuildKit reads it as a "remote" context.
    expect(names[0]).toBe("[internal] load remote build context");
    expect(names.some((n) => /^\[base 2\/2\] RUN --mount=type=cache,target=\/cache echo hello-out/.test(n))).toBe(true);
    expect(names.some((n) => /^\[stage-1 1\/1\] RUN echo step-two$/.test(n))).toBe(true);
    expect(steps.map((s) => s.number)).toEqual(steps.map((_, i) => i + 1));
    for (const s of steps) {
      expect(s.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(["done", "cached"]).toContain(s.state);
      if (s.state === "done") expect(s.completed!.getTime()).toBeGreaterThanOrEqual(s.started!.getTime());
    }
    expect(model.failedStep).toBeUndefined();
    // Recorded after the failing-step build, which ran the same first RUN: BuildKit reused it.
    const cached = steps.find((s) => s.name.includes("hello-out"))!;
    expect(cached.state).toBe("cached");
    const run = steps.find((s) => s.name.endsWith("RUN echo step-two"))!;
    expect(run.state).toBe("done");
    expect(model.outputLines(run.digest)).toEqual(["step-two"]);
    expect(run.inputs.length).toBeGreaterThan(0);
    // The export step reports byte progress (layers, writing the image, naming it).
    expect(steps[steps.length - 1]!.name).toBe("exporting to image");
    expect(steps[steps.length - 1]!.progress.length).toBeGreaterThan(0);
    expect(steps.map((s) => s.digest)).toEqual(expect.arrayContaining(run.inputs));
  });

  it("names the failing step of a recorded build, its error, exit code and last output", () => {
    const lines = recorded("failing-step");
    const model = modelOf(lines);
    const failed = model.failedStep!;
    expect(failed.name).toBe("[stage-0 3/3] RUN echo step-two; exit 3");
    expect(failed.state).toBe("failed");
    expect(failed.error).toMatch(/exit code: 3/);
    expect(exitCodeOf(failed.error!)).toBe(3);
    expect(model.outputLines(failed.digest)).toEqual(["step-two"]);
    const last = lines[lines.length - 1]!;
    expect(last.errorDetail).toEqual({ message: expect.stringMatching(/exit code: 3$/) });
  });

  it("decodes every field of the schema, and keeps byte progress per status id", () => {
    const ts = (w: ProtoWriter, field: number, ms: number) => w.message(field, (t) => t.varint(1, Math.floor(ms / 1000)).varint(2, (ms % 1000) * 1e6));
    const msg = new ProtoWriter()
      .message(1, (v) => {
        v.string(1, "sha256:aa").string(2, "sha256:in1").string(2, "sha256:in2").string(3, "[internal] load metadata").varint(4, true);
        ts(v, 5, 1_700_000_000_123);
        ts(v, 6, 1_700_000_001_456);
        v.string(7, "").message(8, (g) => g.string(1, "g1").string(2, "pull").varint(3, true));
      })
      .message(2, (s) => {
        s.string(1, "layer-1").string(2, "sha256:aa").string(3, "downloading").varint(4, 512).varint(5, 2048);
        ts(s, 6, 1_700_000_000_500);
      })
      .message(3, (l) => l.string(1, "sha256:aa").varint(3, 2).bytes(4, new TextEncoder().encode("warn line\n")))
      .message(4, (w) => w.string(1, "sha256:aa").varint(2, 1).bytes(3, new TextEncoder().encode("short")).bytes(4, new TextEncoder().encode("d1")).string(5, "https://example.invalid/w"))
      .finish();
    const status = decodeStatusResponse(msg);
    expect(status.vertexes).toEqual([
      {
        digest: "sha256:aa",
        inputs: ["sha256:in1", "sha256:in2"],
        name: "[internal] load metadata",
        cached: true,
        started: new Date(1_700_000_000_123),
        completed: new Date(1_700_000_001_456),
        progressGroup: { id: "g1", name: "pull", weak: true },
      },
    ]);
    expect(status.statuses).toEqual([
      { id: "layer-1", vertex: "sha256:aa", name: "downloading", current: 512, total: 2048, timestamp: new Date(1_700_000_000_500) },
    ]);
    expect(status.logs).toEqual([{ vertex: "sha256:aa", stream: 2, data: new TextEncoder().encode("warn line\n") }]);
    expect(status.warnings).toEqual([{ vertex: "sha256:aa", level: 1, short: "short", detail: ["d1"], url: "https://example.invalid/w" }]);

    const model = new BuildModel();
    model.update(status);
    const again = new ProtoWriter().message(2, (s) => s.string(1, "layer-1").string(2, "sha256:aa").varint(4, 2048).varint(5, 2048)).finish();
    model.update(decodeStatusResponse(again));
    expect(model.steps[0]!.progress.map((p) => [p.id, p.current, p.total])).toEqual([["layer-1", 2048, 2048]]);
    expect(model.steps[0]!.state).toBe("cached");
    expect(model.warnings.map((w) => w.short)).toEqual(["short"]);
  });

  it("keeps a bounded tail of a step's output", () => {
    const model = new BuildModel();
    const line = "x".repeat(1023) + "\n";
    for (let i = 0; i < 300; i++) {
      const m = new ProtoWriter().message(3, (l) => l.string(1, "sha256:big").varint(3, 1).bytes(4, new TextEncoder().encode(`${i} ${line}`))).finish();
      model.update(decodeStatusResponse(m));
    }
    const step = model.steps[0]!;
    expect(step.outputBytes).toBeGreaterThan(300 * 1024);
    const tail = model.outputLines("sha256:big", 1000);
    expect(tail.length).toBeLessThan(80);
    expect(tail[tail.length - 1]).toMatch(/^299 x+$/);
    expect(tail[0]).toMatch(/^\d+ x{1023}$/);
  });

  it("refuses a trace that is not base64 or not a StatusResponse, with a DockerStreamError", () => {
    expect(() => decodeBuildkitTrace(42)).toThrow(DockerStreamError);
    expect(() => decodeBuildkitTrace("not base64 !")).toThrow(DockerStreamError);
    expect(() => decodeBuildkitTrace(encodeBase64(Uint8Array.from([0x0a, 0x10, 0x01])))).toThrow(DockerStreamError);
  });

  it("never throws anything but DockerStreamError on random messages", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          new BuildModel().update(decodeStatusResponse(bytes));
        } catch (err) {
          if (!(err instanceof DockerStreamError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
