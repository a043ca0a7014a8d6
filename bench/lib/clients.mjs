// The clients under measurement, each driven the way its own documentation shows, behind one small
// interface so every workload runs the same code for all of them:
//
//   ping()                      GET /_ping
//   list(label)                 GET /containers/json?all=1 filtered by a label
//   inspect(id)                 GET /containers/{id}/json
//   exec(id, cmd)               exec create + start, output through the client's demultiplexer;
//                               resolves with the stdout+stderr payload bytes
//   logs(id, { follow, onLine}) the container's logs through the client's demultiplexer, split into
//                               lines; resolves with the line count (node:http: counted, or with
//                               `lines: true` cut into strings, the floor below)
//   pull(image, tag)            POST /images/create, every progress event parsed; resolves with the
//                               event count
//   execCollect(id, cmd)        exec collecting stdout and stderr as text (berth: exec(); node:http:
//                               the floor below); resolves with their length in characters
//   follow(id, onLine)          follows new log lines (tail=0) split into lines; resolves once the
//                               stream is open with { stop() }
//   events()                    GET /events, every event parsed; resolves at the stream's end
//                               with the event count
//   close()
//
// "node:http" is the floor: a keep-alive http.Agent, and for streams an inline demultiplexer that
// only counts (no objects, no strings), i.e. about the least JavaScript work the socket allows.
// Collected, its floor keeps each stream's payload as Buffer views of the chunks, joins them with
// one Buffer.concat and decodes with one toString at the end: the least work collecting text takes.
// Reading lines, its floor decodes each piece and cuts it at newlines into strings (LineDemux): the
// least work that hands a program each line as text, as every other client's line reader does.
//
// "raw socket" is the floor under Deno: requests written by hand on a fresh Deno.connect, every read
// into a fresh 64 KiB buffer (what a client that hands its reads on must allocate), demultiplexed
// by the same counting loop. Only exec and ping.
//
// Only berth (and the Deno floor) is loaded under Bun and Deno, so the peers are imported lazily.

import process from "node:process";
import { StringDecoder } from "node:string_decoder";

export const PEERS = ["dockerode", "node-sdk", "node:http"];
export const CLIENTS = ["berth", ...PEERS];
export const DENO_FLOOR = "raw socket";

const SOCKET = process.env.BERTH_BENCH_SOCKET ?? "/var/run/docker.sock";

export async function openClient(name, { berthModule } = {}) {
  switch (name) {
    case "berth":
      return openBerth(berthModule);
    case "dockerode":
      return openDockerode();
    case "node-sdk":
      return openNodeSdk();
    case "node:http":
      return openRaw();
    case DENO_FLOOR:
      return openDenoRaw();
    default:
      throw new Error(`unknown client ${name}`);
  }
}

// ---------------------------------------------------------------------------------------------
// berth

