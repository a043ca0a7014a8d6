// BuildKit's progress messages, decoded. A BuildKit build (`POST /build?version=2`) reports progress
// as JSON lines `{"id":"moby.buildkit.trace","aux":"<base64>"}`, where the base64 is one
// `moby.buildkit.v1.StatusResponse` (BuildKit's api/services/control/control.proto): the steps of
// the build graph (vertexes), byte progress within a step (statuses), the steps' own output (logs)
// and warnings. Field numbers below are that file's.

import { decodeBase64 } from "../config/base64.ts";
import { DockerStreamError } from "../errors/errors.ts";
import { decodeUtf8 } from "../streams/bytes.ts";
import { ProtoReader, WIRE_LENGTH, WIRE_VARINT } from "../protobuf/reader.ts";

/** One step of the build graph, as BuildKit last described it. */
export interface BuildkitVertex {
  /** The step's content digest: its identity across messages. */
  digest: string;
  /** Digests of the steps it depends on. */
  inputs: string[];
  /** What the CLI prints: `[stage-0 2/3] RUN make`, `[internal] load build context`. */
  name: string;
  cached: boolean;
  started?: Date;
  completed?: Date;
  /** Set when the step failed: BuildKit's message for it. */
  error?: string;
  progressGroup?: { id: string; name: string; weak: boolean };
}

/** Byte progress inside a step: a layer pulled, the context transferred, an export written. */
export interface BuildkitVertexStatus {
  id: string;
  /** Digest of the step it belongs to. */
  vertex: string;
  name: string;
  current: number;
  /** 0 when unknown. */
  total: number;
  timestamp?: Date;
  started?: Date;
  completed?: Date;
}

/** Output of a step's process: 1 stdout, 2 stderr. */
export interface BuildkitVertexLog {
  vertex: string;
  timestamp?: Date;
  stream: number;
  data: Uint8Array;
}

export interface BuildkitVertexWarning {
  vertex: string;
  level: number;
  /** The one-line warning. */
  short: string;
  detail: string[];
  url?: string;
}

/** One decoded StatusResponse. */
export interface BuildkitStatus {
  vertexes: BuildkitVertex[];
  statuses: BuildkitVertexStatus[];
  logs: BuildkitVertexLog[];
  warnings: BuildkitVertexWarning[];
}

/** One trace message is one small protobuf; anything near this is not a progress message. */
const MAX_TRACE_BYTES = 8 * 1024 * 1024;

/** Decodes the base64 `aux` of a `moby.buildkit.trace` line. */
export function decodeBuildkitTrace(aux: unknown): BuildkitStatus {
  if (typeof aux !== "string") throw new DockerStreamError("A BuildKit trace message without its base64 payload");
  if (aux.length > (MAX_TRACE_BYTES * 4) / 3 + 4) throw new DockerStreamError(`A BuildKit trace message larger than ${MAX_TRACE_BYTES} bytes`);
  const bytes = decodeBase64(aux);
  if (!bytes) throw new DockerStreamError("A BuildKit trace message that is not base64");
  return decodeStatusResponse(bytes);
}

/** Decodes a `moby.buildkit.v1.StatusResponse`. Unknown fields are skipped. */
export function decodeStatusResponse(bytes: Uint8Array): BuildkitStatus {
  const status: BuildkitStatus = { vertexes: [], statuses: [], logs: [], warnings: [] };
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const field = r.field();
    if (field > 4) {
      r.skip();
      continue;
    }
    if (!r.is(WIRE_LENGTH)) continue;
    const m = r.message();
    if (field === 1) status.vertexes.push(vertex(m));
    else if (field === 2) status.statuses.push(vertexStatus(m));
    else if (field === 3) status.logs.push(vertexLog(m));
    else status.warnings.push(vertexWarning(m));
  }
  return status;
}

