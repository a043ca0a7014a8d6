// tar, written and read without dependencies, for build contexts, `docker cp` archives, image
// save/load and plugin bundles.
//
// Writing produces POSIX ustar. When a field cannot hold a value (a path that no name/prefix split
// fits, non-ASCII text, a size of 8 GiB or more, large ids) a PAX extended header (typeflag `x`)
// carries it, and numbers too big for octal are also written in GNU base-256 form so that readers
// without PAX still get the right size. Entry data is streamed, never gathered, and the archive
// stream is pull-based so a slow consumer slows the producer.
//
// Reading accepts ustar, PAX (`x` and global `g`), GNU long names (`L`/`K`) and base-256 numbers,
// verifies header checksums, and treats an archive without its end-of-archive marker as
// truncated, so a cut connection never looks like a complete archive.

import { DockerStreamError } from "../errors/errors.ts";
import { collectBytes, concatBytes, decodeUtf8, encodeUtf8 } from "./bytes.ts";
import { normalizeTarPath, safeJoin } from "./tar-paths.ts";

export { normalizeTarPath, safeJoin };

export type TarEntryType = "file" | "directory" | "symlink" | "hardlink";

/** An entry to write. */
export interface TarEntry {
  /** Path inside the archive, `/`-separated. A directory gets a trailing `/` if it lacks one. */
  name: string;
  /** Default "file". */
  type?: TarEntryType;
  /** File contents (files only). A string is written as UTF-8. */
  data?: Uint8Array | string | ReadableStream<Uint8Array>;
  /** Byte length; required when `data` is a stream, checked against the bytes it produces. */
  size?: number;
  /** Permission bits. Default 0o644 for files and hard links, 0o755 for directories, 0o777 for symlinks. */
  mode?: number;
  /** A Date or milliseconds since the epoch. Default: when tarStream was called. */
  mtime?: Date | number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Target of a symlink or hard link. */
  linkname?: string;
}

/** An entry being read. Its body must be read to the end or abandoned before asking for the next. */
export interface TarReadEntry {
  /** The path as stored in the archive (directories usually end with `/`). Not sanitised: see safeJoin. */
  name: string;
  type: TarEntryType | "other";
  size: number;
  mode: number;
  mtime: Date;
  linkname: string;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** The raw typeflag character, for "other" entries (character devices, FIFOs, ...). */
  typeflag: string;
  /**
   * The entry's contents. It can be read only until the reader asks for the next entry: moving on
   * skips whatever was not read, and the body then errors if read later.
   */
  body: ReadableStream<Uint8Array>;
}

const BLOCK = 512;
const END_OF_ARCHIVE = 2 * BLOCK;
/** Entries up to this size are written header+data+padding in one chunk. */
const INLINE_DATA_BELOW = 256 * 1024;
/**
 * Most metadata (PAX `x` records and GNU long names, summed) accepted for one entry while reading,
 * and most the global PAX records (`g`) may hold at once. Real archives use a few KiB at most.
 */
const MAX_TAR_METADATA = 1024 * 1024;

// Field offsets and widths of the ustar header.
const NAME = [0, 100] as const;
const MODE = [100, 8] as const;
const UID = [108, 8] as const;
const GID = [116, 8] as const;
const SIZE = [124, 12] as const;
const MTIME = [136, 12] as const;
const CHECKSUM = [148, 8] as const;
const TYPEFLAG = 156;
const LINKNAME = [157, 100] as const;
const MAGIC = [257, 6] as const;
const VERSION = [263, 2] as const;
const UNAME = [265, 32] as const;
const GNAME = [297, 32] as const;
const DEVMAJOR = [329, 8] as const;
const DEVMINOR = [337, 8] as const;
const PREFIX = [345, 155] as const;

const TYPEFLAGS: Record<TarEntryType, string> = { file: "0", hardlink: "1", symlink: "2", directory: "5" };

// ---------------------------------------------------------------------------------------------
// Header encoding

/** The fields of one entry's header, as encodeHeader takes them: an entry without its data. */
export type TarHeaderInput = Omit<TarEntry, "data">;

/**
 * Encodes an entry's header: one ustar block, preceded by a PAX extended header (its own block,
 * its records padded to a block) when some field needs it. Exported for tests and tools.
 */
