// The protobuf wire format, read without a schema compiler: BuildKit's build progress arrives as
// base64 protobuf inside the JSON lines of `POST /build?version=2`, and that is the only reason
// the core reads protobuf at all. The reader is a cursor over one byte array; a nested message is
// a sub-reader over a slice of it (no copies). Every length is checked against what is left, so a
// hostile or truncated message fails with a DockerStreamError instead of reading out of bounds.

import { DockerStreamError } from "../errors/errors.ts";
import { decodeUtf8 } from "../streams/bytes.ts";

/** The wire types of the protobuf encoding (groups, 3 and 4, are long deprecated and refused). */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH = 2;
export const WIRE_FIXED32 = 5;

const TWO_32 = 2 ** 32;

export class ProtoReader {
  readonly #bytes: Uint8Array;
  #pos: number;
  readonly #end: number;
  /** Wire type of the field whose tag was read last. */
  wireType = 0;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.#bytes = bytes;
    this.#pos = start;
    this.#end = end;
  }

  /** True when every byte of this message was read. */
  get done(): boolean {
    return this.#pos >= this.#end;
  }

  /** Reads the next field's tag: returns its number and sets `wireType`. */
  field(): number {
    const tag = this.varint();
    const field = Math.floor(tag / 8);
    this.wireType = tag % 8;
    if (field < 1) throw malformed(`field number ${field}`);
    return field;
  }

  /**
   * A varint as a JavaScript number: int32/int64 values come back signed (a negative int64 is
   * sent as ten bytes of two's complement), uint64 values above 2^53 lose precision, as any
   * number would. Byte counts and timestamps stay far below that.
   */
  varint(): number {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#end) throw malformed("a varint runs past the end of its message");
      const b = this.#bytes[this.#pos++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) return (hi | 0) * TWO_32 + (lo >>> 0);
    }
    throw malformed("a varint longer than ten bytes");
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  /** A length-delimited field as a view into the message (no copy). */
  bytes(): Uint8Array {
    const length = this.varint();
    if (length < 0 || length > this.#end - this.#pos) throw malformed(`a field of ${length} bytes with ${this.#end - this.#pos} left`);
    const start = this.#pos;
    this.#pos += length;
    return this.#bytes.subarray(start, this.#pos);
  }

  string(): string {
    return decodeUtf8(this.bytes());
  }

  /** A nested message: a reader over its bytes. */
  message(): ProtoReader {
    const view = this.bytes();
    return new ProtoReader(view);
  }

  /** Skips the value of the field whose tag was read last (unknown fields are allowed). */
  skip(): void {
    switch (this.wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.#advance(8);
        return;
      case WIRE_LENGTH:
        this.bytes();
        return;
      case WIRE_FIXED32:
        this.#advance(4);
        return;
      default:
        throw malformed(`wire type ${this.wireType}`);
    }
  }

  /** Checks that the field just tagged has the wire type its schema says; skips it otherwise. */
  is(wireType: number): boolean {
    if (this.wireType === wireType) return true;
    this.skip();
    return false;
  }

  #advance(n: number): void {
    if (n > this.#end - this.#pos) throw malformed(`a fixed field of ${n} bytes with ${this.#end - this.#pos} left`);
    this.#pos += n;
  }
}

function malformed(what: string): DockerStreamError {
  return new DockerStreamError(`Malformed protobuf message: ${what}`);
}
