// fsutil's wire messages (tonistiigi/fsutil types/wire.proto and stat.proto), the only thing that
// crosses a FileSync/DiffCopy stream. A stat's mode is Go's os.FileMode, not a Unix st_mode: the
// type lives in high bits (a directory is 1<<31, a symlink 1<<27) and the permissions in the low
// nine, with setuid/setgid/sticky moved up as well. The engine's receiver reads them so.

import { ProtoReader, WIRE_LENGTH, WIRE_VARINT } from "../../protobuf/reader.ts";
import { ProtoWriter } from "../../protobuf/writer.ts";

export const PacketType = { STAT: 0, REQ: 1, DATA: 2, FIN: 3, ERR: 4 } as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** Go's os.FileMode bits that fsutil sends. */
export const GoMode = {
  DIR: 2 ** 31,
  SYMLINK: 2 ** 27,
  SETUID: 2 ** 23,
  SETGID: 2 ** 22,
  STICKY: 2 ** 20,
} as const;

export interface Stat {
  /** `/`-separated, relative to the synced directory, no leading `./`. */
  path: string;
  /** Go os.FileMode (see goMode). */
  mode: number;
  uid?: number;
  gid?: number;
  size?: number;
  /** Nanoseconds since the epoch. */
  modTime?: bigint;
  linkname?: string;
}

export interface Packet {
  type: PacketType;
  /** Absent in the STAT that ends the walk. */
  stat?: Stat;
  id?: number;
  data?: Uint8Array;
}

/** A Unix mode (kind from lstat, permission and special bits from st_mode) as Go's os.FileMode. */
export function goMode(kind: "file" | "directory" | "symlink", mode: number): number {
  let out = mode & 0o777;
  if (mode & 0o4000) out += GoMode.SETUID;
  if (mode & 0o2000) out += GoMode.SETGID;
  if (mode & 0o1000) out += GoMode.STICKY;
  if (kind === "directory") out += GoMode.DIR;
  else if (kind === "symlink") out += GoMode.SYMLINK;
  return out;
}

/** Whether the receiver may REQuest the entry's bytes: regular files only (fsutil's fileCanRequestData). */
export function hasData(mode: number): boolean {
  return TYPE_BITS.every((bit) => Math.floor(mode / 2 ** bit) % 2 === 0);
}

// os.ModeType: directory, symlink, device, named pipe, socket, char device, irregular.
const TYPE_BITS = [31, 27, 26, 25, 24, 21, 19];

export function encodePacket(packet: Packet): Uint8Array {
  const w = new ProtoWriter();
  if (packet.type !== PacketType.STAT) w.varint(1, packet.type);
  if (packet.stat) {
    const s = packet.stat;
    w.message(2, (m) => {
      m.string(1, s.path);
      if (s.mode) m.varint(2, s.mode);
      if (s.uid) m.varint(3, s.uid);
      if (s.gid) m.varint(4, s.gid);
      if (s.size) m.varint(5, s.size);
      if (s.modTime) m.int64(6, s.modTime);
      if (s.linkname) m.string(7, s.linkname);
    });
  }
  if (packet.id) w.varint(3, packet.id);
  if (packet.data && packet.data.length) w.bytes(4, packet.data);
  return w.finish();
}

export function decodePacket(bytes: Uint8Array): Packet {
  const r = new ProtoReader(bytes);
  const packet: Packet = { type: PacketType.STAT };
  while (!r.done) {
    const field = r.field();
    if (field === 1 && r.is(WIRE_VARINT)) packet.type = r.varint() as PacketType;
    else if (field === 2 && r.is(WIRE_LENGTH)) packet.stat = decodeStat(r.message());
    else if (field === 3 && r.is(WIRE_VARINT)) packet.id = r.varint() >>> 0;
    else if (field === 4 && r.is(WIRE_LENGTH)) packet.data = r.bytes();
    else if (field < 1 || field > 4) r.skip();
  }
  return packet;
}

function decodeStat(r: ProtoReader): Stat {
  const stat: Stat = { path: "", mode: 0 };
  while (!r.done) {
    const field = r.field();
    if (field === 1 && r.is(WIRE_LENGTH)) stat.path = r.string();
    else if (field === 2 && r.is(WIRE_VARINT)) stat.mode = r.varint() >>> 0;
    else if (field === 3 && r.is(WIRE_VARINT)) stat.uid = r.varint();
    else if (field === 4 && r.is(WIRE_VARINT)) stat.gid = r.varint();
    else if (field === 5 && r.is(WIRE_VARINT)) stat.size = r.varint();
    else if (field === 6 && r.is(WIRE_VARINT)) stat.modTime = BigInt(r.varint());
    else if (field === 7 && r.is(WIRE_LENGTH)) stat.linkname = r.string();
    else if (field < 1 || field > 7) r.skip();
  }
  return stat;
}