export function encodeHeader(input: TarHeaderInput, defaultMtimeMs: number = Date.now()): Uint8Array {
  const type = input.type ?? "file";
  if (!(type in TYPEFLAGS)) throw new TypeError(`unknown tar entry type ${JSON.stringify(type)}`);
  let name = input.name;
  if (typeof name !== "string" || name === "") throw new TypeError("a tar entry needs a non-empty name");
  if (type === "directory" && !name.endsWith("/")) name += "/";
  const linkname = input.linkname ?? "";
  if (name.includes("\0") || linkname.includes("\0")) {
    throw new TypeError(`tar entry ${JSON.stringify(name)}: names cannot contain NUL bytes`);
  }
  if ((type === "symlink" || type === "hardlink") && linkname === "") {
    throw new TypeError(`tar entry ${JSON.stringify(name)}: a ${type} needs a linkname`);
  }
  const size = type === "file" ? input.size ?? 0 : 0;
  checkNumber(name, "size", size);
  const mode = input.mode ?? (type === "directory" ? 0o755 : type === "symlink" ? 0o777 : 0o644);
  const mtimeMs = input.mtime === undefined ? defaultMtimeMs : +input.mtime;
  const mtime = Number.isFinite(mtimeMs) && mtimeMs > 0 ? Math.floor(mtimeMs / 1000) : 0;
  const uid = input.uid ?? 0;
  const gid = input.gid ?? 0;
  checkNumber(name, "uid", uid);
  checkNumber(name, "gid", gid);
  const uname = input.uname ?? "";
  const gname = input.gname ?? "";

  const pax: Array<[string, string]> = [];
  const block = new Uint8Array(BLOCK);

  const nameBytes = encodeUtf8(name);
  const split = isAscii(nameBytes) ? splitUstarName(nameBytes) : null;
  if (split) {
    block.set(split.name, NAME[0]);
    block.set(split.prefix, PREFIX[0]);
  } else {
    pax.push(["path", name]);
    block.set(truncateUtf8(nameBytes, NAME[1]), NAME[0]);
  }
  const linkBytes = encodeUtf8(linkname);
  if (linkBytes.length > LINKNAME[1] || !isAscii(linkBytes)) {
    pax.push(["linkpath", linkname]);
    block.set(truncateUtf8(linkBytes, LINKNAME[1]), LINKNAME[0]);
  } else {
    block.set(linkBytes, LINKNAME[0]);
  }
  for (const [key, value, field] of [["uname", uname, UNAME], ["gname", gname, GNAME]] as const) {
    const bytes = encodeUtf8(value);
    if (bytes.length > field[1] || !isAscii(bytes)) {
      pax.push([key, value]);
      block.set(truncateUtf8(bytes, field[1]), field[0]);
    } else {
      block.set(bytes, field[0]);
    }
  }
  if (!writeNumber(block, SIZE, size)) pax.push(["size", String(size)]);
  if (!writeNumber(block, UID, uid)) pax.push(["uid", String(uid)]);
  if (!writeNumber(block, GID, gid)) pax.push(["gid", String(gid)]);
  if (!writeNumber(block, MTIME, mtime)) pax.push(["mtime", String(mtime)]);
  writeOctal(block, MODE, mode & 0o7777777);
  block[TYPEFLAG] = TYPEFLAGS[type].charCodeAt(0);
  writeUstarMagic(block);
  writeOctal(block, DEVMAJOR, 0);
  writeOctal(block, DEVMINOR, 0);
  writeChecksum(block);

  if (pax.length === 0) return block;

  const records = encodePax(pax);
  const paxHeader = new Uint8Array(BLOCK);
  paxHeader.set(encodeUtf8(paxHeaderName(name)), NAME[0]);
  writeOctal(paxHeader, MODE, 0o644);
  writeOctal(paxHeader, UID, 0);
  writeOctal(paxHeader, GID, 0);
  writeNumber(paxHeader, SIZE, records.length);
  writeNumber(paxHeader, MTIME, mtime);
  paxHeader[TYPEFLAG] = 0x78; // "x"
  writeUstarMagic(paxHeader);
  writeOctal(paxHeader, DEVMAJOR, 0);
  writeOctal(paxHeader, DEVMINOR, 0);
  writeChecksum(paxHeader);

  const out = new Uint8Array(BLOCK + padded(records.length) + BLOCK);
  out.set(paxHeader, 0);
  out.set(records, BLOCK);
  out.set(block, BLOCK + padded(records.length));
  return out;
}