async function openBerth(berthModule) {
  if (!berthModule) throw new Error("berth's module path is required");
  const mod = await import(berthModule);
  const { Docker } = mod;
  const docker = typeof Docker.fromEnv === "function" ? Docker.fromEnv() : new Docker();
  return {
    ping: () => docker.ping(),
    async list(label) {
      return (await docker.containers.list({ all: true, filters: { label: [label] } })).length;
    },
    inspect: (id) => docker.containers.get(id),
    async exec(id, cmd) {
      const session = await docker.containers.ref(id).execStream(cmd);
      let bytes = 0;
      for await (const frame of session.output) bytes += frame.data.length;
      return bytes;
    },
    async logs(id, { follow, onLine }) {
      const output = await docker.containers.ref(id).logs({ follow, stdout: true, stderr: true });
      let lines = 0;
      for await (const line of output.lines()) {
        lines++;
        onLine?.(line.line);
      }
      return lines;
    },
    async pull(image, tag) {
      let events = 0;
      if (typeof docker.images.pullStream === "function") {
        for await (const _event of await docker.images.pullStream(`${image}:${tag}`)) events++;
        return events;
      }
      // Before images.pull existed: the raw call read through berth's JSON-lines decoder.
      const response = await docker.requestRaw("POST /images/create", { query: { fromImage: image, tag } });
      const reader = response.body.pipeThrough(mod.jsonLines()).getReader();
      for (;;) {
        const { done } = await reader.read();
        if (done) return events;
        events++;
      }
    },
    async execCollect(id, cmd) {
      const { stdout, stderr } = await docker.containers.ref(id).exec(cmd);
      // Reading a character makes the text flat, as any use of it would: part of the cost.
      if (stdout.length) stdout.charCodeAt(stdout.length - 1);
      return stdout.length + stderr.length;
    },
    async follow(id, onLine) {
      const output = await docker.containers.ref(id).logs({ follow: true, tail: 0, stdout: true, stderr: true });
      const done = (async () => {
        for await (const _line of output.lines()) onLine();
      })().catch(() => {});
      return { stop: async () => (await output.cancel().catch(() => {}), await done) };
    },
    async events() {
      let events = 0;
      for await (const _event of await docker.events()) events++;
      return events;
    },
    close: () => docker.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// dockerode (docker-modem underneath: node:http with the global agent, keep-alive on Node >= 19)

async function openDockerode() {
  const { createRequire } = await import("node:module");
  const { Writable, PassThrough } = await import("node:stream");
  const readline = await import("node:readline");
  const Dockerode = createRequire(import.meta.url)("dockerode");
  const docker = new Dockerode({ socketPath: SOCKET });
  return {
    ping: () => docker.ping(),
    async list(label) {
      return (await docker.listContainers({ all: true, filters: { label: [label] } })).length;
    },
    inspect: (id) => docker.getContainer(id).inspect(),
    async exec(id, cmd) {
      const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      let bytes = 0;
      const sink = () => new Writable({ write(chunk, _enc, cb) { bytes += chunk.length; cb(); } });
      docker.modem.demuxStream(stream, sink(), sink());
      await new Promise((resolve, reject) => {
        stream.on("end", resolve);
        stream.on("error", reject);
      });
      return bytes;
    },
    async logs(id, { follow, onLine }) {
      const container = docker.getContainer(id);
      const stream = await container.logs({ follow, stdout: true, stderr: true });
      const out = new PassThrough();
      docker.modem.demuxStream(stream, out, out);
      stream.on("end", () => out.end());
      stream.on("error", (err) => out.destroy(err));
      let lines = 0;
      for await (const line of readline.createInterface({ input: out, crlfDelay: Infinity })) {
        lines++;
        onLine?.(line);
      }
      return lines;
    },
    async pull(image, tag) {
      const stream = await docker.pull(`${image}:${tag}`);
      let events = 0;
      await new Promise((resolve, reject) => {
        docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve()), () => events++);
      });
      return events;
    },
    async follow(id, onLine) {
      const stream = await docker.getContainer(id).logs({ follow: true, tail: 0, stdout: true, stderr: true });
      const out = new PassThrough();
      docker.modem.demuxStream(stream, out, out);
      stream.on("end", () => out.end());
      stream.on("error", () => out.end());
      const done = (async () => {
        for await (const _line of readline.createInterface({ input: out, crlfDelay: Infinity })) onLine();
      })().catch(() => {});
      return { stop: async () => (stream.destroy(), out.end(), await done) };
    },
    async events() {
      // What dockerode's README shows for a stream of JSON lines: split, then JSON.parse each.
      const stream = await docker.getEvents();
      let events = 0;
      for await (const line of readline.createInterface({ input: stream, crlfDelay: Infinity })) {
        if (!line) continue;
        JSON.parse(line);
        events++;
      }
      return events;
    },
    close: async () => {},
  };
}

// ---------------------------------------------------------------------------------------------
// @docker/node-sdk (undici fetch underneath)

