import { describe, expect, it } from "vitest";
import { OutputStream, type Frame } from "../../src/index.ts";

const enc = new TextEncoder();

function output(frames: Array<[Frame["stream"], string | Uint8Array]>, options?: { timestamps?: boolean }): OutputStream {
  return new OutputStream(
    new ReadableStream<Frame>({
      start(c) {
        for (const [stream, data] of frames) c.enqueue({ stream, data: typeof data === "string" ? enc.encode(data) : data });
        c.close();
      },
    }),
    options,
  );
}

async function lines(out: OutputStream) {
  const got: Array<[string, string]> = [];
  for await (const l of out.lines()) got.push([l.stream, l.line]);
  return got;
}

describe("OutputStream.lines", () => {
  it("splits frames holding many lines, and joins lines split across frames", async () => {
    expect(await lines(output([["stdout", "a\nb\nc"], ["stdout", "d\ne\n"], ["stdout", "\nf"]]))).toEqual([
      ["stdout", "a"], ["stdout", "b"], ["stdout", "cd"], ["stdout", "e"], ["stdout", ""], ["stdout", "f"],
    ]);
  });

  it("keeps stdout and stderr apart, each with its own partial line", async () => {
    expect(await lines(output([["stdout", "out1 "], ["stderr", "err1\nerr"], ["stdout", "end\n"], ["stderr", "2\n"]]))).toEqual([
      ["stderr", "err1"], ["stdout", "out1 end"], ["stderr", "err2"],
    ]);
  });

  it("decodes a character split across frames, and drops the CR of CRLF", async () => {
    const euro = enc.encode("€\r\n"); // e2 82 ac 0d 0a
    expect(await lines(output([["stdout", euro.subarray(0, 1)], ["stdout", euro.subarray(1, 2)], ["stdout", euro.subarray(2)]]))).toEqual([["stdout", "€"]]);
  });

  it("yields a last line without newline, and nothing for empty frames", async () => {
    expect(await lines(output([["stdout", ""], ["stdout", "x"], ["stdout", new Uint8Array(0)]]))).toEqual([["stdout", "x"]]);
  });

  it("parses timestamps off the front of each line", async () => {
    const got = [];
    for await (const l of output([["stdout", "2024-05-01T10:00:00.123456789Z hello\n2024-05-01T10:00:01Z world\n"]], { timestamps: true }).lines()) got.push(l);
    expect(got.map((l) => [l.line, l.timestampText, l.timestamp?.toISOString()])).toEqual([
      ["hello", "2024-05-01T10:00:00.123456789Z", "2024-05-01T10:00:00.123Z"],
      ["world", "2024-05-01T10:00:01Z", "2024-05-01T10:00:01.000Z"],
    ]);
  });

  it("does not keep a view into a buffer the source reuses for the next read", async () => {
    const shared = enc.encode("ab");
    let pulls = 0;
    const out = new OutputStream(
      new ReadableStream<Frame>(
        {
          pull(c) {
            pulls++;
            if (pulls === 1) c.enqueue({ stream: "stdout", data: shared }); // a partial line
            else if (pulls === 2) {
              shared.fill(122); // the source reuses its buffer for the next read
              c.enqueue({ stream: "stdout", data: enc.encode("c\n") });
            } else c.close();
          },
        },
        { highWaterMark: 0 },
      ),
    );
    expect(await lines(out)).toEqual([["stdout", "abc"]]);
  });
});