function checkNumber(name: string, what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`tar entry ${JSON.stringify(name)}: ${what} must be a non-negative integer, got ${value}`);
  }
}

/** Finds a split of an ASCII path into ustar's prefix (≤155 bytes) and name (≤100 bytes). */
function splitUstarName(bytes: Uint8Array): { name: Uint8Array; prefix: Uint8Array } | null {
  if (bytes.length <= NAME[1]) return { name: bytes, prefix: new Uint8Array(0) };
  // The earliest slash that leaves at most 100 bytes after it keeps the prefix shortest.
  for (let i = bytes.length - NAME[1] - 1; i < bytes.length - 1; i++) {
    if (i < 0 || bytes[i] !== 0x2f) continue;
    if (i > PREFIX[1]) return null;
    if (i === 0) continue; // an empty prefix would turn "/x" into "x"
    return { prefix: bytes.subarray(0, i), name: bytes.subarray(i + 1) };
  }
  return null;
}

function paxHeaderName(name: string): string {
  const trimmed = name.endsWith("/") ? name.slice(0, -1) : name;
  const base = trimmed.slice(trimmed.lastIndexOf("/") + 1);
  const ascii = base.replace(/[^\x20-\x7e]/g, "_");
  return `PaxHeader/${ascii}`.slice(0, NAME[1]);
}

/** PAX records: `<length> <key>=<value>\n`, where length counts the whole record, itself included. */
function encodePax(records: Array<[string, string]>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [key, value] of records) {
    const body = encodeUtf8(` ${key}=${value}\n`);
    let length = body.length + 1;
    while (String(length).length + body.length !== length) length = String(length).length + body.length;
    parts.push(encodeUtf8(String(length)), body);
  }
  return concatBytes(parts);
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) return false;
  return true;
}

/** Cuts UTF-8 to at most `max` bytes without splitting a character. */
function truncateUtf8(bytes: Uint8Array, max: number): Uint8Array {
  if (bytes.length <= max) return bytes;
  let cut = max;
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut);
}

function writeOctal(block: Uint8Array, [offset, width]: readonly [number, number], value: number): boolean {
  const digits = value.toString(8);
  if (digits.length > width - 1) return false;
  const text = digits.padStart(width - 1, "0");
  for (let i = 0; i < text.length; i++) block[offset + i] = text.charCodeAt(i);
  block[offset + width - 1] = 0;
  return true;
}

/**
 * Octal when it fits, else GNU base-256 (high bit set, big-endian). Returns false when octal did
 * not fit, so the caller adds a PAX record too.
 */
