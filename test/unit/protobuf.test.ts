import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DockerStreamError } from "../../src/errors/errors.ts";
import { ProtoReader, WIRE_FIXED32, WIRE_FIXED64, WIRE_LENGTH, WIRE_VARINT } from "../../src/protobuf/reader.ts";
import { ProtoWriter } from "../../src/protobuf/writer.ts";

function readAll(bytes: Uint8Array): Array<[number, number, unknown]> {
  const r = new ProtoReader(bytes);
  const out: Array<[number, number, unknown]> = [];
  while (!r.done) {
    const field = r.field();
    const wire = r.wireType;
    if (wire === WIRE_VARINT) out.push([field, wire, r.varint()]);
    else if (wire === WIRE_LENGTH) out.push([field, wire, r.string()]);
    else {
      r.skip();
      out.push([field, wire, null]);
    }
  }
  return out;
}

describe("protobuf wire format", () => {
  it("round-trips varints of every width, negative int64 included", () => {
    const values = [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 35 + 7, Number.MAX_SAFE_INTEGER, -1, -2, -(2 ** 31), -(2 ** 40)];
    const w = new ProtoWriter();
    values.forEach((v, i) => w.varint(i + 1, v));
    expect(readAll(w.finish()).map(([, , v]) => v)).toEqual(values);
  });

  it("encodes as protobuf does: known bytes for 150, -1 and a string", () => {
    expect([...new ProtoWriter().varint(1, 150).finish()]).toEqual([0x08, 0x96, 0x01]);
    expect([...new ProtoWriter().varint(1, -1).finish()]).toEqual([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect([...new ProtoWriter().string(2, "testing").finish()]).toEqual([0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67]);
  });

  it("reads nested messages and skips unknown fixed32, fixed64 and length fields", () => {
    const bytes = Uint8Array.from([
      ...new ProtoWriter().message(3, (m) => m.string(1, "inner").varint(2, 42)).finish(),
      (9 << 3) | WIRE_FIXED32, 1, 2, 3, 4,
      (10 << 3) | WIRE_FIXED64, 1, 2, 3, 4, 5, 6, 7, 8,
      ...new ProtoWriter().string(11, "ignored").string(1, "after").finish(),
    ]);
    const r = new ProtoReader(bytes);
    expect(r.field()).toBe(3);
    const inner = r.message();
    expect(inner.field()).toBe(1);
    expect(inner.string()).toBe("inner");
    expect(inner.field()).toBe(2);
    expect(inner.varint()).toBe(42);
    expect(inner.done).toBe(true);
    const rest: number[] = [];
    let last = "";
    while (!r.done) {
      const f = r.field();
      rest.push(f);
      if (f === 1) last = r.string();
      else r.skip();
    }
    expect(rest).toEqual([9, 10, 11, 1]);
    expect(last).toBe("after");
  });

  it("refuses truncated, oversized and unsupported input with a DockerStreamError", () => {
    const cases: Array<[string, number[]]> = [
      ["a varint cut short", [0x08, 0x96]],
      ["a varint of eleven bytes", [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
      ["a length past the end", [0x12, 0x05, 0x61]],
      ["a fixed64 cut short", [0x09, 1, 2, 3]],
      ["a group (wire type 3)", [0x0b]],
      ["field number 0", [0x00, 0x01]],
    ];
    for (const [what, bytes] of cases) {
      const run = () => readAll(Uint8Array.from(bytes));
      expect(run, what).toThrow(DockerStreamError);
    }
  });

  it("never throws anything but DockerStreamError, and never reads past the input, on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        try {
          readAll(bytes);
        } catch (err) {
          if (!(err instanceof DockerStreamError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