async function openNodeSdk() {
  const { Writable, PassThrough } = await import("node:stream");
  const readline = await import("node:readline");
  const { DockerClient, Filter } = await import("@docker/node-sdk");
  const client = await DockerClient.fromDockerHost(`unix://${SOCKET}`);
  return {
    ping: () => client.systemPing(),
    async list(label) {
      return (await client.containerList({ all: true, filters: new Filter().add("label", label) })).length;
    },
    inspect: (id) => client.containerInspect(id),
    async exec(id, cmd) {
      const { Id } = await client.containerExec(id, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
      let bytes = 0;
      const sink = () => new Writable({ write(chunk, _enc, cb) { bytes += chunk.length; cb(); } });
      await client.execStart(Id, sink(), sink(), { Detach: false, Tty: false });
      return bytes;
    },
    async logs(id, { follow, onLine }) {
      const out = new PassThrough();
      const done = client.containerLogs(id, out, out, { follow, stdout: true, stderr: true }).then(
        () => out.end(),
        (err) => out.destroy(err),
      );
      let lines = 0;
      for await (const line of readline.createInterface({ input: out, crlfDelay: Infinity })) {
        lines++;
        onLine?.(line);
      }
      await done;
      return lines;
    },
    async pull(image, tag) {
      let events = 0;
      for await (const _message of client.imageCreate({ fromImage: image, tag }).messages()) events++;
      return events;
    },
    close: () => client.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// node:http, the floor

async function openRaw() {
  const { default: http } = await import("node:http");
  const agent = new http.Agent({ keepAlive: true });
  const request = (method, path, body, onResponse) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        {
          agent,
          socketPath: SOCKET,
          method,
          path,
          headers: payload === undefined
            ? { host: "docker" }
            : { host: "docker", "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
        },
        (res) => {
          if (res.statusCode >= 400) {
            res.resume();
            return reject(new Error(`${method} ${path}: HTTP ${res.statusCode}`));
          }
          onResponse(res, resolve, reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  const text = (res, resolve, reject) => {
    let s = "";
    res.setEncoding("utf8");
    res.on("data", (c) => (s += c));
    res.on("end", () => resolve(s));
    res.on("error", reject);
  };
  const json = (method, path, body) => request(method, path, body, text).then((s) => JSON.parse(s));
  /** A body of JSON lines (progress, events), each parsed; resolves with their count. */
  const jsonLines = (res, resolve, reject) => {
    let events = 0;
    let rest = "";
    res.setEncoding("utf8");
    res.on("data", (c) => {
      const parts = (rest + c).split("\n");
      rest = parts.pop();
      for (const p of parts) if (p.trim()) { JSON.parse(p); events++; }
    });
    res.on("end", () => resolve(rest.trim() ? (JSON.parse(rest), events + 1) : events));
    res.on("error", reject);
  };
  return {
    ping: () => request("GET", "/_ping", undefined, text),
    async list(label) {
      const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
      return (await json("GET", `/containers/json?all=1&filters=${filters}`)).length;
    },
    inspect: (id) => json("GET", `/containers/${id}/json`),
    async exec(id, cmd) {
      const { Id } = await json("POST", `/containers/${id}/exec`, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
      const counter = new CountingDemux();
      return request("POST", `/exec/${Id}/start`, { Detach: false, Tty: false }, (res, resolve, reject) => {
        res.on("data", (c) => counter.push(c));
        res.on("end", () => resolve(counter.bytes));
        res.on("error", reject);
      });
    },
    async execCollect(id, cmd) {
      const { Id } = await json("POST", `/containers/${id}/exec`, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
      const demux = new CollectingDemux();
      const [stdout, stderr] = await request("POST", `/exec/${Id}/start`, { Detach: false, Tty: false }, (res, resolve, reject) => {
        res.on("data", (c) => demux.push(c));
        res.on("end", () => resolve(demux.streams.map((pieces) => Buffer.concat(pieces).toString())));
        res.on("error", reject);
      });
      // Reading a character makes the text flat, as berth's execCollect does.
      if (stdout.length) stdout.charCodeAt(stdout.length - 1);
      return stdout.length + stderr.length;
    },
    async logs(id, { follow, onLine, lines }) {
      const path = `/containers/${id}/logs?stdout=1&stderr=1&follow=${follow ? 1 : 0}`;
      if (lines) {
        const demux = new LineDemux(onLine);
        return request("GET", path, undefined, (res, resolve, reject) => {
          res.on("data", (c) => demux.push(c));
          res.on("end", () => resolve(demux.lines));
          res.on("error", reject);
        });
      }
      const counter = new CountingDemux();
      return request("GET", path, undefined, (res, resolve, reject) => {
        res.on("data", (c) => {
          const before = counter.lines;
          counter.push(c);
          if (onLine && counter.lines !== before) onLine();
        });
        res.on("end", () => resolve(counter.lines));
        res.on("error", reject);
      });
    },
    pull: (image, tag) => request("POST", `/images/create?fromImage=${encodeURIComponent(image)}&tag=${encodeURIComponent(tag)}`, undefined, jsonLines),
    follow(id, onLine) {
      const counter = new CountingDemux();
      return new Promise((resolve, reject) => {
        const req = http.request({ agent, socketPath: SOCKET, method: "GET", path: `/containers/${id}/logs?stdout=1&stderr=1&follow=1&tail=0`, headers: { host: "docker" } }, (res) => {
          res.on("data", (c) => {
            const before = counter.lines;
            counter.push(c);
            for (let k = before; k < counter.lines; k++) onLine();
          });
          res.on("error", () => {});
          resolve({ stop: async () => req.destroy() });
        });
        req.on("error", reject);
        req.end();
      });
    },
    events: () => request("GET", "/events", undefined, jsonLines),
    close: async () => agent.destroy(),
  };
}

// ---------------------------------------------------------------------------------------------
// a bare Deno.connect, the floor under Deno

const END_OF_HEAD = [13, 10, 13, 10];

async function openDenoRaw() {
  const Deno = globalThis.Deno;
  if (!Deno) throw new Error(`the "${DENO_FLOOR}" floor runs under Deno`);
  const encoder = new TextEncoder();
  const head = (method, path, body) =>
    `${method} ${path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n` +
    (body === undefined ? "\r\n" : `Content-Type: application/json\r\nContent-Length: ${encoder.encode(body).length}\r\n\r\n${body}`);
  /** One request on a fresh connection; every read, in a fresh buffer, goes to `onRead` until the engine closes. */
  async function exchange(method, path, body, onRead) {
    const conn = await Deno.connect({ transport: "unix", path: SOCKET });
    try {
      const bytes = encoder.encode(head(method, path, body));
      for (let o = 0; o < bytes.length; ) o += await conn.write(bytes.subarray(o));
      for (;;) {
        const buffer = new Uint8Array(65536);
        const n = await conn.read(buffer);
        if (n === null) return;
        onRead(buffer.subarray(0, n));
      }
    } finally {
      try {
        conn.close();
      } catch {
        // closed by the engine
      }
    }
  }
  /** The answer's body as text (small answers: Content-Length, or chunked), after a status check. */
  async function text(method, path, body) {
    const pieces = [];
    await exchange(method, path, body === undefined ? undefined : JSON.stringify(body), (b) => pieces.push(b));
    const joined = new Uint8Array(pieces.reduce((n, b) => n + b.length, 0));
    pieces.reduce((o, b) => (joined.set(b, o), o + b.length), 0);
    const all = new TextDecoder().decode(joined);
    const end = all.indexOf("\r\n\r\n");
    const status = Number(all.slice(9, 12));
    if (end < 0 || status >= 400) throw new Error(`${method} ${path}: HTTP ${status}`);
    let rest = all.slice(end + 4);
    if (/\r\ntransfer-encoding: chunked/i.test(all.slice(0, end))) {
      let out = "";
      for (let i = 0; ; ) {
        const eol = rest.indexOf("\r\n", i);
        const size = parseInt(rest.slice(i, eol), 16);
        if (!size) break;
        out += rest.slice(eol + 2, eol + 2 + size);
        i = eol + 2 + size + 2;
      }
      rest = out;
    }
    return rest;
  }
  return {
    ping: () => text("GET", "/_ping"),
    async exec(id, cmd) {
      const { Id } = JSON.parse(await text("POST", `/containers/${id}/exec`, { Cmd: cmd, AttachStdout: true, AttachStderr: true }));
      const counter = new CountingDemux();
      let headSeen = 0; // bytes of "\r\n\r\n" matched so far; 4 once the head has passed
      await exchange("POST", `/exec/${Id}/start`, JSON.stringify({ Detach: false, Tty: false }), (b) => {
        let i = 0;
        while (headSeen < 4 && i < b.length) {
          const c = b[i++];
          headSeen = c === END_OF_HEAD[headSeen] ? headSeen + 1 : c === 13 ? 1 : 0;
        }
        if (i < b.length) counter.push(i === 0 ? b : b.subarray(i));
      });
      return counter.bytes;
    },
    close: async () => {},
  };
}

/** Walks multiplexed frames counting payload bytes and newlines: no allocation, no strings. */
export class CountingDemux {
  bytes = 0;
  lines = 0;
  #header = 0; // header bytes still to skip
  #size = 0; // size bytes gathered so far
  #remaining = 0;
  push(chunk) {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#remaining === 0) {
        if (this.#header === 0) this.#header = 8;
        // bytes 4..7 of the header carry the size
        while (this.#header > 0 && i < n) {
          if (this.#header <= 4) this.#size = this.#size * 256 + chunk[i];
          this.#header--;
          i++;
        }
        if (this.#header === 0) {
          this.#remaining = this.#size;
          this.#size = 0;
        }
        continue;
      }
      const take = Math.min(this.#remaining, n - i);
      this.bytes += take;
      for (let j = chunk.indexOf(10, i); j !== -1 && j < i + take; j = chunk.indexOf(10, j + 1)) this.lines++;
      i += take;
      this.#remaining -= take;
    }
  }
}

/** Walks multiplexed frames, handing each payload piece (a view of its chunk) to `onPiece(stream, piece)`: 0 stdout, 1 stderr. */
export class FrameWalker {
  #header = Buffer.alloc(8);
  #have = 0; // header bytes gathered so far
  #remaining = 0;
  #stream = 0;
  #onPiece;
  constructor(onPiece) {
    this.#onPiece = onPiece;
  }
  push(chunk) {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#remaining === 0) {
        const take = Math.min(8 - this.#have, n - i);
        chunk.copy(this.#header, this.#have, i, i + take);
        this.#have += take;
        i += take;
        if (this.#have === 8) {
          this.#have = 0;
          this.#remaining = this.#header.readUInt32BE(4);
          this.#stream = this.#header[0] === 2 ? 1 : 0;
        }
        continue;
      }
      const take = Math.min(this.#remaining, n - i);
      this.#onPiece(this.#stream, chunk.subarray(i, i + take));
      i += take;
      this.#remaining -= take;
    }
  }
}

/** The collecting floor's demultiplexer: each stream's payload kept as views of its chunks. */
export class CollectingDemux extends FrameWalker {
  streams = [[], []];
  constructor() {
    super((stream, piece) => this.streams[stream].push(piece));
  }
}

/**
 * The floor of reading lines: each stream's payload decoded as UTF-8 (a StringDecoder per stream,
 * so a character split across frames survives) and cut at "\n" into strings, each handed to
 * `onLine`; the partial line waits for the stream's next piece.
 */
export class LineDemux extends FrameWalker {
  lines = 0;
  constructor(onLine) {
    const decoders = [new StringDecoder("utf8"), new StringDecoder("utf8")];
    const carry = ["", ""];
    super((stream, piece) => {
      const text = carry[stream] + decoders[stream].write(piece);
      let start = 0;
      for (let j = text.indexOf("\n"); j !== -1; j = text.indexOf("\n", start)) {
        onLine?.(text.slice(start, j));
        this.lines++;
        start = j + 1;
      }
      carry[stream] = text.slice(start);
    });
  }
}