function writeNumber(block: Uint8Array, field: readonly [number, number], value: number): boolean {
  if (writeOctal(block, field, value)) return true;
  const [offset, width] = field;
  let rest = value;
  for (let i = offset + width - 1; i > offset; i--) {
    block[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  block[offset] = 0x80;
  return false;
}

function writeUstarMagic(block: Uint8Array): void {
  block.set([0x75, 0x73, 0x74, 0x61, 0x72, 0x00], MAGIC[0]); // "ustar\0"
  block.set([0x30, 0x30], VERSION[0]); // "00"
}

function writeChecksum(block: Uint8Array): void {
  block.fill(0x20, CHECKSUM[0], CHECKSUM[0] + CHECKSUM[1]);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i];
  const text = sum.toString(8).padStart(6, "0");
  for (let i = 0; i < 6; i++) block[CHECKSUM[0] + i] = text.charCodeAt(i);
  block[CHECKSUM[0] + 6] = 0;
  block[CHECKSUM[0] + 7] = 0x20;
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Writes entries as a tar stream, ending with the two zero blocks. Entries are taken one at a time
 * as the consumer pulls, and stream data is passed through chunk by chunk. Cancelling the archive
 * cancels the entry stream being read.
 */
export function tarStream(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): ReadableStream<Uint8Array> {
  const state: WriterState = { current: null };
  const chunks = writeArchive(entries, state);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        // A pending read of an entry stream would hold the generator: cancel that stream first.
        const current = state.current;
        state.current = null;
        await current?.cancel(reason).catch(() => {});
        await chunks.return(undefined).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

interface WriterState {
  current: ReadableStreamDefaultReader<Uint8Array> | null;
}

async function* writeArchive(
  entries: Iterable<TarEntry> | AsyncIterable<TarEntry>,
  state: WriterState,
): AsyncGenerator<Uint8Array, void, undefined> {
  const now = Date.now();
  for await (const entry of entries) {
    const data = entryData(entry);
    if (data instanceof Uint8Array) {
      const header = encodeHeader({ ...entry, size: data.length }, now);
      if (data.length < INLINE_DATA_BELOW) {
        const out = new Uint8Array(header.length + padded(data.length));
        out.set(header, 0);
        out.set(data, header.length);
        yield out;
      } else {
        yield header;
        yield data;
        if (padded(data.length) !== data.length) yield new Uint8Array(padded(data.length) - data.length);
      }
      continue;
    }

    // A stream: its size must be declared up front, since the header comes first.
    const size = entry.size;
    if (size === undefined) throw new TypeError(`tar entry ${JSON.stringify(entry.name)}: a stream entry needs a size`);
    yield encodeHeader({ ...entry, size }, now);
    const reader = data.getReader();
    state.current = reader;
    let written = 0;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        written += value.length;
        if (written > size) {
          throw new DockerStreamError(`tar entry ${JSON.stringify(entry.name)}: its stream produced more than the declared ${size} bytes`);
        }
        if (value.length !== 0) yield value;
      }
      if (written !== size) {
        throw new DockerStreamError(`tar entry ${JSON.stringify(entry.name)}: its stream produced ${written} bytes, not the declared ${size}`);
      }
    } catch (err) {
      await reader.cancel(err).catch(() => {});
      throw err;
    } finally {
      if (state.current === reader) state.current = null;
      reader.releaseLock();
    }
    if (padded(size) !== size) yield new Uint8Array(padded(size) - size);
  }
  yield new Uint8Array(END_OF_ARCHIVE);
}

/** An entry's data as bytes, or its stream; checks what can be checked before writing anything. */
function entryData(entry: TarEntry): Uint8Array | ReadableStream<Uint8Array> {
  const type = entry.type ?? "file";
  const data = entry.data;
  if (data === undefined) return new Uint8Array(0);
  if (data instanceof ReadableStream) {
    if (type !== "file") throw new TypeError(`tar entry ${JSON.stringify(entry.name)}: only files carry data, not a ${type}`);
    return data;
  }
  const bytes = typeof data === "string" ? encodeUtf8(data) : data;
  if (type !== "file" && bytes.length !== 0) {
    throw new TypeError(`tar entry ${JSON.stringify(entry.name)}: only files carry data, not a ${type}`);
  }
  if (entry.size !== undefined && entry.size !== bytes.length) {
    throw new TypeError(`tar entry ${JSON.stringify(entry.name)}: size ${entry.size} does not match its ${bytes.length} data bytes`);
  }
  return bytes;
}

/** The whole archive in memory, for small archives. */
export async function tarBytes(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): Promise<Uint8Array> {
  return collectBytes(tarStream(entries));
}

// ---------------------------------------------------------------------------------------------
// Header decoding

/** One decoded 512-byte header block, before PAX and GNU long names are applied. */
export interface TarHeader {
  name: string;
  /** The typeflag character; a NUL typeflag reads as "0". */
  typeflag: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname: string;
  uname: string;
  gname: string;
}

/**
 * Decodes one header block; null for an all-zero block (end of archive). Throws DockerStreamError
 * when the checksum does not match or a number field is garbage.
 */
export function decodeHeader(block: Uint8Array): TarHeader | null {
  if (block.length < BLOCK) throw new DockerStreamError("truncated tar archive: short header block");
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= CHECKSUM[0] && i < CHECKSUM[0] + CHECKSUM[1] ? 0x20 : block[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (unsigned === 0x20 * CHECKSUM[1] && isZero(block)) return null;
  const stored = parseNumber(block, CHECKSUM, "checksum");
  // Some old writers summed signed bytes; both are accepted, as other readers do.
  if (stored !== unsigned && stored !== signed) {
    throw new DockerStreamError(`invalid tar header: checksum mismatch (stored ${stored}, computed ${unsigned})`);
  }

  const magic = decodeUtf8(block.subarray(MAGIC[0], MAGIC[0] + MAGIC[1]));
  const typeByte = block[TYPEFLAG];
  const typeflag = typeByte === 0 ? "0" : String.fromCharCode(typeByte);
  let name = readString(block, NAME);
  // Only POSIX ustar has a prefix field; old GNU headers keep other data there.
  if (magic === "ustar\0") {
    const prefix = readString(block, PREFIX);
    if (prefix !== "") name = `${prefix}/${name}`;
  }
  return {
    name,
    typeflag,
    size: parseNumber(block, SIZE, "size"),
    mode: parseNumber(block, MODE, "mode"),
    uid: parseNumber(block, UID, "uid"),
    gid: parseNumber(block, GID, "gid"),
    mtime: parseNumber(block, MTIME, "mtime"),
    linkname: readString(block, LINKNAME),
    uname: readString(block, UNAME),
    gname: readString(block, GNAME),
  };
}

function isZero(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

function readString(block: Uint8Array, [offset, width]: readonly [number, number]): string {
  let end = offset;
  const limit = offset + width;
  while (end < limit && block[end] !== 0) end++;
  return decodeUtf8(block.subarray(offset, end));
}

/** Octal (space/NUL padded) or GNU base-256. */
function parseNumber(block: Uint8Array, [offset, width]: readonly [number, number], what: string): number {
  const first = block[offset];
  if (first & 0x80) {
    if (first === 0xff) throw new DockerStreamError(`invalid tar header: negative ${what}`);
    let value = first & 0x7f;
    for (let i = offset + 1; i < offset + width; i++) value = value * 256 + block[i];
    if (!Number.isSafeInteger(value)) throw new DockerStreamError(`invalid tar header: ${what} too large`);
    return value;
  }
  let i = offset;
  const end = offset + width;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let value = 0;
  for (; i < end; i++) {
    const c = block[i];
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) {
      throw new DockerStreamError(`invalid tar header: ${what} field is not an octal number`);
    }
    value = value * 8 + (c - 0x30);
  }
  return value;
}

/** Parses PAX extended header records into key/value pairs. */
export function parsePax(data: Uint8Array): Record<string, string> {
  const records = new Map<string, string>();
  parsePaxInto(data, records);
  return Object.fromEntries(records);
}

/**
 * Parses PAX records into `into`, later keys replacing earlier ones, and returns how much the map's
 * keys and values grew, in UTF-16 code units (never more than their UTF-8 bytes; negative when
 * values were replaced by shorter ones).
 */
function parsePaxInto(data: Uint8Array, into: Map<string, string>): number {
  let grown = 0;
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers pad the record area with NULs
    let space = pos;
    let length = 0;
    while (space < data.length && data[space] >= 0x30 && data[space] <= 0x39) length = length * 10 + (data[space++] - 0x30);
    const end = pos + length;
    if (space === pos || data[space] !== 0x20 || length === 0 || end > data.length || data[end - 1] !== 0x0a) {
      throw new DockerStreamError("invalid tar archive: malformed PAX extended header");
    }
    const record = decodeUtf8(data.subarray(space + 1, end - 1));
    const eq = record.indexOf("=");
    if (eq <= 0) throw new DockerStreamError("invalid tar archive: malformed PAX extended header record");
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    const old = into.get(key);
    grown += old === undefined ? key.length + value.length : value.length - old.length;
    into.set(key, value);
    pos = end;
  }
  return grown;
}

/** An entry's PAX records over the global ones: a lookup, never a merged copy. */
type PaxLookup = (key: string) => string | undefined;

function paxNumber(records: PaxLookup, key: string, fallback: number, fractional = false): number {
  const text = records(key);
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  const valid = fractional ? Number.isFinite(value) : Number.isSafeInteger(value) && value >= 0 && /^\d+$/.test(text);
  if (!valid) throw new DockerStreamError(`invalid tar archive: PAX ${key} ${JSON.stringify(text)} is not a number`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Pulls bytes from a stream in the exact amounts the tar reader asks for. */
class ByteSource {
  private buffer: Uint8Array = new Uint8Array(0);
  private offset = 0;
  private ended = false;

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  private async fill(): Promise<boolean> {
    while (this.offset === this.buffer.length) {
      if (this.ended) return false;
      const { value, done } = await this.reader.read();
      if (done) {
        this.ended = true;
        return false;
      }
      this.buffer = value;
      this.offset = 0;
    }
    return true;
  }

  /** Exactly n bytes; null at a clean end of input; throws when input ends partway. */
  async exact(n: number, what: string): Promise<Uint8Array | null> {
    if (!(await this.fill())) return null;
    if (this.buffer.length - this.offset >= n) {
      const view = this.buffer.subarray(this.offset, this.offset + n);
      this.offset += n;
      return view;
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      if (!(await this.fill())) throw truncated(what);
      const take = Math.min(n - got, this.buffer.length - this.offset);
      out.set(this.buffer.subarray(this.offset, this.offset + take), got);
      this.offset += take;
      got += take;
    }
    return out;
  }

  /** Between 1 and max bytes, as a view of the input where possible. */
  async some(max: number, what: string): Promise<Uint8Array> {
    if (!(await this.fill())) throw truncated(what);
    const take = Math.min(max, this.buffer.length - this.offset);
    const view = this.buffer.subarray(this.offset, this.offset + take);
    this.offset += take;
    return view;
  }

  async skip(n: number, what: string): Promise<void> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) throw truncated(what);
      const take = Math.min(left, this.buffer.length - this.offset);
      this.offset += take;
      left -= take;
    }
  }

  /** Reads and discards the rest of the input (trailing zero blocks and record padding). */
  async drain(): Promise<void> {
    this.offset = this.buffer.length;
    while (await this.fill()) this.offset = this.buffer.length;
  }

  async cancel(reason?: unknown): Promise<void> {
    await this.reader.cancel(reason).catch(() => {});
  }

  release(): void {
    this.reader.releaseLock();
  }
}