function vertex(r: ProtoReader): BuildkitVertex {
  const v: BuildkitVertex = { digest: "", inputs: [], name: "", cached: false };
  while (!r.done) {
    switch (r.field()) {
      case 1: if (r.is(WIRE_LENGTH)) v.digest = r.string(); break;
      case 2: if (r.is(WIRE_LENGTH)) v.inputs.push(r.string()); break;
      case 3: if (r.is(WIRE_LENGTH)) v.name = r.string(); break;
      case 4: if (r.is(WIRE_VARINT)) v.cached = r.bool(); break;
      case 5: if (r.is(WIRE_LENGTH)) v.started = timestamp(r.message()); break;
      case 6: if (r.is(WIRE_LENGTH)) v.completed = timestamp(r.message()); break;
      case 7: if (r.is(WIRE_LENGTH)) { const e = r.string(); if (e) v.error = e; } break;
      case 8: if (r.is(WIRE_LENGTH)) v.progressGroup = progressGroup(r.message()); break;
      default: r.skip();
    }
  }
  return v;
}

function vertexStatus(r: ProtoReader): BuildkitVertexStatus {
  const s: BuildkitVertexStatus = { id: "", vertex: "", name: "", current: 0, total: 0 };
  while (!r.done) {
    switch (r.field()) {
      case 1: if (r.is(WIRE_LENGTH)) s.id = r.string(); break;
      case 2: if (r.is(WIRE_LENGTH)) s.vertex = r.string(); break;
      case 3: if (r.is(WIRE_LENGTH)) s.name = r.string(); break;
      case 4: if (r.is(WIRE_VARINT)) s.current = r.varint(); break;
      case 5: if (r.is(WIRE_VARINT)) s.total = r.varint(); break;
      case 6: if (r.is(WIRE_LENGTH)) s.timestamp = timestamp(r.message()); break;
      case 7: if (r.is(WIRE_LENGTH)) s.started = timestamp(r.message()); break;
      case 8: if (r.is(WIRE_LENGTH)) s.completed = timestamp(r.message()); break;
      default: r.skip();
    }
  }
  return s;
}

function vertexLog(r: ProtoReader): BuildkitVertexLog {
  const l: BuildkitVertexLog = { vertex: "", stream: 1, data: new Uint8Array(0) };
  while (!r.done) {
    switch (r.field()) {
      case 1: if (r.is(WIRE_LENGTH)) l.vertex = r.string(); break;
      case 2: if (r.is(WIRE_LENGTH)) l.timestamp = timestamp(r.message()); break;
      case 3: if (r.is(WIRE_VARINT)) l.stream = r.varint(); break;
      // A view into the decoded message: copied so a consumer may keep it.
      case 4: if (r.is(WIRE_LENGTH)) l.data = r.bytes().slice(); break;
      default: r.skip();
    }
  }
  return l;
}

function vertexWarning(r: ProtoReader): BuildkitVertexWarning {
  const w: BuildkitVertexWarning = { vertex: "", level: 0, short: "", detail: [] };
  while (!r.done) {
    switch (r.field()) {
      case 1: if (r.is(WIRE_LENGTH)) w.vertex = r.string(); break;
      case 2: if (r.is(WIRE_VARINT)) w.level = r.varint(); break;
      case 3: if (r.is(WIRE_LENGTH)) w.short = decodeUtf8(r.bytes()); break;
      case 4: if (r.is(WIRE_LENGTH)) w.detail.push(decodeUtf8(r.bytes())); break;
      case 5: if (r.is(WIRE_LENGTH)) { const u = r.string(); if (u) w.url = u; } break;
      default: r.skip(); // source info and ranges: positions in the Dockerfile
    }
  }
  return w;
}

function progressGroup(r: ProtoReader): { id: string; name: string; weak: boolean } {
  const g = { id: "", name: "", weak: false };
  while (!r.done) {
    switch (r.field()) {
      case 1: if (r.is(WIRE_LENGTH)) g.id = r.string(); break;
      case 2: if (r.is(WIRE_LENGTH)) g.name = r.string(); break;
      case 3: if (r.is(WIRE_VARINT)) g.weak = r.bool(); break;
      default: r.skip();
    }
  }
  return g;
}

/** google.protobuf.Timestamp: seconds = 1, nanos = 2. */
function timestamp(r: ProtoReader): Date {
  let seconds = 0;
  let nanos = 0;
  while (!r.done) {
    const field = r.field();
    if (field === 1 && r.is(WIRE_VARINT)) seconds = r.varint();
    else if (field === 2 && r.is(WIRE_VARINT)) nanos = r.varint();
    else if (field !== 1 && field !== 2) r.skip();
  }
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6));
}
