// OutputStream.lines() bounds a line: past maxLineLength (default 16 MiB, as the JSON-lines
// decoder) the iteration fails with a DockerStreamError instead of gathering the line without end.
import { describe, expect, it } from "vitest";
import { DockerStreamError, OutputStream, type Frame } from "../../src/index.ts";

const enc = new TextEncoder();

/** Frames from a list, then (optionally) the same filler frame up to 32 MiB; records cancellation. */
function frames(list: Array<[Frame["stream"], string | Uint8Array]>, filler?: Frame) {
  const state = { cancelled: false, produced: 0 };
  let i = 0;
  const readable = new ReadableStream<Frame>(
    {
      pull(c) {
        if (i < list.length) {
          const [stream, data] = list[i++]!;
          c.enqueue({ stream, data: typeof data === "string" ? enc.encode(data) : data });
        } else if (filler && state.produced < 32 * 1024 * 1024) {
          state.produced += filler.data.length;
          c.enqueue(filler);
        } else c.close();
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { out: new OutputStream(readable), state };
}

async function lines(out: OutputStream, maxLineLength?: number) {
  const got: Array<[string, number]> = [];
  for await (const l of out.lines(maxLineLength === undefined ? {} : { maxLineLength })) got.push([l.stream, l.line.length]);
  return got;
}

describe("OutputStream.lines() maxLineLength", () => {
  it("a 32 MiB line fails with DockerStreamError past the default 16 MiB, holding no more, and cancels the source", async () => {
    const { out, state } = frames([["stdout", "short\n"]], { stream: "stdout", data: new Uint8Array(64 * 1024).fill(0x61) });
    const got: number[] = [];
    const err = await (async () => {
      for await (const l of out.lines()) got.push(l.line.length);
    })().catch((e) => e);
    expect(got).toEqual([5]);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect(err.message).toMatch(/stdout line of at least \d+ bytes exceeds the 16777216-byte limit/);
    expect(state.produced).toBeLessThanOrEqual(16 * 1024 * 1024 + 64 * 1024);
    expect(state.cancelled).toBe(true);
  });

  it("lines of exactly the limit pass, in one frame or across frames, per stream", async () => {
    const ten = "x".repeat(10);
    const { out } = frames([
      ["stdout", `${ten}\n${ten.slice(0, 4)}`],
      ["stderr", ten.slice(0, 6)],
      ["stdout", `${ten.slice(4)}\n`],
      ["stderr", `${ten.slice(6)}\n${ten}`],
    ]);
    expect(await lines(out, 10)).toEqual([["stdout", 10], ["stdout", 10], ["stderr", 10], ["stderr", 10]]);
  });

  it("one byte more fails, wherever the line lies", async () => {
    const eleven = "y".repeat(11);
    const cases: Array<Array<[Frame["stream"], string]>> = [
      [["stdout", `ok\n${eleven}\nok\n`]], // inside one frame, between newlines
      [["stdout", `${eleven}\n`]], // first line of a frame
      [["stdout", `ok\n${eleven}`]], // the unfinished end of a frame
      [["stdout", "yyyyyy"], ["stdout", "yyyyy\n"]], // completed in a later frame
      [["stderr", "yyyyyy"], ["stderr", "yyy"], ["stderr", "yy"]], // never completed
    ];
    for (const list of cases) {
      const { out, state } = frames(list);
      const err = await lines(out, 10).catch((e) => e);
      expect(err, JSON.stringify(list)).toBeInstanceOf(DockerStreamError);
      expect(err.message).toContain("10-byte limit");
    }
  });

  it("refuses a limit that is not a positive number", async () => {
    const { out } = frames([["stdout", "a\n"]]);
    await expect(lines(out, 0)).rejects.toBeInstanceOf(RangeError);
  });
});