function truncated(what: string): DockerStreamError {
  return new DockerStreamError(`truncated tar archive: input ended inside ${what}`);
}

const ENTRY_TYPES: Record<string, TarEntryType> = { "0": "file", "7": "file", "1": "hardlink", "2": "symlink", "5": "directory" };

/**
 * Reads a tar archive entry by entry. Each entry's `body` must be read or abandoned before the
 * next entry is requested; requesting it skips what is left of the body. Stopping early (break
 * out of `for await`) cancels the input stream. Errors are DockerStreamError: bad checksum,
 * malformed headers, or input ending before the end-of-archive marker.
 */
export async function* readTar(stream: ReadableStream<Uint8Array>): AsyncGenerator<TarReadEntry, void, undefined> {
  const source = new ByteSource(stream.getReader());
  let complete = false;
  // Merged in place: copying the records at every header made many small headers quadratic.
  const globalPax = new Map<string, string>();
  let globalSize = 0;
  try {
    for (;;) {
      const pax = new Map<string, string>();
      let metaSize = 0;
      let longName: string | null = null;
      let longLink: string | null = null;
      let header: TarHeader | null;
      // Metadata entries (PAX, GNU long names) describe the entry that follows them.
      for (;;) {
        const block = await source.exact(BLOCK, "a header");
        if (block === null) throw new DockerStreamError("truncated tar archive: input ended without the end-of-archive marker");
        header = decodeHeader(block);
        if (header === null) break;
        const flag = header.typeflag;
        if (flag !== "x" && flag !== "g" && flag !== "L" && flag !== "K") break;
        if (flag !== "g") {
          metaSize += header.size;
          if (metaSize > MAX_TAR_METADATA) {
            throw new DockerStreamError(`invalid tar archive: more than ${MAX_TAR_METADATA} bytes of extended headers for one entry`);
          }
        } else if (header.size > MAX_TAR_METADATA) {
          throw new DockerStreamError(`invalid tar archive: ${header.size}-byte global extended header exceeds the ${MAX_TAR_METADATA}-byte limit`);
        }
        const data = (await source.exact(header.size, "an extended header")) ?? new Uint8Array(0);
        if (data.length < header.size) throw truncated("an extended header");
        if (flag === "x") parsePaxInto(data, pax);
        else if (flag === "g") {
          globalSize += parsePaxInto(data, globalPax);
          if (globalSize > MAX_TAR_METADATA) {
            throw new DockerStreamError(`invalid tar archive: global extended headers hold more than ${MAX_TAR_METADATA} bytes`);
          }
        } else if (flag === "L") longName = cString(data);
        else longLink = cString(data);
        await source.skip(padded(header.size) - header.size, "an extended header");
      }
      if (header === null) {
        complete = true;
        await source.drain();
        return;
      }

      const records: PaxLookup = (key) => (pax.has(key) ? pax.get(key) : globalPax.get(key));
      const name = records("path") ?? longName ?? header.name;
      const size = paxNumber(records, "size", header.size);
      let type: TarEntryType | "other" = ENTRY_TYPES[header.typeflag] ?? "other";
      // Pre-POSIX archives mark directories only by the trailing slash.
      if (type === "file" && header.typeflag === "0" && name.endsWith("/")) type = "directory";

      let remaining = size;
      let detached = false;
      let pending: Promise<void> | null = null;
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>(
        {
          start(c) {
            controller = c;
            if (remaining === 0) c.close();
          },
          pull(c) {
            if (detached) return;
            pending = (async () => {
              try {
                const piece = await source.some(remaining, `the body of ${JSON.stringify(name)}`);
                remaining -= piece.length;
                c.enqueue(piece);
                if (remaining === 0) c.close();
              } catch (err) {
                c.error(err);
              } finally {
                pending = null;
              }
            })();
            return pending;
          },
        },
        { highWaterMark: 0 },
      );

      yield {
        name,
        type,
        size,
        mode: header.mode,
        mtime: new Date(paxNumber(records, "mtime", header.mtime, true) * 1000),
        linkname: records("linkpath") ?? longLink ?? header.linkname,
        uid: paxNumber(records, "uid", header.uid),
        gid: paxNumber(records, "gid", header.gid),
        uname: records("uname") ?? header.uname,
        gname: records("gname") ?? header.gname,
        typeflag: header.typeflag,
        body,
      };

      // The consumer asked for the next entry: finish this one.
      detached = true;
      while (pending) await pending;
      if (remaining > 0) {
        try {
          controller.error(new DockerStreamError(`tar entry ${JSON.stringify(name)}: body read after moving to the next entry`));
        } catch {
          // already closed or errored
        }
        await source.skip(remaining, `the body of ${JSON.stringify(name)}`);
        remaining = 0;
      }
      await source.skip(padded(size) - size, `the padding of ${JSON.stringify(name)}`);
    }
  } finally {
    if (complete) source.release();
    else await source.cancel();
  }
}

