// The protobuf wire format, written: the counterpart of reader.ts, for the messages berth sends
// (and for tests that build the engine's messages byte by byte). Fields are appended in call
// order; a nested message is written by a child writer and framed with its length.

import { encodeUtf8 } from "../streams/bytes.ts";
import { WIRE_LENGTH, WIRE_VARINT } from "./reader.ts";

export class ProtoWriter {
  #chunks: Uint8Array[] = [];
  #length = 0;

  /** An int32/int64/uint64/bool/enum field. Negative numbers take ten bytes, as int64 does. */
  varint(field: number, value: number | boolean): this {
    this.#tag(field, WIRE_VARINT);
    this.#varint(typeof value === "boolean" ? (value ? 1 : 0) : value);
    return this;
  }

  /** An int64 field beyond 2^53 (nanosecond timestamps): two's complement over 64 bits. */
  int64(field: number, value: bigint): this {
    this.#tag(field, WIRE_VARINT);
    let v = BigInt.asUintN(64, value);
    const out: number[] = [];
    while (v > 0x7fn) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.#push(Uint8Array.from(out));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, WIRE_LENGTH);
    this.#varint(value.length);
    this.#push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, encodeUtf8(value));
  }

  message(field: number, write: (w: ProtoWriter) => void): this {
    const child = new ProtoWriter();
    write(child);
    return this.bytes(field, child.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  #tag(field: number, wire: number): void {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) throw new RangeError(`protobuf field number ${field}`);
    this.#varint(field * 8 + wire);
  }

  #varint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf varint ${value} is not a safe integer`);
    const out: number[] = [];
    // Two's complement over 64 bits for negative values, split in 32-bit halves.
    let lo = value >>> 0;
    let hi = Math.floor(value / 2 ** 32) >>> 0;
    while (hi !== 0 || lo > 0x7f) {
      out.push((lo & 0x7f) | 0x80);
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    out.push(lo);
    this.#push(Uint8Array.from(out));
  }

  #push(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }
}