function cString(data: Uint8Array): string {
  const nul = data.indexOf(0);
  return decodeUtf8(nul === -1 ? data : data.subarray(0, nul));
}

/** An entry of readTarEntries: the header fields that matter, with the contents in memory. */
export interface TarFileEntry {
  name: string;
  type: TarReadEntry["type"];
  mode: number;
  mtime: Date;
  size: number;
  linkname: string;
  data: Uint8Array;
}

/** A small archive's entries with their contents, in order. */
export async function readTarEntries(stream: ReadableStream<Uint8Array>): Promise<TarFileEntry[]> {
  const out: TarFileEntry[] = [];
  for await (const entry of readTar(stream)) {
    const data = await collectBytes(entry.body);
    out.push({ name: entry.name, type: entry.type, mode: entry.mode, mtime: entry.mtime, size: entry.size, linkname: entry.linkname, data });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// gzip

/**
 * Decompresses the stream when it starts with the gzip magic bytes (1f 8b), and passes it through
 * unchanged otherwise. Image and context archives arrive either way.
 */
export function gunzipIfNeeded(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let output: ReadableStreamDefaultReader<Uint8Array> | null = null;
  let gzipped = false;
  // The source's own failure passes through the decompressor unchanged; anything else it throws
  // (zlib's Z_DATA_ERROR, "unexpected end of file") means the gzip data is corrupt.
  let sourceFailure: unknown;

  async function open(): Promise<ReadableStreamDefaultReader<Uint8Array>> {
    const head: Uint8Array[] = [];
    let length = 0;
    let ended = false;
    while (length < 2) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      head.push(value);
      length += value.length;
    }
    const first = head.length === 0 ? new Uint8Array(0) : concatBytes(head, length);
    const raw = new ReadableStream<Uint8Array>(
      {
        start(c) {
          if (first.length !== 0) c.enqueue(first);
          if (ended) c.close();
        },
        async pull(c) {
          let result: ReadableStreamReadResult<Uint8Array>;
          try {
            result = await reader.read();
          } catch (err) {
            sourceFailure = err;
            throw err;
          }
          if (result.done) c.close();
          else c.enqueue(result.value);
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
    const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
    gzipped = gzip;
    const result = gzip
      ? raw.pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>)
      : raw;
    return result.getReader();
  }

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        output ??= await open();
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await output.read();
        } catch (err) {
          if (!gzipped || err === sourceFailure || err instanceof DockerStreamError) throw err;
          throw new DockerStreamError(`corrupt gzip data: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err });
        }
        if (result.done) controller.close();
        else controller.enqueue(result.value);
      },
      async cancel(reason) {
        if (output) await output.cancel(reason);
        else await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
